// FAPI 2.0 Security Profile checks (see fapi.h). Section numbers are those
// of the OpenID FAPI 2.0 Security Profile: §5.3.2.1 general requirements
// for authorization servers, §5.3.2.2 authorization endpoint flows, §5.4
// cryptography and secrets.
#include "protocols/oidc/fapi.h"

#include <algorithm>

#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::oidc_internal {

namespace {

constexpr int64_t kFapi2MaxCodeTtlSeconds = 60;
constexpr int64_t kFapi2MaxParTtlSeconds = 599;

// §5.3.2.2 item 8: https, or plain http to a loopback IP literal for a
// native client (RFC 8252 §7.3; `localhost` is not a literal, RFC 8252 §8.3).
bool IsFapi2RedirectUri(std::string_view uri) {
  auto p = ParseUrl(uri);
  if (!p || p->has_fragment) return false;
  if (p->scheme == "https") return true;
  return p->scheme == "http" && (p->host == "127.0.0.1" || p->host == "[::1]" || p->host == "::1");
}

bool IsFapi2Alg(std::string_view name) {
  auto alg = ParseJwsAlg(name);
  auto algs = Fapi2Algs();
  return alg && std::find(algs.begin(), algs.end(), *alg) != algs.end();
}

}  // namespace

std::vector<JwsAlg> Fapi2Algs() { return {JwsAlg::kPS256, JwsAlg::kES256, JwsAlg::kEdDSA}; }

std::vector<JwsAlg> SignedObjectAlgs(const OidcClient& client) {
  if (client.IsFapi2()) return Fapi2Algs();
  return {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256, JwsAlg::kEdDSA};
}

void AddFapi2RegistrationProblems(const OidcClient& c, std::vector<std::string>& problems) {
  auto bad = [&](std::string p) { problems.push_back("fapi2: " + std::move(p)); };
  // §5.3.2.1 items 3 and 6: confidential clients, authenticated by MTLS or
  // private_key_jwt only.
  const std::string& m = c.token_endpoint_auth_method;
  if (m != oidc::kAuthPrivateKeyJwt && m != oidc::kAuthTlsClientAuth)
    bad("token_endpoint_auth_method must be private_key_jwt or tls_client_auth");
  // §5.3.2.2 item 8.
  for (const auto& u : c.redirect_uris)
    if (!IsFapi2RedirectUri(u)) bad("redirect_uri `" + u + "` must use https (http only to a loopback IP)");
  // §5.3.2.2 item 7 (RFC 9207): the client cannot opt out of `iss`.
  if (!c.authorization_response_iss) bad("authorization_response_iss cannot be turned off");
  // §5.4 item 1.2: the ID tokens we sign for it and the request objects it
  // signs use PS256, ES256 (or EdDSA for request objects).
  if (c.id_token_signed_response_alg != "PS256" && c.id_token_signed_response_alg != "ES256")
    bad("id_token_signed_response_alg must be PS256 or ES256");
  if (!c.request_object_signing_alg.empty() && !IsFapi2Alg(c.request_object_signing_alg))
    bad("request_object_signing_alg must be PS256, ES256 or EdDSA");
}

CheckResult CheckFapi2Pushed(const OidcClient& client, bool pushed) {
  if (!client.IsFapi2() || pushed) return std::nullopt;
  return InvalidRequest("FAPI 2.0: this client's authorization requests must be pushed to the PAR endpoint");
}

CheckResult CheckFapi2Pkce(const Params& p, const OidcClient& client) {
  if (!client.IsFapi2() || ParamGet(p, oidc::kCodeChallenge)) return std::nullopt;
  return InvalidRequest("FAPI 2.0: PKCE (code_challenge with S256) is required");
}

CheckResult CheckFapi2Binding(const OidcClient& client, const TokenBinding& binding) {
  if (!client.IsFapi2() || !binding.jkt.empty() || !binding.x5t_s256.empty()) return std::nullopt;
  return InvalidRequest(
      "FAPI 2.0: tokens must be sender-constrained: send a DPoP proof, or register "
      "certificate-bound access tokens");
}

int64_t CodeTtlFor(const OidcClient& client, int64_t configured) {
  return client.IsFapi2() ? std::min(configured, kFapi2MaxCodeTtlSeconds) : configured;
}

int64_t ParTtlFor(const OidcClient& client, int64_t configured) {
  return client.IsFapi2() ? std::min(configured, kFapi2MaxParTtlSeconds) : configured;
}

}  // namespace certme::oidc_internal
