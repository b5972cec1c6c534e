#include "tests/store/conformance/store_conformance.h"

#include <stdlib.h>

#include <atomic>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace certme {

using ::testing::TestParamInfo;

std::string StoreBackendName(const TestParamInfo<StoreBackend>& info) { return info.param.name; }

void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

void StoreConformanceTest::SetUp() {
  ASSERT_TRUE(GetParam().make) << "backend " << GetParam().name << " has no factory";
  StoreOrStatus made = GetParam().make(&clock_);
  if (!made.ok() && made.status().code() == StatusCode::kUnavailable) {
    GTEST_SKIP() << GetParam().name << " backend unavailable: " << made.status().ToString();
  }
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  store_ = std::move(made).value();
  ASSERT_NE(store_, nullptr);
}

Duration StoreConformanceTest::Ttl(double units) const {
  return Duration(static_cast<int64_t>(GetParam().ttl_unit.count() * units));
}

void StoreConformanceTest::Advance(double units) {
  Duration d = Ttl(units);
  if (GetParam().advance) {
    GetParam().advance(&clock_, d);
  } else {
    clock_.Advance(d);
  }
}

ScopedTempDir::ScopedTempDir() {
  std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "certme-store-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << tmpl;
  }
  path_ = tmpl;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScopedTempDir::NewFile(const std::string& suffix) {
  return (path_ / (std::to_string(++counter_) + suffix)).string();
}

namespace {

constexpr Duration kForever = kNoExpiry;

#define EXPECT_CODE(expr, want)                                    \
  do {                                                              \
    auto _r = (expr);                                               \
    EXPECT_EQ(StatusOf(_r).code(), (want)) << StatusOf(_r).ToString(); \
  } while (0)

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) {
  return s.status();
}

// ---------------------------------------------------------------- basics

TEST_P(StoreConformanceTest, PutThenGetReturnsTheValue) {
  ASSERT_TRUE(store_->Put("ns", "k", "v1", kForever).ok());
  auto got = store_->Get("ns", "k");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "v1");
}

TEST_P(StoreConformanceTest, GetOfAbsentKeyIsNotFound) {
  EXPECT_CODE(store_->Get("ns", "missing"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PutReplacesValueAndTtl) {
  ASSERT_TRUE(store_->Put("ns", "k", "v1", Ttl(1)).ok());
  ASSERT_TRUE(store_->Put("ns", "k", "v2", kForever).ok());
  Advance(2);
  auto got = store_->Get("ns", "k");
  ASSERT_TRUE(got.ok()) << "replacing with no ttl must drop the old ttl";
  EXPECT_EQ(*got, "v2");

  ASSERT_TRUE(store_->Put("ns", "k", "v3", Ttl(1)).ok());
  Advance(0.5);
  EXPECT_EQ(*store_->Get("ns", "k"), "v3");
  Advance(1);
  EXPECT_CODE(store_->Get("ns", "k"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PingAndName) {
  EXPECT_TRUE(store_->Ping().ok());
  EXPECT_FALSE(store_->Name().empty());
}

// ----------------------------------------------------------- PutIfAbsent

TEST_P(StoreConformanceTest, PutIfAbsentCreatesOnlyOnce) {
  ASSERT_TRUE(store_->PutIfAbsent("replay", "jti-1", "first", kForever).ok());
  EXPECT_CODE(store_->PutIfAbsent("replay", "jti-1", "second", kForever),
              StatusCode::kAlreadyExists);
  EXPECT_EQ(*store_->Get("replay", "jti-1"), "first");
}

TEST_P(StoreConformanceTest, PutIfAbsentSucceedsAfterExpiry) {
  ASSERT_TRUE(store_->PutIfAbsent("replay", "id", "old", Ttl(1)).ok());
  Advance(0.5);
  EXPECT_CODE(store_->PutIfAbsent("replay", "id", "early", Ttl(1)), StatusCode::kAlreadyExists);
  Advance(1);
  ASSERT_TRUE(store_->PutIfAbsent("replay", "id", "new", Ttl(2)).ok());
  EXPECT_EQ(*store_->Get("replay", "id"), "new");
  // The new entry carries its own ttl, not the expired one's.
  Advance(1);
  EXPECT_EQ(*store_->Get("replay", "id"), "new");
  Advance(1.5);
  EXPECT_CODE(store_->Get("replay", "id"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PutIfAbsentSucceedsAfterDeleteOrConsume) {
  ASSERT_TRUE(store_->Put("ns", "k", "a", kForever).ok());
  ASSERT_TRUE(store_->Delete("ns", "k").ok());
  ASSERT_TRUE(store_->PutIfAbsent("ns", "k", "b", kForever).ok());
  ASSERT_TRUE(store_->Consume("ns", "k").ok());
  ASSERT_TRUE(store_->PutIfAbsent("ns", "k", "c", kForever).ok());
  EXPECT_EQ(*store_->Get("ns", "k"), "c");
}

// --------------------------------------------------------------- Consume

TEST_P(StoreConformanceTest, ConsumeReturnsValueExactlyOnce) {
  ASSERT_TRUE(store_->Put("codes", "c1", "payload", Ttl(1)).ok());
  auto first = store_->Consume("codes", "c1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, "payload");
  EXPECT_CODE(store_->Consume("codes", "c1"), StatusCode::kNotFound);
  EXPECT_CODE(store_->Get("codes", "c1"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ConsumeOfAbsentKeyIsNotFound) {
  EXPECT_CODE(store_->Consume("codes", "never"), StatusCode::kNotFound);
}

// ------------------------------------------------------ CompareAndSwap

TEST_P(StoreConformanceTest, CompareAndSwapReplacesOnMatch) {
  ASSERT_TRUE(store_->Put("rt", "family", "gen1", kForever).ok());
  ASSERT_TRUE(store_->CompareAndSwap("rt", "family", "gen1", "gen2", kForever).ok());
  EXPECT_EQ(*store_->Get("rt", "family"), "gen2");
}

TEST_P(StoreConformanceTest, CompareAndSwapMismatchIsFailedPreconditionAndChangesNothing) {
  ASSERT_TRUE(store_->Put("rt", "family", "gen2", Ttl(2)).ok());
  EXPECT_CODE(store_->CompareAndSwap("rt", "family", "gen1", "gen3", kForever),
              StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store_->Get("rt", "family"), "gen2");
  // The failed swap must not have touched the ttl either.
  Advance(2.5);
  EXPECT_CODE(store_->Get("rt", "family"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, CompareAndSwapOfAbsentKeyIsNotFound) {
  EXPECT_CODE(store_->CompareAndSwap("rt", "nope", "a", "b", kForever), StatusCode::kNotFound);
  EXPECT_CODE(store_->Get("rt", "nope"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, CompareAndSwapAppliesTheNewTtl) {
  ASSERT_TRUE(store_->Put("rt", "a", "1", kForever).ok());
  ASSERT_TRUE(store_->CompareAndSwap("rt", "a", "1", "2", Ttl(1)).ok());
  ASSERT_TRUE(store_->Put("rt", "b", "1", Ttl(1)).ok());
  ASSERT_TRUE(store_->CompareAndSwap("rt", "b", "1", "2", kForever).ok());
  Advance(1.5);
  EXPECT_CODE(store_->Get("rt", "a"), StatusCode::kNotFound);
  EXPECT_EQ(*store_->Get("rt", "b"), "2");
}

TEST_P(StoreConformanceTest, CompareAndSwapComparesWholeBinaryValues) {
  std::string v("a\0b", 3);
  ASSERT_TRUE(store_->Put("rt", "k", v, kForever).ok());
  // A prefix up to the NUL must not count as equal.
  EXPECT_CODE(store_->CompareAndSwap("rt", "k", std::string("a", 1), "x", kForever),
              StatusCode::kFailedPrecondition);
  EXPECT_CODE(store_->CompareAndSwap("rt", "k", std::string("a\0c", 3), "x", kForever),
              StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->CompareAndSwap("rt", "k", v, "x", kForever).ok());
  EXPECT_EQ(*store_->Get("rt", "k"), "x");
}

// ---------------------------------------------------------------- Delete

TEST_P(StoreConformanceTest, DeleteRemovesAndIsIdempotent) {
  ASSERT_TRUE(store_->Put("ns", "k", "v", kForever).ok());
  ASSERT_TRUE(store_->Delete("ns", "k").ok());
  EXPECT_CODE(store_->Get("ns", "k"), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Delete("ns", "k").ok());
  EXPECT_TRUE(store_->Delete("ns", "never-existed").ok());
}

// ------------------------------------------------------------------ List

TEST_P(StoreConformanceTest, ListIsOrderedByKeyBytes) {
  // Byte order: uppercase < lowercase, a prefix sorts before its
  // extensions, NUL sorts first, 0xff sorts last (unsigned).
  const std::vector<std::string> keys = {"b", "a", "B", std::string("a\0z", 3), "ab",
                                         "\xff", "a\x7f", "\x01"};
  for (const auto& k : keys) ASSERT_TRUE(store_->Put("reg", k, "v:" + k, kForever).ok());
  auto list = store_->List("reg");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  const std::vector<std::string> want = {"\x01", "B", "a", std::string("a\0z", 3), "ab",
                                         "a\x7f", "b", "\xff"};
  ASSERT_EQ(list->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*list)[i].key, want[i]) << "position " << i;
    EXPECT_EQ((*list)[i].value, "v:" + want[i]);
  }
}

TEST_P(StoreConformanceTest, ListOfEmptyNamespaceIsEmpty) {
  auto list = store_->List("nothing-here");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
}

TEST_P(StoreConformanceTest, ListSkipsExpiredAndRemovedEntries) {
  ASSERT_TRUE(store_->Put("reg", "keep", "1", kForever).ok());
  ASSERT_TRUE(store_->Put("reg", "short", "2", Ttl(1)).ok());
  ASSERT_TRUE(store_->Put("reg", "long", "3", Ttl(3)).ok());
  ASSERT_TRUE(store_->Put("reg", "gone", "4", kForever).ok());
  ASSERT_TRUE(store_->Delete("reg", "gone").ok());
  Advance(1.5);
  auto list = store_->List("reg");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "keep");
  EXPECT_EQ((*list)[1].key, "long");
}

// ------------------------------------------------------------ expiry

TEST_P(StoreConformanceTest, ExpiredKeyIsAbsentForEveryMethod) {
  for (const char* k : {"get", "consume", "cas", "pia", "del", "list"}) {
    ASSERT_TRUE(store_->Put("ttl", k, "old", Ttl(1)).ok());
  }
  Advance(0.5);
  // Still live half a unit before expiry.
  EXPECT_EQ(*store_->Get("ttl", "get"), "old");
  Advance(1);
  EXPECT_CODE(store_->Get("ttl", "get"), StatusCode::kNotFound);
  EXPECT_CODE(store_->Consume("ttl", "consume"), StatusCode::kNotFound);
  EXPECT_CODE(store_->CompareAndSwap("ttl", "cas", "old", "new", kForever), StatusCode::kNotFound);
  EXPECT_TRUE(store_->PutIfAbsent("ttl", "pia", "new", kForever).ok());
  EXPECT_TRUE(store_->Delete("ttl", "del").ok());
  auto list = store_->List("ttl");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "pia");
  EXPECT_EQ((*list)[0].value, "new");
  // CAS did not resurrect its key; Delete of an expired key left it absent.
  EXPECT_CODE(store_->Get("ttl", "cas"), StatusCode::kNotFound);
  EXPECT_CODE(store_->Get("ttl", "del"), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PutOverExpiredKeyStartsAFreshEntry) {
  ASSERT_TRUE(store_->Put("ttl", "k", "old", Ttl(1)).ok());
  Advance(1.5);
  ASSERT_TRUE(store_->Put("ttl", "k", "new", kForever).ok());
  Advance(10);
  EXPECT_EQ(*store_->Get("ttl", "k"), "new");
}

TEST_P(StoreConformanceTest, KeysWithoutTtlNeverExpire) {
  ASSERT_TRUE(store_->Put("ttl", "k", "v", kForever).ok());
  Advance(20);
  EXPECT_EQ(*store_->Get("ttl", "k"), "v");
}

// ----------------------------------------------------------- namespaces

TEST_P(StoreConformanceTest, NamespacesAreIsolated) {
  ASSERT_TRUE(store_->Put("a", "k", "in-a", kForever).ok());
  ASSERT_TRUE(store_->Put("b", "k", "in-b", kForever).ok());
  // Namespaces that are prefixes of each other or differ by a NUL byte.
  ASSERT_TRUE(store_->Put("ab", "k", "in-ab", kForever).ok());
  ASSERT_TRUE(store_->Put(std::string("a\0", 2), "k", "in-a0", kForever).ok());
  EXPECT_EQ(*store_->Get("a", "k"), "in-a");
  EXPECT_EQ(*store_->Get("b", "k"), "in-b");

  EXPECT_EQ(*store_->Consume("a", "k"), "in-a");
  EXPECT_EQ(*store_->Get("b", "k"), "in-b");
  EXPECT_TRUE(store_->PutIfAbsent("a", "k", "again", kForever).ok());
  EXPECT_CODE(store_->CompareAndSwap("b", "k", "again", "x", kForever),
              StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Delete("b", "k").ok());
  EXPECT_EQ(*store_->Get("a", "k"), "again");

  auto a = store_->List("a");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 1u);
  EXPECT_EQ((*a)[0].value, "again");
  EXPECT_TRUE(store_->List("b")->empty());
  EXPECT_EQ(store_->List("ab")->size(), 1u);
}

// -------------------------------------------------- bounds and bytes

TEST_P(StoreConformanceTest, KeyAndNamespaceBoundsAreInvalidArgument) {
  const std::string max(kMaxStoreKeyBytes, 'k');
  const std::string over(kMaxStoreKeyBytes + 1, 'k');
  ASSERT_TRUE(store_->Put(max, max, "v", kForever).ok());
  EXPECT_EQ(*store_->Get(max, max), "v");

  for (const auto& [ns, key] : std::vector<std::pair<std::string, std::string>>{
           {"", "k"}, {"ns", ""}, {over, "k"}, {"ns", over}}) {
    SCOPED_TRACE("ns size " + std::to_string(ns.size()) + ", key size " + std::to_string(key.size()));
    EXPECT_CODE(store_->Put(ns, key, "v", kForever), StatusCode::kInvalidArgument);
    EXPECT_CODE(store_->PutIfAbsent(ns, key, "v", kForever), StatusCode::kInvalidArgument);
    EXPECT_CODE(store_->Get(ns, key), StatusCode::kInvalidArgument);
    EXPECT_CODE(store_->Consume(ns, key), StatusCode::kInvalidArgument);
    EXPECT_CODE(store_->CompareAndSwap(ns, key, "v", "w", kForever), StatusCode::kInvalidArgument);
    EXPECT_CODE(store_->Delete(ns, key), StatusCode::kInvalidArgument);
  }
  EXPECT_CODE(store_->List(""), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->List(over), StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, ValueBoundIsInvalidArgument) {
  std::string max(kMaxStoreValueBytes, 'x');
  max[0] = '\0';
  max[max.size() - 1] = '\xff';
  ASSERT_TRUE(store_->Put("big", "k", max, kForever).ok());
  auto got = store_->Get("big", "k");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == max) << "1 MiB value did not round-trip";

  const std::string over(kMaxStoreValueBytes + 1, 'x');
  EXPECT_CODE(store_->Put("big", "o", over, kForever), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->PutIfAbsent("big", "o", over, kForever), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->CompareAndSwap("big", "k", max, over, kForever),
              StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->Get("big", "o"), StatusCode::kNotFound);
  EXPECT_TRUE(*store_->Get("big", "k") == max) << "rejected CAS changed the value";
}

TEST_P(StoreConformanceTest, NegativeTtlIsInvalidArgument) {
  EXPECT_CODE(store_->Put("ns", "k", "v", Duration(-1)), StatusCode::kInvalidArgument);
  EXPECT_CODE(store_->PutIfAbsent("ns", "k", "v", Duration(-1)), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->Put("ns", "k", "v", kForever).ok());
  EXPECT_CODE(store_->CompareAndSwap("ns", "k", "v", "w", Duration(-1)),
              StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->Get("ns", "k"), "v");
}

TEST_P(StoreConformanceTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key("k\0\xff\x80", 4);
  const std::string value("\0\0v\0\xfe\xff\n\r", 8);
  ASSERT_TRUE(store_->Put("bin", key, value, kForever).ok());
  auto got = store_->Get("bin", key);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, value);
  EXPECT_EQ(got->size(), 8u);
  // A key differing only after the NUL is a different key.
  EXPECT_CODE(store_->Get("bin", std::string("k\0\xff", 3)), StatusCode::kNotFound);
  auto list = store_->List("bin");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, key);
  EXPECT_EQ((*list)[0].value, value);
  EXPECT_EQ(*store_->Consume("bin", key), value);
}

TEST_P(StoreConformanceTest, EmptyValueIsAValueNotAnAbsence) {
  ASSERT_TRUE(store_->Put("ns", "empty", "", kForever).ok());
  auto got = store_->Get("ns", "empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  EXPECT_CODE(store_->PutIfAbsent("ns", "empty", "x", kForever), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->CompareAndSwap("ns", "empty", "", "now-set", kForever).ok());
  ASSERT_TRUE(store_->CompareAndSwap("ns", "empty", "now-set", "", kForever).ok());
  auto consumed = store_->Consume("ns", "empty");
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, "");
}

// ---------------------------------------------------------- concurrency

constexpr int kThreads = 8;

// Runs body(thread_index) on kThreads threads released together.
template <typename F>
void RaceThreads(F body) {
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t);
    });
  }
  for (auto& th : threads) th.join();
}

TEST_P(StoreConformanceTest, RacingConsumeHasExactlyOneWinnerPerKey) {
  constexpr int kKeys = 64;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(store_->Put("codes", "code-" + std::to_string(k), "v" + std::to_string(k), Ttl(100)).ok());
  }
  std::vector<std::atomic<int>> winners(kKeys);
  std::atomic<int> wrong_value{0}, other_error{0};
  RaceThreads([&](int t) {
    // Threads walk the keys from different starting points so that every
    // key sees both head-on and staggered races.
    for (int i = 0; i < kKeys; ++i) {
      int k = (i + t * (kKeys / kThreads)) % kKeys;
      auto r = store_->Consume("codes", "code-" + std::to_string(k));
      if (r.ok()) {
        winners[k]++;
        if (*r != "v" + std::to_string(k)) wrong_value++;
      } else if (r.status().code() != StatusCode::kNotFound) {
        other_error++;
      }
    }
  });
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(winners[k].load(), 1) << "key " << k;
  EXPECT_EQ(wrong_value.load(), 0);
  EXPECT_EQ(other_error.load(), 0);
}

TEST_P(StoreConformanceTest, RacingPutIfAbsentHasExactlyOneWinnerPerKey) {
  constexpr int kKeys = 32;
  std::vector<std::atomic<int>> winner_count(kKeys);
  std::vector<std::atomic<int>> winner(kKeys);
  std::atomic<int> other_error{0};
  RaceThreads([&](int t) {
    for (int k = 0; k < kKeys; ++k) {
      Status s = store_->PutIfAbsent("replay", "id-" + std::to_string(k), "t" + std::to_string(t),
                                     Ttl(100));
      if (s.ok()) {
        winner_count[k]++;
        winner[k] = t;
      } else if (s.code() != StatusCode::kAlreadyExists) {
        other_error++;
      }
    }
  });
  EXPECT_EQ(other_error.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_EQ(winner_count[k].load(), 1) << "key " << k;
    // The stored value is the one written by the single winner.
    EXPECT_EQ(*store_->Get("replay", "id-" + std::to_string(k)), "t" + std::to_string(winner[k]));
  }
}

TEST_P(StoreConformanceTest, ConcurrentCompareAndSwapLosesNoUpdate) {
  constexpr int kPerThread = 25;
  ASSERT_TRUE(store_->Put("ctr", "n", "0", kForever).ok());
  std::atomic<int> swaps{0}, errors{0};
  RaceThreads([&](int) {
    for (int i = 0; i < kPerThread;) {
      auto cur = store_->Get("ctr", "n");
      if (!cur.ok()) {
        errors++;
        return;
      }
      Status s = store_->CompareAndSwap("ctr", "n", *cur, std::to_string(std::stoi(*cur) + 1),
                                        kForever);
      if (s.ok()) {
        swaps++;
        ++i;
      } else if (s.code() != StatusCode::kFailedPrecondition) {
        errors++;
        return;
      }
    }
  });
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(swaps.load(), kThreads * kPerThread);
  EXPECT_EQ(*store_->Get("ctr", "n"), std::to_string(kThreads * kPerThread));
}

TEST_P(StoreConformanceTest, ConcurrentWritersReadTheirOwnWrites) {
  constexpr int kPerThread = 40;
  std::atomic<int> mismatches{0};
  RaceThreads([&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
      std::string value(100 + i, static_cast<char>('a' + t));
      if (!store_->Put("rw", key, value, kForever).ok()) {
        mismatches++;
        continue;
      }
      auto got = store_->Get("rw", key);
      if (!got.ok() || *got != value) mismatches++;
    }
  });
  EXPECT_EQ(mismatches.load(), 0);
  auto list = store_->List("rw");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace certme
