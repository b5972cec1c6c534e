// The console's API bearer tokens (accounts.h): owner, scopes within the
// owner's role, an expiry, and the owner's state checked at every use.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "idp/admin/accounts.h"
#include "idp/admin/util.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kTokenNs = "admin_token";
// A shorter lifetime is more likely a unit mistake than a wish.
constexpr int64_t kMinTokenSeconds = 60;

StatusOr<nlohmann::json> ParseRecord(const std::string& raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("stored token record is malformed");
  return j;
}

std::vector<std::string> Scopes(const nlohmann::json& rec) {
  std::vector<std::string> out;
  if (auto it = rec.find("scopes"); it != rec.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

ApiToken TokenFromRecord(const std::string& key, const nlohmann::json& j) {
  ApiToken t{key.substr(0, 12), j.value("user", ""), j.value("name", ""), Scopes(j), j.value("created", ""), "",
             j.value("created_by", "")};
  if (auto e = j.find("expires"); e != j.end() && e->is_number_integer()) t.expires = Rfc3339(e->get<int64_t>() * 1000);
  return t;
}

}  // namespace

StatusOr<int64_t> ParseTtl(std::string_view text) {
  const Status bad = InvalidArgument("the lifetime is a number of seconds, or a number followed by s, m, h or d");
  if (text.empty() || text.size() > 12) return bad;
  int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return bad;
  int64_t n = 0;
  for (char c : text) n = n * 10 + (c - '0');  // at most 11 digits: no overflow
  return n * unit;
}

StatusOr<Secret> AdminAccounts::CreateToken(const std::string& actor, const std::string& user,
                                            const std::string& name, const TokenRequest& request) {
  CERTME_RETURN_IF_ERROR(CheckUserName(user));
  if (name.empty() || name.size() > 100) return InvalidArgument("the token name must be 1 to 100 characters");
  CERTME_ASSIGN_OR_RETURN(AdminUser owner, GetUser(user));
  if (owner.disabled) return PermissionDenied("the account \"" + user + "\" is disabled");

  // Scopes: known ones, each allowed by the owner's role.
  const std::vector<std::string> allowed = RoleScopes(owner.role);
  // By default every scope of the role but keys, which a token gets only
  // when it asks for it.
  std::vector<std::string> defaults = allowed;
  std::erase(defaults, std::string(kScopeKeys));
  std::vector<std::string> scopes;
  for (const auto& s : request.scopes.empty() ? defaults : request.scopes) {
    if (s != kScopeRead && s != kScopeWrite && s != kScopePromote && s != kScopeKeys)
      return InvalidArgument("unknown scope \"" + TruncateUtf8(s, 32) + "\": scopes are read, write, promote and keys");
    if (!Contains(allowed, s))
      return InvalidArgument("the scope \"" + s + "\" is beyond the role " + std::string(RoleName(owner.role)) +
                             " of \"" + user + "\"");
    if (!Contains(scopes, s)) scopes.push_back(s);
  }

  // Lifetime: the default, or what was asked within the maximum.
  int64_t ttl = request.ttl_seconds == 0 ? o_.api_token_default_ttl_seconds : request.ttl_seconds;
  if (ttl < kMinTokenSeconds) return InvalidArgument("a token lives at least 60 seconds");
  if (ttl > o_.api_token_max_ttl_seconds)
    return InvalidArgument("a token lives at most " + std::to_string(o_.api_token_max_ttl_seconds) +
                           " seconds (admin.api_token_max_ttl_seconds); " + std::to_string(ttl) + " asked");

  Secret token("cma_" + random_.Token(32));
  std::string hash = Sha256Hex(token.reveal());
  const int64_t now = clock_.NowUnixSeconds();
  nlohmann::json rec = {{"user", user},
                        {"name", name},
                        {"scopes", scopes},
                        {"created", Rfc3339(clock_.NowUnixMillis())},
                        {"created_unix", now},
                        {"expires", now + ttl},
                        {"created_by", actor}};
  CERTME_RETURN_IF_ERROR(store_.PutIfAbsent(kTokenNs, hash, rec.dump(), std::chrono::seconds(ttl)));
  nlohmann::json audited = rec;
  audited["expires"] = Rfc3339((now + ttl) * 1000);
  audited.erase("created_unix");
  CERTME_RETURN_IF_ERROR(audit_.Append(actor, "token.create", hash.substr(0, 12), "", nullptr, audited).status());
  return token;
}

StatusOr<ApiCaller> AdminAccounts::Authenticate(std::string_view bearer_token) {
  if (bearer_token.size() < 10 || bearer_token.size() > 100) return Unauthenticated("invalid token");
  const std::string hash = Sha256Hex(bearer_token);
  auto raw = store_.Get(kTokenNs, hash);
  if (!raw.ok())
    return raw.status().code() == StatusCode::kNotFound ? Unauthenticated("invalid token") : raw.status();
  CERTME_ASSIGN_OR_RETURN(nlohmann::json j, ParseRecord(*raw));
  // A token from before expiry and scopes existed could have been made by
  // another token; none of them is trusted.
  auto expires = j.find("expires");
  if (expires == j.end() || !expires->is_number_integer())
    return Unauthenticated("this token predates expiring tokens and no longer works; create a new one");
  if (expires->get<int64_t>() <= clock_.NowUnixSeconds()) return Unauthenticated("the token has expired");
  ApiCaller c;
  c.user = j.value("user", "");
  auto owner = GetUser(c.user);
  if (!owner.ok()) {
    if (owner.status().code() == StatusCode::kNotFound) return Unauthenticated("invalid token");
    return owner.status();
  }
  if (owner->disabled || owner->locked)
    return Unauthenticated("the token's account is disabled or locked out");
  c.role = owner->role;
  c.token_id = hash.substr(0, 12);
  // The scopes the token was given that the owner's role still allows.
  const std::vector<std::string> allowed = RoleScopes(owner->role);
  for (const auto& s : Scopes(j))
    if (Contains(allowed, s)) c.scopes.push_back(s);
  return c;
}

StatusOr<std::vector<ApiToken>> AdminAccounts::ListTokens(std::optional<std::string> owner) {
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kTokenNs));
  std::vector<ApiToken> out;
  for (const auto& r : rows) {
    auto j = ParseRecord(r.value);
    if (!j.ok()) continue;
    ApiToken t = TokenFromRecord(r.key, *j);
    if (!owner || t.user == *owner) out.push_back(std::move(t));
  }
  return out;
}

Status AdminAccounts::RevokeToken(const std::string& actor, const std::string& requester, Role requester_role,
                                  const std::string& token_id) {
  if (token_id.size() != 12) return NotFound("no such token");
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kTokenNs));
  for (const auto& r : rows) {
    if (r.key.rfind(token_id, 0) != 0) continue;
    auto j = ParseRecord(r.value);
    const std::string owner = j.ok() ? j->value("user", "") : "";
    if (owner != requester && requester_role != Role::kAdministrator)
      return PermissionDenied("you may revoke only your own tokens; revoking another user's needs the "
                              "administrator role");
    CERTME_RETURN_IF_ERROR(store_.Delete(kTokenNs, r.key));
    return audit_.Append(actor, "token.revoke", token_id, "", j.ok() ? *j : nlohmann::json(nullptr), nullptr)
        .status();
  }
  return NotFound("no such token");
}

}  // namespace certme::admin
