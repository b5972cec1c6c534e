#include "protocols/wallet/request_document.h"

#include <set>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

using nlohmann::json;

namespace {

Status Malformed(std::string what) { return InvalidArgument("malformed", std::move(what)); }

// A required member of `o` (an object).
const json* Member(const json& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &*it;
}

StatusOr<std::string> String(const json& o, const char* name) {
  const json* v = Member(o, name);
  if (!v || !v->is_string()) return Malformed(std::string(name) + " must be a string");
  return v->get<std::string>();
}

StatusOr<uint64_t> Unsigned(const json& o, const char* name) {
  const json* v = Member(o, name);
  // A document built in memory holds signed integers; parsed text, unsigned.
  if (!v || !v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
    return Malformed(std::string(name) + " must be a non-negative integer");
  return v->get<uint64_t>();
}

// 0x-prefixed hex of exactly `bytes` bytes.
StatusOr<std::string> Hex(const json& o, const char* name, size_t bytes) {
  CERTME_ASSIGN_OR_RETURN(std::string s, String(o, name));
  auto raw = s.rfind("0x", 0) == 0 ? HexDecode(s) : std::nullopt;
  if (!raw || raw->size() != bytes)
    return Malformed(std::string(name) + " must be 0x and " + std::to_string(2 * bytes) + " hex digits");
  return *raw;
}

// {language: text} with string values (languages beyond ro/ru/en are kept).
StatusOr<std::map<std::string, std::string>> Texts(const json& o, const char* name) {
  const json* v = Member(o, name);
  if (!v || !v->is_object()) return Malformed(std::string(name) + " must be an object");
  std::map<std::string, std::string> out;
  for (const auto& [lang, text] : v->items()) {
    if (!text.is_string()) return Malformed(std::string(name) + "." + lang + " must be a string");
    out[lang] = text.get<std::string>();
  }
  return out;
}

StatusOr<Eip712Domain> Domain(const json& doc) {
  const json* d = Member(doc, kFieldDomain);
  if (!d || !d->is_object()) return Malformed("domain must be an object");
  Eip712Domain domain;
  CERTME_ASSIGN_OR_RETURN(domain.name, String(*d, kFieldDomainName));
  CERTME_ASSIGN_OR_RETURN(domain.version, String(*d, kFieldDomainVersion));
  CERTME_ASSIGN_OR_RETURN(domain.chain_id, Unsigned(*d, kFieldDomainChainId));
  CERTME_ASSIGN_OR_RETURN(std::string contract, String(*d, kFieldDomainVerifyingContract));
  auto address = ParseAddress(contract);
  if (!address.ok()) return Malformed("domain.verifyingContract is not an address");
  domain.verifying_contract = *address;
  return domain;
}

}  // namespace

const std::map<std::string, std::string>& LoginPurpose() {
  static const std::map<std::string, std::string> kPurpose = {
      {"ro", "Autentificare"}, {"ru", "Аутентификация"}, {"en", "Sign-in"}};
  return kPurpose;
}

json RequestDocumentJson(const RequestDocument& doc) {
  json names = json::object();
  for (const auto& [lang, name] : doc.service_names) names[lang] = name;
  json purpose = json::object();
  for (const auto& [lang, text] : doc.purpose) purpose[lang] = text;
  json out = {
      {kFieldVersion, kProtocolVersion},
      {kFieldCode, doc.code},
      {kFieldNonce, "0x" + HexEncode(abi::AsView(doc.nonce))},
      {kFieldExpiry, doc.expiry},
      {kFieldService, {{kFieldServiceId, doc.service_id}, {kFieldServiceNames, names}}},
      {kFieldAttributes, doc.attributes},
      {kFieldPurpose, purpose},
      {kFieldBridgeKey, "0x" + HexEncode(doc.bridge_key)},
      {kFieldDomain,
       {{kFieldDomainName, doc.domain.name},
        {kFieldDomainVersion, doc.domain.version},
        {kFieldDomainChainId, doc.domain.chain_id},
        {kFieldDomainVerifyingContract, ChecksumAddress(doc.domain.verifying_contract)}}},
      // Always present in v1: the bridge learns who answers only from the
      // answer, so it asks for the consent up front (§3).
      {kFieldConsent,
       {{kFieldConsentProvider, ChecksumAddress(doc.consent_provider)},
        {kFieldConsentExpiry, doc.consent_expiry}}},
  };
  // kLogin is the v1 default and is not written (see vocabulary.h).
  if (doc.kind == RequestKind::kSign && doc.sign) {
    out[kFieldKind] = kKindSign;
    out[kFieldSign] = SignDetailsJson(*doc.sign);
  }
  return out;
}

std::string BuildRequestDocument(const RequestDocument& doc) { return RequestDocumentJson(doc).dump(); }

StatusOr<RequestDocument> ParseRequestDocument(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Malformed("not JSON");
  return RequestDocumentFromJson(doc);
}

StatusOr<RequestDocument> RequestDocumentFromJson(const json& doc) {
  if (!doc.is_object()) return Malformed("not a JSON object");
  const json* version = Member(doc, kFieldVersion);
  if (!version || !version->is_number_integer() || *version != kProtocolVersion)
    return InvalidArgument("version", "version must be 1");
  RequestDocument out;
  if (const json* kind = Member(doc, kFieldKind)) {
    if (kind->is_string() && *kind == kKindSign) {
      out.kind = RequestKind::kSign;
    } else if (!kind->is_string() || *kind != kKindLogin) {
      return InvalidArgument("kind", "unknown request kind");
    }
  }
  if (out.kind == RequestKind::kSign) {
    const json* sign = Member(doc, kFieldSign);
    if (!sign) return Malformed("sign must be an object");
    CERTME_ASSIGN_OR_RETURN(out.sign, SignDetailsFromJson(*sign));
  }
  CERTME_ASSIGN_OR_RETURN(out.code, String(doc, kFieldCode));
  CERTME_ASSIGN_OR_RETURN(std::string nonce, Hex(doc, kFieldNonce, 32));
  out.nonce = abi::ToBytes32(nonce);
  const json* expiry = Member(doc, kFieldExpiry);
  if (!expiry || !expiry->is_number_integer()) return Malformed("expiry must be an integer");
  out.expiry = expiry->get<int64_t>();

  const json* service = Member(doc, kFieldService);
  if (!service || !service->is_object()) return Malformed("service must be an object");
  CERTME_ASSIGN_OR_RETURN(out.service_id, String(*service, kFieldServiceId));
  if (Member(*service, kFieldServiceNames)) {
    CERTME_ASSIGN_OR_RETURN(out.service_names, Texts(*service, kFieldServiceNames));
  }

  const json* attributes = Member(doc, kFieldAttributes);
  if (!attributes || !attributes->is_array()) return Malformed("attributes must be an array");
  std::set<std::string> seen;
  for (const json& a : *attributes) {
    if (!a.is_string() || !IsValidAttributeName(a.get_ref<const std::string&>()))
      return Malformed("attributes holds an invalid name");
    if (!seen.insert(a.get<std::string>()).second) return Malformed("attributes holds a duplicate");
    out.attributes.push_back(a.get<std::string>());
  }
  if (Member(doc, kFieldPurpose)) {
    CERTME_ASSIGN_OR_RETURN(out.purpose, Texts(doc, kFieldPurpose));
  }
  CERTME_ASSIGN_OR_RETURN(out.bridge_key, Hex(doc, kFieldBridgeKey, 65));
  CERTME_ASSIGN_OR_RETURN(out.domain, Domain(doc));

  const json* consent = Member(doc, kFieldConsent);
  if (!consent || !consent->is_object()) return Malformed("consent must be an object");
  CERTME_ASSIGN_OR_RETURN(std::string provider, String(*consent, kFieldConsentProvider));
  auto provider_address = ParseAddress(provider);
  if (!provider_address.ok()) return Malformed("consent.provider is not an address");
  out.consent_provider = *provider_address;
  CERTME_ASSIGN_OR_RETURN(out.consent_expiry, Unsigned(*consent, kFieldConsentExpiry));
  return out;
}

}  // namespace certme::wallet
