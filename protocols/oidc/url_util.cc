#include "protocols/oidc/url_util.h"

#include "common/encoding.h"

namespace certme::oidc_internal {

std::string UrlParts::Origin() const {
  return scheme + "://" + host + (port.empty() ? "" : ":" + port);
}

std::optional<UrlParts> ParseUrl(std::string_view url) {
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  UrlParts p;
  for (char c : url.substr(0, colon)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return std::nullopt;
  }
  p.scheme = AsciiLower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority, port;
  if (authority.front() == '[') {  // IPv6 literal
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (size_t c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return std::nullopt;
  for (char c : port)
    if (c < '0' || c > '9') return std::nullopt;
  p.host = AsciiLower(host);
  p.port = std::string(port);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  size_t hash = tail.find('#');
  p.has_fragment = hash != std::string_view::npos;
  p.path_query = std::string(tail.substr(0, hash));
  return p;
}

std::string AppendQuery(std::string_view url,
                        const std::vector<std::pair<std::string, std::string>>& params) {
  std::string base(url.substr(0, url.find('#')));
  std::string q = EncodeUrlEncoded(params);
  if (q.empty()) return base;
  char sep = base.find('?') == std::string::npos ? '?' : (base.back() == '?' || base.back() == '&' ? '\0' : '&');
  if (sep) base += sep;
  return base + q;
}

}  // namespace certme::oidc_internal
