// kill -9 durability: every write the store acknowledged must be in the file
// after the process dies at an arbitrary point.
//
// A child process writes as fast as it can from several threads and, only
// after a call returned OK, reports it to the parent over a pipe. The parent
// SIGKILLs the child mid-stream, reopens the database and checks every
// reported write. Writes in flight at the kill may or may not have landed;
// only acknowledged ones are asserted.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/store/conformance/store_conformance.h"

namespace certme {
namespace {

constexpr int kPutThreads = 4;
// Let at least this many acknowledgements through before killing, so the
// kill lands in the middle of steady concurrent writing.
constexpr int kKillAfterAcks = 5000;

std::string ValueFor(const std::string& key) { return "value-of-" + key + std::string(64, '.'); }

// One line per acknowledged write; lines shorter than PIPE_BUF are written
// atomically, so lines from different threads never interleave.
void Report(int fd, const std::string& line) {
  std::string l = line + "\n";
  if (write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(3);
}

// Runs in the child. Never returns.
[[noreturn]] void ChildWriter(const std::string& path, bool sync_full, int fd) {
  SqliteStoreOptions o;
  o.path = path;
  o.sync_full = sync_full;
  auto opened = NewSqliteStore(o);
  if (!opened.ok()) {
    Report(fd, "E " + opened.status().ToString());
    _exit(2);
  }
  Store* store = opened->get();
  std::vector<std::thread> threads;
  // Puts: "P <key>".
  for (int t = 0; t < kPutThreads; ++t) {
    threads.emplace_back([=] {
      for (int i = 0;; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store->Put("durable", key, ValueFor(key), kNoExpiry).ok()) _exit(4);
        Report(fd, "P " + key);
      }
    });
  }
  // Compare-and-swap counter: "C <n>" once the counter is known to be n.
  threads.emplace_back([=] {
    if (!store->Put("durable", "counter", "0", kNoExpiry).ok()) _exit(4);
    for (int n = 0;; ++n) {
      if (!store->CompareAndSwap("durable", "counter", std::to_string(n), std::to_string(n + 1),
                                 kNoExpiry).ok()) {
        _exit(5);
      }
      Report(fd, "C " + std::to_string(n + 1));
    }
  });
  // Consume: "X <key>" once the key is consumed.
  threads.emplace_back([=] {
    for (int i = 0;; ++i) {
      std::string key = "once-" + std::to_string(i);
      if (!store->Put("codes", key, "v", kNoExpiry).ok()) _exit(4);
      if (!store->Consume("codes", key).ok()) _exit(6);
      Report(fd, "X " + key);
    }
  });
  for (auto& th : threads) th.join();
  _exit(0);
}

// Both durability levels promise the same thing for a process crash; they
// differ only for power loss, which a test cannot stage.
class SqliteDurability : public ::testing::TestWithParam<bool> {};

TEST_P(SqliteDurability, AcknowledgedWritesSurviveKill9) {
  const bool sync_full = GetParam();
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    ChildWriter(path, sync_full, fds[1]);
  }
  close(fds[1]);

  std::vector<std::string> put_acks, consume_acks;
  int64_t counter_ack = 0;
  bool killed = false;
  std::string buffer, child_error;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, 30'000);
    if (ready <= 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(fds[0]);
      FAIL() << "child went silent for 30 s";
    }
    char chunk[4096];
    ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is gone and the pipe drained
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = buffer.find('\n', start)) != std::string::npos) {
      std::string line = buffer.substr(start, nl - start);
      start = nl + 1;
      if (line.size() < 2) continue;
      std::string arg = line.substr(2);
      switch (line[0]) {
        case 'P': put_acks.push_back(arg); break;
        case 'X': consume_acks.push_back(arg); break;
        case 'C': counter_ack = std::max<int64_t>(counter_ack, std::stoll(arg)); break;
        default: child_error = line;
      }
    }
    buffer.erase(0, start);
    if (!killed && put_acks.size() >= static_cast<size_t>(kKillAfterAcks)) {
      ASSERT_EQ(kill(pid, SIGKILL), 0);
      killed = true;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(child_error.empty()) << child_error;
  ASSERT_TRUE(killed) << "child ended before being killed, exit status " << wstatus;
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "status " << wstatus;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  auto reopened = NewSqliteStore({.path = path});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Store& store = **reopened;
  size_t missing = 0;
  for (const auto& key : put_acks) {
    auto got = store.Get("durable", key);
    if (!got.ok() || *got != ValueFor(key)) {
      if (++missing <= 5) ADD_FAILURE() << "acknowledged key lost: " << key;
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << put_acks.size() << " acknowledged puts";
  for (const auto& key : consume_acks) {
    EXPECT_EQ(store.Get("codes", key).status().code(), StatusCode::kNotFound)
        << "acknowledged consume undone: " << key;
  }
  // The CAS in flight at the kill may have committed without its
  // acknowledgement reaching the parent, never more than that.
  auto counter = store.Get("durable", "counter");
  ASSERT_TRUE(counter.ok());
  const int64_t on_disk = std::stoll(*counter);
  EXPECT_GE(on_disk, counter_ack);
  EXPECT_LE(on_disk, counter_ack + 1);
  auto all = store.List("durable");
  ASSERT_TRUE(all.ok());
  const size_t unacknowledged = all->size() - 1 - put_acks.size();  // minus the counter row

  std::cout << "[ durability ] " << put_acks.size() << " acknowledged puts, " << consume_acks.size()
            << " consumes, counter " << counter_ack << " (on disk " << on_disk << "), all present; "
            << unacknowledged << " more puts committed but unacknowledged at the kill; "
            << seconds << " s\n";
  RecordProperty("acknowledged_puts", static_cast<int>(put_acks.size()));
  RecordProperty("acknowledged_consumes", static_cast<int>(consume_acks.size()));
}

INSTANTIATE_TEST_SUITE_P(SyncModes, SqliteDurability, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("SyncFull") : std::string("SyncNormal");
                         });

}  // namespace
}  // namespace certme
