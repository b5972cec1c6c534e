// Console administrators: accounts (Argon2id passwords, lock-out after
// repeated failures), browser sessions (short idle timeout, CSRF token per
// session) and API bearer tokens. All of it lives in the Store, so replicas
// and the `certme admin create-user` command share it.
//
// Store layout (namespaces):
//   admin_user     user name → {password_hash, created, failures, locked_until,
//                  pending: the password checks in progress}
//   admin_session  SHA-256(cookie value) → {user, csrf, created}; ttl = idle timeout,
//                  refreshed on every request
//   admin_token    SHA-256(bearer token) → {user, name, created}
// Session cookies and bearer tokens are 256-bit random values; only their
// hashes are stored, so a copy of the store does not let anyone in.
//
// Safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/rate_limiter.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/password.h"

namespace certme {
class Store;
}

namespace certme::admin {

struct AccountOptions {
  // A session unused this long ends (the user signs in again).
  int session_idle_seconds = 900;
  // A session ends this long after sign-in, however active.
  int session_max_seconds = 8 * 3600;
  // Consecutive failed sign-ins that lock an account, and for how long.
  int lockout_failures = 5;
  int lockout_seconds = 900;
  // Password checks (Argon2id: `hash.memory_kib` and a core's time each)
  // running at once in this process; sign-ins beyond it are refused with
  // ResourceExhausted instead of queueing.
  int max_concurrent_hashes = 4;
  // Sign-in attempts per client address: this many per minute, refilled
  // continuously, with a burst; beyond it ResourceExhausted before any
  // password check or audit entry. 0: no limit.
  int sign_ins_per_minute_per_address = 10;
  int sign_in_burst_per_address = 20;
  // Audit entries for failed sign-ins of unknown user names, per minute for
  // all clients together, so anonymous clients cannot flood the audit log;
  // the failures over it are counted in one user.login_failed_unaudited
  // entry when the next one is written. 0: every one is audited.
  int anonymous_failures_audited_per_minute = 30;
  PasswordHashParams hash;
};

struct AdminSession {
  std::string user;
  std::string csrf;  // the token every form of this session must carry
};

struct ApiToken {
  std::string id;  // first 12 hex characters of its hash: names it in lists and the audit log
  std::string user;
  std::string name;
  std::string created;
};

// User names: 1..64 of [a-z0-9._-], starting with a letter or digit.
Status CheckUserName(std::string_view user);

class AdminAccounts {
 public:
  AdminAccounts(const AccountOptions& options, Store& store, AuditLog& audit, Clock& clock, Random& random);

  // AlreadyExists when the name is taken; InvalidArgument for the name or the
  // password policy. Audited as user.create by `actor`.
  Status CreateUser(const std::string& actor, const std::string& user, const Secret& password);
  StatusOr<std::vector<std::string>> ListUsers();

  // Checks the password and opens a session. Returns the cookie value.
  // One Unauthenticated answer for an unknown user, a wrong password and a
  // locked account (indistinguishable, same work; the message states the
  // lock-out policy). The lock-out is atomic: at most `lockout_failures`
  // wrong passwords are ever checked before the account locks, however many
  // attempts run at once, and a correct password is refused while the
  // account is locked, including a lock that concurrent failures set during
  // its own check. ResourceExhausted when `max_concurrent_hashes` checks are
  // already running or the client address used up its sign-ins
  // (RetryAfterSeconds says when to come back). Failures and lock-outs are
  // audited (unknown names within anonymous_failures_audited_per_minute).
  StatusOr<Secret> SignIn(const std::string& user, const Secret& password, const std::string& client_ip);

  // The session of a cookie value, refreshing its idle timer. NotFound when
  // absent, expired or past session_max_seconds.
  StatusOr<AdminSession> Session(std::string_view cookie_value);
  Status SignOut(std::string_view cookie_value);

  // Issues a bearer token for `user` (returned once; only its hash is kept).
  StatusOr<Secret> CreateToken(const std::string& actor, const std::string& user, const std::string& name);
  // The user a bearer token belongs to; Unauthenticated otherwise.
  StatusOr<std::string> Authenticate(std::string_view bearer_token);
  StatusOr<std::vector<ApiToken>> ListTokens();
  Status RevokeToken(const std::string& actor, const std::string& token_id);

  const AccountOptions& options() const { return o_; }
  // For a ResourceExhausted sign-in: when to try again (Retry-After).
  int RetryAfterSeconds() const;

 private:
  AccountOptions o_;
  Store& store_;
  AuditLog& audit_;
  Clock& clock_;
  Random& random_;
  // Counts the password checks running in this process (see SignIn).
  class HashSlot {
   public:
    HashSlot(std::atomic<int>& n, int max) : n_(n), held_(n.fetch_add(1) < max) {}
    ~HashSlot() { n_.fetch_sub(1); }
    bool held() const { return held_; }

   private:
    std::atomic<int>& n_;
    const bool held_;
  };
  Status Refused() const;
  // Audits a failed sign-in of an unknown name, within the anonymous budget.
  void AuditUnknownUser(const std::string& user, const std::string& client_ip);

  RateLimiter sign_ins_by_address_;
  RateLimiter anonymous_audit_;
  std::atomic<int64_t> anonymous_unaudited_{0};

  std::atomic<int> hashes_in_flight_{0};
  std::once_flag slot_prefix_once_;
  std::string slot_prefix_;  // random per instance: slot ids differ across replicas
  std::atomic<uint64_t> slot_counter_{0};
  std::once_flag dummy_once_;
  std::string dummy_hash_;  // verified against for unknown users (equal work)
};

}  // namespace certme::admin
