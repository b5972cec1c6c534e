#include "protocols/wallet/checks.h"

#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ecies.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/link.h"
#include "protocols/wallet/login_digest.h"
#include "protocols/wallet/vocabulary.h"

namespace certme::wallet {

std::string ErrorBody(const WalletError& error) {
  return nlohmann::json{{kFieldError, error.code}, {kFieldErrorDescription, error.description}}.dump();
}

namespace {

WalletError UnknownCode() { return WalletError::Make(404, kErrUnknownCode, "unknown code"); }
WalletError Replayed() { return WalletError::Make(409, kErrReplayed, "the request was already answered"); }

}  // namespace

// wallet-protocol §7 step 1
CheckResult CheckCodeSyntax(std::string_view code) {
  if (!IsValidCode(code)) return UnknownCode();
  return std::nullopt;
}

// wallet-protocol §7 step 1
CheckResult CheckCodeKnown(std::string_view code, std::optional<std::string_view> recorded) {
  if (!recorded || *recorded != code) return UnknownCode();
  return std::nullopt;
}

// wallet-protocol §7 step 2
CheckResult CheckNotExpired(int64_t now, int64_t expiry) {
  if (now >= expiry) return WalletError::Make(410, kErrExpired, "the request has expired", kOutcomeExpired);
  return std::nullopt;
}

std::string AnswerDigest(std::string_view body) { return "0x" + HexEncode(abi::AsView(Keccak256(body))); }

// wallet-protocol §7 step 3
WalletOr<Claim> CheckClaim(std::optional<std::string_view> earlier_digest, std::string_view digest,
                           std::string_view outcome) {
  if (!earlier_digest) return Claim::kFirst;
  // Only the byte-identical answer may come back (a lost reply); and only
  // while the login has no outcome, or to hear its success again.
  if (*earlier_digest != digest) return Replayed();
  if (outcome == kOutcomeOk) return Claim::kAlreadyOk;
  if (!outcome.empty()) return Replayed();
  return Claim::kResumed;
}

// wallet-protocol §3 (the document of an answered code) / §7 step 3
CheckResult CheckNotAnswered(bool claimed) {
  if (claimed) return Replayed();
  return std::nullopt;
}

// wallet-protocol §7 step 6
WalletOr<std::string> CheckPayloadDecrypts(const EthKey& bridge_key, std::string_view payload) {
  auto plain = EciesDecrypt(bridge_key, payload);
  if (!plain.ok()) return WalletError::Make(400, kErrBadPayload, "the attributes do not decrypt");
  return std::move(*plain);
}

// wallet-protocol §7 step 7
WalletOr<Disclosure> CheckAttributes(const LoginContext& ctx, std::string_view plaintext, std::string_view eid) {
  return ParseDisclosure(plaintext, ctx.attributes, eid);
}

// wallet-protocol §7 step 8
CheckResult CheckLoginSignature(const LoginContext& ctx, const Answer& answer, const Disclosure& disclosure) {
  Bytes32 digest = WalletLoginDigest(ctx.domain, ctx.code, ctx.nonce, ctx.service_id,
                                     WalletAttributesHash(disclosure.commitments), static_cast<uint64_t>(ctx.expiry));
  auto signer = RecoverAddress(digest, answer.login_signature);
  if (!signer.ok() || *signer != answer.eid)
    return WalletError::Make(401, kErrBadSignature, "Login signature is not by eid");
  return std::nullopt;
}

CheckResult CheckRefusalSignature(const LoginContext& ctx, const Answer& answer) {
  if (!answer.refusal_signature) return WalletError::Make(401, kErrBadSignature, "the refusal is not signed");
  auto signer = RecoverAddress(WalletRefusalDigest(ctx.domain, ctx.code, ctx.nonce, ctx.service_id),
                               *answer.refusal_signature);
  if (!signer.ok() || *signer != answer.eid)
    return WalletError::Make(401, kErrBadSignature, "Refusal signature is not by eid");
  return std::nullopt;
}

Consent ConsentFor(const LoginContext& ctx, std::string_view eid, const std::vector<Bytes32>& keys) {
  return Consent{std::string(eid), ctx.provider, keys, ctx.nonce, static_cast<uint64_t>(ctx.consent_expiry)};
}

// wallet-protocol §7 step 9
CheckResult CheckConsentSignature(const LoginContext& ctx, const Answer& answer, const Disclosure& disclosure) {
  // Asked in every v1 request document.
  if (!answer.consent_signature) return WalletError::Make(401, kErrBadConsent, "consentSignature missing");
  auto signer = RecoverConsentSigner(ctx.domain, ConsentFor(ctx, answer.eid, disclosure.keys), *answer.consent_signature);
  if (!signer.ok() || *signer != answer.eid)
    return WalletError::Make(401, kErrBadConsent, "Consent signature is not by eid");
  return std::nullopt;
}

// wallet-protocol §7 step 10
CheckResult CheckEidActive(EidStatus status) {
  if (status == EidStatus::kActive) return std::nullopt;
  const char* outcome = status == EidStatus::kSuspended ? kOutcomeSuspended
                        : status == EidStatus::kRevoked ? kOutcomeRevoked
                                                        : kOutcomeFailed;
  return WalletError::Make(403, kErrEidNotActive, std::string("the eID is ") + EidStatusName(status), outcome);
}

// wallet-protocol §7 step 11
bool AlreadyValidated(const std::vector<PastValidation>& answered, const Disclosure& disclosure) {
  std::map<Bytes32, std::pair<Bytes32, uint8_t>> latest;  // attrKey → (commitment, loa)
  for (const auto& a : answered)
    for (size_t i = 0; i < a.attr_keys.size() && i < a.commitments.size(); ++i)
      latest[a.attr_keys[i]] = {a.commitments[i], a.loa};
  for (size_t i = 0; i < disclosure.keys.size(); ++i) {
    auto l = latest.find(disclosure.keys[i]);
    if (l == latest.end() || l->second.first != disclosure.commitments[i] || l->second.second < kLoaSubstantial)
      return false;
  }
  return true;
}

// wallet-protocol §7 step 11
CheckResult CheckValidationSubmitted(const Status& submitted) {
  if (submitted.ok()) return std::nullopt;
  auto le = LedgerErrorOf(submitted);
  if (le == LedgerErrorCode::kEidNotActive)
    return WalletError::Make(403, kErrEidNotActive, "the eID is not active");
  if (le == LedgerErrorCode::kValidatorNotAuthorized)  // until the eID is moved and re-attested
    return WalletError::Make(403, kErrEidNotActive, "the eID's validator is no longer authorized");
  if (le == LedgerErrorCode::kUnknownAttribute)
    return WalletError::Make(403, kErrCommitmentMismatch, "the eID holds no commitment for an attribute");
  return ServerError("validation request refused by the ledger: " + submitted.ToString());
}

// wallet-protocol §7 step 11
CheckResult CheckValidatorAnswer(const ValidationRequest& answer, std::string_view eid,
                                 const std::vector<DisclosedAttribute>& attributes) {
  if (answer.loa < kLoaSubstantial)
    return WalletError::Make(403, kErrCommitmentMismatch, "the eID's level of assurance is below substantial");
  if (!CheckDisclosure(eid, attributes, answer.attr_keys, answer.commitments).ok())
    return WalletError::Make(403, kErrCommitmentMismatch, "a value differs from its commitment");
  return std::nullopt;
}

// wallet-protocol §7 step 12
CheckResult CheckValidatorAnswered(const Status& waited) {
  if (waited.ok()) return std::nullopt;
  return WalletError::Make(504, kErrValidatorTimeout, "the validator did not answer in time", kOutcomeTimeout);
}

}  // namespace certme::wallet
