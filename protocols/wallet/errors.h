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

// Either a value or a WalletError (StatusOr's shape, for protocol errors).
template <typename T>
class [[nodiscard]] WalletOr {
 public:
  WalletOr(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  WalletOr(WalletError error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const WalletError& error() const { return std::get<WalletError>(v_); }

 private:
  std::variant<T, WalletError> v_;
};

}  // namespace certme::wallet

// Early return of a failed check from a function returning CheckResult or
// WalletOr<T>.
#define WALLET_RETURN_IF_ERROR(expr)              \
  do {                                            \
    ::certme::wallet::CheckResult _we = (expr);   \
    if (_we) return std::move(*_we);              \
  } while (0)
