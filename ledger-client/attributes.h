// Attribute commitments: what the ledger stores instead of personal data.
//
//   attrKey    = keccak256(bytes(name))                         e.g. "idnp"
//   commitment = keccak256(abi.encode(address user, bytes32 attrKey,
//                                     string value, bytes32 salt))
//
// The salt (32 random bytes, kept by the wallet with the value) is what makes
// a commitment to a low-entropy value (IDNP, birth date) unguessable; the
// user's address binds the commitment to one eID, so commitments cannot be
// copied between users. Stateless; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// eIDAS levels of assurance (Regulation 910/2014 Art. 8).
inline constexpr uint8_t kLoaLow = 1;
inline constexpr uint8_t kLoaSubstantial = 2;
inline constexpr uint8_t kLoaHigh = 3;
// "low" | "substantial" | "high" ↔ 1 | 2 | 3; 0 / "" when unknown.
uint8_t ParseLoa(std::string_view name);
const char* LoaName(uint8_t loa);

// Attribute names: 1-64 bytes of [A-Za-z0-9_.:-] (catalogue keys such as
// "first_name", "idnp"); values: at most this many bytes of UTF-8.
inline constexpr size_t kMaxAttributeNameBytes = 64;
inline constexpr size_t kMaxAttributeValueBytes = 4096;
bool IsValidAttributeName(std::string_view name);

Bytes32 AttributeKey(std::string_view name);
// REQUIRES: user20.size() == 20.
Bytes32 AttributeCommitment(std::string_view user20, const Bytes32& attr_key, std::string_view value,
                            const Bytes32& salt);

// An attribute as the wallet keeps it and discloses it to a provider.
struct DisclosedAttribute {
  std::string name;
  std::string value;
  Bytes32 salt{};
};

// The provider's check (the last step of a validation): `attrs` must be
// exactly the attributes the request asked for (same keys, any order, no
// extras, no duplicates) and each recomputed commitment must equal the
// validator's answer for that key. `attr_keys` and `answered_commitments`
// are parallel (as on the ledger). Errors name the offending attribute:
// CommitmentMismatch, MissingAttribute, UnexpectedAttribute.
Status CheckDisclosure(std::string_view user20, const std::vector<DisclosedAttribute>& attrs,
                       const std::vector<Bytes32>& attr_keys,
                       const std::vector<Bytes32>& answered_commitments);

}  // namespace certme
