// The signing-key rollover in the administration API (docs/admin-api.yaml,
// "Signing keys"): the same acts as `certme keys`, on this bridge's Store,
// every change written to the audit log.
//
//   GET  /admin/api/v1/keys                 scope read
//   POST /admin/api/v1/keys                 scope keys   add a next key
//   POST /admin/api/v1/keys/:kid/promote    scope keys
//   POST /admin/api/v1/keys/:kid/retire     scope keys
#pragma once

#include "idp/admin/audit_log.h"
#include "idp/admin/console.h"
#include "idp/http/router.h"
#include "idp/signing_key_store.h"

namespace certme {

// REQUIRES: every reference outlives the router's use of the routes.
void MountKeysApi(admin::AdminConsole& console, admin::AuditLog& audit, Router& router, SigningKeyStore& keys,
                  RolloverPolicy policy);

// A key as the API and `certme keys list --json` show it (no private part).
nlohmann::json ManagedKeyJson(const ManagedKey& k, const RolloverPolicy& policy);

}  // namespace certme
