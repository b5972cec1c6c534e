#include "protocols/wallet/link.h"

#include <algorithm>
#include <cctype>

#include "common/encoding.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

namespace {

bool IsLoopbackHttp(std::string_view url) {
  for (std::string_view p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                             "http://[::1]:", "http://[::1]/"})
    if (url.rfind(p, 0) == 0) return true;
  return false;
}

}  // namespace

bool IsValidCode(std::string_view code) {
  if (code.empty() || code.size() > kMaxCodeLength) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

std::string BuildLoginLink(std::string_view api_base, std::string_view code) {
  return std::string(kLinkPrefix) + kLinkBaseParam + "=" + PercentEncode(api_base) + "&" + kLinkCodeParam + "=" +
         std::string(code);
}

std::string BuildDeepLink(std::string_view api_base, std::string_view code) {
  return std::string(api_base) + kDeepLinkPath + std::string(code);
}

std::string RequestUrl(std::string_view api_base, std::string_view code) {
  return std::string(api_base) + kRequestsPath + std::string(code);
}

StatusOr<LoginLink> ParseLoginLink(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  LoginLink link;
  constexpr std::string_view kScheme = kLinkPrefix;
  if (text.rfind(kScheme, 0) == 0) {
    auto params = ParseUrlEncoded(text.substr(kScheme.size()));
    if (!params) return InvalidArgument("malformed certme:// link");
    link.api_base = ParamGet(*params, kLinkBaseParam).value_or("");
    link.code = ParamGet(*params, kLinkCodeParam).value_or("");
  } else {
    size_t p = text.rfind(kDeepLinkPath);
    if (p == std::string_view::npos) return InvalidArgument("not a certME login link");
    link.api_base = std::string(text.substr(0, p));
    link.code = std::string(text.substr(p + std::string_view(kDeepLinkPath).size()));
  }
  if (!IsValidCode(link.code)) return InvalidArgument("the link carries no valid code");
  // §2: https only, plain http for loopback development servers.
  if (link.api_base.rfind("https://", 0) != 0 && !IsLoopbackHttp(link.api_base))
    return InvalidArgument("the wallet API must be https (http only on loopback): " + link.api_base);
  while (!link.api_base.empty() && link.api_base.back() == '/') link.api_base.pop_back();
  return link;
}

}  // namespace certme::wallet
