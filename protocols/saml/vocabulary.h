// SAML 2.0 vocabulary as named constants (docs/ARCHITECTURE.md rule 7): namespaces,
// bindings, status codes, name-ID formats, algorithm URIs and the paths the
// IdP serves. A misspelt URI becomes a compile error instead of an interop bug.
#pragma once

#include <string_view>

namespace certme::saml {

// ---- namespaces (SAML Core §1.2, XML-DSig §1.3, XML-Enc §1.3) ----
inline constexpr std::string_view kNsProtocol = "urn:oasis:names:tc:SAML:2.0:protocol";
inline constexpr std::string_view kNsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion";
inline constexpr std::string_view kNsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata";
inline constexpr std::string_view kNsMdui = "urn:oasis:names:tc:SAML:metadata:ui";
inline constexpr std::string_view kNsDsig = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr std::string_view kNsXenc = "http://www.w3.org/2001/04/xmlenc#";
inline constexpr std::string_view kNsXs = "http://www.w3.org/2001/XMLSchema";
inline constexpr std::string_view kNsXsi = "http://www.w3.org/2001/XMLSchema-instance";

inline constexpr std::string_view kVersion20 = "2.0";

// ---- bindings (SAML Bindings §3.4, §3.5) ----
inline constexpr std::string_view kBindingPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
inline constexpr std::string_view kBindingRedirect =
    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

// Form / query parameter names (SAML Bindings §3.4.4.1, §3.5.4).
inline constexpr std::string_view kParamSamlRequest = "SAMLRequest";
inline constexpr std::string_view kParamSamlResponse = "SAMLResponse";
inline constexpr std::string_view kParamRelayState = "RelayState";
inline constexpr std::string_view kParamSigAlg = "SigAlg";
inline constexpr std::string_view kParamSignature = "Signature";
inline constexpr std::string_view kParamLang = "lang";  // MPass: lang=ro|ru|en on the SSO URL

// ---- status codes (SAML Core §3.2.2.2) ----
inline constexpr std::string_view kStatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success";
inline constexpr std::string_view kStatusRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester";
inline constexpr std::string_view kStatusResponder = "urn:oasis:names:tc:SAML:2.0:status:Responder";
inline constexpr std::string_view kStatusVersionMismatch =
    "urn:oasis:names:tc:SAML:2.0:status:VersionMismatch";
inline constexpr std::string_view kStatusRequestDenied =
    "urn:oasis:names:tc:SAML:2.0:status:RequestDenied";
inline constexpr std::string_view kStatusNoPassive = "urn:oasis:names:tc:SAML:2.0:status:NoPassive";
inline constexpr std::string_view kStatusAuthnFailed =
    "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed";
inline constexpr std::string_view kStatusInvalidNameIdPolicy =
    "urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy";
inline constexpr std::string_view kStatusNoAuthnContext =
    "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext";
inline constexpr std::string_view kStatusPartialLogout =
    "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";
inline constexpr std::string_view kStatusRequestUnsupported =
    "urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported";

// ---- name identifier formats (SAML Core §8.3) ----
inline constexpr std::string_view kNameIdUnspecified =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
inline constexpr std::string_view kNameIdPersistent =
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
inline constexpr std::string_view kNameIdTransient =
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
inline constexpr std::string_view kNameIdEntity = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

// ---- attribute name format, consent, confirmation (SAML Core §2.7.3.1, §8.2.4, Profiles §3) ----
inline constexpr std::string_view kAttrNameFormatUri =
    "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
inline constexpr std::string_view kAttrNameFormatBasic =
    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
inline constexpr std::string_view kConsentPrior = "urn:oasis:names:tc:SAML:2.0:consent:prior";
inline constexpr std::string_view kCmBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
inline constexpr std::string_view kLogoutReasonUser = "urn:oasis:names:tc:SAML:2.0:logout:user";
// SAML Core §3.7.3.2: the session was ended by an administrator (the
// scheme administrator suspended or revoked the user's eID).
inline constexpr std::string_view kLogoutReasonAdmin = "urn:oasis:names:tc:SAML:2.0:logout:admin";
// SAML Bindings §3.2 (SOAP 1.1).
inline constexpr std::string_view kBindingSoap = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP";
inline constexpr std::string_view kNsSoap11 = "http://schemas.xmlsoap.org/soap/envelope/";

// eIDAS levels of assurance (AuthnContextClassRef values): protocols/eidas.h.

// ---- algorithms (XML-DSig §6, XML-DSig 1.1 / RFC 6931, XML-Enc 1.1) ----
inline constexpr std::string_view kAlgExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kAlgExcC14nWithComments =
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
inline constexpr std::string_view kAlgEnveloped =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr std::string_view kAlgRsaSha256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr std::string_view kAlgRsaSha1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
inline constexpr std::string_view kAlgSha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view kAlgSha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr std::string_view kAlgAes256Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
inline constexpr std::string_view kAlgRsaOaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";

// ---- the IdP's paths (relative to the public base URL) ----
inline constexpr std::string_view kPathMetadata = "/saml/metadata";
inline constexpr std::string_view kPathSso = "/saml/sso";
inline constexpr std::string_view kPathResume = "/saml/resume";
inline constexpr std::string_view kPathSlo = "/saml/slo";
inline constexpr std::string_view kPathLogout = "/saml/logout";  // IdP-initiated logout page

// The SAML-only browser cookie (the OIDC side uses certme_session / certme_browser).
inline constexpr std::string_view kSessionCookie = "certme_saml_session";

}  // namespace certme::saml
