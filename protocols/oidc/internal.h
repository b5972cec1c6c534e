// Small helpers shared by the endpoint files. Internal to protocols/oidc.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"
#include "protocols/oidc/errors.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::oidc_internal {

inline bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline OidcError InvalidRequest(std::string description, std::string detail = {}) {
  return OidcError::Make(oidc::kErrInvalidRequest, std::move(description), std::move(detail));
}

// RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be
// included more than once."
inline CheckResult CheckNoRepeatedParams(const Params& p) {
  for (auto it = p.begin(); it != p.end(); it = p.upper_bound(it->first))
    if (p.count(it->first) > 1) return InvalidRequest("parameter repeated: " + it->first);
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
