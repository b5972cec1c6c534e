# Shared steps of the end-to-end shell scripts (conformance/*/…_e2e.sh and
# the load generator's wallet smoke test). Source it, then:
#   e2e_workdir NAME   a fresh work folder (the current directory from then
#                      on), no CERTME_* variable inherited, and on exit every
#                      pid in PIDS stopped and the folder removed (kept when
#                      KEEP_WORK is set)
#   e2e_roles          the validator and the provider keys made and authorized
#                      on the configured ledger: VALIDATOR, PROVIDER
#   e2e_enrolled_user ATTR...
#                      the default wallet created and its user enrolled with
#                      the `--attr k=v` / `--loa` arguments: USER_ADDR
#   fail MESSAGE       says which script failed, shows the end of each file
#                      named in E2E_LOGS (default: idp.log serve.log), exit 1
#   certme ARGS...     the binary in CERTME

PIDS=()
e2e_cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ -n ${KEEP_WORK:-} ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

e2e_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/certme-$1-XXXXXX")
  trap e2e_cleanup EXIT
  cd "$WORK"
  local v
  for v in $(env | grep -o '^CERTME_[A-Z_]*' || true); do unset "$v"; done
}

e2e_roles() {
  VALIDATOR=$(certme ledger keygen --out var/ledger/validator.key)
  PROVIDER=$(certme ledger keygen --out var/ledger/provider.key)
  certme admin authorize-validator "$VALIDATOR" >/dev/null
  certme admin authorize-provider "$PROVIDER" >/dev/null
}

e2e_enrolled_user() {
  USER_ADDR=$(certme wallet create)
  certme validator enroll --user "$USER_ADDR" "$@" --out enrollment.json >/dev/null
  certme wallet approve-enrolment enrollment.json --out enrolment.sig >/dev/null 2>&1
  certme validator issue enrollment.json --consent enrolment.sig >/dev/null
  certme wallet import enrollment.json >/dev/null
}

E2E_LOGS=(idp.log serve.log)
fail() {
  echo "$(basename "$0" .sh): FAILED: $*" >&2
  local f
  for f in "${E2E_LOGS[@]}"; do [[ -f $f ]] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done
  exit 1
}

certme() { "$CERTME" "$@"; }
