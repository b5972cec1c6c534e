// Protocol errors as values (docs/ARCHITECTURE.md rule 5): a wire error code, a
// description that is safe to show the client, and a hidden detail that only
// reaches the logs. Endpoint checks return them; the endpoint turns them
// into the response its spec prescribes (redirect, JSON body, HTML page).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace certme {

struct OidcError {
  std::string code;         // RFC 6749 §4.1.2.1 / §5.2 error code
  std::string description;  // error_description: client-safe, ASCII, no internals
  std::string detail;       // logs only
  int http_status = 400;    // for direct (non-redirect) responses

  static OidcError Make(std::string_view code, std::string description, std::string detail = {},
                        int http_status = 400) {
    return OidcError{std::string(code), std::move(description), std::move(detail), http_status};
  }
};

// nullopt: the check passed.
using CheckResult = std::optional<OidcError>;

// Either a value or an OidcError (StatusOr's shape, for protocol errors).
template <typename T>
class [[nodiscard]] OidcOr {
 public:
  OidcOr(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  OidcOr(OidcError error) : v_(std::move(error)) {}  // NOLINT
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
  const OidcError& error() const { return std::get<OidcError>(v_); }

 private:
  std::variant<T, OidcError> v_;
};

}  // namespace certme

// Early return of a failed check from a function returning CheckResult or OidcOr<T>.
#define OIDC_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::certme::CheckResult _ce = (expr);     \
    if (_ce) return std::move(*_ce);        \
  } while (0)
