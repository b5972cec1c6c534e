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

StatusOr<std::string> DecodePostMessage(std::string_view form_value) {
  if (form_value.empty()) return InvalidArgument("empty SAML message");
  if (form_value.size() > kMaxXmlBytes * 4 / 3 + 1024) return InvalidArgument("SAML message too large");
  auto xml = Base64Decode(form_value);
  if (!xml) return InvalidArgument("SAML message is not base64");
  return *xml;
}

StatusOr<std::string> DecodeRedirectMessage(std::string_view query_value) {
  if (query_value.empty()) return InvalidArgument("empty SAML message");
  if (query_value.size() > kMaxXmlBytes) return InvalidArgument("SAML message too large");
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
    if (out.size() > kMaxXmlBytes) {
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

std::optional<std::string> RedirectSignedOctets(std::string_view raw_query,
                                                std::string_view message_param) {
  std::optional<std::string_view> msg, relay, sigalg;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) amp = raw_query.size();
    std::string_view pair = raw_query.substr(pos, amp - pos);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto take = [&](std::optional<std::string_view>& slot) {
      if (slot) return false;
      slot = value;
      return true;
    };
    if (name == message_param && !take(msg)) return std::nullopt;
    if (name == kParamRelayState && !take(relay)) return std::nullopt;
    if (name == kParamSigAlg && !take(sigalg)) return std::nullopt;
    pos = amp + 1;
  }
  if (!msg || !sigalg) return std::nullopt;
  std::string out = std::string(message_param) + "=" + std::string(*msg);
  if (relay) out += "&RelayState=" + std::string(*relay);
  out += "&SigAlg=" + std::string(*sigalg);
  return out;
}

}  // namespace certme::saml
