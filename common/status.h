// Status and StatusOr: errors as values on every request path (docs/ARCHITECTURE.md rule 4).
// StatusOr<T> is Result<T, Status> (common/result.h), which also brings
// CERTME_ASSIGN_OR_RETURN.
//
// A Status carries a code, a message that is safe to show a client, and an
// optional internal detail that goes to logs only (node-oidc-provider's
// `expose` idea: nothing internal leaks into a response).
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/result.h"

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

// Either a value or a non-OK Status. status() is OK when there is a value.
template <typename T>
using StatusOr = Result<T, Status>;

}  // namespace certme

// Early-return helpers for request paths.
#define CERTME_RETURN_IF_ERROR(expr)        \
  do {                                      \
    ::certme::Status _st = (expr);          \
    if (!_st.ok()) return _st;              \
  } while (0)
