// Small helpers shared by the endpoint files. Internal to protocols/oidc.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/http_message.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "protocols/oidc/errors.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::oidc_internal {

// Largest form body of the client-authenticated endpoints (token,
// revocation, introspection, PAR).
inline constexpr size_t kMaxClientRequestBytes = 64 * 1024;

// RFC 6749 §5.1: token responses must not be cached.
void NoStore(HttpResponse& r);
// The JSON error answer of the client-authenticated endpoints (RFC 6749
// §5.2; RFC 7009 §2.2.1 and RFC 7662 §2.3 answer the same way); logs it.
HttpResponse TokenError(const OidcError& e);

// A NumericDate claim (RFC 7519 §2); nullopt when absent or not a sane number.
std::optional<int64_t> NumericDate(const nlohmann::json& payload, std::string_view name);
// An `aud` claim (a string or an array) names one of `accepted`.
bool AudienceContains(const nlohmann::json& aud, const std::vector<std::string>& accepted);

// A DPoP proof that passed every check of RFC 9449 §4.3.
struct DpopProof {
  std::string jkt;  // RFC 7638 thumbprint of its key, base64url
};

// RFC 9449 §10: a `dpop_jkt` authorization request parameter, when present,
// is a base64url SHA-256 JWK thumbprint (43 characters); invalid_request
// otherwise (dpop.cc).
CheckResult CheckDpopJktParam(const Params& p);

// What a new access token is bound to (empty members: nothing).
struct TokenBinding {
  std::string jkt;       // RFC 9449 §6.1 cnf.jkt
  std::string x5t_s256;  // RFC 8705 §3.1 cnf.x5t#S256
};

// The algorithms a DPoP proof may use (dpop.cc; discovery advertises them);
// a FAPI 2.0 client's proofs only Fapi2Algs() (fapi.h).
std::vector<JwsAlg> DpopAlgs();
// base64url SHA-256 of the certificate a TLS proxy forwarded (RFC 8705
// §3.1 x5t#S256); nullopt when absent or unreadable (client_auth.cc).
std::optional<std::string> ClientCertificateThumbprint(std::string_view pem);

// The answer of OidcProvider::CheckEid.
enum class EidCheck { kActive, kInactive, kUnavailable };

inline bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline OidcError InvalidRequest(std::string description, std::string detail = {}) {
  return OidcError::Make(oidc::kErrInvalidRequest, std::move(description), std::move(detail));
}

// RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be
// included more than once."
// A failure of the server's own machinery (store, signing) as a token or
// registration endpoint error: server_error, nothing internal in the text.
// A store that is unavailable (Redis down, a stalled primary, the disk) is
// 503: the request may be retried, and the answer says when (Retry-After,
// added by the endpoint); anything else is 500.
inline OidcError ServerFailure(const Status& st) {
  return OidcError::Make(oidc::kErrServerError, "temporary failure", st.ToString(),
                         st.code() == StatusCode::kUnavailable ? 503 : 500);
}

inline CheckResult CheckNoRepeatedParams(const Params& p) {
  for (auto it = p.begin(); it != p.end(); it = p.upper_bound(it->first))
    if (p.count(it->first) > 1) return InvalidRequest("parameter repeated: " + it->first);
  return std::nullopt;
}

// RFC 3629 §4: well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF).
inline bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4) len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else return false;
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) return false;
    }
    i += len;
  }
  return true;
}

// RFC 6749 Appendix B: parameter names and values are UTF-8. Anything else
// is refused up front, before a value can reach a JSON record, a log or a
// page (nlohmann::json throws when dumping invalid UTF-8).
inline CheckResult CheckUtf8Params(const Params& p) {
  for (const auto& [name, value] : p) {
    if (!IsUtf8(name)) return InvalidRequest("a parameter name is not valid UTF-8");
    if (!IsUtf8(value)) return InvalidRequest("parameter " + name + " is not valid UTF-8");
  }
  return std::nullopt;
}

// RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B /
// %x5D-7E; anything else (quotes, backslash, non-ASCII) is replaced.
inline std::string SafeDescription(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') ? c : '?';
  return out;
}

inline std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}

// "Scheme credentials" from an Authorization header; the scheme compares
// case-insensitively (RFC 9110 §11.1). Empty when the scheme differs.
inline std::string AuthCredentials(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ' ||
      !EqualsIgnoreCase(header.substr(0, scheme.size()), scheme))
    return {};
  std::string_view rest = header.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return std::string(rest);
}

}  // namespace certme::oidc_internal
