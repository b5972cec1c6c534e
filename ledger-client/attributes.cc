#include "ledger-client/attributes.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/ledger.h"

namespace certme {

uint8_t ParseLoa(std::string_view name) {
  if (name == "low") return kLoaLow;
  if (name == "substantial") return kLoaSubstantial;
  if (name == "high") return kLoaHigh;
  return 0;
}

const char* LoaName(uint8_t loa) {
  switch (loa) {
    case kLoaLow: return "low";
    case kLoaSubstantial: return "substantial";
    case kLoaHigh: return "high";
    default: return "";
  }
}

bool IsValidAttributeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxAttributeNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

Bytes32 AttributeKey(std::string_view name) { return Keccak256(name); }

Bytes32 AttributeCommitment(std::string_view user20, const Bytes32& attr_key, std::string_view value,
                            const Bytes32& salt) {
  return Keccak256(abi::Encoder().Address(user20).Fixed(attr_key).String(value).Fixed(salt).Encode());
}

Status CheckDisclosure(std::string_view user20, const std::vector<DisclosedAttribute>& attrs,
                       const std::vector<Bytes32>& attr_keys,
                       const std::vector<Bytes32>& answered_commitments) {
  if (attr_keys.size() != answered_commitments.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "answer has a different number of commitments");
  std::set<Bytes32> seen;
  for (const auto& a : attrs) {
    const Bytes32 key = AttributeKey(a.name);
    if (!seen.insert(key).second)
      return LedgerError(LedgerErrorCode::kUnexpectedAttribute, "attribute \"" + a.name + "\" sent twice");
    auto it = std::find(attr_keys.begin(), attr_keys.end(), key);
    if (it == attr_keys.end())
      return LedgerError(LedgerErrorCode::kUnexpectedAttribute,
                         "attribute \"" + a.name + "\" was not part of the validation request");
    const Bytes32& want = answered_commitments[it - attr_keys.begin()];
    // Exact match only: the value as sent, byte for byte (no case folding,
    // no trimming), is what the validator committed to.
    if (AttributeCommitment(user20, key, a.value, a.salt) != want)
      return LedgerError(LedgerErrorCode::kCommitmentMismatch,
                         "attribute \"" + a.name + "\" does not match the validator's commitment");
  }
  for (const auto& k : attr_keys)
    if (!seen.count(k))
      return LedgerError(LedgerErrorCode::kMissingAttribute,
                         "a requested attribute (key 0x" + HexEncode(abi::AsView(k)) + ") was not sent");
  return Status::Ok();
}

}  // namespace certme
