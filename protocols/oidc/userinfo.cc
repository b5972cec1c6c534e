// UserInfo endpoint (OIDC Core §5.3) with bearer tokens (RFC 6750),
// DPoP-bound tokens (RFC 9449 §7) and certificate-bound tokens (RFC 8705 §3).
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

// RFC 6750 §3: the challenge; `error` only when a token was presented
// (§3.1: a request without any token gets no error code). A request that
// used the DPoP scheme gets a DPoP challenge (RFC 9449 §7.1) naming the
// proof algorithms.
HttpResponse BearerError(int status, std::string_view error, std::string_view description,
                         bool dpop = false) {
  std::string challenge = dpop ? "DPoP algs=\"ES256 PS256 EdDSA RS256\"" : "Bearer realm=\"certme\"";
  if (!error.empty()) {
    challenge += ", error=\"" + std::string(error) + "\"";
    if (!description.empty()) challenge += ", error_description=\"" + SafeDescription(description) + "\"";
  }
  nlohmann::json body = nlohmann::json::object();
  if (!error.empty()) {
    body["error"] = error;
    if (!description.empty()) body["error_description"] = SafeDescription(description);
  }
  HttpResponse r = HttpResponse::Json(status, body.dump());
  r.headers.Set("WWW-Authenticate", challenge);
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

}  // namespace

HttpResponse OidcProvider::UserInfo(const HttpRequest& req) {
  std::string client_id;
  HttpResponse r = UserInfoResponse(req, &client_id);
  AddClientCors(req, client_id, r);
  return r;
}

HttpResponse OidcProvider::UserInfoResponse(const HttpRequest& req, std::string* client_id) {
  if (req.method != "GET" && req.method != "POST") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.Set("Allow", "GET, POST");
    return r;
  }
  std::string authorization = req.headers.Get("Authorization").value_or("");
  std::string dpop_token = AuthCredentials(authorization, kTokenTypeDpop);
  if (!dpop_token.empty()) {
    // RFC 9449 §7.1: the DPoP scheme; every answer carries a fresh nonce (§9).
    HttpResponse r = DpopUserInfo(req, dpop_token, client_id);
    r.headers.Set(kHeaderDpopNonce, NewDpopNonce());
    return r;
  }
  std::string header_token = AuthCredentials(authorization, "Bearer");
  // RFC 6750 §2.2: form-encoded body parameter, POST only.
  bool in_form = req.method == "POST" && ParamCount(req.form, kAccessToken) > 0;
  // RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token".
  if (!header_token.empty() && in_form)
    return BearerError(400, kErrInvalidRequest, "access token sent more than once");
  if (in_form && ParamCount(req.form, kAccessToken) > 1)
    return BearerError(400, kErrInvalidRequest, "access token sent more than once");
  std::string token = in_form ? *ParamGet(req.form, kAccessToken) : header_token;
  if (token.empty()) return BearerError(401, "", "");
  if (token.size() > 256) return BearerError(401, kErrInvalidToken, "the access token is invalid");

  auto raw = store_.Get(kAccessTokenNs, Sha256Hex(token));
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) {
      LogError("oidc access token lookup failed", {{"detail", raw.status().ToString()}});
      return HttpResponse::Json(500, R"({"error":"server_error"})");
    }
    return BearerError(401, kErrInvalidToken, "the access token is invalid or expired");
  }
  auto at = ParseAccessTokenRecord(*raw);
  if (!at || at->expires_at <= Now())
    return BearerError(401, kErrInvalidToken, "the access token is invalid or expired");
  *client_id = at->client_id;
  // RFC 9449 §7.2: a DPoP-bound token is never accepted as a bearer token.
  if (!at->jkt.empty())
    return BearerError(401, kErrInvalidToken, "the access token is DPoP-bound", /*dpop=*/true);
  return UserInfoClaims(req, *at);
}

// RFC 9449 §7.1 and §4.3: the token in `Authorization: DPoP`, with a proof
// for this request whose key is the token's and whose `ath` is its hash.
HttpResponse OidcProvider::DpopUserInfo(const HttpRequest& req, const std::string& token,
                                        std::string* client_id) {
  auto fail = [](std::string_view error, std::string_view description) {
    return BearerError(401, error, description, /*dpop=*/true);
  };
  if (req.method == "POST" && ParamCount(req.form, kAccessToken) > 0)
    return BearerError(400, kErrInvalidRequest, "access token sent more than once", true);
  if (token.size() > 256) return fail(kErrInvalidToken, "the access token is invalid");
  auto raw = store_.Get(kAccessTokenNs, Sha256Hex(token));
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) {
      LogError("oidc access token lookup failed", {{"detail", raw.status().ToString()}});
      return HttpResponse::Json(500, R"({"error":"server_error"})");
    }
    return fail(kErrInvalidToken, "the access token is invalid or expired");
  }
  auto at = ParseAccessTokenRecord(*raw);
  if (!at || at->expires_at <= Now()) return fail(kErrInvalidToken, "the access token is invalid or expired");
  *client_id = at->client_id;
  if (at->jkt.empty()) return fail(kErrInvalidToken, "the access token is not DPoP-bound");
  // The proof's algorithms are the client's, as at the token endpoint: a
  // FAPI 2.0 client's key (an RSA key bound with PS256) never signs RS256.
  auto client = clients_.Get(at->client_id);
  if (!client.ok()) return fail(kErrInvalidToken, "the client is no longer registered");
  auto proof = CheckDpopProof(req, kPathUserInfo, &token, client->IsFapi2() ? Fapi2Algs() : DpopAlgs());
  if (!proof.ok()) {
    const OidcError& e = proof.error();
    LogInfo("oidc userinfo DPoP proof refused", {{"error", e.code}, {"detail", e.detail}});
    if (e.code == kErrServerError) {
      HttpResponse r = HttpResponse::Json(e.http_status, R"({"error":"server_error"})");
      if (e.http_status == 503) r.headers.Set("Retry-After", "5");
      return r;
    }
    return fail(e.code, e.description);
  }
  if (!*proof) return fail(kErrInvalidDpopProof, "a DPoP proof is required");
  if (!ConstantTimeEquals((*proof)->jkt, at->jkt))
    return fail(kErrInvalidDpopProof, "the DPoP proof's key is not the access token's");
  return UserInfoClaims(req, *at);
}

// The claims answer for a token whose presentation has been checked.
HttpResponse OidcProvider::UserInfoClaims(const HttpRequest& req, const AccessTokenRecord& token) {
  const AccessTokenRecord* at = &token;
  const bool dpop = !at->jkt.empty();  // answers use the scheme the token was presented with
  // RFC 8705 §3: a certificate-bound token only with the same certificate,
  // as the TLS proxy forwarded it.
  if (!at->x5t_s256.empty()) {
    auto presented = ClientCertificateThumbprint(req.client_cert_pem);
    if (!presented || !ConstantTimeEquals(*presented, at->x5t_s256))
      return BearerError(401, kErrInvalidToken, "the access token is bound to another client certificate",
                         dpop);
  }
  // Revocation: the grant must still exist.
  auto grant = GetGrant(store_, at->grant_id);
  if (!grant.ok()) {
    if (grant.status().code() == StatusCode::kNotFound)
      return BearerError(401, kErrInvalidToken, "the access token was revoked", dpop);
    return BearerError(401, kErrInvalidToken, "the access token is invalid", dpop);
  }
  // The eID's live status (protocols/eid_status.h): the token of a
  // suspended or revoked eID is revoked with it; a status that cannot be
  // read refuses for now (503, fail closed), never answers.
  switch (CheckEid(grant->eid, "userinfo")) {
    case EidCheck::kActive:
      break;
    case EidCheck::kInactive:
      RevokeGrant(at->grant_id);
      return BearerError(401, kErrInvalidToken, "the access token was revoked", dpop);
    case EidCheck::kUnavailable: {
      HttpResponse r = HttpResponse::Json(503, R"({"error":"temporarily_unavailable"})");
      r.headers.Set("Retry-After", "5");  // RFC 9110 §10.2.3
      r.headers.Set("Cache-Control", "no-store");
      return r;
    }
  }
  // OIDC Core §5.3: UserInfo needs a user and the openid scope.
  if (grant->subject.empty() || !Contains(at->scopes, kScopeOpenId))
    return BearerError(403, kErrInsufficientScope, "the token does not grant openid", dpop);
  auto client = clients_.Get(at->client_id);
  if (!client.ok()) return BearerError(401, kErrInvalidToken, "the client is no longer registered", dpop);

  nlohmann::json claims = ReleasedClaims(*client, *grant, at->scopes, kClaimsParamUserinfo);
  claims[kClaimSub] = SubjectFor(*client, grant->subject);  // OIDC Core §5.3.2: same sub as the ID token
  HttpResponse r = HttpResponse::Json(200, claims.dump());
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  return r;
}

}  // namespace certme
