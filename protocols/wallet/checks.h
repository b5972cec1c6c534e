// The bridge's checks of docs/wallet-protocol.md §7, one small function per
// step, in the order the bridge runs them; the first failure answers. Each
// takes plain data the bridge has read from its Store and the Ledger (this
// library reads neither) and returns a WalletError value.
//
// The code is claimed in step 3; the bridge records the error's `outcome`
// for the browser (§8) only from then on, and for step 2 (expired).
// Step 5 (a refusal) is Answer::refused, read by step 4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/eip712.h"
#include "ledger-client/ledger.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/errors.h"

namespace certme::wallet {

// What the bridge asked for this code, from its own records (never from the
// answer).
struct LoginContext {
  std::string code;
  Bytes32 nonce{};
  int64_t expiry = 0;          // the code's (unix seconds)
  int64_t consent_expiry = 0;  // the consent's (unix seconds)
  std::string service_id;
  std::vector<std::string> attributes;  // asked, in order
  Eip712Domain domain;                  // the ledger's
  std::string provider;                 // 20 bytes: the bridge's ledger identity
};

// §7 step 1: a code of the §2 form (checked before any lookup)…
CheckResult CheckCodeSyntax(std::string_view code);
// …that the bridge issued: `recorded` is the code its login record holds,
// nullopt when there is none.
CheckResult CheckCodeKnown(std::string_view code, std::optional<std::string_view> recorded);

// §7 step 2: now < expiry.
CheckResult CheckNotExpired(int64_t now, int64_t expiry);

// §7 step 3: single use. The bridge claims the code atomically with the
// digest of the body; `earlier_digest` is the claim found when this POST
// did not win it (nullopt when it did; "" when it could not be read), and
// `outcome` the code's recorded outcome ("" while none).
enum class Claim {
  kFirst,      // this POST claimed the code: run the checks
  kResumed,    // the identical body resent, no outcome yet: run them again
  kAlreadyOk,  // the identical body resent after success: answer 200 again
};
std::string AnswerDigest(std::string_view body);
WalletOr<Claim> CheckClaim(std::optional<std::string_view> earlier_digest, std::string_view digest,
                           std::string_view outcome);
// §3: the request document is served until the code is answered.
CheckResult CheckNotAnswered(bool claimed);

// §7 step 4 is ParseAnswer (answer.h); step 5 is Answer::refused, whose
// refusalSignature must recover to eid over Refusal (§4)…
CheckResult CheckRefusalSignature(const LoginContext& ctx, const Answer& answer);
// …and whose eID is Active on the ledger: only an eID holder can refuse.

// §7 step 6: the ECIES payload decrypts with the bridge's key.
WalletOr<std::string> CheckPayloadDecrypts(const EthKey& bridge_key, std::string_view payload);

// §7 step 7: exactly the requested attributes, in order (ParseDisclosure).
WalletOr<Disclosure> CheckAttributes(const LoginContext& ctx, std::string_view plaintext, std::string_view eid);

// §7 step 8: loginSignature recovers to eid over Login (§6).
CheckResult CheckLoginSignature(const LoginContext& ctx, const Answer& answer, const Disclosure& disclosure);

// §7 step 9: the Consent the bridge would submit (§6) — user = eid,
// provider = the bridge, attrKeys and nonce of the request…
Consent ConsentFor(const LoginContext& ctx, std::string_view eid, const std::vector<Bytes32>& keys);
// …is signed by eid.
CheckResult CheckConsentSignature(const LoginContext& ctx, const Answer& answer, const Disclosure& disclosure);

// §7 step 10: the eID is Active on the ledger (outcome: suspended / revoked).
CheckResult CheckEidActive(EidStatus status);

// §7 step 11, re-authentication: a validator's earlier answer to this
// provider for this eID (the request's keys, the answer's commitments).
struct PastValidation {
  std::vector<Bytes32> attr_keys;
  std::vector<Bytes32> commitments;
  uint8_t loa = 0;
};
// True when every disclosed commitment equals the latest of `answered`
// (oldest first) for its attribute, at substantial or higher: no validator
// is needed.
bool AlreadyValidated(const std::vector<PastValidation>& answered, const Disclosure& disclosure);
// §7 step 11: the ledger accepted the consented validation request
// (`submitted`: RequestValidation's status; kNonceUsed is handled by the
// bridge before, as a resumed answer).
CheckResult CheckValidationSubmitted(const Status& submitted);
// §7 step 11: the validator's answer — level of assurance substantial or
// higher, and every commitment equals the disclosed value (CheckDisclosure).
CheckResult CheckValidatorAnswer(const ValidationRequest& answer, std::string_view eid,
                                 const std::vector<DisclosedAttribute>& attributes);

// §7 step 12: the validator answered in time (`waited`: the wait's status).
CheckResult CheckValidatorAnswered(const Status& waited);

}  // namespace certme::wallet
