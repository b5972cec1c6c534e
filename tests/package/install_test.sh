#!/usr/bin/env bash
# The Debian package installs and runs: scripts/package builds it from the
# binary under test; dpkg installs it into a fresh root (dpkg --root, the
# maintainer scripts run with DPKG_ROOT); the files, modes, the certme user
# and the conffile are checked; the installed binary, started from another
# directory with the installed configuration (its /etc/certme and
# /var/lib/certme moved under the test root, the only change), answers
# /readyz; an edited configuration survives a reinstall.
# The fresh root has no packages, so dependencies are not checked there
# (--force-depends); the libraries come from this machine.
# Usage: install_test.sh PATH/TO/certme
set -euo pipefail
certme=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/config/production_files.sh"
fail() { echo "install_test: FAILED: $*" >&2; [[ -f "$work/idp.log" ]] && tail -n 20 "$work/idp.log" >&2; exit 1; }

deb=$("$src/scripts/package" --binary "$certme" --out "$work/out") || fail "scripts/package failed"
[[ -f "$deb" ]] || fail "no package at $deb"
info=$(dpkg-deb --info "$deb")
[[ "$info" == *"Package: certme"* && "$info" == *"Depends: adduser"*"libssl"* ]] || fail "control file: $info"
[[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" == "/etc/certme/certme.yaml" ]] || fail "conffiles"

# A fresh root: an empty dpkg database and the accounts files of a base system.
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$root/etc/shadow"
printf 'root:*::\n' >"$root/etc/gshadow"
install_pkg() {
  dpkg --root="$root" --force-script-chrootless --force-not-root --force-depends \
    --force-confold --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
}
install_pkg
[[ -x "$root/usr/bin/certme" ]] || fail "no /usr/bin/certme"
for f in lib/systemd/system/certme.service lib/systemd/system/certme-validator.service \
         usr/share/certme/certme.reference.yaml usr/share/doc/certme/README.md; do
  [[ -f "$root/$f" ]] || fail "missing /$f"
done
grep -q '^ExecStart=/usr/bin/certme idp --config /etc/certme/certme.yaml$' "$root/lib/systemd/system/certme.service" \
  || fail "the unit does not start the installed binary with the installed configuration"
for h in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/certme User=certme; do
  grep -q "^$h" "$root/lib/systemd/system/certme.service" || fail "certme.service lacks $h"
done
uid=$(awk -F: '$1 == "certme" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "certme" { print $3 }' "$root/etc/group")
[[ -n "$uid" && "$uid" -lt 1000 ]] || fail "no certme system user in the root's /etc/passwd"
[[ "$(stat -c '%u %a' "$root/var/lib/certme")" == "$uid 750" ]] || fail "/var/lib/certme: $(stat -c '%u %a' "$root/var/lib/certme")"
[[ "$(stat -c '%g %a' "$root/etc/certme/certme.yaml")" == "$gid 640" ]] || fail "/etc/certme/certme.yaml mode"
dpkg --root="$root" -s certme 2>/dev/null | grep '^Status: install ok installed' >/dev/null || fail "dpkg does not list certme as installed"

# The installed configuration with its two folders under the root, and the
# files it names made as its comments say.
etc="$root/etc/certme"
conf="$work/certme.yaml"
move_under_root "$etc/certme.yaml" "$root" "$conf"
bin="$root/usr/bin/certme"
make_production_files "$bin" "$etc" "$conf" || fail "ledger init"
"$bin" config check "$conf" >/dev/null || fail "config check of the installed configuration"

port=$(free_port)
(cd / && CERTME_SERVER_PORT=$port exec "$bin" idp --config "$conf" >"$work/idp.log" 2>&1) &
pid=$!
ready=$(wait_ready "$port" "$pid") || fail "the installed binary exited at start"
[[ "$ready" == *'"ready"'* ]] || fail "/readyz: $ready"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""

# An edited configuration is kept when the package is installed again.
echo "# edited by the operator" >>"$etc/certme.yaml"
install_pkg
tail -n 1 "$etc/certme.yaml" | grep "edited by the operator" >/dev/null || fail "reinstall overwrote /etc/certme/certme.yaml"
echo "install_test: OK ($(basename "$deb"))"
