// Console users: accounts (Argon2id passwords, lock-out after repeated
// failures, a role, disabled or not), browser sessions (short idle timeout,
// CSRF token per session) and API bearer tokens (owner, scopes, expiry).
// All of it lives in the Store, so replicas and the `certme admin`
// commands share it.
//
// Store layout (namespaces):
//   admin_user     user name → {password_hash, created, failures, locked_until,
//                  pending: the password checks in progress, role, disabled}
//   admin_session  SHA-256(cookie value) → {user, csrf, created}; ttl = idle timeout,
//                  refreshed on every request
//   admin_token    SHA-256(bearer token) → {user, name, scopes, created,
//                  created_unix, expires, created_by}; ttl = its lifetime
// Session cookies and bearer tokens are 256-bit random values; only their
// hashes are stored, so a copy of the store does not let anyone in.
//
// Roles (docs/admin.md), each including the ones before it:
//   viewer         reads services, the catalogue, the audit log
//   operator       registers and edits services on test
//   approver       promotes to production, edits and disables production
//   administrator  accounts and the API tokens of others
// A record written before roles existed has no "role": it reads as
// administrator, which is what every account was then.
// A token's scopes (read, write, promote) never exceed its owner's role,
// at creation and at every use (a demoted owner's token loses the scopes
// the new role lacks); a token of a disabled or locked account is refused.
//
// Safe for concurrent use.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  // API tokens: lifetime when none is asked for, and the longest allowed.
  int64_t api_token_default_ttl_seconds = 30 * 86400;
  int64_t api_token_max_ttl_seconds = 90 * 86400;
  PasswordHashParams hash;
};

enum class Role { kViewer = 0, kOperator = 1, kApprover = 2, kAdministrator = 3 };
std::string_view RoleName(Role r);
// InvalidArgument naming the roles for anything else.
StatusOr<Role> ParseRole(std::string_view name);

// API token scopes.
inline constexpr std::string_view kScopeRead = "read";
inline constexpr std::string_view kScopeWrite = "write";
inline constexpr std::string_view kScopePromote = "promote";
// Signing-key rollover (/admin/api/v1/keys). Administrators only, and only
// in a token that asks for it (never a default scope).
inline constexpr std::string_view kScopeKeys = "keys";
// The scopes a role may hold: viewer read; operator read, write; approver
// read, write, promote; administrator also keys.
std::vector<std::string> RoleScopes(Role r);

struct AdminSession {
  std::string user;
  std::string csrf;  // the token every form of this session must carry
  Role role = Role::kViewer;
};

struct AdminUser {
  std::string name;
  Role role = Role::kViewer;
  bool disabled = false;
  bool locked = false;  // locked out now by failed sign-ins
};

struct ApiToken {
  std::string id;  // first 12 hex characters of its hash: names it in lists and the audit log
  std::string user;
  std::string name;
  std::vector<std::string> scopes;
  std::string created, expires;  // RFC 3339
  std::string created_by;
};

// What a new token asks for. Empty scopes: every scope the owner's role
// allows; ttl_seconds 0: AccountOptions::api_token_default_ttl_seconds.
struct TokenRequest {
  std::vector<std::string> scopes;
  int64_t ttl_seconds = 0;
};

// The caller of an API request, as its token tells.
struct ApiCaller {
  std::string user;
  Role role = Role::kViewer;
  std::string token_id;
  std::vector<std::string> scopes;  // the token's, limited to what the role allows now
  bool Has(std::string_view scope) const;
  // How the audit log names it: "ana (API token 865ec3533222)".
  std::string Label() const { return user + " (API token " + token_id + ")"; }
};

// User names: 1..64 of [a-z0-9._-], starting with a letter or digit.
Status CheckUserName(std::string_view user);
// "3600", "90s", "45m", "12h", "30d" → seconds; InvalidArgument otherwise.
StatusOr<int64_t> ParseTtl(std::string_view text);

class AdminAccounts {
 public:
  AdminAccounts(const AccountOptions& options, Store& store, AuditLog& audit, Clock& clock, Random& random);

  // AlreadyExists when the name is taken; InvalidArgument for the name or the
  // password policy. Audited as user.create by `actor`.
  Status CreateUser(const std::string& actor, const std::string& user, const Secret& password,
                    Role role = Role::kAdministrator);
  StatusOr<std::vector<std::string>> ListUsers();
  // NotFound for an unknown name.
  StatusOr<AdminUser> GetUser(const std::string& user);
  StatusOr<std::vector<AdminUser>> ListUserDetails();
  // Audited (user.role, user.disable, user.enable). A disabled account's
  // sessions and tokens stop working at once; enabling lets it sign in again.
  Status SetRole(const std::string& actor, const std::string& user, Role role);
  Status SetDisabled(const std::string& actor, const std::string& user, bool disabled);

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
  // absent, expired, past session_max_seconds, or its account is gone,
  // disabled or locked.
  StatusOr<AdminSession> Session(std::string_view cookie_value);
  Status SignOut(std::string_view cookie_value);

  // Issues a bearer token for `user` (returned once; only its hash is kept).
  // The caller has checked who may ask (a signed-in user for themself, or
  // the local CLI): an API token never reaches here. InvalidArgument for a
  // scope the owner's role does not allow, an unknown scope, or a lifetime
  // over api_token_max_ttl_seconds; PermissionDenied for a disabled owner.
  // Audited as token.create.
  StatusOr<Secret> CreateToken(const std::string& actor, const std::string& user, const std::string& name,
                               const TokenRequest& request = {});
  // The caller a bearer token stands for. Unauthenticated for an unknown,
  // expired or pre-expiry token, and for one whose owner is gone, disabled
  // or locked out.
  StatusOr<ApiCaller> Authenticate(std::string_view bearer_token);
  // `owner` set: that user's tokens only.
  StatusOr<std::vector<ApiToken>> ListTokens(std::optional<std::string> owner = std::nullopt);
  // Revokes one of `requester`'s own tokens, or anyone's when `requester` is
  // an administrator (PermissionDenied otherwise, NotFound when there is no
  // such token). Audited as token.revoke by `actor`.
  Status RevokeToken(const std::string& actor, const std::string& requester, Role requester_role,
                     const std::string& token_id);

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
  AdminUser UserFromRecord(const std::string& name, const nlohmann::json& rec) const;
  // Read-modify-write of a user's record (compare-and-swap, retried).
  Status UpdateUser(const std::string& user, const std::function<void(nlohmann::json& rec)>& change);
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
