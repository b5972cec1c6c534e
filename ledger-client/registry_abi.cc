#include "ledger-client/registry_abi.h"

#include <vector>

#include "ledger-client/abi.h"
#include "ledger-client/ledger.h"

namespace certme {
namespace {

struct MethodInfo {
  RegistryMethod method;
  const char* signature;
};

constexpr MethodInfo kMethods[] = {
    {RegistryMethod::kInitialize, "initialize(address)"},
    {RegistryMethod::kAddValidator, "addValidator(address)"},
    {RegistryMethod::kRemoveValidator, "removeValidator(address)"},
    {RegistryMethod::kAddProvider, "addProvider(address)"},
    {RegistryMethod::kRemoveProvider, "removeProvider(address)"},
    {RegistryMethod::kIssueEid, "issueEid(address,bytes32[],bytes32[],uint8,uint256,bytes)"},
    {RegistryMethod::kUpdateAttributes, "updateAttributes(address,bytes32[],bytes32[])"},
    {RegistryMethod::kSuspendEid, "suspendEid(address)"},
    {RegistryMethod::kReactivateEid, "reactivateEid(address)"},
    {RegistryMethod::kRevokeEid, "revokeEid(address)"},
    {RegistryMethod::kRequestValidation, "requestValidation(address,bytes32[],bytes32,uint256,bytes)"},
    {RegistryMethod::kAnswerValidation, "answerValidation(uint256,bytes32[],uint8)"},
    {RegistryMethod::kProposeAdmin, "proposeAdmin(address)"},
    {RegistryMethod::kAcceptAdmin, "acceptAdmin()"},
    {RegistryMethod::kMoveEid, "moveEid(address,address)"},
    {RegistryMethod::kReattestEid, "reattestEid(address,bytes32[],bytes32[],uint8)"},
    {RegistryMethod::kPruneExpired, "pruneExpired(address,uint256)"},
    {RegistryMethod::kRecordAccess, "recordAccess(bytes32[],bytes[])"},
    {RegistryMethod::kRecordSignatures, "recordSignatures(address,bytes32,uint256,bytes32[],bytes[])"},
};

bool IsAccountMethod(RegistryMethod m) {
  switch (m) {
    case RegistryMethod::kInitialize:
    case RegistryMethod::kAddValidator:
    case RegistryMethod::kRemoveValidator:
    case RegistryMethod::kAddProvider:
    case RegistryMethod::kRemoveProvider:
    case RegistryMethod::kSuspendEid:
    case RegistryMethod::kReactivateEid:
    case RegistryMethod::kRevokeEid:
    case RegistryMethod::kProposeAdmin:
      return true;
    default:
      return false;
  }
}

// Selectors are computed once (keccak per lookup would dominate decoding).
const std::string& SelectorOf(RegistryMethod m) {
  static const std::vector<std::string> kSelectors = [] {
    std::vector<std::string> v;
    for (const auto& i : kMethods) v.push_back(abi::Selector(i.signature));
    return v;
  }();
  return kSelectors[static_cast<size_t>(m) - 1];
}

Status Bad(const Status& s) {
  return LedgerError(LedgerErrorCode::kBadCalldata, s.message());
}

}  // namespace

const char* RegistryMethodSignature(RegistryMethod m) {
  for (const auto& i : kMethods)
    if (i.method == m) return i.signature;
  return "";
}

std::string EncodeCall(const RegistryCall& c) {
  abi::Encoder e;
  if (IsAccountMethod(c.method)) {
    e.Address(c.account);
  } else if (c.method == RegistryMethod::kIssueEid) {
    e.Address(c.account).Bytes32Array(c.attr_keys).Bytes32Array(c.commitments).Uint(c.loa).Uint(c.expiry).Bytes(
        c.signature);
  } else if (c.method == RegistryMethod::kReattestEid) {
    e.Address(c.account).Bytes32Array(c.attr_keys).Bytes32Array(c.commitments).Uint(c.loa);
  } else if (c.method == RegistryMethod::kMoveEid) {
    e.Address(c.account).Address(c.validator);
  } else if (c.method == RegistryMethod::kUpdateAttributes) {
    e.Address(c.account).Bytes32Array(c.attr_keys).Bytes32Array(c.commitments);
  } else if (c.method == RegistryMethod::kRequestValidation) {
    e.Address(c.account).Bytes32Array(c.attr_keys).Fixed(c.nonce).Uint(c.expiry).Bytes(c.signature);
  } else if (c.method == RegistryMethod::kAnswerValidation) {
    e.Uint(c.request_id).Bytes32Array(c.commitments).Uint(c.loa);
  } else if (c.method == RegistryMethod::kPruneExpired) {
    e.Address(c.account).Uint(c.count);
  } else if (c.method == RegistryMethod::kRecordAccess) {
    e.Bytes32Array(c.tags).BytesArray(c.sealed);
  } else if (c.method == RegistryMethod::kRecordSignatures) {
    e.Address(c.account).Fixed(c.sign_request).Uint(c.signed_at).Bytes32Array(c.digests).BytesArray(c.signatures);
  }
  return SelectorOf(c.method) + e.Encode();
}

StatusOr<RegistryCall> DecodeCall(std::string_view data) {
  if (data.size() < 4) return LedgerError(LedgerErrorCode::kBadCalldata, "calldata shorter than a selector");
  RegistryCall c;
  bool found = false;
  for (const auto& i : kMethods) {
    if (SelectorOf(i.method) == data.substr(0, 4)) {
      c.method = i.method;
      found = true;
      break;
    }
  }
  if (!found) return LedgerError(LedgerErrorCode::kBadCalldata, "unknown function selector");
  abi::Decoder d(data.substr(4));
#define CERTME_DECODE(lhs, expr)     \
  do {                               \
    auto _v = (expr);                \
    if (!_v.ok()) return Bad(_v.status()); \
    lhs = std::move(_v).value();     \
  } while (0)
  if (IsAccountMethod(c.method)) {
    CERTME_DECODE(c.account, d.Address());
  } else if (c.method == RegistryMethod::kIssueEid || c.method == RegistryMethod::kUpdateAttributes ||
             c.method == RegistryMethod::kReattestEid) {
    CERTME_DECODE(c.account, d.Address());
    CERTME_DECODE(c.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
    CERTME_DECODE(c.commitments, d.Bytes32Array(kMaxAttributesPerCall));
    if (c.method != RegistryMethod::kUpdateAttributes) CERTME_DECODE(c.loa, d.Uint8());
    if (c.method == RegistryMethod::kIssueEid) {
      CERTME_DECODE(c.expiry, d.Uint64());
      CERTME_DECODE(c.signature, d.Bytes(kMaxSignatureBytes));
    }
  } else if (c.method == RegistryMethod::kMoveEid) {
    CERTME_DECODE(c.account, d.Address());
    CERTME_DECODE(c.validator, d.Address());
  } else if (c.method == RegistryMethod::kRequestValidation) {
    CERTME_DECODE(c.account, d.Address());
    CERTME_DECODE(c.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
    CERTME_DECODE(c.nonce, d.Fixed());
    CERTME_DECODE(c.expiry, d.Uint64());
    CERTME_DECODE(c.signature, d.Bytes(kMaxSignatureBytes));
  } else if (c.method == RegistryMethod::kAnswerValidation) {
    CERTME_DECODE(c.request_id, d.Uint64());
    CERTME_DECODE(c.commitments, d.Bytes32Array(kMaxAttributesPerCall));
    CERTME_DECODE(c.loa, d.Uint8());
  } else if (c.method == RegistryMethod::kPruneExpired) {
    CERTME_DECODE(c.account, d.Address());
    CERTME_DECODE(c.count, d.Uint64());
  } else if (c.method == RegistryMethod::kRecordAccess) {
    CERTME_DECODE(c.tags, d.Bytes32Array(kMaxRecordsPerCall));
    CERTME_DECODE(c.sealed, d.BytesArray(kMaxRecordsPerCall, kMaxSealedBytes));
    for (const auto& s : c.sealed)
      if (s.empty()) return LedgerError(LedgerErrorCode::kBadCalldata, "an empty sealed record");
  } else if (c.method == RegistryMethod::kRecordSignatures) {
    CERTME_DECODE(c.account, d.Address());
    CERTME_DECODE(c.sign_request, d.Fixed());
    CERTME_DECODE(c.signed_at, d.Uint64());
    CERTME_DECODE(c.digests, d.Bytes32Array(kMaxSignaturesPerCall));
    CERTME_DECODE(c.signatures, d.BytesArray(kMaxSignaturesPerCall, kMaxSignatureBytes));
  }
#undef CERTME_DECODE
  // One byte string per call: offsets that point elsewhere, trailing bytes
  // or overlapping tails are refused, so equal calls have equal hashes.
  if (EncodeCall(c) != data) return LedgerError(LedgerErrorCode::kBadCalldata, "non-canonical ABI encoding");
  return c;
}

std::string InitializeCall(std::string_view admin) { return AccountCall(RegistryMethod::kInitialize, admin); }

std::string AccountCall(RegistryMethod m, std::string_view account) {
  RegistryCall c;
  c.method = m;
  c.account = std::string(account);
  return EncodeCall(c);
}

std::string IssueEidCall(std::string_view user, const std::vector<Bytes32>& keys,
                         const std::vector<Bytes32>& commitments, uint8_t loa, uint64_t deadline,
                         std::string_view user_signature) {
  RegistryCall c;
  c.expiry = deadline;
  c.signature = std::string(user_signature);
  c.method = RegistryMethod::kIssueEid;
  c.account = std::string(user);
  c.attr_keys = keys;
  c.commitments = commitments;
  c.loa = loa;
  return EncodeCall(c);
}

std::string UpdateAttributesCall(std::string_view user, const std::vector<Bytes32>& keys,
                                 const std::vector<Bytes32>& commitments) {
  RegistryCall c;
  c.method = RegistryMethod::kUpdateAttributes;
  c.account = std::string(user);
  c.attr_keys = keys;
  c.commitments = commitments;
  return EncodeCall(c);
}

std::string RequestValidationCall(std::string_view user, const std::vector<Bytes32>& keys,
                                  const Bytes32& nonce, uint64_t expiry, std::string_view signature) {
  RegistryCall c;
  c.method = RegistryMethod::kRequestValidation;
  c.account = std::string(user);
  c.attr_keys = keys;
  c.nonce = nonce;
  c.expiry = expiry;
  c.signature = std::string(signature);
  return EncodeCall(c);
}

std::string AnswerValidationCall(uint64_t id, const std::vector<Bytes32>& commitments, uint8_t loa) {
  RegistryCall c;
  c.method = RegistryMethod::kAnswerValidation;
  c.request_id = id;
  c.commitments = commitments;
  c.loa = loa;
  return EncodeCall(c);
}

std::string PruneExpiredCall(std::string_view validator, uint64_t max) {
  RegistryCall c;
  c.method = RegistryMethod::kPruneExpired;
  c.account = std::string(validator);
  c.count = max;
  return EncodeCall(c);
}

std::string RecordAccessCall(const std::vector<Bytes32>& tags, const std::vector<std::string>& sealed) {
  RegistryCall c;
  c.method = RegistryMethod::kRecordAccess;
  c.tags = tags;
  c.sealed = sealed;
  return EncodeCall(c);
}

std::string RecordSignaturesCall(std::string_view user, const Bytes32& request, uint64_t signed_at,
                                 const std::vector<Bytes32>& digests, const std::vector<std::string>& signatures) {
  RegistryCall c;
  c.method = RegistryMethod::kRecordSignatures;
  c.account = std::string(user);
  c.sign_request = request;
  c.signed_at = signed_at;
  c.digests = digests;
  c.signatures = signatures;
  return EncodeCall(c);
}

}  // namespace certme
