// Token revocation (RFC 7009) and token introspection (RFC 7662).
//
// Both endpoints authenticate the client exactly as the token endpoint does
// (AuthenticatedClientRequest): the method the client registered, nothing
// looked up before that but the client itself, one rate budget per client.
//
// Access and refresh tokens are opaque handles stored under their SHA-256
// (records.h), and UserInfo looks the access token's record and its grant up
// on every use; so revocation is deleting records, and a revoked token fails
// at UserInfo at once with no extra lookup there:
//  - an access token: its record is deleted (the refresh token and the
//    other access tokens of the grant stay; RFC 7009 §2.1 leaves that open);
//  - a refresh token: its grant is deleted, which ends every access and
//    refresh token of the family (RFC 7009 §2.1: "the authorization server
//    SHOULD also invalidate all access tokens based on the same
//    authorization grant"), and its own record.
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// Our tokens are 43 characters; a longer one cannot be ours, and is not
// hashed or looked up.
constexpr size_t kMaxTokenBytes = 256;

enum class TokenKind { kAccess, kRefresh };

// A token found in the Store: its kind, its key and its owner.
struct FoundToken {
  TokenKind kind;
  std::string key;  // sha256 hex, the key in its namespace
  AccessTokenRecord access;
  RefreshTokenRecord refresh;
  const std::string& client_id() const {
    return kind == TokenKind::kAccess ? access.client_id : refresh.client_id;
  }
  const std::string& grant_id() const {
    return kind == TokenKind::kAccess ? access.grant_id : refresh.grant_id;
  }
};

// RFC 7009 §2.1 / RFC 7662 §2.1: the hint says where to look first; a token
// not found there is looked for among the other kind. A hint we do not know
// is ignored (both kinds are searched). nullopt: no such token.
StatusOr<std::optional<FoundToken>> FindToken(Store& store, const std::string& token,
                                              std::string_view hint) {
  std::string key = Sha256Hex(token);
  TokenKind order[2] = {TokenKind::kAccess, TokenKind::kRefresh};
  if (hint == kHintRefreshToken) std::swap(order[0], order[1]);
  for (TokenKind kind : order) {
    auto raw = store.Get(kind == TokenKind::kAccess ? kAccessTokenNs : kRefreshTokenNs, key);
    if (!raw.ok()) {
      if (raw.status().code() == StatusCode::kNotFound) continue;
      return raw.status();
    }
    FoundToken found{kind, key, {}, {}};
    if (kind == TokenKind::kAccess) {
      auto rec = ParseAccessTokenRecord(*raw);
      if (!rec) return Internal("access token record unreadable");
      found.access = std::move(*rec);
    } else {
      auto rec = ParseRefreshTokenRecord(*raw);
      if (!rec) return Internal("refresh token record unreadable");
      found.refresh = std::move(*rec);
    }
    return std::optional<FoundToken>(std::move(found));
  }
  return std::optional<FoundToken>();
}

}  // namespace

HttpResponse OidcProvider::Revoke(const HttpRequest& req) {
  std::string client_id;
  HttpResponse r = RevokeResponse(req, &client_id);
  // As at the token endpoint: a browser application reads its errors too.
  if (client_id.empty()) client_id = ParamGet(req.form, kClientId).value_or("");
  AddClientCors(req, client_id, r);
  return r;
}

// RFC 7009 §2.1, §2.2.
HttpResponse OidcProvider::RevokeResponse(const HttpRequest& req, std::string* client_id) {
  auto client = AuthenticatedClientRequest(req, kPathRevoke);
  if (!client.ok()) return std::move(client).error();
  *client_id = client->client_id;
  auto token = ParamGet(req.form, kToken);
  if (!token || token->empty()) return TokenError(InvalidRequest("token is required"));
  HttpResponse done;
  done.status = 200;  // §2.2: the body is ignored; none is sent
  NoStore(done);
  // §2.2: "invalid tokens do not cause an error response".
  if (token->size() > kMaxTokenBytes) return done;
  auto found = FindToken(store_, *token, ParamGet(req.form, kTokenTypeHint).value_or(""));
  if (!found.ok()) return TokenError(ServerFailure(found.status()));
  if (!*found) return done;
  const FoundToken& t = **found;
  // §2.1: the server "verifies whether the token was issued to the client
  // making the revocation request. If this validation fails, the request is
  // refused". Nothing is revoked.
  if (t.client_id() != client->client_id)
    return TokenError(OidcError::Make(kErrUnauthorizedClient, "the token was not issued to this client",
                                      "revocation of " + t.client_id() + "'s token by " + client->client_id));
  if (t.kind == TokenKind::kAccess) {
    Status st = store_.Delete(kAccessTokenNs, t.key);
    // §2.2.1: a failure the client may retry is 503.
    if (!st.ok()) return TokenError(ServerFailure(st));
    LogInfo("oidc access token revoked", {{"client_id", client->client_id}});
    return done;
  }
  Status st = DeleteGrant(store_, t.grant_id());
  if (st.ok()) st = store_.Delete(kRefreshTokenNs, t.key);
  if (!st.ok()) return TokenError(ServerFailure(st));
  LogInfo("oidc refresh token revoked with its grant", {{"client_id", client->client_id}});
  return done;
}

HttpResponse OidcProvider::Introspect(const HttpRequest& req) {
  auto client = AuthenticatedClientRequest(req, kPathIntrospect);
  if (!client.ok()) return std::move(client).error();
  // RFC 7662 §2.1: the endpoint needs the caller's authorization; a public
  // client proves nothing but a client_id, so it may not ask.
  if (client->IsPublic())
    return TokenError(OidcError::Make(kErrInvalidClient, "client authentication failed",
                                      "public client " + client->client_id + " cannot introspect", 401));
  auto token = ParamGet(req.form, kToken);
  if (!token || token->empty()) return TokenError(InvalidRequest("token is required"));
  auto answer = IntrospectToken(*client, *token, ParamGet(req.form, kTokenTypeHint).value_or(""));
  if (!answer.ok()) return TokenError(answer.error());
  HttpResponse r = HttpResponse::Json(200, answer->dump());
  NoStore(r);
  return r;
}

// RFC 7662 §2.2. A token is active only for the client it was issued to:
// to any other client it is {"active": false}, as is a token that is
// unknown, expired, revoked, rotated or whose eID is no longer active.
OidcOr<nlohmann::json> OidcProvider::IntrospectToken(const OidcClient& client,
                                                     const std::string& token,
                                                     std::string_view hint) {
  const nlohmann::json inactive = {{"active", false}};
  if (token.size() > kMaxTokenBytes) return inactive;
  auto found = FindToken(store_, token, hint);
  if (!found.ok()) return ServerFailure(found.status());
  if (!*found) return inactive;
  const FoundToken& t = **found;
  if (t.client_id() != client.client_id) {
    LogInfo("oidc introspection of another client's token",
            {{"client_id", client.client_id}, {"owner", t.client_id()}});
    return inactive;
  }
  int64_t now = Now();
  if (t.kind == TokenKind::kAccess && t.access.expires_at <= now) return inactive;
  if (t.kind == TokenKind::kRefresh && t.refresh.rotated) return inactive;
  auto grant = GetGrant(store_, t.grant_id());
  if (!grant.ok()) {
    if (grant.status().code() == StatusCode::kNotFound) return inactive;
    return ServerFailure(grant.status());
  }
  if (grant->expires_at <= now) return inactive;
  // The eID's live status, as at UserInfo and refresh (protocols/eid_status.h).
  switch (CheckEid(grant->eid, "introspection")) {
    case EidCheck::kActive:
      break;
    case EidCheck::kInactive:
      RevokeGrant(grant->grant_id);
      return inactive;
    case EidCheck::kUnavailable:
      return ServerFailure(Unavailable("eID status unavailable"));
  }
  const std::vector<std::string>& scopes =
      t.kind == TokenKind::kAccess ? t.access.scopes : grant->scopes;
  nlohmann::json out = {{"active", true},
                        {"client_id", client.client_id},
                        {"scope", JoinScopes(scopes)},
                        {"iss", opts_.issuer},
                        {"aud", client.client_id}};
  // RFC 9449 §6.2 / RFC 8705 §3.2: the token's confirmation, so that a
  // resource server checks the proof or the certificate.
  nlohmann::json cnf = nlohmann::json::object();
  const std::string& jkt = t.kind == TokenKind::kAccess ? t.access.jkt : t.refresh.jkt;
  if (!jkt.empty()) cnf[kCnfJkt] = jkt;
  if (t.kind == TokenKind::kAccess && !t.access.x5t_s256.empty()) cnf[kCnfX5tS256] = t.access.x5t_s256;
  if (!cnf.empty()) out["cnf"] = cnf;
  if (t.kind == TokenKind::kAccess) {
    out["token_type"] = t.access.jkt.empty() ? kTokenTypeBearer : kTokenTypeDpop;
    out["exp"] = t.access.expires_at;
    if (t.access.issued_at > 0) out["iat"] = t.access.issued_at;
  } else {
    out["exp"] = grant->expires_at;  // a refresh token lives as long as its family
  }
  // The subject the client knows from the ID token (pairwise or public).
  if (!grant->subject.empty()) {
    out["sub"] = SubjectFor(client, grant->subject);
    if (grant->auth_time > 0) out["auth_time"] = grant->auth_time;
    if (!grant->acr.empty()) out["acr"] = grant->acr;
  }
  return out;
}

}  // namespace certme
