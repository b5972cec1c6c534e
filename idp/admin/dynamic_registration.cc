#include "idp/admin/dynamic_registration.h"

#include "common/log.h"
#include "common/secret.h"
#include "crypto/hash.h"
#include "idp/admin/console.h"
#include "idp/http/router.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

constexpr int kMaxJsonDepth = 8;

HttpResponse JsonAnswer(int status, const nlohmann::json& body) {
  HttpResponse r = HttpResponse::Json(status, body.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

// RFC 7591 §3.2.2 (and RFC 6749 §5.2's error shape).
HttpResponse RegistrationErrorAnswer(std::string_view code, const std::string& description, int status = 400) {
  return JsonAnswer(status, {{"error", code}, {"error_description", description}});
}

// RFC 6750 §3.1: a missing or bad bearer token.
HttpResponse InvalidToken(const std::string& description) {
  HttpResponse r = RegistrationErrorAnswer("invalid_token", description, 401);
  r.headers.Set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return r;
}

HttpResponse TooMany(int retry_after) {
  HttpResponse r = RegistrationErrorAnswer("invalid_request", "too many registration requests: retry later", 429);
  r.headers.Set("Retry-After", std::to_string(retry_after));
  return r;
}

HttpResponse Failure(const Status& st) {
  LogError("dynamic registration failed", {{"detail", st.ToString()}});
  HttpResponse r = RegistrationErrorAnswer("server_error", "temporary failure",
                                           st.code() == StatusCode::kUnavailable ? 503 : 500);
  if (st.code() == StatusCode::kUnavailable) r.headers.Set("Retry-After", "5");
  return r;
}

// The bearer token of the Authorization header (RFC 6750 §2.1), or "".
std::string Bearer(const HttpRequest& req) {
  auto h = req.headers.Get("authorization");
  if (!h || h->size() < 8 || h->size() > 300 || !EqualsIgnoreCase(std::string_view(*h).substr(0, 7), "Bearer "))
    return {};
  std::string t = h->substr(7);
  while (!t.empty() && t.front() == ' ') t.erase(0, 1);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

std::string Address(const HttpRequest& req) { return req.client_ip.empty() ? req.remote_addr : req.client_ip; }

}  // namespace

DynamicRegistration::DynamicRegistration(DynamicRegistrationOptions options, InitialAccessTokens& tokens,
                                         ServiceAdmin& services, const ClaimsCatalogue& catalogue, Clock& clock,
                                         Random& random)
    : o_(std::move(options)),
      tokens_(tokens),
      services_(services),
      catalogue_(catalogue),
      clock_(clock),
      random_(random),
      by_address_({.per_second = o_.requests_per_minute_per_address / 60.0,
                   .burst = static_cast<double>(o_.requests_per_minute_per_address)},
                  clock),
      by_token_({.per_second = o_.registrations_per_minute_per_token / 60.0,
                 .burst = static_cast<double>(o_.registrations_per_minute_per_token)},
                clock) {}

void DynamicRegistration::Mount(Router& router) {
  const std::string base(oidc::kPathRegister);
  router.Handle("POST", base, [this](const HttpRequest& r) { return Register(r); });
  router.Handle("GET", base + "/:client_id", [this](const HttpRequest& r) { return Read(r); });
  router.Handle("PUT", base + "/:client_id", [this](const HttpRequest& r) { return Update(r); });
  router.Handle("DELETE", base + "/:client_id", [this](const HttpRequest& r) { return Remove(r); });
}

Result<nlohmann::json, HttpResponse> DynamicRegistration::Body(const HttpRequest& req) {
  if (req.body.size() > kMaxRegistrationBodyBytes)
    return RegistrationErrorAnswer(kErrInvalidClientMetadata, "the metadata is larger than 32 KiB", 413);
  if (MediaTypeOf(req.headers) != "application/json")
    return RegistrationErrorAnswer("invalid_request", "the body must be application/json (RFC 7591 section 3.1)");
  if (!JsonNestingWithin(req.body, kMaxJsonDepth))
    return RegistrationErrorAnswer(kErrInvalidClientMetadata, "the metadata is nested too deeply");
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return RegistrationErrorAnswer(kErrInvalidClientMetadata, "the body must be a JSON object of client metadata");
  return j;
}

nlohmann::json DynamicRegistration::Answer(const ServiceRecord& r) const {
  nlohmann::json out;
  if (r.test)
    if (auto c = ClientFromJson(r.test->definition); c.ok()) {
      out = RegistrationMetadataOf(*c);
      if (!c->client_secret_sha256.empty()) out["client_secret_expires_at"] = 0;  // never (RFC 7591 §3.2.1)
    }
  out["client_id"] = r.id;
  out["client_id_issued_at"] = r.client_id_issued_at;
  out["registration_client_uri"] = o_.issuer + std::string(oidc::kPathRegister) + "/" + r.id;
  return out;
}

HttpResponse DynamicRegistration::Register(const HttpRequest& req) {
  if (auto wait = by_address_.Take(Address(req))) return TooMany(*wait);
  // RFC 7591 §3: the initial access token first; nothing is read before.
  const std::string token = Bearer(req);
  if (token.empty()) return InvalidToken("an initial access token is required (Authorization: Bearer)");
  auto iat = tokens_.Check(token);
  if (!iat.ok())
    return iat.status().code() == StatusCode::kUnauthenticated ? InvalidToken(iat.status().message())
                                                                : Failure(iat.status());
  if (auto wait = by_token_.Take(iat->id)) return TooMany(*wait);
  auto body = Body(req);
  if (!body.ok()) return std::move(body).error();
  RegistrationPolicy policy = iat->policy;
  policy.allow_loopback_http = o_.dev_mode;
  auto client = ClientFromRegistrationMetadata(*body, policy, catalogue_);
  if (!client.ok()) return RegistrationErrorAnswer(client.error().code, client.error().description);

  // Spend the use, then store; a store failure after the spend costs the
  // registrant that use (the answer says to retry, the console shows it).
  if (Status st = tokens_.Spend(token); !st.ok())
    return st.code() == StatusCode::kUnauthenticated ? InvalidToken(st.message()) : Failure(st);
  Secret rat(random_.Token(32));
  auto made = services_.CreateDynamic("dynamic registration (initial access token " + iat->id + ")", *client,
                                      Sha256Hex(rat.reveal()), iat->id, iat->policy.ToJson());
  if (!made.ok()) return Failure(made.status());
  nlohmann::json out = Answer(made->record);
  if (made->client_secret) out["client_secret"] = made->client_secret->reveal();
  out["registration_access_token"] = rat.reveal();
  LogInfo("client registered dynamically", {{"client_id", made->record.id}, {"initial_token", iat->id}});
  HttpResponse r = JsonAnswer(201, out);
  r.headers.Set("Location", out["registration_client_uri"].get<std::string>());
  return r;
}

Result<ServiceRecord, HttpResponse> DynamicRegistration::Authorized(const HttpRequest& req) {
  if (auto wait = by_address_.Take(Address(req))) return TooMany(*wait);
  const std::string token = Bearer(req);
  if (token.empty()) return InvalidToken("the registration access token is required (Authorization: Bearer)");
  // RFC 7592 §3: an unknown client and a wrong token answer alike.
  const HttpResponse refused = InvalidToken("the registration access token is not valid for this client");
  auto it = req.path_params.find("client_id");
  if (it == req.path_params.end() || it->second.empty() || it->second.size() > 64) return refused;
  auto r = services_.Get(it->second);
  if (!r.ok()) return r.status().code() == StatusCode::kNotFound ? refused : Failure(r.status());
  if (r->origin != kOriginDynamic || r->registration_access_token_sha256.empty() ||
      !ConstantTimeEquals(Sha256Hex(token), r->registration_access_token_sha256))
    return refused;
  return std::move(*r);
}

HttpResponse DynamicRegistration::Read(const HttpRequest& req) {
  auto r = Authorized(req);
  if (!r.ok()) return std::move(r).error();
  return JsonAnswer(200, Answer(*r));
}

HttpResponse DynamicRegistration::Update(const HttpRequest& req) {
  auto r = Authorized(req);
  if (!r.ok()) return std::move(r).error();
  auto body = Body(req);
  if (!body.ok()) return std::move(body).error();
  // RFC 7592 §2.2: client_id must be there and the same; a client_secret,
  // if sent, must be the current one; the server's own values are refused.
  auto id = body->find("client_id");
  if (id == body->end() || !id->is_string() || id->get<std::string>() != r->id)
    return RegistrationErrorAnswer("invalid_request", "client_id must be present and be this client's");
  for (const char* own : {"registration_access_token", "registration_client_uri", "client_id_issued_at",
                          "client_secret_expires_at"})
    if (body->contains(own)) return RegistrationErrorAnswer("invalid_request", std::string(own) + " must not be sent");
  if (auto s = body->find("client_secret"); s != body->end()) {
    auto current = ClientFromJson(r->test ? r->test->definition : nlohmann::json::object());
    if (!s->is_string() || !current.ok() ||
        !ConstantTimeEquals(HashClientSecret(s->get<std::string>()), current->client_secret_sha256))
      return RegistrationErrorAnswer("invalid_request", "client_secret does not match this client's");
  }
  auto policy = RegistrationPolicy::FromJson(r->registration_policy);
  if (!policy.ok()) return Failure(policy.status());
  policy->allow_loopback_http = o_.dev_mode;
  auto client = ClientFromRegistrationMetadata(*body, *policy, catalogue_);
  if (!client.ok()) return RegistrationErrorAnswer(client.error().code, client.error().description);
  auto changed = services_.ReplaceDynamic("client " + r->id + " (registration access token)", r->id, *client);
  if (!changed.ok()) {
    if (changed.status().code() == StatusCode::kNotFound) return InvalidToken("the client is gone");
    // The metadata passed the client rules above; what the kept MSign
    // settings add is the key-based authentication they need.
    if (changed.status().code() == StatusCode::kInvalidArgument)
      return RegistrationErrorAnswer("invalid_client_metadata",
                                     "this client is registered for MSign (signing), which needs "
                                     "token_endpoint_auth_method private_key_jwt or tls_client_auth");
    return Failure(changed.status());
  }
  nlohmann::json out = Answer(changed->record);
  if (changed->client_secret) out["client_secret"] = changed->client_secret->reveal();
  return JsonAnswer(200, out);
}

HttpResponse DynamicRegistration::Remove(const HttpRequest& req) {
  auto r = Authorized(req);
  if (!r.ok()) return std::move(r).error();
  Status st = services_.Delete("client " + r->id + " (registration access token)", r->id);
  if (!st.ok() && st.code() != StatusCode::kNotFound) return Failure(st);
  LogInfo("dynamically registered client deleted", {{"client_id", r->id}});
  HttpResponse out;
  out.status = 204;
  out.headers.Set("Cache-Control", "no-store");
  return out;
}

}  // namespace certme::admin
