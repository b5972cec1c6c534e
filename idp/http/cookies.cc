#include "idp/http/cookies.h"

namespace certme {
namespace {

bool IsTokenChar(unsigned char c) {
  if (c <= 0x20 || c >= 0x7F) return false;
  switch (c) {  // RFC 2616 separators, as RFC 6265 §4.1.1 cites them
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
    case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
      return false;
    default:
      return true;
  }
}

// cookie-octet (RFC 6265 §4.1.1) plus SP and ',' which real browsers send.
bool IsValueChar(unsigned char c) {
  return c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2C && c <= 0x3A) ||
         (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void ParseInto(std::string_view header, CookieMap& out) {
  while (!header.empty() && out.size() < kMaxCookies) {
    size_t semi = header.find(';');
    std::string_view pair = Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // RFC 6265 §5.2 step 2: no '=' → ignore
    std::string_view name = Trim(pair.substr(0, eq));
    std::string_view value = Trim(pair.substr(eq + 1));
    if (name.empty()) continue;
    bool ok = true;
    for (unsigned char c : name) ok = ok && IsTokenChar(c);
    if (!ok) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    for (unsigned char c : value) ok = ok && IsValueChar(c);
    if (!ok) continue;
    out.emplace(std::string(name), std::string(value));  // emplace keeps the first
  }
}

}  // namespace

CookieMap ParseCookieHeader(std::string_view header_value) {
  CookieMap out;
  ParseInto(header_value, out);
  return out;
}

CookieMap ParseCookieHeaders(const std::vector<std::string>& header_values) {
  CookieMap out;
  for (const std::string& v : header_values) ParseInto(v, out);
  return out;
}

}  // namespace certme
