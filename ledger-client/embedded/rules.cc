#include "ledger-client/embedded/rules.h"

#include <algorithm>
#include <cstdint>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/registry_abi.h"

namespace certme::embedded {
namespace {

const std::string kZeroAddress(20, '\0');

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }
std::string Addr(std::string_view a) { return a.size() == 20 ? ChecksumAddress(a) : Hex(a); }

bool HasDuplicates(const std::vector<Bytes32>& v) {
  std::set<Bytes32> s(v.begin(), v.end());
  return s.size() != v.size();
}

Status CheckAttributeArrays(const std::vector<Bytes32>& keys, const std::vector<Bytes32>& commitments) {
  if (keys.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no attributes given");
  if (keys.size() != commitments.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "attribute keys and commitments differ in number");
  if (HasDuplicates(keys)) return LedgerError(LedgerErrorCode::kDuplicateAttribute, "an attribute key repeats");
  return Status::Ok();
}

// The admin, or the eID's enrolling validator while it is authorized.
Status CheckEidAuthority(const State& s, const std::string& from, const EidRecord& eid) {
  if (from == s.admin) return Status::Ok();
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator or the enrolling validator");
  if (eid.validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "this eID was enrolled by another validator");
  return Status::Ok();
}

StatusOr<const EidRecord*> FindEid(const State& s, const std::string& user) {
  auto it = s.eids.find(user);
  if (it == s.eids.end()) return LedgerError(LedgerErrorCode::kNoEid, Addr(user) + " has no eID");
  return &it->second;
}

Eip712Domain DomainOf(const State& s) {
  Eip712Domain domain;
  domain.chain_id = s.chain_id;
  domain.verifying_contract = s.registry;
  return domain;
}

// A 65-byte r‖s‖v signature, or nullopt (the caller names the error).
std::optional<EthSignature> SignatureOf(const std::string& bytes) {
  if (bytes.size() != 65) return std::nullopt;
  EthSignature sig;
  std::copy(bytes.begin(), bytes.end(), sig.rsv.begin());
  return sig;
}

Status ActiveOrError(const EidRecord& eid) {
  if (eid.status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid.status));
  return Status::Ok();
}

LedgerEvent MakeEvent(EventKind kind, const std::string& actor) {
  LedgerEvent e;
  e.kind = kind;
  e.actor = actor;
  return e;
}

StatusOr<Plan> PlanRoleChange(const State& s, const std::string& from, const RegistryCall& c) {
  if (from != s.admin) return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator");
  if (c.account == kZeroAddress) return LedgerError(LedgerErrorCode::kZeroAddress, "account is the zero address");
  const bool validator = c.method == RegistryMethod::kAddValidator || c.method == RegistryMethod::kRemoveValidator;
  const bool add = c.method == RegistryMethod::kAddValidator || c.method == RegistryMethod::kAddProvider;
  const auto& set = validator ? s.validators : s.providers;
  const char* role = validator ? "validator" : "service provider";
  if (add && set.count(c.account))
    return LedgerError(LedgerErrorCode::kAlreadyAuthorized, Addr(c.account) + " is already an authorized " + role);
  if (!add && !set.count(c.account))
    return LedgerError(LedgerErrorCode::kNotListed, Addr(c.account) + " is not an authorized " + role);
  Plan p;
  LedgerEvent e = MakeEvent(validator ? (add ? EventKind::kValidatorAdded : EventKind::kValidatorRemoved)
                                      : (add ? EventKind::kProviderAdded : EventKind::kProviderRemoved),
                            from);
  (validator ? e.validator : e.provider) = c.account;
  p.events.push_back(e);
  p.apply = [validator, add, account = c.account](State& st, int64_t) {
    auto& set = validator ? st.validators : st.providers;
    if (add) {
      set.insert(account);
    } else {
      set.erase(account);
    }
  };
  return p;
}

StatusOr<Plan> PlanIssue(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator issues eIDs");
  if (c.account == kZeroAddress) return LedgerError(LedgerErrorCode::kZeroAddress, "user is the zero address");
  CERTME_RETURN_IF_ERROR(CheckAttributeArrays(c.attr_keys, c.commitments));
  if (c.loa < kLoaLow || c.loa > kLoaHigh)
    return LedgerError(LedgerErrorCode::kInvalidLoa, "level of assurance must be 1 (low), 2 (substantial) or 3 (high)");
  if (s.eids.count(c.account))
    return LedgerError(LedgerErrorCode::kEidExists, Addr(c.account) + " already holds an eID");
  // c.expiry (the deadline) < 2^63: the decoder refuses larger values (BadCalldata).
  if (now >= static_cast<int64_t>(c.expiry))
    return LedgerError(LedgerErrorCode::kExpired, "the enrolment's deadline passed");
  if (c.signature.empty()) return LedgerError(LedgerErrorCode::kNoConsent, "no enrolment signature by the user");
  auto sig = SignatureOf(c.signature);
  if (!sig) return LedgerError(LedgerErrorCode::kBadSignature, "enrolment signature must be 65 bytes (r‖s‖v)");
  Enrolment enrolment{c.account, from, c.attr_keys, c.commitments, c.loa, c.expiry};
  auto signer = RecoverEnrolmentSigner(DomainOf(s), enrolment, *sig);
  if (!signer.ok() || *signer != c.account)
    return LedgerError(LedgerErrorCode::kBadSignature,
                       "enrolment is not signed by the user for this validator, attributes, level, deadline and "
                       "registry");
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidIssued, from);
  e.user = c.account;
  e.validator = from;
  e.loa = c.loa;
  e.attr_keys = c.attr_keys;
  e.commitments = c.commitments;
  p.events.push_back(e);
  p.apply = [c, from](State& st, int64_t t) {
    EidRecord r;
    r.user = c.account;
    r.validator = from;
    r.status = EidStatus::kActive;
    r.loa = c.loa;
    r.attr_keys = c.attr_keys;
    r.commitments = c.commitments;
    r.issued_at = r.updated_at = t;
    st.eids[c.account] = std::move(r);
  };
  return p;
}

StatusOr<Plan> PlanUpdate(const State& s, const std::string& from, const RegistryCall& c) {
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator updates attributes");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  if (eid->validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "this eID was enrolled by another validator");
  if (eid->status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
  CERTME_RETURN_IF_ERROR(CheckAttributeArrays(c.attr_keys, c.commitments));
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kAttributesUpdated, from);
  e.user = c.account;
  e.validator = from;
  e.attr_keys = c.attr_keys;
  e.commitments = c.commitments;
  p.events.push_back(e);
  p.apply = [c](State& st, int64_t t) {
    EidRecord& r = st.eids[c.account];
    for (size_t i = 0; i < c.attr_keys.size(); ++i) {
      auto it = std::find(r.attr_keys.begin(), r.attr_keys.end(), c.attr_keys[i]);
      if (it == r.attr_keys.end()) {
        r.attr_keys.push_back(c.attr_keys[i]);
        r.commitments.push_back(c.commitments[i]);
      } else {
        r.commitments[it - r.attr_keys.begin()] = c.commitments[i];
      }
    }
    r.updated_at = t;
  };
  return p;
}

StatusOr<Plan> PlanStatus(const State& s, const std::string& from, const RegistryCall& c) {
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  CERTME_RETURN_IF_ERROR(CheckEidAuthority(s, from, *eid));
  EidStatus to;
  switch (c.method) {
    case RegistryMethod::kSuspendEid:
      if (eid->status != EidStatus::kActive)
        return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
      to = EidStatus::kSuspended;
      break;
    case RegistryMethod::kReactivateEid:
      if (eid->status != EidStatus::kSuspended)
        return LedgerError(LedgerErrorCode::kNotSuspended, std::string("the eID is ") + EidStatusName(eid->status));
      to = EidStatus::kActive;
      break;
    default:  // revoke: final
      if (eid->status == EidStatus::kRevoked)
        return LedgerError(LedgerErrorCode::kEidNotActive, "the eID is already revoked");
      to = EidStatus::kRevoked;
      break;
  }
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidStatusChanged, from);
  e.user = c.account;
  e.validator = eid->validator;
  e.status = to;
  p.events.push_back(e);
  p.apply = [user = c.account, to](State& st, int64_t t) {
    EidRecord& r = st.eids[user];
    r.status = to;
    r.updated_at = t;
  };
  return p;
}

StatusOr<Plan> PlanRequest(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (!s.providers.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized service provider requests validation");
  if (c.attr_keys.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no attributes requested");
  if (HasDuplicates(c.attr_keys))
    return LedgerError(LedgerErrorCode::kDuplicateAttribute, "an attribute key repeats");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  CERTME_RETURN_IF_ERROR(ActiveOrError(*eid));
  // A removed validator can answer nothing: refuse before the nonce is used.
  if (!s.validators.count(eid->validator))
    return LedgerError(LedgerErrorCode::kValidatorNotAuthorized,
                       "the eID's validator " + Addr(eid->validator) + " is no longer authorized");
  for (const auto& k : c.attr_keys)
    if (std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k) == eid->attr_keys.end())
      return LedgerError(LedgerErrorCode::kUnknownAttribute,
                         "the eID holds no commitment for attribute key " + Hex(abi::AsView(k)));
  // c.expiry < 2^63: the decoder refuses larger values (BadCalldata).
  if (now >= static_cast<int64_t>(c.expiry)) return LedgerError(LedgerErrorCode::kExpired, "the consent expired");
  if (c.signature.empty()) return LedgerError(LedgerErrorCode::kNoConsent, "no consent signature");
  if (c.signature.size() != 65)
    return LedgerError(LedgerErrorCode::kBadSignature, "consent signature must be 65 bytes (r‖s‖v)");
  EthSignature sig;
  std::copy(c.signature.begin(), c.signature.end(), sig.rsv.begin());
  Consent consent{c.account, from, c.attr_keys, c.nonce, c.expiry};
  Eip712Domain domain;
  domain.chain_id = s.chain_id;
  domain.verifying_contract = s.registry;
  auto signer = RecoverConsentSigner(domain, consent, sig);
  if (!signer.ok()) return LedgerError(LedgerErrorCode::kBadSignature, "consent signature is malformed");
  if (*signer != c.account)
    return LedgerError(LedgerErrorCode::kBadSignature,
                       "consent is not signed by the user for this provider, attributes, nonce, expiry and registry");
  const std::string nonce_key = c.account + from + std::string(abi::AsView(c.nonce));
  if (s.used_consents.count(nonce_key))
    return LedgerError(LedgerErrorCode::kNonceUsed, "this consent was already used by this provider");
  Plan p;
  const uint64_t id = s.requests.size() + 1;
  LedgerEvent e = MakeEvent(EventKind::kValidationRequested, from);
  e.request_id = id;
  e.provider = from;
  e.user = c.account;
  e.validator = eid->validator;
  e.attr_keys = c.attr_keys;
  e.expiry = static_cast<int64_t>(c.expiry);
  p.events.push_back(e);
  p.apply = [e, nonce_key, nonce = c.nonce](State& st, int64_t t) {
    ValidationRequest r;
    r.id = e.request_id;
    r.provider = e.provider;
    r.user = e.user;
    r.validator = e.validator;
    r.attr_keys = e.attr_keys;
    r.nonce = nonce;
    r.expiry = e.expiry;
    r.requested_at = t;
    st.requests.push_back(std::move(r));
    st.used_consents.insert(nonce_key);
    PruneExpired(st, e.validator, kPruneOnWrite, t);
    st.open_ids[e.validator].push_back(e.request_id);
    st.open_position[e.request_id] = st.open_ids[e.validator].size();
  };
  return p;
}

StatusOr<Plan> PlanAnswer(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (c.request_id == 0 || c.request_id > s.requests.size())
    return LedgerError(LedgerErrorCode::kUnknownRequest, "no validation request " + std::to_string(c.request_id));
  const ValidationRequest& r = s.requests[c.request_id - 1];
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator answers");
  if (r.validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "only the validator that enrolled the user answers");
  if (r.status != RequestStatus::kOpen)
    return LedgerError(LedgerErrorCode::kAlreadyAnswered, "request " + std::to_string(r.id) + " was already answered");
  if (now >= r.expiry) return LedgerError(LedgerErrorCode::kExpired, "the request expired");
  const EidRecord& eid = s.eids.at(r.user);
  if (eid.status != EidStatus::kActive)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid.status));
  if (c.commitments.size() != r.attr_keys.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "one commitment per requested attribute");
  if (c.loa < kLoaLow || c.loa > eid.loa)
    return LedgerError(LedgerErrorCode::kInvalidLoa, "level of assurance must be between 1 and the eID's");
  for (size_t i = 0; i < r.attr_keys.size(); ++i) {
    auto it = std::find(eid.attr_keys.begin(), eid.attr_keys.end(), r.attr_keys[i]);
    if (it == eid.attr_keys.end() || eid.commitments[it - eid.attr_keys.begin()] != c.commitments[i])
      return LedgerError(LedgerErrorCode::kCommitmentMismatch,
                         "answer for attribute key " + Hex(abi::AsView(r.attr_keys[i])) +
                             " differs from the eID's commitment");
  }
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kValidationAnswered, from);
  e.request_id = r.id;
  e.provider = r.provider;
  e.user = r.user;
  e.validator = from;
  e.attr_keys = r.attr_keys;
  e.commitments = c.commitments;
  e.loa = c.loa;
  e.expiry = r.expiry;
  p.events.push_back(e);
  p.apply = [id = r.id, commitments = c.commitments, loa = c.loa](State& st, int64_t t) {
    ValidationRequest& req = st.requests[id - 1];
    req.status = RequestStatus::kAnswered;
    req.commitments = commitments;
    req.loa = loa;
    req.answered_at = t;
    CloseRequest(st, req.validator, id);
    PruneExpired(st, req.validator, kPruneOnWrite, t);
  };
  return p;
}

StatusOr<Plan> PlanProposeAdmin(const State& s, const std::string& from, const RegistryCall& c) {
  if (from != s.admin) return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator");
  if (c.account == s.admin)
    return LedgerError(LedgerErrorCode::kAlreadyAuthorized, Addr(c.account) + " is already the administrator");
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kAdminTransferProposed, from);
  if (c.account != kZeroAddress) e.account = c.account;
  p.events.push_back(e);
  p.apply = [proposed = e.account](State& st, int64_t) { st.pending_admin = proposed; };
  return p;
}

StatusOr<Plan> PlanAcceptAdmin(const State& s, const std::string& from) {
  if (s.pending_admin.empty() || from != s.pending_admin)
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only the key the administrator proposed");
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kAdminTransferred, from);
  e.account = from;
  p.events.push_back(e);
  p.apply = [from](State& st, int64_t) {
    st.admin = from;
    st.pending_admin.clear();
  };
  return p;
}

StatusOr<Plan> PlanMove(const State& s, const std::string& from, const RegistryCall& c) {
  if (from != s.admin) return LedgerError(LedgerErrorCode::kNotAuthorized, "only the scheme administrator moves eIDs");
  if (c.validator == kZeroAddress)
    return LedgerError(LedgerErrorCode::kZeroAddress, "validator is the zero address");
  if (!s.validators.count(c.validator))
    return LedgerError(LedgerErrorCode::kValidatorNotAuthorized,
                       Addr(c.validator) + " is not an authorized validator");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  if (eid->status != EidStatus::kActive && eid->status != EidStatus::kMoved)
    return LedgerError(LedgerErrorCode::kEidNotActive, std::string("the eID is ") + EidStatusName(eid->status));
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidMoved, from);
  e.user = c.account;
  e.validator = c.validator;
  e.account = eid->validator;
  p.events.push_back(e);
  p.apply = [user = c.account, to = c.validator](State& st, int64_t t) {
    EidRecord& r = st.eids[user];
    r.validator = to;
    r.status = EidStatus::kMoved;
    r.updated_at = t;
  };
  return p;
}

StatusOr<Plan> PlanReattest(const State& s, const std::string& from, const RegistryCall& c) {
  if (!s.validators.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized validator re-attests");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  if (eid->validator != from)
    return LedgerError(LedgerErrorCode::kNotEnrollingValidator, "this eID was moved to another validator");
  if (eid->status != EidStatus::kMoved)
    return LedgerError(LedgerErrorCode::kNotMoved, std::string("the eID is ") + EidStatusName(eid->status));
  CERTME_RETURN_IF_ERROR(CheckAttributeArrays(c.attr_keys, c.commitments));
  if (c.loa < kLoaLow || c.loa > kLoaHigh)
    return LedgerError(LedgerErrorCode::kInvalidLoa, "level of assurance must be 1 (low), 2 (substantial) or 3 (high)");
  Plan p;
  LedgerEvent e = MakeEvent(EventKind::kEidReattested, from);
  e.user = c.account;
  e.validator = from;
  e.loa = c.loa;
  e.attr_keys = c.attr_keys;
  e.commitments = c.commitments;
  p.events.push_back(e);
  p.apply = [c](State& st, int64_t t) {
    EidRecord& r = st.eids[c.account];
    r.attr_keys = c.attr_keys;
    r.commitments = c.commitments;
    r.loa = c.loa;
    r.status = EidStatus::kActive;
    r.updated_at = t;
  };
  return p;
}

// pruneExpired(validator, max): anyone may call; changes only the open set.
StatusOr<Plan> PlanPrune(const RegistryCall& c) {
  if (c.count == 0 || c.count > kMaxPruneCount)
    return LedgerError(LedgerErrorCode::kBadCalldata,
                       "pruneExpired examines 1 to " + std::to_string(kMaxPruneCount) + " entries");
  Plan p;
  p.apply = [validator = c.account, max = c.count](State& st, int64_t t) { PruneExpired(st, validator, max, t); };
  return p;
}

// recordAccess(tags, sealed): an authorized provider's access records; one
// event per record, nothing stored (the decoder bounded the arrays).
StatusOr<Plan> PlanRecordAccess(const State& s, const std::string& from, const RegistryCall& c) {
  if (!s.providers.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized service provider records accesses");
  if (c.tags.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no access records given");
  if (c.tags.size() != c.sealed.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "one sealed record per tag");
  Plan p;
  for (size_t i = 0; i < c.tags.size(); ++i) {
    LedgerEvent e = MakeEvent(EventKind::kAccessRecorded, from);
    e.provider = from;
    e.tag = c.tags[i];
    e.sealed = c.sealed[i];
    p.events.push_back(std::move(e));
  }
  p.apply = [](State&, int64_t) {};
  return p;
}

// recordSignatures(user, request, signedAt, digests, signatures): an
// authorized provider records that an active eID signed each digest for one
// sign request at signedAt; one event and one used (user, provider, digest)
// per entry (the decoder bounded the arrays and each signature's length).
StatusOr<Plan> PlanRecordSignatures(const State& s, const std::string& from, const RegistryCall& c, int64_t now) {
  if (!s.providers.count(from))
    return LedgerError(LedgerErrorCode::kNotAuthorized, "only an authorized service provider records signatures");
  if (c.digests.empty()) return LedgerError(LedgerErrorCode::kEmptyAttributes, "no signatures given");
  if (c.digests.size() != c.signatures.size())
    return LedgerError(LedgerErrorCode::kLengthMismatch, "one user signature per digest");
  CERTME_ASSIGN_OR_RETURN(const EidRecord* eid, FindEid(s, c.account));
  CERTME_RETURN_IF_ERROR(ActiveOrError(*eid));
  // c.signed_at < 2^63 (the decoder refuses larger values), so no overflow.
  const int64_t signed_at = static_cast<int64_t>(c.signed_at);
  if (signed_at > now + kSigningTimeAheadSeconds || signed_at < now - kSigningTimeBehindSeconds)
    return LedgerError(LedgerErrorCode::kExpired, "the signing time is too far from the ledger's time");
  const Eip712Domain domain = DomainOf(s);
  std::set<std::string> in_call;
  Plan p;
  for (size_t i = 0; i < c.digests.size(); ++i) {
    const auto sig = SignatureOf(c.signatures[i]);
    const SignedDigest sd{c.account, from, c.digests[i], c.sign_request, c.signed_at};
    bool by_user = false;
    if (sig) {
      auto signer = RecoverSignedDigestSigner(domain, sd, *sig);
      by_user = signer.ok() && *signer == c.account;
    }
    if (!by_user)
      return LedgerError(LedgerErrorCode::kBadSignature,
                         "signature " + std::to_string(i) +
                             " is not the user's for this provider, digest, request, signing time and registry");
    std::string key = c.account + from + std::string(abi::AsView(c.digests[i]));
    if (s.signed_digests.count(key) || !in_call.insert(key).second)
      return LedgerError(LedgerErrorCode::kAlreadySigned,
                         "digest " + Hex(abi::AsView(c.digests[i])) + " was already recorded for this user");
    LedgerEvent e = MakeEvent(EventKind::kSignatureRecorded, from);
    e.provider = from;
    e.user = c.account;
    e.digest = c.digests[i];
    e.sign_request = c.sign_request;
    e.signed_at = signed_at;
    p.events.push_back(std::move(e));
  }
  p.apply = [keys = std::move(in_call)](State& st, int64_t) {
    st.signed_digests.insert(keys.begin(), keys.end());
  };
  return p;
}

}  // namespace

void CloseRequest(State& s, const std::string& validator, uint64_t id) {
  auto& ids = s.open_ids[validator];
  const size_t pos = s.open_position[id];
  const uint64_t last = ids.back();
  ids[pos - 1] = last;
  s.open_position[last] = pos;
  ids.pop_back();
  s.open_position.erase(id);
  if (ids.empty()) s.open_ids.erase(validator);
}

uint64_t PruneExpired(State& s, const std::string& validator, uint64_t max, int64_t now) {
  auto it = s.open_ids.find(validator);
  if (it == s.open_ids.end()) return 0;
  size_t i = s.prune_cursor[validator];
  uint64_t removed = 0;
  for (uint64_t n = 0; n < max; ++n) {
    it = s.open_ids.find(validator);
    if (it == s.open_ids.end()) break;
    if (i >= it->second.size()) i = 0;
    const uint64_t id = it->second[i];
    if (now >= s.requests[id - 1].expiry) {
      CloseRequest(s, validator, id);
      ++removed;
    } else {
      ++i;
    }
  }
  s.prune_cursor[validator] = i;
  return removed;
}

// Everything a transaction must pass, in the order the EVM would check it.
StatusOr<Plan> PlanTransaction(const State& s, const SignedTransaction& tx, int64_t now) {
  CERTME_RETURN_IF_ERROR(VerifyTransactionSignature(tx));
  CERTME_ASSIGN_OR_RETURN(RegistryCall call, DecodeCall(tx.calldata));
  if (!s.initialized) {
    // Genesis: the administrator creates the registry with its first
    // transaction, at EmbeddedRegistryAddress (or, in a log from before that
    // derivation, where CREATE would have put it).
    if (call.method != RegistryMethod::kInitialize || tx.nonce != 0 || call.account != tx.from ||
        (tx.registry != EmbeddedRegistryAddress(tx.from, tx.chain_id) && tx.registry != CreateAddress(tx.from, 0)) ||
        tx.chain_id == 0)
      return LedgerError(LedgerErrorCode::kBadCalldata, "the first entry must be initialize() by the administrator");
    Plan p;
    LedgerEvent e = MakeEvent(EventKind::kRegistryCreated, tx.from);
    p.events.push_back(e);
    p.apply = [tx](State& st, int64_t) {
      st.initialized = true;
      st.chain_id = tx.chain_id;
      st.registry = tx.registry;
      st.admin = tx.from;
    };
    return p;
  }
  if (tx.chain_id != s.chain_id || tx.registry != s.registry)
    return LedgerError(LedgerErrorCode::kWrongChain, "transaction is for another chain or registry");
  auto nit = s.tx_nonces.find(tx.from);
  const uint64_t expected = nit == s.tx_nonces.end() ? 0 : nit->second;
  if (tx.nonce != expected)
    return LedgerError(LedgerErrorCode::kBadTxNonce, "sender nonce is " + std::to_string(expected) + ", transaction has " +
                                                         std::to_string(tx.nonce));
  switch (call.method) {
    case RegistryMethod::kInitialize:
      return LedgerError(LedgerErrorCode::kNotAuthorized, "the registry is already initialized");
    case RegistryMethod::kAddValidator:
    case RegistryMethod::kRemoveValidator:
    case RegistryMethod::kAddProvider:
    case RegistryMethod::kRemoveProvider:
      return PlanRoleChange(s, tx.from, call);
    case RegistryMethod::kIssueEid:
      return PlanIssue(s, tx.from, call, now);
    case RegistryMethod::kUpdateAttributes:
      return PlanUpdate(s, tx.from, call);
    case RegistryMethod::kSuspendEid:
    case RegistryMethod::kReactivateEid:
    case RegistryMethod::kRevokeEid:
      return PlanStatus(s, tx.from, call);
    case RegistryMethod::kRequestValidation:
      return PlanRequest(s, tx.from, call, now);
    case RegistryMethod::kAnswerValidation:
      return PlanAnswer(s, tx.from, call, now);
    case RegistryMethod::kProposeAdmin:
      return PlanProposeAdmin(s, tx.from, call);
    case RegistryMethod::kAcceptAdmin:
      return PlanAcceptAdmin(s, tx.from);
    case RegistryMethod::kMoveEid:
      return PlanMove(s, tx.from, call);
    case RegistryMethod::kReattestEid:
      return PlanReattest(s, tx.from, call);
    case RegistryMethod::kPruneExpired:
      return PlanPrune(call);
    case RegistryMethod::kRecordAccess:
      return PlanRecordAccess(s, tx.from, call);
    case RegistryMethod::kRecordSignatures:
      return PlanRecordSignatures(s, tx.from, call, now);
  }
  return LedgerError(LedgerErrorCode::kBadCalldata, "unknown function");
}

std::vector<LedgerEvent> ApplyPlan(State& s, Plan plan, const SignedTransaction& tx, uint64_t seq, int64_t time,
                                   const Bytes32& hash) {
  plan.apply(s, time);
  if (s.initialized) ++s.tx_nonces[tx.from];
  uint32_t index = 0;
  for (auto& e : plan.events) {
    e.block = seq;
    e.index = index++;
    e.time = time;
    const size_t pos = s.events.size();
    s.events.push_back(e);
    if (!e.user.empty()) s.events_by_user[e.user].push_back(pos);
    if (e.kind == EventKind::kSignatureRecorded) s.events_by_digest[std::string(abi::AsView(e.digest))].push_back(pos);
  }
  s.head = seq;
  s.head_hash = hash;
  s.head_time = time;
  return plan.events;
}

std::vector<LedgerEvent> MatchingEvents(const State& s, const EventFilter& f) {
  std::vector<LedgerEvent> out;
  if (f.digest) {
    auto it = s.events_by_digest.find(std::string(abi::AsView(*f.digest)));
    if (it == s.events_by_digest.end()) return out;
    for (size_t i : it->second)
      if (EventMatches(f, s.events[i])) out.push_back(s.events[i]);
    return out;
  }
  if (!f.user.empty()) {
    auto it = s.events_by_user.find(f.user);
    if (it == s.events_by_user.end()) return out;
    for (size_t i : it->second)
      if (EventMatches(f, s.events[i])) out.push_back(s.events[i]);
    return out;
  }
  // Events are in block order: skip straight past after_block.
  auto first = std::upper_bound(s.events.begin(), s.events.end(), f.after_block,
                                [](uint64_t b, const LedgerEvent& e) { return b < e.block; });
  for (auto it = first; it != s.events.end(); ++it)
    if (EventMatches(f, *it)) out.push_back(*it);
  return out;
}

}  // namespace certme::embedded
