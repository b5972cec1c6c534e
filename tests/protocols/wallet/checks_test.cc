// protocols/wallet/checks.h: each step of §7 with a passing and a failing
// input; the passing answer is the worked example of §9.
#include "protocols/wallet/checks.h"

#include <gtest/gtest.h>

#include "protocols/wallet/vocabulary.h"
#include "tests/protocols/wallet/worked_example.h"

namespace certme::wallet {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the §9 fixtures

void ExpectError(const CheckResult& r, const char* code, int http, const char* outcome = kOutcomeFailed) {
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, code);
  EXPECT_EQ(r->http_status, http);
  EXPECT_EQ(r->outcome, outcome);
}

Answer ExampleAnswer() { return *ParseAnswer(AnswerJson().dump(), kCode); }
Disclosure ExampleDisclosure() { return *ParseDisclosure(kPlaintext, Context().attributes, UserAddress()); }

TEST(WalletChecksTest, Step1CodeSyntax) {
  EXPECT_FALSE(CheckCodeSyntax(kCode));
  ExpectError(CheckCodeSyntax("no<such>code"), kErrUnknownCode, 404);
  ExpectError(CheckCodeSyntax(""), kErrUnknownCode, 404);
  ExpectError(CheckCodeSyntax(std::string(kMaxCodeLength + 1, 'a')), kErrUnknownCode, 404);
}

TEST(WalletChecksTest, Step1CodeKnown) {
  EXPECT_FALSE(CheckCodeKnown("abc", "abc"));
  ExpectError(CheckCodeKnown("abc", std::nullopt), kErrUnknownCode, 404);
  ExpectError(CheckCodeKnown("abc", "abd"), kErrUnknownCode, 404);
}

TEST(WalletChecksTest, Step2NotExpired) {
  EXPECT_FALSE(CheckNotExpired(kExpiry - 1, kExpiry));
  ExpectError(CheckNotExpired(kExpiry, kExpiry), kErrExpired, 410, kOutcomeExpired);
}

TEST(WalletChecksTest, Step3Claim) {
  const std::string d = AnswerDigest("body");
  EXPECT_EQ(d, AnswerDigest("body"));
  EXPECT_NE(d, AnswerDigest("body "));
  auto first = CheckClaim(std::nullopt, d, "");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, Claim::kFirst);
  auto resumed = CheckClaim(d, d, "");
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(*resumed, Claim::kResumed);
  auto again = CheckClaim(d, d, kOutcomeOk);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, Claim::kAlreadyOk);
  auto other = CheckClaim(AnswerDigest("other"), d, "");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, kErrReplayed);
  EXPECT_EQ(other.error().http_status, 409);
  auto failed = CheckClaim(d, d, kOutcomeFailed);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, kErrReplayed);
}

TEST(WalletChecksTest, Step3DocumentOfAnAnsweredCode) {
  EXPECT_FALSE(CheckNotAnswered(false));
  ExpectError(CheckNotAnswered(true), kErrReplayed, 409);
}

TEST(WalletChecksTest, Step6PayloadDecrypts) {
  auto plain = CheckPayloadDecrypts(BridgeKey(), ExampleAnswer().payload);
  ASSERT_TRUE(plain.ok()) << plain.error().description;
  EXPECT_EQ(*plain, kPlaintext);
  auto other_key = CheckPayloadDecrypts(UserKey(), ExampleAnswer().payload);
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().code, kErrBadPayload);
  EXPECT_EQ(other_key.error().http_status, 400);
}

TEST(WalletChecksTest, Step7Attributes) {
  auto d = CheckAttributes(Context(), kPlaintext, UserAddress());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->commitments, Commitments());
  LoginContext fewer = Context();
  fewer.attributes.pop_back();
  auto bad = CheckAttributes(fewer, kPlaintext, UserAddress());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrAttributesMismatch);
  EXPECT_EQ(bad.error().http_status, 400);
}

TEST(WalletChecksTest, Step8LoginSignature) {
  EXPECT_FALSE(CheckLoginSignature(Context(), ExampleAnswer(), ExampleDisclosure()));
  LoginContext other = Context();
  other.service_id = "another-rp";
  ExpectError(CheckLoginSignature(other, ExampleAnswer(), ExampleDisclosure()), kErrBadSignature, 401);
  Answer impostor = ExampleAnswer();
  impostor.eid = EthKey::Generate().address();
  ExpectError(CheckLoginSignature(Context(), impostor, ExampleDisclosure()), kErrBadSignature, 401);
}

TEST(WalletChecksTest, Step9ConsentSignature) {
  EXPECT_FALSE(CheckConsentSignature(Context(), ExampleAnswer(), ExampleDisclosure()));
  Answer missing = ExampleAnswer();
  missing.consent_signature.reset();
  ExpectError(CheckConsentSignature(Context(), missing, ExampleDisclosure()), kErrBadConsent, 401);
  LoginContext other = Context();
  other.provider = EthKey::Generate().address();
  ExpectError(CheckConsentSignature(other, ExampleAnswer(), ExampleDisclosure()), kErrBadConsent, 401);
  // The consent the bridge submits is §9's.
  EXPECT_EQ(ConsentStructHash(ConsentFor(Context(), UserAddress(), ExampleDisclosure().keys)),
            B32("0x1b5999a242ed4b9a6c4b761d1f75a3a926c8c86afd47ec3be184c1921c04cf54"));
}

TEST(WalletChecksTest, Step10EidActive) {
  EXPECT_FALSE(CheckEidActive(EidStatus::kActive));
  ExpectError(CheckEidActive(EidStatus::kSuspended), kErrEidNotActive, 403, kOutcomeSuspended);
  ExpectError(CheckEidActive(EidStatus::kRevoked), kErrEidNotActive, 403, kOutcomeRevoked);
  ExpectError(CheckEidActive(EidStatus::kNone), kErrEidNotActive, 403, kOutcomeFailed);
  EXPECT_EQ(CheckEidActive(EidStatus::kRevoked)->description, "the eID is revoked");
}

TEST(WalletChecksTest, Step11AlreadyValidated) {
  const Disclosure d = ExampleDisclosure();
  PastValidation all{d.keys, d.commitments, kLoaSubstantial};
  EXPECT_TRUE(AlreadyValidated({all}, d));
  EXPECT_FALSE(AlreadyValidated({}, d));
  PastValidation low = all;
  low.loa = kLoaSubstantial - 1;
  EXPECT_FALSE(AlreadyValidated({low}, d));
  // The latest answer counts: a later different value hides an earlier match.
  PastValidation changed = all;
  changed.commitments[0] = Keccak256("other");
  EXPECT_FALSE(AlreadyValidated({all, changed}, d));
  EXPECT_TRUE(AlreadyValidated({changed, all}, d));
}

TEST(WalletChecksTest, Step11ValidationSubmitted) {
  EXPECT_FALSE(CheckValidationSubmitted(Status()));
  ExpectError(CheckValidationSubmitted(LedgerError(LedgerErrorCode::kEidNotActive, "x")), kErrEidNotActive, 403);
  ExpectError(CheckValidationSubmitted(LedgerError(LedgerErrorCode::kValidatorNotAuthorized, "x")), kErrEidNotActive,
              403);
  ExpectError(CheckValidationSubmitted(LedgerError(LedgerErrorCode::kUnknownAttribute, "x")),
              kErrCommitmentMismatch, 403);
  auto other = CheckValidationSubmitted(LedgerError(LedgerErrorCode::kNotAuthorized, "x"));
  ExpectError(other, kErrServerError, 500);
  EXPECT_EQ(other->description, "");  // nothing internal reaches the wallet
}

TEST(WalletChecksTest, Step11ValidatorAnswer) {
  const Disclosure d = ExampleDisclosure();
  ValidationRequest answer;
  answer.attr_keys = d.keys;
  answer.commitments = d.commitments;
  answer.loa = kLoaSubstantial;
  EXPECT_FALSE(CheckValidatorAnswer(answer, UserAddress(), d.attributes));
  ValidationRequest low = answer;
  low.loa = kLoaSubstantial - 1;
  ExpectError(CheckValidatorAnswer(low, UserAddress(), d.attributes), kErrCommitmentMismatch, 403);
  ValidationRequest lie = answer;
  lie.commitments[1] = Keccak256("wrong");
  ExpectError(CheckValidatorAnswer(lie, UserAddress(), d.attributes), kErrCommitmentMismatch, 403);
}

TEST(WalletChecksTest, Step12ValidatorAnswered) {
  EXPECT_FALSE(CheckValidatorAnswered(Status()));
  ExpectError(CheckValidatorAnswered(DeadlineExceeded("late")), kErrValidatorTimeout, 504, kOutcomeTimeout);
}

TEST(WalletChecksTest, ErrorBodyIsTheWireShape) {
  auto e = WalletError::Make(409, kErrReplayed, "the request was already answered");
  EXPECT_EQ(json::parse(ErrorBody(e)),
            json({{"error", "replayed"}, {"error_description", "the request was already answered"}}));
}

}  // namespace
}  // namespace certme::wallet
