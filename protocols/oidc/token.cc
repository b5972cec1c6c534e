// Token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3).
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

OidcError InvalidGrant(std::string description, std::string detail = {}) {
  return OidcError::Make(kErrInvalidGrant, std::move(description), std::move(detail));
}

OidcError ServerError(std::string detail) {
  return OidcError::Make(kErrServerError, "temporary failure", std::move(detail), 500);
}

// A grant whose eID is not active is invalid_grant (RFC 6749 §5.2: the
// grant was revoked); a status that cannot be read is 503 with Retry-After.
CheckResult LiveEidError(EidCheck check) {
  if (check == EidCheck::kInactive) return InvalidGrant("the user's eID is not active");
  if (check == EidCheck::kUnavailable) return ServerFailure(Unavailable("eID status unavailable"));
  return std::nullopt;
}

// RFC 7636 §4.1: 43..128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
bool IsCodeVerifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

// RFC 7636 §4.6, plus downgrade protection (RFC 9700 §2.1.1): a verifier
// for a code issued without a challenge is refused too.
CheckResult CheckPkceVerifier(const CodeRecord& code, const std::optional<std::string>& verifier) {
  if (code.code_challenge.empty()) {
    if (verifier) return InvalidGrant("code was issued without PKCE");
    return std::nullopt;
  }
  if (!verifier || !IsCodeVerifier(*verifier)) return InvalidGrant("code_verifier missing or malformed");
  if (!ConstantTimeEquals(Base64UrlEncode(Sha256(*verifier)), code.code_challenge))
    return InvalidGrant("PKCE verification failed");
  return std::nullopt;
}

}  // namespace

namespace oidc_internal {

// RFC 6749 §5.1: token responses must not be cached.
void NoStore(HttpResponse& r) {
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
}

// RFC 6749 §5.2. invalid_client is 401, always with a challenge (RFC 9110
// §15.5.2: a 401 MUST carry WWW-Authenticate). Basic is the only scheme of
// the methods we offer, and the one §5.2 asks to match when the client used
// it. Internal failures are 500 with nothing internal; a store that is
// unavailable is 503 with Retry-After (the client may retry).
HttpResponse TokenError(const OidcError& e) {
  LogInfo("oidc token request refused",
          {{"error", e.code}, {"description", e.description}, {"detail", e.detail}});
  nlohmann::json body = {{"error", e.code}};
  if (!e.description.empty()) body["error_description"] = SafeDescription(e.description);
  HttpResponse r = HttpResponse::Json(e.http_status, body.dump());
  if (e.http_status == 401)
    r.headers.Set("WWW-Authenticate", "Basic realm=\"certme\", charset=\"UTF-8\"");
  if (e.http_status == 503) r.headers.Set("Retry-After", "5");  // RFC 9110 §10.2.3
  NoStore(r);
  return r;
}

}  // namespace oidc_internal

HttpResponse OidcProvider::Token(const HttpRequest& req) {
  std::string client_id;
  HttpResponse r = TokenResponse(req, &client_id);
  // Errors before authentication still reach the origin of the client the
  // request names, so a browser application can read them.
  if (client_id.empty()) client_id = ParamGet(req.form, kClientId).value_or("");
  AddClientCors(req, client_id, r);
  return r;
}

Result<OidcClient, HttpResponse> OidcProvider::AuthenticatedClientRequest(
    const HttpRequest& req, std::string_view endpoint_path) {
  if (req.method != "POST") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.Set("Allow", "POST");
    return r;
  }
  // Every parameter of these endpoints fits in a few kilobytes (a
  // client_assertion, a request object); a larger body is refused before
  // it is looked at (the server's own limit is far higher).
  if (req.body.size() > kMaxClientRequestBytes)
    return TokenError(OidcError::Make(kErrInvalidRequest, "request body too large", {}, 413));
  // RFC 6749 §4.1.3: application/x-www-form-urlencoded body.
  std::string type = AsciiLower(req.headers.Get("Content-Type").value_or(""));
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0)
    return TokenError(InvalidRequest("body must be application/x-www-form-urlencoded"));
  if (auto e = CheckNoRepeatedParams(req.form)) return TokenError(*e);
  if (auto e = CheckUtf8Params(req.form)) return TokenError(*e);

  auto client = AuthenticateClient(req, endpoint_path);
  if (!client.ok()) return TokenError(client.error());
  if (auto wait = token_limiter_.Take(client->client_id)) {
    // RFC 6585 §4; `slow_down` as RFC 8628 §3.5 names it for a token
    // endpoint asked too often. One budget per client for all of its
    // authenticated endpoints.
    HttpResponse r = TokenError(OidcError::Make(kErrSlowDown, "too many token requests for this client",
                                                "client " + client->client_id + " over its rate", 429));
    r.headers.Set("Retry-After", std::to_string(*wait));
    return r;
  }
  return std::move(client).value();
}

HttpResponse OidcProvider::ClientEndpoint(
    const HttpRequest& req, std::string_view endpoint_path,
    HttpResponse (OidcProvider::*answer)(const HttpRequest&, const OidcClient&)) {
  auto client = AuthenticatedClientRequest(req, endpoint_path);
  if (!client.ok()) {
    HttpResponse r = std::move(client).error();
    AddClientCors(req, ParamGet(req.form, kClientId).value_or(""), r);
    return r;
  }
  HttpResponse r = (this->*answer)(req, *client);
  AddClientCors(req, client->client_id, r);
  return r;
}

HttpResponse OidcProvider::TokenResponse(const HttpRequest& req, std::string* client_id) {
  auto client = AuthenticatedClientRequest(req, kPathToken);
  if (!client.ok()) return std::move(client).error();
  *client_id = client->client_id;

  auto grant_type = ParamGet(req.form, kGrantType);
  if (!grant_type || grant_type->empty()) return TokenError(InvalidRequest("grant_type is required"));
  bool device = *grant_type == kGrantDeviceCode && opts_.device_authorization_enabled;
  bool ciba = *grant_type == kGrantCiba && opts_.ciba_enabled;
  if (*grant_type != kGrantAuthorizationCode && *grant_type != kGrantRefreshToken &&
      *grant_type != kGrantClientCredentials && !device && !ciba)
    return TokenError(OidcError::Make(kErrUnsupportedGrantType, "unsupported grant_type"));
  if (!client->AllowsGrant(*grant_type))
    return TokenError(OidcError::Make(kErrUnauthorizedClient, "grant_type not allowed for this client"));
  // Sender constraint (dpop.cc) before the grant: a refused proof spends
  // nothing. RFC 9449 §8: every answer to a DPoP request carries a nonce
  // for the next one.
  bool dpop = req.headers.Has(kHeaderDpop);
  auto with_nonce = [&](HttpResponse r) {
    if (dpop) r.headers.Set(kHeaderDpopNonce, NewDpopNonce());
    return r;
  };
  auto binding = TokenRequestBinding(req, *client);
  if (!binding.ok()) return with_nonce(TokenError(binding.error()));
  OidcOr<nlohmann::json> result =
      *grant_type == kGrantAuthorizationCode ? GrantAuthorizationCode(req, *client, *binding)
      : *grant_type == kGrantRefreshToken    ? GrantRefreshToken(req, *client, *binding)
      : device                               ? GrantDeviceCode(req, *client, *binding)  // device.cc (RFC 8628)
      : ciba                                 ? GrantCiba(req, *client, *binding)        // ciba.cc (CIBA §10.1)
                                             : GrantClientCredentials(req, *client, *binding);
  if (!result.ok()) return with_nonce(TokenError(result.error()));

  HttpResponse r = HttpResponse::Json(200, result->dump());
  NoStore(r);
  return with_nonce(std::move(r));
}

OidcOr<nlohmann::json> OidcProvider::IssueBoundTokens(const OidcClient& client, const GrantRecord& grant,
                                                      const std::vector<std::string>& scopes,
                                                      const std::string& nonce, bool with_refresh_token,
                                                      const TokenBinding& binding) {
  int64_t now = Now();
  int64_t grant_left = grant.expires_at - now;
  if (grant_left <= 0) return InvalidGrant("grant expired");
  RememberCibaHint(client, grant);  // ciba.cc: the login_hint map
  // Access tokens are opaque; only their hash is stored (RFC 6819 §5.1.4.1.3).
  std::string access_token = random_.Token();
  AccessTokenRecord at{grant.grant_id, client.client_id, scopes,
                       now + std::min(opts_.access_token_ttl_seconds, grant_left), now,
                       binding.jkt, binding.x5t_s256};
  Status st = store_.Put(kAccessTokenNs, Sha256Hex(access_token), ToJson(at).dump(),
                         std::chrono::seconds(at.expires_at - now));
  if (!st.ok()) return ServerFailure(st);
  nlohmann::json out = {{"access_token", access_token},
                        // RFC 9449 §5.1: a DPoP-bound token's type is DPoP;
                        // a certificate-bound one stays Bearer (RFC 8705 §3).
                        {"token_type", binding.jkt.empty() ? kTokenTypeBearer : kTokenTypeDpop},
                        {"expires_in", at.expires_at - now},
                        {"scope", JoinScopes(scopes)}};
  if (with_refresh_token) {
    std::string refresh_token = random_.Token();
    // RFC 9449 §5: a public client's refresh token is bound to its DPoP
    // key; a confidential client's is bound by its authentication already.
    // A FAPI 2.0 client's is bound as its access token is (DPoP key and/or
    // client certificate).
    RefreshTokenRecord rt{grant.grant_id, client.client_id, false,
                          client.IsPublic() || client.IsFapi2() ? binding.jkt : std::string(),
                          client.IsFapi2() ? binding.x5t_s256 : std::string()};
    st = store_.Put(kRefreshTokenNs, Sha256Hex(refresh_token), ToJson(rt).dump(),
                    std::chrono::seconds(grant_left));
    if (!st.ok()) return ServerFailure(st);
    out["refresh_token"] = refresh_token;
  }
  // OIDC Core §3.1.3.3 / §12.2: an ID token whenever openid was granted and
  // there is a user.
  if (!grant.subject.empty() && Contains(scopes, kScopeOpenId)) {
    auto id_token = MakeIdToken(client, grant, scopes, access_token, nonce);
    if (!id_token.ok()) return ServerFailure(id_token.status());
    out["id_token"] = *id_token;
  }
  return out;
}

// RFC 6749 §4.1.3, OIDC Core §3.1.3.2.
OidcOr<nlohmann::json> OidcProvider::GrantAuthorizationCode(const HttpRequest& req,
                                                            const OidcClient& client,
                                                            const TokenBinding& binding) {
  auto code = ParamGet(req.form, kCode);
  if (!code || code->empty()) return InvalidRequest("code is required");
  if (code->size() > 256) return InvalidGrant("code is invalid, expired or already used");
  std::string key = Sha256Hex(*code);

  // Single use (RFC 6749 §4.1.2): Consume has exactly one winner. A second
  // presentation finds the "used" marker and revokes what the first issued.
  auto raw = store_.Consume(kCodeNs, key);
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) return ServerFailure(raw.status());
    if (auto used = store_.Get(kCodeUsedNs, key); used.ok()) {
      RevokeGrant(*used);
      LogWarn("oidc authorization code reused; tokens revoked", {{"client_id", client.client_id}});
    }
    return InvalidGrant("code is invalid, expired or already used");
  }
  auto rec = ParseCodeRecord(*raw);
  if (!rec) return ServerError("code record unreadable");
  bool refresh = client.AllowsGrant(kGrantRefreshToken);
  int64_t family_ttl = refresh ? opts_.refresh_token_ttl_seconds : opts_.access_token_ttl_seconds;
  Status st = store_.Put(kCodeUsedNs, key, rec->grant.grant_id, std::chrono::seconds(family_ttl));
  if (!st.ok()) return ServerFailure(st);

  // RFC 6749 §4.1.3: the code is bound to the client and the redirect_uri.
  if (rec->grant.client_id != client.client_id) return InvalidGrant("code was issued to another client");
  auto redirect_uri = ParamGet(req.form, kRedirectUri);
  if (!redirect_uri || *redirect_uri != rec->redirect_uri) return InvalidGrant("redirect_uri does not match");
  if (auto e = CheckPkceVerifier(*rec, ParamGet(req.form, kCodeVerifier))) return *e;
  // RFC 9449 §10: a code bound to a DPoP key (dpop_jkt) needs a proof by it.
  if (!rec->dpop_jkt.empty() && !ConstantTimeEquals(rec->dpop_jkt, binding.jkt))
    return OidcError::Make(kErrInvalidDpopProof, "the authorization code is bound to another DPoP key",
                           binding.jkt.empty() ? "no DPoP proof" : "another key");
  // The eID's live status (protocols/eid_status.h): a suspended or revoked
  // eID redeems nothing; a status that cannot be read is a temporary failure.
  if (auto e = LiveEidError(CheckEid(rec->grant.eid, "code exchange"))) return *e;

  GrantRecord grant = rec->grant;
  grant.expires_at = Now() + family_ttl;
  // Record the RP in the SSO session first (for logout), then mint; a
  // session that ended meanwhile makes the code worthless.
  int64_t session_expires_at = 0;
  bool same_sid = false;
  bool in_session = UpdateSession(grant.session_key, [&](SessionRecord& s) {
    if (s.sid != grant.sid) return;
    same_sid = true;
    if (!Contains(s.clients, client.client_id)) s.clients.push_back(client.client_id);
    s.grants.push_back(grant.grant_id);
    session_expires_at = s.expires_at;
    // The values the code names, from the session that still holds them.
    for (const auto& k : rec->attribute_keys)
      if (auto it = s.attributes.find(k); it != s.attributes.end()) grant.attributes[k] = it->second;
  });
  if (!in_session || !same_sid) return InvalidGrant("the login session has ended");
  // The attribute values live no longer than the session (docs/privacy.md).
  st = PutGrant(store_, grant, family_ttl, std::max<int64_t>(session_expires_at - Now(), 1));
  if (!st.ok()) return ServerFailure(st);
  // Indexed under its eID, so that a suspension revokes it.
  st = AddToEidIndex(store_, kEidIndexNs, grant.eid, kEidEntryGrant, grant.grant_id, grant.expires_at, Now());
  if (!st.ok()) {
    RevokeGrant(grant.grant_id);
    return ServerFailure(st);
  }
  auto out = IssueBoundTokens(client, grant, grant.scopes, rec->nonce, refresh, binding);
  // Close the race with a logout that ran between the two steps above.
  auto session = store_.Get(kSessionNs, grant.session_key);
  if (!session.ok()) {
    RevokeGrant(grant.grant_id);
    return InvalidGrant("the login session has ended");
  }
  return out;
}

// RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2).
OidcOr<nlohmann::json> OidcProvider::GrantRefreshToken(const HttpRequest& req,
                                                       const OidcClient& client,
                                                       const TokenBinding& binding) {
  auto token = ParamGet(req.form, kRefreshToken);
  if (!token || token->empty()) return InvalidRequest("refresh_token is required");
  if (token->size() > 256) return InvalidGrant("refresh token is invalid");
  std::string key = Sha256Hex(*token);
  auto raw = store_.Get(kRefreshTokenNs, key);
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) return ServerFailure(raw.status());
    return InvalidGrant("refresh token is invalid");
  }
  auto rec = ParseRefreshTokenRecord(*raw);
  if (!rec) return ServerError("refresh token record unreadable");
  if (rec->client_id != client.client_id) return InvalidGrant("refresh token was issued to another client");
  if (rec->rotated) {
    // A rotated token came back: someone holds a copy. Revoke the family.
    RevokeGrant(rec->grant_id);
    LogWarn("oidc refresh token reused; family revoked", {{"client_id", client.client_id}});
    return InvalidGrant("refresh token is invalid");
  }
  // RFC 9449 §5: a bound refresh token needs a proof by the same key.
  if (!rec->jkt.empty() && !ConstantTimeEquals(rec->jkt, binding.jkt))
    return OidcError::Make(kErrInvalidDpopProof, "the refresh token is bound to another DPoP key",
                           binding.jkt.empty() ? "no DPoP proof" : "another key");
  // RFC 8705 §3: a certificate-bound refresh token needs the same certificate.
  if (!rec->x5t_s256.empty() && !ConstantTimeEquals(rec->x5t_s256, binding.x5t_s256))
    return InvalidGrant("the refresh token is bound to another client certificate");
  auto grant = GetGrant(store_, rec->grant_id);
  if (!grant.ok()) {
    if (grant.status().code() == StatusCode::kNotFound)
      return InvalidGrant("refresh token is invalid", "grant revoked or expired");
    return ServerFailure(grant.status());
  }
  // Before rotation, so a temporary failure keeps the client's token usable.
  EidCheck live = CheckEid(grant->eid, "refresh");
  if (live == EidCheck::kInactive) RevokeGrant(rec->grant_id);  // the family ends with the eID
  if (auto e = LiveEidError(live)) return *e;

  // RFC 6749 §6: the scope may only narrow; omitted means the original.
  std::vector<std::string> scopes = grant->scopes;
  if (auto scope = ParamGet(req.form, kScope)) {
    scopes.clear();
    for (const auto& s : SplitTrimmed(*scope, ' ')) {
      if (!Contains(grant->scopes, s)) return OidcError::Make(kErrInvalidScope, "scope exceeds the original grant");
      if (!Contains(scopes, s)) scopes.push_back(s);
    }
    if (scopes.empty()) return OidcError::Make(kErrInvalidScope, "scope is empty");
  }

  // Rotation: the new tokens are stored first, then this token is marked
  // used with compare-and-swap, so that of two concurrent uses exactly one
  // wins and the other counts as reuse (revoking the grant revokes what
  // either issued). In this order a store failure before the last step
  // leaves the client's token usable for its retry; only the swap itself
  // can fail after taking effect (docs/SCALING.md, replication).
  int64_t left = grant->expires_at - Now();
  if (left <= 0) return InvalidGrant("refresh token is invalid", "grant expired");
  // FAPI 2.0 §5.3.2.1 item 10: no rotation for a FAPI 2.0 client, so a
  // client that lost the answer retries with the same token. Its token is
  // bound to its key or certificate instead.
  if (client.IsFapi2())
    return IssueBoundTokens(client, *grant, scopes, /*nonce=*/"", /*with_refresh_token=*/false, binding);
  auto out = IssueBoundTokens(client, *grant, scopes, /*nonce=*/"", /*with_refresh_token=*/true, binding);
  if (!out.ok()) return out;
  RefreshTokenRecord rotated = *rec;
  rotated.rotated = true;
  Status st = store_.CompareAndSwap(kRefreshTokenNs, key, *raw, ToJson(rotated).dump(),
                                    std::chrono::seconds(left));
  if (!st.ok()) {
    if (st.code() == StatusCode::kFailedPrecondition || st.code() == StatusCode::kNotFound) {
      RevokeGrant(rec->grant_id);
      return InvalidGrant("refresh token is invalid", "concurrent reuse");
    }
    return ServerFailure(st);
  }
  return out;
}

// RFC 6749 §4.4: a confidential client acting for itself. No user, so no ID
// token and no refresh token (§4.4.3).
OidcOr<nlohmann::json> OidcProvider::GrantClientCredentials(const HttpRequest& req,
                                                            const OidcClient& client,
                                                            const TokenBinding& binding) {
  if (client.IsPublic()) return OidcError::Make(kErrUnauthorizedClient, "public clients cannot use client_credentials");
  std::vector<std::string> scopes;
  if (auto scope = ParamGet(req.form, kScope)) {
    for (const auto& s : SplitTrimmed(*scope, ' ')) {
      if (s == kScopeOpenId || !client.AllowsScope(s))
        return OidcError::Make(kErrInvalidScope, "scope not allowed for this client");
      if (!Contains(scopes, s)) scopes.push_back(s);
    }
  } else {
    for (const auto& s : client.scopes)
      if (s != kScopeOpenId) scopes.push_back(s);
  }
  GrantRecord grant;
  grant.grant_id = random_.Token();
  grant.client_id = client.client_id;
  grant.scopes = scopes;
  grant.expires_at = Now() + opts_.access_token_ttl_seconds;
  Status st = store_.Put(kGrantNs, grant.grant_id, ToJson(grant).dump(),
                         std::chrono::seconds(opts_.access_token_ttl_seconds));
  if (!st.ok()) return ServerFailure(st);
  return IssueBoundTokens(client, grant, scopes, "", false, binding);
}

}  // namespace certme
