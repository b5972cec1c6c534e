// The field table: one row per configuration field. Order here is the order
// of config/certme.yaml; fields of one section stay together.
//
// Adding a field: a member with its default in config.h, a row here, then
// regenerate config/certme.yaml (see config/README.md).
#include "config/config_table.h"

namespace certme::config_internal {

const std::vector<Section>& ConfigSections() {
  static const std::vector<Section> kSections = {
      {"server", "HTTP listener and the bridge's public identity."},
      {"store",
       "Where sessions, one-time codes, replay caches and the service registry are kept."},
      {"store.sqlite", "Settings of the sqlite backend."},
      {"store.redis",
       "Settings of the redis backend (state shared by several replicas; docs/SCALING.md)."},
      {"keys", "Signing keys for ID tokens (JWS) and SAML messages (XML-DSig)."},
      {"oidc", "OpenID Connect provider."},
      {"saml", "SAML 2.0 identity provider (MPass-compatible)."},
      {"login", "certME wallet login."},
      {"ledger", "The certME registry: validators, providers, eIDs and consented validations."},
      {"ledger.embedded", "Settings of the embedded ledger."},
      {"ledger.evm", "Settings of the EVM backend (a chain running the CertMeRegistry contract)."},
      {"admin", "Administration console: service registration, test and production, audit log."},
      {"logging", "Logs (secrets are never logged)."},
  };
  return kSections;
}

const std::vector<FieldDef<SigningKeyConfig>>& SigningKeyTable() {
  using K = SigningKeyConfig;
  static const std::vector<FieldDef<K>> kTable = [] {
    std::vector<FieldDef<K>> t = {
        StringField<K>("kid",
                       "Key ID, published in the JWKS and in each JWS header (RFC 7515 §4.1.4). "
                       "Required; unique among the keys.",
                       [](auto& k) -> auto& { return k.kid; }),
        ChoiceField<K>("alg",
                       "Signing algorithm; empty: every algorithm the key supports "
                       "(RSA: RS256 and PS256).",
                       {"", "RS256", "PS256", "ES256", "EdDSA"}, {},
                       [](auto& k) -> auto& { return k.alg; }),
        StringField<K>("pem_file",
                       "PEM file with the private key. Exactly one of pem_file and p12_file.",
                       [](auto& k) -> auto& { return k.pem_file; }),
        StringField<K>("p12_file", "PKCS#12 file with the private key.",
                       [](auto& k) -> auto& { return k.p12_file; }),
        StringField<K>("password_env",
                       "Name of the environment variable that holds the key's password. At most "
                       "one of password_env and password_file; the password itself never goes "
                       "in this file.",
                       [](auto& k) -> auto& { return k.password_env; }),
        StringField<K>("password_file",
                       "File whose first line is the key's password (a regular file, e.g. a "
                       "container secret).",
                       [](auto& k) -> auto& { return k.password_file; }),
        ChoiceField<K>("state",
                       "next: published in the JWKS, not yet used; active: signs; retired: "
                       "published for verification only. Rotate next → active → retired.",
                       {"next", "active", "retired"}, {},
                       [](auto& k) -> auto& { return k.state; }),
    };
    // Values shown in the reference's commented example entry.
    for (auto& f : t) {
      if (f.path == "kid") f.example = "\"2025-01\"";
      if (f.path == "alg") f.example = "\"ES256\"";
      if (f.path == "pem_file") f.example = "\"/etc/certme/keys/2025-01.pem\"";
      if (f.path == "state") f.example = "\"active\"";
    }
    return t;
  }();
  return kTable;
}

const std::vector<FieldDef<Config>>& ConfigTable() {
  using C = Config;
  static const std::vector<FieldDef<C>> kTable = {
      // server
      StringField<C>("server.address",
                     "Address the HTTP listener binds: an IP literal or a host name. Keep it on "
                     "loopback and put a TLS-terminating proxy (nginx, haproxy) in front.",
                     [](auto& c) -> auto& { return c.server.address; }),
      IntField<C>("server.port", "TCP port of the listener; 0 picks a free port.", 0, 65535,
                  [](auto& c) -> auto& { return c.server.port; }),
      IntField<C>("server.threads",
                  "HTTP worker threads. 0: automatic — one per core, or eight per core when "
                  "the store is sqlite with sync_full (handlers then mostly wait for fsync, and "
                  "only concurrent writes can share one) or redis (a round trip per store call, "
                  "and Redis's AOF fsync) or login.wallet_login is on (a first "
                  "wallet login waits for the validator's answer on the ledger).",
                  0, 256,
                  [](auto& c) -> auto& { return c.server.threads; }),
      StringField<C>("server.public_url",
                     "Externally visible base URL: scheme://host[:port][/path], no trailing "
                     "slash, no query. The OIDC issuer and the SAML entity IDs derive from it. "
                     "Must be https unless the host is loopback.",
                     [](auto& c) -> auto& { return c.server.public_url; }),
      IntField<C>("server.max_body_bytes",
                  "Largest request body accepted, in bytes. SAML HTTP-POST messages need about "
                  "1 MiB.",
                  4096, 64 << 20, [](auto& c) -> auto& { return c.server.max_body_bytes; }),
      ListField<C>("server.trusted_proxies",
                   "Proxies (IP or CIDR) whose X-Forwarded-* headers and forwarded client "
                   "certificates are believed. Empty: nobody's are.",
                   [](auto& c) -> auto& { return c.server.trusted_proxies; }),
      StringField<C>("server.client_cert_header",
                     "Header in which a trusted proxy forwards the TLS client certificate "
                     "(mTLS terminated at the proxy).",
                     [](auto& c) -> auto& { return c.server.client_cert_header; }),
      IntField<C>("server.shutdown_grace_seconds",
                  "Seconds in-flight requests get to finish after SIGTERM.", 0, 300,
                  [](auto& c) -> auto& { return c.server.shutdown_grace_seconds; }),
      IntField<C>("server.max_connections",
                  "Open connections at most; 0 = the process's descriptor limit minus 128. At the "
                  "cap, the connection that has waited longest for a request (an idle keep-alive "
                  "or a slow sender) is closed to make room; when all are busy the new one gets "
                  "503.",
                  0, 1 << 20, [](auto& c) -> auto& { return c.server.max_connections; }),
      IntField<C>("server.max_connections_per_address",
                  "Open connections per client address (the TCP peer; trusted proxies are "
                  "exempt); over it a new connection gets 429 and is closed. 0 = no cap.",
                  0, 1 << 20, [](auto& c) -> auto& { return c.server.max_connections_per_address; }),
      IntField<C>("server.requests_per_second_per_address",
                  "Requests per second per client address (through trusted proxies: the "
                  "forwarded address), refilled continuously; over it 429 with Retry-After. "
                  "/healthz, /readyz and /metrics are exempt. 0 = no limit (the reference nginx "
                  "site limits per address in front; 20 suits a bridge without one).",
                  0, 1000000, [](auto& c) -> auto& { return c.server.requests_per_second_per_address; }),
      IntField<C>("server.request_burst_per_address",
                  "Requests a client address may send at once above its per-second rate.", 1, 1000000,
                  [](auto& c) -> auto& { return c.server.request_burst_per_address; }),
      ListField<C>("server.metrics_allow",
                   "Clients (IP or CIDR) that may read /metrics; through server.trusted_proxies "
                   "the forwarded client address counts. Everyone else gets 403. Empty: nobody.",
                   [](auto& c) -> auto& { return c.server.metrics_allow; }),
      StringField<C>("server.metrics_address",
                     "Address of a second listener that serves only /metrics, /healthz and "
                     "/readyz (an internal interface for Prometheus); server.metrics_allow "
                     "applies there too, and the main listener then has no /metrics. Empty: "
                     "no second listener.",
                     [](auto& c) -> auto& { return c.server.metrics_address; }),
      IntField<C>("server.metrics_port", "TCP port of the metrics listener; 0 picks a free port.", 0, 65535,
                  [](auto& c) -> auto& { return c.server.metrics_port; }),
      StringField<C>("server.templates_dir",
                     "Folder of page templates that replace the built-in ones of the same "
                     "relative name (*.mustache, i18n/<lang>.json, static/certme.css; see "
                     "templates/README.md). Empty: the built-in pages. A template that does "
                     "not parse, or a catalogue missing a text, stops the start.",
                     [](auto& c) -> auto& { return c.server.templates_dir; }),

      // store
      ChoiceField<C>("store.backend",
                     "sqlite: durable, one machine. redis: shared by several replicas of the "
                     "bridge (store.redis). memory: lost on exit (tests).",
                     {kStoreBackendSqlite, kStoreBackendRedis, kStoreBackendMemory}, {},
                     [](auto& c) -> auto& { return c.store.backend; }),
      StringField<C>("store.sqlite.path",
                     "Database file, created if absent (WAL mode). Relative paths start at the "
                     "working directory.",
                     [](auto& c) -> auto& { return c.store.sqlite.path; }),
      BoolField<C>("store.sqlite.sync_full",
                   "true: every commit is fsynced, so an acknowledged write survives power loss. "
                   "false: it survives a crash or kill -9 of the process, but the last commits "
                   "before a power loss may roll back; several times faster when few requests "
                   "write at once.",
                   [](auto& c) -> auto& { return c.store.sqlite.sync_full; }),
      StringField<C>("store.redis.address",
                     "host:port of the Redis primary; used when neither store.redis.socket nor "
                     "store.redis.sentinels is set. hiredis has no TLS: keep Redis on loopback "
                     "or a private network.",
                     [](auto& c) -> auto& { return c.store.redis.address; }),
      StringField<C>("store.redis.socket",
                     "Unix socket path of the Redis primary; wins over address and sentinels.",
                     [](auto& c) -> auto& { return c.store.redis.socket; }),
      ListField<C>("store.redis.sentinels",
                   "Sentinels (host:port each) asked, in order, where the primary of "
                   "sentinel_master is; asked again after a connection fails, so a failover is "
                   "followed. Wins over address.",
                   [](auto& c) -> auto& { return c.store.redis.sentinels; }),
      StringField<C>("store.redis.sentinel_master",
                     "Name under which the sentinels monitor the primary.",
                     [](auto& c) -> auto& { return c.store.redis.sentinel_master; }),
      StringField<C>("store.redis.username",
                     "ACL user (Redis 6+); empty: the default user.",
                     [](auto& c) -> auto& { return c.store.redis.username; }),
      StringField<C>("store.redis.password_env",
                     "Name of the environment variable that holds the Redis password. At most "
                     "one of password_env and password_file; neither: no AUTH. The password "
                     "itself never goes in this file.",
                     [](auto& c) -> auto& { return c.store.redis.password_env; }),
      StringField<C>("store.redis.password_file",
                     "File whose first line is the Redis password.",
                     [](auto& c) -> auto& { return c.store.redis.password_file; }),
      IntField<C>("store.redis.db", "Database number (SELECT).", 0, 15,
                  [](auto& c) -> auto& { return c.store.redis.db; }),
      StringField<C>("store.redis.prefix",
                     "Prefix of every Redis key, so that deployments can share one Redis. "
                     "Replicas of one deployment must use the same prefix.",
                     [](auto& c) -> auto& { return c.store.redis.prefix; }),
      IntField<C>("store.redis.max_connections",
                  "Pooled connections to Redis; 0: one per HTTP worker thread plus four.", 0,
                  1024, [](auto& c) -> auto& { return c.store.redis.max_connections; }),
      IntField<C>("store.redis.timeout_ms",
                  "Bound on connecting and on each command, in milliseconds, and on the total "
                  "time one request may wait for Redis (all its store calls together): a Redis "
                  "that is down or stalled fails the request (503 with Retry-After) within "
                  "about this long, never hangs it.",
                  50, 60000, [](auto& c) -> auto& { return c.store.redis.timeout_ms; }),
      IntField<C>("store.redis.replicas_to_wait",
                  "Replicas that must have each write before the bridge acknowledges it (Redis "
                  "WAIT): 0 for a single Redis; set 1 in production with a replica and "
                  "Sentinel, so that a failover never loses an acknowledged write nor makes a "
                  "spent code or a rotated refresh token usable again. Fewer replicas within "
                  "wait_timeout_ms: the request fails with 503. Pair it with "
                  "min-replicas-to-write on the primary (docs/SCALING.md).",
                  0, 16, [](auto& c) -> auto& { return c.store.redis.replicas_to_wait; }),
      IntField<C>("store.redis.wait_timeout_ms",
                  "How long a write waits for replicas_to_wait replicas, in milliseconds; "
                  "also bounded by timeout_ms per request.",
                  1, 60000, [](auto& c) -> auto& { return c.store.redis.wait_timeout_ms; }),

      // keys
      RecordsField<C, SigningKeyConfig>(
          "keys.signing",
          "Signing keys. Empty: development keys are generated in keys.dev_key_dir, which is "
          "allowed in dev mode only (started without a configuration file).",
          &SigningKeyTable, [](auto& c) -> auto& { return c.keys.signing; }),
      StringField<C>("keys.dev_key_dir",
                     "Where development keys are generated and kept when keys.signing is empty.",
                     [](auto& c) -> auto& { return c.keys.dev_key_dir; }),
      StringField<C>("keys.kek_file",
                     "Key-encryption key (64 hex digits, `openssl rand -hex 32`, mode 0600) sealing "
                     "the signing keys kept in the store, which `certme keys` and the admin API roll "
                     "over without a restart; every replica reads the same file. Set: at the first "
                     "start keys.signing (and the SAML key) are copied into the store, which is "
                     "authoritative from then on. Empty: dev mode keeps one in keys.dev_key_dir; "
                     "otherwise keys.signing is used as it is and a rollover needs a restart.",
                     [](auto& c) -> auto& { return c.keys.kek_file; }),
      IntField<C>("keys.refresh_seconds",
                  "How often each replica reads the store's key set and applies a change.", 1, 3600,
                  [](auto& c) -> auto& { return c.keys.refresh_seconds; }),
      IntField<C>("keys.pre_publication_seconds",
                  "A key added with `certme keys add` is published (JWKS, SAML metadata) this long "
                  "before it may be promoted to sign, so relying parties that cache the JWKS or the "
                  "metadata know it in time. At least their cache lifetime.",
                  0, 30 * 86400, [](auto& c) -> auto& { return c.keys.pre_publication_seconds; }),
      IntField<C>("keys.retired_retention_seconds",
                  "A retired key stays in the JWKS this long for verification of the tokens it "
                  "signed; at least oidc.id_token_ttl_seconds.",
                  60, 30 * 86400, [](auto& c) -> auto& { return c.keys.retired_retention_seconds; }),

      // oidc
      IntField<C>("oidc.token_requests_per_second_per_client",
                  "Token requests per authenticated client per second (refilled continuously); "
                  "over it 429 slow_down with Retry-After, so one client cannot use up the "
                  "bridge. 0 = no limit.",
                  0, 1000000, [](auto& c) -> auto& { return c.oidc.token_requests_per_second_per_client; }),
      IntField<C>("oidc.token_burst_per_client",
                  "Token requests a client may send at once above its per-second rate.", 1, 1000000,
                  [](auto& c) -> auto& { return c.oidc.token_burst_per_client; }),
      IntField<C>("oidc.code_ttl_seconds",
                  "Lifetime of an authorization code (RFC 6749 §4.1.2: 10 minutes at most).", 1,
                  600, [](auto& c) -> auto& { return c.oidc.code_ttl_seconds; }),
      IntField<C>("oidc.par_ttl_seconds",
                  "Lifetime of a pushed authorization request's request_uri (RFC 9126 §2.2).", 10, 600,
                  [](auto& c) -> auto& { return c.oidc.par_ttl_seconds; }),
      BoolField<C>("oidc.device_authorization_enabled",
                   "Serve the OAuth 2.0 Device Authorization Grant (RFC 8628): "
                   "/device_authorization, the verification page /device and the "
                   "urn:ietf:params:oauth:grant-type:device_code grant, so a service can show the "
                   "login's QR code on its own page and poll for the result. Discovery names them "
                   "only when on.",
                   [](auto& c) -> auto& { return c.oidc.device_authorization_enabled; }),
      IntField<C>("oidc.device_code_ttl_seconds",
                  "Lifetime of a device_code and its user_code (expires_in, RFC 8628 §3.2).", 30, 1800,
                  [](auto& c) -> auto& { return c.oidc.device_code_ttl_seconds; }),
      IntField<C>("oidc.device_poll_interval_seconds",
                  "Seconds a client must wait between token requests for a device_code (interval); "
                  "polling faster is answered slow_down and adds 5 s (RFC 8628 §3.5).", 1, 60,
                  [](auto& c) -> auto& { return c.oidc.device_poll_interval_seconds; }),
      IntField<C>("oidc.user_code_attempts_per_minute",
                  "user_code look-ups at /device per client address per minute (also the burst); "
                  "over it 429 with Retry-After, so user codes cannot be guessed (RFC 8628 §5.1).",
                  1, 600, [](auto& c) -> auto& { return c.oidc.user_code_attempts_per_minute; }),
      BoolField<C>("oidc.registration_enabled",
                   "Serve dynamic client registration (RFC 7591) at /register and its management "
                   "(RFC 7592) at /register/{client_id}. Each registration needs an initial access "
                   "token issued by the console (docs/admin.md); a registered client lands on the "
                   "test environment like a console registration. Needs admin.enabled. Discovery "
                   "names registration_endpoint only when on.",
                   [](auto& c) -> auto& { return c.oidc.registration_enabled; }),
      IntField<C>("oidc.registration_requests_per_minute_per_address",
                  "Requests to /register and /register/{client_id} per client address per minute "
                  "(also the burst); over it 429 with Retry-After.",
                  1, 6000, [](auto& c) -> auto& { return c.oidc.registration_requests_per_minute_per_address; }),
      IntField<C>("oidc.registration_requests_per_minute_per_token",
                  "Registrations per initial access token per minute (also the burst); over it 429 "
                  "with Retry-After.",
                  1, 600, [](auto& c) -> auto& { return c.oidc.registration_requests_per_minute_per_token; }),
      IntField<C>("oidc.access_token_ttl_seconds", "Lifetime of an access token.", 60, 86400,
                  [](auto& c) -> auto& { return c.oidc.access_token_ttl_seconds; }),
      IntField<C>("oidc.id_token_ttl_seconds", "Lifetime of an ID token (its exp claim).", 60,
                  86400, [](auto& c) -> auto& { return c.oidc.id_token_ttl_seconds; }),
      IntField<C>("oidc.refresh_token_ttl_seconds", "Lifetime of a refresh token.", 60,
                  366 * 86400, [](auto& c) -> auto& { return c.oidc.refresh_token_ttl_seconds; }),
      ChoiceField<C>("oidc.default_subject_type",
                     "Subject identifier type for clients that do not ask for one (OIDC Core "
                     "§8). pairwise: each client sees a different sub for the same person.",
                     {kSubjectTypePairwise, kSubjectTypePublic}, {},
                     [](auto& c) -> auto& { return c.oidc.default_subject_type; }),
      StringField<C>("oidc.pairwise_salt_env",
                     "Name of the environment variable holding the salt of pairwise subject "
                     "identifiers (at least 16 characters; changing it changes every pairwise "
                     "sub). At most one of pairwise_salt_env and pairwise_salt_file; one is "
                     "required outside dev mode.",
                     [](auto& c) -> auto& { return c.oidc.pairwise_salt_env; }),
      StringField<C>("oidc.pairwise_salt_file", "File whose first line is the pairwise salt.",
                     [](auto& c) -> auto& { return c.oidc.pairwise_salt_file; }),
      StringField<C>("oidc.claims_file",
                     "Attribute catalogue: how each certME attribute is named in OIDC and SAML. Empty: "
                     "the catalogue built into the binary (config/claims.yaml of its source); a file "
                     "replaces it whole.",
                     [](auto& c) -> auto& { return c.oidc.claims_file; }),
      StringField<C>("oidc.dev_clients_file",
                     "YAML file of clients registered at start (development and tests). Empty: "
                     "none.",
                     [](auto& c) -> auto& { return c.oidc.dev_clients_file; }),

      // saml
      BoolField<C>("saml.enabled", "Serve the SAML 2.0 IdP (/saml/metadata, /saml/sso, /saml/slo).",
                   [](auto& c) -> auto& { return c.saml.enabled; }),
      StringField<C>("saml.signing_key_file",
                     "PEM RSA private key signing SAML messages and metadata. Empty: dev mode uses "
                     "the RS256 key of keys.* with a self-signed certificate.",
                     [](auto& c) -> auto& { return c.saml.signing_key_file; }),
      StringField<C>("saml.certificate_file", "PEM certificate of saml.signing_key_file.",
                     [](auto& c) -> auto& { return c.saml.certificate_file; }),
      StringField<C>("saml.signing_p12_file",
                     "Instead of signing_key_file and certificate_file: a PKCS#12 bundle with the RSA "
                     "key and its certificate. With keys.kek_file set, the start key only: "
                     "`certme keys --use saml` rolls it over.",
                     [](auto& c) -> auto& { return c.saml.signing_p12_file; }),
      StringField<C>("saml.signing_p12_password_env",
                     "Environment variable holding the password of saml.signing_p12_file; at most one "
                     "of this and signing_p12_password_file.",
                     [](auto& c) -> auto& { return c.saml.signing_p12_password_env; }),
      StringField<C>("saml.signing_p12_password_file",
                     "File whose first line is the password of saml.signing_p12_file.",
                     [](auto& c) -> auto& { return c.saml.signing_p12_password_file; }),
      IntField<C>("saml.assertion_ttl_seconds", "Lifetime of an assertion.", 30, 3600,
                  [](auto& c) -> auto& { return c.saml.assertion_ttl_seconds; }),
      IntField<C>("saml.session_ttl_seconds", "SSO session lifetime (SessionNotOnOrAfter).", 60,
                  7 * 86400, [](auto& c) -> auto& { return c.saml.session_ttl_seconds; }),
      IntField<C>("saml.clock_skew_seconds", "Tolerated clock difference for IssueInstant.", 0, 600,
                  [](auto& c) -> auto& { return c.saml.clock_skew_seconds; }),
      IntField<C>("saml.max_request_age_seconds", "Requests issued longer ago are refused.", 10,
                  3600, [](auto& c) -> auto& { return c.saml.max_request_age_seconds; }),
      IntField<C>("saml.logout_timeout_seconds",
                  "Single Logout: how long to wait for the other services' answers.", 1, 120,
                  [](auto& c) -> auto& { return c.saml.logout_timeout_seconds; }),
      BoolField<C>("saml.sha1_enabled", "Accept rsa-sha1 from services registered with allow_sha1.",
                   [](auto& c) -> auto& { return c.saml.sha1_enabled; }),
      StringField<C>("saml.technical_contact", "Technical contact e-mail published in the metadata.",
                     [](auto& c) -> auto& { return c.saml.technical_contact; }),
      StringField<C>("saml.dev_services_file",
                     "YAML file of SAML services registered at start (development and tests). "
                     "Empty: none.",
                     [](auto& c) -> auto& { return c.saml.dev_services_file; }),

      // login
      IntField<C>("login.transaction_ttl_seconds",
                  "How long a wallet login (its QR code) stays valid.", 30, 3600,
                  [](auto& c) -> auto& { return c.login.transaction_ttl_seconds; }),
      BoolField<C>("login.dev_login",
                   "Development login double: logs in without a wallet. Allowed in dev mode "
                   "only.",
                   [](auto& c) -> auto& { return c.login.dev_login; }),
      BoolField<C>("login.wallet_login",
                   "The certME wallet login: QR code, wallet API under /wallet/v1, "
                   "consent-gated validation on the ledger (ledger.* and its provider key). "
                   "Exclusive with login.dev_login.",
                   [](auto& c) -> auto& { return c.login.wallet_login; }),
      IntField<C>("login.code_ttl_seconds",
                  "How long one QR code (wallet request) stays valid.", 30, 3600,
                  [](auto& c) -> auto& { return c.login.code_ttl_seconds; }),
      StringField<C>("login.wallet_key_file",
                     "secp256k1 key file wallets encrypt attributes to (ECIES); created when "
                     "missing.",
                     [](auto& c) -> auto& { return c.login.wallet_key_file; }),

      // ledger
      ChoiceField<C>("ledger.backend",
                     "embedded: the registry's rules run in-process over a hash-chained, signed "
                     "log in a sqlite file (one machine, no other process). evm: the "
                     "CertMeRegistry contract on an EVM chain, over JSON-RPC (ledger.evm.*; "
                     "ledger.registry_address is then required).",
                     {kLedgerBackendEmbedded, kLedgerBackendEvm}, {},
                     [](auto& c) -> auto& { return c.ledger.backend; }),
      IntField<C>("ledger.chain_id",
                  "Chain id bound into every transaction and every consent (EIP-712 domain); "
                  "`certme ledger init` creates the registry with it. 0: the embedded ledger's own "
                  "id, 4503599627370495, beyond what wallets accept for an EVM chain, and its registry "
                  "address is one no contract can have (docs/ledger.md); with evm, the "
                  "node's chain id, whatever it is.",
                  0, int64_t{1} << 52, [](auto& c) -> auto& { return c.ledger.chain_id; }),
      StringField<C>("ledger.embedded.path",
                     "The embedded ledger's file, replayed and verified at every start "
                     "(`certme ledger init` creates it).",
                     [](auto& c) -> auto& { return c.ledger.embedded.path; }),
      BoolField<C>("ledger.embedded.sync_full",
                   "true: every entry is fsynced and survives power loss. false: survives a "
                   "crash of the process only.",
                   [](auto& c) -> auto& { return c.ledger.embedded.sync_full; }),
      StringField<C>("ledger.embedded.sequencer_key_file",
                     "The sequencer key file (secp256k1, mode 0600) that signs every entry and the "
                     "log's anchor; `certme ledger init` creates it. Keep it out of reach of whoever "
                     "can rewrite the ledger file.",
                     [](auto& c) -> auto& { return c.ledger.embedded.sequencer_key_file; }),
      StringField<C>("ledger.embedded.checkpoint_file",
                     "Optional file every signed anchor is appended to, on storage the ledger "
                     "file's attacker cannot rewrite; a log behind its newest line is refused.",
                     [](auto& c) -> auto& { return c.ledger.embedded.checkpoint_file; }),
      IntField<C>("ledger.embedded.max_clock_skew_seconds",
                  "Entries dated further ahead of this machine's clock are refused at open; a "
                  "writer whose clock is further behind the newest entry does not append.",
                  1, 86400, [](auto& c) -> auto& { return c.ledger.embedded.max_clock_skew_seconds; }),
      StringField<C>("ledger.evm.rpc_url",
                     "The node's JSON-RPC endpoint (http or https).",
                     [](auto& c) -> auto& { return c.ledger.evm.rpc_url; }),
      IntField<C>("ledger.evm.confirmations",
                  "Blocks a transaction or event must be buried under before it counts; 0 for "
                  "instant-finality networks (QBFT/IBFT).",
                  0, 1000, [](auto& c) -> auto& { return c.ledger.evm.confirmations; }),
      IntField<C>("ledger.evm.from_block",
                  "The block the registry was deployed in (printed by `certme ledger deploy`); "
                  "events are read from there on.",
                  0, int64_t{1} << 52, [](auto& c) -> auto& { return c.ledger.evm.from_block; }),
      IntField<C>("ledger.evm.log_block_range", "Blocks per eth_getLogs request.", 1, 1000000,
                  [](auto& c) -> auto& { return c.ledger.evm.log_block_range; }),
      IntField<C>("ledger.evm.poll_interval_ms",
                  "How often the chain head is polled while someone waits for events.", 10, 60000,
                  [](auto& c) -> auto& { return c.ledger.evm.poll_interval_ms; }),
      IntField<C>("ledger.evm.rpc_timeout_seconds", "Bound on one JSON-RPC request.", 1, 600,
                  [](auto& c) -> auto& { return c.ledger.evm.rpc_timeout_seconds; }),
      IntField<C>("ledger.evm.rpc_retries",
                  "Retries of a JSON-RPC request after a transport error (never after an error "
                  "the node answers).",
                  0, 20, [](auto& c) -> auto& { return c.ledger.evm.rpc_retries; }),
      IntField<C>("ledger.evm.receipt_timeout_seconds",
                  "How long a transaction may take to be mined and confirmed.", 1, 3600,
                  [](auto& c) -> auto& { return c.ledger.evm.receipt_timeout_seconds; }),
      BoolField<C>("ledger.evm.legacy_transactions",
                   "true: EIP-155 legacy transactions (chains without EIP-1559 fees); false: "
                   "EIP-1559, falling back to legacy when the chain has no base fee.",
                   [](auto& c) -> auto& { return c.ledger.evm.legacy_transactions; }),
      IntField<C>("ledger.evm.priority_fee_wei",
                  "Tip per gas in wei; -1 asks the node (eth_maxPriorityFeePerGas). Networks "
                  "without fees use 0.",
                  -1, int64_t{1} << 52, [](auto& c) -> auto& { return c.ledger.evm.priority_fee_wei; }),
      BoolField<C>("ledger.evm.cache_eid_status",
                   "Serve eID status reads (every login checks one) from memory, invalidated by "
                   "the registry's events: a change made elsewhere shows within about "
                   "poll_interval_ms. false: every read is an eth_call.",
                   [](auto& c) -> auto& { return c.ledger.evm.cache_eid_status; }),
      StringField<C>("ledger.registry_address",
                     "Registry address (0x…). embedded: the expected one (empty: whatever the "
                     "file holds; set it so that a wrong ledger file is refused). evm: the "
                     "contract's address (required).",
                     [](auto& c) -> auto& { return c.ledger.registry_address; }),
      StringField<C>("ledger.admin_key_file",
                     "Scheme administrator's secp256k1 key (JSON, mode 0600), used by `certme "
                     "ledger init` and `certme admin`.",
                     [](auto& c) -> auto& { return c.ledger.admin_key_file; }),
      StringField<C>("ledger.validator_key_file",
                     "This machine's validator key, used by `certme validator`.",
                     [](auto& c) -> auto& { return c.ledger.validator_key_file; }),
      StringField<C>("ledger.provider_key_file",
                     "The bridge's key as a service provider on the ledger, used by `certme "
                     "provider` and, in dedicated mode, by wallet login for every service: "
                     "certME JSON key file, hex, PEM (secp256k1 EC private key) or PKCS#12.",
                     [](auto& c) -> auto& { return c.ledger.provider_key_file; }),
      ChoiceField<C>("ledger.provider_accounts",
                     "dedicated: every service logs in with provider_key_file (a provider runs "
                     "its own bridge). hub: each registered service gets its own provider key, "
                     "created at registration (or at the first start for services registered "
                     "before) and kept in the store sealed under provider_kek_file; the scheme "
                     "administrator authorizes each service's address.",
                     {kProviderAccountsDedicated, kProviderAccountsHub}, {},
                     [](auto& c) -> auto& { return c.ledger.provider_accounts; }),
      StringField<C>("ledger.provider_kek_file",
                     "Hub mode: the key-encryption key of the provider key store, 64 hex digits "
                     "(`openssl rand -hex 32`, mode 0600). The bridge refuses to start when it is "
                     "missing or does not open the stored keys.",
                     [](auto& c) -> auto& { return c.ledger.provider_kek_file; }),
      StringField<C>("ledger.provider_key_password_env",
                     "Dedicated mode with a PKCS#12 provider_key_file: the environment variable "
                     "holding its password (empty: no password).",
                     [](auto& c) -> auto& { return c.ledger.provider_key_password_env; }),
      IntField<C>("ledger.answer_timeout_seconds",
                  "How long a provider waits for the validator's answer to a validation request.",
                  1, 3600, [](auto& c) -> auto& { return c.ledger.answer_timeout_seconds; }),
      IntField<C>("ledger.consent_ttl_seconds",
                  "Lifetime of a consent the reference wallet signs (`certme wallet consent`).", 10,
                  86400, [](auto& c) -> auto& { return c.ledger.consent_ttl_seconds; }),

      // admin
      BoolField<C>("admin.enabled",
                   "Serve the administration console (/admin pages and the /admin/api/v1 JSON "
                   "API) on this bridge, which is then the test environment. Create the first "
                   "account with `certme admin create-user NAME`.",
                   [](auto& c) -> auto& { return c.admin.enabled; }),
      IntField<C>("admin.session_idle_seconds", "A console session unused this long ends.", 60, 86400,
                  [](auto& c) -> auto& { return c.admin.session_idle_seconds; }),
      IntField<C>("admin.session_max_seconds", "A console session ends this long after sign-in.", 300,
                  7 * 86400, [](auto& c) -> auto& { return c.admin.session_max_seconds; }),
      IntField<C>("admin.lockout_failures",
                  "Consecutive failed sign-ins that lock a console account.", 1, 100,
                  [](auto& c) -> auto& { return c.admin.lockout_failures; }),
      IntField<C>("admin.lockout_seconds", "How long a locked console account stays locked.", 1, 86400,
                  [](auto& c) -> auto& { return c.admin.lockout_seconds; }),
      IntField<C>("admin.max_concurrent_hashes",
                  "Password checks (Argon2id) running at once; sign-ins over it get 429 with "
                  "Retry-After instead of queueing.",
                  1, 256, [](auto& c) -> auto& { return c.admin.max_concurrent_hashes; }),
      IntField<C>("admin.sign_ins_per_minute_per_address",
                  "Console sign-ins per client address per minute (refilled continuously); over "
                  "it 429 before any password check. 0 = no limit.",
                  0, 100000, [](auto& c) -> auto& { return c.admin.sign_ins_per_minute_per_address; }),
      IntField<C>("admin.sign_in_burst_per_address",
                  "Sign-ins a client address may make at once above its per-minute rate.", 1, 100000,
                  [](auto& c) -> auto& { return c.admin.sign_in_burst_per_address; }),
      IntField<C>("admin.anonymous_failures_audited_per_minute",
                  "Failed sign-ins of unknown user names written to the audit log per minute, all "
                  "clients together; the rest are counted in one entry. 0 = every one.",
                  0, 100000, [](auto& c) -> auto& { return c.admin.anonymous_failures_audited_per_minute; }),
      IntField<C>("admin.api_token_default_ttl_seconds",
                  "Lifetime of a console API token whose creator names none (30 days).", 60,
                  10 * 365 * 86400, [](auto& c) -> auto& { return c.admin.api_token_default_ttl_seconds; }),
      IntField<C>("admin.api_token_max_ttl_seconds",
                  "Longest lifetime a console API token may be given (90 days); a longer request is "
                  "refused. At least admin.api_token_default_ttl_seconds.",
                  60, 10 * 365 * 86400, [](auto& c) -> auto& { return c.admin.api_token_max_ttl_seconds; }),
      BoolField<C>("admin.promotion_requires_second_person",
                   "Promotion to production is a request (operator or approver) and an approval by "
                   "another console user with the approver role; the requester can never approve.",
                   [](auto& c) -> auto& { return c.admin.promotion_requires_second_person; }),
      StringField<C>("admin.production_store_path",
                     "The production bridge's sqlite store: promoted registrations are written "
                     "there. Empty: no production environment, promotion is refused.",
                     [](auto& c) -> auto& { return c.admin.production_store_path; }),
      StringField<C>("admin.production_public_url",
                     "The production bridge's public URL (its OIDC issuer and SAML base URL), "
                     "shown to providers. Required with admin.production_store_path.",
                     [](auto& c) -> auto& { return c.admin.production_public_url; }),
      StringField<C>("admin.production_config_file",
                     "Alternatively, the production bridge's own configuration file: promoted "
                     "registrations go to the store it names (sqlite or redis) and its "
                     "server.public_url is shown. CERTME_* variables of this process do not apply "
                     "to it. Exclusive with admin.production_store_path.",
                     [](auto& c) -> auto& { return c.admin.production_config_file; }),

      // logging
      ChoiceField<C>("logging.level", "Least severe level written.",
                     {"trace", "debug", "info", "warn", "error"}, {},
                     [](auto& c) -> auto& { return c.logging.level; }),
      BoolField<C>("logging.access_log", "One line per HTTP request.",
                   [](auto& c) -> auto& { return c.logging.access_log; }),
  };
  return kTable;
}

}  // namespace certme::config_internal
