// Conformance: the administrator's two-step transfer, eIDs moved off a
// removed validator and re-attested by another, consent nonces per
// (user, provider), and enrolment signed by the user (docs/ledger.md).
#include <gtest/gtest.h>

#include <chrono>

#include "ledger-client/registry_abi.h"

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::seconds;

// ================================================================ administrator transfer

TEST_P(LedgerConformanceTest, AdministratorIsTransferredInTwoSteps) {
  EthKey next = EthKey::Generate();
  EXPECT_EQ(*ledger_->PendingAdmin(), "");
  auto proposed = ledger_->ProposeAdmin(admin_, next.address());
  ASSERT_OK(proposed);
  ASSERT_EQ(proposed->events.size(), 1u);
  EXPECT_EQ(proposed->events[0].kind, EventKind::kAdminTransferProposed);
  EXPECT_EQ(proposed->events[0].account, next.address());
  EXPECT_EQ(proposed->events[0].actor, admin_.address());
  EXPECT_EQ(*ledger_->PendingAdmin(), next.address());
  EXPECT_EQ(*ledger_->Admin(), admin_.address()) << "a proposal alone changes nothing";

  auto accepted = ledger_->AcceptAdmin(next);
  ASSERT_OK(accepted);
  ASSERT_EQ(accepted->events.size(), 1u);
  EXPECT_EQ(accepted->events[0].kind, EventKind::kAdminTransferred);
  EXPECT_EQ(accepted->events[0].account, next.address());
  EXPECT_EQ(*ledger_->Admin(), next.address());
  EXPECT_EQ(*ledger_->PendingAdmin(), "");

  // The previous key has lost every right; the new one has them all.
  EthKey v = EthKey::Generate();
  EXPECT_REFUSED(ledger_->AddValidator(admin_, v.address()), kNotAuthorized);
  EXPECT_REFUSED(ledger_->ProposeAdmin(admin_, admin_.address()), kNotAuthorized);
  ASSERT_OK(ledger_->AddValidator(next, v.address()));
  EXPECT_REFUSED(ledger_->AcceptAdmin(next), kNotAuthorized) << "no proposal is pending any more";
}

TEST_P(LedgerConformanceTest, OnlyTheProposedKeyAcceptsAndTheAdministratorMayReplaceOrCancel) {
  EthKey first = EthKey::Generate(), second = EthKey::Generate(), outsider = EthKey::Generate();
  EXPECT_REFUSED(ledger_->AcceptAdmin(first), kNotAuthorized) << "nothing proposed";
  EXPECT_REFUSED(ledger_->ProposeAdmin(outsider, outsider.address()), kNotAuthorized);
  EXPECT_REFUSED(ledger_->ProposeAdmin(admin_, admin_.address()), kAlreadyAuthorized);
  ASSERT_OK(ledger_->ProposeAdmin(admin_, first.address()));
  EXPECT_REFUSED(ledger_->AcceptAdmin(outsider), kNotAuthorized);
  EXPECT_REFUSED(ledger_->AcceptAdmin(admin_), kNotAuthorized);
  ASSERT_OK(ledger_->ProposeAdmin(admin_, second.address()));  // replaces the first
  EXPECT_REFUSED(ledger_->AcceptAdmin(first), kNotAuthorized) << "a replaced proposal";
  auto cancelled = ledger_->ProposeAdmin(admin_, "");
  ASSERT_OK(cancelled);
  EXPECT_EQ(cancelled->events.at(0).kind, EventKind::kAdminTransferProposed);
  EXPECT_EQ(cancelled->events.at(0).account, "") << "an empty proposal is a cancellation";
  EXPECT_EQ(*ledger_->PendingAdmin(), "");
  EXPECT_REFUSED(ledger_->AcceptAdmin(second), kNotAuthorized) << "a cancelled proposal";
  EXPECT_EQ(*ledger_->Admin(), admin_.address());
}

// ================================================================ validator removal and moved eIDs

TEST_P(LedgerConformanceTest, RequestForAUserOfARemovedValidatorIsRefusedBeforeUsingTheNonce) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  ASSERT_OK(ledger_->RemoveValidator(admin_, s.validator.address()));
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(s.user.key, c)), kValidatorNotAuthorized);
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce))
      << "the consent stays usable once the eID is moved";
  EXPECT_TRUE(ledger_->OpenRequests(s.validator.address())->empty());
}

TEST_P(LedgerConformanceTest, MovedEidWaitsForTheNewValidatorsReattestation) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  ASSERT_OK(ledger_->RemoveValidator(admin_, s.validator.address()));
  Consent c = s.MakeConsent(s.user, s.provider, {"first_name", "idnp"});
  const std::string sig = s.Sign(s.user.key, c);

  auto moved = ledger_->MoveEid(admin_, s.user.address(), other.address());
  ASSERT_OK(moved);
  ASSERT_EQ(moved->events.size(), 1u);
  EXPECT_EQ(moved->events[0].kind, EventKind::kEidMoved);
  EXPECT_EQ(moved->events[0].user, s.user.address());
  EXPECT_EQ(moved->events[0].validator, other.address());
  EXPECT_EQ(moved->events[0].account, s.validator.address()) << "the previous validator";
  EXPECT_EQ(moved->events[0].actor, admin_.address());
  EidRecord eid = *ledger_->GetEid(s.user.address());
  EXPECT_EQ(eid.status, EidStatus::kMoved);
  EXPECT_EQ(eid.validator, other.address());
  EXPECT_EQ(eid.commitments, s.user.Commitments()) << "kept until re-attested";
  EXPECT_EQ(*ledger_->GetEidStatus(s.user.address()), EidStatus::kMoved);

  // Until re-attested: no request, no update, no suspension.
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, sig), kEidNotActive);
  EXPECT_REFUSED(ledger_->UpdateAttributes(other, s.user.address(), s.user.Keys(), s.user.Commitments()),
                 kEidNotActive);
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce));

  // The new validator re-attests (here: a changed level and one attribute fewer).
  std::vector<Bytes32> keys = s.user.Keys(), commitments = s.user.Commitments();
  keys.pop_back();
  commitments.pop_back();
  auto re = ledger_->ReattestEid(other, s.user.address(), keys, commitments, kLoaHigh);
  ASSERT_OK(re);
  ASSERT_EQ(re->events.size(), 1u);
  EXPECT_EQ(re->events[0].kind, EventKind::kEidReattested);
  EXPECT_EQ(re->events[0].validator, other.address());
  EXPECT_EQ(re->events[0].loa, kLoaHigh);
  EXPECT_EQ(re->events[0].commitments, commitments);
  eid = *ledger_->GetEid(s.user.address());
  EXPECT_EQ(eid.status, EidStatus::kActive);
  EXPECT_EQ(eid.loa, kLoaHigh);
  EXPECT_EQ(eid.attr_keys, keys);
  EXPECT_EQ(eid.commitments, commitments);

  // The consent signed earlier now works and the new validator answers.
  auto id = ledger_->RequestValidation(s.provider, c, sig);
  ASSERT_OK(id);
  EXPECT_EQ(ledger_->GetRequest(*id)->validator, other.address());
  EXPECT_REFUSED(s.Answer(*id, s.validator), kNotAuthorized) << "the removed validator";
  ASSERT_OK(s.Answer(*id, other, kLoaHigh));
  Consent dropped = s.MakeConsent(s.user, s.provider, {"birth_date"});
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, dropped, s.Sign(s.user.key, dropped)), kUnknownAttribute)
      << "an attribute the new validator did not re-attest";
}

TEST_P(LedgerConformanceTest, MoveAndReattestationAreChecked) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other = EthKey::Generate(), outsider = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  const std::string user = s.user.address();
  User nobody;
  // moveEid: administrator only, to an authorized validator, of an active (or moved) eID.
  EXPECT_REFUSED(ledger_->MoveEid(s.validator, user, other.address()), kNotAuthorized);
  EXPECT_REFUSED(ledger_->MoveEid(other, user, other.address()), kNotAuthorized);
  EXPECT_REFUSED(ledger_->MoveEid(admin_, user, std::string(20, '\0')), kZeroAddress);
  EXPECT_REFUSED(ledger_->MoveEid(admin_, user, outsider.address()), kValidatorNotAuthorized);
  EXPECT_REFUSED(ledger_->MoveEid(admin_, nobody.address(), other.address()), kNoEid);
  ASSERT_OK(ledger_->SuspendEid(admin_, user));
  EXPECT_REFUSED(ledger_->MoveEid(admin_, user, other.address()), kEidNotActive) << "reactivate first";
  ASSERT_OK(ledger_->ReactivateEid(admin_, user));
  // reattestEid: only after a move, only by the validator it was moved to.
  EXPECT_REFUSED(ledger_->ReattestEid(s.validator, user, s.user.Keys(), s.user.Commitments(), kLoaHigh), kNotMoved);
  ASSERT_OK(ledger_->MoveEid(admin_, user, other.address()));
  ASSERT_OK(ledger_->MoveEid(admin_, user, other.address())) << "a moved eID may be moved again";
  EXPECT_REFUSED(ledger_->ReattestEid(outsider, user, s.user.Keys(), s.user.Commitments(), kLoaHigh), kNotAuthorized);
  EXPECT_REFUSED(ledger_->ReattestEid(s.validator, user, s.user.Keys(), s.user.Commitments(), kLoaHigh),
                 kNotEnrollingValidator);
  EXPECT_REFUSED(ledger_->ReattestEid(other, nobody.address(), s.user.Keys(), s.user.Commitments(), kLoaHigh), kNoEid);
  EXPECT_REFUSED(ledger_->ReattestEid(other, user, {}, {}, kLoaHigh), kEmptyAttributes);
  EXPECT_REFUSED(ledger_->ReattestEid(other, user, s.user.Keys(), {s.user.Commitments()[0]}, kLoaHigh),
                 kLengthMismatch);
  EXPECT_REFUSED(ledger_->ReattestEid(other, user, s.user.Keys(), s.user.Commitments(), 4), kInvalidLoa);
  EXPECT_EQ(*ledger_->GetEidStatus(user), EidStatus::kMoved) << "refused calls change nothing";
  // The new validator (or the administrator) may still revoke a moved eID.
  ASSERT_OK(ledger_->RevokeEid(other, user));
  EXPECT_REFUSED(ledger_->MoveEid(admin_, user, other.address()), kEidNotActive);
  EXPECT_REFUSED(ledger_->ReattestEid(other, user, s.user.Keys(), s.user.Commitments(), kLoaHigh), kNotMoved);
}

// ================================================================ consent nonces per (user, provider)

TEST_P(LedgerConformanceTest, ConsentNoncesArePerProvider) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey provider_b = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, provider_b.address()));
  Consent a = s.MakeConsent(s.user, s.provider, {"idnp"});
  Consent b = s.MakeConsent(s.user, provider_b, {"idnp"});
  b.nonce = a.nonce;  // B's own consent with A's nonce, used first
  ASSERT_OK(ledger_->RequestValidation(provider_b, b, s.Sign(s.user.key, b)));
  EXPECT_TRUE(*ledger_->IsConsentNonceUsed(s.user.address(), provider_b.address(), a.nonce));
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), a.nonce))
      << "B's request must not burn A's pending consent";
  const std::string sig_a = s.Sign(s.user.key, a);
  ASSERT_OK(ledger_->RequestValidation(s.provider, a, sig_a));
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, a, sig_a), kNonceUsed) << "A's reuse";
  EXPECT_REFUSED(ledger_->RequestValidation(provider_b, b, s.Sign(s.user.key, b)), kNonceUsed) << "B's reuse";
}

// ================================================================ enrolment consent

TEST_P(LedgerConformanceTest, EnrolmentNeedsTheUsersSignature) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User u;
  EthKey mallory = EthKey::Generate();
  Enrolment e{u.address(), s.validator.address(), u.Keys(), u.Commitments(), kLoaSubstantial,
              static_cast<uint64_t>(ledger_->Now() + 600)};
  auto issue = [&](const Enrolment& signed_enrolment, const EthKey& signer, const std::string& user) {
    return ledger_->IssueEid(s.validator, user, e.attr_keys, e.commitments, e.loa, e.deadline,
                             SigBytes(SignEnrolment(signer, ledger_->Domain(), signed_enrolment)));
  };
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), e.attr_keys, e.commitments, e.loa, e.deadline, ""),
                 kNoConsent);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), e.attr_keys, e.commitments, e.loa, e.deadline,
                                   std::string(64, '\1')),
                 kBadSignature);
  EXPECT_REFUSED(issue(e, mallory, u.address()), kBadSignature) << "signed by someone else";
  Enrolment other_validator = e;
  other_validator.validator = mallory.address();
  EXPECT_REFUSED(issue(other_validator, u.key, u.address()), kBadSignature) << "consent for another validator";
  Enrolment other_level = e;
  other_level.loa = kLoaHigh;
  EXPECT_REFUSED(issue(other_level, u.key, u.address()), kBadSignature) << "consent for another level";
  Enrolment other_commitments = e;
  other_commitments.commitments[0] = RandomNonce();
  EXPECT_REFUSED(issue(other_commitments, u.key, u.address()), kBadSignature) << "other commitments";
  Enrolment other_deadline = e;
  other_deadline.deadline += 1;
  EXPECT_REFUSED(issue(other_deadline, u.key, u.address()), kBadSignature) << "another deadline";
  Eip712Domain elsewhere = ledger_->Domain();
  elsewhere.chain_id += 1;
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), e.attr_keys, e.commitments, e.loa, e.deadline,
                                   SigBytes(SignEnrolment(u.key, elsewhere, e))),
                 kBadSignature)
      << "consent for another chain";
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kNone) << "no address claimed without its key";

  ASSERT_OK(issue(e, u.key, u.address()));
  EXPECT_EQ(ledger_->GetEid(u.address())->validator, s.validator.address());
}

TEST_P(LedgerConformanceTest, EnrolmentPastItsDeadlineIsRefused) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User u;
  Enrolment e{u.address(), s.validator.address(), u.Keys(), u.Commitments(), kLoaSubstantial,
              static_cast<uint64_t>(ledger_->Now() + 5)};
  const std::string sig = SigBytes(SignEnrolment(u.key, ledger_->Domain(), e));
  Advance(seconds(5));
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), e.attr_keys, e.commitments, e.loa, e.deadline, sig),
                 kExpired);
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kNone);
}

}  // namespace
}  // namespace certme
