#!/usr/bin/env bash
# config/nginx/certme.conf, as an administrator would install it, must pass
# `nginx -t`: the ADJUST'ed names, addresses and files are replaced by ones
# that exist here (a throw-away certificate, loopback ports, the proxy
# snippet from the repository); every directive stays as written.
# Usage: nginx_reference_check.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v nginx >/dev/null || { echo "nginx_reference_check: FAILED: nginx is not installed" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-nginx-check-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=check 2>/dev/null
sed -e "s#/etc/certme/tls/server.pem#$WORK/cert.pem#" \
    -e "s#/etc/certme/tls/server.key#$WORK/key.pem#" \
    -e "s#/etc/certme/tls/client-ca.pem#$WORK/cert.pem#" \
    -e "s#/etc/nginx/snippets/certme-proxy.conf#$ROOT/config/nginx/certme-proxy.conf#" \
    -e 's#listen 443 ssl http2;#listen 127.0.0.1:1443 ssl http2;#' \
    -e 's#listen \[::\]:443 ssl http2;##' \
    -e 's#listen 80;#listen 127.0.0.1:1080;#' \
    -e 's#listen \[::\]:80;##' \
    "$ROOT/config/nginx/certme.conf" >"$WORK/site.conf"
grep -Pzq 'location = /metrics \{\s*deny all;' "$WORK/site.conf" || { echo "nginx_reference_check: FAILED: the site no longer refuses /metrics" >&2; exit 1; }
grep -q "$ROOT/config/nginx/certme-proxy.conf" "$WORK/site.conf" || { echo "nginx_reference_check: FAILED: the site no longer includes certme-proxy.conf" >&2; exit 1; }
cat >"$WORK/nginx.conf" <<CONF
$([[ $(id -u) == 0 ]] && echo "user root;")
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events {}
http {
    access_log off;
    include $WORK/site.conf;
}
CONF
nginx -t -q -p "$WORK" -e "$WORK/error.log" -c "$WORK/nginx.conf" || { echo "nginx_reference_check: FAILED" >&2; exit 1; }
echo "nginx_reference_check: config/nginx/certme.conf passes nginx -t"
