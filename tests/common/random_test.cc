// Random (common/random.h): the system source's per-thread buffer hands out
// each byte once, across sizes, threads and fork(); FakeRandom stays
// deterministic.
#include "common/random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace certme {
namespace {

// 16-byte windows of CSPRNG output never repeat by chance (2^-128 per pair):
// a repeat means bytes were handed out twice.
void ExpectNoRepeatedBlocks(const std::vector<std::string>& draws) {
  std::set<std::string> seen;
  for (const auto& d : draws) {
    for (size_t i = 0; i + 16 <= d.size(); i += 16) {
      EXPECT_TRUE(seen.insert(d.substr(i, 16)).second) << "repeated random bytes";
    }
  }
}

TEST(SystemRandomTest, SizesAcrossRefillsNeverRepeat) {
  std::vector<std::string> draws;
  // Mixed sizes cross the buffer's refills at different offsets; 65+ bytes go
  // straight to RAND_bytes.
  for (int i = 0; i < 2000; ++i) {
    size_t n = std::vector<size_t>{16, 32, 48, 64, 80, 512}[i % 6];
    std::string b = SystemRandom().Bytes(n);
    ASSERT_EQ(b.size(), n);
    draws.push_back(std::move(b));
  }
  ExpectNoRepeatedBlocks(draws);
  EXPECT_EQ(SystemRandom().Bytes(0), "");
  EXPECT_EQ(SystemRandom().Token(32).size(), 43u);
}

TEST(SystemRandomTest, ThreadsGetDistinctBytes) {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& v : per)
    threads.emplace_back([&v] {
      for (int i = 0; i < 500; ++i) v.push_back(SystemRandom().Bytes(32));
    });
  for (auto& t : threads) t.join();
  std::vector<std::string> all;
  for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
  ASSERT_EQ(all.size(), 2000u);
  ExpectNoRepeatedBlocks(all);
}

TEST(SystemRandomTest, ForkedChildDoesNotReuseTheParentsBuffer) {
  // Prime this thread's buffer so most of it is still unused at the fork.
  (void)SystemRandom().Bytes(16);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string b = SystemRandom().Bytes(32);
    ssize_t w = write(fds[1], b.data(), b.size());
    _exit(w == 32 ? 0 : 1);
  }
  close(fds[1]);
  std::string child(32, '\0');
  size_t got = 0;
  while (got < child.size()) {
    ssize_t r = read(fds[0], child.data() + got, child.size() - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 32u);
  std::string parent = SystemRandom().Bytes(32);
  EXPECT_NE(parent, child);
}

TEST(FakeRandomTest, DeterministicPerSeed) {
  FakeRandom a(7), b(7), c(8);
  std::string x = a.Token(32);
  EXPECT_EQ(x, b.Token(32));
  EXPECT_NE(x, c.Token(32));
}

}  // namespace
}  // namespace certme
