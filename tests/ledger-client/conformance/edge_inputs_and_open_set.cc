// Conformance: edge inputs at the ABI level, with one outcome on every
// backend (numbers out of the registry's range, malformed arguments, and
// which refusal comes first), and the open set of each validator: expired
// requests leave it, it is read in bounded pages.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "ledger-client/registry_abi.h"

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::seconds;

constexpr uint64_t kTwoTo63 = uint64_t{1} << 63;

// Calldata with the 32-byte argument word `index` (0-based, after the
// selector) replaced by `word`.
std::string WithWord(std::string calldata, size_t index, const std::string& word) {
  calldata.replace(4 + 32 * index, 32, word);
  return calldata;
}

std::string Word(uint8_t top, uint64_t low) {
  std::string w(32, '\0');
  w[0] = static_cast<char>(top);
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<char>((low >> (8 * i)) & 0xff);
  return w;
}

std::vector<Bytes32> ManyKeys(size_t n) {
  std::vector<Bytes32> k;
  for (size_t i = 0; i < n; ++i) k.push_back(AttributeKey("attribute_" + std::to_string(i)));
  return k;
}

// ================================================================ numbers out of range

TEST_P(LedgerConformanceTest, ConsentExpiryFrom2To63IsMalformed) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  // A consent the user really signed, for "never expires" (2^63 seconds):
  // refused as malformed on every backend, not clamped, and its nonce stays
  // unused.
  c.expiry = kTwoTo63;
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(s.user.key, c)), kBadCalldata);
  c.expiry = UINT64_MAX;
  EXPECT_REFUSED(ledger_->RequestValidation(s.provider, c, s.Sign(s.user.key, c)), kBadCalldata);
  // Above 64 bits (only reachable with hand-made calldata).
  const std::string call = RequestValidationCall(c.user, c.attr_keys, c.nonce, 1000, s.Sign(s.user.key, c));
  EXPECT_REFUSED(ledger_->Transact(s.provider, WithWord(call, 3, Word(0x01, 1000))), kBadCalldata);
  EXPECT_FALSE(*ledger_->IsConsentNonceUsed(s.user.address(), s.provider.address(), c.nonce));

  // The largest expiry accepted is 2^63 - 1, kept as signed.
  c.expiry = kTwoTo63 - 1;
  auto id = ledger_->RequestValidation(s.provider, c, s.Sign(s.user.key, c));
  ASSERT_OK(id);
  EXPECT_EQ(ledger_->GetRequest(*id)->expiry, INT64_MAX);
  auto events = *ledger_->Events({.kind = EventKind::kValidationRequested, .request_id = *id});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].expiry, INT64_MAX);
}

TEST_P(LedgerConformanceTest, EnrolmentDeadlineFrom2To63IsMalformed) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const EthKey stranger = EthKey::Generate();  // holds no role
  User u;
  // An enrolment the user really signed, with a deadline of 2^63 seconds or
  // more: malformed on every backend (not clamped), before any role check.
  for (uint64_t deadline : {kTwoTo63, UINT64_MAX}) {
    Enrolment e{u.address(), s.validator.address(), u.Keys(), u.Commitments(), kLoaSubstantial, deadline};
    const std::string sig = SigBytes(SignEnrolment(u.key, ledger_->Domain(), e));
    EXPECT_REFUSED(ledger_->IssueEid(s.validator, u.address(), e.attr_keys, e.commitments, e.loa, deadline, sig),
                   kBadCalldata);
    EXPECT_REFUSED(ledger_->IssueEid(stranger, u.address(), e.attr_keys, e.commitments, e.loa, deadline, sig),
                   kBadCalldata);
  }
  // Above 64 bits (only reachable with hand-made calldata): word 4 is the deadline.
  Enrolment e{u.address(), s.validator.address(), u.Keys(), u.Commitments(), kLoaSubstantial, kTwoTo63 - 1};
  const std::string sig = SigBytes(SignEnrolment(u.key, ledger_->Domain(), e));
  const std::string call = IssueEidCall(u.address(), e.attr_keys, e.commitments, e.loa, e.deadline, sig);
  EXPECT_REFUSED(ledger_->Transact(s.validator, WithWord(call, 4, Word(0x01, e.deadline))), kBadCalldata);
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kNone);

  // The largest deadline accepted is 2^63 - 1.
  ASSERT_OK(ledger_->Transact(s.validator, call));
  EXPECT_EQ(*ledger_->GetEidStatus(u.address()), EidStatus::kActive);
}

TEST_P(LedgerConformanceTest, RequestIdFrom2To63IsMalformedBelowItUnknown) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const auto commitments = s.user.Commitments();
  const std::vector<Bytes32> one = {commitments[0]};
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, kTwoTo63, one, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, UINT64_MAX, one, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->Transact(s.validator, WithWord(AnswerValidationCall(1, one, kLoaLow), 0, Word(0x80, 1))),
                 kBadCalldata);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, kTwoTo63 - 1, one, kLoaLow), kUnknownRequest);
  EXPECT_REFUSED(ledger_->AnswerValidation(s.validator, 0, one, kLoaLow), kUnknownRequest);
  // The view names no calldata of a transaction: an id it does not hold.
  EXPECT_REFUSED(ledger_->GetRequest(kTwoTo63), kUnknownRequest);
  EXPECT_REFUSED(ledger_->GetRequest(UINT64_MAX), kUnknownRequest);
  EXPECT_REFUSED(ledger_->GetRequest(0), kUnknownRequest);
}

// ================================================================ malformed before unauthorized

TEST_P(LedgerConformanceTest, MalformedCallsAreRefusedBeforeAnyRoleCheck) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const EthKey stranger = EthKey::Generate();  // holds no role
  const auto keys65 = ManyKeys(kMaxAttributesPerCall + 1);
  const auto one = ManyKeys(1);
  const User& u = s.user;
  // Arrays over the limit, from someone without the role.
  EXPECT_REFUSED(ledger_->IssueEid(stranger, EthKey::Generate(), keys65, keys65, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->IssueEid(stranger, EthKey::Generate(), one, keys65, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->UpdateAttributes(stranger, u.address(), keys65, keys65), kBadCalldata);
  EXPECT_REFUSED(ledger_->ReattestEid(stranger, u.address(), keys65, keys65, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->ReattestEid(stranger, u.address(), one, keys65, kLoaLow), kBadCalldata);
  // An enrolment signature over 65 bytes, or a deadline of 2^63.
  const uint64_t deadline = static_cast<uint64_t>(ledger_->Now() + 600);
  EXPECT_REFUSED(ledger_->IssueEid(stranger, EthKey::Generate().address(), one, one, kLoaLow, deadline,
                                   std::string(66, '\x01')),
                 kBadCalldata);
  EXPECT_REFUSED(ledger_->IssueEid(stranger, EthKey::Generate().address(), one, one, kLoaLow, kTwoTo63,
                                   std::string(65, '\x01')),
                 kBadCalldata);
  EXPECT_REFUSED(ledger_->AnswerValidation(stranger, 1, keys65, kLoaLow), kBadCalldata);
  Consent c = s.MakeConsent(u, stranger, {"idnp"});
  c.attr_keys = keys65;
  EXPECT_REFUSED(ledger_->RequestValidation(stranger, c, std::string(65, '\x01')), kBadCalldata);
  c.attr_keys = KeysOf({"idnp"});
  EXPECT_REFUSED(ledger_->RequestValidation(stranger, c, std::string(66, '\x01')), kBadCalldata);
  c.expiry = kTwoTo63;
  EXPECT_REFUSED(ledger_->RequestValidation(stranger, c, std::string(65, '\x01')), kBadCalldata);
  EXPECT_REFUSED(ledger_->AnswerValidation(stranger, kTwoTo63, one, kLoaLow), kBadCalldata);
  // The same with the role: still malformed, not a rule's refusal.
  EXPECT_REFUSED(ledger_->UpdateAttributes(s.validator, u.address(), keys65, keys65), kBadCalldata);
  EXPECT_REFUSED(ledger_->IssueEid(s.validator, EthKey::Generate(), keys65, keys65, kLoaLow), kBadCalldata);
  EXPECT_REFUSED(ledger_->ReattestEid(s.validator, u.address(), keys65, keys65, kLoaLow), kBadCalldata);

  // Words no decoder accepts: an address with high bits set, a uint8
  // above 255, an unknown function, calldata shorter than a selector.
  const std::string add = AccountCall(RegistryMethod::kAddValidator, stranger.address());
  std::string dirty = Word(0x01, 0);
  dirty.replace(12, 20, stranger.address());
  EXPECT_REFUSED(ledger_->Transact(stranger, WithWord(add, 0, dirty)), kBadCalldata);
  EXPECT_REFUSED(ledger_->Transact(admin_, WithWord(add, 0, dirty)), kBadCalldata);
  const std::string issue = IssueEidCall(EthKey::Generate().address(), one, one, kLoaLow,
                                         static_cast<uint64_t>(ledger_->Now() + 600), std::string(65, '\x01'));
  EXPECT_REFUSED(ledger_->Transact(stranger, WithWord(issue, 3, Word(0, 0x101))), kBadCalldata);
  EXPECT_REFUSED(ledger_->Transact(stranger, std::string("\xde\xad\xbe\xef") + std::string(32, '\0')), kBadCalldata);
  EXPECT_REFUSED(ledger_->Transact(stranger, "\x01\x02"), kBadCalldata);
  EXPECT_FALSE(*ledger_->IsValidator(stranger.address())) << "nothing changed";
}

// ================================================================ the open set

TEST_P(LedgerConformanceTest, ExpiredRequestsLeaveTheOpenSet) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::string v = s.validator.address();
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 0u);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = s.Request({"idnp"}, 60);
    ASSERT_OK(id);
    ids.push_back(*id);
  }
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 3u);
  Advance(seconds(120));
  // Expired: not pending any more, but still in the set until pruned.
  EXPECT_TRUE(ledger_->OpenRequests(v)->empty());
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 3u);
  auto page = *ledger_->OpenRequestIds(v, 0, kMaxOpenPage);
  ASSERT_EQ(page.size(), 3u);
  for (const auto& e : page) {
    EXPECT_LE(e.expiry, ledger_->Now());
    EXPECT_EQ(e.expiry, ledger_->GetRequest(e.id)->expiry);
  }

  // A new request for the validator prunes two expired entries first.
  auto fresh = s.Request({"idnp"}, 600);
  ASSERT_OK(fresh);
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 2u);
  // Anyone may prune the rest; the requests stay readable, still unanswered.
  const EthKey stranger = EthKey::Generate();
  EXPECT_REFUSED(ledger_->PruneExpired(stranger, v, 0), kBadCalldata);
  EXPECT_REFUSED(ledger_->PruneExpired(stranger, v, kMaxPruneCount + 1), kBadCalldata);
  ASSERT_OK(ledger_->PruneExpired(stranger, v, kMaxPruneCount));
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 1u);
  page = *ledger_->OpenRequestIds(v, 0, kMaxOpenPage);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, *fresh);
  for (uint64_t id : ids) {
    auto r = ledger_->GetRequest(id);
    ASSERT_OK(r);
    EXPECT_EQ(r->status, RequestStatus::kOpen);
  }
  auto open = *ledger_->OpenRequests(v);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, *fresh);
  // Pruning an empty or unexpired set changes nothing; answering empties it.
  ASSERT_OK(ledger_->PruneExpired(stranger, v, 1));
  ASSERT_OK(ledger_->PruneExpired(stranger, stranger.address(), 1));
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 1u);
  ASSERT_OK(s.Answer(*fresh, s.validator));
  EXPECT_EQ(*ledger_->OpenRequestCount(v), 0u);
}

TEST_P(LedgerConformanceTest, TheOpenSetIsReadInBoundedPages) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  const std::string v = s.validator.address();
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = s.Request({"idnp"}, 600);
    ASSERT_OK(id);
    ids.push_back(*id);
  }
  EXPECT_REFUSED(ledger_->OpenRequestIds(v, 0, kMaxOpenPage + 1), kBadCalldata);
  std::vector<uint64_t> seen;
  for (uint64_t start = 0; start < 5; start += 2) {
    auto page = *ledger_->OpenRequestIds(v, start, 2);
    EXPECT_EQ(page.size(), start + 2 <= 5 ? 2u : 1u);
    for (const auto& e : page) seen.push_back(e.id);
  }
  EXPECT_EQ(seen, ids) << "in order of arrival while nothing was removed";
  EXPECT_TRUE(ledger_->OpenRequestIds(v, 5, 10)->empty());
  EXPECT_TRUE(ledger_->OpenRequestIds(v, UINT64_MAX, kMaxOpenPage)->empty());
  // An answer moves the last entry into the freed slot.
  ASSERT_OK(s.Answer(ids[1], s.validator));
  auto page = *ledger_->OpenRequestIds(v, 0, kMaxOpenPage);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page[1].id, ids[4]);
  EXPECT_EQ(ledger_->OpenRequests(v)->size(), 4u);
}

}  // namespace
}  // namespace certme
