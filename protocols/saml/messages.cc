#include "protocols/saml/messages.h"

#include <zlib.h>

#include <charconv>

#include "common/encoding.h"
#include "protocols/saml/vocabulary.h"

namespace certme::saml {
namespace {

constexpr size_t kMaxFieldBytes = 4096;  // IDs, URLs, issuers
constexpr size_t kMaxListItems = 32;     // session indexes, context refs

bool ParseXsBool(const std::optional<std::string>& v, bool dflt, bool* out) {
  if (!v) {
    *out = dflt;
    return true;
  }
  if (*v == "true" || *v == "1") *out = true;
  else if (*v == "false" || *v == "0") *out = false;
  else return false;
  return true;
}

// SAML Core §3.2.1 RequestAbstractType / §3.2.2 StatusResponseType header.
Status ReadHeader(const xmlNode* root, RequestHeader* h) {
  auto id = Attr(root, "ID");
  if (!id || id->empty() || id->size() > 256) return InvalidArgument("ID is missing or too long");
  // xs:ID is an NCName: it cannot start with a digit (SAML Core §1.3.4).
  if ((*id)[0] >= '0' && (*id)[0] <= '9') return InvalidArgument("ID is not an xs:ID");
  h->id = *id;
  h->version = Attr(root, "Version").value_or("");
  if (h->version.empty()) return InvalidArgument("Version is missing");
  auto instant = Attr(root, "IssueInstant");
  if (!instant) return InvalidArgument("IssueInstant is missing");
  auto t = ParseSamlTime(*instant);
  if (!t) return InvalidArgument("IssueInstant is not a UTC xs:dateTime");
  h->issue_instant = *t;
  h->destination = Attr(root, "Destination").value_or("");
  h->consent = Attr(root, "Consent").value_or("");
  if (h->destination.size() > kMaxFieldBytes) return InvalidArgument("Destination too long");
  size_t n = 0;
  xmlNode* issuer = ChildElement(root, kNsAssertion, "Issuer", &n);
  if (n > 1) return InvalidArgument("more than one Issuer");
  if (issuer) {
    // SAML Profiles §4.1.4.1: the Issuer format, if any, must be entity.
    auto fmt = Attr(issuer, "Format");
    if (fmt && *fmt != kNameIdEntity) return InvalidArgument("Issuer Format must be entity");
    h->issuer = Text(issuer);
    if (h->issuer.size() > kMaxFieldBytes) return InvalidArgument("Issuer too long");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<AuthnRequest> ReadAuthnRequest(const xmlNode* root) {
  if (!IsElement(root, kNsProtocol, "AuthnRequest")) return InvalidArgument("not an AuthnRequest");
  AuthnRequest r;
  CERTME_RETURN_IF_ERROR(ReadHeader(root, &r.header));
  r.acs_url = Attr(root, "AssertionConsumerServiceURL").value_or("");
  if (r.acs_url.size() > kMaxFieldBytes) return InvalidArgument("AssertionConsumerServiceURL too long");
  if (auto idx = Attr(root, "AssertionConsumerServiceIndex")) {
    int v = 0;
    auto [p, ec] = std::from_chars(idx->data(), idx->data() + idx->size(), v);
    if (ec != std::errc() || p != idx->data() + idx->size() || v < 0 || v > 65535)
      return InvalidArgument("AssertionConsumerServiceIndex is not an unsigned short");
    r.acs_index = v;
  }
  // SAML Core §3.4.1: URL and index are mutually exclusive.
  if (!r.acs_url.empty() && r.acs_index) return InvalidArgument("both ACS URL and index given");
  r.protocol_binding = Attr(root, "ProtocolBinding").value_or("");
  if (!ParseXsBool(Attr(root, "ForceAuthn"), false, &r.force_authn))
    return InvalidArgument("ForceAuthn is not a boolean");
  if (!ParseXsBool(Attr(root, "IsPassive"), false, &r.is_passive))
    return InvalidArgument("IsPassive is not a boolean");
  size_t n = 0;
  if (xmlNode* policy = ChildElement(root, kNsProtocol, "NameIDPolicy", &n)) {
    r.name_id_format = Attr(policy, "Format").value_or("");
    if (!ParseXsBool(Attr(policy, "AllowCreate"), true, &r.allow_create))
      return InvalidArgument("AllowCreate is not a boolean");
  }
  if (n > 1) return InvalidArgument("more than one NameIDPolicy");
  if (xmlNode* rac = ChildElement(root, kNsProtocol, "RequestedAuthnContext", &n)) {
    r.authn_context_comparison = Attr(rac, "Comparison").value_or("exact");
    const auto& c = r.authn_context_comparison;
    if (c != "exact" && c != "minimum" && c != "maximum" && c != "better")
      return InvalidArgument("unknown AuthnContext Comparison");
    for (xmlNode* ref : ChildElements(rac, kNsAssertion, "AuthnContextClassRef")) {
      if (r.authn_context_class_refs.size() >= kMaxListItems) return InvalidArgument("too many AuthnContextClassRef");
      r.authn_context_class_refs.push_back(Text(ref));
    }
  }
  if (n > 1) return InvalidArgument("more than one RequestedAuthnContext");
  return r;
}

StatusOr<LogoutRequest> ReadLogoutRequest(const xmlNode* root) {
  if (!IsElement(root, kNsProtocol, "LogoutRequest")) return InvalidArgument("not a LogoutRequest");
  LogoutRequest r;
  CERTME_RETURN_IF_ERROR(ReadHeader(root, &r.header));
  if (auto t = Attr(root, "NotOnOrAfter")) {
    auto v = ParseSamlTime(*t);
    if (!v) return InvalidArgument("NotOnOrAfter is not a UTC xs:dateTime");
    r.not_on_or_after = *v;
  }
  r.reason = Attr(root, "Reason").value_or("");
  size_t n = 0;
  xmlNode* name_id = ChildElement(root, kNsAssertion, "NameID", &n);
  // SAML Core §3.7.1: exactly one identifier; we do not accept BaseID or
  // EncryptedID (we never issue them).
  if (n != 1 || !name_id) return InvalidArgument("LogoutRequest needs exactly one NameID");
  r.name_id = Text(name_id);
  r.name_id_format = Attr(name_id, "Format").value_or("");
  if (r.name_id.empty() || r.name_id.size() > kMaxFieldBytes) return InvalidArgument("NameID is empty or too long");
  for (xmlNode* si : ChildElements(root, kNsProtocol, "SessionIndex")) {
    if (r.session_indexes.size() >= kMaxListItems) return InvalidArgument("too many SessionIndex");
    r.session_indexes.push_back(Text(si));
  }
  return r;
}

StatusOr<LogoutResponse> ReadLogoutResponse(const xmlNode* root) {
  if (!IsElement(root, kNsProtocol, "LogoutResponse")) return InvalidArgument("not a LogoutResponse");
  LogoutResponse r;
  CERTME_RETURN_IF_ERROR(ReadHeader(root, &r.header));
  r.in_response_to = Attr(root, "InResponseTo").value_or("");
  size_t n = 0;
  xmlNode* status = ChildElement(root, kNsProtocol, "Status", &n);
  if (n != 1) return InvalidArgument("LogoutResponse needs exactly one Status");
  xmlNode* code = ChildElement(status, kNsProtocol, "StatusCode", &n);
  if (n != 1) return InvalidArgument("Status needs exactly one StatusCode");
  r.status = Attr(code, "Value").value_or("");
  return r;
}

StatusOr<AuthnRequest> ParseAuthnRequest(std::string_view xml) {
  CERTME_ASSIGN_OR_RETURN(auto doc, ParseUntrustedXml(xml));
  return ReadAuthnRequest(xmlDocGetRootElement(doc.get()));
}

StatusOr<LogoutRequest> ParseLogoutRequest(std::string_view xml) {
  CERTME_ASSIGN_OR_RETURN(auto doc, ParseUntrustedXml(xml));
  return ReadLogoutRequest(xmlDocGetRootElement(doc.get()));
}

StatusOr<std::string> DecodePostMessage(std::string_view form_value, size_t max_bytes) {
  if (form_value.empty()) return InvalidArgument("empty SAML message");
  // Base64 grows 4/3, plus line breaks some SPs insert.
  if (form_value.size() > max_bytes / 3 * 4 + max_bytes / 32 + 8) return InvalidArgument("SAML message too large");
  auto xml = Base64Decode(form_value);
  if (!xml) return InvalidArgument("SAML message is not base64");
  if (xml->size() > max_bytes) return InvalidArgument("SAML message too large");
  return *xml;
}

StatusOr<std::string> DecodeRedirectMessage(std::string_view query_value, size_t max_bytes) {
  if (query_value.empty()) return InvalidArgument("empty SAML message");
  if (query_value.size() > max_bytes) return InvalidArgument("SAML message too large");
  auto raw = Base64Decode(query_value);
  if (!raw) return InvalidArgument("SAML message is not base64");
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Internal("inflate unavailable");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(raw->data());
  zs.avail_in = static_cast<uInt>(raw->size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof buf - zs.avail_out);
    // At most one buffer past the cap is ever inflated.
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return InvalidArgument("SAML message too large");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) break;  // truncated stream
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return InvalidArgument("SAML message is not valid DEFLATE");
  return out;
}

std::string DeflateAndBase64(std::string_view xml) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, xml.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(xml.data()));
  zs.avail_in = static_cast<uInt>(xml.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return Base64Encode(out);
}

StatusOr<RedirectQuery> ParseRedirectQuery(std::string_view raw_query) {
  // The binding's parameters, each as sent (name and value still encoded).
  constexpr std::string_view kNames[] = {kParamSamlRequest, kParamSamlResponse, kParamRelayState, kParamSigAlg,
                                         kParamSignature};
  std::optional<std::string_view> raw[std::size(kNames)];
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto decoded = PercentDecode(name, true);
    for (size_t i = 0; i < std::size(kNames); ++i) {
      if (name == kNames[i]) {
        if (raw[i]) return InvalidArgument(std::string(kNames[i]) + " is given twice");
        raw[i] = value;
      } else if (decoded && *decoded == kNames[i]) {
        return InvalidArgument(std::string(kNames[i]) + " is given under an encoded name");
      }
    }
  }
  auto decode = [&](size_t i) -> StatusOr<std::optional<std::string>> {
    if (!raw[i]) return std::optional<std::string>();
    auto v = PercentDecode(*raw[i], true);
    if (!v) return InvalidArgument(std::string(kNames[i]) + " is not URL-encoded");
    return std::optional<std::string>(std::move(*v));
  };
  RedirectQuery q;
  if (raw[0].has_value() == raw[1].has_value()) return InvalidArgument("exactly one of SAMLRequest, SAMLResponse is required");
  const size_t msg = raw[0] ? 0 : 1;
  q.message_param = std::string(kNames[msg]);
  CERTME_ASSIGN_OR_RETURN(auto message, decode(msg));
  q.message = std::move(*message);
  CERTME_ASSIGN_OR_RETURN(q.relay_state, decode(2));
  CERTME_ASSIGN_OR_RETURN(q.sig_alg, decode(3));
  CERTME_ASSIGN_OR_RETURN(q.signature, decode(4));
  if (q.signature && !q.sig_alg) return InvalidArgument("Signature without SigAlg");
  if (q.sig_alg) {
    q.signed_octets = q.message_param + "=" + std::string(*raw[msg]);
    if (raw[2]) q.signed_octets += "&" + std::string(kParamRelayState) + "=" + std::string(*raw[2]);
    q.signed_octets += "&" + std::string(kParamSigAlg) + "=" + std::string(*raw[3]);
  }
  return q;
}

}  // namespace certme::saml
