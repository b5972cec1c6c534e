#include "ledger-client/evm/codec.h"

#include <algorithm>
#include <unordered_map>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "ledger-client/abi.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/json_rpc.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

using evm::Addr;
using evm::Hex;
using nlohmann::json;

// ---------------------------------------------------------------- errors

struct ErrorInfo {
  const char* signature;
  LedgerErrorCode code;
};

constexpr ErrorInfo kErrors[] = {
    {"NotAuthorized()", LedgerErrorCode::kNotAuthorized},
    {"NotEnrollingValidator()", LedgerErrorCode::kNotEnrollingValidator},
    {"NoConsent()", LedgerErrorCode::kNoConsent},
    {"BadSignature()", LedgerErrorCode::kBadSignature},
    {"EidNotActive(uint8)", LedgerErrorCode::kEidNotActive},
    {"NoEid(address)", LedgerErrorCode::kNoEid},
    {"EidExists(address)", LedgerErrorCode::kEidExists},
    {"NotSuspended(uint8)", LedgerErrorCode::kNotSuspended},
    {"Expired()", LedgerErrorCode::kExpired},
    {"AlreadyAnswered(uint256)", LedgerErrorCode::kAlreadyAnswered},
    {"NonceUsed()", LedgerErrorCode::kNonceUsed},
    {"UnknownRequest(uint256)", LedgerErrorCode::kUnknownRequest},
    {"UnknownAttribute(bytes32)", LedgerErrorCode::kUnknownAttribute},
    {"DuplicateAttribute()", LedgerErrorCode::kDuplicateAttribute},
    {"EmptyAttributes()", LedgerErrorCode::kEmptyAttributes},
    {"LengthMismatch()", LedgerErrorCode::kLengthMismatch},
    {"InvalidLoa()", LedgerErrorCode::kInvalidLoa},
    {"CommitmentMismatch(bytes32)", LedgerErrorCode::kCommitmentMismatch},
    {"AlreadyAuthorized(address)", LedgerErrorCode::kAlreadyAuthorized},
    {"NotListed(address)", LedgerErrorCode::kNotListed},
    {"ZeroAddress()", LedgerErrorCode::kZeroAddress},
    {"BadCalldata()", LedgerErrorCode::kBadCalldata},
    {"ValidatorNotAuthorized(address)", LedgerErrorCode::kValidatorNotAuthorized},
    {"NotMoved(uint8)", LedgerErrorCode::kNotMoved},
    {"MigrationClosed()", LedgerErrorCode::kMigrationClosed},
    {"AlreadySigned(bytes32)", LedgerErrorCode::kAlreadySigned},
};

std::string StatusText(uint64_t s) {
  return s <= 4 ? EidStatusName(static_cast<EidStatus>(s)) : "in an unknown state";
}

// The human half of the error, built from its arguments.
std::string ErrorDetail(LedgerErrorCode code, abi::Decoder& d) {
  auto addr = [&] {
    auto a = d.Address();
    return a.ok() ? Addr(*a) : std::string("the account");
  };
  auto word = [&] {
    auto w = d.Fixed();
    return w.ok() ? Hex(abi::AsView(*w)) : std::string("?");
  };
  auto number = [&] {
    auto n = d.Uint64();
    return n.ok() ? std::to_string(*n) : std::string("?");
  };
  switch (code) {
    case LedgerErrorCode::kNotAuthorized: return "the sender lacks the role this call needs";
    case LedgerErrorCode::kNotEnrollingValidator: return "this eID was enrolled by another validator";
    case LedgerErrorCode::kNoConsent: return "no consent signature";
    case LedgerErrorCode::kBadSignature:
      return "a signature is not the user's for this call's provider, arguments and registry";
    case LedgerErrorCode::kEidNotActive: {
      auto s = d.Uint8();
      return "the eID is " + (s.ok() ? StatusText(*s) : std::string("not active"));
    }
    case LedgerErrorCode::kNoEid: return addr() + " has no eID";
    case LedgerErrorCode::kEidExists: return addr() + " already holds an eID";
    case LedgerErrorCode::kNotSuspended: {
      auto s = d.Uint8();
      return "the eID is " + (s.ok() ? StatusText(*s) : std::string("not suspended"));
    }
    case LedgerErrorCode::kExpired: return "the consent or request expired, or the signing time is out of range";
    case LedgerErrorCode::kAlreadyAnswered: return "request " + number() + " was already answered";
    case LedgerErrorCode::kNonceUsed: return "this consent was already used";
    case LedgerErrorCode::kUnknownRequest: return "no validation request " + number();
    case LedgerErrorCode::kUnknownAttribute: return "the eID holds no commitment for attribute key " + word();
    case LedgerErrorCode::kDuplicateAttribute: return "an attribute key repeats";
    case LedgerErrorCode::kEmptyAttributes: return "no attributes given";
    case LedgerErrorCode::kLengthMismatch: return "one commitment per attribute";
    case LedgerErrorCode::kInvalidLoa: return "level of assurance out of range";
    case LedgerErrorCode::kCommitmentMismatch:
      return "answer for attribute key " + word() + " differs from the eID's commitment";
    case LedgerErrorCode::kAlreadyAuthorized: return addr() + " is already authorized";
    case LedgerErrorCode::kNotListed: return addr() + " is not authorized";
    case LedgerErrorCode::kZeroAddress: return "account is the zero address";
    case LedgerErrorCode::kBadCalldata:
      return "malformed call (an array or signature too long, or a number out of range)";
    case LedgerErrorCode::kValidatorNotAuthorized: return "the validator " + addr() + " is not an authorized validator";
    case LedgerErrorCode::kNotMoved: {
      auto s = d.Uint8();
      return "the eID is " + (s.ok() ? StatusText(*s) : std::string("not moved")) + ", not moved";
    }
    case LedgerErrorCode::kMigrationClosed: return "the registry's migration window is closed";
    case LedgerErrorCode::kAlreadySigned: return "digest " + word() + " was already recorded for this user";
    default: return "refused";
  }
}

// ---------------------------------------------------------------- events

struct EventInfo {
  const char* signature;
  EventKind kind;
};

constexpr EventInfo kEvents[] = {
    {"RegistryCreated(address)", EventKind::kRegistryCreated},
    {"ValidatorAdded(address,address)", EventKind::kValidatorAdded},
    {"ValidatorRemoved(address,address)", EventKind::kValidatorRemoved},
    {"ProviderAdded(address,address)", EventKind::kProviderAdded},
    {"ProviderRemoved(address,address)", EventKind::kProviderRemoved},
    {"EidIssued(address,address,uint8,bytes32[],bytes32[])", EventKind::kEidIssued},
    {"AttributesUpdated(address,address,bytes32[],bytes32[])", EventKind::kAttributesUpdated},
    {"EidStatusChanged(address,address,address,uint8)", EventKind::kEidStatusChanged},
    {"ValidationRequested(address,address,address,uint256,bytes32[],uint256)", EventKind::kValidationRequested},
    {"ValidationAnswered(address,address,address,uint256,bytes32[],bytes32[],uint8,uint256)",
     EventKind::kValidationAnswered},
    {"AdminTransferProposed(address,address)", EventKind::kAdminTransferProposed},
    {"AdminTransferred(address,address)", EventKind::kAdminTransferred},
    {"EidMoved(address,address,address,address)", EventKind::kEidMoved},
    {"EidReattested(address,address,uint8,bytes32[],bytes32[])", EventKind::kEidReattested},
    {"EidImported(address,address,uint8,uint8,bytes32[],bytes32[])", EventKind::kEidImported},
    {"MigrationFinished(address,address)", EventKind::kMigrationFinished},
    {"AccessRecorded(address,bytes32,bytes)", EventKind::kAccessRecorded},
    {"SignatureRecorded(address,address,bytes32,bytes32,uint256)", EventKind::kSignatureRecorded},
};

const std::vector<std::pair<Bytes32, EventKind>>& EventTopics() {
  static const auto* kTopics = [] {
    auto* v = new std::vector<std::pair<Bytes32, EventKind>>();
    for (const auto& e : kEvents) v->push_back({Keccak256(e.signature), e.kind});
    return v;
  }();
  return *kTopics;
}

StatusOr<std::string> TopicAddress(const json& topics, size_t i) {
  if (!topics.is_array() || topics.size() <= i) return InvalidArgument("registry log lacks a topic");
  CERTME_ASSIGN_OR_RETURN(std::string w, ParseHexData(topics[i], 32));
  if (w.size() != 32 || w.find_first_not_of('\0') < 12) return InvalidArgument("registry log topic is not an address");
  return w.substr(12);
}

#define CERTME_SET(lhs, expr)                     \
  do {                                            \
    auto _v = (expr);                             \
    if (!_v.ok()) return _v.status();             \
    lhs = std::move(_v).value();                  \
  } while (0)

}  // namespace

Status DecodeRegistryRevert(std::string_view data) {
  static const auto* kSelectors = [] {
    auto* m = new std::unordered_map<std::string, LedgerErrorCode>();
    for (const auto& e : kErrors) (*m)[abi::Selector(e.signature)] = e.code;
    return m;
  }();
  if (data.empty())  // see NodeRefusal: only the ABI decoder reverts without a reason
    return LedgerError(LedgerErrorCode::kBadCalldata, "the registry's ABI decoder refused the call's arguments");
  if (data.size() < 4) return Internal("the registry refused the call without a reason");
  auto it = kSelectors->find(std::string(data.substr(0, 4)));
  if (it == kSelectors->end()) {
    // Error(string) from a require, Panic(uint256): not the registry's words.
    return Internal("the registry refused the call for an unexpected reason", Hex(data.substr(0, 4)));
  }
  abi::Decoder d(data.substr(4));
  return LedgerError(it->second, ErrorDetail(it->second, d));
}

StatusOr<LedgerEvent> DecodeRegistryLog(const json& log) {
  if (!log.is_object()) return InvalidArgument("registry log is not an object");
  const json topics = log.value("topics", json());
  if (!topics.is_array() || topics.empty() || topics.size() > 4) return InvalidArgument("registry log without topics");
  CERTME_ASSIGN_OR_RETURN(std::string t0, ParseHexData(topics[0], 32));
  std::optional<EventKind> kind;
  for (const auto& [topic, k] : EventTopics())
    if (abi::AsView(topic) == t0) kind = k;
  if (!kind) return InvalidArgument("not a registry event");
  CERTME_ASSIGN_OR_RETURN(std::string data, ParseHexData(log.value("data", json()), 1 << 20));
  abi::Decoder d(data);
  LedgerEvent e;
  e.kind = *kind;
  switch (*kind) {
    case EventKind::kRegistryCreated:
      CERTME_SET(e.actor, TopicAddress(topics, 1));
      break;
    case EventKind::kValidatorAdded:
    case EventKind::kValidatorRemoved:
      CERTME_SET(e.validator, TopicAddress(topics, 1));
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kProviderAdded:
    case EventKind::kProviderRemoved:
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kEidIssued:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      e.actor = e.validator;
      CERTME_SET(e.loa, d.Uint8());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      break;
    case EventKind::kAttributesUpdated:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      e.actor = e.validator;
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      break;
    case EventKind::kEidStatusChanged: {
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      CERTME_SET(e.actor, d.Address());
      uint8_t s = 0;
      CERTME_SET(s, d.Uint8());
      if (s > 4) return InvalidArgument("registry event with an unknown status");
      e.status = static_cast<EidStatus>(s);
      break;
    }
    case EventKind::kAdminTransferProposed:
      CERTME_SET(e.account, TopicAddress(topics, 1));
      if (e.account == std::string(20, '\0')) e.account.clear();  // a cancelled proposal
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kAdminTransferred:
      CERTME_SET(e.account, TopicAddress(topics, 1));
      e.actor = e.account;
      break;
    case EventKind::kEidMoved:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      CERTME_SET(e.account, d.Address());
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kEidReattested:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      e.actor = e.validator;
      CERTME_SET(e.loa, d.Uint8());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      break;
    case EventKind::kEidImported: {
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      uint8_t s = 0;
      CERTME_SET(s, d.Uint8());
      if (s < 1 || s > 4) return InvalidArgument("registry event with an unknown status");
      e.status = static_cast<EidStatus>(s);
      CERTME_SET(e.loa, d.Uint8());
      CERTME_SET(e.attr_keys, d.Bytes32Array(evm::kMaxReturnedItems));
      CERTME_SET(e.commitments, d.Bytes32Array(evm::kMaxReturnedItems));
      break;
    }
    case EventKind::kMigrationFinished:
      CERTME_SET(e.account, TopicAddress(topics, 1));
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kAccessRecorded: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      e.actor = e.provider;
      if (topics.size() <= 2) return InvalidArgument("registry log lacks a topic");
      std::string tag;
      CERTME_SET(tag, ParseHexData(topics[2], 32));
      if (tag.size() != 32) return InvalidArgument("registry log topic is not a tag");
      e.tag = abi::ToBytes32(tag);
      CERTME_SET(e.sealed, d.Bytes(kMaxSealedBytes));
      if (e.sealed.empty()) return InvalidArgument("registry event with an empty sealed record");
      break;
    }
    case EventKind::kSignatureRecorded: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.user, TopicAddress(topics, 2));
      e.actor = e.provider;
      if (topics.size() <= 3) return InvalidArgument("registry log lacks a topic");
      std::string digest;
      CERTME_SET(digest, ParseHexData(topics[3], 32));
      if (digest.size() != 32) return InvalidArgument("registry log topic is not a digest");
      e.digest = abi::ToBytes32(digest);
      CERTME_SET(e.sign_request, d.Fixed());
      uint64_t at = 0;
      CERTME_SET(at, d.Uint64());
      e.signed_at = static_cast<int64_t>(at);
      break;
    }
    case EventKind::kValidationRequested: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.user, TopicAddress(topics, 2));
      CERTME_SET(e.validator, TopicAddress(topics, 3));
      e.actor = e.provider;
      CERTME_SET(e.request_id, d.Uint64());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      uint64_t exp = 0;
      CERTME_SET(exp, d.Uint64());
      e.expiry = static_cast<int64_t>(exp);
      break;
    }
    case EventKind::kValidationAnswered: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.user, TopicAddress(topics, 2));
      CERTME_SET(e.validator, TopicAddress(topics, 3));
      e.actor = e.validator;
      CERTME_SET(e.request_id, d.Uint64());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.loa, d.Uint8());
      uint64_t exp = 0;
      CERTME_SET(exp, d.Uint64());
      e.expiry = static_cast<int64_t>(exp);
      break;
    }
  }
  return e;
}

namespace evm {

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }
std::string Addr(std::string_view a) { return a.size() == 20 ? ChecksumAddress(a) : Hex(a); }

std::string Call0(const char* signature) { return abi::Selector(signature); }
std::string CallAddress(const char* signature, std::string_view a) {
  return abi::Selector(signature) + abi::Encoder().Address(a).Encode();
}

StatusOr<bool> DecodeBool(const std::string& r) {
  abi::Decoder d(r);
  CERTME_ASSIGN_OR_RETURN(uint8_t b, d.Uint8());
  if (b > 1) return Internal("the registry returned a malformed boolean");
  return b == 1;
}

StatusOr<EidRecord> DecodeEid(std::string_view user, const std::string& r) {
  abi::Decoder d(r);
  EidRecord e;
  e.user = std::string(user);
  CERTME_SET(e.validator, d.Address());
  uint8_t status = 0;
  CERTME_SET(status, d.Uint8());
  if (status > 4) return Internal("the registry returned an unknown eID status");
  e.status = static_cast<EidStatus>(status);
  CERTME_SET(e.loa, d.Uint8());
  uint64_t t = 0;
  CERTME_SET(t, d.Uint64());
  e.issued_at = static_cast<int64_t>(t);
  CERTME_SET(t, d.Uint64());
  e.updated_at = static_cast<int64_t>(t);
  CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxReturnedItems));
  CERTME_SET(e.commitments, d.Bytes32Array(kMaxReturnedItems));
  if (e.status == EidStatus::kNone) {
    EidRecord none;
    none.user = e.user;
    return none;
  }
  return e;
}

StatusOr<EidStatus> DecodeEidStatus(const std::string& r) {
  abi::Decoder d(r);
  CERTME_ASSIGN_OR_RETURN(uint8_t s, d.Uint8());
  if (s > 4) return Internal("the registry returned an unknown eID status");
  return static_cast<EidStatus>(s);
}

StatusOr<ValidationRequest> DecodeRequest(uint64_t id, const std::string& r) {
  abi::Decoder d(r);
  ValidationRequest q;
  q.id = id;
  CERTME_SET(q.provider, d.Address());
  CERTME_SET(q.user, d.Address());
  CERTME_SET(q.validator, d.Address());
  uint8_t status = 0;
  CERTME_SET(status, d.Uint8());
  if (status != 1 && status != 2) return Internal("the registry returned an unknown request status");
  q.status = static_cast<RequestStatus>(status);
  CERTME_SET(q.loa, d.Uint8());
  CERTME_SET(q.nonce, d.Fixed());
  uint64_t t = 0;
  CERTME_SET(t, d.Uint64());
  q.expiry = static_cast<int64_t>(t);
  CERTME_SET(t, d.Uint64());
  q.requested_at = static_cast<int64_t>(t);
  CERTME_SET(t, d.Uint64());
  q.answered_at = static_cast<int64_t>(t);
  CERTME_SET(q.attr_keys, d.Bytes32Array(kMaxReturnedItems));
  CERTME_SET(q.commitments, d.Bytes32Array(kMaxReturnedItems));
  return q;
}

StatusOr<std::vector<OpenRequestEntry>> DecodeOpenRequestPage(const std::string& r, size_t max_items) {
  abi::Decoder d(r);
  std::vector<Bytes32> ids, expiries;
  CERTME_SET(ids, d.Bytes32Array(max_items));
  CERTME_SET(expiries, d.Bytes32Array(max_items));
  if (ids.size() != expiries.size()) return Internal("the registry returned a malformed page of open requests");
  std::vector<OpenRequestEntry> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    abi::Decoder id(abi::AsView(ids[i])), expiry(abi::AsView(expiries[i]));
    OpenRequestEntry e;
    CERTME_SET(e.id, id.Uint64());
    uint64_t t = 0;
    CERTME_SET(t, expiry.Uint64());
    e.expiry = static_cast<int64_t>(t);
    out.push_back(e);
  }
  return out;
}

StatusOr<BlockHeader> ParseHeader(const json& b) {
  if (!b.is_object()) return InvalidArgument("ledger node sent no block");
  BlockHeader h;
  CERTME_ASSIGN_OR_RETURN(h.number, ParseHexQuantity(b.value("number", json())));
  CERTME_ASSIGN_OR_RETURN(h.hash, ParseHexData(b.value("hash", json()), 32));
  CERTME_ASSIGN_OR_RETURN(uint64_t t, ParseHexQuantity(b.value("timestamp", json())));
  h.timestamp = static_cast<int64_t>(std::min<uint64_t>(t, INT64_MAX));
  if (b.contains("baseFeePerGas") && !b["baseFeePerGas"].is_null()) {
    CERTME_ASSIGN_OR_RETURN(uint64_t f, ParseHexQuantity(b["baseFeePerGas"]));
    h.base_fee = f;
  }
  return h;
}

}  // namespace evm
}  // namespace certme
