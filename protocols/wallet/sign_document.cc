// The `sign` object of a sign request document (docs/wallet-protocol.md
// §10): what is signed, for whom, and the reference every signature names.
#include <set>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

using nlohmann::json;

namespace {

Status Malformed(std::string what) { return InvalidArgument("malformed", "sign." + std::move(what)); }

size_t DigestSize(std::string_view hash_alg) {
  if (hash_alg == kJadesHashS256) return 32;
  if (hash_alg == kJadesHashS384) return 48;
  return 0;
}

bool IsIdno(std::string_view idno) {
  if (idno.empty() || idno.size() > kMaxIdnoLength) return false;
  for (char c : idno)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

const json* Member(const json& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &*it;
}

const std::string* Str(const json& o, const char* name) {
  const json* v = Member(o, name);
  return v && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

// "0x" + 2·bytes hex digits.
std::optional<std::string> Hex(const std::string* s, size_t bytes) {
  if (!s || s->size() != 2 + 2 * bytes || s->rfind("0x", 0) != 0) return std::nullopt;
  return HexDecode(*s);
}

}  // namespace

const std::map<std::string, std::string>& SignPurpose() {
  static const std::map<std::string, std::string> kPurpose = {
      {"ro", "Semnare electronică"}, {"ru", "Электронная подпись"}, {"en", "Electronic signature"}};
  return kPurpose;
}

json SignDetailsJson(const SignDetails& sign) {
  json description = json::object();
  for (const auto& [lang, text] : sign.description) description[lang] = text;
  json items = json::array();
  for (const auto& item : sign.items)
    items.push_back({{kFieldSignItemName, item.name},
                     {kFieldSignItemHash, item.hash_alg},
                     {kFieldSignItemDigest, "0x" + HexEncode(item.digest)}});
  json signer = {{kFieldSignerType,
                  sign.signer_type == SignerType::kOrganization ? kSignerOrganization : kSignerPerson}};
  if (sign.signer_type == SignerType::kOrganization) signer[kFieldSignerIdno] = sign.idno;
  return {{kFieldSignRequest, "0x" + HexEncode(abi::AsView(sign.request))},
          {kFieldSignDescription, description},
          {kFieldSignItems, items},
          {kFieldSigner, signer}};
}

StatusOr<SignDetails> SignDetailsFromJson(const json& sign) {
  if (!sign.is_object()) return Malformed("sign must be an object");
  SignDetails out;
  auto request = Hex(Str(sign, kFieldSignRequest), 32);
  if (!request) return Malformed("request must be 0x and 64 hex digits");
  out.request = abi::ToBytes32(*request);

  const json* description = Member(sign, kFieldSignDescription);
  if (!description || !description->is_object() || description->empty())
    return Malformed("description must be a non-empty object");
  for (const auto& [lang, text] : description->items()) {
    if (!text.is_string() || text.get_ref<const std::string&>().size() > kMaxSignDescriptionBytes)
      return Malformed("description." + lang + " must be a string of at most 1024 bytes");
    out.description[lang] = text.get<std::string>();
  }

  const json* items = Member(sign, kFieldSignItems);
  if (!items || !items->is_array() || items->empty() || items->size() > kMaxSignItems)
    return Malformed("items must hold 1 to 16 items");
  std::set<std::string> names;
  for (const json& item : *items) {
    if (!item.is_object()) return Malformed("items holds a non-object");
    const std::string* name = Str(item, kFieldSignItemName);
    if (!name || !IsValidJadesItemName(*name)) return Malformed("items holds an invalid name");
    if (!names.insert(*name).second) return Malformed("items holds a duplicate name");
    const std::string* hash = Str(item, kFieldSignItemHash);
    size_t size = hash ? DigestSize(*hash) : 0;
    if (size == 0) return Malformed("items hashM must be S256 or S384");
    auto digest = Hex(Str(item, kFieldSignItemDigest), size);
    if (!digest) return Malformed("items digest must be 0x and hex of hashM's size");
    out.items.push_back({*name, *hash, std::move(*digest)});
  }

  const json* signer = Member(sign, kFieldSigner);
  if (!signer || !signer->is_object()) return Malformed("signer must be an object");
  const std::string* type = Str(*signer, kFieldSignerType);
  const json* idno = Member(*signer, kFieldSignerIdno);
  if (type && *type == kSignerPerson) {
    if (idno) return Malformed("signer.idno is for organization signers");
    out.signer_type = SignerType::kPerson;
  } else if (type && *type == kSignerOrganization) {
    if (!idno || !idno->is_string() || !IsIdno(idno->get_ref<const std::string&>()))
      return Malformed("signer.idno must be 1 to 32 letters or digits");
    out.signer_type = SignerType::kOrganization;
    out.idno = idno->get<std::string>();
  } else {
    return Malformed("signer.type must be person or organization");
  }
  return out;
}

}  // namespace certme::wallet
