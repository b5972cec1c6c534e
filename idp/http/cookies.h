// Cookie request header parsing (RFC 6265 §4.2, §5.4). Browsers, proxies and
// attackers all send Cookie headers; this never fails, it keeps what is a
// well-formed name=value pair and drops the rest.
//
// Fuzzed by tests/fuzz/http_cookie_fuzz.cc.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace certme {

using CookieMap = std::map<std::string, std::string, std::less<>>;

// Upper bound on pairs kept from one request; the rest are ignored.
inline constexpr size_t kMaxCookies = 100;

// Parses one or more Cookie header values (an HTTP/2 front proxy may split
// them) into name → value. Names must be RFC 6265 tokens; values may be
// DQUOTE-wrapped (the quotes are removed) and must be cookie-octets, with
// space and comma tolerated as browsers do. When a name repeats, the first
// occurrence wins: user agents send the most specific Path first (§5.4),
// and a later duplicate is how a sibling subdomain would try to shadow ours.
// Values are not percent-decoded: cookies carry opaque bytes.
CookieMap ParseCookieHeaders(const std::vector<std::string>& header_values);
CookieMap ParseCookieHeader(std::string_view header_value);

}  // namespace certme
