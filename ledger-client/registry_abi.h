// The registry's functions as ABI calldata: the 4-byte selector of the
// Solidity signature followed by abi.encode of the arguments. The embedded
// backend stores exactly these bytes in its log and the EVM backend sends
// them to the contract, so both execute the same calls.
//
// Stateless; safe for concurrent use. DecodeCall reads untrusted bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

enum class RegistryMethod : uint8_t {
  kInitialize = 1,  // initialize(address admin): the genesis entry (the EVM constructor)
  kAddValidator,
  kRemoveValidator,
  kAddProvider,
  kRemoveProvider,
  kIssueEid,
  kUpdateAttributes,
  kSuspendEid,
  kReactivateEid,
  kRevokeEid,
  kRequestValidation,
  kAnswerValidation,
  kProposeAdmin,   // proposeAdmin(address)
  kAcceptAdmin,    // acceptAdmin()
  kMoveEid,        // moveEid(address user, address validator)
  kReattestEid,    // reattestEid(address,bytes32[],bytes32[],uint8)
  kPruneExpired,  // pruneExpired(address validator, uint256 max): anyone may call
  kRecordAccess,  // recordAccess(bytes32[] tags, bytes[] sealed): an authorized provider's access records
  // recordSignatures(address user, bytes32 request, uint256 signedAt, bytes32[] digests, bytes[] signatures)
  kRecordSignatures,
};

// The Solidity signature, e.g. "suspendEid(address)".
const char* RegistryMethodSignature(RegistryMethod m);

// Limits the contract enforces too (bounded gas, bounded replay work).
inline constexpr size_t kMaxAttributesPerCall = 64;
// Open-set entries one pruneExpired call examines at most, and that every
// request and answer prunes first (CertMeRegistry's MAX_PRUNE and
// PRUNE_ON_WRITE); ids one page of openRequestIds returns at most (MAX_PAGE).
inline constexpr uint64_t kMaxPruneCount = 256;
inline constexpr uint64_t kPruneOnWrite = 2;
inline constexpr uint64_t kMaxOpenPage = 1024;
inline constexpr size_t kMaxSignatureBytes = 65;
// recordAccess: records per call (MAX_RECORDS) and bytes per sealed record
// (MAX_SEALED); a sealed record is never empty.
inline constexpr size_t kMaxRecordsPerCall = 64;
inline constexpr size_t kMaxSealedBytes = 1024;
// recordSignatures: signatures per call (MAX_SIGNATURES); each is 65 bytes.
// The signing time may be at most kSigningTimeAheadSeconds after the ledger's
// time and at most kSigningTimeBehindSeconds before it (SIGNED_AHEAD,
// SIGNED_BEHIND): a record's block time bounds when the signature was made.
inline constexpr size_t kMaxSignaturesPerCall = 64;
inline constexpr int64_t kSigningTimeAheadSeconds = 60;
inline constexpr int64_t kSigningTimeBehindSeconds = 600;

// The union of every method's arguments; each method uses its own subset.
struct RegistryCall {
  RegistryMethod method = RegistryMethod::kInitialize;
  std::string account;  // 20 bytes: admin / validator / provider / user argument
  std::string validator;  // 20 bytes: moveEid's new validator
  std::vector<Bytes32> attr_keys;
  std::vector<Bytes32> commitments;
  uint8_t loa = 0;
  Bytes32 nonce{};
  uint64_t expiry = 0;    // consent expiry; issueEid: the enrolment's deadline
  std::string signature;  // consent / enrolment signature (r‖s‖v, 65 bytes, or empty)
  uint64_t request_id = 0;
  uint64_t count = 0;  // pruneExpired: open-set entries to examine
  std::vector<Bytes32> tags;         // recordAccess: one tag per record
  std::vector<std::string> sealed;   // recordAccess: one sealed record per tag
  // recordSignatures: account = the user; the sign request, the signing
  // time, and one user signature per digest.
  Bytes32 sign_request{};
  uint64_t signed_at = 0;
  std::vector<Bytes32> digests;
  std::vector<std::string> signatures;
};

std::string EncodeCall(const RegistryCall& call);
// Fails (BadCalldata) on an unknown selector, malformed or non-canonical
// arguments, arrays longer than kMaxAttributesPerCall (kMaxRecordsPerCall,
// kMaxSignaturesPerCall), a sealed record that is empty or longer than
// kMaxSealedBytes, or a signature longer than kMaxSignatureBytes.
StatusOr<RegistryCall> DecodeCall(std::string_view calldata);

// Builders for readability at call sites.
std::string InitializeCall(std::string_view admin);
std::string AccountCall(RegistryMethod m, std::string_view account);  // add/remove/suspend/…
std::string IssueEidCall(std::string_view user, const std::vector<Bytes32>& attr_keys,
                         const std::vector<Bytes32>& commitments, uint8_t loa, uint64_t deadline,
                         std::string_view user_signature);
std::string UpdateAttributesCall(std::string_view user, const std::vector<Bytes32>& attr_keys,
                                 const std::vector<Bytes32>& commitments);
std::string RequestValidationCall(std::string_view user, const std::vector<Bytes32>& attr_keys,
                                  const Bytes32& nonce, uint64_t expiry, std::string_view signature);
std::string AnswerValidationCall(uint64_t request_id, const std::vector<Bytes32>& commitments, uint8_t loa);
std::string PruneExpiredCall(std::string_view validator, uint64_t max);
std::string RecordAccessCall(const std::vector<Bytes32>& tags, const std::vector<std::string>& sealed);
std::string RecordSignaturesCall(std::string_view user, const Bytes32& request, uint64_t signed_at,
                                 const std::vector<Bytes32>& digests, const std::vector<std::string>& signatures);

}  // namespace certme
