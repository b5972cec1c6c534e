// The embedded ledger's anchor (`<log>.head`, signed by the sequencer key):
// a log cut short is refused on open, a log that ran ahead of its anchor (a
// writer killed between its commit and the anchor update) is accepted and
// the anchor catches up, and processes sharing one file keep it consistent.
// The attacks on it (anchor removed, log rewritten) are in
// embedded_rollback_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

constexpr uint64_t kChain = 4242;

struct AnchorText {
  uint64_t count = 0;
  std::string hash;  // 0x…
  std::string sig;   // 0x…
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Parses the anchor as docs/ledger.md describes it, independently of the
// code under test.
AnchorText ReadAnchorText(const std::string& log) {
  std::istringstream in(Slurp(log + ".head"));
  std::string magic, version;
  AnchorText a;
  in >> magic >> version >> a.count >> a.hash >> a.sig;
  EXPECT_EQ(magic, "certme-ledger-head");
  EXPECT_EQ(version, "2");
  return a;
}

// The digest docs/ledger.md gives for an anchor.
Bytes32 AnchorDigestForTest(uint64_t count, const std::string& hash32) {
  std::string buf = "certME ledger anchor v2";
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(count >> (8 * i)));
  return Keccak256(buf + hash32);
}

// An anchor for (count, hash) signed by `key`, in the documented format.
std::string AnchorFor(uint64_t count, const Bytes32& hash, const EthKey& key) {
  const std::string h(abi::AsView(hash));
  return "certme-ledger-head 2\n" + std::to_string(count) + "\n0x" + HexEncode(h) + "\n" +
         key.SignDigest(AnchorDigestForTest(count, h)).ToHex() + "\n";
}

std::string HexHash(const Bytes32& h) { return "0x" + HexEncode(abi::AsView(h)); }

class EmbeddedAnchorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = LedgerTestDir().NewFile(".ledger");
    auto l = EmbeddedLedger::Create(Options(), admin_, kChain);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }

  EmbeddedLedgerOptions Options() {
    return {.path = path_, .sync_full = false, .watch_file = false, .sequencer = sequencer_};
  }

  // `n` more entries (providers added by the administrator).
  void Append(int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ledger_->AddProvider(admin_, EthKey::Generate().address()).ok());
  }

  StatusOr<std::unique_ptr<EmbeddedLedger>> Reopen() {
    ledger_.reset();
    return EmbeddedLedger::Open(Options());
  }

  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  void ExpectTruncated(const Status& s, uint64_t log_count, uint64_t anchor_count) {
    EXPECT_EQ(s.code(), StatusCode::kInternal) << s.ToString();
    const std::string& m = s.message();
    EXPECT_EQ(m.rfind("LedgerTruncated: ", 0), 0u) << m;
    EXPECT_NE(m.find("the log holds " + std::to_string(log_count) + " entries"), std::string::npos) << m;
    EXPECT_NE(m.find("records " + std::to_string(anchor_count)), std::string::npos) << m;
  }

  std::string path_;
  EthKey admin_ = EthKey::Generate();
  EthKey sequencer_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
};

TEST_F(EmbeddedAnchorTest, AnchorFollowsEveryAppend) {
  AnchorText a = ReadAnchorText(path_);
  EXPECT_EQ(a.count, 1u);
  EXPECT_EQ(a.hash, HexHash(ledger_->HeadHash()));
  Append(3);
  a = ReadAnchorText(path_);
  EXPECT_EQ(a.count, 4u);
  EXPECT_EQ(a.hash, HexHash(ledger_->HeadHash()));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".head.tmp"));
  // Signed by the sequencer over (count, head hash).
  auto sig = EthSignature::FromHex(a.sig);
  ASSERT_TRUE(sig.has_value()) << a.sig;
  auto signer = RecoverAddress(AnchorDigestForTest(4, std::string(abi::AsView(ledger_->HeadHash()))), *sig);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer, sequencer_.address());
}

TEST_F(EmbeddedAnchorTest, LogShorterByOneEntryIsRefused) {
  Append(5);
  ledger_.reset();
  Tamper("DROP TRIGGER ledger_entries_no_delete; DELETE FROM ledger_entries WHERE seq = 6;");
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok());
  ExpectTruncated(r.status(), 5, 6);
  // Every later open says the same; nothing was "repaired" behind the
  // operator's back.
  EXPECT_EQ(ReadAnchorText(path_).count, 6u);
  ExpectTruncated(EmbeddedLedger::Open(Options()).status(), 5, 6);
}

// A crash or a copy that cuts the write-ahead log in the middle of the last
// entry's frame: sqlite drops the incomplete transaction, which leaves a
// valid chain one entry short.
TEST_F(EmbeddedAnchorTest, LogCutInTheMiddleOfItsLastEntryIsRefused) {
  Append(4);
  const std::string wal = path_ + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal)) << "the entries are still in the write-ahead log";
  const std::string copy = LedgerTestDir().NewFile(".ledger");
  std::filesystem::copy_file(path_, copy);
  std::string w = Slurp(wal);
  ASSERT_GT(w.size(), 4096u);
  WriteFile(copy + "-wal", w.substr(0, w.size() - 2048));  // half of the last frame
  std::filesystem::copy_file(path_ + ".head", copy + ".head");
  EmbeddedLedgerOptions o = Options();
  o.path = copy;
  auto r = EmbeddedLedger::Open(o);
  ASSERT_FALSE(r.ok());
  ExpectTruncated(r.status(), 4, 5);
}

// An older anchor of this log (signed): the entries after it carry their own
// sequencer signatures, so they are accepted and the anchor catches up.
TEST_F(EmbeddedAnchorTest, AnchorBehindTheLogCatchesUp) {
  Append(2);
  const std::string behind = Slurp(path_ + ".head");
  Append(4);
  const Bytes32 head = ledger_->HeadHash();
  ledger_.reset();
  WriteFile(path_ + ".head", behind);
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  AnchorText a = ReadAnchorText(path_);
  EXPECT_EQ(a.count, 7u);
  EXPECT_EQ(a.hash, HexHash(head));
}

TEST_F(EmbeddedAnchorTest, AnchorBehindWithAnotherHashIsRefused) {
  Append(6);
  ledger_.reset();
  Bytes32 other{};
  other[0] = 1;
  WriteFile(path_ + ".head", AnchorFor(3, other, sequencer_));
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok());
  ExpectTruncated(r.status(), 7, 3);
  EXPECT_NE(r.status().message().find("entry 3 differs"), std::string::npos) << r.status().message();
}

TEST_F(EmbeddedAnchorTest, AnchorAheadOfTheLogIsRefused) {
  Append(2);
  ledger_.reset();
  WriteFile(path_ + ".head", AnchorFor(40, Bytes32{}, sequencer_));
  ExpectTruncated(EmbeddedLedger::Open(Options()).status(), 3, 40);
}

TEST_F(EmbeddedAnchorTest, UnreadableAnchorIsRefusedWithAClearError) {
  ledger_.reset();
  for (const std::string& bad : std::vector<std::string>{"", "certme-ledger-head 1\n", "certme-ledger-head 1\n12\n0xzz\n",
                                "certme-ledger-head 2\n1\n0x00\n",
                                "certme-ledger-head 2\n1\n0x" + std::string(64, '0') + "\n0x00\n",
                                "certme-ledger-head 2\n1\n0x" + std::string(64, '0') + "\n",
                                "certme-ledger-head 3\n1\n0x" + std::string(64, '0') + "\n0x" + std::string(130, '0') + "\n",
                                std::string(5000, 'x')}) {
    WriteFile(path_ + ".head", bad);
    auto r = EmbeddedLedger::Open(Options());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
    EXPECT_NE(r.status().message().find("is not readable"), std::string::npos) << r.status().message();
  }
}

TEST_F(EmbeddedAnchorTest, CreateReplacesTheAnchorOfARemovedLog) {
  Append(3);
  ledger_.reset();
  ASSERT_TRUE(std::filesystem::remove(path_));
  std::error_code ec;
  std::filesystem::remove(path_ + "-wal", ec);
  std::filesystem::remove(path_ + "-shm", ec);
  auto fresh = EmbeddedLedger::Create(Options(), EthKey::Generate(), kChain);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  fresh->reset();
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAnchorText(path_).count, 1u);
}

// A writer process killed with SIGKILL after its commit and before its
// anchor update: the log is one entry longer than the anchor, which the next
// open accepts and records.
TEST_F(EmbeddedAnchorTest, WriterKilledBetweenCommitAndAnchorUpdate) {
  Append(2);
  ledger_.reset();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    EmbeddedLedgerOptions o = Options();
    const int fd = ready[1];
    o.before_anchor_update = [fd](uint64_t) {
      char c = 'k';
      (void)!write(fd, &c, 1);
      for (;;) pause();  // killed here
    };
    auto l = EmbeddedLedger::Open(o);
    if (!l.ok()) _exit(2);
    (void)(*l)->AddProvider(admin_, EthKey::Generate().address());
    _exit(4);
  }
  close(ready[1]);
  char c = 0;
  const ssize_t got = read(ready[0], &c, 1);
  close(ready[0]);
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(got, 1) << "the child did not reach the anchor update (exit " << WEXITSTATUS(status) << ")";
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_EQ(ReadAnchorText(path_).count, 3u) << "the anchor still records the entry before the killed append";
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*(*r)->BlockNumber(), 4u);
  AnchorText a = ReadAnchorText(path_);
  EXPECT_EQ(a.count, 4u);
  EXPECT_EQ(a.hash, HexHash((*r)->HeadHash()));
}

// Several processes append to one file at once (as the bridge, the validator
// service and the CLI do) while another keeps re-opening it (as `certme
// ledger verify` does): no open is refused, and at the end the anchor
// records the whole log.
TEST_F(EmbeddedAnchorTest, ProcessesSharingTheFileKeepTheAnchorConsistent) {
  ledger_.reset();
  constexpr int kWriters = 3, kEach = 8;
  std::vector<pid_t> kids;
  for (int w = 0; w < kWriters; ++w) {
    pid_t p = fork();
    ASSERT_GE(p, 0);
    if (p == 0) {
      EmbeddedLedgerOptions o = Options();
      o.watch_file = (w == 0);  // one long-running opener with its watcher, like the bridge
      o.sync_full = (w == 1);
      auto l = EmbeddedLedger::Open(o);
      if (!l.ok()) _exit(2);
      for (int i = 0; i < kEach; ++i)
        if (!(*l)->AddProvider(admin_, EthKey::Generate().address()).ok()) _exit(4);
      _exit(0);
    }
    kids.push_back(p);
  }
  pid_t reader = fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    for (int i = 0; i < 40; ++i) {
      auto l = EmbeddedLedger::Open(Options());
      if (!l.ok()) {
        std::fprintf(stderr, "reader: %s\n", l.status().ToString().c_str());
        _exit(5);
      }
    }
    _exit(0);
  }
  kids.push_back(reader);
  for (pid_t p : kids) {
    int status = 0;
    ASSERT_EQ(waitpid(p, &status, 0), p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "process exit " << WEXITSTATUS(status);
  }
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*(*r)->BlockNumber(), 1u + kWriters * kEach);
  AnchorText a = ReadAnchorText(path_);
  EXPECT_EQ(a.count, 1u + kWriters * kEach);
  EXPECT_EQ(a.hash, HexHash((*r)->HeadHash()));
}

}  // namespace
}  // namespace certme
