// UserInfo endpoint (OIDC Core §5.3) with bearer tokens (RFC 6750).
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// RFC 6750 §3: the challenge; `error` only when a token was presented
// (§3.1: a request without any token gets no error code).
HttpResponse BearerError(int status, std::string_view error, std::string_view description) {
  std::string challenge = "Bearer realm=\"certme\"";
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
  std::string header_token = AuthCredentials(req.headers.Get("Authorization").value_or(""), "Bearer");
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
  // Revocation: the grant must still exist.
  auto grant = GetGrant(store_, at->grant_id);
  if (!grant.ok()) {
    if (grant.status().code() == StatusCode::kNotFound)
      return BearerError(401, kErrInvalidToken, "the access token was revoked");
    return BearerError(401, kErrInvalidToken, "the access token is invalid");
  }
  // The eID's live status (protocols/eid_status.h): the token of a
  // suspended or revoked eID is revoked with it; a status that cannot be
  // read refuses for now (503, fail closed), never answers.
  switch (CheckEid(grant->eid, "userinfo")) {
    case EidCheck::kActive:
      break;
    case EidCheck::kInactive:
      RevokeGrant(at->grant_id);
      return BearerError(401, kErrInvalidToken, "the access token was revoked");
    case EidCheck::kUnavailable: {
      HttpResponse r = HttpResponse::Json(503, R"({"error":"temporarily_unavailable"})");
      r.headers.Set("Retry-After", "5");  // RFC 9110 §10.2.3
      r.headers.Set("Cache-Control", "no-store");
      return r;
    }
  }
  // OIDC Core §5.3: UserInfo needs a user and the openid scope.
  if (grant->subject.empty() || !Contains(at->scopes, kScopeOpenId))
    return BearerError(403, kErrInsufficientScope, "the token does not grant openid");
  auto client = clients_.Get(at->client_id);
  if (!client.ok()) return BearerError(401, kErrInvalidToken, "the client is no longer registered");

  nlohmann::json claims = ReleasedClaims(*client, *grant, at->scopes, kClaimsParamUserinfo);
  claims[kClaimSub] = SubjectFor(*client, grant->subject);  // OIDC Core §5.3.2: same sub as the ID token
  HttpResponse r = HttpResponse::Json(200, claims.dump());
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  return r;
}

}  // namespace certme
