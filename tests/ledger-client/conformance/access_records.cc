// Conformance: recordAccess, a provider's access records (docs/ledger.md
// "Access records"): who may record, the batch bounds, and the events it
// leaves (one per record, nothing about the user in clear).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger-client/registry_abi.h"

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary

std::vector<AccessRecordEntry> Records(size_t n, size_t sealed_bytes = 60) {
  std::vector<AccessRecordEntry> out;
  for (size_t i = 0; i < n; ++i) {
    AccessRecordEntry r;
    r.tag = RandomNonce();
    r.sealed = SystemRandom().Bytes(sealed_bytes);
    out.push_back(std::move(r));
  }
  return out;
}

size_t RecordedCount(Ledger& l) {
  EventFilter f;
  f.kind = EventKind::kAccessRecorded;
  auto e = l.Events(f);
  return e.ok() ? e->size() : static_cast<size_t>(-1);
}

TEST_P(LedgerConformanceTest, AProviderRecordsAccessesOneEventEach) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto records = Records(3);
  records[1].sealed = std::string(1, '\0');  // one byte, even a zero, is a record
  auto r = ledger_->RecordAccess(s.provider, records);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const LedgerEvent& e = r->events[i];
    EXPECT_EQ(e.kind, EventKind::kAccessRecorded);
    EXPECT_EQ(e.provider, s.provider.address());
    EXPECT_EQ(e.actor, s.provider.address());
    EXPECT_EQ(e.tag, records[i].tag) << i;
    EXPECT_EQ(e.sealed, records[i].sealed) << i;
    EXPECT_EQ(e.index, i) << "in the batch's order";
    EXPECT_TRUE(e.user.empty()) << "no user in clear";
    EXPECT_TRUE(e.validator.empty());
    EXPECT_TRUE(e.attr_keys.empty());
  }
  EXPECT_EQ(std::string(EventKindName(EventKind::kAccessRecorded)), "AccessRecorded");

  // The wallet reads them by provider and kind.
  EthKey other = EthKey::Generate();
  ASSERT_OK(ledger_->AddProvider(admin_, other.address()));
  ASSERT_OK(ledger_->RecordAccess(other, Records(1)));
  EventFilter f;
  f.kind = EventKind::kAccessRecorded;
  f.provider = s.provider.address();
  auto mine = ledger_->Events(f);
  ASSERT_OK(mine);
  ASSERT_EQ(mine->size(), 3u);
  EXPECT_EQ((*mine)[2].sealed, records[2].sealed);
  EXPECT_EQ((*mine)[0].time, r->events[0].time);
  EXPECT_EQ((*mine)[0].block, r->block);
  EXPECT_EQ(RecordedCount(*ledger_), 4u);
  // Nothing of a record lands in the user's history or in any view.
  EXPECT_TRUE(UserAccessHistory(*ledger_, s.user.address())->empty());
}

TEST_P(LedgerConformanceTest, OnlyAnAuthorizedProviderRecordsAccesses) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EXPECT_REFUSED(ledger_->RecordAccess(admin_, Records(1)), kNotAuthorized);
  EXPECT_REFUSED(ledger_->RecordAccess(s.validator, Records(1)), kNotAuthorized);
  EXPECT_REFUSED(ledger_->RecordAccess(s.user.key, Records(1)), kNotAuthorized);
  ASSERT_OK(ledger_->RemoveProvider(admin_, s.provider.address()));
  EXPECT_REFUSED(ledger_->RecordAccess(s.provider, Records(1)), kNotAuthorized) << "removed since";
  EXPECT_EQ(RecordedCount(*ledger_), 0u);
  ASSERT_OK(ledger_->AddProvider(admin_, s.provider.address()));
  ASSERT_OK(ledger_->RecordAccess(s.provider, Records(1)));
  EXPECT_EQ(RecordedCount(*ledger_), 1u);
}

TEST_P(LedgerConformanceTest, AccessRecordBatchesAreBounded) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  EXPECT_REFUSED(ledger_->RecordAccess(s.provider, {}), kEmptyAttributes);
  EXPECT_REFUSED(ledger_->RecordAccess(s.provider, Records(kMaxRecordsPerCall + 1)), kBadCalldata);
  EXPECT_REFUSED(ledger_->RecordAccess(s.provider, Records(1, kMaxSealedBytes + 1)), kBadCalldata);
  auto empty = Records(2);
  empty[1].sealed.clear();
  EXPECT_REFUSED(ledger_->RecordAccess(s.provider, empty), kBadCalldata);
  // Bounds come before the role, as the decoder refuses a malformed call.
  EXPECT_REFUSED(ledger_->RecordAccess(s.user.key, Records(kMaxRecordsPerCall + 1)), kBadCalldata);
  // Tags and records of different numbers.
  std::vector<Bytes32> tags = {RandomNonce(), RandomNonce()};
  EXPECT_REFUSED(ledger_->Transact(s.provider, RecordAccessCall(tags, {"x"})), kLengthMismatch);
  EXPECT_EQ(RecordedCount(*ledger_), 0u);

  // The largest batch: 64 records of 1 KiB each.
  auto full = Records(kMaxRecordsPerCall, kMaxSealedBytes);
  auto r = ledger_->RecordAccess(s.provider, full);
  ASSERT_OK(r);
  ASSERT_EQ(r->events.size(), kMaxRecordsPerCall);
  EXPECT_EQ(r->events.back().sealed, full.back().sealed);
  EXPECT_EQ(r->events.back().tag, full.back().tag);
  EXPECT_EQ(RecordedCount(*ledger_), kMaxRecordsPerCall);
}

}  // namespace
}  // namespace certme
