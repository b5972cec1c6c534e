// Fuzzes the Cookie header parser (idp/http/cookies.h): it must never fail or
// crash, and whatever it keeps must be a clean name=value pair.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "idp/http/cookies.h"

namespace {

void Check(const certme::CookieMap& m) {
  if (m.size() > certme::kMaxCookies) std::abort();
  for (const auto& [name, value] : m) {
    if (name.empty()) std::abort();
    for (unsigned char c : name)
      if (c <= 0x20 || c >= 0x7F || c == ';' || c == '=' || c == ',' || c == '"') std::abort();
    for (unsigned char c : value)
      if (c < 0x20 || c >= 0x7F || c == ';' || c == '"' || c == '\\') std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(certme::ParseCookieHeader(in));
  // The same bytes as several Cookie headers, split on newlines.
  std::vector<std::string> headers;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\n') {
      headers.emplace_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  certme::CookieMap joined = certme::ParseCookieHeaders(headers);
  Check(joined);
  // A single header yields the same as the one-header call.
  if (headers.size() == 1 && joined != certme::ParseCookieHeader(in)) std::abort();
  return 0;
}
