// SAML protocol messages the IdP receives (AuthnRequest, LogoutRequest,
// LogoutResponse): binding decoding (HTTP-POST base64, HTTP-Redirect
// DEFLATE) and field extraction from an already-parsed document.
//
// Parsing never trusts the message: these functions read fields only;
// signature checks and registry checks happen in the IdP (idp.cc), on the
// very root element parsed here. Pure functions, thread-safe.
#pragma once

#include <libxml/tree.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "protocols/saml/xml.h"

namespace certme::saml {

// A protocol error as a value (docs/ARCHITECTURE.md rule 5): the top-level status
// code, an optional second-level code, a client-facing message and a
// hidden detail for logs.
struct SamlError {
  std::string status;      // kStatusRequester, kStatusResponder, kStatusVersionMismatch
  std::string sub_status;  // e.g. kStatusRequestDenied, kStatusNoPassive; may be empty
  std::string message;     // StatusMessage, client-safe
  std::string detail;      // logs only
};

// Fields common to requests (SAML Core §3.2.1).
struct RequestHeader {
  std::string id;
  std::string version;
  int64_t issue_instant = 0;
  std::string destination;  // empty when absent
  std::string issuer;
  std::string consent;
};

struct AuthnRequest {
  RequestHeader header;
  std::string acs_url;               // AssertionConsumerServiceURL; empty when absent
  std::optional<int> acs_index;      // AssertionConsumerServiceIndex
  std::string protocol_binding;      // empty when absent
  bool force_authn = false;
  bool is_passive = false;
  std::string name_id_format;        // NameIDPolicy/@Format; empty when absent
  bool allow_create = true;
  std::vector<std::string> authn_context_class_refs;  // RequestedAuthnContext
  std::string authn_context_comparison = "exact";
};

struct LogoutRequest {
  RequestHeader header;
  std::string name_id;
  std::string name_id_format;
  std::vector<std::string> session_indexes;
  int64_t not_on_or_after = 0;  // 0 when absent
  std::string reason;
};

struct LogoutResponse {
  RequestHeader header;  // issue_instant etc.; the same shape (StatusResponseType)
  std::string in_response_to;
  std::string status;
};

// Field extraction. `root` must be the document's root element.
// InvalidArgument (message says what) for a malformed message; Version is
// extracted as-is so the caller can answer VersionMismatch.
StatusOr<AuthnRequest> ReadAuthnRequest(const xmlNode* root);
StatusOr<LogoutRequest> ReadLogoutRequest(const xmlNode* root);
StatusOr<LogoutResponse> ReadLogoutResponse(const xmlNode* root);

// Parse + read in one step (the fuzz targets and tests use these).
StatusOr<AuthnRequest> ParseAuthnRequest(std::string_view xml);
StatusOr<LogoutRequest> ParseLogoutRequest(std::string_view xml);

// HTTP-POST (SAML Bindings §3.5.4): the form value is base64 of the XML;
// the decoded message is at most `max_bytes`.
StatusOr<std::string> DecodePostMessage(std::string_view form_value, size_t max_bytes = kMaxMessageBytes);
// HTTP-Redirect (SAML Bindings §3.4.4.1): base64 of raw DEFLATE; inflation
// stops as soon as the output passes `max_bytes` (DEFLATE bombs).
StatusOr<std::string> DecodeRedirectMessage(std::string_view query_value, size_t max_bytes = kMaxMessageBytes);
// The encoding side, for messages the IdP sends by redirect and for tests.
std::string DeflateAndBase64(std::string_view xml);

// An HTTP-Redirect query string read for the binding (SAML Bindings
// §3.4.4.1), from the raw query exactly as sent: the signature covers
// "SAMLRequest=v[&RelayState=v]&SigAlg=v" (or SAMLResponse) with the values
// as they appear in the URL, so the values used must be those very
// parameters' values, never a differently spelled parameter's.
struct RedirectQuery {
  std::string message_param;               // kParamSamlRequest or kParamSamlResponse
  std::string message;                     // percent-decoded (base64 of DEFLATE)
  std::optional<std::string> relay_state;  // percent-decoded
  std::optional<std::string> sig_alg;      // percent-decoded URI
  std::optional<std::string> signature;    // percent-decoded (base64)
  std::string signed_octets;               // as sent; empty without SigAlg
};

// InvalidArgument when: no message or both SAMLRequest and SAMLResponse; any
// of SAMLRequest, SAMLResponse, RelayState, SigAlg, Signature given twice, or
// given under a percent-encoded (or '+') spelling of its name (it would be
// read as that parameter by a decoder but left out of the signed octets); a
// Signature without SigAlg; a bad percent-escape in one of them. Other
// parameters (lang) are ignored.
StatusOr<RedirectQuery> ParseRedirectQuery(std::string_view raw_query);

}  // namespace certme::saml
