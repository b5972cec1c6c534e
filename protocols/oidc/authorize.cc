// Authorization endpoint (OIDC Core §3.1.2) and the return from the login
// step (Resume). Each check is a small function citing its rule.
#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/eidas.h"
#include "protocols/oidc/claims_request.h"
#include "protocols/oidc/fapi.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/pages.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/request_checks.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

struct OidcProvider::AuthorizeTarget {
  std::string redirect_uri;
  std::string response_mode = std::string(kResponseModeQuery);
  std::string state;
  bool include_iss = true;  // OidcClient::authorization_response_iss
};

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxStateBytes = 2048;
constexpr size_t kMaxNonceBytes = 512;
constexpr size_t kMaxHintBytes = 4096;

// OIDC Core §6: a request object arrives only as the `request` parameter
// (opened before these checks, request_object.cc) or pushed; a request
// object by reference (request_uri other than our PAR's) is not supported.
CheckResult CheckNoRequestObject(const Params& p) {
  if (ParamCount(p, kRequest))
    return OidcError::Make(kErrRequestNotSupported, "request objects are not supported");
  if (ParamCount(p, kRequestUri))
    return OidcError::Make(kErrRequestUriNotSupported, "request_uri is not supported");
  return std::nullopt;
}

// RFC 6749 §3.1.1, §4.1.2.1: only the code flow; the client must be
// registered for it.
CheckResult CheckResponseType(const Params& p, const OidcClient& client) {
  auto rt = ParamGet(p, kResponseType);
  if (!rt || rt->empty()) return InvalidRequest("response_type is required");
  if (*rt != kResponseTypeCode)
    return OidcError::Make(kErrUnsupportedResponseType, "only response_type=code is supported");
  if (!Contains(client.response_types, kResponseTypeCode) ||
      !client.AllowsGrant(kGrantAuthorizationCode))
    return OidcError::Make(kErrUnauthorizedClient, "client may not use the code flow");
  return std::nullopt;
}

}  // namespace

namespace oidc_internal {

// OIDC Core §3.1.2.1: scope must contain openid. Unknown scopes are
// ignored, scopes the client may not have are dropped (RFC 6749 §3.3).
OidcOr<std::vector<std::string>> GrantedScopes(const Params& p, const OidcClient& client,
                                               const ClaimsCatalogue& catalogue) {
  auto scope = ParamGet(p, kScope);
  std::vector<std::string> requested = SplitTrimmed(scope.value_or(""), ' ');
  if (!Contains(requested, kScopeOpenId))
    return OidcError::Make(kErrInvalidScope, "scope must include openid");
  std::vector<std::string> known = catalogue.Scopes();
  std::vector<std::string> out = {std::string(kScopeOpenId)};
  for (const auto& s : requested)
    if (!Contains(out, s) && Contains(known, s) && client.AllowsScope(s)) out.push_back(s);
  return out;
}

}  // namespace oidc_internal

namespace {

// RFC 7636 §4.3 / §4.4.1: S256 only ("plain" is refused), the challenge is
// the base64url SHA-256 (43 characters). Public clients must use PKCE
// (RFC 9700 §2.1.1).
CheckResult CheckPkce(const Params& p, const OidcClient& client) {
  auto challenge = ParamGet(p, kCodeChallenge);
  auto method = ParamGet(p, kCodeChallengeMethod);
  if (!challenge) {
    if (method) return InvalidRequest("code_challenge_method without code_challenge");
    if (client.IsPublic()) return InvalidRequest("PKCE (code_challenge, S256) is required");
    return std::nullopt;
  }
  if (!method || *method != kPkceS256)
    return InvalidRequest("code_challenge_method must be S256");
  auto decoded = Base64UrlDecode(*challenge);
  if (challenge->size() != 43 || !decoded || decoded->size() != 32)
    return InvalidRequest("code_challenge must be a base64url SHA-256 value");
  return std::nullopt;
}

// OIDC Core §3.1.2.1: prompt is a space-separated set; "none" stands alone.
OidcOr<std::set<std::string>> ParsePrompt(const Params& p) {
  std::set<std::string> out;
  for (const auto& v : SplitTrimmed(ParamGet(p, kPrompt).value_or(""), ' ')) {
    if (v != kPromptNone && v != kPromptLogin && v != kPromptConsent && v != kPromptSelectAccount)
      return InvalidRequest("unsupported prompt value");
    out.insert(v);
  }
  if (out.contains(std::string(kPromptNone)) && out.size() > 1)
    return InvalidRequest("prompt=none cannot be combined with other values");
  return out;
}

// OIDC Core §3.1.2.1: max_age is a non-negative number of seconds; -1: absent.
OidcOr<int64_t> ParseMaxAge(const Params& p) {
  auto v = ParamGet(p, kMaxAge);
  if (!v) return int64_t{-1};
  if (v->empty() || v->size() > 10) return InvalidRequest("max_age must be a non-negative integer");
  int64_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return InvalidRequest("max_age must be a non-negative integer");
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace

namespace oidc_internal {

// Sizes of values we echo or store: bounded so a request cannot bloat the
// store or the redirect.
CheckResult CheckLengths(const Params& p) {
  if (ParamGet(p, kState).value_or("").size() > kMaxStateBytes) return InvalidRequest("state too long");
  if (ParamGet(p, kNonce).value_or("").size() > kMaxNonceBytes) return InvalidRequest("nonce too long");
  for (auto name : {kLoginHint, kIdTokenHint, kUiLocales, kAcrValues})
    if (ParamGet(p, name).value_or("").size() > kMaxHintBytes)
      return InvalidRequest(std::string(name) + " too long");
  return std::nullopt;
}


// Catalogue keys the client asks for (through scopes and the claims
// parameter) and may receive.
std::vector<std::string> RequestedAttributes(const std::vector<std::string>& scopes,
                                             const ClaimsRequest& claims, const OidcClient& client,
                                             const ClaimsCatalogue& catalogue) {
  std::vector<std::string> out;
  auto add = [&](const ClaimDefinition* d) {
    if (d && client.AllowsAttribute(d->key) && client.AllowsScope(d->scope) &&
        !Contains(out, d->key))
      out.push_back(d->key);
  };
  for (const auto& s : scopes)
    for (const ClaimDefinition* d : catalogue.ForScope(s)) add(d);
  for (const auto* m : {&claims.userinfo, &claims.id_token})
    for (const auto& [name, r] : *m) add(catalogue.ByOidcClaim(name));
  return out;
}


// OIDC Core §3.1.2.6 / RFC 6749 §4.1.2.1: how a login that ended without
// an authentication (LoginResult::error) is answered to the client. The
// description says what the user was told, so the client can tell its user
// the same; nothing more about the user or the ledger.
OidcError LoginFailure(const std::string& error) {
  std::string detail = "login error: " + error;
  if (error == kLoginErrorEidSuspended)
    return OidcError::Make(kErrAccessDenied, "the user's eID is suspended", detail);
  if (error == kLoginErrorEidRevoked)
    return OidcError::Make(kErrAccessDenied, "the user's eID is revoked", detail);
  // Nothing is wrong with the request or the user: the validator did not
  // confirm the identity in time, and a new attempt may succeed.
  if (error == kLoginErrorValidatorTimeout)
    return OidcError::Make(kErrTemporarilyUnavailable,
                           "the identity could not be confirmed in time; try again later", detail);
  if (error == kLoginErrorRefused)
    return OidcError::Make(kErrAccessDenied, "the user refused to log in", detail);
  if (error == kLoginErrorServiceNotAuthorized)
    return OidcError::Make(kErrAccessDenied, "this service is not authorized to log users in", detail);
  return OidcError::Make(kErrAccessDenied, "the user did not log in", detail);
}


// OIDC Core §3.1.2.1 (acr_values, space-separated, in order of preference)
// and §5.5.1.1 (the acr claim's value / values, which win when present):
// the levels of assurance the client accepts; empty when it names none.
// A request that names only values no login can reach (anything but the
// eIDAS levels) is unmet at once.
OidcOr<std::vector<std::string>> RequestedAcr(const Params& p, const ClaimsRequest& claims) {
  std::vector<std::string> wanted;
  const ClaimRequest* acr = nullptr;
  for (const auto* m : {&claims.id_token, &claims.userinfo})
    if (auto it = m->find(std::string(kClaimAcr)); !acr && it != m->end() &&
                                                  (!it->second.value.is_null() || !it->second.values.is_null()))
      acr = &it->second;
  if (acr) {
    if (acr->value.is_string()) wanted.push_back(acr->value.get<std::string>());
    if (acr->values.is_array())
      for (const auto& v : acr->values)
        if (v.is_string()) wanted.push_back(v.get<std::string>());
    if (wanted.empty()) return InvalidRequest("the acr claim's value or values must be strings");
  } else {
    wanted = SplitTrimmed(ParamGet(p, kAcrValues).value_or(""), ' ');
  }
  if (wanted.size() > 16) return InvalidRequest("too many acr values");
  if (!wanted.empty() && std::none_of(wanted.begin(), wanted.end(),
                                      [](const std::string& v) { return eidas::LoaRank(v) > 0; }))
    return OidcError::Make(kErrUnmetAuthenticationRequirements,
                           "none of the requested authentication context classes is supported");
  return wanted;
}


// The acr reported for a login at level `have` (eidas.h): with no request,
// that level; otherwise the first requested level it meets (eIDAS levels
// are ordered: an eID at high also meets substantial). Nothing when it
// meets none: never a silent downgrade.
std::optional<std::string> AcrFor(const std::string& have, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return have;
  for (const auto& w : wanted)
    if (eidas::LoaRank(w) > 0 && eidas::LoaRank(w) <= eidas::LoaRank(have)) return w;
  return std::nullopt;
}

}  // namespace oidc_internal

namespace {

SetCookie BrowserCookie(const std::string& value, bool dev_mode) {
  SetCookie c;
  c.name = std::string(kBrowserCookie);
  c.value = value;
  c.http_only = true;
  c.secure = !dev_mode;
  c.same_site = SameSite::kLax;
  return c;
}

}  // namespace

HttpResponse OidcProvider::AuthorizationResponse(const AuthorizeTarget& t, Pairs params) {
  if (!t.state.empty()) params.emplace_back(std::string(kState), t.state);
  // RFC 9207 §2, unless the client registered without it (see
  // OidcClient::authorization_response_iss).
  if (t.include_iss) params.emplace_back(std::string(kIss), opts_.issuer);
  if (t.response_mode == kResponseModeFormPost)
    return FormPostPage(t.redirect_uri, params, random_.Token(16));
  return HttpResponse::Redirect(AppendQuery(t.redirect_uri, params));
}

// RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6: errors go back to the client's
// redirect_uri with error, error_description, state and (RFC 9207) iss.
HttpResponse OidcProvider::AuthorizationError(const AuthorizeTarget& t, const OidcError& e) {
  LogInfo("oidc authorization refused",
          {{"error", e.code}, {"description", e.description}, {"detail", e.detail}});
  Pairs params = {{"error", e.code}};
  if (!e.description.empty()) params.emplace_back("error_description", SafeDescription(e.description));
  return AuthorizationResponse(t, std::move(params));
}

// RFC 9126 §2.1: a pushed request is checked as /authorize checks its
// parameters, before anything is stored (the checks that need the user's
// session, the id_token_hint and the claims request run at /authorize).
CheckResult OidcProvider::CheckPushedRequest(const Params& p, const OidcClient& client) {
  if (ParamCount(p, kRedirectUri) != 1 || !Contains(client.redirect_uris, *ParamGet(p, kRedirectUri)))
    return InvalidRequest("redirect_uri missing or not registered for this client");
  if (auto mode = ParamGet(p, kResponseMode); mode && *mode != kResponseModeQuery && *mode != kResponseModeFormPost)
    return InvalidRequest("unsupported response_mode");
  OIDC_RETURN_IF_ERROR(CheckLengths(p));
  OIDC_RETURN_IF_ERROR(CheckNoRequestObject(p));
  OIDC_RETURN_IF_ERROR(CheckResponseType(p, client));
  auto scopes = GrantedScopes(p, client, catalogue_);
  if (!scopes.ok()) return scopes.error();
  OIDC_RETURN_IF_ERROR(CheckPkce(p, client));
  OIDC_RETURN_IF_ERROR(CheckFapi2Pkce(p, client));
  OIDC_RETURN_IF_ERROR(CheckDpopJktParam(p));
  auto prompt = ParsePrompt(p);
  if (!prompt.ok()) return prompt.error();
  auto max_age = ParseMaxAge(p);
  if (!max_age.ok()) return max_age.error();
  if (auto text = ParamGet(p, kClaims); text && !ParseClaimsRequest(*text).ok())
    return InvalidRequest("claims parameter is malformed");
  return std::nullopt;
}

HttpResponse OidcProvider::Authorize(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "POST") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.Set("Allow", "GET, POST");
    return r;
  }
  // OIDC Core §3.1.2.1: GET uses the query, POST the form body.
  const Params* in = req.method == "POST" ? &req.form : &req.query;
  std::string lang = PickLocale(ParamGet(*in, kUiLocales).value_or(""));
  // RFC 9126 §4: with a request_uri of ours the pushed parameters are the
  // request. One that is not a live one of this client's is shown to the
  // user: its redirect_uri is unknown, so nothing may be redirected. Any
  // other request_uri (a request object by reference, OIDC Core §6.2) is
  // refused below as unsupported; a `request` is opened once the client is
  // known.
  auto uri = ParamGet(*in, kRequestUri);
  bool pushed = uri && uri->rfind(kRequestUriPrefix, 0) == 0;
  Params pushed_params;
  if (pushed) {
    auto taken = TakePushedRequest(*in);
    if (!taken.ok()) {
      LogInfo("oidc pushed request refused", {{"error", taken.error().code},
                                              {"description", taken.error().description},
                                              {"detail", taken.error().detail}});
      bool ours = taken.error().http_status >= 500;  // the store failed, not the request
      return ErrorPage(ours ? taken.error().http_status : 400, lang,
                       ours ? PageMessage::kServerError : PageMessage::kBadRequest);
    }
    pushed_params = std::move(taken).value();
    in = &pushed_params;
  }

  // RFC 6749 §4.1.2.1: a missing/unknown client or an unregistered
  // redirect_uri is shown to the user and never redirected (open redirector).
  if (ParamCount(*in, kClientId) != 1 || !IsUtf8(*ParamGet(*in, kClientId)))
    return ErrorPage(400, lang, PageMessage::kUnknownClient);
  auto client_or = clients_.Get(*ParamGet(*in, kClientId));
  if (!client_or.ok()) {
    if (client_or.status().code() != StatusCode::kNotFound) {
      LogError("oidc client registry failed", {{"detail", client_or.status().ToString()}});
      return ErrorPage(500, lang, PageMessage::kServerError);
    }
    return ErrorPage(400, lang, PageMessage::kUnknownClient);
  }
  const OidcClient& client = *client_or;
  // RFC 9101 §6.3: with a signed request object only its parameters count.
  // The redirect_uri inside one that fails verification cannot be trusted:
  // the error goes to the redirect_uri given beside it when that one is
  // registered for the client (OIDC Core §6.3.2: invalid_request_object),
  // else it is shown to the user.
  Params opened;
  const bool request_object = ParamCount(*in, kRequest) > 0;
  if (request_object) {
    auto o = OpenRequestObject(*in, client);
    if (!o.ok()) {
      LogInfo("oidc request object refused", {{"client_id", client.client_id},
                                              {"error", o.error().code},
                                              {"detail", o.error().detail}});
      bool ours = o.error().http_status >= 500;
      auto outer_redirect = ParamGet(*in, kRedirectUri);
      if (!ours && ParamCount(*in, kRedirectUri) == 1 && Contains(client.redirect_uris, *outer_redirect)) {
        AuthorizeTarget outer;
        outer.redirect_uri = *outer_redirect;
        outer.include_iss = client.authorization_response_iss;
        if (ParamCount(*in, kState) == 1) outer.state = *ParamGet(*in, kState);
        if (outer.state.size() > kMaxStateBytes || !IsUtf8(outer.state)) outer.state.clear();
        return AuthorizationError(outer, o.error());
      }
      return ErrorPage(ours ? o.error().http_status : 400, lang,
                       ours ? PageMessage::kServerError : PageMessage::kBadRequest);
    }
    opened = std::move(o).value();
    in = &opened;
  }
  const Params& p = *in;
  // OIDC Core §3.1.2.1: redirect_uri is required and must exactly match a
  // registered one (simple string comparison, RFC 3986 §6.2.1).
  if (ParamCount(p, kRedirectUri) != 1 || !Contains(client.redirect_uris, *ParamGet(p, kRedirectUri)))
    return ErrorPage(400, lang, PageMessage::kBadRedirectUri);

  AuthorizeTarget t;
  t.redirect_uri = *ParamGet(p, kRedirectUri);
  t.include_iss = client.authorization_response_iss;
  if (ParamCount(p, kState) == 1) t.state = *ParamGet(p, kState);
  // A state we cannot send back as it came is not echoed at all.
  if (t.state.size() > kMaxStateBytes || !IsUtf8(t.state)) t.state.clear();
  // OAuth 2.0 Multiple Response Types §2.1 / Form Post Response Mode §2.
  if (auto mode = ParamGet(p, kResponseMode)) {
    if (*mode == kResponseModeFormPost) t.response_mode = std::string(kResponseModeFormPost);
    else if (*mode != kResponseModeQuery)
      return AuthorizationError(t, InvalidRequest("unsupported response_mode"));
  }
  // RFC 6749 Appendix B; OIDC Core §3.1.2.6: the redirect_uri is good, so
  // the error goes back to the client.
  if (auto e = CheckUtf8Params(p)) return AuthorizationError(t, *e);

  if (auto e = CheckNoRepeatedParams(p)) return AuthorizationError(t, *e);
  if (auto e = CheckLengths(p)) return AuthorizationError(t, *e);
  // RFC 9126 §5: a client registered for pushed requests sends only those.
  if (client.require_pushed_authorization_requests && !pushed)
    return AuthorizationError(t, InvalidRequest("this client must use pushed authorization requests"));
  // FAPI 2.0 §5.3.2.2 item 3.
  if (auto e = CheckFapi2Pushed(client, pushed)) return AuthorizationError(t, *e);
  // RFC 9101 §10.5 (a pushed request was held to it at the push).
  if (client.require_signed_request_object && !request_object && !pushed)
    return AuthorizationError(t, InvalidRequest("this client must send a signed request object"));
  if (auto e = CheckNoRequestObject(p)) return AuthorizationError(t, *e);
  if (auto e = CheckResponseType(p, client)) return AuthorizationError(t, *e);
  // The ID token will be signed with the client's registered algorithm;
  // without an active key for it, fail now rather than after the login (an
  // operator error: the detail goes to the log).
  if (auto alg = ParseJwsAlg(client.id_token_signed_response_alg); !alg || !keys_.ActiveFor(*alg)) {
    LogError("oidc no signing key for client", {{"client_id", client.client_id},
                                                {"alg", client.id_token_signed_response_alg}});
    return AuthorizationError(t, OidcError::Make(kErrServerError, "the server cannot sign for this client"));
  }
  auto scopes = GrantedScopes(p, client, catalogue_);
  if (!scopes.ok()) return AuthorizationError(t, scopes.error());
  if (auto e = CheckPkce(p, client)) return AuthorizationError(t, *e);
  if (auto e = CheckFapi2Pkce(p, client)) return AuthorizationError(t, *e);  // FAPI 2.0 §5.3.2.2 item 5
  if (auto e = CheckDpopJktParam(p)) return AuthorizationError(t, *e);       // RFC 9449 §10
  auto prompt = ParsePrompt(p);
  if (!prompt.ok()) return AuthorizationError(t, prompt.error());
  auto max_age = ParseMaxAge(p);
  if (!max_age.ok()) return AuthorizationError(t, max_age.error());
  // OIDC Core §5.5: a malformed claims parameter is invalid_request.
  ClaimsRequest claims;
  if (auto text = ParamGet(p, kClaims)) {
    auto parsed = ParseClaimsRequest(*text);
    if (!parsed.ok())
      return AuthorizationError(t, InvalidRequest("claims parameter is malformed", parsed.status().message()));
    claims = std::move(parsed).value();
  }
  // OIDC Core §3.1.2.1: id_token_hint names the user the RP expects; it
  // must be one of our ID tokens for this client (expired is fine).
  std::optional<std::string> hint_sub;
  if (auto hint = ParamGet(p, kIdTokenHint)) {
    auto payload = VerifyOwnIdToken(*hint);
    if (!payload.ok()) return AuthorizationError(t, InvalidRequest("id_token_hint is invalid", payload.status().ToString()));
    const auto& aud = (*payload)[kClaimAud];
    bool for_client = (aud.is_string() && aud == client.client_id) ||
                      (aud.is_array() && std::find(aud.begin(), aud.end(), client.client_id) != aud.end());
    if (!for_client || !(*payload)[kClaimSub].is_string())
      return AuthorizationError(t, InvalidRequest("id_token_hint was not issued to this client"));
    hint_sub = (*payload)[kClaimSub].get<std::string>();
  }
  auto acr_values = RequestedAcr(p, claims);
  if (!acr_values.ok()) return AuthorizationError(t, acr_values.error());

  AuthzRecord authz;
  authz.client_id = client.client_id;
  authz.redirect_uri = t.redirect_uri;
  authz.response_mode = t.response_mode;
  authz.state = t.state;
  authz.nonce = ParamGet(p, kNonce).value_or("");
  authz.scopes = scopes.value();
  authz.claims = ClaimsRequestToJson(claims);
  authz.code_challenge = ParamGet(p, kCodeChallenge).value_or("");
  authz.dpop_jkt = ParamGet(p, kDpopJkt).value_or("");
  authz.acr_values = acr_values.value();
  authz.attributes = RequestedAttributes(authz.scopes, claims, client, catalogue_);
  authz.ui_locale = lang;
  authz.created_at = Now();

  // SSO: a live session answers without a new login unless the request
  // demands one (OIDC Core §3.1.2.1 prompt, max_age, id_token_hint) or asks
  // for attributes the user has not yet agreed to share in this session.
  const std::set<std::string>& prompts = prompt.value();
  bool prompt_none = prompts.contains(std::string(kPromptNone));
  bool prompt_login = prompts.contains(std::string(kPromptLogin)) ||
                      prompts.contains(std::string(kPromptConsent));
  auto session = LoadSession(req);
  // The session's eID must still be active on the ledger (protocols/eid_status.h):
  // a suspended or revoked one ends the session here and needs a new login
  // (which then fails on the eID's state); a status that cannot be read
  // refuses for now, never reuses.
  if (session) {
    auto live = CheckEid(session->second.eid, "sso");
    if (live == EidCheck::kUnavailable)
      return AuthorizationError(t, OidcError::Make(kErrTemporarilyUnavailable, "try again later",
                                                   "eID status unavailable"));
    if (live == EidCheck::kInactive) {
      EndSessionRecord(session->first, session->second);
      session.reset();
    }
  }
  // OIDC Core §3.1.2.1: max_age=0 is prompt=login, also within the second
  // of the last authentication (where the elapsed time is 0, not > 0).
  bool too_old = session && max_age.value() >= 0 &&
                 (max_age.value() == 0 || Now() - session->second.auth_time > max_age.value());
  bool other_user = session && hint_sub && SubjectFor(client, session->second.subject) != *hint_sub;
  bool needs_consent = session && std::any_of(authz.attributes.begin(), authz.attributes.end(),
                                               [&](const std::string& k) {
                                                 return !Contains(session->second.consented, k);
                                               });
  // A session below the requested level needs a new login (perhaps with
  // another eID); the result is checked again at the end.
  bool low_acr = session && !AcrFor(session->second.acr, authz.acr_values);
  bool needs_login = !session || prompt_login || too_old || other_user || low_acr;
  if (prompt_none && (needs_login || needs_consent)) {
    // OIDC Core §3.1.2.6: prompt=none cannot show anything.
    if (!needs_login) return AuthorizationError(t, OidcError::Make(kErrConsentRequired, "the user must approve sharing more attributes"));
    return AuthorizationError(t, OidcError::Make(kErrLoginRequired, "the user must log in"));
  }
  if (!needs_login && !needs_consent)
    return CompleteAuthorization(client, authz, session->first, session->second, {});

  // Start the login: remember the request under a fresh transaction id,
  // bound to this browser.
  std::vector<SetCookie> cookies;
  // Only a value the bridge issued binds; anything else (a value injected
  // by a third party to plant its own login, OIDC Core §16.17 / RFC 6749
  // §10.12) is replaced.
  std::string browser = req.Cookie(kBrowserCookie).value_or("");
  if (!IsIssuedBrowserValue(browser)) {
    browser = NewBrowserValue();
    cookies.push_back(BrowserCookie(browser, opts_.dev_mode));
  }
  authz.browser_hash = Sha256Hex(browser);
  std::string txn = random_.Token();
  Status st = store_.Put(kAuthzNs, txn, ToJson(authz).dump(), std::chrono::seconds(opts_.login_ttl_seconds));
  if (!st.ok()) {
    LogError("oidc pending authorization not stored", {{"detail", st.ToString()}});
    return AuthorizationError(t, OidcError::Make(kErrServerError, "temporary failure"));
  }
  LoginRequest login;
  login.txn = txn;
  login.protocol = "oidc";
  login.service_id = client.client_id;
  login.service_names = client.names;
  login.attributes = authz.attributes;
  login.ui_locale = lang;
  login.login_hint = ParamGet(p, kLoginHint).value_or("");
  // The lowest level the client accepts (the login reports the eID's own).
  login.acr = std::string(eidas::kLoaSubstantial);
  for (const auto& v : authz.acr_values)
    if (eidas::LoaRank(v) > 0) {
      login.acr = v;
      break;
    }
  login.force_authn = prompt_login || too_old || other_user;
  login.resume_url = AppendQuery(Url(kPathResume), {{std::string(kTxn), txn}});
  login.expires_at = Now() + opts_.login_ttl_seconds;
  HttpResponse r = authenticator_.Begin(login);
  for (auto& c : cookies) r.cookies.push_back(std::move(c));
  return r;
}

HttpResponse OidcProvider::CompleteAuthorization(const OidcClient& client, const AuthzRecord& authz,
                                                 const std::string& session_key,
                                                 const SessionRecord& session,
                                                 std::vector<SetCookie> cookies) {
  AuthorizeTarget t{authz.redirect_uri, authz.response_mode, authz.state, client.authorization_response_iss};
  // OIDC Core §3.1.2.1, §5.5.1.1: the requested level, or an error.
  auto acr = AcrFor(session.acr, authz.acr_values);
  if (!acr)
    return AuthorizationError(t, OidcError::Make(kErrUnmetAuthenticationRequirements,
                                                 "the user's eID does not reach the requested level of assurance",
                                                 "session acr " + session.acr));
  CodeRecord code_rec;
  GrantRecord& g = code_rec.grant;
  g.grant_id = random_.Token();
  g.client_id = client.client_id;
  g.subject = session.subject;
  g.eid = session.eid;
  g.session_key = session_key;
  g.sid = session.sid;
  g.scopes = authz.scopes;
  g.claims = authz.claims;
  // Only the keys: the values stay in the session record, so that a logout
  // leaves an unredeemed code with nothing personal in it (and worthless:
  // redemption needs the session).
  for (const auto& k : authz.attributes)
    if (session.attributes.count(k)) code_rec.attribute_keys.push_back(k);
  g.auth_time = session.auth_time;
  g.acr = *acr;
  g.amr = session.amr;
  code_rec.redirect_uri = authz.redirect_uri;
  code_rec.code_challenge = authz.code_challenge;
  code_rec.nonce = authz.nonce;
  code_rec.dpop_jkt = authz.dpop_jkt;

  // RFC 6749 §4.1.2: short-lived, single-use (Consume at the token endpoint);
  // at most 60 s for a FAPI 2.0 client (§5.3.2.1 item 12).
  std::string code = random_.Token();
  Status st = store_.Put(kCodeNs, Sha256Hex(code), ToJson(code_rec).dump(),
                         std::chrono::seconds(CodeTtlFor(client, opts_.code_ttl_seconds)));
  if (!st.ok()) {
    LogError("oidc code not stored", {{"detail", st.ToString()}});
    return AuthorizationError(t, OidcError::Make(kErrServerError, "temporary failure"));
  }
  HttpResponse r = AuthorizationResponse(t, {{std::string(kCode), code}});
  for (auto& c : cookies) r.cookies.push_back(std::move(c));
  return r;
}

// The pages for a resume that cannot go on (protocols/login.h).
constexpr ResumePages<PageMessage> kResumePages{PageMessage::kLoginExpired, PageMessage::kWrongBrowser,
                                                PageMessage::kLoginUnfinished, PageMessage::kServerError};

// Where the login step sends the browser back: finish the authorization.
HttpResponse OidcProvider::Resume(const HttpRequest& req) {
  std::optional<AuthzRecord> authz;
  ResumeSpec spec{"oidc", kAuthzNs, kBrowserCookie,
                  [&](std::string_view record) -> std::optional<std::string> {
                    authz = ParseAuthzRecord(record);
                    if (!authz) return std::nullopt;
                    return authz->browser_hash;
                  },
                  // Only a browser value the bridge issued binds a login
                  // (no login CSRF by cookie injection).
                  [&](std::string_view value) { return IsIssuedBrowserValue(value); }};
  auto resumed = ResumeLogin(store_, req, spec);
  const std::string lang = authz ? authz->ui_locale : "";
  if (!resumed.ok())
    return ResumeFailurePage(resumed.error(), kResumePages,
                             [&](int status, PageMessage m) { return ErrorPage(status, lang, m); });
  const LoginResult& result = resumed->result;
  auto client = clients_.Get(authz->client_id);
  if (!client.ok()) return ErrorPage(400, lang, PageMessage::kUnknownClient);
  AuthorizeTarget t{authz->redirect_uri, authz->response_mode, authz->state,
                    client->authorization_response_iss};
  if (!result.error.empty()) return AuthorizationError(t, LoginFailure(result.error));

  int64_t now = Now();
  int64_t auth_time = result.auth_time > 0 ? result.auth_time : now;
  std::vector<SetCookie> cookies;
  std::string session_key;
  std::optional<SessionRecord> session;
  auto existing = LoadSession(req);
  if (existing && existing->second.subject == result.subject) {
    // Same user again: refresh the authentication facts, keep sid and RPs.
    bool ok = UpdateSession(existing->first, [&](SessionRecord& s) {
      s.eid = result.eid;
      s.auth_time = auth_time;
      s.acr = result.acr;
      s.amr = result.amr;
      for (const auto& [k, v] : result.attributes) s.attributes[k] = v;
      for (const auto& k : authz->attributes)
        if (!Contains(s.consented, k)) s.consented.push_back(k);
      s.expires_at = now + opts_.session_ttl_seconds;
      session = s;
    });
    if (ok) session_key = existing->first;
    else session.reset();
  } else if (existing) {
    // A different user logged in in this browser: the old session ends.
    EndSessionRecord(existing->first, existing->second);
  }
  if (!session) {
    SessionRecord s;
    s.sid = random_.Token(16);
    s.subject = result.subject;
    s.eid = result.eid;
    s.auth_time = auth_time;
    s.acr = result.acr;
    s.amr = result.amr;
    s.attributes = result.attributes;
    s.consented = authz->attributes;
    s.expires_at = now + opts_.session_ttl_seconds;
    std::string cookie = random_.Token();
    session_key = Sha256Hex(cookie);
    Status st = store_.PutIfAbsent(kSessionNs, session_key, ToJson(s).dump(),
                                   std::chrono::seconds(opts_.session_ttl_seconds));
    if (!st.ok()) {
      LogError("oidc session not stored", {{"detail", st.ToString()}});
      return AuthorizationError(t, OidcError::Make(kErrServerError, "temporary failure"));
    }
    cookies.push_back(SessionCookie(cookie, opts_.session_ttl_seconds));
    session = std::move(s);
  }
  // Indexed under its eID, so that a suspension ends it.
  if (Status st = AddToEidIndex(store_, kEidIndexNs, session->eid, kEidEntrySession, session_key,
                                session->expires_at, now);
      !st.ok()) {
    LogError("oidc session not indexed", {{"detail", st.ToString()}});
    EndSessionRecord(session_key, *session);
    return AuthorizationError(t, OidcError::Make(kErrServerError, "temporary failure"));
  }
  return CompleteAuthorization(*client, *authz, session_key, *session, std::move(cookies));
}

}  // namespace certme
