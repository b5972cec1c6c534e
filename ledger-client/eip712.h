// EIP-712 typed structured data hashing and the certME consent type.
//
// Two ways in:
//  - TypedDataDigest(json): the generic algorithm over an
//    eth_signTypedData_v4 document ({types, primaryType, domain, message}),
//    the form wallets (ethers' signTypedData, MetaMask) sign. Reads untrusted
//    input: every value is checked against its declared type (fuzzed:
//    tests/fuzz/ledger_typed_data_fuzz.cc).
//  - ConsentDigest(domain, consent): the same hash computed directly for the
//    one struct the registry checks; tests prove both agree.
//
// Stateless; every function is safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// EIP-712 §"Definition of domainSeparator". certME always uses all four
// fields: the name "certME", version "1", the ledger's chain id and the
// registry's address, so a consent signed for one registry or chain is
// worthless on any other.
struct Eip712Domain {
  std::string name = "certME";
  std::string version = "1";
  uint64_t chain_id = 0;
  std::string verifying_contract;  // 20 raw bytes
};

inline constexpr char kEip712DomainType[] =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

Bytes32 DomainSeparator(const Eip712Domain& domain);
// keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)) (EIP-712 §Specification).
Bytes32 Eip712Digest(const Bytes32& domain_separator, const Bytes32& struct_hash);

// ---- generic typed data (eth_signTypedData_v4) ----

// Limits on untrusted documents.
inline constexpr size_t kMaxTypedDataDepth = 16;   // struct/array nesting
inline constexpr size_t kMaxTypedDataItems = 4096; // array elements in total

// encodeType (EIP-712 §"Definition of encodeType"): the primary type's
// definition followed by those of every type it references, sorted by name.
// `types` maps a type name to [{"name":…, "type":…}, …].
StatusOr<std::string> Eip712EncodeType(const nlohmann::json& types, std::string_view primary_type);
// hashStruct(s) = keccak256(typeHash ‖ encodeData(s)).
StatusOr<Bytes32> Eip712HashStruct(const nlohmann::json& types, std::string_view primary_type,
                                   const nlohmann::json& value);
// The digest a wallet signs for the document {types, primaryType, domain,
// message}. When `types` lacks "EIP712Domain" it is derived from the domain
// members present, in the order name, version, chainId, verifyingContract,
// salt (as ethers does). Integers may be JSON numbers, decimal strings or
// 0x-hex strings; addresses, bytes and bytesN are 0x-hex.
StatusOr<Bytes32> TypedDataDigest(const nlohmann::json& typed_data);

// The `domain` member of a typed-data document, and the EIP712Domain entry
// of its `types`, for the registry's domain: every typed-data builder
// (Consent, Enrolment, the wallet's Login and Refusal) uses these.
nlohmann::json TypedDataDomain(const Eip712Domain& domain);
nlohmann::json TypedDataDomainType();

// ---- the certME consent ----

// The user's consent to one validation request. Attribute keys are bytes32:
// keccak256 of the attribute's name (AttributeKey in attributes.h), which
// keeps the signed struct and the contract's storage fixed-size.
inline constexpr char kConsentType[] =
    "Consent(address user,address provider,bytes32[] attrKeys,bytes32 nonce,uint256 expiry)";

struct Consent {
  std::string user;      // 20 bytes: the eID holder, who signs
  std::string provider;  // 20 bytes: the only sender allowed to use it
  std::vector<Bytes32> attr_keys;  // in the order the request lists them
  Bytes32 nonce{};       // single use per (user, provider)
  uint64_t expiry = 0;   // unix seconds; void from this second on
};

Bytes32 ConsentStructHash(const Consent& consent);
Bytes32 ConsentDigest(const Eip712Domain& domain, const Consent& consent);
// The eth_signTypedData_v4 document for `consent` (what a wallet displays
// and signs; TypedDataDigest of it equals ConsentDigest).
nlohmann::json ConsentTypedData(const Eip712Domain& domain, const Consent& consent);
EthSignature SignConsent(const EthKey& user_key, const Eip712Domain& domain, const Consent& consent);
// The 20-byte address that signed `consent`; fails on a malformed signature.
StatusOr<std::string> RecoverConsentSigner(const Eip712Domain& domain, const Consent& consent,
                                           const EthSignature& signature);

// ---- the certME enrolment ----

// The user's consent to hold an eID issued by `validator` with exactly these
// attributes and level: without it no validator can claim an address.
// Single use by nature (an address holds one eID ever); `deadline` bounds
// how long a signed enrolment waits for the validator.
inline constexpr char kEnrolmentType[] =
    "Enrolment(address user,address validator,bytes32[] attrKeys,bytes32[] commitments,uint8 loa,uint256 deadline)";

struct Enrolment {
  std::string user;       // 20 bytes: the eID holder, who signs
  std::string validator;  // 20 bytes: the only sender allowed to use it
  std::vector<Bytes32> attr_keys;    // parallel to commitments, in call order
  std::vector<Bytes32> commitments;
  uint8_t loa = 0;
  uint64_t deadline = 0;  // unix seconds; void from this second on
};

Bytes32 EnrolmentStructHash(const Enrolment& enrolment);
Bytes32 EnrolmentDigest(const Eip712Domain& domain, const Enrolment& enrolment);
// The eth_signTypedData_v4 document (TypedDataDigest of it equals EnrolmentDigest).
nlohmann::json EnrolmentTypedData(const Eip712Domain& domain, const Enrolment& enrolment);
EthSignature SignEnrolment(const EthKey& user_key, const Eip712Domain& domain, const Enrolment& enrolment);
StatusOr<std::string> RecoverEnrolmentSigner(const Eip712Domain& domain, const Enrolment& enrolment,
                                             const EthSignature& signature);

// ---- the certME signed digest ----

// The user's statement that their eID signed `digest` (normally the SHA-256
// of a JAdES protected header, which names the document's hash, the signing
// time and the eID key) for the sign request `request` at `signedAt`, to be
// recorded on the ledger by `provider` alone (Ledger::RecordSignatures).
// Single use by the ledger's rule: one record per (user, provider, digest).
inline constexpr char kSignedDigestType[] =
    "SignedDigest(address user,address provider,bytes32 digest,bytes32 request,uint256 signedAt)";

struct SignedDigest {
  std::string user;      // 20 bytes: the eID holder, who signs
  std::string provider;  // 20 bytes: the only sender allowed to record it
  Bytes32 digest{};      // what was signed (hash only)
  Bytes32 request{};     // the sign request's reference
  uint64_t signed_at = 0;  // unix seconds: the claimed signing time
};

Bytes32 SignedDigestStructHash(const SignedDigest& signed_digest);
Bytes32 SignedDigestDigest(const Eip712Domain& domain, const SignedDigest& signed_digest);
// The eth_signTypedData_v4 document (TypedDataDigest of it equals SignedDigestDigest).
nlohmann::json SignedDigestTypedData(const Eip712Domain& domain, const SignedDigest& signed_digest);
EthSignature SignSignedDigest(const EthKey& user_key, const Eip712Domain& domain, const SignedDigest& signed_digest);
StatusOr<std::string> RecoverSignedDigestSigner(const Eip712Domain& domain, const SignedDigest& signed_digest,
                                                const EthSignature& signature);

}  // namespace certme
