// Signed request objects (RFC 9101, "JAR"; OIDC Core §6.1): the client puts
// its authorization request in a JWT it signs with a key it registered, and
// sends it as the `request` parameter of /authorize or of a pushed request.
// Only the request object's parameters count (RFC 9101 §6.3); request
// objects by reference are taken only as our own PAR request_uri.
#include "common/log.h"
#include "crypto/jose.h"
#include "protocols/oidc/fapi.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// Far above a real request (a claims request and a long state included);
// bounds the work an unauthenticated /authorize request can cause.
constexpr size_t kMaxRequestObjectBytes = 16 * 1024;
// A request object is made just before it is sent: an hour is generous
// (FAPI 2.0 Message Signing asks exp − nbf ≤ 60 minutes).
constexpr int64_t kMaxRequestObjectLifetimeSeconds = 3600;

OidcError InvalidRequestObject(std::string detail) {
  // One description for every failure: which check failed is for the log.
  return OidcError::Make(kErrInvalidRequestObject, "the request object is invalid", std::move(detail));
}

// The JWT members that describe the request object itself, not the request.
bool IsEnvelopeClaim(std::string_view name) {
  return name == kClaimIss || name == kClaimAud || name == kClaimExp || name == kClaimNbf ||
         name == kClaimIat || name == kClaimJti;
}

}  // namespace

OidcOr<Params> OidcProvider::OpenRequestObject(const Params& outer, const OidcClient& client) {
  if (ParamCount(outer, kRequest) != 1) return InvalidRequestObject("request given more than once");
  if (ParamCount(outer, kRequestUri) != 0) return InvalidRequest("request and request_uri are exclusive");
  const std::string jwt = *ParamGet(outer, kRequest);
  if (jwt.size() > kMaxRequestObjectBytes) return InvalidRequestObject("request object too large");

  // FAPI 2.0 §5.4: a FAPI 2.0 client's only PS256, ES256 or EdDSA.
  std::vector<JwsAlg> algs = SignedObjectAlgs(client);
  if (!client.request_object_signing_alg.empty()) {
    auto alg = ParseJwsAlg(client.request_object_signing_alg);
    if (!alg) return ServerFailure(Internal("client request_object_signing_alg unusable"));
    algs = {*alg};
  }
  auto keys = ClientPublicKeys(client);
  if (keys.empty()) return InvalidRequestObject("client " + client.client_id + " has no registered keys");
  // Unsigned (`alg: none`), signed with another algorithm or another key:
  // VerifyJwt refuses them all.
  auto verified = VerifyJwt(jwt, keys, algs);
  if (!verified.ok()) return InvalidRequestObject("signature: " + verified.status().ToString());
  const nlohmann::json& c = verified->payload;

  // RFC 9101 §5 and §10.8: the client that signed is the one named outside.
  if (auto it = c.find(kClaimIss); it != c.end() && *it != client.client_id)
    return InvalidRequestObject("iss is not the client_id");
  if (auto it = c.find(kClientId); it != c.end() && *it != client.client_id)
    return InvalidRequestObject("client_id differs from the request's");
  // §10.2 (substitution): addressed to us.
  if (!c.contains(kClaimAud) || !AudienceContains(c[kClaimAud], {opts_.issuer}))
    return InvalidRequestObject("aud is not this issuer");
  int64_t now = Now(), skew = opts_.clock_skew_seconds;
  auto exp = NumericDate(c, kClaimExp);
  if (!exp) return InvalidRequestObject("exp missing");
  if (*exp <= now - skew) return InvalidRequestObject("expired");
  if (*exp - now > kMaxRequestObjectLifetimeSeconds + skew) return InvalidRequestObject("lives too long");
  if (c.contains(kClaimNbf)) {
    auto nbf = NumericDate(c, kClaimNbf);
    if (!nbf) return InvalidRequestObject("nbf malformed");
    if (*nbf > now + skew) return InvalidRequestObject("not yet valid");
  }
  if (auto iat = NumericDate(c, kClaimIat); iat && *iat > now + skew)
    return InvalidRequestObject("issued in the future");

  Params inner;
  for (const auto& [name, value] : c.items()) {
    if (IsEnvelopeClaim(name)) continue;
    // No request within a request (OIDC Core §6.1).
    if (name == kRequest || name == kRequestUri) return InvalidRequestObject(name + " inside a request object");
    if (value.is_string()) inner.emplace(name, value.get<std::string>());
    else if (value.is_number_integer()) inner.emplace(name, std::to_string(value.get<int64_t>()));
    // The claims request is a JSON object inside the request object.
    else if (value.is_object() && name == kClaims) inner.emplace(name, value.dump());
    else return InvalidRequestObject("member " + name + " is not a string");
  }
  inner.erase(std::string(kClientId));
  inner.emplace(std::string(kClientId), client.client_id);
  return inner;
}

}  // namespace certme
