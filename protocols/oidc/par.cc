// Pushed authorization requests (RFC 9126): the client sends the
// authorization request's parameters to /par, authenticated as at the token
// endpoint, and gets a short-lived, one-time request_uri that /authorize
// takes instead of the parameters.
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/fapi.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// The random part of our request_uri values (Random::Token: 43 characters);
// anything longer is not ours and is not looked up.
constexpr size_t kMaxHandleBytes = 128;

OidcError InvalidRequestUri(std::string description, std::string detail = {}) {
  return OidcError::Make(kErrInvalidRequestUri, std::move(description), std::move(detail));
}

// Client authentication travels with the push, not with the request.
bool IsClientAuthParam(std::string_view name) {
  return name == kClientSecret || name == kClientAssertion || name == kClientAssertionType;
}

}  // namespace

HttpResponse OidcProvider::PushedAuthorizationRequest(const HttpRequest& req) {
  return ClientEndpoint(req, kPathPar, &OidcProvider::PushedAuthorizationResponse);
}

// RFC 9126 §2.1 – §2.3. RFC 9449 §8: every answer to a request with a DPoP
// proof carries a nonce for the next one.
HttpResponse OidcProvider::PushedAuthorizationResponse(const HttpRequest& req, const OidcClient& client) {
  HttpResponse r = PushedAuthorizationAnswer(req, client);
  if (req.headers.Has(kHeaderDpop)) r.headers.Set(kHeaderDpopNonce, NewDpopNonce());
  return r;
}

HttpResponse OidcProvider::PushedAuthorizationAnswer(const HttpRequest& req, const OidcClient& client) {
  const Params& form = req.form;
  // §2.1: "The client_id parameter ... MUST" name the authenticated client.
  if (auto id = ParamGet(form, kClientId); id && *id != client.client_id)
    return TokenError(InvalidRequest("client_id is not the authenticated client"));
  // §2.1: "The request_uri authorization request parameter is one exception,
  // and it MUST NOT be provided."
  if (ParamCount(form, kRequestUri) > 0) return TokenError(InvalidRequest("request_uri must not be pushed"));
  // §3: a signed request object may be pushed; its parameters are the
  // request (RFC 9101 §6.3), stored opened so /authorize need not verify it
  // again.
  Params opened;
  if (ParamCount(form, kRequest) > 0) {
    auto o = OpenRequestObject(form, client);
    if (!o.ok()) return TokenError(o.error());
    opened = std::move(o).value();
  } else if (client.require_signed_request_object) {
    return TokenError(InvalidRequest("this client must send a signed request object"));
  }
  const Params& p = opened.empty() ? form : opened;
  if (auto e = CheckPushedRequest(p, client)) return TokenError(*e);
  // RFC 9449 §10.1: the DPoP key the code will be bound to comes as
  // dpop_jkt, or as the key of a DPoP proof sent with the push (checked as
  // at the token endpoint, for this endpoint's URL); both: the same key.
  std::string dpop_jkt = ParamGet(p, kDpopJkt).value_or("");
  auto proof = CheckDpopProof(req, kPathPar, nullptr, client.IsFapi2() ? Fapi2Algs() : DpopAlgs());
  if (!proof.ok()) return TokenError(proof.error());
  if (*proof) {
    if (!dpop_jkt.empty() && !ConstantTimeEquals(dpop_jkt, (*proof)->jkt))
      return TokenError(OidcError::Make(kErrInvalidDpopProof, "dpop_jkt is not the DPoP proof's key"));
    dpop_jkt = (*proof)->jkt;
  }

  PushedRequestRecord rec;
  rec.client_id = client.client_id;
  rec.params.emplace_back(std::string(kClientId), client.client_id);
  for (const auto& [name, value] : p)
    if (name != kClientId && name != kDpopJkt && !IsClientAuthParam(name)) rec.params.emplace_back(name, value);
  if (!dpop_jkt.empty()) rec.params.emplace_back(std::string(kDpopJkt), dpop_jkt);
  // §2.2: a random handle that cannot be guessed, short-lived.
  std::string handle = random_.Token();
  // FAPI 2.0 §5.3.2.2 item 12: under 600 s for a FAPI 2.0 client.
  const int64_t ttl = ParTtlFor(client, opts_.par_ttl_seconds);
  Status st = store_.PutIfAbsent(kParNs, handle, ToJson(rec).dump(), std::chrono::seconds(ttl));
  if (!st.ok()) return TokenError(ServerFailure(st));
  nlohmann::json body = {{"request_uri", std::string(kRequestUriPrefix) + handle}, {"expires_in", ttl}};
  HttpResponse r = HttpResponse::Json(201, body.dump());  // §2.2: 201 Created
  NoStore(r);
  return r;
}

// RFC 9126 §4: the request_uri must be one we issued, live, unused, and
// pushed by the client that now names it. It is consumed (one-time use),
// but only once the client matched: another client's attempt does not
// spend it.
OidcOr<Params> OidcProvider::TakePushedRequest(const Params& query) {
  if (ParamCount(query, kRequestUri) != 1 || ParamCount(query, kClientId) != 1)
    return InvalidRequest("request_uri and client_id are each required once");
  std::string uri = *ParamGet(query, kRequestUri);
  std::string client_id = *ParamGet(query, kClientId);
  if (uri.rfind(kRequestUriPrefix, 0) != 0 || uri.size() - kRequestUriPrefix.size() > kMaxHandleBytes ||
      uri.size() == kRequestUriPrefix.size())
    return InvalidRequestUri("request_uri is not one of this server's");
  std::string handle = uri.substr(kRequestUriPrefix.size());
  auto raw = store_.Get(kParNs, handle);
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) return ServerFailure(raw.status());
    return InvalidRequestUri("request_uri is unknown, expired or already used");
  }
  auto rec = ParsePushedRequestRecord(*raw);
  if (!rec) return ServerFailure(Internal("pushed request record unreadable"));
  if (rec->client_id != client_id)
    return InvalidRequestUri("request_uri was pushed by another client",
                             "pushed by " + rec->client_id + ", presented for " + client_id);
  auto consumed = store_.Consume(kParNs, handle);
  if (!consumed.ok()) {
    if (consumed.status().code() != StatusCode::kNotFound) return ServerFailure(consumed.status());
    return InvalidRequestUri("request_uri is unknown, expired or already used", "used concurrently");
  }
  Params out;
  for (const auto& [name, value] : rec->params) out.emplace(name, value);
  return out;
}

}  // namespace certme
