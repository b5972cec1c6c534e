// Attacks on the embedded ledger's log by someone who can rewrite the
// ledger's files but does not hold the sequencer key (docs/ledger.md §4):
// the newest entries cut and the anchor removed, the whole log rewritten and
// rehashed under an anchor of the attacker's own key, an entry appended with
// a valid transaction but no sequencer signature, an entry dated in the
// future, a restore of an older copy of log and anchor (caught by the
// checkpoint file); the explicit way back (Reanchor, also from a format-1
// file); the configured open path the bridge and the commands use; and the
// ledger files' modes.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/clock.h"
#include "common/encoding.h"
#include "config/config.h"
#include "ledger-client/abi.h"
#include "ledger-client/configured_ledger.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/key_file.h"
#include "ledger-client/registry_abi.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using std::chrono::seconds;

constexpr uint64_t kChain = 4242;

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

// The entry hash and anchor digest as docs/ledger.md gives them, written
// independently of the code under test.
std::string EntryHashForTest(const std::string& prev, uint64_t seq, int64_t time, const std::string& tx) {
  std::string buf = prev;
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(seq >> (8 * i)));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(static_cast<uint64_t>(time) >> (8 * i)));
  return std::string(abi::AsView(Keccak256(buf + tx)));
}

std::string AnchorFor(uint64_t count, const std::string& hash32, const EthKey& key) {
  std::string buf = "certME ledger anchor v2";
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(count >> (8 * i)));
  return "certme-ledger-head 2\n" + std::to_string(count) + "\n0x" + HexEncode(hash32) + "\n" +
         key.SignDigest(Keccak256(buf + hash32)).ToHex() + "\n";
}

class EmbeddedRollbackTest : public ::testing::Test {
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

  // Moves every entry's time by `delta` and recomputes every hash and link:
  // a consistent chain, whose transactions are still validly signed (their
  // signatures do not cover times). Returns the new head hash.
  std::string RehashWithTimesMoved(int64_t delta) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "DROP TRIGGER ledger_entries_no_update", nullptr, nullptr, nullptr), SQLITE_OK);
    struct Row {
      int64_t seq, time;
      std::string tx;
    };
    std::vector<Row> rows;
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT seq, time, tx FROM ledger_entries ORDER BY seq", -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW)
      rows.push_back({sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
                      std::string(static_cast<const char*>(sqlite3_column_blob(q, 2)), sqlite3_column_bytes(q, 2))});
    sqlite3_finalize(q);
    std::string prev(32, '\0');
    for (const Row& r : rows) {
      const int64_t t = r.time + delta;
      const std::string h = EntryHashForTest(prev, static_cast<uint64_t>(r.seq), t, r.tx);
      sqlite3_stmt* u = nullptr;
      sqlite3_prepare_v2(db, "UPDATE ledger_entries SET prev_hash = ?, time = ?, hash = ? WHERE seq = ?", -1, &u,
                         nullptr);
      sqlite3_bind_blob(u, 1, prev.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_int64(u, 2, t);
      sqlite3_bind_blob(u, 3, h.data(), 32, SQLITE_TRANSIENT);
      sqlite3_bind_int64(u, 4, r.seq);
      EXPECT_EQ(sqlite3_step(u), SQLITE_DONE);
      sqlite3_finalize(u);
      prev = h;
    }
    sqlite3_close(db);
    return prev;
  }

  static void ExpectUnanchored(const Status& s, const std::string& fragment) {
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
    EXPECT_EQ(s.message().rfind("LedgerUnanchored: ", 0), 0u) << s.message();
    EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("certme ledger reanchor"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line";
  }

  std::string path_;
  EthKey admin_ = EthKey::Generate();
  EthKey sequencer_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
};

// The finding: the newest entry (here: a provider's removal) cut off and
// the anchor deleted. It used to open with a warning, the provider back.
TEST_F(EmbeddedRollbackTest, CutNewestEntriesAndDeleteTheAnchorIsRefused) {
  ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  ASSERT_TRUE(ledger_->RemoveProvider(admin_, provider_.address()).ok());
  ledger_.reset();
  Tamper("DROP TRIGGER ledger_entries_no_delete; DELETE FROM ledger_entries WHERE seq = 3;");
  ASSERT_TRUE(std::filesystem::remove(path_ + ".head"));
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok()) << "the removed provider would be back";
  ExpectUnanchored(r.status(), "anchor " + path_ + ".head is missing");
  EXPECT_FALSE(std::filesystem::exists(path_ + ".head")) << "nothing recreated behind the operator's back";
  ExpectUnanchored(EmbeddedLedger::Open(Options()).status(), "is missing");
}

// The finding: the whole log rewritten (every entry's time moved, every
// hash and link recomputed) under an anchor signed by another key, or
// under no anchor, or under the old unsigned format.
TEST_F(EmbeddedRollbackTest, RewrittenAndRehashedLogIsRefused) {
  ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  ledger_.reset();
  const std::string head = RehashWithTimesMoved(-86400);
  EthKey intruder = EthKey::Generate();
  WriteFile(path_ + ".head", AnchorFor(2, head, intruder));
  ExpectUnanchored(EmbeddedLedger::Open(Options()).status(),
                   "is not signed by the sequencer key " + sequencer_.AddressHex());
  WriteFile(path_ + ".head", "certme-ledger-head 1\n2\n0x" + HexEncode(head) + "\n");
  ExpectUnanchored(EmbeddedLedger::Open(Options()).status(), "is unsigned");
  // The same rewrite with the right key is accepted: the key is what the
  // attacker must not have.
  WriteFile(path_ + ".head", AnchorFor(2, head, sequencer_));
  EXPECT_TRUE(EmbeddedLedger::Open(Options()).ok());
}

// A process holding the administrator's key but not the sequencer's appends
// a validly signed transaction straight into the file: the entry links and
// hashes correctly but carries no sequencer signature.
TEST_F(EmbeddedRollbackTest, EntryWithoutSequencerSignatureIsRefused) {
  const Bytes32 head = ledger_->HeadHash();
  const uint64_t nonce = *ledger_->NextNonce(admin_.address());
  const std::string registry = ledger_->RegistryAddress();
  ledger_.reset();
  const std::string tx = EncodeTransaction(
      SignTransaction(admin_, kChain, registry, nonce, AccountCall(RegistryMethod::kAddProvider, provider_.address())));
  const int64_t t = SystemClock().NowUnixSeconds();
  const std::string prev(abi::AsView(head));
  const std::string hash = EntryHashForTest(prev, 2, t, tx);
  Tamper("INSERT INTO ledger_entries VALUES(2, x'" + HexEncode(prev) + "', " + std::to_string(t) + ", x'" +
         HexEncode(tx) + "', x'" + HexEncode(hash) + "');");
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("LedgerDamaged: entry 2: it carries no sequencer signature", 0), 0u)
      << r.status().message();
  // A signature by another key is no better.
  EthKey intruder = EthKey::Generate();
  std::string sign_buf = "certME ledger entry v2" + hash;
  Tamper("INSERT INTO entry_sigs VALUES(2, x'" +
         intruder.SignDigest(Keccak256(sign_buf)).ToHex().substr(2) + "');");
  r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("entry 2: it is not signed by the sequencer key"), std::string::npos)
      << r.status().message();
}

// The finding: one writer with a clock 10 years fast moved ledger time for
// good. Its entry is now refused by every opener with a right clock.
TEST_F(EmbeddedRollbackTest, FutureDatedEntryIsRefused) {
  ledger_.reset();
  FakeClock fast;
  fast.SetUnixMillis(SystemClock().NowUnixMillis() + int64_t{10} * 365 * 86400 * 1000);
  {
    EmbeddedLedgerOptions o = Options();
    o.clock = &fast;
    auto writer = EmbeddedLedger::Open(o);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->AddProvider(admin_, provider_.address()).ok());
  }
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok()) << "ledger time would now be 10 years ahead";
  EXPECT_EQ(r.status().message().rfind("LedgerDamaged: entry 2: it is dated ", 0), 0u) << r.status().message();
  EXPECT_NE(r.status().message().find("ahead of this machine's clock (tolerance 300 s)"), std::string::npos)
      << r.status().message();
  // Within the tolerance is fine (clocks of two processes differ a little).
  EmbeddedLedgerOptions lenient = Options();
  lenient.max_clock_skew = seconds(int64_t{11} * 365 * 86400);
  EXPECT_TRUE(EmbeddedLedger::Open(lenient).ok());
}

// Log and anchor both replaced by an older copy: consistent, and signed by
// the sequencer. Only a second place can tell; the checkpoint file is it.
TEST_F(EmbeddedRollbackTest, OlderCopyOfLogAndAnchorIsCaughtByTheCheckpointFile) {
  ledger_.reset();
  const std::string checkpoints = LedgerTestDir().NewFile(".checkpoints");
  EmbeddedLedgerOptions o = Options();
  o.checkpoint_file = checkpoints;
  {
    auto l = EmbeddedLedger::Open(o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();  // no file yet: a one-entry ledger
    ASSERT_TRUE((*l)->AddProvider(admin_, provider_.address()).ok());
  }
  // The attacker's copy, taken now (WAL checkpointed so one file holds it).
  Tamper("PRAGMA wal_checkpoint(TRUNCATE);");
  const std::string old_log = Slurp(path_), old_anchor = Slurp(path_ + ".head");
  {
    auto l = EmbeddedLedger::Open(o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ASSERT_TRUE((*l)->RemoveProvider(admin_, provider_.address()).ok());
  }
  Tamper("PRAGMA wal_checkpoint(TRUNCATE);");
  WriteFile(path_, old_log);
  WriteFile(path_ + ".head", old_anchor);
  std::error_code ec;
  std::filesystem::remove(path_ + "-wal", ec);
  std::filesystem::remove(path_ + "-shm", ec);
  EXPECT_TRUE(EmbeddedLedger::Open(Options()).ok()) << "without a second place the copy is consistent";
  auto r = EmbeddedLedger::Open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("LedgerRolledBack: the log holds 2 entries, the checkpoint file " +
                                           checkpoints + " records 3",
                                       0),
            0u)
      << r.status().message();
  // Nor is the checkpoint file's loss taken quietly, or reanchoring past it.
  EXPECT_FALSE(EmbeddedLedger::Reanchor(o).ok());
  ASSERT_TRUE(std::filesystem::remove(checkpoints));
  r = EmbeddedLedger::Open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("the checkpoint file " + checkpoints + " is missing"), std::string::npos)
      << r.status().message();
}

// The explicit way back: Reanchor says what it replaced and accepted; the
// ledger opens again; a damaged log is still refused.
TEST_F(EmbeddedRollbackTest, ReanchorAcceptsTheLogExplicitly) {
  ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  const Bytes32 head = ledger_->HeadHash();
  ledger_.reset();
  ASSERT_TRUE(std::filesystem::remove(path_ + ".head"));
  ASSERT_FALSE(EmbeddedLedger::Open(Options()).ok());
  auto report = EmbeddedLedger::Reanchor(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->entries, 2u);
  EXPECT_EQ(report->head, head);
  EXPECT_EQ(report->previous, "none (missing)");
  auto l = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_TRUE(*(*l)->IsProvider(provider_.address()));
  l->reset();

  Tamper("DROP TRIGGER ledger_entries_no_update; UPDATE ledger_entries SET time = time - 1 WHERE seq = 2;");
  auto damaged = EmbeddedLedger::Reanchor(Options());
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().message().rfind("LedgerDamaged: entry 2:", 0), 0u) << damaged.status().message();
}

// A ledger from before signed anchors (format 1, unsigned anchor): refused
// with the way forward, upgraded by Reanchor once.
TEST_F(EmbeddedRollbackTest, FormatOneLedgerIsUpgradedByReanchor) {
  ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  const Bytes32 head = ledger_->HeadHash();
  ledger_.reset();
  Tamper("DROP TABLE entry_sigs; PRAGMA user_version = 1;");
  WriteFile(path_ + ".head", "certme-ledger-head 1\n2\n0x" + HexEncode(abi::AsView(head)) + "\n");
  auto r = EmbeddedLedger::Open(Options());
  ASSERT_FALSE(r.ok());
  ExpectUnanchored(r.status(), "from before signed anchors (format 1)");
  auto report = EmbeddedLedger::Reanchor(Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->previous, "covering 2 entries, unsigned");
  auto l = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_TRUE((*l)->RemoveProvider(admin_, provider_.address()).ok());
  l->reset();
  EXPECT_TRUE(EmbeddedLedger::Open(Options()).ok());
}

// The open path of the bridge and the commands: the configured ledger is
// refused the same way, and so is a missing sequencer key, each with a line
// naming the file.
TEST_F(EmbeddedRollbackTest, ConfiguredOpenRefusesAnUnanchoredLedger) {
  ledger_.reset();
  LedgerConfig c;
  c.embedded.path = path_;
  c.embedded.sync_full = false;
  c.embedded.sequencer_key_file = LedgerTestDir().NewFile(".key");
  auto missing = OpenConfiguredLedger(c, /*watch=*/false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("sequencer key " + c.embedded.sequencer_key_file), std::string::npos)
      << missing.status().message();
  ASSERT_TRUE(WriteServiceKeyFile(c.embedded.sequencer_key_file, sequencer_).ok());
  ASSERT_TRUE(OpenConfiguredLedger(c, false).ok());
  ASSERT_TRUE(std::filesystem::remove(path_ + ".head"));
  auto r = OpenConfiguredLedger(c, false);
  ASSERT_FALSE(r.ok());
  ExpectUnanchored(r.status(), path_ + ".head");
}

#ifdef CERTME_BINARY
// The same attacks through the programs: `certme ledger verify` fails with
// one line, and `certme idp` (the bridge, wallet login on) does not start.
// The log cut with its anchor deleted is in tests/tools/walkthrough.sh;
// here the two a shell cannot forge: the log rewritten and rehashed under
// an anchor of the attacker's key, and an entry dated ten years ahead.
struct CommandRun {
  int exit = -1;
  std::string output;
};

CommandRun RunCertme(const std::string& dir, const std::string& ledger, const std::string& sequencer_key,
                     const std::string& args) {
  const std::string cmd = "cd '" + dir + "' && env -u CERTME_CONFIG CERTME_LEDGER_EMBEDDED_PATH='" + ledger +
                          "' CERTME_LEDGER_EMBEDDED_SEQUENCER_KEY_FILE='" + sequencer_key +
                          "' CERTME_LOGIN_DEV_LOGIN=false CERTME_LOGIN_WALLET_LOGIN=true CERTME_SERVER_PORT=0"
                          " timeout 30 '" CERTME_BINARY "' " + args + " 2>&1";
  CommandRun run;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) run.output.append(buf, n);
  const int status = pclose(p);
  run.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST_F(EmbeddedRollbackTest, VerifyFailsAndTheBridgeDoesNotStartAfterARewriteOrAFutureEntry) {
  const std::string dir = LedgerTestDir().NewFile(".work");
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  const std::string key = dir + "/sequencer.key";
  ASSERT_TRUE(WriteServiceKeyFile(key, sequencer_).ok());
  auto refused = [&](const std::string& what, const std::string& fragment) {
    CommandRun v = RunCertme(dir, path_, key, "ledger verify");
    EXPECT_NE(v.exit, 0) << what << ": verify passed: " << v.output;
    EXPECT_NE(v.output.find(fragment), std::string::npos) << what << ": " << v.output;
    EXPECT_EQ(std::count(v.output.begin(), v.output.end(), '\n'), 1) << what << ": one line: " << v.output;
    CommandRun b = RunCertme(dir, path_, key, "idp");
    EXPECT_TRUE(b.exit != 0 && b.exit != 124) << what << ": the bridge started (exit " << b.exit << "): " << b.output;
    EXPECT_NE(b.output.find(fragment), std::string::npos) << what << ": " << b.output;
  };
  ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  ledger_.reset();
  CommandRun ok = RunCertme(dir, path_, key, "ledger verify");
  ASSERT_EQ(ok.exit, 0) << "the untouched ledger: " << ok.output;

  const std::string original = Slurp(path_);
  const std::string original_head = Slurp(path_ + ".head");
  const std::string head = RehashWithTimesMoved(-86400);
  WriteFile(path_ + ".head", AnchorFor(2, head, EthKey::Generate()));
  refused("rewritten and rehashed", "LedgerUnanchored: ");

  // Back to the original log, then one writer with a clock ten years fast.
  WriteFile(path_, original);
  WriteFile(path_ + ".head", original_head);
  std::filesystem::remove(path_ + "-wal");
  std::filesystem::remove(path_ + "-shm");
  ASSERT_EQ(RunCertme(dir, path_, key, "ledger verify").exit, 0);
  FakeClock fast;
  fast.SetUnixMillis(SystemClock().NowUnixMillis() + int64_t{10} * 365 * 86400 * 1000);
  {
    EmbeddedLedgerOptions o = Options();
    o.clock = &fast;
    auto writer = EmbeddedLedger::Open(o);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->RemoveProvider(admin_, provider_.address()).ok());
  }
  refused("future-dated entry", "LedgerDamaged: entry 3: it is dated ");
}
#endif

// Every file the ledger makes is readable by its owner only, whatever the
// umask (the log used to be 0644).
TEST_F(EmbeddedRollbackTest, LedgerFilesAreCreatedPrivate) {
  ledger_.reset();
  const mode_t old_mask = umask(022);
  const std::string path = LedgerTestDir().NewFile(".ledger");
  const std::string checkpoints = LedgerTestDir().NewFile(".checkpoints");
  const std::string key = LedgerTestDir().NewFile(".key");
  EmbeddedLedgerOptions o = Options();
  o.path = path;
  o.checkpoint_file = checkpoints;
  {
    auto l = EmbeddedLedger::Create(o, admin_, kChain);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ASSERT_TRUE((*l)->AddProvider(admin_, provider_.address()).ok());
    ASSERT_TRUE(WriteServiceKeyFile(key, sequencer_).ok());
    for (const std::string& f : {path, path + "-wal", path + "-shm", path + ".head", path + ".head.lock", checkpoints,
                                 key}) {
      struct stat st {};
      ASSERT_EQ(stat(f.c_str(), &st), 0) << f;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
  }
  umask(old_mask);
}

}  // namespace
}  // namespace certme
