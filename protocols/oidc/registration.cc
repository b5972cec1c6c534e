#include "protocols/oidc/registration.h"

#include <algorithm>
#include <set>

#include "protocols/oidc/internal.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme {
namespace {

using oidc_internal::Contains;

const std::vector<std::string>& DefaultGrants() {
  static const std::vector<std::string> v = {std::string(oidc::kGrantAuthorizationCode),
                                             std::string(oidc::kGrantRefreshToken)};
  return v;
}
const std::vector<std::string>& DefaultMethods() {
  static const std::vector<std::string> v = {std::string(oidc::kAuthClientSecretBasic),
                                             std::string(oidc::kAuthClientSecretPost),
                                             std::string(oidc::kAuthPrivateKeyJwt), std::string(oidc::kAuthNone)};
  return v;
}
const std::vector<std::string>& KnownGrants() {
  static const std::vector<std::string> v = {
      std::string(oidc::kGrantAuthorizationCode), std::string(oidc::kGrantRefreshToken),
      std::string(oidc::kGrantClientCredentials), std::string(oidc::kGrantDeviceCode)};
  return v;
}
const std::vector<std::string>& KnownMethods() {
  static const std::vector<std::string> v = {
      std::string(oidc::kAuthClientSecretBasic), std::string(oidc::kAuthClientSecretPost),
      std::string(oidc::kAuthPrivateKeyJwt), std::string(oidc::kAuthTlsClientAuth), std::string(oidc::kAuthNone)};
  return v;
}

RegistrationError Meta(std::string d) { return {std::string(kErrInvalidClientMetadata), std::move(d)}; }
RegistrationError Redirect(std::string d) { return {std::string(kErrInvalidRedirectUri), std::move(d)}; }

bool IsLoopbackHost(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
}

// A member that must be a string when present; *out untouched when absent.
std::optional<RegistrationError> GetString(const nlohmann::json& m, const char* name, size_t max, std::string* out) {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return Meta(std::string(name) + " must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max) return Meta(std::string(name) + " is too long");
  if (!oidc_internal::IsUtf8(s)) return Meta(std::string(name) + " is not valid UTF-8");
  *out = s;
  return std::nullopt;
}

std::optional<RegistrationError> GetStrings(const nlohmann::json& m, const char* name, size_t max_items,
                                            size_t max_bytes, std::vector<std::string>* out) {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) return Meta(std::string(name) + " must be an array of strings");
  if (it->size() > max_items) return Meta(std::string(name) + " has more than " + std::to_string(max_items) + " values");
  std::vector<std::string> v;
  for (const auto& e : *it) {
    if (!e.is_string()) return Meta(std::string(name) + " must be an array of strings");
    const auto& s = e.get_ref<const std::string&>();
    if (s.empty() || s.size() > max_bytes || !oidc_internal::IsUtf8(s))
      return Meta(std::string(name) + " has an empty, too long or malformed value");
    if (!Contains(v, s)) v.push_back(s);
  }
  *out = std::move(v);
  return std::nullopt;
}

std::optional<RegistrationError> GetBool(const nlohmann::json& m, const char* name, bool* out) {
  auto it = m.find(name);
  if (it == m.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return Meta(std::string(name) + " must be true or false");
  *out = it->get<bool>();
  return std::nullopt;
}

// RFC 7591 §2 and OIDC Registration §2: redirect URIs are absolute, have no
// fragment, and here are https (loopback http in development) under the
// policy's prefixes.
std::optional<RegistrationError> CheckUri(const std::string& uri, const char* what, const RegistrationPolicy& p) {
  auto u = oidc_internal::ParseUrl(uri);
  if (!u || u->has_fragment) return Redirect(std::string(what) + " must be an absolute URI without a fragment");
  const bool loopback_http = u->scheme == "http" && IsLoopbackHost(u->host);
  if (u->scheme != "https" && !(loopback_http && p.allow_loopback_http))
    return Redirect(std::string(what) + " must use https" +
                    (p.allow_loopback_http ? " (plain http only on a loopback host)" : ""));
  if (!p.redirect_uri_prefixes.empty() &&
      std::none_of(p.redirect_uri_prefixes.begin(), p.redirect_uri_prefixes.end(),
                   [&](const std::string& prefix) { return uri.rfind(prefix, 0) == 0; }))
    return Redirect(std::string(what) + " is outside what the initial access token allows");
  return std::nullopt;
}

}  // namespace

bool RegistrationNeedsSecret(std::string_view m) {
  return m == oidc::kAuthClientSecretBasic || m == oidc::kAuthClientSecretPost;
}

nlohmann::json RegistrationPolicy::ToJson() const {
  return {{"grant_types", grant_types},
          {"auth_methods", auth_methods},
          {"redirect_uri_prefixes", redirect_uri_prefixes}};
}

StatusOr<RegistrationPolicy> RegistrationPolicy::FromJson(const nlohmann::json& j) {
  RegistrationPolicy p;
  if (j.is_null()) return p;
  if (!j.is_object()) return InvalidArgument("the policy must be a JSON object");
  auto list = [&](const char* name, std::vector<std::string>* out) -> Status {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_array() || it->size() > 20) return InvalidArgument(std::string(name) + " must be a list of at most 20 strings");
    for (const auto& e : *it) {
      if (!e.is_string() || e.get_ref<const std::string&>().empty() || e.get_ref<const std::string&>().size() > 512)
        return InvalidArgument(std::string(name) + " must be a list of non-empty strings");
      out->push_back(e.get<std::string>());
    }
    return Status::Ok();
  };
  CERTME_RETURN_IF_ERROR(list("grant_types", &p.grant_types));
  CERTME_RETURN_IF_ERROR(list("auth_methods", &p.auth_methods));
  CERTME_RETURN_IF_ERROR(list("redirect_uri_prefixes", &p.redirect_uri_prefixes));
  for (const auto& g : p.grant_types)
    if (!Contains(KnownGrants(), g)) return InvalidArgument("grant_types: unknown grant type \"" + g + "\"");
  for (const auto& m : p.auth_methods)
    if (!Contains(KnownMethods(), m)) return InvalidArgument("auth_methods: unknown method \"" + m + "\"");
  for (const auto& prefix : p.redirect_uri_prefixes) {
    auto u = oidc_internal::ParseUrl(prefix);
    if (!u || (u->scheme != "https" && !(u->scheme == "http" && IsLoopbackHost(u->host))) || u->path_query.empty() ||
        u->path_query.front() != '/')
      return InvalidArgument("redirect_uri_prefixes: \"" + prefix +
                             "\" must be an https URL with at least a path of \"/\" (so the host is fixed)");
  }
  return p;
}

Result<OidcClient, RegistrationError> ClientFromRegistrationMetadata(const nlohmann::json& m,
                                                                     const RegistrationPolicy& policy,
                                                                     const ClaimsCatalogue& catalogue) {
  if (!m.is_object()) return Meta("the body must be a JSON object of client metadata");
  OidcClient c;
  c.grant_types.clear();
  c.response_types.clear();
  std::vector<std::string> grants = {std::string(oidc::kGrantAuthorizationCode)};  // RFC 7591 §2 default
  std::vector<std::string> responses = {std::string(oidc::kResponseTypeCode)};
  std::string scope, name;
  std::optional<RegistrationError> e;
  if ((e = GetStrings(m, "redirect_uris", kMaxRegisteredRedirectUris, kMaxRegisteredUriBytes, &c.redirect_uris)) ||
      (e = GetStrings(m, "post_logout_redirect_uris", kMaxRegisteredRedirectUris, kMaxRegisteredUriBytes,
                      &c.post_logout_redirect_uris)) ||
      (e = GetStrings(m, "grant_types", 8, 100, &grants)) || (e = GetStrings(m, "response_types", 4, 100, &responses)) ||
      (e = GetString(m, "token_endpoint_auth_method", 100, &c.token_endpoint_auth_method)) ||
      (e = GetString(m, "id_token_signed_response_alg", 20, &c.id_token_signed_response_alg)) ||
      (e = GetString(m, "subject_type", 20, &c.subject_type)) ||
      (e = GetString(m, "backchannel_logout_uri", kMaxRegisteredUriBytes, &c.backchannel_logout_uri)) ||
      (e = GetBool(m, "backchannel_logout_session_required", &c.backchannel_logout_session_required)) ||
      (e = GetString(m, "frontchannel_logout_uri", kMaxRegisteredUriBytes, &c.frontchannel_logout_uri)) ||
      (e = GetBool(m, "frontchannel_logout_session_required", &c.frontchannel_logout_session_required)) ||
      (e = GetBool(m, "require_pushed_authorization_requests", &c.require_pushed_authorization_requests)) ||
      // RFC 9449 §5.2, RFC 8705 §3.4, and the security profile (fapi2):
      // ValidateClient below holds the client to the profile's rules.
      (e = GetBool(m, "dpop_bound_access_tokens", &c.dpop_bound_access_tokens)) ||
      (e = GetBool(m, "tls_client_certificate_bound_access_tokens", &c.tls_client_certificate_bound_access_tokens)) ||
      (e = GetString(m, "profile", 20, &c.profile)) ||
      (e = GetString(m, "tls_client_auth_subject_dn", 1024, &c.tls_client_auth_subject_dn)) ||
      (e = GetString(m, "scope", 1024, &scope)) || (e = GetString(m, "client_name", kMaxClientNameChars * 4, &name)))
    return *e;
  for (const char* unsupported : {"jwks_uri", "sector_identifier_uri", "request_uris", "initiate_login_uri"})
    if (m.contains(unsupported) && !m[unsupported].is_null())
      return Meta(std::string(unsupported) + " is not supported here" +
                  (std::string_view(unsupported) == "jwks_uri" ? ": send the keys as jwks" : ""));

  // Names: client_name, and client_name#ro / #ru / #en (RFC 7591 §2.2).
  if (!name.empty()) c.names["en"] = name;
  for (const char* lang : {"ro", "ru", "en"}) {
    std::string v;
    if ((e = GetString(m, ("client_name#" + std::string(lang)).c_str(), kMaxClientNameChars * 4, &v))) return *e;
    if (!v.empty()) c.names[lang] = v;
  }

  // Redirect URIs: the policy and the transport rules, as invalid_redirect_uri.
  for (const auto& u : c.redirect_uris)
    if ((e = CheckUri(u, "redirect_uri", policy))) return *e;
  for (const auto& u : c.post_logout_redirect_uris)
    if ((e = CheckUri(u, "post_logout_redirect_uri", policy))) return *e;

  // Grant types and authentication method within the policy.
  const auto& allowed_grants = policy.grant_types.empty() ? DefaultGrants() : policy.grant_types;
  for (const auto& g : grants)
    if (!Contains(allowed_grants, g))
      return Meta("grant type \"" + oidc_internal::SafeDescription(g) + "\" is not allowed for this registration");
  const auto& allowed_methods = policy.auth_methods.empty() ? DefaultMethods() : policy.auth_methods;
  if (!Contains(allowed_methods, c.token_endpoint_auth_method))
    return Meta("token_endpoint_auth_method \"" + oidc_internal::SafeDescription(c.token_endpoint_auth_method) +
                "\" is not allowed for this registration");
  // RFC 7591 §2.1: grant types and response types agree.
  for (const auto& r : responses)
    if (r != oidc::kResponseTypeCode) return Meta("only the response type \"code\" is supported");
  const bool code = Contains(grants, oidc::kGrantAuthorizationCode);
  if (code != !responses.empty() && m.contains("response_types"))
    return Meta("response_types [\"code\"] goes with the authorization_code grant, and only with it");
  if (code && c.redirect_uris.empty()) return Redirect("redirect_uris is required for the authorization_code grant");
  c.grant_types = grants;
  c.response_types = code ? std::vector<std::string>{std::string(oidc::kResponseTypeCode)} : std::vector<std::string>{};

  // Keys for private_key_jwt: jwks by value only.
  if (auto it = m.find("jwks"); it != m.end() && !it->is_null()) {
    if (!it->is_object() || !it->contains("keys") || !(*it)["keys"].is_array() || (*it)["keys"].size() > 10)
      return Meta("jwks must be a JSON Web Key Set with at most 10 keys");
    c.jwks = it->dump();
  }

  // Scopes: openid and each scope that releases catalogue attributes.
  c.scopes = {"openid"};
  c.attributes.clear();
  for (size_t i = 0; i < scope.size();) {
    size_t j = scope.find(' ', i);
    if (j == std::string::npos) j = scope.size();
    std::string s = scope.substr(i, j - i);
    i = j + 1;
    if (s.empty() || s == "openid") continue;
    auto defs = catalogue.ForScope(s);
    if (defs.empty() && s != "offline_access")
      return Meta("scope \"" + oidc_internal::SafeDescription(s) + "\" is not offered by this provider");
    if (!Contains(c.scopes, s)) c.scopes.push_back(s);
    for (const auto* d : defs)
      if (!Contains(c.attributes, d->key)) c.attributes.push_back(d->key);
  }

  // The protocol's own rules, as for a console registration.
  OidcClient probe = c;
  probe.client_id = "dynamic-registration-probe";
  if (RegistrationNeedsSecret(probe.token_endpoint_auth_method)) probe.client_secret_sha256 = std::string(64, '0');
  if (Status st = ValidateClient(probe); !st.ok()) {
    std::string msg = st.message();
    const std::string prefix = "client " + probe.client_id + ": ";
    if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    return Meta(oidc_internal::SafeDescription(msg));
  }
  return c;
}

nlohmann::json RegistrationMetadataOf(const OidcClient& c) {
  nlohmann::json j = {{"client_id", c.client_id},
                      {"redirect_uris", c.redirect_uris},
                      {"grant_types", c.grant_types},
                      {"response_types", c.response_types},
                      {"token_endpoint_auth_method", c.token_endpoint_auth_method},
                      {"id_token_signed_response_alg", c.id_token_signed_response_alg},
                      {"scope", oidc_internal::JoinScopes(c.scopes)}};
  if (!c.post_logout_redirect_uris.empty()) j["post_logout_redirect_uris"] = c.post_logout_redirect_uris;
  auto en = c.names.find("en");
  if (en != c.names.end()) j["client_name"] = en->second;
  for (const auto& [lang, n] : c.names) j["client_name#" + lang] = n;
  if (!c.subject_type.empty()) j["subject_type"] = c.subject_type;
  if (!c.backchannel_logout_uri.empty()) {
    j["backchannel_logout_uri"] = c.backchannel_logout_uri;
    j["backchannel_logout_session_required"] = c.backchannel_logout_session_required;
  }
  if (!c.frontchannel_logout_uri.empty()) {
    j["frontchannel_logout_uri"] = c.frontchannel_logout_uri;
    j["frontchannel_logout_session_required"] = c.frontchannel_logout_session_required;
  }
  if (c.require_pushed_authorization_requests) j["require_pushed_authorization_requests"] = true;
  if (c.dpop_bound_access_tokens) j["dpop_bound_access_tokens"] = true;
  if (c.tls_client_certificate_bound_access_tokens) j["tls_client_certificate_bound_access_tokens"] = true;
  if (!c.profile.empty()) j["profile"] = c.profile;
  if (!c.tls_client_auth_subject_dn.empty()) j["tls_client_auth_subject_dn"] = c.tls_client_auth_subject_dn;
  if (!c.jwks.empty()) {
    auto k = nlohmann::json::parse(c.jwks, nullptr, false);
    if (!k.is_discarded()) j["jwks"] = k;
  }
  return j;
}

}  // namespace certme
