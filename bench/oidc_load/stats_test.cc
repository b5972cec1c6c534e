#include "bench/oidc_load/stats.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace certme::bench {
namespace {

TEST(LatencyTest, NearestRankPercentiles) {
  std::vector<uint32_t> v;
  for (uint32_t i = 100; i >= 1; --i) v.push_back(i * 1000);  // 1..100 ms, reversed
  LatencySummary s = Summarize(v);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_EQ(v.front(), 1000u);  // sorted in place

  std::vector<uint32_t> one = {7000};
  LatencySummary o = Summarize(one);
  EXPECT_DOUBLE_EQ(o.p50_ms, 7);
  EXPECT_DOUBLE_EQ(o.p99_ms, 7);

  std::vector<uint32_t> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(ten, 50), 5u);
  EXPECT_EQ(Percentile(ten, 99), 10u);
  EXPECT_EQ(Percentile(ten, 91), 10u);
  EXPECT_EQ(Percentile(ten, 90), 9u);

  std::vector<uint32_t> empty;
  EXPECT_EQ(Summarize(empty).count, 0u);
}

TEST(ProcStatTest, ParsesUtimeAndStimeAfterTheLastParen) {
  // A command name with spaces and ')' must not shift the fields.
  std::string stat = "4242 (evil) name (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 4 0 "
                     "123 456789 789 18446744073709551615\n";
  auto cpu = ParseProcStat(stat, 100);
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_DOUBLE_EQ(cpu->user_s, 2.5);
  EXPECT_DOUBLE_EQ(cpu->system_s, 0.75);
  EXPECT_DOUBLE_EQ(cpu->total(), 3.25);

  EXPECT_FALSE(ParseProcStat("no parens here", 100).ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2 3", 100).ok());
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 2x 7 0", 100).ok());
  EXPECT_FALSE(ParseProcStat(stat, 0).ok());
}

TEST(ProcStatusTest, ParsesRssPeakAndThreads) {
  std::string status =
      "Name:\tcertme\nVmPeak:\t  300000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\nThreads:\t5\n";
  auto m = ParseProcStatus(status);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->hwm_kib, 51234);
  EXPECT_EQ(m->rss_kib, 40960);
  EXPECT_EQ(m->threads, 5);
  EXPECT_FALSE(ParseProcStatus("Name:\tkthread\nThreads:\t1\n").ok());
}

TEST(ProcReadTest, ReadsThisProcess) {
  auto before = ReadProcCpu(getpid());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  // Burn 100 ms of CPU time (not wall time: the machine may be busy) so the
  // 10 ms tick counter must move.
  const double cpu0 = SelfCpu().total();
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  volatile uint64_t x = 0;
  while (SelfCpu().total() - cpu0 < 0.1 && std::chrono::steady_clock::now() < give_up)
    for (int i = 0; i < 100000; ++i) x = x + 1;
  auto after = ReadProcCpu(getpid());
  ASSERT_TRUE(after.ok());
  EXPECT_GT(after->total(), before->total());

  // Touch 32 MiB so the resident size must reflect it.
  std::vector<char> big(32 << 20);
  std::memset(big.data(), 1, big.size());
  auto mem = ReadProcMemory(getpid());
  ASSERT_TRUE(mem.ok());
  EXPECT_GE(mem->rss_kib, 32 * 1024);
  EXPECT_GE(mem->hwm_kib, mem->rss_kib);
  EXPECT_GE(mem->threads, 1);
  EXPECT_EQ(big[12345], 1);

  EXPECT_FALSE(ReadProcCpu(-5).ok());
}

}  // namespace
}  // namespace certme::bench
