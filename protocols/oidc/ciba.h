// OpenID Connect Client-Initiated Backchannel Authentication (CIBA Core 1.0),
// poll and ping modes: the vocabulary and the ping's outbound interface.
// The endpoint, the grant and the login_hint map are ciba.cc; docs/oidc.md
// "Backchannel authentication (CIBA)" tells a service how to use them.
//
// A service logs in a user it already knows: it names the user by the `sub`
// an earlier login gave it (login_hint) or by an ID token we issued to it
// (id_token_hint). The bridge keeps, for every client registered for the
// CIBA grant, a map from (client, sub) to the eID, written when a grant is
// made for that client (the only way a sub is learnt) and kept for
// `ciba_hint_ttl_seconds` after the latest one; a hint it cannot map still
// gets an ordinary auth_req_id, whose login waits for an eID nobody holds,
// so the answer never tells whether the hint names a real user.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_message.h"
#include "protocols/oidc/errors.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::oidc {

inline constexpr std::string_view kPathBackchannel = "/bc-authorize";  // CIBA §7
inline constexpr std::string_view kGrantCiba = "urn:openid:params:grant-type:ciba";  // CIBA §10.1
// Request parameters (CIBA §7.1) and the answer's (§7.3).
inline constexpr std::string_view kLoginHintToken = "login_hint_token";
inline constexpr std::string_view kBindingMessage = "binding_message";
inline constexpr std::string_view kRequestedExpiry = "requested_expiry";
inline constexpr std::string_view kClientNotificationToken = "client_notification_token";
inline constexpr std::string_view kAuthReqId = "auth_req_id";
// Client metadata (CIBA §4).
inline constexpr std::string_view kModePoll = "poll";
inline constexpr std::string_view kModePing = "ping";
// Errors (CIBA §13).
inline constexpr std::string_view kErrInvalidBindingMessage = "invalid_binding_message";
// Store namespaces: the authentication requests (by the SHA-256 of the
// auth_req_id), their logins (txn → request key) and the hint map
// (SHA-256 of client_id "\n" sub → eID).
inline constexpr std::string_view kCibaNs = "oidc_ciba";
inline constexpr std::string_view kCibaLoginNs = "oidc_ciba_login";
inline constexpr std::string_view kCibaHintNs = "oidc_ciba_hint";
// CIBA §7.1 client_notification_token: "MUST NOT exceed 1024 characters".
inline constexpr size_t kMaxNotificationTokenChars = 1024;
// Longest binding_message accepted (characters).
inline constexpr size_t kMaxBindingMessageChars = 100;

}  // namespace certme::oidc

namespace certme::oidc_internal {

// The parameters of a backchannel authentication request that are CIBA's
// own (CIBA §7.1), checked (untrusted input; fuzzed by
// tests/fuzz/oidc_ciba_request_fuzz.cc). scope and acr_values are read as
// at /authorize (request_checks.h).
struct CibaParams {
  std::string login_hint;     // the user's sub for this client, or empty
  std::string id_token_hint;  // an ID token we issued to this client, or empty
  std::string binding_message;
  int64_t expires_in = 0;               // requested_expiry or the default
  std::string client_notification_token;  // ping mode only
};
// `ping`: the client's delivery mode is ping (client_notification_token
// required). Errors are invalid_request or invalid_binding_message.
OidcOr<CibaParams> ParseCibaParams(const Params& p, bool ping, int64_t default_expiry, int64_t max_expiry);

}  // namespace certme::oidc_internal

namespace certme {

// The ping (CIBA §10.2): a POST of {"auth_req_id": …} to the client's
// backchannel_client_notification_endpoint with the client_notification_token
// as a bearer token. The integrator queues it (idp/outbound: retries,
// bounded); tests use a fake. Must not block for long.
class CibaNotifier {
 public:
  virtual ~CibaNotifier() = default;
  virtual void Ping(const std::string& client_id, const std::string& endpoint, const std::string& bearer,
                    const std::string& auth_req_id) = 0;
};

}  // namespace certme
