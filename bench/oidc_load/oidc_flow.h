// The OpenID Connect operations the load generator repeats, written as a
// relying party plus a user agent would perform them, with every check a
// real client makes — a benchmark that skips verification measures a server
// nobody could use.
//
//  code flow (OIDC Core §3.1, PKCE RFC 7636 S256):
//    GET authorize → 302 /login/dev?txn → POST /login/dev (txn, identity)
//    → 302 resume URL → GET → 302 redirect_uri?code&state
//    → POST token (client_secret_basic) → verify the ID token against the
//    JWKS fetched once (alg, signature, iss, aud, azp, nonce, exp, iat,
//    at_hash) → GET userinfo (Bearer), whose sub must match.
//  client credentials (RFC 6749 §4.4): POST token, expect an access token.
//  refresh (RFC 6749 §6, OIDC Core §12): POST token with the refresh token
//    the worker's last code flow got (rotated ones replace it), verify the
//    new ID token (same sub; nonce absent or the original's).
//  discovery, JWKS: GET the two documents every relying party fetches.
//  wallet login (docs/wallet-protocol.md) instead of the development login:
//    authorize → 302 /login/wallet?txn → GET the page (QR code, deep link)
//    → the wallet, on its own connection: GET the request document, sign
//    Login and Consent (EIP-712), encrypt the attributes to the bridge
//    (ECIES), POST the answer → the browser: GET status (long-poll, answers
//    "done") → GET continue → 302 resume URL → … → redirect_uri?code, then
//    token and userinfo as above. wallet_flow.cc holds the wallet's part.
//
// Each flow is a fresh user agent (new cookie jar) unless `sso` is set, in
// which case a worker keeps its cookies and later flows ride the session.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/http_client.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/jose.h"

namespace certme::bench {

// Path of the development login double's form (idp/login/dev_authenticator).
inline constexpr std::string_view kDevLoginPath = "/login/dev";
// Path of the wallet login page (idp/login/wallet_authenticator).
inline constexpr std::string_view kWalletLoginPath = "/login/wallet";

class UserPicker;

// What discovery (OIDC Discovery §4) and the JWKS told us, fetched once.
struct ProviderInfo {
  std::string issuer;
  std::string discovery_target;  // path of /.well-known/openid-configuration
  LoopbackUrl authorization_endpoint;
  LoopbackUrl token_endpoint;
  LoopbackUrl userinfo_endpoint;
  LoopbackUrl jwks_uri;
  std::vector<std::shared_ptr<const PublicKey>> keys;
};

// Reads /.well-known/openid-configuration and the JWKS over `conn`. Every
// endpoint must be on the same origin as `conn` (the server under test).
StatusOr<ProviderInfo> Discover(HttpConnection& conn);

struct ClientSettings {
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;
  std::string scope = "openid profile email";  // code flow; empty = not sent
  std::string identity = "ion";                // development login identity
  JwsAlg id_token_alg = JwsAlg::kES256;        // the client's registered alg
  bool sso = false;             // keep cookies between flows (same user agent)
  bool fetch_login_page = false;  // GET /login/dev before posting, as a browser would
  // Wallet login: which benchmark user (wallet_user.h) answers each login.
  // Null: the server must offer the development login.
  UserPicker* wallet_users = nullptr;
  std::string wallet_seed;
};

// The timed steps of one operation (one HTTP exchange each).
enum class Step {
  kAuthorize,
  kLoginPage,
  kLogin,
  kWalletRequest,  // the wallet's GET of the request document
  kWalletAnswer,   // the wallet's signed, encrypted POST (validation wait included)
  kStatus,         // the page's long-poll
  kContinue,       // the page's continue → resume URL
  kResume,
  kToken,
  kUserinfo,
  kDiscovery,
  kJwks,
};
inline constexpr size_t kStepCount = 12;
const char* StepName(Step step);

struct OpResult {
  bool ok = false;
  // Stable error class for counting ("token:http_400", "id_token:nonce"…).
  std::string error_kind;
  std::string detail;  // the first error's text, for the report
  // Microseconds spent in each step (0 when the step did not run); a step
  // that ran several times (redirect hops) accumulates.
  std::array<uint32_t, kStepCount> step_us{};
  // Compact JWS (alg other than none) in the operation's token responses:
  // the public-key signatures the server made for it that a client sees.
  int signatures = 0;
  // The operation only prepared the measured one (refresh mode's code flow
  // for a first refresh token); a successful preparation is not counted.
  bool preparation = false;
};

// OIDC Core §3.1.3.7 / §3.1.3.8: checks a token response's ID token.
// Returns the verified token (its claims) or the first failed check:
// InvalidArgument/Unauthenticated from VerifyJwt for structure/signature,
// FailedPrecondition with message "<claim>" for a claim check.
// `refreshed`: an ID token from a refresh (OIDC Core §12.2), which may omit
// the nonce; when it carries one, it must still be `nonce`.
StatusOr<VerifiedJwt> CheckIdToken(std::string_view id_token, const ProviderInfo& provider,
                                   const ClientSettings& client, std::string_view nonce,
                                   std::string_view access_token, int64_t now_unix,
                                   bool refreshed = false);

// How many of a token response's id_token, access_token and refresh_token
// are compact JWS signed with an algorithm other than "none" (not verified:
// this counts the server's signing work, the ID token check is separate).
int CountSignedTokens(const nlohmann::json& token_response);

// base64url(SHA-256(verifier)) — RFC 7636 §4.2, S256.
std::string PkceChallenge(std::string_view verifier);
// OIDC Core §3.1.3.6 at_hash for RS256/ES256: base64url of the left half of
// SHA-256(access_token).
std::string AtHash(std::string_view access_token);

// Runs operations over one connection. Not thread-safe: one per worker.
class FlowRunner {
 public:
  // `provider`, `client`, `random` and `clock` must outlive the runner.
  FlowRunner(const ProviderInfo& provider, const ClientSettings& client, HttpConnection& conn,
             Random& random, const Clock& clock);

  OpResult RunCodeFlow();
  OpResult RunClientCredentials();
  // One refresh. Without a refresh token yet (first call, or after a failed
  // refresh) it runs a code flow instead and returns that, marked
  // `preparation`.
  OpResult RunRefresh();
  OpResult RunDiscovery();
  OpResult RunJwks();

  // The user agent's cookies (kept between flows only with `sso`).
  const CookieJar& cookies() const { return jar_; }

 private:
  // One timed exchange; adds the time to `result->step_us[step]`.
  StatusOr<ClientResponse> Exchange(Step step, const ClientRequest& request, OpResult* result,
                                    HttpConnection* conn = nullptr);
  // The wallet login from its page to the continue URL (wallet_flow.cc):
  // returns the continue URL, or false with `*result` failed.
  bool RunWalletLeg(const LoopbackUrl& page, OpResult* result, LoopbackUrl* continue_url);
  // POST to the token endpoint with the client's Basic authentication: the
  // answer as a JSON object with a Bearer access token (its signed tokens
  // counted in `*result`), or nullopt with `*result` failed.
  std::optional<nlohmann::json> TokenRequest(const std::vector<std::pair<std::string, std::string>>& form,
                                   OpResult* result);
  ClientRequest Get(const LoopbackUrl& url) const;
  ClientRequest PostForm(const LoopbackUrl& url,
                         const std::vector<std::pair<std::string, std::string>>& form) const;

  const ProviderInfo& provider_;
  const ClientSettings& client_;
  HttpConnection& conn_;
  std::unique_ptr<HttpConnection> wallet_conn_;  // the phone's own connection (wallet login)
  Random& random_;
  const Clock& clock_;
  // GET `target` (same origin), expect 200 and a JSON object.
  StatusOr<nlohmann::json> GetJson(Step step, const std::string& target, OpResult* result);

  std::string basic_auth_;  // "Basic …" (RFC 6749 §2.3.1)
  CookieJar jar_;
  // From the last successful code flow, for refresh mode.
  std::string refresh_token_;
  std::string subject_;
  std::string nonce_;
};

}  // namespace certme::bench
