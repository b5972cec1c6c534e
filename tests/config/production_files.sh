# Sourced by the tests that start config/production.example.yaml: makes the
# files that configuration names, as its comments say, under ETC (the
# example's /etc/certme), with CERTME the binary and CONF the configuration.
# make_production_files CERTME ETC CONF
make_production_files() {
  local certme="$1" etc="$2" conf="$3"
  mkdir -p "$etc/keys" "$etc/ledger"
  (
    umask 077
    openssl rand -base64 48 >"$etc/pairwise-salt"
    openssl ecparam -name prime256v1 -genkey -noout -out "$etc/keys/signing-2027-01.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$etc/keys/signing-2027-01-rsa.pem" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$etc/keys/saml.pem" -out "$etc/keys/saml.crt" \
      -days 365 -subj /CN=login.example.md 2>/dev/null
    openssl rand -hex 32 >"$etc/ledger/provider-kek"
    openssl rand -hex 32 >"$etc/keys/signing-keys.kek"
  )
  "$certme" ledger init --config "$conf" --admin-key "$etc/ledger/admin.key" >/dev/null || return 1
  "$certme" ledger keygen --out "$etc/ledger/validator.key" >/dev/null
}

# The configuration at SRC with its /etc/certme and /var/lib/certme moved
# under ROOT, written to OUT.
# move_under_root SRC ROOT OUT
move_under_root() {
  sed -e "s#\"/etc/certme#\"$2/etc/certme#g" -e "s#\"/var/lib/certme#\"$2/var/lib/certme#g" "$1" >"$3"
}

# The first free TCP port on 127.0.0.1 the kernel gives.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for http://127.0.0.1:PORT/readyz while PID lives; prints
# its answer. wait_ready PORT PID
wait_ready() {
  local ready=""
  for _ in $(seq 1 100); do
    if ready=$(curl -fsS "http://127.0.0.1:$1/readyz" 2>/dev/null); then echo "$ready"; return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  echo "$ready"
}
