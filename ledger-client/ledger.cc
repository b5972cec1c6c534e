#include "ledger-client/ledger.h"

#include <chrono>
#include <algorithm>
#include <map>

#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

struct ErrorInfo {
  LedgerErrorCode code;
  const char* name;
  StatusCode status;
};

constexpr ErrorInfo kErrors[] = {
    {LedgerErrorCode::kNotAuthorized, "NotAuthorized", StatusCode::kPermissionDenied},
    {LedgerErrorCode::kNotEnrollingValidator, "NotEnrollingValidator", StatusCode::kPermissionDenied},
    {LedgerErrorCode::kNoConsent, "NoConsent", StatusCode::kUnauthenticated},
    {LedgerErrorCode::kBadSignature, "BadSignature", StatusCode::kUnauthenticated},
    {LedgerErrorCode::kEidNotActive, "EidNotActive", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kNoEid, "NoEid", StatusCode::kNotFound},
    {LedgerErrorCode::kEidExists, "EidExists", StatusCode::kAlreadyExists},
    {LedgerErrorCode::kNotSuspended, "NotSuspended", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kExpired, "Expired", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kAlreadyAnswered, "AlreadyAnswered", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kNonceUsed, "NonceUsed", StatusCode::kAlreadyExists},
    {LedgerErrorCode::kUnknownRequest, "UnknownRequest", StatusCode::kNotFound},
    {LedgerErrorCode::kUnknownAttribute, "UnknownAttribute", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kDuplicateAttribute, "DuplicateAttribute", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kEmptyAttributes, "EmptyAttributes", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kLengthMismatch, "LengthMismatch", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kInvalidLoa, "InvalidLoa", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kCommitmentMismatch, "CommitmentMismatch", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kMissingAttribute, "MissingAttribute", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kUnexpectedAttribute, "UnexpectedAttribute", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kAlreadyAuthorized, "AlreadyAuthorized", StatusCode::kAlreadyExists},
    {LedgerErrorCode::kNotListed, "NotListed", StatusCode::kNotFound},
    {LedgerErrorCode::kZeroAddress, "ZeroAddress", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kBadTxNonce, "BadTxNonce", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kWrongChain, "WrongChain", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kBadCalldata, "BadCalldata", StatusCode::kInvalidArgument},
    {LedgerErrorCode::kValidatorNotAuthorized, "ValidatorNotAuthorized", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kNotMoved, "NotMoved", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kMigrationClosed, "MigrationClosed", StatusCode::kFailedPrecondition},
    {LedgerErrorCode::kAlreadySigned, "AlreadySigned", StatusCode::kAlreadyExists},
};

}  // namespace

const char* LedgerErrorName(LedgerErrorCode code) {
  for (const auto& e : kErrors)
    if (e.code == code) return e.name;
  return "LedgerError";
}

Status LedgerError(LedgerErrorCode code, std::string detail) {
  for (const auto& e : kErrors)
    if (e.code == code) return Status(e.status, std::string(e.name) + ": " + detail);
  return Internal("LedgerError: " + detail);
}

std::optional<LedgerErrorCode> LedgerErrorOf(const Status& status) {
  const std::string& m = status.message();
  size_t colon = m.find(':');
  if (status.ok() || colon == std::string::npos) return std::nullopt;
  for (const auto& e : kErrors)
    if (m.compare(0, colon, e.name) == 0) return e.code;
  return std::nullopt;
}

const char* EidStatusName(EidStatus s) {
  switch (s) {
    case EidStatus::kNone: return "none";
    case EidStatus::kActive: return "active";
    case EidStatus::kSuspended: return "suspended";
    case EidStatus::kRevoked: return "revoked";
    case EidStatus::kMoved: return "moved";
  }
  return "unknown";
}

const char* EventKindName(EventKind k) {
  switch (k) {
    case EventKind::kRegistryCreated: return "RegistryCreated";
    case EventKind::kValidatorAdded: return "ValidatorAdded";
    case EventKind::kValidatorRemoved: return "ValidatorRemoved";
    case EventKind::kProviderAdded: return "ProviderAdded";
    case EventKind::kProviderRemoved: return "ProviderRemoved";
    case EventKind::kEidIssued: return "EidIssued";
    case EventKind::kAttributesUpdated: return "AttributesUpdated";
    case EventKind::kEidStatusChanged: return "EidStatusChanged";
    case EventKind::kValidationRequested: return "ValidationRequested";
    case EventKind::kValidationAnswered: return "ValidationAnswered";
    case EventKind::kAdminTransferProposed: return "AdminTransferProposed";
    case EventKind::kAdminTransferred: return "AdminTransferred";
    case EventKind::kEidMoved: return "EidMoved";
    case EventKind::kEidReattested: return "EidReattested";
    case EventKind::kEidImported: return "EidImported";
    case EventKind::kMigrationFinished: return "MigrationFinished";
    case EventKind::kAccessRecorded: return "AccessRecorded";
    case EventKind::kSignatureRecorded: return "SignatureRecorded";
  }
  return "Unknown";
}

bool ChangesEidStatus(EventKind k) {
  return k == EventKind::kEidIssued || k == EventKind::kEidStatusChanged || k == EventKind::kEidMoved ||
         k == EventKind::kEidReattested || k == EventKind::kEidImported;
}

bool EventMatches(const EventFilter& f, const LedgerEvent& e) {
  if (e.block <= f.after_block) return false;
  if (f.kind && e.kind != *f.kind) return false;
  if (!f.user.empty() && e.user != f.user) return false;
  if (!f.provider.empty() && e.provider != f.provider) return false;
  if (!f.validator.empty() && e.validator != f.validator) return false;
  if (f.request_id && e.request_id != f.request_id) return false;
  if (f.digest && (e.kind != EventKind::kSignatureRecorded || e.digest != *f.digest)) return false;
  return true;
}

Eip712Domain Ledger::Domain() const {
  Eip712Domain d;
  d.chain_id = ChainId();
  d.verifying_contract = RegistryAddress();
  return d;
}

StatusOr<TxReceipt> Ledger::AddValidator(const EthKey& admin, std::string_view v) {
  return Transact(admin, AccountCall(RegistryMethod::kAddValidator, v));
}
StatusOr<TxReceipt> Ledger::RemoveValidator(const EthKey& admin, std::string_view v) {
  return Transact(admin, AccountCall(RegistryMethod::kRemoveValidator, v));
}
StatusOr<TxReceipt> Ledger::RecordAccess(const EthKey& provider, const std::vector<AccessRecordEntry>& records) {
  std::vector<Bytes32> tags;
  std::vector<std::string> sealed;
  for (const auto& r : records) {
    tags.push_back(r.tag);
    sealed.push_back(r.sealed);
  }
  return Transact(provider, RecordAccessCall(tags, sealed));
}

StatusOr<TxReceipt> Ledger::RecordSignatures(const EthKey& provider, std::string_view user, const Bytes32& request,
                                             uint64_t signed_at, const std::vector<SignatureEntry>& entries) {
  std::vector<Bytes32> digests;
  std::vector<std::string> signatures;
  for (const auto& e : entries) {
    digests.push_back(e.digest);
    signatures.push_back(e.user_signature);
  }
  return Transact(provider, RecordSignaturesCall(user, request, signed_at, digests, signatures));
}

StatusOr<TxReceipt> Ledger::AddProvider(const EthKey& admin, std::string_view p) {
  return Transact(admin, AccountCall(RegistryMethod::kAddProvider, p));
}
StatusOr<TxReceipt> Ledger::RemoveProvider(const EthKey& admin, std::string_view p) {
  return Transact(admin, AccountCall(RegistryMethod::kRemoveProvider, p));
}
StatusOr<TxReceipt> Ledger::ProposeAdmin(const EthKey& admin, std::string_view proposed) {
  return Transact(admin, AccountCall(RegistryMethod::kProposeAdmin,
                                     proposed.empty() ? std::string(20, '\0') : std::string(proposed)));
}
StatusOr<TxReceipt> Ledger::AcceptAdmin(const EthKey& proposed) {
  RegistryCall c;
  c.method = RegistryMethod::kAcceptAdmin;
  return Transact(proposed, EncodeCall(c));
}
StatusOr<TxReceipt> Ledger::IssueEid(const EthKey& validator, std::string_view user,
                                     const std::vector<Bytes32>& keys, const std::vector<Bytes32>& commitments,
                                     uint8_t loa, uint64_t deadline, std::string_view user_signature) {
  return Transact(validator, IssueEidCall(user, keys, commitments, loa, deadline, user_signature));
}
StatusOr<TxReceipt> Ledger::IssueEid(const EthKey& validator, const EthKey& user, const std::vector<Bytes32>& keys,
                                     const std::vector<Bytes32>& commitments, uint8_t loa) {
  Enrolment e{user.address(), validator.address(), keys, commitments, loa,
              static_cast<uint64_t>(std::max<int64_t>(Now(), 0)) + 3600};
  const EthSignature sig = SignEnrolment(user, Domain(), e);
  return IssueEid(validator, e.user, keys, commitments, loa, e.deadline,
                  std::string(reinterpret_cast<const char*>(sig.rsv.data()), sig.rsv.size()));
}
StatusOr<TxReceipt> Ledger::MoveEid(const EthKey& admin, std::string_view user, std::string_view validator) {
  RegistryCall c;
  c.method = RegistryMethod::kMoveEid;
  c.account = std::string(user);
  c.validator = std::string(validator);
  return Transact(admin, EncodeCall(c));
}
StatusOr<TxReceipt> Ledger::ReattestEid(const EthKey& validator, std::string_view user,
                                        const std::vector<Bytes32>& keys, const std::vector<Bytes32>& commitments,
                                        uint8_t loa) {
  RegistryCall c;
  c.method = RegistryMethod::kReattestEid;
  c.account = std::string(user);
  c.attr_keys = keys;
  c.commitments = commitments;
  c.loa = loa;
  return Transact(validator, EncodeCall(c));
}
StatusOr<TxReceipt> Ledger::UpdateAttributes(const EthKey& validator, std::string_view user,
                                             const std::vector<Bytes32>& keys,
                                             const std::vector<Bytes32>& commitments) {
  return Transact(validator, UpdateAttributesCall(user, keys, commitments));
}
StatusOr<TxReceipt> Ledger::SuspendEid(const EthKey& caller, std::string_view user) {
  return Transact(caller, AccountCall(RegistryMethod::kSuspendEid, user));
}
StatusOr<TxReceipt> Ledger::ReactivateEid(const EthKey& caller, std::string_view user) {
  return Transact(caller, AccountCall(RegistryMethod::kReactivateEid, user));
}
StatusOr<TxReceipt> Ledger::RevokeEid(const EthKey& caller, std::string_view user) {
  return Transact(caller, AccountCall(RegistryMethod::kRevokeEid, user));
}

StatusOr<uint64_t> Ledger::RequestValidation(const EthKey& provider, const Consent& consent,
                                             std::string_view signature) {
  CERTME_ASSIGN_OR_RETURN(
      TxReceipt r, Transact(provider, RequestValidationCall(consent.user, consent.attr_keys, consent.nonce,
                                                            consent.expiry, signature)));
  for (const auto& e : r.events)
    if (e.kind == EventKind::kValidationRequested) return e.request_id;
  return Internal("ledger accepted the request but emitted no ValidationRequested event");
}

StatusOr<TxReceipt> Ledger::AnswerValidation(const EthKey& validator, uint64_t id,
                                             const std::vector<Bytes32>& commitments, uint8_t loa) {
  return Transact(validator, AnswerValidationCall(id, commitments, loa));
}

StatusOr<TxReceipt> Ledger::PruneExpired(const EthKey& caller, std::string_view validator, uint64_t max) {
  return Transact(caller, PruneExpiredCall(validator, max));
}

StatusOr<ValidationRequest> Ledger::WaitForAnswer(uint64_t id, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  EventFilter f;
  f.kind = EventKind::kValidationAnswered;
  f.request_id = id;
  for (;;) {
    // Only blocks after the one the status check below saw can carry the
    // answer: without this bound every wake-up rescans the whole event log
    // (cost growing with the ledger, per waiting login and per new block).
    CERTME_ASSIGN_OR_RETURN(f.after_block, BlockNumber());
    CERTME_ASSIGN_OR_RETURN(ValidationRequest r, GetRequest(id));
    if (r.status == RequestStatus::kAnswered) return r;
    if (Now() >= r.expiry)
      return LedgerError(LedgerErrorCode::kExpired, "request " + std::to_string(id) + " expired unanswered");
    auto left = std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
    if (left <= Duration::zero())
      return DeadlineExceeded("no answer to validation request " + std::to_string(id) + " in time");
    // Wake at the deadline, at the next matching event, or within a second
    // to re-check expiry (ledger time may move without new blocks).
    CERTME_ASSIGN_OR_RETURN(auto events, WaitForEvents(f, std::min(left, Duration(1000))));
    (void)events;
  }
}

StatusOr<std::vector<AccessRecord>> UserAccessHistory(Ledger& ledger, std::string_view user) {
  EventFilter f;
  f.user = std::string(user);
  CERTME_ASSIGN_OR_RETURN(auto events, ledger.Events(f));
  std::vector<AccessRecord> out;
  std::map<uint64_t, size_t> by_id;
  for (const auto& e : events) {
    if (e.kind == EventKind::kValidationRequested) {
      AccessRecord r;
      r.request_id = e.request_id;
      r.provider = e.provider;
      r.validator = e.validator;
      r.attr_keys = e.attr_keys;
      r.requested_at = e.time;
      r.expiry = e.expiry;
      r.outcome = "open";
      by_id[e.request_id] = out.size();
      out.push_back(std::move(r));
    } else if (e.kind == EventKind::kValidationAnswered) {
      auto it = by_id.find(e.request_id);
      if (it == by_id.end()) continue;
      out[it->second].outcome = "answered";
      out[it->second].answered_at = e.time;
      out[it->second].loa = e.loa;
    }
  }
  const int64_t now = ledger.Now();
  for (auto& r : out)
    if (r.outcome == "open" && now >= r.expiry) r.outcome = "expired";
  return out;
}

StatusOr<std::vector<LedgerEvent>> SignatureRecords(Ledger& ledger, const Bytes32& digest) {
  EventFilter f;
  f.kind = EventKind::kSignatureRecorded;
  f.digest = digest;
  return ledger.Events(f);
}

}  // namespace certme
