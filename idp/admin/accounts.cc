#include "idp/admin/accounts.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "idp/admin/util.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kUserNs = "admin_user";
constexpr std::string_view kSessionNs = "admin_session";

std::string Dump(const nlohmann::json& j) { return j.dump(); }

StatusOr<nlohmann::json> ParseObject(const std::string& raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("stored admin record is malformed");
  return j;
}

}  // namespace

Status CheckUserName(std::string_view user) {
  if (user.empty() || user.size() > 64) return InvalidArgument("the user name must be 1 to 64 characters");
  for (size_t i = 0; i < user.size(); ++i) {
    char c = user[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
      return InvalidArgument("the user name may hold a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
  }
  return Status::Ok();
}

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kOperator: return "operator";
    case Role::kApprover: return "approver";
    case Role::kAdministrator: return "administrator";
  }
  return "viewer";
}

StatusOr<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kOperator, Role::kApprover, Role::kAdministrator})
    if (name == RoleName(r)) return r;
  return InvalidArgument("the role is viewer, operator, approver or administrator");
}

std::vector<std::string> RoleScopes(Role r) {
  std::vector<std::string> out{std::string(kScopeRead)};
  if (r >= Role::kOperator) out.emplace_back(kScopeWrite);
  if (r >= Role::kApprover) out.emplace_back(kScopePromote);
  if (r >= Role::kAdministrator) out.emplace_back(kScopeKeys);
  return out;
}

bool ApiCaller::Has(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

AdminUser AdminAccounts::UserFromRecord(const std::string& name, const nlohmann::json& rec) const {
  AdminUser u;
  u.name = name;
  // No role: written before roles existed, when every account could do
  // everything (docs/admin.md, "Upgrading"). An unreadable role gives the
  // least.
  u.role = Role::kAdministrator;
  if (rec.contains("role")) {
    auto r = rec["role"].is_string() ? ParseRole(rec["role"].get<std::string>()) : InvalidArgument("");
    u.role = r.ok() ? *r : Role::kViewer;
  }
  u.disabled = rec.value("disabled", false);
  u.locked = rec.value("locked_until", int64_t{0}) > clock_.NowUnixSeconds();
  return u;
}

StatusOr<AdminUser> AdminAccounts::GetUser(const std::string& user) {
  if (!CheckUserName(user).ok()) return NotFound("no user \"" + TruncateUtf8(user, 64) + "\"");
  auto raw = store_.Get(kUserNs, user);
  if (!raw.ok())
    return raw.status().code() == StatusCode::kNotFound ? NotFound("no user \"" + user + "\"") : raw.status();
  CERTME_ASSIGN_OR_RETURN(nlohmann::json rec, ParseObject(*raw));
  return UserFromRecord(user, rec);
}

StatusOr<std::vector<AdminUser>> AdminAccounts::ListUserDetails() {
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kUserNs));
  std::vector<AdminUser> out;
  for (const auto& r : rows) {
    auto j = ParseObject(r.value);
    if (j.ok()) out.push_back(UserFromRecord(r.key, *j));
  }
  return out;
}

Status AdminAccounts::UpdateUser(const std::string& user,
                                 const std::function<void(nlohmann::json& rec)>& change) {
  if (!CheckUserName(user).ok()) return NotFound("no user \"" + TruncateUtf8(user, 64) + "\"");
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto raw = store_.Get(kUserNs, user);
    if (!raw.ok())
      return raw.status().code() == StatusCode::kNotFound ? NotFound("no user \"" + user + "\"") : raw.status();
    CERTME_ASSIGN_OR_RETURN(nlohmann::json rec, ParseObject(*raw));
    change(rec);
    Status st = store_.CompareAndSwap(kUserNs, user, *raw, Dump(rec), kNoExpiry);
    if (st.code() != StatusCode::kFailedPrecondition) return st;
  }
  return Unavailable("the account record is too busy; try again");
}

Status AdminAccounts::SetRole(const std::string& actor, const std::string& user, Role role) {
  CERTME_ASSIGN_OR_RETURN(AdminUser before, GetUser(user));
  CERTME_RETURN_IF_ERROR(UpdateUser(user, [&](nlohmann::json& rec) { rec["role"] = RoleName(role); }));
  return audit_.Append(actor, "user.role", user, "", {{"role", RoleName(before.role)}}, {{"role", RoleName(role)}})
      .status();
}

Status AdminAccounts::SetDisabled(const std::string& actor, const std::string& user, bool disabled) {
  CERTME_RETURN_IF_ERROR(UpdateUser(user, [&](nlohmann::json& rec) { rec["disabled"] = disabled; }));
  return audit_.Append(actor, disabled ? "user.disable" : "user.enable", user, "", nullptr, nullptr).status();
}

Status AdminAccounts::CreateUser(const std::string& actor, const std::string& user, const Secret& password,
                                 Role role) {
  CERTME_RETURN_IF_ERROR(CheckUserName(user));
  CERTME_ASSIGN_OR_RETURN(std::string hash, HashPassword(password.reveal(), random_, o_.hash));
  nlohmann::json rec = {{"password_hash", hash},
                        {"created", Rfc3339(clock_.NowUnixMillis())},
                        {"failures", 0},
                        {"locked_until", 0},
                        {"role", RoleName(role)},
                        {"disabled", false}};
  Status st = store_.PutIfAbsent(kUserNs, user, Dump(rec), kNoExpiry);
  if (st.code() == StatusCode::kAlreadyExists) return AlreadyExists("the user \"" + user + "\" already exists");
  CERTME_RETURN_IF_ERROR(st);
  return audit_
      .Append(actor, "user.create", user, "", nullptr,
              {{"user", user}, {"created", rec["created"]}, {"role", RoleName(role)}})
      .status();
}

StatusOr<std::vector<std::string>> AdminAccounts::ListUsers() {
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kUserNs));
  std::vector<std::string> out;
  for (auto& r : rows) out.push_back(r.key);
  return out;
}

namespace {

// A password check in progress holds a slot in the account's record
// ("pending": id → expiry), so that concurrent attempts cannot check more
// wrong passwords than the lock-out allows; a slot left by a process that
// died mid-check expires after this long.
constexpr int64_t kPendingSlotSeconds = 60;

// Live pending slots of a record, dropping expired ones.
int LivePending(nlohmann::json& rec, int64_t now) {
  if (!rec.contains("pending") || !rec["pending"].is_object()) {
    rec["pending"] = nlohmann::json::object();
    return 0;
  }
  nlohmann::json live = nlohmann::json::object();
  for (auto& [id, until] : rec["pending"].items())
    if (until.is_number_integer() && until.get<int64_t>() > now) live[id] = until;
  rec["pending"] = live;
  return static_cast<int>(live.size());
}

}  // namespace

AdminAccounts::AdminAccounts(const AccountOptions& options, Store& store, AuditLog& audit, Clock& clock,
                             Random& random)
    : o_(options),
      store_(store),
      audit_(audit),
      clock_(clock),
      random_(random),
      sign_ins_by_address_({.per_second = options.sign_ins_per_minute_per_address / 60.0,
                            .burst = static_cast<double>(options.sign_in_burst_per_address)},
                           clock),
      anonymous_audit_({.per_second = options.anonymous_failures_audited_per_minute / 60.0,
                        .burst = static_cast<double>(options.anonymous_failures_audited_per_minute)},
                       clock) {}

int AdminAccounts::RetryAfterSeconds() const {
  if (o_.sign_ins_per_minute_per_address <= 0) return 5;
  return std::max(5, (60 + o_.sign_ins_per_minute_per_address - 1) / o_.sign_ins_per_minute_per_address);
}

void AdminAccounts::AuditUnknownUser(const std::string& user, const std::string& client_ip) {
  if (anonymous_audit_.Take("anonymous").has_value()) {
    ++anonymous_unaudited_;
    return;
  }
  if (int64_t skipped = anonymous_unaudited_.exchange(0); skipped > 0) {
    (void)audit_.Append("anonymous", "user.login_failed_unaudited", "", "", nullptr,
                        {{"count", skipped}, {"reason", "unknown user names over the audit budget"}});
  }
  (void)audit_.Append("anonymous", "user.login_failed", TruncateUtf8(user, 64), "", nullptr,
                      {{"reason", "unknown user"}, {"client_ip", client_ip}});
}

Status AdminAccounts::Refused() const {
  // One answer for a wrong password, an unknown user and a locked account,
  // so the answer reveals neither which names exist nor which are locked.
  int minutes = (o_.lockout_seconds + 59) / 60;
  return Unauthenticated("wrong user name or password (after " + std::to_string(o_.lockout_failures) +
                         " failed sign-ins an account is locked for " + std::to_string(minutes) + " minute" +
                         (minutes == 1 ? "" : "s") + ")");
}

StatusOr<Secret> AdminAccounts::SignIn(const std::string& user, const Secret& password,
                                       const std::string& client_ip) {
  // A bounded number of Argon2 checks at once (each costs its memory and a
  // core's time); the rest are told to come back (429 on the page and API).
  if (sign_ins_by_address_.Take(client_ip).has_value()) {
    return ResourceExhausted("too many sign-ins from this address; try again later");
  }
  HashSlot slot(hashes_in_flight_, o_.max_concurrent_hashes);
  if (!slot.held()) return ResourceExhausted("too many sign-ins at once; try again in a few seconds");
  const int64_t now = clock_.NowUnixSeconds();
  std::string raw;
  if (CheckUserName(user).ok()) {
    auto got = store_.Get(kUserNs, user);
    if (got.ok()) {
      raw = std::move(*got);
    } else if (got.status().code() != StatusCode::kNotFound) {
      return got.status();
    }
  }
  if (raw.empty()) {
    // Same Argon2 work as for a real account: timing does not reveal names.
    std::call_once(dummy_once_, [this] {
      auto h = HashPassword("not-a-real-password-0123456789", random_, o_.hash);
      if (h.ok()) dummy_hash_ = *h;
    });
    (void)VerifyPassword(dummy_hash_, password.reveal());
    AuditUnknownUser(user, client_ip);
    return Refused();
  }

  // 1. Reserve a check: refused while locked, or when the failures so far
  //    plus the checks in progress already reach the lock-out.
  std::call_once(slot_prefix_once_, [this] { slot_prefix_ = random_.Token(9); });
  const std::string slot_id = slot_prefix_ + "-" + std::to_string(++slot_counter_);
  std::string password_hash;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 20) return Unavailable("the account record is too busy; try again");
    CERTME_ASSIGN_OR_RETURN(nlohmann::json rec, ParseObject(raw));
    nlohmann::json next = rec;
    int pending = LivePending(next, now);
    if (rec.value("locked_until", int64_t{0}) > now || next.value("failures", 0) + pending >= o_.lockout_failures) {
      (void)audit_.Append(user, "user.login_refused_locked", user, "", nullptr, {{"client_ip", client_ip}});
      return Refused();
    }
    if (rec.value("disabled", false)) {
      (void)audit_.Append(user, "user.login_refused_disabled", user, "", nullptr, {{"client_ip", client_ip}});
      return Refused();
    }
    next["pending"][slot_id] = now + kPendingSlotSeconds;
    Status st = store_.CompareAndSwap(kUserNs, user, raw, Dump(next), kNoExpiry);
    if (st.code() == StatusCode::kFailedPrecondition) {
      CERTME_ASSIGN_OR_RETURN(raw, store_.Get(kUserNs, user));
      continue;
    }
    CERTME_RETURN_IF_ERROR(st);
    raw = Dump(next);
    password_hash = rec.value("password_hash", "");
    break;
  }

  // 2. The slow check, outside any lock.
  const bool good = VerifyPassword(password_hash, password.reveal());

  // 3. Record the outcome and free the slot. The lock is read again: a
  //    correct password is refused when concurrent failures locked the
  //    account meanwhile.
  bool locks = false, locked_meanwhile = false;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 20) return Unavailable("the account record is too busy; try again");
    CERTME_ASSIGN_OR_RETURN(nlohmann::json rec, ParseObject(raw));
    nlohmann::json next = rec;
    LivePending(next, now);
    next["pending"].erase(slot_id);
    locked_meanwhile = rec.value("locked_until", int64_t{0}) > now;
    locks = false;
    if (good && !locked_meanwhile) {
      next["failures"] = 0;
      next["locked_until"] = 0;
    } else if (!good) {
      int failures = rec.value("failures", 0) + 1;
      if (failures >= o_.lockout_failures) {
        locks = !locked_meanwhile;
        next["failures"] = 0;
        if (locks) next["locked_until"] = now + o_.lockout_seconds;
      } else {
        next["failures"] = failures;
      }
    }
    Status st = store_.CompareAndSwap(kUserNs, user, raw, Dump(next), kNoExpiry);
    if (st.code() == StatusCode::kFailedPrecondition) {
      CERTME_ASSIGN_OR_RETURN(raw, store_.Get(kUserNs, user));
      continue;
    }
    CERTME_RETURN_IF_ERROR(st);
    break;
  }
  if (!good) {
    (void)audit_.Append(user, locks ? "user.locked" : "user.login_failed", user, "", nullptr,
                        {{"reason", "wrong password"}, {"client_ip", client_ip}});
    return Refused();
  }
  if (locked_meanwhile) {
    (void)audit_.Append(user, "user.login_refused_locked", user, "", nullptr, {{"client_ip", client_ip}});
    return Refused();
  }
  Secret cookie(random_.Token(32));
  nlohmann::json session = {{"user", user}, {"csrf", random_.Token(32)}, {"created", now}};
  CERTME_RETURN_IF_ERROR(store_.Put(kSessionNs, Sha256Hex(cookie.reveal()), Dump(session),
                                    std::chrono::seconds(o_.session_idle_seconds)));
  (void)audit_.Append(user, "user.login", user, "", nullptr, {{"client_ip", client_ip}});
  return cookie;
}

StatusOr<AdminSession> AdminAccounts::Session(std::string_view cookie_value) {
  if (cookie_value.empty() || cookie_value.size() > 100) return NotFound("no session");
  std::string key = Sha256Hex(cookie_value);
  auto raw = store_.Get(kSessionNs, key);
  if (!raw.ok()) return raw.status().code() == StatusCode::kNotFound ? NotFound("no session") : raw.status();
  CERTME_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(*raw));
  int64_t created = j.value("created", int64_t{0});
  if (clock_.NowUnixSeconds() - created >= o_.session_max_seconds) {
    (void)store_.Delete(kSessionNs, key);
    return NotFound("session expired");
  }
  // Sliding idle timeout: rewrite with a fresh ttl.
  CERTME_RETURN_IF_ERROR(store_.Put(kSessionNs, key, *raw, std::chrono::seconds(o_.session_idle_seconds)));
  AdminSession s;
  s.user = j.value("user", "");
  s.csrf = j.value("csrf", "");
  if (s.user.empty() || s.csrf.empty()) return NotFound("no session");
  // An account deleted from the store, disabled or locked out ends its
  // sessions.
  auto user = GetUser(s.user);
  if (!user.ok() || user->disabled || user->locked) return NotFound("no session");
  s.role = user->role;
  return s;
}

Status AdminAccounts::SignOut(std::string_view cookie_value) {
  if (cookie_value.empty() || cookie_value.size() > 100) return Status::Ok();
  return store_.Delete(kSessionNs, Sha256Hex(cookie_value));
}

}  // namespace certme::admin
