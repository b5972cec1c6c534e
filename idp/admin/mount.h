// Assembly of the administration console inside a bridge (idp_server.cc):
// the test environment is this bridge (its Store, its public URL); the
// production environment is the production bridge's Store opened from
// admin.production_store_path.
#pragma once

#include <functional>
#include <memory>

#include "common/status.h"
#include "idp/admin/accounts.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/console.h"
#include "idp/admin/dynamic_registration.h"
#include "idp/admin/initial_access_tokens.h"
#include "idp/admin/service_admin.h"
#include "config/config.h"

namespace certme {
class Router;
class Store;
class ClaimsCatalogue;

struct AdminMount {
  std::unique_ptr<Store> production_store;  // null without production
  std::unique_ptr<admin::AuditLog> audit;
  std::unique_ptr<admin::AdminAccounts> accounts;
  std::unique_ptr<admin::ServiceAdmin> services;
  std::unique_ptr<admin::AdminConsole> console;
  std::unique_ptr<admin::InitialAccessTokens> initial_tokens;
  // /register (RFC 7591/7592), when oidc.registration_enabled.
  std::unique_ptr<admin::DynamicRegistration> registration;
};

// `open_store` opens the store a configuration names (the server's own
// opener), for admin.production_config_file. `provider_account` (hub mode;
// may be empty) shows and creates the services' ledger accounts in the test
// environment (this bridge's store and ledger). Production accounts are the
// production bridge's (its KEK, its ledger): it shows them in its log.
StatusOr<std::unique_ptr<AdminMount>> MountAdmin(
    const Config& config, Store& store, const ClaimsCatalogue& catalogue, Router& router,
    const std::function<StatusOr<std::unique_ptr<Store>>(const Config&)>& open_store,
    std::function<std::optional<admin::ProviderAccount>(std::string_view, bool)> provider_account = {});

// The account options a Config asks for (server and CLI agree on them).
admin::AccountOptions AdminAccountOptions(const Config& config);

}  // namespace certme
