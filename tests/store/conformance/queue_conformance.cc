// The work-queue half of the Store contract (store/store.h: Enqueue,
// ClaimDue, Reschedule, Dequeue, QueueSize), on the same fixture and
// backends as store_conformance.cc.
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/store/conformance/store_conformance.h"

namespace certme {
namespace {

std::vector<std::string> Ids(const std::vector<QueueItem>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.id);
  return out;
}

TEST_P(StoreConformanceTest, QueueItemIsClaimedWhenDueWithItsValueAndAttempt) {
  ASSERT_TRUE(store_->Enqueue("outbox", "a", "payload-a", Duration::zero()).ok());
  ASSERT_TRUE(store_->Enqueue("outbox", "b", std::string("p\0b", 3), Ttl(1)).ok());
  EXPECT_EQ(*store_->QueueSize("outbox"), 2u);

  auto claimed = store_->ClaimDue("outbox", 10, Ttl(4));
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_EQ(claimed->size(), 1u) << "b is not due yet";
  EXPECT_EQ((*claimed)[0].id, "a");
  EXPECT_EQ((*claimed)[0].value, "payload-a");
  EXPECT_EQ((*claimed)[0].attempts, 1);

  Advance(1.5);
  claimed = store_->ClaimDue("outbox", 10, Ttl(4));
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(Ids(*claimed), std::vector<std::string>{"b"}) << "a is leased";
  EXPECT_EQ((*claimed)[0].value, std::string("p\0b", 3));
}

TEST_P(StoreConformanceTest, AClaimWhoseLeaseLapsesIsClaimedAgain) {
  ASSERT_TRUE(store_->Enqueue("outbox", "job", "v", Duration::zero()).ok());
  ASSERT_EQ(store_->ClaimDue("outbox", 1, Ttl(1))->size(), 1u);
  Advance(0.5);
  EXPECT_TRUE(store_->ClaimDue("outbox", 1, Ttl(1))->empty()) << "still leased";
  Advance(1);
  auto again = store_->ClaimDue("outbox", 1, Ttl(1));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u) << "the claimer died: the item comes back";
  EXPECT_EQ((*again)[0].attempts, 2);
}

TEST_P(StoreConformanceTest, QueueClaimsEarliestDueFirstAndAtMostMax) {
  ASSERT_TRUE(store_->Enqueue("q", "late", "", Ttl(1)).ok());
  ASSERT_TRUE(store_->Enqueue("q", "early", "", Duration::zero()).ok());
  ASSERT_TRUE(store_->Enqueue("q", "middle", "", Ttl(0.5)).ok());
  Advance(1.5);
  auto first = store_->ClaimDue("q", 2, Ttl(10));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Ids(*first), (std::vector<std::string>{"early", "middle"}));
  auto rest = store_->ClaimDue("q", 2, Ttl(10));
  EXPECT_EQ(Ids(*rest), std::vector<std::string>{"late"});
  EXPECT_TRUE(store_->ClaimDue("q", 2, Ttl(10))->empty());
}

TEST_P(StoreConformanceTest, RescheduleAndDequeue) {
  ASSERT_TRUE(store_->Enqueue("q", "x", "v", Duration::zero()).ok());
  ASSERT_EQ(store_->ClaimDue("q", 1, Ttl(10))->size(), 1u);
  // A failed attempt: retry after a backoff shorter than the lease.
  ASSERT_TRUE(store_->Reschedule("q", "x", Ttl(1)).ok());
  EXPECT_TRUE(store_->ClaimDue("q", 1, Ttl(10))->empty());
  Advance(1.5);
  auto again = store_->ClaimDue("q", 1, Ttl(10));
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].attempts, 2);

  ASSERT_TRUE(store_->Dequeue("q", "x").ok());
  EXPECT_EQ(*store_->QueueSize("q"), 0u);
  EXPECT_TRUE(store_->Dequeue("q", "x").ok()) << "dequeue of an absent item is OK";
  EXPECT_EQ(store_->Reschedule("q", "x", Duration::zero()).code(), StatusCode::kNotFound);
  // Once removed, the id may be queued again, with a fresh attempt count.
  ASSERT_TRUE(store_->Enqueue("q", "x", "w", Duration::zero()).ok());
  auto fresh = store_->ClaimDue("q", 1, Ttl(10));
  ASSERT_EQ(fresh->size(), 1u);
  EXPECT_EQ((*fresh)[0].attempts, 1);
  EXPECT_EQ((*fresh)[0].value, "w");
}

TEST_P(StoreConformanceTest, QueuesAreSeparateFromEachOtherAndFromKeys) {
  ASSERT_TRUE(store_->Enqueue("q", "id", "in queue", Duration::zero()).ok());
  EXPECT_EQ(store_->Enqueue("q", "id", "again", Duration::zero()).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->Enqueue("q2", "id", "other queue", Duration::zero()).ok());
  ASSERT_TRUE(store_->Put("q", "id", "a key", kNoExpiry).ok());
  EXPECT_EQ(*store_->Get("q", "id"), "a key");
  EXPECT_TRUE(store_->List("q")->size() == 1u) << "queue items are not keys";
  auto claimed = store_->ClaimDue("q", 10, Ttl(1));
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].value, "in queue");
  EXPECT_EQ(*store_->QueueSize("q2"), 1u);
  EXPECT_EQ(*store_->QueueSize("empty"), 0u);
  EXPECT_TRUE(store_->ClaimDue("empty", 1, Ttl(1))->empty());
}

TEST_P(StoreConformanceTest, QueueArgumentsAreChecked) {
  EXPECT_EQ(store_->Enqueue("", "id", "v", Duration::zero()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Enqueue("q", "", "v", Duration::zero()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Enqueue("q", "id", "v", Duration(-1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Enqueue("q", "id", std::string(kMaxStoreValueBytes + 1, 'x'), Duration::zero()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ClaimDue("q", 0, Ttl(1)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ClaimDue("q", 1, Duration::zero()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Reschedule("q", "id", Duration(-1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->QueueSize("q"), 0u) << "refused calls change nothing";
}

TEST_P(StoreConformanceTest, ConcurrentClaimersNeverShareAnItem) {
  constexpr int kItems = 60;
  for (int i = 0; i < kItems; ++i) {
    ASSERT_TRUE(store_->Enqueue("q", "item-" + std::to_string(i), "", Duration::zero()).ok());
  }
  std::mutex mu;
  std::multiset<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto got = store_->ClaimDue("q", 4, Ttl(100));
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        if (got->empty()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& item : *got) seen.insert(item.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kItems));
  for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << id << " claimed twice";
}

}  // namespace
}  // namespace certme
