// The QR code's deep link and its https fallback (docs/wallet-protocol.md
// §2), and the wallet API URLs built from them (§3, §4).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace certme::wallet {

// A code as §2 makes them: base64url characters, 1..kMaxCodeLength. Codes
// that fail this are refused before any lookup.
bool IsValidCode(std::string_view code);

// certme://login?u=<api_base, percent-encoded>&c=<code> (the QR payload).
std::string BuildLoginLink(std::string_view api_base, std::string_view code);
// <api_base>/l/<code> (the same-device fallback).
std::string BuildDeepLink(std::string_view api_base, std::string_view code);
// <api_base>/requests/<code>: GET the request document, POST the answer.
std::string RequestUrl(std::string_view api_base, std::string_view code);

// The wallet API base URL and the code of a login link: either form above.
// The base must be https, or plain http on a loopback address (§2); its
// trailing slashes are dropped.
struct LoginLink {
  std::string api_base;
  std::string code;
};
StatusOr<LoginLink> ParseLoginLink(std::string_view text);

}  // namespace certme::wallet
