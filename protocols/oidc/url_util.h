// Small URL helpers for redirect URIs (RFC 3986). Not a general URL parser:
// they accept the absolute `scheme://authority/path?query` form that
// registered URIs must have, and refuse anything else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certme::oidc_internal {

struct UrlParts {
  std::string scheme;     // lowercase
  std::string host;       // lowercase, without port or brackets' contents changed
  std::string port;       // empty when absent
  std::string path_query; // everything after the authority, fragment excluded
  bool has_fragment = false;
  std::string Origin() const;  // scheme://host[:port]
};

// nullopt unless `url` is absolute with a non-empty host and no user-info,
// whitespace or control characters.
std::optional<UrlParts> ParseUrl(std::string_view url);

// Appends form-encoded parameters to `url`'s query (RFC 6749 §4.1.2: keep
// the registered query component, add ours).
std::string AppendQuery(std::string_view url,
                        const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace certme::oidc_internal
