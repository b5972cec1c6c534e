// OidcProvider: construction, mount table, Discovery and JWKS.
#include "protocols/oidc/provider.h"

#include "crypto/hash.h"
#include "protocols/eidas.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme {

using namespace oidc;  // vocabulary constants

namespace {
// Domain separation: the browser cookie's key is not the pairwise salt.
constexpr std::string_view kBrowserKeyLabel = "certme oidc browser cookie v1";
constexpr std::string_view kDpopNonceKeyLabel = "certme oidc dpop nonce v1";
}  // namespace

Status ValidateOidcOptions(const OidcOptions& o) {
  std::vector<std::string> problems;
  auto p = oidc_internal::ParseUrl(o.issuer);
  if (!p || p->has_fragment || p->path_query.find('?') != std::string::npos)
    problems.push_back("issuer must be an absolute URL without query or fragment");
  else if (p->scheme != "https" && !(o.dev_mode && p->scheme == "http"))
    problems.push_back("issuer must use https (http only in dev mode)");
  if (!o.issuer.empty() && o.issuer.back() == '/')
    problems.push_back("issuer must not end with a slash");
  if (o.default_subject_type != kSubjectPairwise && o.default_subject_type != kSubjectPublic)
    problems.push_back("default_subject_type must be pairwise or public");
  if (o.token_requests_per_second_per_client < 0) problems.push_back("token_requests_per_second_per_client must be >= 0");
  if (o.token_burst_per_client < 1) problems.push_back("token_burst_per_client must be >= 1");
  if (o.pairwise_salt.reveal().size() < 32)
    problems.push_back("pairwise_salt must be at least 32 bytes");
  for (auto [name, v] : {std::pair{"code_ttl_seconds", o.code_ttl_seconds},
                         {"par_ttl_seconds", o.par_ttl_seconds},
                         {"access_token_ttl_seconds", o.access_token_ttl_seconds},
                         {"id_token_ttl_seconds", o.id_token_ttl_seconds},
                         {"refresh_token_ttl_seconds", o.refresh_token_ttl_seconds},
                         {"login_ttl_seconds", o.login_ttl_seconds},
                         {"session_ttl_seconds", o.session_ttl_seconds},
                         {"logout_token_ttl_seconds", o.logout_token_ttl_seconds},
                         {"max_client_assertion_ttl_seconds", o.max_client_assertion_ttl_seconds},
                         {"device_code_ttl_seconds", o.device_code_ttl_seconds},
                         {"device_poll_interval_seconds", o.device_poll_interval_seconds},
                         {"ciba_default_expiry_seconds", o.ciba_default_expiry_seconds},
                         {"ciba_max_expiry_seconds", o.ciba_max_expiry_seconds},
                         {"ciba_poll_interval_seconds", o.ciba_poll_interval_seconds},
                         {"ciba_hint_ttl_seconds", o.ciba_hint_ttl_seconds}})
    if (v <= 0) problems.push_back(std::string(name) + " must be positive");
  if (o.user_code_attempts_per_minute < 1) problems.push_back("user_code_attempts_per_minute must be >= 1");
  if (o.clock_skew_seconds < 0) problems.push_back("clock_skew_seconds must not be negative");
  if (problems.empty()) return Status::Ok();
  std::string all;
  for (const auto& s : problems) all += (all.empty() ? "" : "; ") + s;
  return InvalidArgument("oidc options: " + all);
}

OidcProvider::OidcProvider(OidcOptions options, Store& store, KeySet& keys,
                           ClientRegistry& clients, Authenticator& authenticator,
                           const ClaimsCatalogue& catalogue, LogoutNotifier& notifier,
                           Clock& clock, Random& random)
    : opts_(std::move(options)),
      store_(store),
      keys_(keys),
      clients_(clients),
      authenticator_(authenticator),
      catalogue_(catalogue),
      notifier_(notifier),
      clock_(clock),
      random_(random),
      token_limiter_({.per_second = static_cast<double>(opts_.token_requests_per_second_per_client),
                      .burst = static_cast<double>(std::max(1, opts_.token_burst_per_client))},
                     clock),
      user_code_limiter_({.per_second = opts_.user_code_attempts_per_minute / 60.0,
                          .burst = static_cast<double>(std::max(1, opts_.user_code_attempts_per_minute))},
                         clock),
      browser_key_(HmacSha256(opts_.pairwise_salt.reveal(), kBrowserKeyLabel)),
      dpop_nonce_key_(HmacSha256(opts_.pairwise_salt.reveal(), kDpopNonceKeyLabel)) {}

std::vector<OidcProvider::Route> OidcProvider::Routes() {
  auto s = [](std::string_view v) { return std::string(v); };
  return {
      {"GET", s(kPathDiscovery), &OidcProvider::Discovery},
      {"GET", s(kPathJwks), &OidcProvider::Jwks},
      {"GET", s(kPathAuthorize), &OidcProvider::Authorize},
      {"POST", s(kPathAuthorize), &OidcProvider::Authorize},
      {"GET", s(kPathResume), &OidcProvider::Resume},
      {"POST", s(kPathToken), &OidcProvider::Token},
      {"POST", s(kPathPar), &OidcProvider::PushedAuthorizationRequest},
      {"POST", s(kPathDeviceAuthorization), &OidcProvider::DeviceAuthorization},
      {"GET", s(kPathDevice), &OidcProvider::DeviceVerification},
      {"GET", s(kPathDeviceResume), &OidcProvider::DeviceResume},
      {"POST", s(kPathRevoke), &OidcProvider::Revoke},
      {"POST", s(kPathIntrospect), &OidcProvider::Introspect},
      {"POST", s(kPathBackchannel), &OidcProvider::BackchannelAuthentication},
      {"GET", s(kPathServerMetadata), &OidcProvider::AuthorizationServerMetadata},
      {"GET", s(kPathUserInfo), &OidcProvider::UserInfo},
      {"POST", s(kPathUserInfo), &OidcProvider::UserInfo},
      {"GET", s(kPathEndSession), &OidcProvider::EndSession},
      {"POST", s(kPathEndSession), &OidcProvider::EndSession},
      {"POST", s(kPathEndSessionConfirm), &OidcProvider::EndSessionConfirm},
      {"OPTIONS", s(kPathDiscovery), &OidcProvider::PublicPreflight},
      {"OPTIONS", s(kPathJwks), &OidcProvider::PublicPreflight},
      {"OPTIONS", s(kPathServerMetadata), &OidcProvider::PublicPreflight},
      {"OPTIONS", s(kPathToken), &OidcProvider::TokenPreflight},
      {"OPTIONS", s(kPathRevoke), &OidcProvider::TokenPreflight},
      {"OPTIONS", s(kPathPar), &OidcProvider::TokenPreflight},
      {"OPTIONS", s(kPathDeviceAuthorization), &OidcProvider::TokenPreflight},
      {"OPTIONS", s(kPathUserInfo), &OidcProvider::UserInfoPreflight},
  };
}

std::vector<JwsAlg> OidcProvider::IdTokenAlgs() const {
  // Clients may choose RS256, PS256 or ES256 (OidcClient); advertise those
  // that currently have an active key, nothing more.
  std::vector<JwsAlg> out;
  for (JwsAlg a : keys_.SigningAlgs())
    if (a == JwsAlg::kRS256 || a == JwsAlg::kPS256 || a == JwsAlg::kES256) out.push_back(a);
  return out;
}

// OIDC Discovery 1.0 §3 and RFC 8414 §2: advertise only what the endpoints
// implement. One document serves both locations: every OpenID member is a
// registered authorization server metadata name too (RFC 8414 §7.1.2).
nlohmann::json OidcProvider::ServerMetadata() const {
  nlohmann::json algs = nlohmann::json::array();
  for (JwsAlg a : IdTokenAlgs()) algs.push_back(JwsAlgName(a));
  nlohmann::json scopes = {std::string(kScopeOpenId)};
  for (const auto& s : catalogue_.Scopes()) scopes.push_back(s);
  nlohmann::json claims = {kClaimSub, kClaimIss, kClaimAud, kClaimExp, kClaimIat,
                           kClaimAuthTime, kClaimNonce, kClaimAcr, kClaimAmr, kClaimAzp,
                           kClaimSid, kClaimAtHash};
  for (const auto& d : catalogue_.all()) claims.push_back(d.oidc_claim);
  // Request objects and client assertions (RFC 9101, RFC 7523); a FAPI 2.0
  // client is held to PS256, ES256 and EdDSA among them (fapi.h).
  nlohmann::json signed_object_algs = {"RS256", "PS256", "ES256", "EdDSA"};
  nlohmann::json doc = {
      {"issuer", opts_.issuer},
      {"authorization_endpoint", Url(kPathAuthorize)},
      {"token_endpoint", Url(kPathToken)},
      {"userinfo_endpoint", Url(kPathUserInfo)},
      {"jwks_uri", Url(kPathJwks)},
      {"end_session_endpoint", Url(kPathEndSession)},
      {"response_types_supported", {kResponseTypeCode}},
      {"response_modes_supported", {kResponseModeQuery, kResponseModeFormPost}},
      {"subject_types_supported", {kSubjectPairwise, kSubjectPublic}},
      {"id_token_signing_alg_values_supported", algs},
      {"token_endpoint_auth_methods_supported",
       {kAuthClientSecretBasic, kAuthClientSecretPost, kAuthPrivateKeyJwt, kAuthTlsClientAuth,
        kAuthNone}},
      {"token_endpoint_auth_signing_alg_values_supported", signed_object_algs},
      {"code_challenge_methods_supported", {kPkceS256}},
      {"scopes_supported", scopes},
      {"claims_supported", claims},
      {"claim_types_supported", {"normal"}},
      {"claims_parameter_supported", true},
      // RFC 9101 signed request objects, at /authorize and pushed to /par.
      {"request_parameter_supported", true},
      {"request_object_signing_alg_values_supported", signed_object_algs},
      // request_uri is taken only as the answer of our own PAR endpoint.
      {"request_uri_parameter_supported", false},
      // RFC 9126 §5: per client (its registration); not for every client.
      {"pushed_authorization_request_endpoint", Url(kPathPar)},
      {"require_pushed_authorization_requests", false},
      {"require_request_uri_registration", false},
      {"prompt_values_supported", {kPromptNone, kPromptLogin, kPromptConsent}},
      // The eIDAS levels an eID can be enrolled at; a login reports its eID's.
      {"acr_values_supported", {eidas::kLoaLow, eidas::kLoaSubstantial, eidas::kLoaHigh}},
      {"ui_locales_supported", {"ro", "ru", "en"}},
      {"authorization_response_iss_parameter_supported", true},
      {"backchannel_logout_supported", true},
      {"backchannel_logout_session_supported", true},
      {"frontchannel_logout_supported", true},
      {"frontchannel_logout_session_supported", true},
      // RFC 7009 / RFC 7662, with the token endpoint's client authentication
      // (introspection refuses public clients: RFC 7662 §2.1).
      {"revocation_endpoint", Url(kPathRevoke)},
      {"revocation_endpoint_auth_methods_supported",
       {kAuthClientSecretBasic, kAuthClientSecretPost, kAuthPrivateKeyJwt, kAuthTlsClientAuth,
        kAuthNone}},
      {"revocation_endpoint_auth_signing_alg_values_supported", signed_object_algs},
      {"introspection_endpoint", Url(kPathIntrospect)},
      {"introspection_endpoint_auth_methods_supported",
       {kAuthClientSecretBasic, kAuthClientSecretPost, kAuthPrivateKeyJwt, kAuthTlsClientAuth}},
      {"introspection_endpoint_auth_signing_alg_values_supported", signed_object_algs},
      // Sender-constrained tokens: RFC 9449 §5.1 and RFC 8705 §3.3.
      {"tls_client_certificate_bound_access_tokens", true},
  };
  nlohmann::json dpop_algs = nlohmann::json::array();
  for (JwsAlg a : oidc_internal::DpopAlgs()) dpop_algs.push_back(JwsAlgName(a));
  doc["dpop_signing_alg_values_supported"] = dpop_algs;
  nlohmann::json grants = {kGrantAuthorizationCode, kGrantRefreshToken, kGrantClientCredentials};
  // RFC 8628 §4: only when the endpoints are on.
  if (opts_.device_authorization_enabled) {
    grants.push_back(kGrantDeviceCode);
    doc["device_authorization_endpoint"] = Url(kPathDeviceAuthorization);
  }
  // CIBA Core §4: only when the endpoint is on; poll and ping, no user_code,
  // no signed authentication requests.
  if (opts_.ciba_enabled) {
    grants.push_back(kGrantCiba);
    doc["backchannel_authentication_endpoint"] = Url(kPathBackchannel);
    doc["backchannel_token_delivery_modes_supported"] = {kModePoll, kModePing};
    doc["backchannel_user_code_parameter_supported"] = false;
  }
  doc["grant_types_supported"] = grants;
  // RFC 7591 §3 / RFC 8414 §2: only when dynamic registration is on.
  if (opts_.registration_enabled) doc["registration_endpoint"] = Url(kPathRegister);
  return doc;
}

namespace {
HttpResponse PublicJson(const nlohmann::json& doc) {
  HttpResponse r = HttpResponse::Json(200, doc.dump());
  r.headers.Set("Cache-Control", "public, max-age=300");
  r.headers.Set("Access-Control-Allow-Origin", "*");
  return r;
}
}  // namespace

HttpResponse OidcProvider::Discovery(const HttpRequest&) { return PublicJson(ServerMetadata()); }

// RFC 8414 §3: the same metadata, the same issuer. With an issuer that has a
// path, §3.1 puts this document at /.well-known/oauth-authorization-server
// followed by that path; it is served under the issuer's path like every
// other route here (docs/oidc.md).
HttpResponse OidcProvider::AuthorizationServerMetadata(const HttpRequest&) {
  return PublicJson(ServerMetadata());
}

// RFC 7517 §5; published keys include "next" ones (before they sign) and
// retired ones (until what they signed expires), so a few minutes of
// caching is safe.
HttpResponse OidcProvider::Jwks(const HttpRequest&) {
  HttpResponse r = HttpResponse::Json(200, keys_.Jwks().dump());
  r.headers.Set("Cache-Control", "public, max-age=300");
  r.headers.Set("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace certme
