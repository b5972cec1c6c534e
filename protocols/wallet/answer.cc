#include "protocols/wallet/answer.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

using nlohmann::json;

namespace {

WalletError Invalid(std::string description) {
  return WalletError::Make(400, kErrInvalidRequest, std::move(description));
}

WalletError Mismatch(std::string description) {
  return WalletError::Make(400, kErrAttributesMismatch, std::move(description));
}

bool IsString(const json& o, const char* name) { return o.contains(name) && o[name].is_string(); }


}  // namespace

std::optional<Bytes32> ParseHex32(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 66 || s.rfind("0x", 0) != 0) return std::nullopt;
  auto raw = HexDecode(s);
  if (!raw || raw->size() != 32) return std::nullopt;
  return abi::ToBytes32(*raw);
}

WalletOr<Answer> ParseAnswer(std::string_view body, std::string_view code) {
  return ParseAnswer(body, code, RequestKind::kLogin);
}

namespace {

// §10: the per-item signatures of a sign answer, well-formed (their
// contents are judged by CheckSignItems).
WalletOr<std::vector<ItemSignature>> ParseSignatures(const json& list) {
  if (!list.is_array() || list.empty() || list.size() > kMaxSignItems)
    return Invalid("signatures must hold 1 to 16 entries");
  std::vector<ItemSignature> out;
  for (const json& s : list) {
    if (!s.is_object() || !IsString(s, kFieldSigProtected) || !IsString(s, kFieldSigSignature) ||
        !IsString(s, kFieldSigLedgerSignature))
      return Invalid("each signature needs protected, signature and ledgerSignature");
    ItemSignature item;
    item.protected_b64 = s[kFieldSigProtected].get<std::string>();
    if (item.protected_b64.empty() || item.protected_b64.size() > kMaxJadesHeaderBytes)
      return Invalid("protected is empty or too large");
    const std::string& sig = s[kFieldSigSignature].get_ref<const std::string&>();
    auto raw = Base64UrlDecode(sig);
    if (!raw || raw->size() != 64 || Base64UrlEncode(*raw) != sig)
      return Invalid("signature must be 64 bytes base64url");
    item.signature = std::move(*raw);
    auto ledger = EthSignature::FromHex(s[kFieldSigLedgerSignature].get<std::string>());
    if (!ledger) return Invalid("ledgerSignature is malformed");
    item.ledger_signature = *ledger;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

WalletOr<Answer> ParseAnswer(std::string_view body, std::string_view code, RequestKind kind) {
  if (body.size() > kMaxAnswerBytes) return Invalid("answer too large");
  json a = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (a.is_discarded() || !a.is_object()) return Invalid("not a JSON object");
  if (!a.contains(kFieldVersion) || a[kFieldVersion] != kProtocolVersion) return Invalid("version must be 1");
  if (!a.contains(kFieldCode) || a[kFieldCode] != code) return Invalid("code differs");
  Answer out;
  out.code = std::string(code);
  // §7 step 5 reads this: a refusal carries the eID and its signature.
  if (a.contains(kFieldRefused)) {
    if (a[kFieldRefused] != true) return Invalid("refused must be true");
    if (!IsString(a, kFieldEid) || !IsString(a, kFieldRefusalSignature))
      return Invalid("a refusal needs eid and refusalSignature");
    auto eid = ParseAddress(a[kFieldEid].get<std::string>());
    if (!eid.ok()) return Invalid("eid is not an address");
    out.eid = *eid;
    out.refusal_signature = EthSignature::FromHex(a[kFieldRefusalSignature].get<std::string>());
    if (!out.refusal_signature) return Invalid("refusalSignature is malformed");
    out.refused = true;
    return out;
  }
  if (!IsString(a, kFieldEid) || !IsString(a, kFieldLoginSignature) || !IsString(a, kFieldAttributes))
    return Invalid("eid, loginSignature and attributes are required");
  auto eid = ParseAddress(a[kFieldEid].get<std::string>());
  if (!eid.ok()) return Invalid("eid is not an address");
  out.eid = *eid;
  auto login_sig = EthSignature::FromHex(a[kFieldLoginSignature].get<std::string>());
  if (!login_sig) return Invalid("loginSignature is malformed");
  out.login_signature = *login_sig;
  if (a.contains(kFieldConsentSignature)) {
    if (!a[kFieldConsentSignature].is_string()) return Invalid("consentSignature");
    out.consent_signature = EthSignature::FromHex(a[kFieldConsentSignature].get<std::string>());
    if (!out.consent_signature) return Invalid("consentSignature is malformed");
  }
  auto payload = Base64UrlDecode(a[kFieldAttributes].get<std::string>());
  if (!payload) return Invalid("attributes is not base64url");
  out.payload = std::move(*payload);
  if (kind == RequestKind::kSign) {
    if (!a.contains(kFieldSignatures)) return Invalid("a sign answer needs signatures");
    auto signatures = ParseSignatures(a[kFieldSignatures]);
    if (!signatures.ok()) return std::move(signatures).error();
    out.signatures = std::move(*signatures);
  } else if (a.contains(kFieldSignatures)) {
    return Invalid("signatures answer a sign request only");
  }
  return out;
}

std::string BuildAnswer(const Answer& answer) {
  json a = {{kFieldVersion, kProtocolVersion}, {kFieldCode, answer.code}};
  if (answer.refused) {
    a[kFieldRefused] = true;
    a[kFieldEid] = ChecksumAddress(answer.eid);
    if (answer.refusal_signature) a[kFieldRefusalSignature] = answer.refusal_signature->ToHex();
    return a.dump();
  }
  a[kFieldEid] = ChecksumAddress(answer.eid);
  a[kFieldLoginSignature] = answer.login_signature.ToHex();
  if (answer.consent_signature) a[kFieldConsentSignature] = answer.consent_signature->ToHex();
  a[kFieldAttributes] = Base64UrlEncode(answer.payload);
  if (!answer.signatures.empty()) {
    json list = json::array();
    for (const auto& s : answer.signatures)
      list.push_back({{kFieldSigProtected, s.protected_b64},
                      {kFieldSigSignature, Base64UrlEncode(s.signature)},
                      {kFieldSigLedgerSignature, s.ledger_signature.ToHex()}});
    a[kFieldSignatures] = std::move(list);
  }
  return a.dump();
}

WalletOr<Disclosure> ParseDisclosure(std::string_view plaintext, const std::vector<std::string>& requested,
                                     std::string_view eid) {
  json list = json::parse(plaintext, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded() || !list.is_array() || list.size() != requested.size())
    return Mismatch("attributes differ from the request");
  Disclosure out;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& o = list[i];
    if (!o.is_object() || o.size() != 3 || !o.contains(kFieldAttrKey) || o[kFieldAttrKey] != requested[i] ||
        !IsString(o, kFieldAttrValue) ||
        o[kFieldAttrValue].get_ref<const std::string&>().size() > kMaxAttributeValueBytes ||
        !o.contains(kFieldAttrSalt))
      return Mismatch("attributes differ from the request");
    auto salt = ParseHex32(o[kFieldAttrSalt]);
    if (!salt) return Mismatch("salt must be 32 bytes");
    out.attributes.push_back({requested[i], o[kFieldAttrValue].get<std::string>(), *salt});
    out.keys.push_back(AttributeKey(requested[i]));
    out.commitments.push_back(AttributeCommitment(eid, out.keys.back(), out.attributes.back().value, *salt));
  }
  return out;
}

std::string BuildDisclosurePlaintext(const std::vector<DisclosedAttribute>& attributes) {
  json plain = json::array();
  for (const auto& a : attributes)
    plain.push_back({{kFieldAttrKey, a.name},
                     {kFieldAttrValue, a.value},
                     {kFieldAttrSalt, "0x" + HexEncode(abi::AsView(a.salt))}});
  return plain.dump();
}

}  // namespace certme::wallet
