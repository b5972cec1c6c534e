// OpenID Connect / OAuth 2.0 vocabulary as named constants, so that a
// misspelt parameter, claim or error code is a compile error rather than a
// silent interoperability bug.
#pragma once

#include <string_view>

namespace certme::oidc {

// ---- Request parameters (RFC 6749 §4.1.1, §4.1.3, §6; OIDC Core §3.1.2.1) ----
inline constexpr std::string_view kResponseType = "response_type";
inline constexpr std::string_view kResponseMode = "response_mode";
inline constexpr std::string_view kClientId = "client_id";
inline constexpr std::string_view kClientSecret = "client_secret";
inline constexpr std::string_view kRedirectUri = "redirect_uri";
inline constexpr std::string_view kScope = "scope";
inline constexpr std::string_view kState = "state";
inline constexpr std::string_view kNonce = "nonce";
inline constexpr std::string_view kPrompt = "prompt";
inline constexpr std::string_view kMaxAge = "max_age";
inline constexpr std::string_view kUiLocales = "ui_locales";
inline constexpr std::string_view kLoginHint = "login_hint";
inline constexpr std::string_view kIdTokenHint = "id_token_hint";
inline constexpr std::string_view kAcrValues = "acr_values";
inline constexpr std::string_view kClaims = "claims";
inline constexpr std::string_view kRequest = "request";
inline constexpr std::string_view kRequestUri = "request_uri";
inline constexpr std::string_view kCodeChallenge = "code_challenge";            // RFC 7636 §4.3
inline constexpr std::string_view kDpopJkt = "dpop_jkt";                        // RFC 9449 §10
inline constexpr std::string_view kCodeChallengeMethod = "code_challenge_method";
inline constexpr std::string_view kCodeVerifier = "code_verifier";              // RFC 7636 §4.5
inline constexpr std::string_view kGrantType = "grant_type";
inline constexpr std::string_view kCode = "code";
inline constexpr std::string_view kRefreshToken = "refresh_token";
inline constexpr std::string_view kAccessToken = "access_token";
inline constexpr std::string_view kClientAssertion = "client_assertion";        // RFC 7521 §4.2
inline constexpr std::string_view kClientAssertionType = "client_assertion_type";
inline constexpr std::string_view kPostLogoutRedirectUri = "post_logout_redirect_uri";
inline constexpr std::string_view kLogoutHint = "logout_hint";
inline constexpr std::string_view kTxn = "txn";
inline constexpr std::string_view kIss = "iss";  // RFC 9207 §2
inline constexpr std::string_view kSid = "sid";
inline constexpr std::string_view kToken = "token";                  // RFC 7009 §2.1, RFC 7662 §2.1
inline constexpr std::string_view kTokenTypeHint = "token_type_hint";
inline constexpr std::string_view kDeviceCode = "device_code";       // RFC 8628 §3.2, §3.4
inline constexpr std::string_view kUserCode = "user_code";

// ---- Values ----
inline constexpr std::string_view kResponseTypeCode = "code";
inline constexpr std::string_view kResponseModeQuery = "query";
inline constexpr std::string_view kResponseModeFormPost = "form_post";  // OAuth 2.0 Form Post
inline constexpr std::string_view kScopeOpenId = "openid";
inline constexpr std::string_view kPromptNone = "none";
inline constexpr std::string_view kPromptLogin = "login";
inline constexpr std::string_view kPromptConsent = "consent";
inline constexpr std::string_view kPromptSelectAccount = "select_account";
inline constexpr std::string_view kPkceS256 = "S256";
inline constexpr std::string_view kPkcePlain = "plain";
inline constexpr std::string_view kGrantAuthorizationCode = "authorization_code";
inline constexpr std::string_view kGrantRefreshToken = "refresh_token";
inline constexpr std::string_view kGrantClientCredentials = "client_credentials";
inline constexpr std::string_view kGrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code";  // RFC 8628 §3.4
inline constexpr std::string_view kTokenTypeBearer = "Bearer";
// RFC 9449 (DPoP): the token type and Authorization scheme of DPoP-bound
// access tokens, the proof's header field and JWT type, the nonce header.
inline constexpr std::string_view kTokenTypeDpop = "DPoP";
inline constexpr std::string_view kHeaderDpop = "DPoP";
inline constexpr std::string_view kHeaderDpopNonce = "DPoP-Nonce";
inline constexpr std::string_view kDpopJwtType = "dpop+jwt";
// Members of the `cnf` (confirmation) claim: RFC 9449 §6.1, RFC 8705 §3.1.
inline constexpr std::string_view kCnfJkt = "jkt";
inline constexpr std::string_view kCnfX5tS256 = "x5t#S256";
// RFC 9126 §2.2: the request_uri a pushed request answers with.
inline constexpr std::string_view kRequestUriPrefix = "urn:ietf:params:oauth:request_uri:";
// token_type_hint values (RFC 7009 §2.1, RFC 7662 §2.1)
inline constexpr std::string_view kHintAccessToken = "access_token";
inline constexpr std::string_view kHintRefreshToken = "refresh_token";
inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";  // RFC 7523 §2.2
inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";  // Back-Channel Logout §2.4
inline constexpr std::string_view kLogoutJwtType = "logout+jwt";
inline constexpr std::string_view kSubjectPairwise = "pairwise";
inline constexpr std::string_view kSubjectPublic = "public";

// ---- Client authentication methods (OIDC Core §9, RFC 8705 §2) ----
inline constexpr std::string_view kAuthClientSecretBasic = "client_secret_basic";
inline constexpr std::string_view kAuthClientSecretPost = "client_secret_post";
inline constexpr std::string_view kAuthPrivateKeyJwt = "private_key_jwt";
inline constexpr std::string_view kAuthTlsClientAuth = "tls_client_auth";
inline constexpr std::string_view kAuthNone = "none";

// ---- Claims (OIDC Core §2, §5.1; Back-Channel Logout §2.4) ----
inline constexpr std::string_view kClaimIss = "iss";
inline constexpr std::string_view kClaimSub = "sub";
inline constexpr std::string_view kClaimAud = "aud";
inline constexpr std::string_view kClaimExp = "exp";
inline constexpr std::string_view kClaimIat = "iat";
inline constexpr std::string_view kClaimNbf = "nbf";
inline constexpr std::string_view kClaimJti = "jti";
inline constexpr std::string_view kClaimAuthTime = "auth_time";
inline constexpr std::string_view kClaimNonce = "nonce";
inline constexpr std::string_view kClaimAcr = "acr";
inline constexpr std::string_view kClaimAmr = "amr";
inline constexpr std::string_view kClaimAzp = "azp";
inline constexpr std::string_view kClaimSid = "sid";
inline constexpr std::string_view kClaimAtHash = "at_hash";
inline constexpr std::string_view kClaimEvents = "events";
inline constexpr std::string_view kClaimsParamUserinfo = "userinfo";   // OIDC Core §5.5
inline constexpr std::string_view kClaimsParamIdToken = "id_token";
inline constexpr std::string_view kClaimsParamEssential = "essential";
inline constexpr std::string_view kClaimsParamValue = "value";
inline constexpr std::string_view kClaimsParamValues = "values";

// ---- Error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 6750 §3.1) ----
inline constexpr std::string_view kErrInvalidRequest = "invalid_request";
inline constexpr std::string_view kErrUnauthorizedClient = "unauthorized_client";
inline constexpr std::string_view kErrAccessDenied = "access_denied";
inline constexpr std::string_view kErrUnsupportedResponseType = "unsupported_response_type";
inline constexpr std::string_view kErrInvalidScope = "invalid_scope";
inline constexpr std::string_view kErrServerError = "server_error";
inline constexpr std::string_view kErrTemporarilyUnavailable = "temporarily_unavailable";
inline constexpr std::string_view kErrInvalidClient = "invalid_client";
inline constexpr std::string_view kErrInvalidGrant = "invalid_grant";
inline constexpr std::string_view kErrUnsupportedGrantType = "unsupported_grant_type";
inline constexpr std::string_view kErrLoginRequired = "login_required";
inline constexpr std::string_view kErrConsentRequired = "consent_required";
inline constexpr std::string_view kErrInteractionRequired = "interaction_required";
inline constexpr std::string_view kErrRequestNotSupported = "request_not_supported";
inline constexpr std::string_view kErrRequestUriNotSupported = "request_uri_not_supported";
inline constexpr std::string_view kErrInvalidToken = "invalid_token";
inline constexpr std::string_view kErrInvalidDpopProof = "invalid_dpop_proof";  // RFC 9449 §5, §7.1
inline constexpr std::string_view kErrUseDpopNonce = "use_dpop_nonce";          // RFC 9449 §8, §9
inline constexpr std::string_view kErrInsufficientScope = "insufficient_scope";
inline constexpr std::string_view kErrInvalidRequestUri = "invalid_request_uri";  // OIDC Core §3.1.2.6
inline constexpr std::string_view kErrInvalidRequestObject = "invalid_request_object";  // OIDC Core §3.1.2.6
inline constexpr std::string_view kErrUnsupportedTokenType = "unsupported_token_type";  // RFC 7009 §2.2.1
// RFC 8628 §3.5: the device authorization grant's polling answers.
inline constexpr std::string_view kErrAuthorizationPending = "authorization_pending";
inline constexpr std::string_view kErrSlowDown = "slow_down";
inline constexpr std::string_view kErrExpiredToken = "expired_token";
// OpenID Connect Core Error Code unmet_authentication_requirements 1.0: the
// requested level of assurance (acr_values, an acr claim request) cannot be met.
inline constexpr std::string_view kErrUnmetAuthenticationRequirements = "unmet_authentication_requirements";

// ---- Endpoint paths, relative to the issuer ----
inline constexpr std::string_view kPathDiscovery = "/.well-known/openid-configuration";
inline constexpr std::string_view kPathJwks = "/jwks";
inline constexpr std::string_view kPathAuthorize = "/authorize";
inline constexpr std::string_view kPathResume = "/authorize/resume";
inline constexpr std::string_view kPathToken = "/token";
inline constexpr std::string_view kPathPar = "/par";                // RFC 9126
inline constexpr std::string_view kPathRevoke = "/revoke";          // RFC 7009
inline constexpr std::string_view kPathIntrospect = "/introspect";  // RFC 7662
inline constexpr std::string_view kPathDeviceAuthorization = "/device_authorization";  // RFC 8628 §3.1
inline constexpr std::string_view kPathRegister = "/register";  // RFC 7591 §3; /register/{client_id}: RFC 7592
inline constexpr std::string_view kPathDevice = "/device";                 // verification_uri (§3.3)
inline constexpr std::string_view kPathDeviceResume = "/device/resume";    // the login step returns here
// The device login's status for the service's own page (idp/device_status.h):
// the certme_status_uri member of the device authorization response (an
// extension member, RFC 8628 §3.2) names it with its handle parameter.
inline constexpr std::string_view kPathDeviceStatus = "/device/status";
inline constexpr std::string_view kCertmeStatusUri = "certme_status_uri";
inline constexpr std::string_view kStatusHandle = "h";
inline constexpr std::string_view kPathServerMetadata = "/.well-known/oauth-authorization-server";  // RFC 8414
inline constexpr std::string_view kPathUserInfo = "/userinfo";
inline constexpr std::string_view kPathEndSession = "/logout";
inline constexpr std::string_view kPathEndSessionConfirm = "/logout/confirm";

// ---- Cookies ----
inline constexpr std::string_view kSessionCookie = "certme_session";
// Binds a pending authorization to the browser that started it, so a resume
// link cannot be replayed in another browser (login CSRF).
inline constexpr std::string_view kBrowserCookie = "certme_browser";

}  // namespace certme::oidc
