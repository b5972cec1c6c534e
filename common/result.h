// Result<T, E>: either a value or an error, the one "value or error" type of
// the tree. StatusOr<T> (common/status.h) is Result<T, Status>; the OIDC
// layer's OidcOr<T> (protocols/oidc/errors.h) is Result<T, OidcError>.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace certme {

template <typename T, typename E>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<T, E>, "a Result's value and error types must differ");

 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : v_(std::move(error)) {}  // NOLINT: implicit by design

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
  const E& error() const& { return std::get<E>(v_); }
  E&& error() && { return std::get<E>(std::move(v_)); }

  // For error types that have an OK value of their own (Status, which has
  // ok()): the error, or the default (OK) E when there is a value.
  const E& status() const
    requires requires(const E& e) { e.ok(); } && std::is_default_constructible_v<E>
  {
    static const E kNoError{};
    return ok() ? kNoError : std::get<E>(v_);
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace certme

// Early returns for request paths, for any Result<T, E> and for Status.
#define CERTME_CONCAT_INNER(a, b) a##b
#define CERTME_CONCAT(a, b) CERTME_CONCAT_INNER(a, b)
// Evaluates `expr` (a Result<T, E>); on error returns the error E from the
// enclosing function (whose return type must accept an E), otherwise moves
// the value into `lhs` (a declaration or an lvalue).
#define CERTME_ASSIGN_OR_RETURN(lhs, expr) \
  CERTME_ASSIGN_OR_RETURN_IMPL(CERTME_CONCAT(_sor_, __LINE__), lhs, expr)
#define CERTME_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()
