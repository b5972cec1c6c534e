#include "idp/admin/initial_access_tokens.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "crypto/hash.h"
#include "idp/admin/util.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kNs = "admin_initial_token";
// Used-up and expired tokens stay listed a day, then the Store forgets them.
constexpr int64_t kKeepSeconds = 86400;

Status Invalid() { return Unauthenticated("the initial access token is not valid (unknown, expired or used up)"); }

StatusOr<InitialToken> FromRecord(std::string_view key, const std::string& raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("stored initial access token is malformed");
  InitialToken t;
  t.id = std::string(key.substr(0, 12));
  t.name = j.value("name", "");
  t.created_by = j.value("created_by", "");
  t.created = j.value("created", "");
  t.expires = j.value("expires", int64_t{0});
  t.uses = j.value("uses", int64_t{0});
  t.uses_left = j.value("uses_left", int64_t{0});
  auto p = RegistrationPolicy::FromJson(j.value("policy", nlohmann::json()));
  if (!p.ok()) return Internal("stored initial access token is malformed");
  t.policy = std::move(*p);
  return t;
}

nlohmann::json ToRecord(const InitialToken& t) {
  return {{"name", t.name},       {"created_by", t.created_by}, {"created", t.created},
          {"expires", t.expires}, {"uses", t.uses},             {"uses_left", t.uses_left},
          {"policy", t.policy.ToJson()}};
}

}  // namespace

nlohmann::json InitialToken::ToJson() const {
  return {{"id", id},
          {"name", name},
          {"created_by", created_by},
          {"created", created},
          {"expires", Rfc3339(expires * 1000)},
          {"uses", uses},
          {"uses_left", uses_left},
          {"policy", policy.ToJson()}};
}

StatusOr<std::pair<InitialToken, Secret>> InitialAccessTokens::Issue(const std::string& actor,
                                                                     const InitialTokenRequest& req) {
  if (req.name.empty() || req.name.size() > 100) return InvalidArgument("the token name must be 1 to 100 characters");
  if (req.uses < 1 || req.uses > kMaxInitialTokenUses)
    return InvalidArgument("uses must be between 1 and " + std::to_string(kMaxInitialTokenUses));
  if (req.ttl_seconds < 60 || req.ttl_seconds > kMaxInitialTokenTtlSeconds)
    return InvalidArgument("the lifetime must be between 60 seconds and 90 days");
  Secret token("iat_" + random_.Token(32));
  const std::string key = Sha256Hex(token.reveal());
  InitialToken t;
  t.id = key.substr(0, 12);
  t.name = req.name;
  t.created_by = actor;
  t.created = Rfc3339(clock_.NowUnixMillis());
  t.expires = clock_.NowUnixSeconds() + req.ttl_seconds;
  t.uses = t.uses_left = req.uses;
  t.policy = req.policy;
  CERTME_RETURN_IF_ERROR(
      store_.Put(kNs, key, ToRecord(t).dump(), std::chrono::seconds(req.ttl_seconds + kKeepSeconds)));
  CERTME_RETURN_IF_ERROR(audit_.Append(actor, "initial_token.create", t.id, "test", nullptr, t.ToJson()).status());
  return std::pair{std::move(t), std::move(token)};
}

StatusOr<std::vector<InitialToken>> InitialAccessTokens::List() {
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kNs));
  std::vector<InitialToken> out;
  for (const auto& row : rows)
    if (auto t = FromRecord(row.key, row.value); t.ok()) out.push_back(std::move(*t));
  std::sort(out.begin(), out.end(),
            [](const InitialToken& a, const InitialToken& b) { return a.created != b.created ? a.created > b.created : a.id < b.id; });
  return out;
}

Status InitialAccessTokens::Revoke(const std::string& actor, std::string_view id) {
  if (id.size() != 12) return NotFound("no such initial access token");
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kNs));
  for (const auto& row : rows) {
    if (row.key.compare(0, 12, id) != 0) continue;
    auto t = FromRecord(row.key, row.value);
    CERTME_RETURN_IF_ERROR(store_.Delete(kNs, row.key));
    return audit_
        .Append(actor, "initial_token.revoke", std::string(id), "test", t.ok() ? t->ToJson() : nlohmann::json(), nullptr)
        .status();
  }
  return NotFound("no such initial access token");
}

StatusOr<InitialToken> InitialAccessTokens::Check(std::string_view token) {
  if (token.empty() || token.size() > 200) return Invalid();
  const std::string key = Sha256Hex(token);
  auto raw = store_.Get(kNs, key);
  if (!raw.ok()) return raw.status().code() == StatusCode::kNotFound ? Invalid() : raw.status();
  CERTME_ASSIGN_OR_RETURN(InitialToken t, FromRecord(key, *raw));
  if (t.uses_left < 1 || t.expires <= clock_.NowUnixSeconds()) return Invalid();
  return t;
}

Status InitialAccessTokens::Spend(std::string_view token) {
  const std::string key = Sha256Hex(token);
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto raw = store_.Get(kNs, key);
    if (!raw.ok()) return raw.status().code() == StatusCode::kNotFound ? Invalid() : raw.status();
    CERTME_ASSIGN_OR_RETURN(InitialToken t, FromRecord(key, *raw));
    if (t.uses_left < 1 || t.expires <= clock_.NowUnixSeconds()) return Invalid();
    --t.uses_left;
    const int64_t keep = std::max<int64_t>(t.expires - clock_.NowUnixSeconds(), 0) + kKeepSeconds;
    Status st = store_.CompareAndSwap(kNs, key, *raw, ToRecord(t).dump(), std::chrono::seconds(keep));
    if (st.ok()) return st;
    if (st.code() == StatusCode::kNotFound) return Invalid();
    if (st.code() != StatusCode::kFailedPrecondition) return st;
  }
  return Unavailable("the initial access token is busy: try again");
}

}  // namespace certme::admin
