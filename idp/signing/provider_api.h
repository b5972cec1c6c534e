// The provider sign API (docs/signing.md, docs/sign-api.yaml): JSON over
// HTTPS for a service's backend.
//
//   POST /sign/v1/requests              create a sign request → 201 {id, status, sign_url, expires_at}
//   GET  /sign/v1/requests/:id          its status: pending | success | failure | expired (+ reason)
//   GET  /sign/v1/requests/:id/signatures  the JAdES signatures once it succeeded
//   POST /sign/v1/verify                checks a signature against a digest or a PDF
//
// Every request, in this order, before anything costly: the body bound, the
// client's authentication (OidcProvider::AuthenticateApiClient: a
// private_key_jwt assertion or tls_client_auth, exactly the token
// endpoint's checks), MSign enabled for the client's service and the
// request's address (as the trusted-proxy rules determined it) among the
// service's MSign addresses (403 with the reason, logged). Only then is the
// JSON parsed and a PDF decoded and hashed. A request belongs to the client
// that created it: another client gets 404, as for an unknown id.
//
// Errors: {"error": code, "error_description": text}; codes invalid_request
// (400, 413), invalid_client (401), forbidden (403), not_found (404),
// not_signed (409), slow_down (429), temporarily_unavailable (503), and
// server_error (500, no detail).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http_message.h"
#include "idp/signing/sign_request.h"
#include "idp/signing/sign_store.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/errors.h"

namespace certme::signing {

inline constexpr char kPathRequests[] = "/sign/v1/requests";
inline constexpr char kPathVerify[] = "/sign/v1/verify";

struct ProviderApiOptions {
  // The bridge's external base URL without trailing slash: sign_url is
  // public_url + "/sign/" + id.
  std::string public_url;
};

// Authenticates a provider's request (OidcProvider::AuthenticateApiClient
// in the server; a double in tests). The second argument is the endpoint's
// path (a client assertion may name its URL as audience).
using ApiClientAuthenticator = std::function<OidcOr<OidcClient>(const HttpRequest&, std::string_view)>;

// Verifies one signature (the verify endpoint's work, signature_verify.h in
// the server): the answer's JSON, or an error.
using SignatureVerifier = std::function<ApiOr<nlohmann::json>(const OidcClient&, const VerifyRequest&)>;

class ProviderApi {
 public:
  ProviderApi(ProviderApiOptions options, SignStore& store, ApiClientAuthenticator authenticate,
              SignatureVerifier verify);

  HttpResponse Create(const HttpRequest& req);
  HttpResponse Status(const HttpRequest& req);
  HttpResponse Signatures(const HttpRequest& req);
  HttpResponse Verify(const HttpRequest& req);

  template <typename RouterT>
  void Mount(RouterT& router) {
    router.Handle("POST", kPathRequests, [this](const HttpRequest& r) { return Create(r); });
    router.Handle("GET", std::string(kPathRequests) + "/:id", [this](const HttpRequest& r) { return Status(r); });
    router.Handle("GET", std::string(kPathRequests) + "/:id/signatures",
                  [this](const HttpRequest& r) { return Signatures(r); });
    router.Handle("POST", kPathVerify, [this](const HttpRequest& r) { return Verify(r); });
  }

  static HttpResponse ErrorResponse(const ApiError& e);

 private:
  // Authentication, MSign and the address check: the client, or the answer.
  Result<OidcClient, HttpResponse> Admit(const HttpRequest& req, std::string_view path);
  // The record `id` if it belongs to `client`.
  Result<SignRecord, HttpResponse> OwnRecord(const HttpRequest& req, const OidcClient& client);

  ProviderApiOptions options_;
  SignStore& store_;
  ApiClientAuthenticator authenticate_;
  SignatureVerifier verify_;
};

// The MSign checks for an authenticated client: nullopt when it may use the
// API from `client_ip`, else the 403 (or, for an unusable registration,
// 500) error. Exposed for tests.
std::optional<ApiError> CheckMsignAccess(const OidcClient& client, std::string_view client_ip);
// Whether the client's MSign settings allow `signer_type`.
bool SignerTypeAllowed(const OidcClient& client, std::string_view signer_type);

}  // namespace certme::signing
