// Status and StatusOr: errors as values on every request path (docs/ARCHITECTURE.md rule 4).
//
// A Status carries a code, a message that is safe to show a client, and an
// optional internal detail that goes to logs only (node-oidc-provider's
// `expose` idea: nothing internal leaks into a response).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace certme {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller sent something malformed
  kNotFound,           // no such key / object (or it expired)
  kAlreadyExists,      // insert-if-absent lost, replay detected
  kFailedPrecondition, // state does not allow the operation (CAS mismatch, revoked…)
  kPermissionDenied,   // authenticated but not allowed
  kUnauthenticated,    // bad or missing credentials / signature
  kResourceExhausted,  // limits (body size, rate)
  kDeadlineExceeded,   // a wait timed out
  kUnavailable,        // backend down; retry may help
  kInternal,           // a bug or an unexpected backend answer
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message, std::string detail = {})
      : code_(code), message_(std::move(message)), detail_(std::move(detail)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // Client-safe text.
  const std::string& message() const { return message_; }
  // Internal detail for logs; never put into a response.
  const std::string& detail() const { return detail_; }
  // "NotFound: message (detail)" — for logs and test failures.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string detail_;
};

inline Status InvalidArgument(std::string m, std::string d = {}) { return {StatusCode::kInvalidArgument, std::move(m), std::move(d)}; }
inline Status NotFound(std::string m, std::string d = {}) { return {StatusCode::kNotFound, std::move(m), std::move(d)}; }
inline Status AlreadyExists(std::string m, std::string d = {}) { return {StatusCode::kAlreadyExists, std::move(m), std::move(d)}; }
inline Status FailedPrecondition(std::string m, std::string d = {}) { return {StatusCode::kFailedPrecondition, std::move(m), std::move(d)}; }
inline Status PermissionDenied(std::string m, std::string d = {}) { return {StatusCode::kPermissionDenied, std::move(m), std::move(d)}; }
inline Status Unauthenticated(std::string m, std::string d = {}) { return {StatusCode::kUnauthenticated, std::move(m), std::move(d)}; }
inline Status ResourceExhausted(std::string m, std::string d = {}) { return {StatusCode::kResourceExhausted, std::move(m), std::move(d)}; }
inline Status DeadlineExceeded(std::string m, std::string d = {}) { return {StatusCode::kDeadlineExceeded, std::move(m), std::move(d)}; }
inline Status Unavailable(std::string m, std::string d = {}) { return {StatusCode::kUnavailable, std::move(m), std::move(d)}; }
inline Status Internal(std::string m, std::string d = {}) { return {StatusCode::kInternal, std::move(m), std::move(d)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {}    // NOLINT: REQUIRES: !status.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace certme

// Early-return helpers for request paths.
#define CERTME_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::certme::Status _st = (expr);          \
    if (!_st.ok()) return _st;              \
  } while (0)

#define CERTME_CONCAT_INNER(a, b) a##b
#define CERTME_CONCAT(a, b) CERTME_CONCAT_INNER(a, b)
#define CERTME_ASSIGN_OR_RETURN(lhs, expr) \
  CERTME_ASSIGN_OR_RETURN_IMPL(CERTME_CONCAT(_sor_, __LINE__), lhs, expr)
#define CERTME_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
