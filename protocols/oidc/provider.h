// The OpenID Connect Provider: pure protocol logic over plain HttpRequest /
// HttpResponse values (no HTTP framework here; idp/ mounts Routes()).
//
// Implements OIDC Core 1.0 with the authorization code flow (response_type
// code, response_mode query | form_post, PKCE S256), Discovery 1.0,
// RP-Initiated / Back-Channel / Front-Channel Logout 1.0, RFC 9207 `iss`,
// client authentication client_secret_basic / client_secret_post /
// private_key_jwt (RFC 7523) / tls_client_auth (RFC 8705) / none, and the
// refresh_token (with rotation) and client_credentials grants, pushed
// authorization requests (RFC 9126), revocation and introspection (RFC 7009,
// RFC 7662), the device authorization grant (RFC 8628, device.cc) and
// sender-constrained tokens: DPoP (RFC 9449) and certificate-bound access
// tokens (RFC 8705 §3) (dpop.cc).
//
// Thread-safety: every handler may be called concurrently from many
// threads; all shared state lives in the Store or behind internal locks.
// The references given to the constructor must outlive the provider.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "common/rate_limiter.h"
#include "common/secret.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/eid_status.h"
#include "protocols/login.h"
#include "protocols/oidc/ciba.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/errors.h"

namespace certme {

struct OidcOptions {
  // Issuer identifier (OIDC Discovery §3): https URL without a trailing
  // slash; every endpoint URL is issuer + path (e.g. issuer + "/token").
  std::string issuer;
  int64_t code_ttl_seconds = 60;            // authorization codes (RFC 6749 §4.1.2: short)
  int64_t par_ttl_seconds = 60;             // pushed request_uri values (RFC 9126 §2.2: short)
  int64_t access_token_ttl_seconds = 600;
  int64_t id_token_ttl_seconds = 600;
  int64_t refresh_token_ttl_seconds = 2592000;  // 30 days, absolute for a token family
  int64_t login_ttl_seconds = 300;          // time the user has to finish a login
  int64_t session_ttl_seconds = 28800;      // SSO session lifetime (8 h)
  // pairwise | public: the subject type of clients that do not choose one.
  std::string default_subject_type = "pairwise";
  // HMAC key of pairwise subjects (OIDC Core §8.1); at least 32 bytes.
  // Changing it changes every pairwise subject.
  Secret pairwise_salt;
  // Development over plain http: cookies are set without Secure.
  bool dev_mode = false;
  // Tolerated clock difference for client assertions (exp, nbf, iat).
  int64_t clock_skew_seconds = 60;
  // Lifetime of back-channel logout tokens.
  int64_t logout_token_ttl_seconds = 120;
  // Longest accepted lifetime of a private_key_jwt assertion (exp - now);
  // bounds how long its jti must be remembered.
  int64_t max_client_assertion_ttl_seconds = 600;
  // Token requests per authenticated client per second, with a burst; over
  // it 429 `slow_down` with Retry-After (one client cannot use up the
  // bridge). 0: no limit.
  int token_requests_per_second_per_client = 0;
  int token_burst_per_client = 100;
  // OAuth 2.0 Device Authorization Grant (RFC 8628): /device_authorization,
  // the verification page /device and the device_code grant. Off: the
  // endpoints answer 404 and discovery does not name them.
  bool device_authorization_enabled = true;
  int64_t device_code_ttl_seconds = 600;     // device_code and user_code lifetime (expires_in)
  int64_t device_poll_interval_seconds = 5;  // RFC 8628 §3.2 `interval`
  // user_code look-ups per client address (RFC 8628 §5.1: guessing is
  // rate-limited): a burst, refilled at this many per minute.
  int user_code_attempts_per_minute = 10;
  // The server serves the device login's status for the service's own page
  // (GET /device/status, idp/device_status.h; it needs the wallet login):
  // device authorization responses then carry certme_status_uri.
  bool device_status_uri = false;
  // Dynamic client registration (RFC 7591/7592) is served at /register (by
  // the console's assembly, idp/admin/dynamic_registration.h): discovery
  // names registration_endpoint only when this is set.
  bool registration_enabled = false;
  // Client-Initiated Backchannel Authentication (CIBA Core 1.0, ciba.h),
  // poll and ping: /bc-authorize and the CIBA grant. The logins wait in the
  // user's wallet inbox, so the server turns it on with the wallet login;
  // off: the endpoint answers 404 and discovery does not name it.
  bool ciba_enabled = false;
  int64_t ciba_default_expiry_seconds = 300;  // expires_in without requested_expiry
  int64_t ciba_max_expiry_seconds = 600;      // the largest requested_expiry taken
  int64_t ciba_poll_interval_seconds = 5;     // CIBA §7.3 `interval` (poll mode)
  // How long the (client, sub) → eID map behind login_hint keeps an entry
  // after the client's latest grant for that user (ciba.h).
  int64_t ciba_hint_ttl_seconds = 2592000;  // 30 days
};

// Every problem with the options at once (InvalidArgument).
Status ValidateOidcOptions(const OidcOptions& options);

// Outbound back-channel logout delivery (Back-Channel Logout 1.0 §2.5). The
// integrator implements it with libcurl (timeouts, retries); tests use a fake.
class LogoutNotifier {
 public:
  virtual ~LogoutNotifier() = default;
  // Async: never blocks the caller for long; one failing RP never blocks
  // the others.
  virtual void PostLogoutToken(const std::string& client_id, const std::string& uri,
                               const std::string& logout_token) = 0;
};

// Another protocol front sharing the browser (the SAML IdP): RP-initiated
// logout hands the browser to it so its sessions end too. Optional.
class OtherProtocolLogout {
 public:
  virtual ~OtherProtocolLogout() = default;
  // Ends the other protocol's sessions linked to OIDC session `sid` or named
  // by the request's own cookies; returns a URL of the other front that
  // finishes its logout there and then sends the browser to `return_url`
  // (empty: its own logged-out page). Empty when there was nothing to end.
  virtual std::string ContinueLogout(const HttpRequest& logout_request, const std::string& sid,
                                     const std::string& return_url) = 0;
};

namespace oidc_internal {
struct AuthzRecord;
struct SessionRecord;
struct GrantRecord;
struct DeviceRecord;   // records.h
struct CodeRecord;
struct AccessTokenRecord;
struct DpopProof;     // internal.h
struct TokenBinding;  // internal.h
enum class EidCheck;  // internal.h
}  // namespace oidc_internal

class OidcProvider {
 public:
  OidcProvider(OidcOptions options, Store& store, KeySet& keys, ClientRegistry& clients,
               Authenticator& authenticator, const ClaimsCatalogue& catalogue,
               LogoutNotifier& notifier, Clock& clock, Random& random);

  HttpResponse Discovery(const HttpRequest&);          // GET /.well-known/openid-configuration
  HttpResponse Jwks(const HttpRequest&);               // GET /jwks
  HttpResponse Authorize(const HttpRequest&);          // GET and POST /authorize
  HttpResponse Resume(const HttpRequest&);             // GET /authorize/resume?txn=…
  HttpResponse Token(const HttpRequest&);              // POST /token
  HttpResponse PushedAuthorizationRequest(const HttpRequest&);  // POST /par (RFC 9126)
  // RFC 8628: POST /device_authorization (client-authenticated like
  // /token), GET /device (the verification page: a form for the user_code,
  // or ?user_code= starts the wallet login) and GET /device/resume?txn=
  // (where the login step returns: "done, go back to the service").
  HttpResponse DeviceAuthorization(const HttpRequest&);
  HttpResponse DeviceVerification(const HttpRequest&);
  HttpResponse DeviceResume(const HttpRequest&);
  HttpResponse Revoke(const HttpRequest&);             // POST /revoke (RFC 7009)
  HttpResponse Introspect(const HttpRequest&);         // POST /introspect (RFC 7662)
  HttpResponse BackchannelAuthentication(const HttpRequest&);  // POST /bc-authorize (CIBA §7, ciba.cc)
  // GET /.well-known/oauth-authorization-server (RFC 8414): the discovery
  // document's metadata, the same issuer.
  HttpResponse AuthorizationServerMetadata(const HttpRequest&);
  HttpResponse UserInfo(const HttpRequest&);           // GET and POST /userinfo
  HttpResponse EndSession(const HttpRequest&);         // GET and POST /logout
  HttpResponse EndSessionConfirm(const HttpRequest&);  // POST /logout/confirm
  // CORS preflight (Fetch Standard §3.2.2), for browser applications:
  HttpResponse PublicPreflight(const HttpRequest&);    // OPTIONS discovery, /jwks: any origin
  HttpResponse TokenPreflight(const HttpRequest&);     // OPTIONS /token: registered origins
  HttpResponse UserInfoPreflight(const HttpRequest&);  // OPTIONS /userinfo: registered origins

  // Mount table, so the integrator does not hard-code paths. Paths are
  // relative to the issuer's path.
  struct Route {
    std::string method, path;
    HttpResponse (OidcProvider::*handler)(const HttpRequest&);
  };
  static std::vector<Route> Routes();

  const OidcOptions& options() const { return opts_; }

  // For another protocol front sharing the browser (the SAML IdP's logout):
  // the sid of the live session the request's cookie names, empty when none.
  // Also indexes the session by sid so EndSessionBySid can find it later.
  std::string SessionSid(const HttpRequest& req);
  // Ends the session with this sid as a logout would: deletes it, revokes
  // its grants, sends the back-channel logout tokens (front-channel RPs are
  // not reached: there is no page of ours to frame them). False when no such
  // live session. Thread-safe.
  bool EndSessionBySid(const std::string& sid);
  // REQUIRES: set before the first request; `other` outlives the provider.
  void SetOtherProtocolLogout(OtherProtocolLogout* other) { other_logout_ = other; }
  // The live eID status every use of a login checks (code exchange,
  // refresh, UserInfo, SSO reuse; protocols/eid_status.h). Without one
  // (tests of other things) nothing is checked; the server always sets it.
  // REQUIRES: set before the first request; `source` outlives the provider.
  void SetEidStatusSource(EidStatusSource* source) { eid_status_ = source; }
  // Ends everything a suspended or revoked eID holds here: every SSO session
  // (with its back-channel logout tokens, as EndSessionBySid) and every
  // grant made from its logins (their access and refresh tokens stop
  // working). Returns how many sessions and grants it ended; a store error
  // is returned so the caller may retry. Thread-safe.
  StatusOr<size_t> EndEidSessions(const std::string& eid);

  // ---- the device login's status for the service's own page ----
  // (device.cc; the endpoint itself is idp/device_status.h, which also
  // asks the wallet login where its login stands.)
  struct DeviceLoginStatus {
    enum class State {
      kUnknown,   // no such handle (never, or not any more)
      kPending,   // the user has not finished
      kApproved,  // the login succeeded; the service's poll gets the tokens
      kDenied,    // refused, or it cannot succeed (`error`)
      kExpired,   // the device code's lifetime is over
      kEnded,     // the authorization was redeemed or is gone; `txn` tells the rest
    };
    State state = State::kUnknown;
    std::string error;       // kDenied: the LoginResult error (refused, eid_suspended, …)
    std::string txn;         // the wallet login the status URI started; empty: none yet
    int64_t expires_in = 0;  // seconds the device authorization stays open
  };
  // Where the device authorization named by a certme_status_uri handle
  // stands. Errors: the store's only (an unknown handle is kUnknown).
  StatusOr<DeviceLoginStatus> DeviceStatus(std::string_view handle);
  // Begins the wallet login whose QR the service's page shows, once per
  // device authorization (concurrent callers get the same txn), and returns
  // its txn. NotFound: no such handle; FailedPrecondition: the
  // authorization is no longer pending or the login could not begin (the
  // service may not log users in); other errors: the store.
  StatusOr<std::string> StartDeviceStatusLogin(std::string_view handle);

  // ---- CIBA (ciba.cc) ----
  // Ping-mode deliveries go to `notifier` (ciba.h). Set before the first
  // request; it must outlive the provider. Null: ping clients get none.
  void SetCibaNotifier(CibaNotifier* notifier) { ciba_notifier_ = notifier; }
  // The login `txn` ended (the wallet login calls it for every outcome):
  // when it is a CIBA login, its request is settled now and a ping client
  // notified. Anything else is ignored. Thread-safe.
  void CibaLoginEnded(const std::string& txn);
  // ---- client authentication for the provider APIs beside OIDC ----
  // (api_client_auth.cc; the signing API of idp/signing/ uses it.) The
  // client authenticates as at the token endpoint (the same checks, keys,
  // jti replay cache and per-client rate), but with its credentials in
  // headers since those APIs take JSON: `Authorization: Bearer <client
  // assertion>` for a private_key_jwt client (RFC 7523 §3; aud the issuer,
  // the token endpoint or the URL of `endpoint_path`), or, for a
  // tls_client_auth client (RFC 8705 §2.1), `Certme-Client-Id: <client_id>`
  // with the certificate the TLS terminator forwarded. Clients registered
  // for a secret or for none are refused.
  OidcOr<OidcClient> AuthenticateApiClient(const HttpRequest& req, std::string_view endpoint_path);

 private:
  struct AuthorizeTarget;  // the validated client + redirect_uri + response mode
  struct ClientKeys;

  // ---- authorization (authorize.cc) ----
  HttpResponse AuthorizationError(const AuthorizeTarget& t, const OidcError& e);
  HttpResponse AuthorizationResponse(const AuthorizeTarget& t,
                                     std::vector<std::pair<std::string, std::string>> params);
  // Issues a code from a live session and answers the client.
  HttpResponse CompleteAuthorization(const OidcClient& client,
                                     const oidc_internal::AuthzRecord& authz,
                                     const std::string& session_key,
                                     const oidc_internal::SessionRecord& session,
                                     std::vector<SetCookie> cookies);
  // ---- pushed authorization requests (par.cc; the checks in authorize.cc) ----
  HttpResponse PushedAuthorizationResponse(const HttpRequest& req, const OidcClient& client);
  HttpResponse PushedAuthorizationAnswer(const HttpRequest& req, const OidcClient& client);
  // The authorization request checks that need no session, for a push.
  CheckResult CheckPushedRequest(const Params& p, const OidcClient& client);
  // The pushed parameters a /authorize request's request_uri names, consumed.
  OidcOr<Params> TakePushedRequest(const Params& query);
  // ---- signed request objects (request_object.cc) ----
  // The parameters of the `request` JWT in `outer`, verified with
  // `client`'s registered keys (RFC 9101); they replace `outer`'s.
  OidcOr<Params> OpenRequestObject(const Params& outer, const OidcClient& client);
  // ---- sessions (session.cc) ----
  // The live session of the request's cookie: {store key, record}.
  std::optional<std::pair<std::string, oidc_internal::SessionRecord>> LoadSession(
      const HttpRequest& req);
  // Applies `mutate` to a session with compare-and-swap retries; false when
  // the session is gone.
  bool UpdateSession(const std::string& session_key,
                     const std::function<void(oidc_internal::SessionRecord&)>& mutate);
  SetCookie SessionCookie(const std::string& value, int64_t max_age) const;
  // The browser-binding cookie (vocabulary.h kBrowserCookie): a fresh value
  // authenticated under browser_key_, and the check that a value is one we
  // issued. A value chosen by anyone else never binds an authorization.
  std::string NewBrowserValue();
  bool IsIssuedBrowserValue(std::string_view value) const;
  // Deletes the session, revokes its grants, sends back-channel logout
  // tokens; returns the front-channel logout iframe URLs.
  std::vector<std::string> EndSessionRecord(const std::string& session_key,
                                            const oidc_internal::SessionRecord& session);
  void RevokeGrant(const std::string& grant_id);
  // The live status of `eid` (empty: a login without an eID, always
  // active). kUnavailable when the source cannot tell: callers refuse with
  // a temporary error (fail closed).
  oidc_internal::EidCheck CheckEid(const std::string& eid, std::string_view where);

  // ---- token endpoint (token.cc, client_auth.cc) ----
  // `endpoint_path` (kPathToken, kPathRevoke, …) is the endpoint the request
  // came to: a private_key_jwt assertion may name its URL as audience.
  OidcOr<OidcClient> AuthenticateClient(const HttpRequest& req, std::string_view endpoint_path);
  // The common start of the client-authenticated POST endpoints (token,
  // revocation, introspection): method, body size and type, parameter
  // checks, client authentication exactly as the token endpoint does it,
  // the per-client rate. The authenticated client, or the error answer.
  Result<OidcClient, HttpResponse> AuthenticatedClientRequest(const HttpRequest& req,
                                                              std::string_view endpoint_path);
  // A client-authenticated endpoint whole: AuthenticatedClientRequest, then
  // `answer` for the client, with the client's CORS headers either way.
  HttpResponse ClientEndpoint(const HttpRequest& req, std::string_view endpoint_path,
                              HttpResponse (OidcProvider::*answer)(const HttpRequest&, const OidcClient&));
  // The token endpoint without CORS; sets *client_id once authenticated.
  HttpResponse TokenResponse(const HttpRequest& req, std::string* client_id);
  OidcOr<OidcClient> AuthenticatePrivateKeyJwt(const HttpRequest& req,
                                               const std::optional<std::string>& client_id,
                                               std::string_view endpoint_path);
  CheckResult CheckTlsClientAuth(const HttpRequest& req, const OidcClient& client);
  std::vector<std::shared_ptr<const PublicKey>> ClientPublicKeys(const OidcClient& client);
  OidcOr<nlohmann::json> GrantAuthorizationCode(const HttpRequest& req, const OidcClient& client,
                                                const oidc_internal::TokenBinding& binding);
  OidcOr<nlohmann::json> GrantRefreshToken(const HttpRequest& req, const OidcClient& client,
                                           const oidc_internal::TokenBinding& binding);
  OidcOr<nlohmann::json> GrantClientCredentials(const HttpRequest& req, const OidcClient& client,
                                                const oidc_internal::TokenBinding& binding);

  // ---- CIBA (ciba.cc) ----
  HttpResponse BackchannelResponse(const HttpRequest& req, const OidcClient& client);
  OidcOr<nlohmann::json> GrantCiba(const HttpRequest& req, const OidcClient& client,
                                   const oidc_internal::TokenBinding& binding);
  // Remembers (client, sub) → eID for a later login_hint (IssueBoundTokens).
  void RememberCibaHint(const OidcClient& client, const oidc_internal::GrantRecord& grant);
  // Takes `txn`'s login result into the CIBA request under `key`; *settled
  // tells whether this call ended the request (approved or denied).
  Status SettleCibaLogin(const std::string& key, const std::string& txn, bool* settled);

  // ---- device authorization grant (device.cc) ----
  HttpResponse DeviceAuthorizationResponse(const HttpRequest& req, const OidcClient& client);
  // RFC 8628 §3.4 / §3.5: the token endpoint's device_code grant.
  OidcOr<nlohmann::json> GrantDeviceCode(const HttpRequest& req, const OidcClient& client,
                                         const oidc_internal::TokenBinding& binding);
  // Takes the login result of `txn` (if the login step stored one) and
  // records it in the device authorization stored under `device_key`:
  // approved with the user's facts, or denied. Either the poll or the
  // browser's return may come first; both call this. Store errors are
  // returned (the caller answers 503).
  Status SettleDeviceLogin(const std::string& device_key, const std::string& txn);
  // The token response of a device or CIBA request whose login `d` was
  // approved, at level `acr`: a grant stored and indexed under the eID,
  // `log_message` logged, tokens bound as `binding` says.
  OidcOr<nlohmann::json> IssueForApprovedLogin(const OidcClient& client, const oidc_internal::DeviceRecord& d,
                                               const std::string& acr, int64_t now,
                                               const oidc_internal::TokenBinding& binding, const char* log_message);
  // Starts the wallet login for the device authorization under `device_key`.
  HttpResponse BeginDeviceLogin(const std::string& device_key, const std::string& lang);
  // Records `txn` as the authorization's latest login (and, with
  // `status_login`, as the status URI's) and makes its LoginRequest.
  // NotFound: the authorization is no longer pending (or gone);
  // FailedPrecondition: its client is no longer registered; else the store.
  StatusOr<LoginRequest> PrepareDeviceLogin(const std::string& device_key, const std::string& txn,
                                            const std::string& lang, bool status_login);
  // Stores a grant and mints its tokens (bound as `binding` says, dpop.cc);
  // `nonce` only for code exchanges.
  OidcOr<nlohmann::json> IssueBoundTokens(const OidcClient& client,
                                          const oidc_internal::GrantRecord& grant,
                                          const std::vector<std::string>& scopes,
                                          const std::string& nonce, bool with_refresh_token,
                                          const oidc_internal::TokenBinding& binding);

  // ---- sender-constrained tokens (dpop.cc) ----
  // The request's DPoP proof (RFC 9449 §4.3) for the endpoint at
  // `endpoint_path`; with `access_token` (a resource request) its `ath`
  // too. nullopt when the request has no DPoP header. Errors:
  // invalid_dpop_proof, use_dpop_nonce, or a store failure.
  // `algs`: the algorithms the proof may use (empty: DpopAlgs()).
  OidcOr<std::optional<oidc_internal::DpopProof>> CheckDpopProof(const HttpRequest& req,
                                                                 std::string_view endpoint_path,
                                                                 const std::string* access_token,
                                                                 const std::vector<JwsAlg>& algs = {});
  // What the tokens of a token request get bound to: the DPoP proof's key
  // and, for a client registered for certificate-bound tokens, the
  // forwarded client certificate. Refuses a request the client's
  // registration says must be bound but is not.
  OidcOr<oidc_internal::TokenBinding> TokenRequestBinding(const HttpRequest& req,
                                                          const OidcClient& client);
  // A fresh server nonce, and whether one is ours and recent (stateless).
  std::string NewDpopNonce();
  bool IsLiveDpopNonce(std::string_view nonce) const;

  // ---- revocation and introspection (revocation.cc) ----
  HttpResponse RevokeResponse(const HttpRequest& req, std::string* client_id);
  // The RFC 7662 §2.2 answer for `token` asked about by `client`;
  // {"active": false} for anything not live or not the client's.
  OidcOr<nlohmann::json> IntrospectToken(const OidcClient& client, const std::string& token,
                                         std::string_view hint);
  // The metadata both discovery documents share (OIDC Discovery §3, RFC 8414 §2).
  nlohmann::json ServerMetadata() const;

  // UserInfo without CORS; sets *client_id once the token is known.
  HttpResponse UserInfoResponse(const HttpRequest& req, std::string* client_id);
  // UserInfo for `Authorization: DPoP <token>` (RFC 9449 §7.1).
  HttpResponse DpopUserInfo(const HttpRequest& req, const std::string& token, std::string* client_id);
  // The claims answer once the token's presentation has been checked:
  // certificate binding, revocation, live eID, scope.
  HttpResponse UserInfoClaims(const HttpRequest& req, const oidc_internal::AccessTokenRecord& at);

  // ---- CORS (cors.cc) ----
  // Whether `origin` (an Origin header value) is the origin of a redirect
  // URI registered for `client_id` / for any client.
  bool IsClientOrigin(std::string_view client_id, std::string_view origin);
  bool IsAnyClientOrigin(std::string_view origin);
  // Vary: Origin always; Access-Control-Allow-Origin when the request's
  // Origin is one of client_id's.
  void AddClientCors(const HttpRequest& req, std::string_view client_id, HttpResponse& r);

  // ---- ID token, claims (id_token.cc) ----
  std::string SubjectFor(const OidcClient& client, const std::string& subject) const;
  // Claims released to `client` for the grant: from scopes and from the
  // `claims` parameter's `target` member ("id_token" or "userinfo").
  nlohmann::json ReleasedClaims(const OidcClient& client, const oidc_internal::GrantRecord& grant,
                                const std::vector<std::string>& scopes,
                                std::string_view target) const;
  StatusOr<std::string> MakeIdToken(const OidcClient& client,
                                    const oidc_internal::GrantRecord& grant,
                                    const std::vector<std::string>& scopes,
                                    const std::string& access_token, const std::string& nonce);
  StatusOr<std::string> MakeLogoutToken(const OidcClient& client, const std::string& subject,
                                        const std::string& sid);
  std::vector<JwsAlg> IdTokenAlgs() const;
  // Verifies an ID token we issued (signature with our published keys, iss);
  // expiry is NOT checked (id_token_hint may be expired, OIDC Core §3.1.2.1,
  // RP-Initiated Logout §2). Returns the payload.
  StatusOr<nlohmann::json> VerifyOwnIdToken(std::string_view token) const;

  // ---- helpers ----
  std::string Url(std::string_view path) const { return opts_.issuer + std::string(path); }
  int64_t Now() const { return clock_.NowUnixSeconds(); }

  OidcOptions opts_;
  Store& store_;
  KeySet& keys_;
  ClientRegistry& clients_;
  Authenticator& authenticator_;
  const ClaimsCatalogue& catalogue_;
  LogoutNotifier& notifier_;
  Clock& clock_;
  Random& random_;
  RateLimiter token_limiter_;  // per client_id
  RateLimiter user_code_limiter_;  // per client address (RFC 8628 §5.1)
  OtherProtocolLogout* other_logout_ = nullptr;
  EidStatusSource* eid_status_ = nullptr;
  CibaNotifier* ciba_notifier_ = nullptr;
  // HMAC key of the browser-binding cookie, derived from pairwise_salt (so
  // no new configuration; changing the salt only re-issues the cookies).
  Secret browser_key_;
  // HMAC key of the DPoP server nonces (dpop.cc), derived from pairwise_salt
  // too, so every replica accepts every other's nonces.
  Secret dpop_nonce_key_;

  // Parsed client keys for private_key_jwt (rule 14: no PEM/JWK parsing per
  // request), keyed by client_id and invalidated when the registration changes.
  std::mutex client_keys_mu_;
  std::map<std::string, std::shared_ptr<ClientKeys>> client_keys_;  // GUARDED_BY(client_keys_mu_)
};

}  // namespace certme
