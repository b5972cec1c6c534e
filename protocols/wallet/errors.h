// Wallet protocol errors as values (docs/wallet-protocol.md §7): the wire
// code and HTTP status, a description safe to show the wallet, a detail
// for logs only, and the outcome the browser page shows once the code is
// spent (§8). Checks return them; the bridge turns them into responses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/result.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

struct WalletError {
  int http_status = 400;
  std::string code;         // §7 error code (vocabulary.h kErr…)
  std::string description;  // error_description: safe for the wallet
  std::string outcome = kOutcomeFailed;  // the browser's page (§8)
  std::string detail;       // logs only

  static WalletError Make(int http_status, std::string_view code, std::string description,
                          std::string_view outcome = kOutcomeFailed) {
    return WalletError{http_status, std::string(code), std::move(description), std::string(outcome), {}};
  }
};

// 500 without any detail for the wallet (§7 "anything else").
inline WalletError ServerError(std::string detail = {}) {
  WalletError e = WalletError::Make(500, kErrServerError, "");
  e.detail = std::move(detail);
  return e;
}

// The JSON body of §7: {"error": code, "error_description": description}.
std::string ErrorBody(const WalletError& error);

// nullopt: the check passed.
using CheckResult = std::optional<WalletError>;

// Either a value or a WalletError.
template <typename T>
using WalletOr = Result<T, WalletError>;

}  // namespace certme::wallet

// Early return of a failed check from a function returning CheckResult or
// WalletOr<T>.
#define WALLET_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::certme::wallet::CheckResult _we = (expr);   \
    if (_we) return std::move(*_we);              \
  } while (0)
