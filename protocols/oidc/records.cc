#include "protocols/oidc/records.h"

#include <algorithm>

namespace certme::oidc_internal {
namespace {

nlohmann::json GrantJson(const GrantRecord& r) {
  return {{"grant_id", r.grant_id}, {"client_id", r.client_id},   {"subject", r.subject},
          {"session_key", r.session_key}, {"sid", r.sid},         {"scopes", r.scopes},
          {"claims", r.claims},     {"attributes", r.attributes}, {"auth_time", r.auth_time},
          {"acr", r.acr},           {"amr", r.amr},               {"expires_at", r.expires_at},
          {"eid", r.eid}};
}

// Reads a record with nlohmann's checked accessors; a type mismatch throws,
// which the caller turns into nullopt (stored data is ours, so this only
// happens on corruption or a version skew).
GrantRecord GrantFrom(const nlohmann::json& j) {
  GrantRecord r;
  r.grant_id = j.at("grant_id").get<std::string>();
  r.client_id = j.at("client_id").get<std::string>();
  r.subject = j.at("subject").get<std::string>();
  r.session_key = j.at("session_key").get<std::string>();
  r.sid = j.at("sid").get<std::string>();
  r.scopes = j.at("scopes").get<std::vector<std::string>>();
  r.claims = j.at("claims");
  r.attributes = j.at("attributes").get<std::map<std::string, std::string>>();
  r.auth_time = j.at("auth_time").get<int64_t>();
  r.acr = j.at("acr").get<std::string>();
  r.amr = j.at("amr").get<std::vector<std::string>>();
  r.expires_at = j.at("expires_at").get<int64_t>();
  r.eid = j.value("eid", std::string());  // absent in records written before it existed
  return r;
}

template <typename T, typename F>
std::optional<T> ParseWith(std::string_view text, F from) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    return from(j);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

nlohmann::json ToJson(const AuthzRecord& r) {
  return {{"client_id", r.client_id},         {"redirect_uri", r.redirect_uri},
          {"response_mode", r.response_mode}, {"state", r.state},
          {"nonce", r.nonce},                 {"scopes", r.scopes},
          {"claims", r.claims},               {"code_challenge", r.code_challenge},
          {"attributes", r.attributes},       {"ui_locale", r.ui_locale},
          {"browser_hash", r.browser_hash},   {"created_at", r.created_at},
          {"acr_values", r.acr_values}, {"dpop_jkt", r.dpop_jkt}};
}

nlohmann::json ToJson(const SessionRecord& r) {
  return {{"sid", r.sid},         {"subject", r.subject},       {"auth_time", r.auth_time},
          {"acr", r.acr},         {"amr", r.amr},               {"attributes", r.attributes},
          {"consented", r.consented}, {"clients", r.clients},   {"grants", r.grants},
          {"expires_at", r.expires_at}, {"eid", r.eid}};
}

nlohmann::json ToJson(const GrantRecord& r) { return GrantJson(r); }

nlohmann::json ToJson(const CodeRecord& r) {
  return {{"grant", GrantJson(r.grant)},
          {"attribute_keys", r.attribute_keys},
          {"redirect_uri", r.redirect_uri},
          {"code_challenge", r.code_challenge},
          {"nonce", r.nonce},
          {"dpop_jkt", r.dpop_jkt}};
}

nlohmann::json ToJson(const AccessTokenRecord& r) {
  return {{"grant_id", r.grant_id}, {"client_id", r.client_id}, {"scopes", r.scopes},
          {"expires_at", r.expires_at}, {"issued_at", r.issued_at},
          {"jkt", r.jkt},               {"x5t_s256", r.x5t_s256}};
}

nlohmann::json ToJson(const RefreshTokenRecord& r) {
  return {{"grant_id", r.grant_id}, {"client_id", r.client_id}, {"rotated", r.rotated}, {"jkt", r.jkt},
          {"x5t_s256", r.x5t_s256}};
}

nlohmann::json ToJson(const LogoutRecord& r) {
  return {{"client_id", r.client_id},
          {"post_logout_redirect_uri", r.post_logout_redirect_uri},
          {"state", r.state},
          {"ui_locale", r.ui_locale},
          {"session_key", r.session_key}};
}

std::optional<AuthzRecord> ParseAuthzRecord(std::string_view text) {
  return ParseWith<AuthzRecord>(text, [](const nlohmann::json& j) {
    AuthzRecord r;
    r.client_id = j.at("client_id").get<std::string>();
    r.redirect_uri = j.at("redirect_uri").get<std::string>();
    r.response_mode = j.at("response_mode").get<std::string>();
    r.state = j.at("state").get<std::string>();
    r.nonce = j.at("nonce").get<std::string>();
    r.scopes = j.at("scopes").get<std::vector<std::string>>();
    r.claims = j.at("claims");
    r.code_challenge = j.at("code_challenge").get<std::string>();
    r.attributes = j.at("attributes").get<std::vector<std::string>>();
    r.ui_locale = j.at("ui_locale").get<std::string>();
    r.browser_hash = j.at("browser_hash").get<std::string>();
    r.created_at = j.at("created_at").get<int64_t>();
    r.acr_values = j.value("acr_values", std::vector<std::string>());
    r.dpop_jkt = j.value("dpop_jkt", std::string());  // absent: not bound
    return r;
  });
}

std::optional<SessionRecord> ParseSessionRecord(std::string_view text) {
  return ParseWith<SessionRecord>(text, [](const nlohmann::json& j) {
    SessionRecord r;
    r.sid = j.at("sid").get<std::string>();
    r.subject = j.at("subject").get<std::string>();
    r.auth_time = j.at("auth_time").get<int64_t>();
    r.acr = j.at("acr").get<std::string>();
    r.amr = j.at("amr").get<std::vector<std::string>>();
    r.attributes = j.at("attributes").get<std::map<std::string, std::string>>();
    r.consented = j.at("consented").get<std::vector<std::string>>();
    r.clients = j.at("clients").get<std::vector<std::string>>();
    r.grants = j.at("grants").get<std::vector<std::string>>();
    r.expires_at = j.at("expires_at").get<int64_t>();
    r.eid = j.value("eid", std::string());
    return r;
  });
}

std::optional<GrantRecord> ParseGrantRecord(std::string_view text) {
  return ParseWith<GrantRecord>(text, [](const nlohmann::json& j) { return GrantFrom(j); });
}

std::optional<CodeRecord> ParseCodeRecord(std::string_view text) {
  return ParseWith<CodeRecord>(text, [](const nlohmann::json& j) {
    CodeRecord r;
    r.grant = GrantFrom(j.at("grant"));
    r.attribute_keys = j.value("attribute_keys", std::vector<std::string>());
    r.redirect_uri = j.at("redirect_uri").get<std::string>();
    r.code_challenge = j.at("code_challenge").get<std::string>();
    r.nonce = j.at("nonce").get<std::string>();
    r.dpop_jkt = j.value("dpop_jkt", std::string());  // absent: not bound
    return r;
  });
}

std::optional<AccessTokenRecord> ParseAccessTokenRecord(std::string_view text) {
  return ParseWith<AccessTokenRecord>(text, [](const nlohmann::json& j) {
    AccessTokenRecord r;
    r.grant_id = j.at("grant_id").get<std::string>();
    r.client_id = j.at("client_id").get<std::string>();
    r.scopes = j.at("scopes").get<std::vector<std::string>>();
    r.expires_at = j.at("expires_at").get<int64_t>();
    r.issued_at = j.value("issued_at", int64_t{0});  // absent in records of older versions
    r.jkt = j.value("jkt", std::string());            // absent: not sender-constrained
    r.x5t_s256 = j.value("x5t_s256", std::string());
    return r;
  });
}

nlohmann::json ToJson(const DeviceRecord& r) {
  return {{"client_id", r.client_id},   {"scopes", r.scopes},         {"claims", r.claims},
          {"acr_values", r.acr_values}, {"attributes", r.attributes}, {"ui_locale", r.ui_locale},
          {"user_code", r.user_code},   {"expires_at", r.expires_at}, {"interval", r.interval},
          {"last_poll", r.last_poll},   {"state", r.state},           {"txn", r.txn},
          {"subject", r.subject},       {"eid", r.eid},               {"login_attributes", r.login_attributes},
          {"acr", r.acr},               {"amr", r.amr},               {"auth_time", r.auth_time},
          {"error", r.error},           {"status_txn", r.status_txn}};
}

std::optional<DeviceRecord> ParseDeviceRecord(std::string_view text) {
  return ParseWith<DeviceRecord>(text, [](const nlohmann::json& j) {
    DeviceRecord r;
    r.client_id = j.at("client_id").get<std::string>();
    r.scopes = j.at("scopes").get<std::vector<std::string>>();
    r.claims = j.at("claims");
    r.acr_values = j.at("acr_values").get<std::vector<std::string>>();
    r.attributes = j.at("attributes").get<std::vector<std::string>>();
    r.ui_locale = j.at("ui_locale").get<std::string>();
    r.user_code = j.at("user_code").get<std::string>();
    r.expires_at = j.at("expires_at").get<int64_t>();
    r.interval = j.at("interval").get<int64_t>();
    r.last_poll = j.at("last_poll").get<int64_t>();
    r.state = j.at("state").get<std::string>();
    r.txn = j.at("txn").get<std::string>();
    r.subject = j.at("subject").get<std::string>();
    r.eid = j.at("eid").get<std::string>();
    r.login_attributes = j.at("login_attributes").get<std::map<std::string, std::string>>();
    r.acr = j.at("acr").get<std::string>();
    r.amr = j.at("amr").get<std::vector<std::string>>();
    r.auth_time = j.at("auth_time").get<int64_t>();
    r.error = j.at("error").get<std::string>();
    r.status_txn = j.value("status_txn", std::string());  // absent in records of older versions
    if (r.state != DeviceRecord::kPending && r.state != DeviceRecord::kApproved &&
        r.state != DeviceRecord::kDenied)
      throw nlohmann::json::other_error::create(501, "unknown device state", &j);
    return r;
  });
}

nlohmann::json ToJson(const DeviceLoginRecord& r) {
  return {{"device_key", r.device_key}, {"outcome", r.outcome}, {"client_id", r.client_id}};
}

std::optional<DeviceLoginRecord> ParseDeviceLoginRecord(std::string_view text) {
  return ParseWith<DeviceLoginRecord>(text, [](const nlohmann::json& j) {
    return DeviceLoginRecord{j.at("device_key").get<std::string>(), j.at("outcome").get<std::string>(),
                             j.value("client_id", std::string())};
  });
}

nlohmann::json ToJson(const DeviceStatusRecord& r) { return {{"device_key", r.device_key}, {"txn", r.txn}}; }

std::optional<DeviceStatusRecord> ParseDeviceStatusRecord(std::string_view text) {
  return ParseWith<DeviceStatusRecord>(text, [](const nlohmann::json& j) {
    return DeviceStatusRecord{j.at("device_key").get<std::string>(), j.at("txn").get<std::string>()};
  });
}

nlohmann::json ToJson(const PushedRequestRecord& r) {
  return {{"client_id", r.client_id}, {"params", r.params}};
}

std::optional<PushedRequestRecord> ParsePushedRequestRecord(std::string_view text) {
  return ParseWith<PushedRequestRecord>(text, [](const nlohmann::json& j) {
    PushedRequestRecord r;
    r.client_id = j.at("client_id").get<std::string>();
    r.params = j.at("params").get<std::vector<std::pair<std::string, std::string>>>();
    return r;
  });
}

std::optional<RefreshTokenRecord> ParseRefreshTokenRecord(std::string_view text) {
  return ParseWith<RefreshTokenRecord>(text, [](const nlohmann::json& j) {
    RefreshTokenRecord r;
    r.grant_id = j.at("grant_id").get<std::string>();
    r.client_id = j.at("client_id").get<std::string>();
    r.rotated = j.at("rotated").get<bool>();
    r.jkt = j.value("jkt", std::string());  // absent: not bound
    r.x5t_s256 = j.value("x5t_s256", std::string());
    return r;
  });
}

std::optional<LogoutRecord> ParseLogoutRecord(std::string_view text) {
  return ParseWith<LogoutRecord>(text, [](const nlohmann::json& j) {
    LogoutRecord r;
    r.client_id = j.at("client_id").get<std::string>();
    r.post_logout_redirect_uri = j.at("post_logout_redirect_uri").get<std::string>();
    r.state = j.at("state").get<std::string>();
    r.ui_locale = j.at("ui_locale").get<std::string>();
    r.session_key = j.at("session_key").get<std::string>();
    return r;
  });
}

Status PutGrant(Store& store, const GrantRecord& grant, int64_t ttl_seconds, int64_t attributes_ttl_seconds) {
  GrantRecord bare = grant;
  bare.attributes.clear();
  if (!grant.attributes.empty() && attributes_ttl_seconds > 0) {
    nlohmann::json values = grant.attributes;
    CERTME_RETURN_IF_ERROR(store.Put(kGrantAttrsNs, grant.grant_id, values.dump(),
                                     std::chrono::seconds(std::min(attributes_ttl_seconds, ttl_seconds))));
  }
  return store.Put(kGrantNs, grant.grant_id, ToJson(bare).dump(), std::chrono::seconds(ttl_seconds));
}

StatusOr<GrantRecord> GetGrant(Store& store, std::string_view grant_id) {
  CERTME_ASSIGN_OR_RETURN(std::string raw, store.Get(kGrantNs, grant_id));
  auto grant = ParseGrantRecord(raw);
  if (!grant) return Internal("grant record unreadable");
  auto values = store.Get(kGrantAttrsNs, grant_id);
  if (values.ok()) {
    auto j = nlohmann::json::parse(*values, nullptr, false);
    if (j.is_object())
      for (const auto& [k, v] : j.items())
        if (v.is_string()) grant->attributes[k] = v.get<std::string>();
  } else if (values.status().code() != StatusCode::kNotFound) {
    return values.status();
  }
  return *grant;
}

Status DeleteGrant(Store& store, std::string_view grant_id) {
  Status values = store.Delete(kGrantAttrsNs, grant_id);
  Status grant = store.Delete(kGrantNs, grant_id);
  return grant.ok() ? values : grant;
}

}  // namespace certme::oidc_internal
