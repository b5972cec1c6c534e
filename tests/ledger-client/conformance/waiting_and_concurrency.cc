// Conformance: waiting for events and answers, and concurrent readers,
// writers and consents.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "tests/ledger-client/conformance/conformance_helpers.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

using namespace ledger_conformance;  // NOLINT: the suite's vocabulary
using std::chrono::milliseconds;
using std::chrono::seconds;

// ================================================================ waiting

TEST_P(LedgerConformanceTest, WaitForEventsTimesOutEmpty) {
  EventFilter f;
  f.after_block = *ledger_->BlockNumber();
  const auto start = std::chrono::steady_clock::now();
  auto r = ledger_->WaitForEvents(f, milliseconds(300));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_OK(r);
  EXPECT_TRUE(r->empty());
  EXPECT_GE(took, milliseconds(290));
}

TEST_P(LedgerConformanceTest, WaitForEventsWakesOnANewBlock) {
  EventFilter f;
  f.after_block = *ledger_->BlockNumber();
  f.kind = EventKind::kValidatorAdded;
  EthKey v = EthKey::Generate();
  std::latch waiting(1);
  std::thread writer([&] {
    waiting.wait();
    std::this_thread::sleep_for(milliseconds(50));
    (void)ledger_->AddValidator(admin_, v.address());
  });
  const auto start = std::chrono::steady_clock::now();
  waiting.count_down();
  auto r = ledger_->WaitForEvents(f, seconds(20));
  const auto took = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_OK(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].validator, v.address());
  EXPECT_LT(took, seconds(10)) << "woken by the block, not by the timeout";
}

TEST_P(LedgerConformanceTest, WaitForAnswerReportsTimeoutAndExpiry) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  auto id = s.Request({"idnp"}, 60);
  ASSERT_OK(id);
  auto r = ledger_->WaitForAnswer(*id, milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  Advance(seconds(61));
  EXPECT_REFUSED(ledger_->WaitForAnswer(*id, seconds(5)), kExpired);
  EXPECT_REFUSED(ledger_->WaitForAnswer(*id + 50, seconds(5)), kUnknownRequest);
}

// ================================================================ concurrency

TEST_P(LedgerConformanceTest, ReadersRunAlongsideWriters) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  constexpr int kWriters = 2, kUsersEach = 10, kReaders = 4;
  std::vector<std::vector<User>> users(kWriters);
  for (auto& group : users) group.resize(kUsersEach);  // distinct users (User() makes a key)
  std::vector<EthKey> validators;
  for (int w = 0; w < kWriters; ++w) {
    validators.push_back(EthKey::Generate());
    ASSERT_OK(ledger_->AddValidator(admin_, validators.back().address()));
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0}, reads{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      while (!done) {
        for (const auto& group : users)
          for (const auto& u : group) {
            auto st = ledger_->GetEidStatus(u.address());
            // A status is either not yet issued or active: never torn.
            if (!st.ok() || (*st != EidStatus::kNone && *st != EidStatus::kActive)) ++bad_reads;
            ++reads;
          }
        auto mine = ledger_->GetEidStatus(s.user.address());
        if (!mine.ok() || *mine != EidStatus::kActive) ++bad_reads;
      }
    });
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (const auto& u : users[w])
        if (!s.Enroll(u, validators[w]).ok()) ++failures;
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_GT(reads.load(), 0);
  for (int w = 0; w < kWriters; ++w)
    for (const auto& u : users[w]) {
      EidRecord e = *ledger_->GetEid(u.address());
      EXPECT_EQ(e.status, EidStatus::kActive);
      EXPECT_EQ(e.validator, validators[w].address());
    }
}

TEST_P(LedgerConformanceTest, ConcurrentUsesOfOneConsentHaveOneWinner) {
  Scene s(*ledger_, admin_);
  ASSERT_OK(s.Setup());
  Consent c = s.MakeConsent(s.user, s.provider, {"idnp"});
  const std::string sig = s.Sign(s.user.key, c);
  constexpr int kThreads = 6;
  std::latch go(kThreads);
  std::atomic<int> won{0}, replayed{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      auto r = ledger_->RequestValidation(s.provider, c, sig);
      if (r.ok()) {
        ++won;
      } else if (LedgerErrorOf(r.status()) == LedgerErrorCode::kNonceUsed) {
        ++replayed;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(replayed.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace certme
