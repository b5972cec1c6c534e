// Conformance: validators' answers, the whole request → consent → answer
// → check scenario, and the events and access history it leaves.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "ledger-client/registry_abi.h"

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::milliseconds;
using std::chrono::seconds;

// ================================================================ answers

TEST_P(LedgerConformanceTest, EnrollingValidatorAnswersWithCommitmentsAndLevel) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp", "first_name"});
  ASSERT_OK(id);
  Advance(seconds(5));
  auto r = s.Answer(*id, s.validator);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 1u);
  const LedgerEvent& e = r->events[0];
  EXPECT_EQ(e.kind, EventKind::kValidationAnswered);
  EXPECT_EQ(e.request_id, *id);
  EXPECT_EQ(e.provider, s.provider.address());
  EXPECT_EQ(e.user, s.user.address());
  EXPECT_EQ(e.validator, s.validator.address());
  EXPECT_EQ(e.loa, kLoaSubstantial);
  ValidationRequest req = *ledger_->GetRequest(*id);
  EXPECT_EQ(req.status, RequestStatus::kAnswered);
  EXPECT_EQ(req.loa, kLoaSubstantial);
  EXPECT_EQ(req.answered_at, ledger_->Now());
  EXPECT_EQ(req.answered_at, req.requested_at + 5);
  ASSERT_EQ(req.commitments.size(), 2u);
  EXPECT_EQ(req.commitments[0], s.user.Commitments()[2]) << "in the request's order: idnp first";
  EXPECT_EQ(req.commitments[1], s.user.Commitments()[0]);
  EXPECT_TRUE(ledger_->OpenRequests(s.validator.address())->empty());
}

TEST_P(LedgerConformanceTest, OnlyTheEnrollingValidatorAnswers) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddValidator(admin_, other.address()));
  auto id = s.Request();
  ASSERT_OK(id);
  EXPECT_REFUSED(s.Answer(*id, other), kNotEnrollingValidator);
  EXPECT_REFUSED(s.Answer(*id, admin_), kNotAuthorized);
  EXPECT_REFUSED(s.Answer(*id, s.provider), kNotAuthorized);
  EXPECT_REFUSED(s.Answer(*id, s.user.key), kNotAuthorized);
  ASSERT_OK(ledger_->RemoveValidator(admin_, s.validator.address()));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kNotAuthorized) << "de-authorized since enrolling";
  EXPECT_EQ(ledger_->GetRequest(*id)->status, RequestStatus::kOpen);
}

TEST_P(LedgerConformanceTest, ARequestIsAnsweredOnce) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request();
  ASSERT_OK(id);
  ASSERT_OK(s.Answer(*id, s.validator));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kAlreadyAnswered);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id + 1000, {}, kLoaLow), kUnknownRequest);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, 0, {}, kLoaLow), kUnknownRequest);
  EXPECT_REFUSED(ledger_->GetRequest(*id + 1000), kUnknownRequest);
}

TEST_P(LedgerConformanceTest, ExpiredRequestsCannotBeAnswered) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp"}, 30);
  ASSERT_OK(id);
  EXPECT_EQ(ledger_->OpenRequests(s.validator.address())->size(), 1u);
  Advance(seconds(30));
  EXPECT_TRUE(ledger_->OpenRequests(s.validator.address())->empty()) << "expired requests are not pending";
  EXPECT_REFUSED(s.Answer(*id, s.validator), kExpired);
}

TEST_P(LedgerConformanceTest, AnswerMustMatchTheEid) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"first_name", "idnp"});
  ASSERT_OK(id);
  auto c = s.user.Commitments();
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0]}, kLoaSubstantial), kLengthMismatch);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[1]}, kLoaSubstantial), kCommitmentMismatch);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, kLoaHigh), kInvalidLoa)
      << "not above the eID's level";
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, 0), kInvalidLoa);
  ASSERT_OK(ledger_->AnswerValidation(s.validator, *id, {c[0], c[2]}, kLoaLow)) << "a lower level is allowed";
}

TEST_P(LedgerConformanceTest, EidSuspendedAfterTheRequestBlocksTheAnswer) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request();
  ASSERT_OK(id);
  ASSERT_OK(ledger_->SuspendEid(admin_, s.user.address()));
  EXPECT_REFUSED(s.Answer(*id, s.validator), kEidNotActive);
  ASSERT_OK(ledger_->ReactivateEid(admin_, s.user.address()));
  ASSERT_OK(s.Answer(*id, s.validator));
}

// ================================================================ the whole scenario

TEST_P(LedgerConformanceTest, RequestConsentAnswerCheck) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  // The validator service: answers what concerns its users, event-driven.
  std::atomic<bool> stop{false};
  std::thread validator([&] {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    f.validator = s.validator.address();
    while (!stop) {
      auto events = ledger_->WaitForEvents(f, milliseconds(200));
      if (!events.ok()) return;
      for (const auto& e : *events) {
        f.after_block = std::max(f.after_block, e.block);
        (void)s.Answer(e.request_id, s.validator);
      }
    }
  });
  // The wallet: consents to two attributes and hands over value + salt.
  const std::vector<std::string> names = {"first_name", "idnp"};
  Consent c = s.MakeConsent(s.user, s.provider, names);
  const std::string sig = s.Sign(s.user.key, c);
  std::vector<DisclosedAttribute> sent = s.user.Subset(names);
  // The provider: opens the request, waits for the answer, checks the data.
  auto id = ledger_->RequestValidation(s.provider, c, sig);
  ASSERT_OK(id);
  auto answered = ledger_->WaitForAnswer(*id, seconds(10));
  stop = true;
  validator.join();
  ASSERT_OK(answered);
  EXPECT_EQ(answered->status, RequestStatus::kAnswered);
  EXPECT_EQ(answered->loa, kLoaSubstantial);
  EXPECT_TRUE(CheckDisclosure(s.user.address(), sent, answered->attr_keys, answered->commitments).ok());
  // The same answer refuses anything but the exact data.
  auto lied = sent;
  lied[1].value = "2009999999999";
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), lied, answered->attr_keys, answered->commitments), kCommitmentMismatch);
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), {sent[0]}, answered->attr_keys, answered->commitments),
                 kMissingAttribute);
  auto more = sent;
  more.push_back(s.user.Subset({"birth_date"})[0]);
  EXPECT_REFUSED(CheckDisclosure(s.user.address(), more, answered->attr_keys, answered->commitments),
                 kUnexpectedAttribute);
  // The user sees who asked for what, when, and the outcome.
  auto history = UserAccessHistory(*ledger_, s.user.address());
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].provider, s.provider.address());
  EXPECT_EQ((*history)[0].attr_keys, KeysOf(names));
  EXPECT_EQ((*history)[0].outcome, "answered");
}

// ================================================================ events and history

TEST_P(LedgerConformanceTest, UserListsEveryRequestAndItsOutcome) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  User bystander;
  ASSERT_OK(s.Enroll(bystander, s.validator));
  const int64_t t0 = ledger_->Now();
  auto answered = s.Request({"idnp"}, 600);
  ASSERT_OK(answered);
  ASSERT_OK(s.Answer(*answered, s.validator));
  Advance(seconds(10));
  auto expiring = s.Request({"first_name", "last_name"}, 20);
  ASSERT_OK(expiring);
  auto open = s.Request({"birth_date"}, 3600);
  ASSERT_OK(open);
  Consent bc = s.MakeConsent(bystander, s.provider, {"idnp"});
  ASSERT_OK(ledger_->RequestValidation(s.provider, bc, s.Sign(bystander.key, bc)));
  Advance(seconds(30));

  auto h = UserAccessHistory(*ledger_, s.user.address());
  ASSERT_OK(h);
  ASSERT_EQ(h->size(), 3u) << "another user's requests are not listed";
  EXPECT_EQ((*h)[0].request_id, *answered);
  EXPECT_EQ((*h)[0].outcome, "answered");
  EXPECT_EQ((*h)[0].requested_at, t0);
  EXPECT_EQ((*h)[0].answered_at, t0);
  EXPECT_EQ((*h)[0].loa, kLoaSubstantial);
  EXPECT_EQ((*h)[0].validator, s.validator.address());
  EXPECT_EQ((*h)[1].request_id, *expiring);
  EXPECT_EQ((*h)[1].outcome, "expired");
  EXPECT_EQ((*h)[1].attr_keys, KeysOf({"first_name", "last_name"}));
  EXPECT_EQ((*h)[1].requested_at, t0 + 10);
  EXPECT_EQ((*h)[2].outcome, "open");
  for (const auto& r : *h) EXPECT_EQ(r.provider, s.provider.address());
}

TEST_P(LedgerConformanceTest, EventsAreFilteredByTopicKindAndBlock) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EthKey p2 = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, p2.address()));
  auto id1 = s.Request({"idnp"});
  ASSERT_OK(id1);
  const uint64_t mark = *ledger_->BlockNumber();
  Consent c = s.MakeConsent(s.user, p2, {"first_name"});
  auto id2 = ledger_->RequestValidation(p2, c, s.Sign(s.user.key, c));
  ASSERT_OK(id2);

  EventFilter by_provider;
  by_provider.provider = p2.address();
  auto e = *ledger_->Events(by_provider);
  ASSERT_EQ(e.size(), 2u) << "ProviderAdded and ValidationRequested";
  EXPECT_EQ(e[0].kind, EventKind::kProviderAdded);
  EXPECT_EQ(e[1].request_id, *id2);

  EventFilter requested;
  requested.kind = EventKind::kValidationRequested;
  requested.validator = s.validator.address();
  EXPECT_EQ(ledger_->Events(requested)->size(), 2u);
  requested.after_block = mark;
  auto later = *ledger_->Events(requested);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].request_id, *id2);
  EXPECT_GT(later[0].block, mark);

  EventFilter by_id;
  by_id.request_id = *id1;
  EXPECT_EQ(ledger_->Events(by_id)->size(), 1u);
  EventFilter all;
  auto everything = *ledger_->Events(all);
  ASSERT_FALSE(everything.empty());
  EXPECT_EQ(everything[0].kind, EventKind::kRegistryCreated);
  for (size_t i = 1; i < everything.size(); ++i) EXPECT_GE(everything[i].block, everything[i - 1].block);
}

}  // namespace
}  // namespace certme
