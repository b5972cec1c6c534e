// Client authentication for the provider APIs beside OpenID Connect
// (provider.h AuthenticateApiClient): the token endpoint's own checks,
// reached through the form parameters the headers stand for.
#include "common/encoding.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

constexpr size_t kMaxAssertionBytes = 16 * 1024;
constexpr size_t kMaxClientIdBytes = 256;

OidcError ApiInvalidClient(std::string detail) {
  return OidcError::Make(kErrInvalidClient, "client authentication failed", std::move(detail), 401);
}

}  // namespace

OidcOr<OidcClient> OidcProvider::AuthenticateApiClient(const HttpRequest& req, std::string_view endpoint_path) {
  std::string authorization = req.headers.Get("Authorization").value_or("");
  std::string assertion = AuthCredentials(authorization, "Bearer");
  std::optional<std::string> client_id = req.headers.Get("Certme-Client-Id");
  if (!authorization.empty() && assertion.empty())
    return ApiInvalidClient("Authorization header is not Bearer");
  if (assertion.size() > kMaxAssertionBytes) return ApiInvalidClient("client assertion too large");
  if (client_id && (client_id->empty() || client_id->size() > kMaxClientIdBytes))
    return ApiInvalidClient("Certme-Client-Id empty or too long");

  // The equivalent token endpoint request: only the credentials.
  HttpRequest form_req;
  form_req.client_cert_pem = req.client_cert_pem;
  form_req.client_ip = req.client_ip;
  form_req.remote_addr = req.remote_addr;
  if (client_id) form_req.form.emplace(std::string(kClientId), *client_id);
  if (!assertion.empty()) {
    form_req.form.emplace(std::string(kClientAssertionType), std::string(kJwtBearerAssertionType));
    form_req.form.emplace(std::string(kClientAssertion), assertion);
  } else if (!client_id) {
    return ApiInvalidClient("no client authentication (Bearer client assertion or Certme-Client-Id with a client certificate)");
  }
  auto client = AuthenticateClient(form_req, endpoint_path);
  if (!client.ok()) return std::move(client).error();
  // A secret or a public client never reaches these APIs: AuthenticateClient
  // takes a lone client_id from a public client, so the method is checked.
  const std::string& method = client->token_endpoint_auth_method;
  if (method != kAuthPrivateKeyJwt && method != kAuthTlsClientAuth)
    return ApiInvalidClient("client " + client->client_id + " is registered for " + method +
                            "; these APIs need private_key_jwt or tls_client_auth");
  if (method == kAuthTlsClientAuth && !assertion.empty())
    return ApiInvalidClient("client " + client->client_id + " is registered for tls_client_auth, sent an assertion");
  if (auto wait = token_limiter_.Take(client->client_id)) {
    return OidcError::Make(kErrSlowDown, "too many requests for this client",
                           "client " + client->client_id + " over its rate", 429);
  }
  return std::move(client).value();
}

}  // namespace certme
