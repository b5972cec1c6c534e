// The certME registry as the bridge, the validator and the wallet see it:
// one interface, several backends (embedded now; an EVM chain running the
// CertMeRegistry contract next), one conformance suite
// (tests/ledger_conformance). The rules are written down in
// docs/ledger.md; every rule there is a test in that suite.
//
// Shape: the interface mirrors a Solidity contract 1:1 so that the EVM
// backend is a thin JSON-RPC client.
//  - Writes are transactions: ABI calldata (registry_abi.h) sent by the
//    holder of a secp256k1 key, who becomes msg.sender. Transact() signs
//    and submits; the receipt carries the events the call emitted.
//  - Reads are views of the current state.
//  - Events carry what a Solidity event would (indexed user / provider /
//    validator), in ledger order; WaitForEvents blocks until a matching one
//    arrives (subscribe/notify, never sleep-polling).
//  - A refused call changes nothing (a revert) and its Status message starts
//    with the error's name, as a Solidity custom error would
//    ("NoConsent: …"); LedgerErrorOf() reads it back.
//
// Time is the ledger's: the timestamp (unix seconds) of the entry/block that
// carries a transaction. Expiries compare against it: a consent or request
// with expiry E is usable while time < E.
//
// Thread-safety: every method of every backend may be called from many
// threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/eip712.h"

namespace certme {

// ---------------------------------------------------------------- errors

// Named like the contract's custom errors. The comment is the rule.
enum class LedgerErrorCode {
  kNotAuthorized,          // caller lacks the role (admin, authorized validator/provider)
  kNotEnrollingValidator,  // a validator acting on a user it did not enroll
  kNoConsent,              // no consent signature given
  kBadSignature,           // consent (or transaction) signature malformed or by someone else
  kEidNotActive,           // the eID is suspended or revoked (or not in the state the call needs)
  kNoEid,                  // the user has no eID
  kEidExists,              // an eID was already issued to that address (even if revoked)
  kNotSuspended,           // reactivation of an eID that is not suspended
  kExpired,                // consent or request past its expiry
  kAlreadyAnswered,        // a request can be answered once
  kNonceUsed,              // consent nonce already used by this user with this provider
  kUnknownRequest,         // no request with that id
  kUnknownAttribute,       // a requested attribute the eID holds no commitment for
  kDuplicateAttribute,     // the same attribute key twice in one call
  kEmptyAttributes,        // no attributes given
  kLengthMismatch,         // parallel arrays of different lengths
  kInvalidLoa,             // level of assurance not 1-3, or above the eID's
  kCommitmentMismatch,     // answer (or disclosed value) differs from the stored commitment
  kMissingAttribute,       // provider check: a requested attribute was not disclosed
  kUnexpectedAttribute,    // provider check: an attribute that was not requested
  kAlreadyAuthorized,      // adding a validator/provider that is already listed
  kNotListed,              // removing a validator/provider that is not listed
  kZeroAddress,            // the zero address where an account is required
  kBadTxNonce,             // transaction nonce is not the sender's next one (replay)
  kWrongChain,             // transaction for another chain id or registry
  kBadCalldata,            // unknown function or malformed arguments
  kValidatorNotAuthorized, // the eID's validator (or the one named) is not an authorized validator
  kNotMoved,               // re-attestation of an eID that was not moved to another validator
  kMigrationClosed,        // an import into a registry whose migration window is closed (or never opened)
  kAlreadySigned,          // a signature of this digest by this user was already recorded by this provider
};

const char* LedgerErrorName(LedgerErrorCode code);
// A Status whose message is "<Name>: <detail>" and whose code is the
// matching StatusCode (NotAuthorized → PermissionDenied, NoConsent →
// Unauthenticated, Expired → FailedPrecondition, …).
Status LedgerError(LedgerErrorCode code, std::string detail);
// The error a Status carries, if its message starts with a known name.
std::optional<LedgerErrorCode> LedgerErrorOf(const Status& status);

// ---------------------------------------------------------------- state

// kMoved: the administrator moved the eID to another validator, which has
// not re-attested it yet; no request is accepted for it until then.
enum class EidStatus : uint8_t { kNone = 0, kActive = 1, kSuspended = 2, kRevoked = 3, kMoved = 4 };
const char* EidStatusName(EidStatus s);  // "none" | "active" | "suspended" | "revoked" | "moved"

struct EidRecord {
  std::string user;       // 20 bytes
  std::string validator;  // 20 bytes: the enrolling validator (the new one once moved)
  EidStatus status = EidStatus::kNone;
  uint8_t loa = 0;
  std::vector<Bytes32> attr_keys;    // parallel to commitments
  std::vector<Bytes32> commitments;
  int64_t issued_at = 0;   // ledger time
  int64_t updated_at = 0;
};

enum class RequestStatus : uint8_t { kOpen = 1, kAnswered = 2 };

struct ValidationRequest {
  uint64_t id = 0;  // 1, 2, 3, … in ledger order
  std::string provider, user, validator;  // 20 bytes each
  std::vector<Bytes32> attr_keys;
  Bytes32 nonce{};
  int64_t expiry = 0;
  int64_t requested_at = 0;
  RequestStatus status = RequestStatus::kOpen;
  // Set once answered.
  std::vector<Bytes32> commitments;
  uint8_t loa = 0;
  int64_t answered_at = 0;
};

// An entry of a validator's open set (Ledger::OpenRequestIds).
struct OpenRequestEntry {
  uint64_t id = 0;
  int64_t expiry = 0;
};

// ---------------------------------------------------------------- events

enum class EventKind : uint8_t {
  kRegistryCreated = 1,  // admin
  kValidatorAdded,       // validator
  kValidatorRemoved,     // validator
  kProviderAdded,        // provider
  kProviderRemoved,      // provider
  kEidIssued,            // user, validator, loa, attr_keys, commitments
  kAttributesUpdated,    // user, validator, attr_keys, commitments
  kEidStatusChanged,     // user, actor, status
  kValidationRequested,  // request_id, provider, user, validator, attr_keys, expiry
  kValidationAnswered,   // request_id, provider, user, validator, commitments, loa
  kAdminTransferProposed,  // account (the proposed key; empty = proposal cancelled), actor
  kAdminTransferred,       // account (the new administrator = actor)
  kEidMoved,               // user, validator (the new one), account (the previous one), actor
  kEidReattested,          // user, validator, loa, attr_keys, commitments
  // EVM only (the migration from contract version 1, docs/ledger-evm.md):
  kEidImported,            // user, validator, status, loa, attr_keys, commitments
  kMigrationFinished,      // account (the version 1 registry), actor
  kAccessRecorded,         // provider (= actor), tag, sealed: one per record of recordAccess
  kSignatureRecorded,      // provider (= actor), user, digest, sign_request, signed_at: one per entry of recordSignatures
};
// Events after which a user's eID status may differ (status caches drop it).
bool ChangesEidStatus(EventKind k);
const char* EventKindName(EventKind k);  // the Solidity event name, e.g. "ValidationAnswered"

struct LedgerEvent {
  uint64_t block = 0;  // entry / block number of the carrying transaction
  uint32_t index = 0;  // position among that transaction's events
  int64_t time = 0;    // ledger time
  EventKind kind = EventKind::kRegistryCreated;
  // Indexed topics; empty when the event has none of that role.
  std::string user, provider, validator;
  std::string actor;  // msg.sender (admin, validator, …)
  std::string account;  // see EventKind (administrator transfer, previous validator)
  uint64_t request_id = 0;
  EidStatus status = EidStatus::kNone;
  uint8_t loa = 0;
  int64_t expiry = 0;
  std::vector<Bytes32> attr_keys;
  std::vector<Bytes32> commitments;
  // kAccessRecorded: the record's tag (indexed) and its sealed bytes, which
  // only the user and the provider can open (docs/privacy.md).
  Bytes32 tag{};
  std::string sealed;
  // kSignatureRecorded: the signed digest (indexed), the sign request it
  // answered and the signing time the user signed (unix seconds); `time`
  // is when the ledger recorded it.
  Bytes32 digest{};
  Bytes32 sign_request{};
  int64_t signed_at = 0;
};

// One access record for Ledger::RecordAccess: an opaque tag and the sealed
// bytes (1 to kMaxSealedBytes; ledger-client/registry_abi.h).
struct AccessRecordEntry {
  Bytes32 tag{};
  std::string sealed;
};

// One signature for Ledger::RecordSignatures: the digest the user's eID
// signed and the user's EIP-712 SignedDigest signature over it (eip712.h).
struct SignatureEntry {
  Bytes32 digest{};
  std::string user_signature;  // 65 bytes r||s||v
};

// Selects events. Every set member must match.
struct EventFilter {
  uint64_t after_block = 0;  // only events in blocks > after_block
  std::optional<EventKind> kind;
  std::string user, provider, validator;  // 20 bytes, or empty = any
  uint64_t request_id = 0;                // 0 = any
  std::optional<Bytes32> digest;          // kSignatureRecorded's digest; nullopt = any
};
bool EventMatches(const EventFilter& f, const LedgerEvent& e);

struct TxReceipt {
  uint64_t block = 0;
  Bytes32 tx_hash{};
  std::vector<LedgerEvent> events;
};

// ---------------------------------------------------------------- interface

class Ledger {
 public:
  virtual ~Ledger() = default;

  virtual uint64_t ChainId() const = 0;
  virtual std::string RegistryAddress() const = 0;  // 20 bytes
  // The consent domain of this registry (name "certME", version "1").
  Eip712Domain Domain() const;

  // Signs `calldata` as `sender` and submits it; OK once it is final
  // (embedded: durable in the log; EVM: mined). A refused call returns its
  // named error and changes nothing.
  virtual StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) = 0;

  // ---- views ----
  virtual StatusOr<std::string> Admin() = 0;
  // The key proposed as the next administrator; empty when none is.
  virtual StatusOr<std::string> PendingAdmin() = 0;
  virtual StatusOr<bool> IsValidator(std::string_view account) = 0;
  virtual StatusOr<bool> IsProvider(std::string_view account) = 0;
  // status kNone (and empty fields) when the user has no eID.
  virtual StatusOr<EidRecord> GetEid(std::string_view user) = 0;
  // The hot read (login checks it on every login): no copies of arrays.
  virtual StatusOr<EidStatus> GetEidStatus(std::string_view user) = 0;
  virtual StatusOr<ValidationRequest> GetRequest(uint64_t id) = 0;  // UnknownRequest
  // Nonces are per (user, provider): one provider's consent never uses up another's.
  virtual StatusOr<bool> IsConsentNonceUsed(std::string_view user, std::string_view provider,
                                            const Bytes32& nonce) = 0;
  // Requests addressed to `validator` that are open and not yet expired at
  // the ledger's current time, by id. Read in bounded pages (EVM: all at
  // one block), however large the open set.
  virtual StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) = 0;
  // `validator`'s open set: requests neither answered nor pruned. Expired
  // ones stay in it until a request or answer for the same validator, or
  // PruneExpired, removes them (docs/ledger.md, "Open requests").
  virtual StatusOr<uint64_t> OpenRequestCount(std::string_view validator) = 0;
  // Entries [start, start + count) of that set, in the set's order (which a
  // removal changes: the last entry moves into the freed slot). count above
  // kMaxOpenPage (registry_abi.h) is BadCalldata; past the end, fewer.
  virtual StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view validator, uint64_t start,
                                                                 uint64_t count) = 0;
  virtual StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& filter) = 0;
  // Latest block number (0 before the first).
  virtual StatusOr<uint64_t> BlockNumber() = 0;
  // Current ledger time (embedded: the clock, never before the last block).
  virtual int64_t Now() const = 0;

  // Events matching `filter`, waiting up to `timeout` for at least one to
  // exist. Empty (OK) on timeout. Woken by new blocks, not by polling.
  virtual StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& filter, Duration timeout) = 0;

  // ---- convenience: typed transactions (registry_abi.h builds the calldata) ----
  StatusOr<TxReceipt> AddValidator(const EthKey& admin, std::string_view validator);
  StatusOr<TxReceipt> RemoveValidator(const EthKey& admin, std::string_view validator);
  StatusOr<TxReceipt> AddProvider(const EthKey& admin, std::string_view provider);
  StatusOr<TxReceipt> RemoveProvider(const EthKey& admin, std::string_view provider);
  // Two-step administrator transfer: the administrator proposes (an empty
  // address cancels), the proposed key accepts.
  StatusOr<TxReceipt> ProposeAdmin(const EthKey& admin, std::string_view proposed);
  StatusOr<TxReceipt> AcceptAdmin(const EthKey& proposed);
  // `user_signature` is the user's EIP-712 signature over the Enrolment
  // {user, validator, attr_keys, commitments, loa, deadline} (eip712.h).
  StatusOr<TxReceipt> IssueEid(const EthKey& validator, std::string_view user,
                               const std::vector<Bytes32>& attr_keys,
                               const std::vector<Bytes32>& commitments, uint8_t loa, uint64_t deadline,
                               std::string_view user_signature);
  // Convenience: the user's key signs the enrolment here (deadline: ledger
  // time + 1 hour).
  StatusOr<TxReceipt> IssueEid(const EthKey& validator, const EthKey& user,
                               const std::vector<Bytes32>& attr_keys,
                               const std::vector<Bytes32>& commitments, uint8_t loa);
  // The administrator moves an eID to another authorized validator; it is
  // kMoved until that validator re-attests it (ReattestEid).
  StatusOr<TxReceipt> MoveEid(const EthKey& admin, std::string_view user, std::string_view validator);
  StatusOr<TxReceipt> ReattestEid(const EthKey& validator, std::string_view user,
                                  const std::vector<Bytes32>& attr_keys,
                                  const std::vector<Bytes32>& commitments, uint8_t loa);
  StatusOr<TxReceipt> UpdateAttributes(const EthKey& validator, std::string_view user,
                                       const std::vector<Bytes32>& attr_keys,
                                       const std::vector<Bytes32>& commitments);
  StatusOr<TxReceipt> SuspendEid(const EthKey& caller, std::string_view user);
  StatusOr<TxReceipt> ReactivateEid(const EthKey& caller, std::string_view user);
  StatusOr<TxReceipt> RevokeEid(const EthKey& caller, std::string_view user);
  // Returns the new request's id.
  StatusOr<uint64_t> RequestValidation(const EthKey& provider, const Consent& consent,
                                       std::string_view consent_signature);
  StatusOr<TxReceipt> AnswerValidation(const EthKey& validator, uint64_t request_id,
                                       const std::vector<Bytes32>& commitments, uint8_t loa);
  // Anyone may call: examines up to `max` (1 to kMaxPruneCount) entries of
  // `validator`'s open set and removes the expired ones.
  StatusOr<TxReceipt> PruneExpired(const EthKey& caller, std::string_view validator, uint64_t max);

  // An authorized provider records 1 to kMaxRecordsPerCall accesses in one
  // transaction: one AccessRecorded event per entry, in order; nothing is
  // stored. Refusals: NotAuthorized (not a provider), EmptyAttributes (no
  // entry), BadCalldata (too many entries, a sealed record empty or too long).
  StatusOr<TxReceipt> RecordAccess(const EthKey& provider, const std::vector<AccessRecordEntry>& records);

  // An authorized provider records 1..kMaxSignaturesPerCall signatures of `user`
  // for one sign request: one SignatureRecorded event per entry, in order;
  // one storage slot per (user, provider, digest). Refused (nothing
  // recorded): NotAuthorized (not a provider), NoEid, EidNotActive (suspended,
  // revoked, moved), BadSignature (an entry not signed by `user` for this provider,
  // request and signedAt), Expired (signedAt after ledger time + 60 s or more than
  // 600 s before it), AlreadySigned (the same user, provider, digest recorded before,
  // or twice in the call), EmptyAttributes (no entry), BadCalldata (too many).
  StatusOr<TxReceipt> RecordSignatures(const EthKey& provider, std::string_view user, const Bytes32& request,
                                       uint64_t signed_at, const std::vector<SignatureEntry>& entries);

  // Waits until request `id` is answered (OK, the answered request), or
  // `timeout` passes (DeadlineExceeded), or it expires (Expired).
  StatusOr<ValidationRequest> WaitForAnswer(uint64_t id, Duration timeout);
};

// ---------------------------------------------------------------- history

// One line of a user's access history (GDPR traceability): who asked for
// which attributes, when, and what became of it.
struct AccessRecord {
  uint64_t request_id = 0;
  std::string provider, validator;
  std::vector<Bytes32> attr_keys;
  int64_t requested_at = 0;
  int64_t expiry = 0;
  // "answered", "open" or "expired" (never answered before its expiry).
  std::string outcome;
  int64_t answered_at = 0;
  uint8_t loa = 0;
};

// Built from the user's ValidationRequested/ValidationAnswered events, oldest
// first; works on every backend.
StatusOr<std::vector<AccessRecord>> UserAccessHistory(Ledger& ledger, std::string_view user);

// The records of `digest` (normally one), with block and time: each
// SignatureRecorded event proves that `user`'s eID was active at `time` and
// had signed the digest for `sign_request` at `signed_at`.
StatusOr<std::vector<LedgerEvent>> SignatureRecords(Ledger& ledger, const Bytes32& digest);

}  // namespace certme
