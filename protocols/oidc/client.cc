#include "protocols/oidc/client.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "store/store.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"
#include "protocols/yaml_json.h"

namespace certme {
namespace {

using oidc_internal::ParseUrl;

constexpr std::string_view kClientNs = "oidc_client";

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Registered redirect-style URIs: absolute, with a host, no fragment
// (RFC 6749 §3.1.2).
bool IsRegistrableUri(std::string_view uri) {
  auto p = ParseUrl(uri);
  return p && !p->has_fragment;
}

bool IsHttpUri(std::string_view uri) {
  auto p = ParseUrl(uri);
  return p && !p->has_fragment && (p->scheme == "https" || p->scheme == "http");
}

}  // namespace

bool OidcClient::AllowsGrant(std::string_view grant) const { return Contains(grant_types, grant); }

bool OidcClient::AllowsScope(std::string_view scope) const {
  return scope == oidc::kScopeOpenId || Contains(scopes, scope);
}

bool OidcClient::AllowsAttribute(std::string_view key) const { return Contains(attributes, key); }

std::string OidcClient::SectorHost() const {
  if (!sector_identifier.empty()) return AsciiLower(sector_identifier);
  // A client without redirect URIs (device authorization only) is its own
  // sector: two such clients never share pairwise subjects.
  if (redirect_uris.empty()) return "client:" + client_id;
  auto p = ParseUrl(redirect_uris.front());
  return p ? p->host : std::string();
}

std::string OidcClient::DisplayName(std::string_view lang) const {
  for (std::string_view l : {lang, std::string_view("en"), std::string_view("ro")}) {
    auto it = names.find(std::string(l));
    if (it != names.end() && !it->second.empty()) return it->second;
  }
  return client_id;
}

Status ValidateClient(const OidcClient& c) {
  std::vector<std::string> problems;
  auto bad = [&](std::string p) { problems.push_back(std::move(p)); };

  if (c.client_id.empty() || c.client_id.size() > 200) bad("client_id must be 1..200 characters");
  for (unsigned char ch : c.client_id)
    if (ch <= 0x20 || ch == 0x7f) {
      bad("client_id must not contain spaces or control characters");
      break;
    }
  static const std::set<std::string, std::less<>> kMethods = {
      std::string(oidc::kAuthClientSecretBasic), std::string(oidc::kAuthClientSecretPost),
      std::string(oidc::kAuthPrivateKeyJwt), std::string(oidc::kAuthTlsClientAuth),
      std::string(oidc::kAuthNone)};
  const std::string& m = c.token_endpoint_auth_method;
  if (!kMethods.contains(m)) bad("unknown token_endpoint_auth_method `" + m + "`");
  if ((m == oidc::kAuthClientSecretBasic || m == oidc::kAuthClientSecretPost) &&
      !IsHex64(c.client_secret_sha256))
    bad("client_secret_sha256 must be 64 lowercase hex digits for " + m);
  if (m == oidc::kAuthPrivateKeyJwt) {
    if (c.jwks.empty() && c.certificate_pem.empty())
      bad("private_key_jwt needs jwks or certificate_pem");
    if (!c.jwks.empty()) {
      auto j = nlohmann::json::parse(c.jwks, nullptr, false);
      if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array())
        bad("jwks must be a JSON object with a keys array");
    }
  }
  if (m == oidc::kAuthTlsClientAuth && c.tls_client_auth_subject_dn.empty() &&
      c.tls_client_certificate_sha256.empty())
    bad("tls_client_auth needs tls_client_auth_subject_dn or tls_client_certificate_sha256");

  for (const auto& g : c.grant_types)
    if (g != oidc::kGrantAuthorizationCode && g != oidc::kGrantRefreshToken &&
        g != oidc::kGrantClientCredentials && g != oidc::kGrantDeviceCode)
      bad("unsupported grant type `" + g + "`");
  if (c.IsPublic() && c.AllowsGrant(oidc::kGrantClientCredentials))
    bad("a public client (none) cannot use client_credentials");
  for (const auto& r : c.response_types)
    if (r != oidc::kResponseTypeCode) bad("unsupported response type `" + r + "`");
  if (c.AllowsGrant(oidc::kGrantAuthorizationCode) && c.redirect_uris.empty())
    bad("authorization_code needs at least one redirect_uri");
  for (const auto& u : c.redirect_uris)
    if (!IsRegistrableUri(u)) bad("redirect_uri `" + u + "` must be absolute without fragment");
  for (const auto& u : c.post_logout_redirect_uris)
    if (!IsRegistrableUri(u))
      bad("post_logout_redirect_uri `" + u + "` must be absolute without fragment");
  const std::string& alg = c.id_token_signed_response_alg;
  if (alg != "RS256" && alg != "ES256" && alg != "PS256")
    bad("id_token_signed_response_alg must be RS256, ES256 or PS256");
  const std::string& ro_alg = c.request_object_signing_alg;
  if (!ro_alg.empty() && ro_alg != "RS256" && ro_alg != "ES256" && ro_alg != "PS256")
    bad("request_object_signing_alg must be RS256, ES256 or PS256");
  if (c.require_signed_request_object && c.jwks.empty() && c.certificate_pem.empty())
    bad("require_signed_request_object needs the client's keys (jwks or certificate_pem)");
  if (!c.subject_type.empty() && c.subject_type != oidc::kSubjectPairwise &&
      c.subject_type != oidc::kSubjectPublic)
    bad("subject_type must be pairwise or public");
  // OIDC Core §8.1: without a sector identifier all redirect URIs must share
  // one host, or two hosts of one client would see different subjects.
  if (c.sector_identifier.empty() && c.subject_type != oidc::kSubjectPublic) {
    std::set<std::string> hosts;
    for (const auto& u : c.redirect_uris)
      if (auto p = ParseUrl(u)) hosts.insert(p->host);
    if (hosts.size() > 1) bad("redirect_uris span several hosts: set sector_identifier");
  }
  if (!c.backchannel_logout_uri.empty() && !IsHttpUri(c.backchannel_logout_uri))
    bad("backchannel_logout_uri must be an absolute http(s) URI without fragment");
  if (!c.frontchannel_logout_uri.empty() && !IsHttpUri(c.frontchannel_logout_uri))
    bad("frontchannel_logout_uri must be an absolute http(s) URI without fragment");
  if (c.msign) {
    // The signing API authenticates the provider by key, never by a shared
    // secret (docs/admin.md "MSign").
    if (m != oidc::kAuthPrivateKeyJwt && m != oidc::kAuthTlsClientAuth)
      bad("MSign needs the client to authenticate with private_key_jwt or tls_client_auth");
    CheckMsignSettings(*c.msign, &problems);
  }

  if (problems.empty()) return Status::Ok();
  std::string all;
  for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
  return InvalidArgument("client " + c.client_id + ": " + all);
}

std::string HashClientSecret(std::string_view secret) { return Sha256Hex(secret); }

nlohmann::json ClientToJson(const OidcClient& c) {
  nlohmann::json j{
      {"client_id", c.client_id},
      {"names", c.names},
      {"client_secret_sha256", c.client_secret_sha256},
      {"redirect_uris", c.redirect_uris},
      {"post_logout_redirect_uris", c.post_logout_redirect_uris},
      {"grant_types", c.grant_types},
      {"response_types", c.response_types},
      {"token_endpoint_auth_method", c.token_endpoint_auth_method},
      {"jwks", c.jwks},
      {"certificate_pem", c.certificate_pem},
      {"tls_client_auth_subject_dn", c.tls_client_auth_subject_dn},
      {"tls_client_certificate_sha256", c.tls_client_certificate_sha256},
      {"id_token_signed_response_alg", c.id_token_signed_response_alg},
      {"subject_type", c.subject_type},
      {"sector_identifier", c.sector_identifier},
      {"backchannel_logout_uri", c.backchannel_logout_uri},
      {"backchannel_logout_session_required", c.backchannel_logout_session_required},
      {"frontchannel_logout_uri", c.frontchannel_logout_uri},
      {"frontchannel_logout_session_required", c.frontchannel_logout_session_required},
      {"scopes", c.scopes},
      {"attributes", c.attributes},
      {"authorization_response_iss", c.authorization_response_iss},
      {"require_pushed_authorization_requests", c.require_pushed_authorization_requests},
      {"require_signed_request_object", c.require_signed_request_object},
      {"request_object_signing_alg", c.request_object_signing_alg},
      {"dpop_bound_access_tokens", c.dpop_bound_access_tokens},
      {"tls_client_certificate_bound_access_tokens", c.tls_client_certificate_bound_access_tokens},
  };
  if (c.msign) j["msign"] = MsignToJson(*c.msign);
  return j;
}

StatusOr<OidcClient> ClientFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("client definition must be an object");
  OidcClient c;
  std::vector<std::string> problems;
  auto str = [&](const char* name, std::string* out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string()) *out = it->get<std::string>();
    else problems.push_back(std::string(name) + " must be a string");
  };
  auto list = [&](const char* name, std::vector<std::string>* out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_array()) {
      problems.push_back(std::string(name) + " must be a list of strings");
      return;
    }
    out->clear();
    for (const auto& e : *it) {
      if (!e.is_string()) {
        problems.push_back(std::string(name) + " must be a list of strings");
        return;
      }
      out->push_back(e.get<std::string>());
    }
  };
  auto boolean = [&](const char* name, bool* out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    if (it->is_boolean()) *out = it->get<bool>();
    else problems.push_back(std::string(name) + " must be a boolean");
  };
  str("client_id", &c.client_id);
  if (auto it = j.find("names"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) problems.push_back("names must be a mapping of language to name");
    else
      for (const auto& [lang, name] : it->items()) {
        if (name.is_string()) c.names[lang] = name.get<std::string>();
        else problems.push_back("names." + lang + " must be a string");
      }
  }
  str("client_secret_sha256", &c.client_secret_sha256);
  if (auto it = j.find("client_secret"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) problems.push_back("client_secret must be a string");
    else if (!c.client_secret_sha256.empty())
      problems.push_back("give client_secret or client_secret_sha256, not both");
    else c.client_secret_sha256 = HashClientSecret(it->get<std::string>());
  }
  c.client_secret_sha256 = AsciiLower(c.client_secret_sha256);
  list("redirect_uris", &c.redirect_uris);
  list("post_logout_redirect_uris", &c.post_logout_redirect_uris);
  list("grant_types", &c.grant_types);
  list("response_types", &c.response_types);
  str("token_endpoint_auth_method", &c.token_endpoint_auth_method);
  if (auto it = j.find("jwks"); it != j.end() && !it->is_null()) {
    if (it->is_string()) c.jwks = it->get<std::string>();
    else if (it->is_object()) c.jwks = it->dump();
    else problems.push_back("jwks must be a JWKS object or its JSON text");
  }
  str("certificate_pem", &c.certificate_pem);
  str("tls_client_auth_subject_dn", &c.tls_client_auth_subject_dn);
  str("tls_client_certificate_sha256", &c.tls_client_certificate_sha256);
  str("id_token_signed_response_alg", &c.id_token_signed_response_alg);
  str("subject_type", &c.subject_type);
  str("sector_identifier", &c.sector_identifier);
  str("backchannel_logout_uri", &c.backchannel_logout_uri);
  boolean("backchannel_logout_session_required", &c.backchannel_logout_session_required);
  str("frontchannel_logout_uri", &c.frontchannel_logout_uri);
  boolean("frontchannel_logout_session_required", &c.frontchannel_logout_session_required);
  list("scopes", &c.scopes);
  list("attributes", &c.attributes);
  boolean("authorization_response_iss", &c.authorization_response_iss);
  boolean("require_pushed_authorization_requests", &c.require_pushed_authorization_requests);
  boolean("require_signed_request_object", &c.require_signed_request_object);
  str("request_object_signing_alg", &c.request_object_signing_alg);
  boolean("dpop_bound_access_tokens", &c.dpop_bound_access_tokens);
  boolean("tls_client_certificate_bound_access_tokens", &c.tls_client_certificate_bound_access_tokens);
  if (auto it = j.find("msign"); it != j.end() && !it->is_null()) c.msign = MsignFromJson(*it, &problems);
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return InvalidArgument("client " + c.client_id + ": " + all);
  }
  CERTME_RETURN_IF_ERROR(ValidateClient(c));
  return c;
}

namespace {

// Parsed clients are cached, because parsing and validating the JSON record
// was ~8 % of a code flow's server CPU (three lookups per flow). The cache is
// checked against the stored bytes on every lookup instead of trusting a
// TTL: the store is shared by replicas, and a client deleted or re-keyed
// through another replica must stop working here at once, not a TTL later.
// The store read stays (cheap: one key lookup); only the parse is saved.
// Entries exist only for registered clients (a NotFound drops the entry), so
// unknown client_ids sent by anyone cannot grow the cache.
class StoreClientRegistry : public ClientRegistry {
 public:
  explicit StoreClientRegistry(Store& store) : store_(store) {}

  StatusOr<OidcClient> Get(std::string_view client_id) override {
    if (client_id.empty() || client_id.size() > 200) return NotFound("unknown client");
    StatusOr<std::string> raw = store_.Get(kClientNs, client_id);
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kNotFound) Forget(client_id);
      return raw.status();
    }
    if (std::shared_ptr<const Parsed> hit = Lookup(client_id); hit && hit->raw == *raw)
      return hit->client;
    auto c = ClientFromJson(nlohmann::json::parse(*raw, nullptr, false));
    if (!c.ok()) return Internal("client record unreadable", c.status().ToString());
    auto parsed = std::make_shared<const Parsed>(Parsed{std::move(raw).value(), *c});
    std::lock_guard<std::mutex> lock(mu_);
    cache_[std::string(client_id)] = std::move(parsed);
    return c;
  }

  Status Put(const OidcClient& client) override {
    CERTME_RETURN_IF_ERROR(ValidateClient(client));
    Forget(client.client_id);
    return store_.Put(kClientNs, client.client_id, ClientToJson(client).dump(), kNoExpiry);
  }

  StatusOr<std::vector<OidcClient>> List() override {
    CERTME_ASSIGN_OR_RETURN(std::vector<StoreEntry> entries, store_.List(kClientNs));
    std::vector<OidcClient> out;
    for (const auto& e : entries) {
      auto c = ClientFromJson(nlohmann::json::parse(e.value, nullptr, false));
      if (!c.ok()) return Internal("client record unreadable", c.status().ToString());
      out.push_back(std::move(c).value());
    }
    return out;
  }

  Status Delete(std::string_view client_id) override {
    if (client_id.empty() || client_id.size() > kMaxStoreKeyBytes) return Status::Ok();
    Forget(client_id);
    return store_.Delete(kClientNs, client_id);
  }

 private:
  // A client as parsed from exactly these stored bytes. Immutable once
  // built, so readers share it without holding the lock.
  struct Parsed {
    std::string raw;
    OidcClient client;
  };

  std::shared_ptr<const Parsed> Lookup(std::string_view client_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(client_id);
    return it == cache_.end() ? nullptr : it->second;
  }

  void Forget(std::string_view client_id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(client_id); it != cache_.end()) cache_.erase(it);
  }

  Store& store_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Parsed>, std::less<>> cache_;  // GUARDED_BY(mu_)
};


}  // namespace

std::unique_ptr<ClientRegistry> NewStoreClientRegistry(Store& store) {
  return std::make_unique<StoreClientRegistry>(store);
}

StatusOr<std::vector<OidcClient>> ParseClientsYaml(std::string_view yaml) {
  auto parsed = ParseYamlAsJson(yaml);
  if (!parsed.ok()) return InvalidArgument("clients file: " + parsed.status().message());
  nlohmann::json doc = std::move(*parsed);
  if (!doc.is_object() || !doc.contains("clients") || !doc["clients"].is_array())
    return InvalidArgument("clients file: top-level `clients` list missing");
  std::vector<OidcClient> out;
  std::vector<std::string> problems;
  std::set<std::string> ids;
  for (const auto& entry : doc["clients"]) {
    auto c = ClientFromJson(entry);
    if (!c.ok()) {
      problems.push_back(c.status().message());
      continue;
    }
    if (!ids.insert(c->client_id).second) problems.push_back("duplicate client_id " + c->client_id);
    out.push_back(std::move(c).value());
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return InvalidArgument("clients file: " + all);
  }
  return out;
}

StatusOr<std::vector<OidcClient>> LoadClientsFromYaml(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("clients file not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseClientsYaml(ss.str());
}

}  // namespace certme
