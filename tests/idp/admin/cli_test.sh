#!/usr/bin/env bash
# `certme admin` console subcommands over a sqlite store, beside the ledger
# subcommands that keep working. Usage: cli_test.sh CERTME_BINARY
set -euo pipefail
certme=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTME_STORE_SQLITE_PATH=$work/certme.db
unset CERTME_CONFIG CERTME_ADMIN_PASSWORD
fail() { echo "FAIL: $*" >&2; exit 1; }

CERTME_ADMIN_PASSWORD='a long enough password' "$certme" admin create-user ana | grep "created console administrator ana" >/dev/null ||
  fail "create-user from the environment"
echo 'another long password' | "$certme" admin create-user ion >/dev/null || fail "create-user from stdin"
out=$("$certme" admin create-user eve --generate-password)
grep -Eq '^password: [A-Za-z0-9_-]{24}$' <<<"$out" || fail "generated password not printed: $out"

set +e
echo short | "$certme" admin create-user bob 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "at least 12 characters" "$work/err" || fail "short password: rc $rc, $(cat "$work/err")"
set +e
echo 'a long enough password' | "$certme" admin create-user ana 2>"$work/err"; rc=$?
set -e
[[ $rc != 0 ]] && grep -q "already exists" "$work/err" || fail "duplicate user accepted"

[[ $("$certme" admin list-users | cut -d' ' -f1 | tr '\n' ' ') == "ana eve ion " ]] || fail "list-users: $("$certme" admin list-users)"
token=$("$certme" admin create-token ana --name ci)
[[ $token =~ ^cma_[A-Za-z0-9_-]{43}$ ]] || fail "token format: $token"
cat "$CERTME_STORE_SQLITE_PATH"* | grep -a "${token#cma_}" >/dev/null && fail "token stored in clear"

# Roles, disabling and scoped, expiring tokens.
[[ $("$certme" admin list-users | sed -n 1p) == "ana administrator" ]] || fail "list-users role: $("$certme" admin list-users)"
echo 'a long enough password' | "$certme" admin create-user vera --role viewer | grep "created console viewer vera" >/dev/null ||
  fail "create-user --role"
set +e
"$certme" admin create-token vera --name ci --scopes read,write 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "beyond the role viewer" "$work/err" || fail "scope beyond the role: rc $rc, $(cat "$work/err")"
set +e
"$certme" admin create-token ana --name long --ttl 400d 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "admin.api_token_max_ttl_seconds" "$work/err" || fail "ttl over the maximum accepted"
"$certme" admin create-token vera --name ro --scopes read --ttl 1h >/dev/null || fail "create-token --scopes --ttl"
"$certme" admin list-tokens | grep " vera ro read expires " >/dev/null || fail "list-tokens: $("$certme" admin list-tokens)"
"$certme" admin set-role vera operator >/dev/null || fail "set-role"
"$certme" admin disable-user vera >/dev/null || fail "disable-user"
"$certme" admin list-users | grep "^vera operator disabled$" >/dev/null || fail "disabled state: $("$certme" admin list-users)"
"$certme" admin enable-user vera >/dev/null || fail "enable-user"
id=$("$certme" admin list-tokens | awk '$2 == "vera" {print $1}')
"$certme" admin revoke-token "$id" | grep "revoked $id" >/dev/null || fail "revoke-token"
[[ -z $("$certme" admin list-tokens | awk '$2 == "vera"') ]] || fail "token still listed after revoke"

"$certme" admin audit --verify | grep "hash chain intact" >/dev/null || fail "audit --verify"
"$certme" admin audit --format csv | sed -n 1p | grep '^seq,time,actor,action,target' >/dev/null || fail "audit csv header"
[[ $("$certme" admin audit | grep -c '"action":"user.create"') == 4 ]] || fail "four user.create entries"
for action in user.role user.disable user.enable token.create token.revoke; do
  "$certme" admin audit | grep "\"action\":\"$action\"" >/dev/null || fail "$action not audited"
done

# Initial access tokens for dynamic registration: printed once, stored hashed, audited.
itok=$("$certme" admin create-initial-token --name partner --uses 2 --ttl 1d \
  --policy '{"redirect_uri_prefixes": ["https://partner.example/"]}')
[[ $itok == iat_* ]] || fail "create-initial-token printed $itok"
"$certme" admin audit | grep '"action":"initial_token.create"' >/dev/null || fail "initial_token.create not audited"
! "$certme" admin audit | grep -F "$itok" >/dev/null || fail "the initial access token is in the audit log"
set +e
"$certme" admin create-initial-token --name bad --uses 0 2>"$work/err"; rc=$?
[[ $rc == 2 ]] && grep -q "uses must be between" "$work/err" || fail "create-initial-token --uses 0: rc $rc $(cat "$work/err")"
"$certme" admin create-initial-token --name bad --policy '{"grant_types": ["password"]}' 2>"$work/err"; rc=$?
[[ $rc == 2 ]] && grep -q "unknown grant type" "$work/err" || fail "create-initial-token bad policy: rc $rc $(cat "$work/err")"
set -e

"$certme" admin --help | grep "create-user NAME" >/dev/null || fail "help lists the console subcommands"
"$certme" admin --help | grep "authorize-validator" >/dev/null || fail "help lists the ledger subcommands"
set +e
"$certme" admin authorize-validator 0x0000000000000000000000000000000000000001 --ledger "$work/none.db" \
  --admin-key "$work/none.key" 2>"$work/err"; rc=$?
set -e
[[ $rc != 0 ]] && ! grep -q "unknown subcommand" "$work/err" || fail "ledger subcommand not reached: $(cat "$work/err")"
echo "cli_test: ok"
