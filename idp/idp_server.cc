#include "idp/idp_server.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/clock.h"
#include "common/log.h"
#include "templates/templates.h"
#include "common/random.h"
#include "common/wait_budget.h"
#include "idp/admin/mount.h"
#include "idp/ciba_mount.h"
#include "idp/device_status.h"
#include "idp/eid_watch.h"
#include "idp/http/server.h"
#include "idp/key_rollover.h"
#include "idp/keys.h"
#include "idp/keys_api.h"
#include "idp/login/dev_authenticator.h"
#include "idp/login/login_metrics.h"
#include "idp/login/access_records.h"
#include "idp/login/wallet_authenticator.h"
#include "idp/outbound/outbox.h"
#include "idp/provider_accounts.h"
#include "idp/provider_directory.h"
#include "idp/saml_mount.h"
#include "idp/site_pages.h"
#include "idp/timed_backends.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/redis/redis_store.h"
#include "ledger-client/embedded_ledger.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/provider.h"
#include "idp/signing/signing_mount.h"
#include "ledger-client/configured_ledger.h"
#include "ledger-client/key_file.h"

namespace certme {
namespace {

// Back-channel logout tokens leave through the Store-backed outbox, so a
// replica that dies with deliveries queued loses none (Back-Channel Logout
// 1.0 §2.5: form-encoded `logout_token`).
class OutboxLogoutNotifier : public LogoutNotifier {
 public:
  explicit OutboxLogoutNotifier(Outbox& outbox) : outbox_(outbox) {}
  void PostLogoutToken(const std::string& client_id, const std::string& uri,
                       const std::string& logout_token) override {
    Status st = outbox_.Post({.url = uri, .body = EncodeUrlEncoded({{"logout_token", logout_token}})});
    if (!st.ok()) {
      LogWarn("back-channel logout not queued",
              {{"client_id", client_id}, {"uri", uri}, {"error", st.ToString()}});
    }
  }

 private:
  Outbox& outbox_;
};

// SAML LogoutRequests over SOAP (a suspended eID's sessions) leave through
// the same outbox (SAML Bindings §3.2.2.3: SOAP 1.1, text/xml, SOAPAction).
class OutboxSoapLogoutSender : public saml::SoapLogoutSender {
 public:
  explicit OutboxSoapLogoutSender(Outbox& outbox) : outbox_(outbox) {}
  void PostSoapLogout(const std::string& entity_id, const std::string& url, const std::string& envelope) override {
    Status st = outbox_.Post({.url = url,
                              .body = envelope,
                              .content_type = "text/xml; charset=utf-8",
                              .soap_action = "http://www.oasis-open.org/committees/security"});
    if (!st.ok())
      LogWarn("SOAP logout not queued", {{"issuer", entity_id}, {"uri", url}, {"error", st.ToString()}});
  }

 private:
  Outbox& outbox_;
};

// The login step when no authenticator is configured (the wallet login is
// not part of this build yet, and the development double is off): every
// login ends on a clear page instead of hanging.
// A browser logged in through both fronts: the SAML IdP's logout also ends
// the OIDC session (its grants, its back-channel logouts). Issue 6, mixed session.
class OidcSessionLogoutHook : public saml::SessionLogoutHook {
 public:
  explicit OidcSessionLogoutHook(OidcProvider& oidc) : oidc_(oidc) {}
  std::string LinkedSessionId(const HttpRequest& req) override { return oidc_.SessionSid(req); }
  void EndOtherSessions(const HttpRequest& req, const std::vector<std::string>& linked) override {
    for (const auto& sid : linked) oidc_.EndSessionBySid(sid);
    // The logout request's own cookie (same-site requests such as our
    // logout page carry it), in case that session was never linked.
    if (std::string sid = oidc_.SessionSid(req); !sid.empty()) oidc_.EndSessionBySid(sid);
  }

 private:
  OidcProvider& oidc_;
};

// The other direction: an OIDC RP-initiated logout continues on the SAML
// IdP's logout page, which sends LogoutRequests to the browser's services.
class SamlOtherProtocolLogout : public OtherProtocolLogout {
 public:
  explicit SamlOtherProtocolLogout(saml::SamlIdp& idp) : idp_(idp) {}
  std::string ContinueLogout(const HttpRequest& req, const std::string& sid,
                             const std::string& return_url) override {
    return idp_.LogoutFromOtherProtocol(req, sid, return_url);
  }

 private:
  saml::SamlIdp& idp_;
};

class NoLoginAuthenticator : public Authenticator {
 public:
  HttpResponse Begin(const LoginRequest&) override {
    return HttpResponse::Html(
        503,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>certME</title></head>"
        "<body><h1>Conectare cu certME</h1><p>Login is not available on this server: no login "
        "method is configured. Please try again later.</p></body></html>");
  }
};

int EffectiveThreads(const Config& c);

StatusOr<std::unique_ptr<Store>> OpenRedisStore(const Config& c) {
  const RedisConfig& r = c.store.redis;
  RedisStoreOptions o;
  o.unix_socket = r.socket;
  o.sentinels = r.sentinels;
  o.sentinel_master = r.sentinel_master;
  if (size_t colon = r.address.rfind(':'); colon != std::string::npos) {
    o.host = r.address.substr(0, colon);
    o.port = std::atoi(r.address.c_str() + colon + 1);
  }
  o.username = r.username;
  o.password = r.password;
  o.db = r.db;
  o.prefix = r.prefix;
  o.max_connections = r.max_connections > 0 ? r.max_connections : EffectiveThreads(c) + 4;
  o.connect_timeout = o.command_timeout = std::chrono::milliseconds(r.timeout_ms);
  o.replicas_to_wait = r.replicas_to_wait;
  o.wait_timeout = std::chrono::milliseconds(r.wait_timeout_ms);
  auto s = NewRedisStore(o);
  if (!s.ok())
    return Status(s.status().code(), "store.redis: " + s.status().message(), s.status().detail());
  return s;
}

StatusOr<std::unique_ptr<Store>> OpenStore(const Config& c) {
  if (c.store.backend == kStoreBackendMemory) return NewMemoryStore();
  if (c.store.backend == kStoreBackendRedis) return OpenRedisStore(c);
  SqliteStoreOptions o;
  o.path = c.store.sqlite.path;
  o.sync_full = c.store.sqlite.sync_full;
  return NewSqliteStore(o);
}

// Development pairwise salt: random once, kept beside the development keys
// so pairwise subjects stay stable across restarts.
StatusOr<Secret> DevPairwiseSalt(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto path = std::filesystem::path(dir) / "dev-pairwise-salt";
  std::string salt;
  if (std::ifstream in(path); in) std::getline(in, salt);
  if (salt.size() < 32) {
    salt = SystemRandom().Token(32);
    std::ofstream out(path, std::ios::trunc);
    if (!out) return Unavailable("cannot write " + path.string());
    out << salt << "\n";
    out.close();
    chmod(path.c_str(), 0600);
  }
  return Secret(salt);
}

// server.threads 0 = automatic (see the field's comment in config.h).
int EffectiveThreads(const Config& c) {
  if (c.server.threads > 0) return c.server.threads;
  int cores = std::max(1u, std::thread::hardware_concurrency());
  // Redis: every store call is a network round trip, and a write waits for
  // the server's AOF fsync (appendfsync always), which Redis shares among
  // the clients of one event-loop turn: store_bench's redis Put rows scale
  // with the number of concurrent callers.
  bool waits_for_fsync = (c.store.backend == kStoreBackendSqlite && c.store.sqlite.sync_full) ||
                         c.store.backend == kStoreBackendRedis;
  // A first wallet login holds its thread until the validator answers on
  // the ledger (docs/PERFORMANCE.md, wallet login).
  bool waits_for_validator = c.login.wallet_login;
  return waits_for_fsync || waits_for_validator ? 8 * cores : cores;
}

// The wallet login's parts: the ledger (watched, so the validator daemon's
// answers wake the waiting login), the bridge's provider key and the ECIES
// key wallets encrypt to (created on first start).
StatusOr<std::unique_ptr<Ledger>> OpenWalletLedger(const Config& c) {
  auto l = OpenConfiguredLedger(c.ledger, /*watch=*/true);
  if (!l.ok() && c.ledger.backend != kLedgerBackendEvm && l.status().code() != StatusCode::kNotFound) {
    // The file is there but refused (damaged, cut, unanchored, rolled back,
    // no sequencer key): the reason names the file and the way forward.
    return FailedPrecondition("login.wallet_login: the ledger at " + c.ledger.embedded.path +
                              " does not open: " + l.status().message());
  }
  if (!l.ok()) {
    const std::string where = c.ledger.backend == kLedgerBackendEvm
                                  ? "the registry at " + c.ledger.evm.rpc_url + " (`certme ledger deploy`)"
                                  : "the ledger at " + c.ledger.embedded.path + " (`certme ledger init`)";
    return FailedPrecondition("login.wallet_login needs " + where + ": " + l.status().ToString());
  }
  return l;
}

StatusOr<EthKey> LoadOrCreateWalletKey(const std::string& path) {
  if (std::filesystem::exists(path)) return ReadServiceKeyFile(path);
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  EthKey key = EthKey::Generate();
  CERTME_RETURN_IF_ERROR(WriteServiceKeyFile(path, key));
  LogInfo("created the wallet login key", {{"file", path}});
  return key;
}

std::vector<KeySpec> KeySpecs(const KeysConfig& k) {
  std::vector<KeySpec> out;
  for (const auto& s : k.signing)
    out.push_back({s.kid, s.alg, s.pem_file, s.p12_file, s.password_env, s.password_file, s.state});
  return out;
}

}  // namespace

struct IdpServer::Parts {
  Config config;
  // First: the timed Store and Ledger and every thread that records into
  // it go before it.
  std::shared_ptr<Metrics> metrics;
  std::unique_ptr<LoginMetrics> login_metrics;
  std::unique_ptr<Store> store;
  std::unique_ptr<KeySet> keys;
  ClaimsCatalogue catalogue;
  std::unique_ptr<ClientRegistry> clients;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<OutboxLogoutNotifier> notifier;
  std::unique_ptr<OutboxSoapLogoutSender> soap_sender;
  std::unique_ptr<Ledger> ledger;  // wallet login only
  std::unique_ptr<ProviderKeys> provider_keys;  // wallet login only
  // Access records' queue and submitter (wallet login only); after the
  // ledger and keys it uses, before the authenticator that feeds it.
  std::unique_ptr<AccessRecords> access_records;
  std::unique_ptr<ProviderDirectory> provider_directory;  // wallet login only
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<OidcProvider> oidc;
  std::unique_ptr<CibaMount> ciba;  // wallet login only; uses oidc and the authenticator
  std::unique_ptr<OidcSessionLogoutHook> saml_logout_hook;  // used by saml; declared before it
  std::unique_ptr<SamlMount> saml;
  std::unique_ptr<SamlOtherProtocolLogout> oidc_logout_to_saml;
  std::unique_ptr<signing::SigningMount> signing;  // wallet login only (docs/signing.md)
  // The Store's key set and its watcher; after the fronts it updates, so it
  // stops before them.
  ManagedSigningKeys managed_keys;
  // The live eID status and the suspension trigger (wallet login only);
  // declared after the fronts its watcher calls, so it stops before them.
  std::unique_ptr<LedgerEidStatus> eid_status;
  std::unique_ptr<AdminMount> admin;  // admin.enabled only
  std::shared_ptr<Router> router;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<HttpServer> metrics_http;  // server.metrics_address only
  bool shut_down = false;
};

StatusOr<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config) { return OpenStore(config); }

IdpServer::IdpServer(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
IdpServer::~IdpServer() { Shutdown(); }

uint16_t IdpServer::port() const { return parts_->http->port(); }
uint16_t IdpServer::metrics_port() const { return parts_->metrics_http ? parts_->metrics_http->port() : 0; }
const std::string& IdpServer::public_url() const { return parts_->config.server.public_url; }

void IdpServer::Shutdown() {
  if (!parts_ || parts_->shut_down) return;
  parts_->shut_down = true;
  // Parked long-polls and wallet answers are answered first, or the
  // graceful shutdown would wait its whole grace period for them.
  if (parts_->ciba) parts_->ciba->Drain();
  if (parts_->authenticator) parts_->authenticator->Drain();
  parts_->http->Shutdown();
  if (parts_->metrics_http) parts_->metrics_http->Shutdown();
  parts_->eid_status.reset();  // no more suspension logouts to queue
  parts_->outbox.reset();  // drains due deliveries; the rest stay queued in the Store
  parts_->access_records.reset();  // after the batch in flight; the rest stay queued
}

StatusOr<std::unique_ptr<IdpServer>> IdpServer::Start(const Config& config) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  const Config& c = p->config;

  // Pages render with the operator's templates from the first request on.
  if (!c.server.templates_dir.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto templates, TemplateSet::WithOverrides(c.server.templates_dir));
    InstallTemplates(std::move(templates));
  } else {
    InstallTemplates(TemplateSet::Builtin());
  }

  p->metrics = std::make_shared<Metrics>();
  p->login_metrics = NewLoginMetrics(*p->metrics);
  {
    CERTME_ASSIGN_OR_RETURN(auto store, OpenStore(c));
    p->store = NewTimedStore(std::move(store), *p->metrics);
  }

  if (!c.keys.signing.empty()) {
    CERTME_ASSIGN_OR_RETURN(p->keys, LoadKeySet(KeySpecs(c.keys), SystemEnv()));
  } else {
    CERTME_ASSIGN_OR_RETURN(p->keys, LoadOrCreateDevKeySet(c.keys.dev_key_dir));
  }
  // Rollover without restart: the Store's key set overrides the loaded keys.
  CERTME_ASSIGN_OR_RETURN(p->managed_keys, OpenManagedSigningKeys(c, *p->store, *p->keys));

  CERTME_ASSIGN_OR_RETURN(p->catalogue, ClaimsCatalogue::FileOrBuiltIn(c.oidc.claims_file));

  p->clients = NewStoreClientRegistry(*p->store);
  if (!c.oidc.dev_clients_file.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto list, LoadClientsFromYaml(c.oidc.dev_clients_file));
    for (const auto& client : list) CERTME_RETURN_IF_ERROR(p->clients->Put(client));
    LogInfo("registered clients from file",
            {{"file", c.oidc.dev_clients_file}, {"count", list.size()}});
  }

  p->router = std::make_shared<Router>();

  OutboxOptions outbox_options;
  Counter& outbound = p->metrics->NewCounter(
      "certme_outbound_posts_total",
      "Outbound deliveries (back-channel and SOAP logouts) this replica finished, by outcome.",
      {"outcome"});
  outbox_options.on_done = [metrics = p->metrics, &outbound](const std::string&, bool delivered, int, long) {
    outbound.Inc({delivered ? "delivered" : "dropped"});
  };
  // Every attempt, by result: what the retries hide from the outcome above.
  Counter& attempts = p->metrics->NewCounter(
      "certme_outbound_attempts_total",
      "Outbound delivery attempts this replica made, by result: ok (2xx), refused (other 4xx, final), "
      "server_error (5xx or 429, retried), transport_error (no answer, retried).",
      {"result"});
  outbox_options.on_attempt = [ok = attempts.Bind({"ok"}), refused = attempts.Bind({"refused"}),
                               server = attempts.Bind({"server_error"}),
                               transport = attempts.Bind({"transport_error"})](long status) {
    if (status == 0) transport->Inc();
    else if (status >= 200 && status < 300) ok->Inc();
    else if (status == 429 || status >= 500) server->Inc();
    else refused->Inc();
  };
  p->outbox = std::make_unique<Outbox>(*p->store, SystemClock(), SystemRandom(), outbox_options);
  // Read at scrape time from the Store: every replica's pending deliveries.
  p->metrics->NewCallbackGauge(
      "certme_outbound_queue_depth", "Outbound deliveries waiting in the Store queue (all replicas).", {},
      [parts = p.get()]() -> std::vector<std::pair<LabelValues, double>> {
        if (!parts->outbox) return {};
        auto n = parts->outbox->Pending();
        if (!n.ok()) return {};
        return {{{}, static_cast<double>(*n)}};
      });
  p->notifier = std::make_unique<OutboxLogoutNotifier>(*p->outbox);
  p->soap_sender = std::make_unique<OutboxSoapLogoutSender>(*p->outbox);

  // The wallet login, when it is the login step (the device login's status
  // for the service's own page needs it).
  WalletAuthenticator* wallet_login = nullptr;
  if (c.login.dev_login) {
    auto dev = std::make_unique<DevAuthenticator>(*p->store, c.server.public_url, SystemClock());
    dev->SetMetrics(p->login_metrics.get());
    dev->Mount(*p->router);
    p->authenticator = std::move(dev);
  } else if (c.login.wallet_login) {
    {
      CERTME_ASSIGN_OR_RETURN(auto ledger, OpenWalletLedger(c));
      p->ledger = NewTimedLedger(std::move(ledger), *p->metrics);
    }
    CERTME_ASSIGN_OR_RETURN(p->provider_keys, OpenProviderKeys(c, *p->store));
    CERTME_ASSIGN_OR_RETURN(EthKey ecies, LoadOrCreateWalletKey(c.login.wallet_key_file));
    WalletLoginOptions wo;
    wo.public_url = c.server.public_url;
    wo.code_ttl_seconds = c.login.code_ttl_seconds;
    wo.answer_timeout = std::chrono::seconds(c.ledger.answer_timeout_seconds);
    wo.consent_ttl_seconds = std::max<int64_t>(c.login.code_ttl_seconds + c.ledger.answer_timeout_seconds + 30,
                                               c.ledger.consent_ttl_seconds);
    auto wallet = std::make_unique<WalletAuthenticator>(wo, *p->store, *p->ledger, *p->provider_keys,
                                                        std::move(ecies), SystemClock(), SystemRandom());
    // Access records: queued at every login, submitted in the background
    // (docs/ledger.md "Access records"); the queue's length and lag in /metrics.
    AccessRecordsOptions ro;
    Gauge& queued = p->metrics->NewGauge("certme_access_records_queued",
                                         "Access records waiting in the Store queue for the ledger (all replicas).");
    Gauge& lag = p->metrics->NewGauge(
        "certme_access_records_oldest_age_seconds",
        "Age of the oldest access record this replica holds that is not yet on the ledger (0: none).");
    Counter& written = p->metrics->NewCounter("certme_access_records_total",
                                              "Access records this replica finished, by outcome.", {"outcome"});
    ro.on_pass = [metrics = p->metrics, &queued, &lag](size_t n, double age) {
      queued.Set(static_cast<double>(n));
      lag.Set(age);
    };
    ro.on_batch = [metrics = p->metrics, &written](std::string_view, size_t n, bool ok) {
      written.Inc({ok ? "written" : "dropped"}, static_cast<double>(n));
    };
    p->access_records = std::make_unique<AccessRecords>(*p->store, *p->ledger, *p->provider_keys, SystemClock(),
                                                        SystemRandom(), std::move(ro));
    wallet->SetAccessRecords(p->access_records.get());
    wallet->SetMetrics(p->login_metrics.get());
    wallet->Mount(*p->router);
    wallet_login = wallet.get();
    LogInfo("wallet login", {{"api", wallet->api_base()}});
    p->authenticator = std::move(wallet);
  } else {
    p->authenticator = std::make_unique<NoLoginAuthenticator>();
  }

  OidcOptions oo;
  oo.issuer = c.server.public_url;
  oo.code_ttl_seconds = c.oidc.code_ttl_seconds;
  oo.par_ttl_seconds = c.oidc.par_ttl_seconds;
  oo.device_authorization_enabled = c.oidc.device_authorization_enabled;
  oo.device_code_ttl_seconds = c.oidc.device_code_ttl_seconds;
  oo.device_poll_interval_seconds = c.oidc.device_poll_interval_seconds;
  oo.user_code_attempts_per_minute = c.oidc.user_code_attempts_per_minute;
  oo.device_status_uri = wallet_login != nullptr;
  oo.ciba_enabled = wallet_login != nullptr;  // CIBA logins wait in the wallet inbox
  oo.token_requests_per_second_per_client = c.oidc.token_requests_per_second_per_client;
  oo.token_burst_per_client = c.oidc.token_burst_per_client;
  oo.access_token_ttl_seconds = c.oidc.access_token_ttl_seconds;
  oo.id_token_ttl_seconds = c.oidc.id_token_ttl_seconds;
  oo.refresh_token_ttl_seconds = c.oidc.refresh_token_ttl_seconds;
  oo.login_ttl_seconds = c.login.transaction_ttl_seconds;
  oo.default_subject_type = c.oidc.default_subject_type;
  oo.dev_mode = c.dev_mode;
  oo.registration_enabled = c.oidc.registration_enabled && c.admin.enabled;
  if (!c.oidc.pairwise_salt.empty()) {
    oo.pairwise_salt = c.oidc.pairwise_salt;
  } else {
    CERTME_ASSIGN_OR_RETURN(oo.pairwise_salt, DevPairwiseSalt(c.keys.dev_key_dir));
  }
  CERTME_RETURN_IF_ERROR(ValidateOidcOptions(oo));
  p->oidc = std::make_unique<OidcProvider>(oo, *p->store, *p->keys, *p->clients, *p->authenticator,
                                           p->catalogue, *p->notifier, SystemClock(),
                                           SystemRandom());
  for (const auto& r : OidcProvider::Routes()) {
    OidcProvider* op = p->oidc.get();
    auto fn = r.handler;
    p->router->Handle(r.method, r.path, [op, fn](const HttpRequest& req) { return (op->*fn)(req); });
  }
  // The QR code on the service's own page (docs/oidc.md "The <certme-login> element").
  if (oo.device_authorization_enabled && wallet_login) MountDeviceStatus(*p->router, *p->oidc, *wallet_login);
  if (wallet_login)
    p->ciba = std::make_unique<CibaMount>(*p->router, *p->oidc, *wallet_login, *p->store, *p->ledger, *p->outbox);
  MountLoginComponent(*p->router);
  // Electronic signing (docs/signing.md): the provider API and the signing page.
  if (wallet_login)
    p->signing = signing::MountSigning(*p->router, c.server.public_url, *p->store, *p->clients, *p->oidc,
                                       *wallet_login, *p->ledger, *p->provider_keys);

  if (c.saml.enabled) {
    p->saml_logout_hook = std::make_unique<OidcSessionLogoutHook>(*p->oidc);
    std::optional<saml::SamlSigner> signer;
    if (p->managed_keys.watcher) signer = p->managed_keys.watcher->CurrentSamlSigner();
    if (!signer) {
      CERTME_ASSIGN_OR_RETURN(signer, LoadSamlSigner(c, *p->keys));
    }
    CERTME_ASSIGN_OR_RETURN(p->saml, MountSaml(c, *p->store, std::move(*signer), *p->authenticator,
                                               p->catalogue, oo.pairwise_salt, *p->router,
                                               p->saml_logout_hook.get()));
    p->oidc_logout_to_saml = std::make_unique<SamlOtherProtocolLogout>(*p->saml->idp);
    p->oidc->SetOtherProtocolLogout(p->oidc_logout_to_saml.get());
  }

  // The directory wallets resolve provider addresses with (names of the
  // services in the user's language, public keys for the access records).
  if (p->provider_keys) {
    p->provider_directory = std::make_unique<ProviderDirectory>(
        *p->clients, p->saml ? p->saml->services.get() : nullptr, *p->provider_keys, SystemClock());
    ProviderDirectory* dir = p->provider_directory.get();
    p->router->Handle("GET", kProviderDirectoryPath, [dir](const HttpRequest& r) { return dir->Handle(r); });
  }

  // Hub mode: every registered service has its provider key from the start
  // (registrations made before the upgrade, or from files, get theirs now).
  if (p->provider_keys && !p->provider_keys->Dedicated()) {
    std::vector<std::string> ids;
    CERTME_ASSIGN_OR_RETURN(auto clients, p->clients->List());
    for (const auto& client : clients) ids.push_back(client.client_id);
    if (p->saml) {
      CERTME_ASSIGN_OR_RETURN(auto sps, p->saml->services->List());
      for (const auto& sp : sps) ids.push_back(sp.entity_id);
    }
    CERTME_ASSIGN_OR_RETURN(size_t created, EnsureProviderKeys(*p->provider_keys, ids));
    LogInfo("provider accounts (hub mode)", {{"services", ids.size()}, {"created", created}});
  }

  // Every use of a wallet login checks its eID on the ledger, and a
  // suspension or revocation ends the eID's sessions at both fronts
  // (docs/oidc.md, docs/saml.md: live eID status).
  if (p->ledger) {
    p->eid_status = std::make_unique<LedgerEidStatus>(*p->ledger, SystemClock());
    p->oidc->SetEidStatusSource(p->eid_status.get());
    OidcProvider* op = p->oidc.get();
    p->eid_status->OnInactive([op](const std::string& eid) {
      auto ended = op->EndEidSessions(eid);
      if (!ended.ok()) LogError("oidc sessions of a suspended eID not ended", {{"detail", ended.status().ToString()}});
    });
    if (p->saml) {
      saml::SamlIdp* idp = p->saml->idp.get();
      idp->SetEidStatusSource(p->eid_status.get());
      idp->SetSoapLogoutSender(p->soap_sender.get());
      p->eid_status->OnInactive([idp](const std::string& eid) {
        auto ended = idp->EndEidSessions(eid);
        if (!ended.ok()) LogError("saml sessions of a suspended eID not ended", {{"detail", ended.status().ToString()}});
      });
    }
    p->eid_status->Start();
  }

  if (p->managed_keys.watcher) {
    if (p->saml) {
      SamlMount* mount = p->saml.get();
      p->managed_keys.watcher->SetSamlSink([mount](saml::SamlSigner s) { mount->SetSigner(std::move(s)); });
    }
    p->managed_keys.watcher->Start();
  }

  if (c.admin.enabled) {
    CERTME_ASSIGN_OR_RETURN(p->admin, MountAdmin(c, *p->store, p->catalogue, *p->router, OpenStore,
                                                 ConsoleProviderAccounts(p->provider_keys.get(), p->ledger.get())));
    if (p->managed_keys.store)
      MountKeysApi(*p->admin->console, *p->admin->audit, *p->router, *p->managed_keys.store,
                   RolloverPolicyFromConfig(c));
  }

  // When the certificates the bridge signs with run out (Prometheus alerts
  // two weeks ahead: config/prometheus/certme-alerts.yml).
  p->metrics->NewCallbackGauge(
      "certme_certificate_not_after_timestamp_seconds",
      "Expiry (notAfter, unix seconds) of the certificates the bridge signs with, by use.", {"use"},
      [parts = p.get()]() -> std::vector<std::pair<LabelValues, double>> {
        std::vector<std::pair<LabelValues, double>> out;
        if (parts->saml && parts->saml->signing_not_after > 0)
          out.push_back({{"saml_signing"}, static_cast<double>(parts->saml->signing_not_after)});
        return out;
      });

  MountSitePages(*p->router, {.public_url = c.server.public_url,
                              .saml = c.saml.enabled,
                              .wallet = !c.login.dev_login && c.login.wallet_login});

  Store* store = p->store.get();
  OpsOptions ops;
  CERTME_ASSIGN_OR_RETURN(ops.metrics_allow, IpMatcher::Parse(c.server.metrics_allow));
  ops.serve_metrics = c.server.metrics_address.empty();
  InstallOpsRoutes(*p->router, [store] { return store->Ping(); }, p->metrics, ops);

  HttpServerOptions ho;
  ho.address = c.server.address;
  ho.port = static_cast<uint16_t>(c.server.port);
  ho.threads = EffectiveThreads(c);
  ho.max_body_bytes = static_cast<size_t>(c.server.max_body_bytes);
  ho.trusted_proxies = c.server.trusted_proxies;
  ho.client_cert_header = c.server.client_cert_header;
  ho.dev_mode = c.dev_mode;
  ho.shutdown_grace = std::chrono::seconds(c.server.shutdown_grace_seconds);
  ho.max_connections = c.server.max_connections;
  ho.max_connections_per_address = c.server.max_connections_per_address;
  ho.requests_per_second_per_address = c.server.requests_per_second_per_address;
  ho.request_burst_per_address = c.server.request_burst_per_address;
  ho.access_log_enabled = c.logging.access_log;
  if (c.store.backend == kStoreBackendRedis)
    ho.backend_wait_budget = std::chrono::milliseconds(c.store.redis.timeout_ms);
  // One probe a second at most: while Redis is stalled each Ping waits for
  // the command timeout, and a burst of failing requests must not queue
  // behind a probe each.
  struct ProbeCache {
    std::atomic<int64_t> checked_ms{0};
    std::atomic<bool> down{false};
  };
  auto probe = std::make_shared<ProbeCache>();
  ho.backend_unavailable = [store, probe] {
    int64_t now = SystemClock().NowUnixMillis();
    int64_t last = probe->checked_ms.load();
    if (now - last < 1000 || !probe->checked_ms.compare_exchange_strong(last, now))
      return probe->down.load();
    {
      // The request already spent its own budget; the probe adds little.
      ScopedWaitBudget budget(std::chrono::milliseconds(250));
      probe->down = store->Ping().code() == StatusCode::kUnavailable;
    }
    return probe->down.load();
  };
  CERTME_ASSIGN_OR_RETURN(p->http, HttpServer::Start(ho, p->router, p->metrics));
  if (!c.server.metrics_address.empty()) {
    // The scrapers' own listener: the ops routes only, one worker, the same
    // allowlist, no per-address rate limit.
    auto ops_router = std::make_shared<Router>();
    ops.serve_metrics = true;
    InstallOpsRoutes(*ops_router, [store] { return store->Ping(); }, p->metrics, ops);
    HttpServerOptions mo;
    mo.address = c.server.metrics_address;
    mo.port = static_cast<uint16_t>(c.server.metrics_port);
    mo.threads = 1;
    mo.trusted_proxies = c.server.trusted_proxies;
    mo.dev_mode = c.dev_mode;
    mo.shutdown_grace = ho.shutdown_grace;
    mo.max_connections = 64;
    mo.max_connections_per_address = 16;
    mo.access_log_enabled = c.logging.access_log;
    mo.backend_wait_budget = ho.backend_wait_budget;  // the queue gauge reads the Store
    auto started = HttpServer::Start(mo, ops_router, p->metrics);
    if (!started.ok())
      return Status(started.status().code(), "server.metrics_address: " + started.status().message(),
                    started.status().detail());
    p->metrics_http = std::move(*started);
    LogInfo("metrics listener", {{"address", c.server.metrics_address}, {"port", p->metrics_http->port()}});
  }
  return std::unique_ptr<IdpServer>(new IdpServer(std::move(p)));
}

}  // namespace certme
