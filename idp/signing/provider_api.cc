// The provider sign API (provider_api.h). Each handler: Admit (bounds,
// authentication, MSign, address), then its own small checks.
#include "idp/signing/provider_api.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "idp/http/ip_allowlist.h"

namespace certme::signing {
namespace {

using nlohmann::json;

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse r = HttpResponse::Json(status, body.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

ApiError ServerError(const certme::Status& st) {
  bool retry = st.code() == StatusCode::kUnavailable;
  return ApiError{retry ? 503 : 500, retry ? "temporarily_unavailable" : "server_error",
                  retry ? "temporary failure, try again" : "internal error", st.ToString()};
}

std::string ClientIp(const HttpRequest& req) { return req.client_ip.empty() ? req.remote_addr : req.client_ip; }

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::optional<ApiError> CheckMsignAccess(const OidcClient& client, std::string_view client_ip) {
  if (!client.msign)
    return ApiError{403, "forbidden", "electronic signing is not enabled for this service", "client " + client.client_id + " has no MSign settings"};
  auto allow = IpAllowlist::Parse(client.msign->ip_allow);
  if (!allow.ok())
    return ApiError{500, "server_error", "internal error", "client " + client.client_id + " MSign addresses unusable: " + allow.status().ToString()};
  if (!allow->Allows(client_ip))
    return ApiError{403, "forbidden", "this address is not among the service's registered MSign addresses",
                    "client " + client.client_id + " from " + std::string(client_ip)};
  return std::nullopt;
}

bool SignerTypeAllowed(const OidcClient& client, std::string_view signer_type) {
  if (!client.msign) return false;
  return signer_type == kSignerOrganization ? client.msign->AllowsOrganization() : client.msign->AllowsPerson();
}

ProviderApi::ProviderApi(ProviderApiOptions options, SignStore& store, ApiClientAuthenticator authenticate,
                         SignatureVerifier verify)
    : options_(std::move(options)), store_(store), authenticate_(std::move(authenticate)), verify_(std::move(verify)) {}

HttpResponse ProviderApi::ErrorResponse(const ApiError& e) {
  if (e.http_status >= 500) LogError("sign api failure", {{"code", e.code}, {"detail", e.detail}});
  json body = {{"error", e.code}, {"error_description", e.message}};
  HttpResponse r = JsonResponse(e.http_status, body);
  if (e.http_status == 401) r.headers.Set("WWW-Authenticate", "Bearer");
  if (e.http_status == 503 || e.http_status == 429) r.headers.Set("Retry-After", "1");
  return r;
}

Result<OidcClient, HttpResponse> ProviderApi::Admit(const HttpRequest& req, std::string_view path) {
  // Bounded before anything else: the server's own limit is higher.
  if (req.body.size() > kMaxRequestBodyBytes)
    return ErrorResponse({413, "invalid_request", "the request is larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes", {}});
  auto client = authenticate_(req, path);
  if (!client.ok()) {
    const OidcError& e = client.error();
    LogWarn("sign api client refused", {{"path", std::string(path)}, {"ip", ClientIp(req)}, {"detail", e.detail}});
    if (e.http_status >= 500)
      return ErrorResponse({e.http_status, e.http_status == 503 ? "temporarily_unavailable" : "server_error",
                            e.http_status == 503 ? "temporary failure, try again" : "internal error", e.detail});
    return ErrorResponse({e.http_status, e.code, e.description, e.detail});
  }
  if (auto e = CheckMsignAccess(*client, ClientIp(req))) {
    if (e->http_status == 403)
      LogWarn("sign api request refused", {{"client_id", client->client_id}, {"ip", ClientIp(req)}, {"reason", e->message}});
    return ErrorResponse(*e);
  }
  return std::move(client).value();
}

Result<SignRecord, HttpResponse> ProviderApi::OwnRecord(const HttpRequest& req, const OidcClient& client) {
  auto it = req.path_params.find("id");
  std::string id = it == req.path_params.end() ? "" : it->second;
  auto r = store_.Load(id);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) return ErrorResponse({404, "not_found", "no such sign request", {}});
    return ErrorResponse(ServerError(r.status()));
  }
  // Another client's request is not revealed to exist.
  if (r->client_id != client.client_id) return ErrorResponse({404, "not_found", "no such sign request", {}});
  return std::move(r).value();
}

HttpResponse ProviderApi::Create(const HttpRequest& req) {
  auto client = Admit(req, kPathRequests);
  if (!client.ok()) return std::move(client).error();
  std::string type = AsciiLower(req.headers.Get("Content-Type").value_or(""));
  if (type.rfind("application/json", 0) != 0)
    return ErrorResponse(ApiError::Invalid("the body must be application/json"));
  auto parsed = ParseNewSignRequest(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  NewSignRequest& n = *parsed;
  // The return URL must be one the service registered (its redirect URIs),
  // compared exactly as OIDC Core §3.1.2.1 compares them.
  if (!Contains(client->redirect_uris, n.return_url))
    return ErrorResponse(ApiError::Invalid("return_url is not among the service's registered redirect URIs"));
  if (!SignerTypeAllowed(*client, n.signer_type))
    return ErrorResponse({403, "forbidden", "the service is not registered for signer.type " + n.signer_type, {}});
  auto rec = store_.Create(client->client_id, std::move(n));
  if (!rec.ok()) return ErrorResponse(ServerError(rec.status()));
  LogInfo("sign request created",
          {{"client_id", client->client_id}, {"id", rec->id}, {"items", rec->request.items.size()}});
  json body = StatusJson(*rec, store_.Now());
  body["sign_url"] = options_.public_url + "/sign/" + rec->id;
  HttpResponse r = JsonResponse(201, body);
  r.headers.Set("Location", options_.public_url + kPathRequests + "/" + rec->id);
  return r;
}

HttpResponse ProviderApi::Status(const HttpRequest& req) {
  auto client = Admit(req, kPathRequests);
  if (!client.ok()) return std::move(client).error();
  auto rec = OwnRecord(req, *client);
  if (!rec.ok()) return std::move(rec).error();
  return JsonResponse(200, StatusJson(*rec, store_.Now()));
}

HttpResponse ProviderApi::Signatures(const HttpRequest& req) {
  auto client = Admit(req, kPathRequests);
  if (!client.ok()) return std::move(client).error();
  auto rec = OwnRecord(req, *client);
  if (!rec.ok()) return std::move(rec).error();
  json body = StatusJson(*rec, store_.Now());
  if (EffectiveState(*rec, store_.Now()) != SignState::kSuccess) {
    body["error"] = "not_signed";
    body["error_description"] = "the request has no signatures (status " + body["status"].get<std::string>() + ")";
    return JsonResponse(409, body);
  }
  json sigs = json::array();
  for (size_t i = 0; i < rec->request.items.size() && i < rec->signatures.size(); ++i) {
    const SignItem& item = rec->request.items[i];
    sigs.push_back({{"name", item.name},
                    {"hash_alg", item.hash_alg},
                    {"digest", Base64UrlEncode(item.digest)},
                    {"jades", rec->signatures[i]}});
  }
  body["signatures"] = std::move(sigs);
  return JsonResponse(200, body);
}

HttpResponse ProviderApi::Verify(const HttpRequest& req) {
  auto client = Admit(req, kPathVerify);
  if (!client.ok()) return std::move(client).error();
  std::string type = AsciiLower(req.headers.Get("Content-Type").value_or(""));
  if (type.rfind("application/json", 0) != 0)
    return ErrorResponse(ApiError::Invalid("the body must be application/json"));
  auto parsed = ParseVerifyRequest(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  auto answer = verify_(*client, *parsed);
  if (!answer.ok()) return ErrorResponse(answer.error());
  return JsonResponse(200, *answer);
}

}  // namespace certme::signing
