// Protocol errors as values (docs/ARCHITECTURE.md rule 5): a wire error code, a
// description that is safe to show the client, and a hidden detail that only
// reaches the logs. Endpoint checks return them; the endpoint turns them
// into the response its spec prescribes (redirect, JSON body, HTML page).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

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

// Either a value or an OidcError (the OIDC layer's StatusOr).
template <typename T>
using OidcOr = Result<T, OidcError>;

}  // namespace certme

// Early return of a failed check from a function returning CheckResult or OidcOr<T>.
#define OIDC_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::certme::CheckResult _ce = (expr);     \
    if (_ce) return std::move(*_ce);        \
  } while (0)
