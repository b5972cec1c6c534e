// The bridge's configuration: one struct that documents itself (docs/ARCHITECTURE.md
// rule 8).
//
// Each field below carries its default in place. The operator-facing text,
// the YAML path, the type and the range of every field live in one table
// (config_fields.cc); the YAML loader, the environment overrides
// (CERTME_<PATH>), Validate()'s range checks and the reference file
// config/certme.yaml are all driven by that table, so a field is added in
// exactly two places: its member here and its row there. A test fails when
// config/certme.yaml drifts from RenderReferenceYaml().
//
// Sources, later ones winning: built-in defaults → YAML file → environment.
// Started without a file the bridge is in dev mode (Config::dev_mode), the only
// mode that allows the development login double.
//
// Secrets (key passwords, the pairwise salt) never appear as values in YAML or
// in CERTME_* variables: the file names an environment variable or a file
// that holds them, and the loader resolves them into `Secret` members, which
// print as "[redacted]".
//
// Thread-safety: a Config is a plain value; concurrent reads are safe. The
// functions below keep no state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "common/status.h"

namespace certme {

// Looks up an environment variable; nullopt when unset. Tests inject a map.
// (Same type as the one idp/keys.h declares; redeclaring an alias is legal.)
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process environment (std::getenv). Not safe against a concurrent
// setenv(), like getenv itself: call at start-up.
EnvLookup SystemEnv();

// Documents larger than this are refused before parsing.
inline constexpr size_t kMaxConfigBytes = 1 << 20;
// Nesting deeper than this is refused before parsing; the real schema is
// four levels deep (keys.signing[i].kid).
inline constexpr int kMaxConfigDepth = 32;

struct ServerConfig {
  // Address the HTTP listener binds (IP literal or host name). Loopback by
  // default: the bridge serves plain HTTP behind a TLS-terminating proxy
  // (docs/ARCHITECTURE.md, dependencies).
  std::string address = "127.0.0.1";
  // TCP port; 0 lets the kernel pick a free one (tests).
  int port = 8080;
  // HTTP worker threads; 0 = automatic: one per core, or eight per core
  // when the store is sqlite with sync_full (handlers then mostly wait for
  // fsync, and only concurrent writes can share one) or redis (a network
  // round trip per store call, and the server's fsync) or login.wallet_login is
  // on (a first login waits for the validator); see docs/PERFORMANCE.md.
  int threads = 0;
  // Externally visible base URL, scheme://host[:port][/path] without a
  // trailing slash. The OIDC issuer and the SAML entity IDs derive from it.
  std::string public_url = "http://127.0.0.1:8080";
  // Largest request body accepted, in bytes (SAML HTTP-POST needs ~1 MiB).
  int64_t max_body_bytes = 1 << 20;
  // Proxies (IP or CIDR) whose forwarding headers and forwarded client
  // certificates are believed. Empty: none are.
  std::vector<std::string> trusted_proxies;
  // Header in which a trusted proxy forwards the TLS client certificate.
  std::string client_cert_header = "X-SSL-Client-Cert";
  // Seconds in-flight requests get to finish after SIGTERM.
  int shutdown_grace_seconds = 10;
  // Open connections at most; 0 = the descriptor limit minus 128. At the
  // cap the connection waiting longest for a request is closed to make room.
  int max_connections = 0;
  // Open connections per client address (trusted proxies exempt); 0 = no cap.
  int max_connections_per_address = 256;
  // Requests per second per client address, with a burst; 0 = no limit.
  int requests_per_second_per_address = 0;
  int request_burst_per_address = 100;
  // Who may read /metrics: client addresses or CIDR blocks (through trusted
  // proxies: the forwarded address). Others get 403. Empty: nobody.
  std::vector<std::string> metrics_allow = {"127.0.0.1", "::1"};
  // A second listener that serves only /metrics, /healthz and /readyz (an
  // internal interface for Prometheus); the main listener then has no
  // /metrics. Empty: none.
  std::string metrics_address;
  // Its TCP port; 0 picks a free one (tests).
  int metrics_port = 9464;
  // Folder whose files replace the built-in page templates of the same
  // relative name (templates/ in the source tree: *.mustache, i18n/*.json,
  // static/certme.css). Empty: the built-in pages. Checked at start-up.
  std::string templates_dir;
};

struct SqliteConfig {
  // Database file (created if absent; WAL mode). Relative to the working
  // directory.
  std::string path = "var/certme.db";
  // true: every commit is fsynced (survives power loss). false: survives a
  // crash or kill -9 of the process but may lose the last commits on power
  // loss; several times faster when few requests write at once.
  bool sync_full = true;
};

inline constexpr char kStoreBackendSqlite[] = "sqlite";
inline constexpr char kStoreBackendMemory[] = "memory";
inline constexpr char kStoreBackendRedis[] = "redis";

struct RedisConfig {
  // host:port of the primary; used when neither socket nor sentinels is set.
  std::string address = "127.0.0.1:6379";
  // Unix socket path; wins over address and sentinels.
  std::string socket;
  // Sentinels ("host:port" each) asked for the primary of sentinel_master;
  // win over address.
  std::vector<std::string> sentinels;
  std::string sentinel_master = "certme";
  // ACL user (Redis 6+); empty: the default user.
  std::string username;
  // Environment variable holding the password; at most one of
  // password_env / password_file; neither: no AUTH.
  std::string password_env;
  // File whose first line is the password.
  std::string password_file;
  // Database number (SELECT).
  int db = 0;
  // Prefix of every key, so that deployments can share one Redis.
  std::string prefix = "certme:";
  // Pooled connections; 0: one per HTTP worker thread plus a few.
  int max_connections = 0;
  // Bound on connecting, on each command and on one request's total wait
  // for Redis, in milliseconds.
  int timeout_ms = 2000;
  // Replicas that must have a write before it is acknowledged (WAIT); 0:
  // none (a single Redis). Production with a replica and Sentinel: 1.
  int replicas_to_wait = 0;
  // How long a write waits for them, in milliseconds.
  int wait_timeout_ms = 500;

  // Resolved by the loader from password_env / password_file. Not a YAML
  // field.
  Secret password;
};

struct StoreConfig {
  // "sqlite" (durable, one machine), "redis" (shared by replicas) or
  // "memory" (lost on exit; tests).
  std::string backend = kStoreBackendSqlite;
  // Used when backend is "sqlite".
  SqliteConfig sqlite;
  // Used when backend is "redis".
  RedisConfig redis;
};

struct SigningKeyConfig {
  // Key ID published in the JWKS and the JWS header; unique.
  std::string kid;
  // "" (every algorithm the key supports), "RS256", "PS256", "ES256" or
  // "EdDSA".
  std::string alg;
  // PEM private key file; exactly one of pem_file / p12_file.
  std::string pem_file;
  // PKCS#12 file.
  std::string p12_file;
  // Environment variable holding the password; at most one of
  // password_env / password_file.
  std::string password_env;
  // File whose first line is the password.
  std::string password_file;
  // "next" (published, not used), "active" (signs) or "retired" (published
  // for verification only).
  std::string state = "active";

  // Resolved by the loader from password_env / password_file; empty when
  // neither is set. Not a YAML field.
  Secret password;
};

struct KeysConfig {
  // Configured signing keys. Empty: development keys in dev_key_dir (dev mode
  // only; Validate() refuses an empty list otherwise).
  std::vector<SigningKeyConfig> signing;
  // Where development keys are generated and kept.
  std::string dev_key_dir = "var/dev-keys";
  // Key-encryption key (64 hex digits) sealing the signing keys the bridge
  // keeps in the Store for rollover without restart (`certme keys`). Empty:
  // dev mode keeps one in dev_key_dir; otherwise no rollover through the
  // Store (keys.signing only, changed by a restart).
  std::string kek_file;
  // How often each replica reads the Store's key set.
  int refresh_seconds = 5;
  // A next key may be promoted this long after it was added.
  int pre_publication_seconds = 86400;
  // A retired key stays in the JWKS this long (>= oidc.id_token_ttl_seconds).
  int retired_retention_seconds = 3600;
};

inline constexpr char kSubjectTypePairwise[] = "pairwise";
inline constexpr char kSubjectTypePublic[] = "public";

struct OidcConfig {
  // Token requests per authenticated client per second, and the burst over
  // it; over them 429. 0: no limit.
  int token_requests_per_second_per_client = 0;
  int token_burst_per_client = 100;
  // Lifetime of an authorization code (RFC 6749 §4.1.2: at most 10 minutes).
  int code_ttl_seconds = 60;
  // Lifetime of a pushed authorization request's request_uri (RFC 9126 §2.2).
  int par_ttl_seconds = 60;
  // OAuth 2.0 Device Authorization Grant (RFC 8628): /device_authorization,
  // the verification page /device and the device_code grant.
  bool device_authorization_enabled = true;
  // Lifetime of a device_code and its user_code (expires_in).
  int device_code_ttl_seconds = 600;
  // Seconds a client waits between polls (interval); slow_down adds 5.
  int device_poll_interval_seconds = 5;
  // user_code look-ups per client address per minute (also the burst).
  int user_code_attempts_per_minute = 10;
  // Dynamic client registration (RFC 7591/7592) at /register, gated by the
  // console's initial access tokens; needs admin.enabled.
  bool registration_enabled = false;
  // Registration requests (with or without a valid token) per client
  // address per minute, and per initial access token per minute.
  int registration_requests_per_minute_per_address = 30;
  int registration_requests_per_minute_per_token = 10;
  // Lifetime of an access token.
  int access_token_ttl_seconds = 600;
  // Lifetime of an ID token (its exp claim, OIDC Core §2).
  int id_token_ttl_seconds = 600;
  // Lifetime of a refresh token: 30 days.
  int refresh_token_ttl_seconds = 30 * 24 * 3600;
  // Subject identifier type for clients that do not ask for one
  // (OIDC Core §8): "pairwise" or "public".
  std::string default_subject_type = kSubjectTypePairwise;
  // Environment variable holding the pairwise salt; at most one of
  // pairwise_salt_env / pairwise_salt_file. Required outside dev mode.
  std::string pairwise_salt_env;
  // File whose first line is the pairwise salt.
  std::string pairwise_salt_file;
  // Attribute catalogue (protocols/claims).
  std::string claims_file;
  // Clients to register at start (development and tests); "" = none.
  std::string dev_clients_file;

  // Resolved by the loader; empty when no source is set (dev mode: the caller
  // picks a development salt). Not a YAML field.
  Secret pairwise_salt;
};

struct SamlConfig {
  // Serve the SAML 2.0 IdP (/saml/metadata, /saml/sso, /saml/slo).
  bool enabled = true;
  // PEM private key (RSA) and certificate signing SAML messages and
  // metadata. Empty: development mode uses the RS256 key of keys.* and a
  // self-signed certificate kept in keys.dev_key_dir.
  std::string signing_key_file;
  std::string certificate_file;
  // Or a PKCS#12 bundle with the key and its certificate (as certME hands
  // keys out), its password from an environment variable or a file.
  std::string signing_p12_file;
  std::string signing_p12_password_env;
  std::string signing_p12_password_file;
  // Lifetime of an assertion (SubjectConfirmationData/Conditions NotOnOrAfter).
  int assertion_ttl_seconds = 300;
  // SSO session lifetime (SessionNotOnOrAfter).
  int session_ttl_seconds = 28800;
  // Tolerated clock difference for IssueInstant.
  int clock_skew_seconds = 60;
  // Requests whose IssueInstant is older than this are refused.
  int max_request_age_seconds = 300;
  // Single Logout: how long to wait for the other services' answers.
  int logout_timeout_seconds = 10;
  // Accept rsa-sha1 from services registered with allow_sha1.
  bool sha1_enabled = false;
  // Technical contact published in the metadata.
  std::string technical_contact;
  // Services registered at start (development and tests); "" = none.
  std::string dev_services_file;

  // Resolved by the loader from signing_p12_password_env / _file; empty
  // when neither is set. Not a YAML field.
  Secret signing_p12_password;
};

struct LoginConfig {
  // How long a wallet login transaction (QR code) stays valid.
  int transaction_ttl_seconds = 300;
  // Enables the development login double; Validate() refuses it outside dev
  // mode.
  bool dev_login = false;
  // Enables the certME wallet login (QR code, wallet API under /wallet/v1,
  // validation on the ledger). Exclusive with dev_login.
  bool wallet_login = false;
  // How long one QR code (wallet request) stays valid; a new one can be
  // asked for while the login lasts.
  int code_ttl_seconds = 120;
  // secp256k1 key file (JSON, mode 0600) wallets encrypt attributes to
  // (ECIES). Created when missing.
  std::string wallet_key_file = "var/ledger/wallet-login.key";
};

inline constexpr char kLedgerBackendEmbedded[] = "embedded";
inline constexpr char kLedgerBackendEvm[] = "evm";
// How the services' ledger accounts are held (docs/ledger.md).
inline constexpr char kProviderAccountsDedicated[] = "dedicated";
inline constexpr char kProviderAccountsHub[] = "hub";

struct EmbeddedLedgerConfig {
  // The ledger's sqlite file: an append-only, hash-chained log of signed
  // transactions, replayed and verified at start.
  std::string path = "var/ledger.db";
  // true: every entry is fsynced (survives power loss).
  bool sync_full = true;
  // The sequencer key (secp256k1, JSON, mode 0600) that signs every entry
  // and the anchor; `certme ledger init` creates it. Keep it where whoever
  // can rewrite the ledger file cannot read it (docs/ledger.md §4).
  std::string sequencer_key_file = "var/ledger/sequencer.key";
  // Optional: a file every signed anchor is appended to, kept where the
  // ledger file's attacker cannot rewrite it; a log behind it is refused.
  std::string checkpoint_file;
  // Entries dated further ahead of this machine's clock are refused; a
  // writer whose clock is further behind the newest entry does not append.
  int max_clock_skew_seconds = 300;
};

struct EvmLedgerConfig {
  // The node's JSON-RPC endpoint (geth, Besu, GoQuorum, anvil).
  std::string rpc_url = "http://127.0.0.1:8545";
  // Blocks a transaction or event must be buried under before it counts;
  // 0 for instant-finality networks (QBFT/IBFT).
  int64_t confirmations = 0;
  // The block the registry was deployed in (`certme ledger deploy` prints
  // it): events are read from there on.
  int64_t from_block = 0;
  // Blocks per eth_getLogs request.
  int64_t log_block_range = 2000;
  // How often the head is polled while waiting for events.
  int poll_interval_ms = 500;
  // Per JSON-RPC attempt, and retries on transport errors.
  int rpc_timeout_seconds = 10;
  int rpc_retries = 3;
  // How long a transaction may take to be mined (and confirmed).
  int receipt_timeout_seconds = 120;
  // EIP-155 legacy transactions instead of EIP-1559.
  bool legacy_transactions = false;
  // Tip per gas in wei; -1 = ask the node (eth_maxPriorityFeePerGas).
  int64_t priority_fee_wei = -1;
  // Serve eID status reads from memory, invalidated by the registry's
  // events (another process's change shows within about poll_interval_ms).
  bool cache_eid_status = true;
};

struct LedgerConfig {
  // "embedded" (in-process, one machine) or "evm" (a chain running the
  // CertMeRegistry contract, over JSON-RPC).
  std::string backend = kLedgerBackendEmbedded;
  // Chain id bound into every transaction and consent (EIP-712 domain).
  // 0 (unset): `certme ledger init` uses the embedded ledger's own id
  // (kEmbeddedDefaultChainId, beyond what wallets accept for an EVM chain), and the evm backend
  // takes the node's; set, the evm backend refuses a node serving another.
  int64_t chain_id = 0;
  EmbeddedLedgerConfig embedded;
  EvmLedgerConfig evm;
  // Expected registry address (0x…); empty: whatever the ledger holds.
  // Guards against pointing the programs at the wrong registry.
  std::string registry_address;
  // Key files (secp256k1, JSON, mode 0600) of the scheme administrator,
  // this machine's validator and the bridge as service provider.
  std::string admin_key_file = "var/ledger/admin.key";
  std::string validator_key_file = "var/ledger/validator.key";
  std::string provider_key_file = "var/ledger/provider.key";
  // "dedicated": every service speaks to the ledger with provider_key_file
  // (one provider runs its own bridge). "hub": each registered service has
  // its own key, created by the bridge and kept in the Store sealed under
  // provider_kek_file.
  std::string provider_accounts = kProviderAccountsDedicated;
  // Hub mode: the key-encryption key (64 hex digits, mode 0600).
  std::string provider_kek_file;
  // Dedicated mode with a PKCS#12 provider_key_file: the environment
  // variable holding its password.
  std::string provider_key_password_env;
  // How long a provider waits for a validator's answer.
  int answer_timeout_seconds = 30;
  // Default lifetime of a consent the reference wallet signs.
  int consent_ttl_seconds = 600;
};

struct AdminConfig {
  // Serve the administration console (/admin pages, /admin/api/v1) on this
  // bridge, which is then the test environment (docs/admin.md).
  bool enabled = false;
  // A console session unused this long ends; and this long after sign-in
  // however active.
  int session_idle_seconds = 900;
  int session_max_seconds = 8 * 3600;
  // Consecutive failed sign-ins that lock an account, and for how long.
  int lockout_failures = 5;
  int lockout_seconds = 900;
  // Password checks running at once (each costs its Argon2 memory and a
  // core's time); sign-ins over it get 429.
  int max_concurrent_hashes = 4;
  // Sign-ins per client address per minute, and the burst above it; 0: no limit.
  int sign_ins_per_minute_per_address = 10;
  int sign_in_burst_per_address = 20;
  // Failed sign-ins of unknown names audited per minute in all; 0: all.
  int anonymous_failures_audited_per_minute = 30;
  // API tokens: lifetime when the creator names none, and the longest one
  // may ask for (a longer request is refused).
  int api_token_default_ttl_seconds = 30 * 86400;
  int api_token_max_ttl_seconds = 90 * 86400;
  // Promotion to production is a request by one console user and an
  // approval by another with the approver role.
  bool promotion_requires_second_person = false;
  // The production bridge's sqlite store, where promoted registrations are
  // written; empty: no production environment (promotion refused).
  std::string production_store_path;
  // The production bridge's public URL (its issuer / SAML base URL), shown
  // to providers.
  std::string production_public_url;
  // Alternatively: the production bridge's own configuration file; its
  // store (sqlite or redis) and server.public_url are used. Exclusive with
  // production_store_path.
  std::string production_config_file;
};

struct LoggingConfig {
  // "trace", "debug", "info", "warn" or "error".
  std::string level = "info";
  // One line per request.
  bool access_log = true;
};

struct Config {
  ServerConfig server;    // HTTP listener and public identity
  StoreConfig store;      // where state is kept
  KeysConfig keys;        // signing keys
  OidcConfig oidc;        // OpenID Connect provider
  SamlConfig saml;        // SAML 2.0 identity provider
  LoginConfig login;      // wallet login
  LedgerConfig ledger;    // the certME registry
  AdminConfig admin;      // administration console
  LoggingConfig logging;  // logs

  // True when no configuration file was given. Not a YAML field and not
  // settable from the environment.
  bool dev_mode = true;
};

// Loads a configuration. `path_or_empty` empty: built-in defaults in dev mode;
// otherwise the YAML file at that path (dev_mode false). Then applies
// CERTME_* overrides from `env` and resolves secrets through `env` and the
// file system. Reports every unknown key, type error and unreadable secret at
// once, one per line, each starting with its field path and naming where it
// came from (file:line:column or the variable). Does not run Validate().
StatusOr<Config> LoadConfig(const std::string& path_or_empty, const EnvLookup& env);

// As LoadConfig for a file, from text (dev_mode false). `source_name` is
// used in messages.
StatusOr<Config> LoadConfigFromString(std::string_view yaml_text, const EnvLookup& env,
                                      std::string_view source_name = "<string>");

// Every problem with `config`, each "field.path: what is wrong"; empty when
// the configuration is usable. Checks ranges and choices again (the struct
// may have been built in code) and the rules that span fields.
std::vector<std::string> Validate(const Config& config);

// The fully commented reference document: every field at its default.
// config/certme.yaml is this text.
std::string RenderReferenceYaml();

// The same document with `config`'s values: loading it (with the same
// secrets available) gives back `config`. Secrets are not part of it.
std::string RenderConfigYaml(const Config& config);

// Introspection of the field table (documentation, tooling, tests).
struct ConfigFieldInfo {
  std::string path;      // "server.port"; record fields as "keys.signing[].kid"
  std::string type;      // string | integer | boolean | choice | list | records
  std::string comment;   // operator-facing description
  std::string default_yaml;      // the default, as YAML text
  std::string env_name;          // "CERTME_SERVER_PORT"; empty when not overridable
  std::vector<std::string> choices;  // type "choice"
  int64_t min = 0, max = 0;          // type "integer"
};
std::vector<ConfigFieldInfo> ConfigFields();

// The value of the field at `path` (as in ConfigFieldInfo, top-level fields
// only) as YAML text; nullopt for an unknown path.
std::optional<std::string> ConfigValueYaml(const Config& config, std::string_view path);

// Refuses text larger than `max_bytes` or nested deeper than `max_depth`
// (flow brackets and block indentation), before a YAML parser recurses
// over it. An estimate, not a YAML tokenizer: it may overcount odd but valid
// documents, and yaml-cpp's own depth limit remains the backstop. Usable for
// any YAML read from disk.
Status CheckYamlLimits(std::string_view text, size_t max_bytes = kMaxConfigBytes,
                       int max_depth = kMaxConfigDepth);

// Prints RenderConfigYaml plus dev_mode and which secrets are set, each as
// "[redacted]".
std::ostream& operator<<(std::ostream& os, const Config& config);

}  // namespace certme
