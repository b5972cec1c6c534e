// Fuzzes the CIBA request parameters' parser (protocols/oidc/ciba.h
// ParseCibaParams) over an application/x-www-form-urlencoded body, in both
// delivery modes. First byte: bit 0 set → ping mode. Invariants: no crash;
// a refusal is invalid_request or invalid_binding_message (400); an
// accepted request has exactly one hint, an expiry in range, a binding
// message of at most the limit, and in ping mode a notification token.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "protocols/oidc/ciba.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool ping = data[0] & 1;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto form = certme::ParseUrlEncoded(body);
  if (!form) return 0;
  auto parsed = certme::oidc_internal::ParseCibaParams(*form, ping, 300, 600);
  if (!parsed.ok()) {
    const auto& e = parsed.error();
    Require(e.http_status == 400);
    Require(e.code == "invalid_request" || e.code == certme::oidc::kErrInvalidBindingMessage);
    return 0;
  }
  Require(parsed->login_hint.empty() != parsed->id_token_hint.empty());
  Require(parsed->expires_in >= 1 && parsed->expires_in <= 600);
  Require(parsed->binding_message.size() <= 4 * certme::oidc::kMaxBindingMessageChars);
  Require(!ping || !parsed->client_notification_token.empty());
  return 0;
}
