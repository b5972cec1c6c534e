#include "idp/admin/mount.h"

#include <filesystem>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "idp/http/router.h"
#include "store/store.h"
#include "store/sqlite/sqlite_store.h"

namespace certme {

admin::AccountOptions AdminAccountOptions(const Config& c) {
  admin::AccountOptions o;
  o.session_idle_seconds = c.admin.session_idle_seconds;
  o.session_max_seconds = c.admin.session_max_seconds;
  o.lockout_failures = c.admin.lockout_failures;
  o.lockout_seconds = c.admin.lockout_seconds;
  o.max_concurrent_hashes = c.admin.max_concurrent_hashes;
  o.sign_ins_per_minute_per_address = c.admin.sign_ins_per_minute_per_address;
  o.sign_in_burst_per_address = c.admin.sign_in_burst_per_address;
  o.anonymous_failures_audited_per_minute = c.admin.anonymous_failures_audited_per_minute;
  o.api_token_default_ttl_seconds = c.admin.api_token_default_ttl_seconds;
  o.api_token_max_ttl_seconds = c.admin.api_token_max_ttl_seconds;
  return o;
}

StatusOr<std::unique_ptr<AdminMount>> MountAdmin(
    const Config& c, Store& store, const ClaimsCatalogue& catalogue, Router& router,
    const std::function<StatusOr<std::unique_ptr<Store>>(const Config&)>& open_store,
    std::function<std::optional<admin::ProviderAccount>(std::string_view, bool)> provider_account) {
  auto m = std::make_unique<AdminMount>();
  std::optional<admin::Environment> production;
  if (!c.admin.production_config_file.empty()) {
    // The production bridge's file as that bridge reads it, without this
    // process's CERTME_* overrides (they configure the test bridge); other
    // variables (secrets named by *_env fields) still resolve.
    EnvLookup env = [sys = SystemEnv()](std::string_view name) -> std::optional<std::string> {
      if (name.rfind("CERTME_", 0) == 0) return std::nullopt;
      return sys(name);
    };
    auto pc = LoadConfig(c.admin.production_config_file, env);
    if (!pc.ok())
      return InvalidArgument("admin.production_config_file: " + pc.status().message());
    if (pc->store.backend == kStoreBackendMemory)
      return InvalidArgument("admin.production_config_file: its store is \"memory\", private to that process");
    if (pc->server.public_url == c.server.public_url)
      return InvalidArgument("admin.production_config_file: names this bridge (same server.public_url)");
    std::error_code ec;
    if (pc->store.backend == kStoreBackendSqlite && c.store.backend == kStoreBackendSqlite &&
        std::filesystem::weakly_canonical(pc->store.sqlite.path, ec) ==
            std::filesystem::weakly_canonical(c.store.sqlite.path, ec))
      return InvalidArgument("admin.production_config_file: its store is this bridge's own; production needs its own");
    auto opened = open_store(*pc);
    if (!opened.ok())
      return FailedPrecondition("admin.production_config_file: cannot open its store: " + opened.status().message());
    m->production_store = std::move(*opened);
    production = admin::Environment{std::string(admin::kEnvProduction), pc->server.public_url,
                                    m->production_store.get()};
  } else if (!c.admin.production_store_path.empty()) {
    std::error_code ec;
    auto a = std::filesystem::weakly_canonical(c.admin.production_store_path, ec);
    auto b = std::filesystem::weakly_canonical(c.store.sqlite.path, ec);
    if (c.store.backend == kStoreBackendSqlite && a == b)
      return InvalidArgument("admin.production_store_path: is this bridge's own store; production needs its own");
    SqliteStoreOptions so;
    so.path = c.admin.production_store_path;
    so.sync_full = true;
    so.read_connections = 1;
    auto opened = NewSqliteStore(so);
    if (!opened.ok())
      return FailedPrecondition("admin.production_store_path: cannot open " + so.path + ": " +
                                opened.status().message());
    m->production_store = std::move(*opened);
    production = admin::Environment{std::string(admin::kEnvProduction), c.admin.production_public_url,
                                    m->production_store.get()};
  }
  m->audit = std::make_unique<admin::AuditLog>(store, SystemClock());
  m->accounts = std::make_unique<admin::AdminAccounts>(AdminAccountOptions(c), store, *m->audit, SystemClock(),
                                                       SystemRandom());
  admin::Environment test{std::string(admin::kEnvTest), c.server.public_url, &store, std::move(provider_account)};

  m->services = std::make_unique<admin::ServiceAdmin>(store, test, production, catalogue, *m->audit, SystemClock(),
                                                      SystemRandom());
  admin::ConsoleOptions co;
  co.dev_mode = c.dev_mode;
  co.max_form_bytes = static_cast<size_t>(c.server.max_body_bytes);
  co.promotion_requires_second_person = c.admin.promotion_requires_second_person;
  // The files were read once at start-up already (idp_server.cc,
  // saml_mount.cc); the console lists what they hold, read-only.
  auto files = admin::LoadFileServices(c.oidc.dev_clients_file, c.saml.enabled ? c.saml.dev_services_file : "");
  if (!files.ok()) return files.status();
  co.file_services = std::move(*files);
  m->console = std::make_unique<admin::AdminConsole>(co, *m->accounts, *m->services, *m->audit);
  m->console->Mount(router);
  m->initial_tokens = std::make_unique<admin::InitialAccessTokens>(store, *m->audit, SystemClock(), SystemRandom());
  if (c.oidc.registration_enabled) {
    admin::DynamicRegistrationOptions ro;
    ro.issuer = c.server.public_url;
    ro.dev_mode = c.dev_mode;
    ro.requests_per_minute_per_address = c.oidc.registration_requests_per_minute_per_address;
    ro.registrations_per_minute_per_token = c.oidc.registration_requests_per_minute_per_token;
    m->registration = std::make_unique<admin::DynamicRegistration>(ro, *m->initial_tokens, *m->services, catalogue,
                                                                   SystemClock(), SystemRandom());
    m->registration->Mount(router);
    LogInfo("dynamic client registration on", {{"endpoint", c.server.public_url + "/register"}});
  }
  auto users = m->accounts->ListUsers();
  LogInfo("administration console mounted",
          {{"url", c.server.public_url + "/admin"},
           {"production", production ? production->public_url : "none"},
           {"administrators", users.ok() ? users->size() : 0}});
  if (users.ok() && users->empty())
    LogWarn("no console administrator yet: create one with `certme admin create-user NAME`");
  if (c.admin.promotion_requires_second_person && production)
    LogInfo("promotion to production needs a request and another approver's approval");
  return m;
}

}  // namespace certme
