// What only the embedded backend has: its file. Restart and replay, tamper
// detection, forged and replayed transactions, the append-only table, and
// several openers (processes) sharing one file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/registry_abi.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kChain = 4242;

std::string ErrorName(const Status& s) {
  auto e = LedgerErrorOf(s);
  return e ? LedgerErrorName(*e) : s.ToString();
}

std::string SigBytes(const EthSignature& s) { return std::string(reinterpret_cast<const char*>(s.rsv.data()), 65); }

// The entry hash as documented in embedded_ledger.h, written out again so
// that the test does not trust the code it checks.
Bytes32 EntryHashForTest(const Bytes32& prev, uint64_t seq, int64_t time, std::string_view tx) {
  std::string buf(abi::AsView(prev));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(seq >> (8 * i)));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(static_cast<uint64_t>(time) >> (8 * i)));
  buf.append(tx);
  return Keccak256(buf);
}

class EmbeddedLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = LedgerTestDir().NewFile(".ledger");
    auto l = EmbeddedLedger::Create(Options(), admin_, kChain);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }

  EmbeddedLedgerOptions Options() {
    return {.path = path_, .clock = &clock_, .sync_full = false, .sequencer = sequencer_};
  }

  // A small history: roles, two eIDs, a request and its answer, a suspension.
  void Populate() {
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
    for (const EthKey* u : {&user_, &user2_}) {
      std::vector<Bytes32> keys = {AttributeKey("idnp")};
      std::vector<Bytes32> cs = {AttributeCommitment(u->address(), keys[0], "2001234567890", Keccak256("s"))};
      ASSERT_TRUE(ledger_->IssueEid(validator_, *u, keys, cs, kLoaSubstantial).ok());
    }
    Consent c{user_.address(), provider_.address(), {AttributeKey("idnp")}, Keccak256("n1"),
              static_cast<uint64_t>(ledger_->Now() + 600)};
    auto id = ledger_->RequestValidation(provider_, c, SigBytes(SignConsent(user_, ledger_->Domain(), c)));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    clock_.Advance(seconds(3));
    auto eid = *ledger_->GetEid(user_.address());
    ASSERT_TRUE(ledger_->AnswerValidation(validator_, *id, eid.commitments, kLoaSubstantial).ok());
    ASSERT_TRUE(ledger_->SuspendEid(admin_, user2_.address()).ok());
  }

  // Runs SQL on the file behind the ledger's back, as an intruder would.
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

  // Rewrites entry `seq` with `edit` applied to its tx and prev_hash, and
  // recomputes its hash, as a careful intruder would.
  void RewriteEntry(int64_t seq, const std::function<void(std::string& tx, std::string& prev)>& edit) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT prev_hash, time, tx FROM ledger_entries WHERE seq = ?", -1, &q, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(q, 1, seq);
    ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
    std::string prev(static_cast<const char*>(sqlite3_column_blob(q, 0)), sqlite3_column_bytes(q, 0));
    const int64_t time = sqlite3_column_int64(q, 1);
    std::string tx(static_cast<const char*>(sqlite3_column_blob(q, 2)), sqlite3_column_bytes(q, 2));
    sqlite3_finalize(q);
    edit(tx, prev);
    const Bytes32 hash = EntryHashForTest(abi::ToBytes32(prev), static_cast<uint64_t>(seq), time, tx);
    ASSERT_EQ(sqlite3_exec(db, "DROP TRIGGER IF EXISTS ledger_entries_no_update", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_stmt* u = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE ledger_entries SET prev_hash = ?, tx = ?, hash = ? WHERE seq = ?", -1, &u,
                                 nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(u, 1, prev.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(u, 2, tx.data(), static_cast<int>(tx.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(u, 3, hash.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_int64(u, 4, seq);
    EXPECT_EQ(sqlite3_step(u), SQLITE_DONE);
    sqlite3_finalize(u);
    sqlite3_close(db);
  }

  void ExpectDamagedAt(int entry, const std::string& why_fragment) {
    ledger_.reset();
    auto reopened = EmbeddedLedger::Open(Options());
    ASSERT_FALSE(reopened.ok());
    const std::string& m = reopened.status().message();
    EXPECT_EQ(m.rfind("LedgerDamaged: entry " + std::to_string(entry) + ":", 0), 0u) << m;
    EXPECT_NE(m.find(why_fragment), std::string::npos) << m;
  }

  FakeClock clock_;
  std::string path_;
  EthKey admin_ = EthKey::Generate();
  EthKey sequencer_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  EthKey user2_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
};

TEST_F(EmbeddedLedgerTest, RegistryAddressIsNeverAContractsAddress) {
  EXPECT_EQ(ledger_->RegistryAddress(), EmbeddedRegistryAddress(admin_.address(), kChain));
  // Where `certme ledger deploy` from the same fresh key would put the
  // contract: a different registry, so no consent is valid on both.
  EXPECT_NE(ledger_->RegistryAddress(), CreateAddress(admin_.address(), 0));
  EXPECT_NE(EmbeddedRegistryAddress(admin_.address(), kChain), EmbeddedRegistryAddress(admin_.address(), kChain + 1));
  EXPECT_EQ(ledger_->ChainId(), kChain);
  EXPECT_EQ(*ledger_->BlockNumber(), 1u);
  EXPECT_EQ(*ledger_->NextNonce(admin_.address()), 1u) << "genesis used the administrator's nonce 0";
}

TEST_F(EmbeddedLedgerTest, ReopeningReplaysTheSameState) {
  Populate();
  const Bytes32 head = ledger_->HeadHash();
  const uint64_t block = *ledger_->BlockNumber();
  auto events_before = *ledger_->Events({});
  auto req_before = *ledger_->GetRequest(1);
  ledger_.reset();

  clock_.Advance(seconds(100));
  auto reopened = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto& l = *reopened;
  EXPECT_EQ(l->HeadHash(), head);
  EXPECT_EQ(*l->BlockNumber(), block);
  EXPECT_EQ(l->RegistryAddress(), EmbeddedRegistryAddress(admin_.address(), kChain));
  EXPECT_EQ(*l->Admin(), admin_.address());
  EXPECT_TRUE(*l->IsValidator(validator_.address()));
  EXPECT_EQ(*l->GetEidStatus(user_.address()), EidStatus::kActive);
  EXPECT_EQ(*l->GetEidStatus(user2_.address()), EidStatus::kSuspended);
  auto req = *l->GetRequest(1);
  EXPECT_EQ(req.status, RequestStatus::kAnswered);
  EXPECT_EQ(req.answered_at, req_before.answered_at) << "replay uses each entry's own time";
  EXPECT_TRUE(*l->IsConsentNonceUsed(user_.address(), provider_.address(), Keccak256("n1")));
  auto events = *l->Events({});
  ASSERT_EQ(events.size(), events_before.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].kind, events_before[i].kind);
    EXPECT_EQ(events[i].block, events_before[i].block);
    EXPECT_EQ(events[i].time, events_before[i].time);
  }
  // It keeps going where it stopped: sender nonces survived.
  EXPECT_TRUE(l->RevokeEid(admin_, user2_.address()).ok());
}

TEST_F(EmbeddedLedgerTest, ReplayKeepsAnExpiredRequestAnswerable) {
  // An answer that was on time when written stays valid on replay even if
  // the request has long expired by the clock at open.
  Populate();
  ledger_.reset();
  clock_.Advance(seconds(86400));
  auto l = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ((*l)->GetRequest(1)->status, RequestStatus::kAnswered);
}

// A signature record replays with its own entry's time: its signing-time
// window is checked against that time, not the clock at open; the record
// is found by digest and its (user, provider, digest) stays used.
TEST_F(EmbeddedLedgerTest, ReplayKeepsSignatureRecords) {
  Populate();
  const Bytes32 digest = Keccak256("protected header"), request = Keccak256("sign request");
  const uint64_t at = static_cast<uint64_t>(ledger_->Now());
  SignedDigest sd{user_.address(), provider_.address(), digest, request, at};
  const std::vector<SignatureEntry> entries = {{digest, SigBytes(SignSignedDigest(user_, ledger_->Domain(), sd))}};
  auto r = ledger_->RecordSignatures(provider_, user_.address(), request, at, entries);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ledger_.reset();

  clock_.Advance(seconds(86400));  // long past the window: replay must not re-check it by the clock
  auto reopened = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto found = SignatureRecords(**reopened, digest);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].block, r->block);
  EXPECT_EQ((*found)[0].time, r->events[0].time);
  EXPECT_EQ((*found)[0].signed_at, static_cast<int64_t>(at));
  EXPECT_EQ((*found)[0].sign_request, request);
  // Still used: the same record again is AlreadySigned once the time fits.
  SignedDigest again{user_.address(), provider_.address(), digest, request, static_cast<uint64_t>((*reopened)->Now())};
  EXPECT_EQ(ErrorName((*reopened)->RecordSignatures(
                provider_, user_.address(), request, again.signed_at,
                {{digest, SigBytes(SignSignedDigest(user_, (*reopened)->Domain(), again))}})
                          .status()),
            "AlreadySigned");
}

TEST_F(EmbeddedLedgerTest, ModifiedTransactionIsDetected) {
  Populate();
  ledger_.reset();
  Tamper("DROP TRIGGER ledger_entries_no_update;"
         "UPDATE ledger_entries SET tx = substr(tx, 1, 200) || x'ff' || substr(tx, 202) WHERE seq = 4;");
  ExpectDamagedAt(4, "hash does not match");
}

TEST_F(EmbeddedLedgerTest, RehashedEntryStillFailsItsSignature) {
  // The intruder edits a transaction and recomputes that entry's hash: the
  // entry is self-consistent, but nobody signed the edited call.
  Populate();
  ledger_.reset();
  RewriteEntry(3, [](std::string& bytes, std::string&) {
    SignedTransaction tx = *DecodeTransaction(bytes);
    tx.calldata.back() ^= 1;  // another account, same signature
    bytes = EncodeTransaction(tx);
  });
  ExpectDamagedAt(3, "BadSignature");
}

TEST_F(EmbeddedLedgerTest, EntryThatDoesNotLinkIsDetected) {
  Populate();
  ledger_.reset();
  RewriteEntry(4, [](std::string&, std::string& prev) { prev.assign(32, '\0'); });
  ExpectDamagedAt(4, "does not link to entry 3");
}

TEST_F(EmbeddedLedgerTest, DeletedEntryIsDetected) {
  Populate();
  ledger_.reset();
  Tamper("DROP TRIGGER ledger_entries_no_delete; DELETE FROM ledger_entries WHERE seq = 5;");
  ExpectDamagedAt(5, "missing");
}

TEST_F(EmbeddedLedgerTest, ChangedTimeIsDetected) {
  Populate();
  ledger_.reset();
  Tamper("DROP TRIGGER ledger_entries_no_update; UPDATE ledger_entries SET time = time - 1000 WHERE seq = 6;");
  ExpectDamagedAt(6, "hash does not match");
}

TEST_F(EmbeddedLedgerTest, ForgedButRehashedEntryFailsItsSignature) {
  // A fully consistent chain whose new last entry carries a transaction
  // "from" the administrator that the administrator never signed.
  Populate();
  const uint64_t block = *ledger_->BlockNumber();
  const Bytes32 head = ledger_->HeadHash();
  const uint64_t nonce = *ledger_->NextNonce(admin_.address());
  ledger_.reset();
  EthKey intruder = EthKey::Generate();
  SignedTransaction tx = SignTransaction(intruder, kChain, EmbeddedRegistryAddress(admin_.address(), kChain), nonce,
                                         AccountCall(RegistryMethod::kAddValidator, intruder.address()));
  tx.from = admin_.address();
  const std::string bytes = EncodeTransaction(tx);
  const int64_t t = clock_.NowUnixSeconds();
  const Bytes32 hash = EntryHashForTest(head, block + 1, t, bytes);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO ledger_entries VALUES(?,?,?,?,?)", -1, &st, nullptr), SQLITE_OK);
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(block + 1));
  sqlite3_bind_blob(st, 2, head.data(), 32, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 3, t);
  sqlite3_bind_blob(st, 4, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 5, hash.data(), 32, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
  ExpectDamagedAt(static_cast<int>(block + 1), "BadSignature");
}

TEST_F(EmbeddedLedgerTest, TableIsAppendOnly) {
  Populate();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "UPDATE ledger_entries SET time = 0 WHERE seq = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "DELETE FROM ledger_entries WHERE seq = 2", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ledger_.reset();
  EXPECT_TRUE(EmbeddedLedger::Open(Options()).ok());
}

TEST_F(EmbeddedLedgerTest, ForgedAndReplayedTransactionsAreRefused) {
  ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
  const std::string reg = ledger_->RegistryAddress();
  const uint64_t n = *ledger_->NextNonce(admin_.address());
  std::string call = AccountCall(RegistryMethod::kAddProvider, provider_.address());

  SignedTransaction claimed = SignTransaction(provider_, kChain, reg, n, call);
  claimed.from = admin_.address();  // signed by someone else
  EXPECT_EQ(ErrorName(ledger_->Submit(claimed).status()), "BadSignature");
  EXPECT_EQ(ErrorName(ledger_->Submit(SignTransaction(admin_, kChain + 1, reg, n, call)).status()), "WrongChain");
  EXPECT_EQ(ErrorName(ledger_->Submit(SignTransaction(admin_, kChain, EthKey::Generate().address(), n, call)).status()),
            "WrongChain");
  EXPECT_EQ(ErrorName(ledger_->Submit(SignTransaction(admin_, kChain, reg, n + 1, call)).status()), "BadTxNonce");
  EXPECT_EQ(ErrorName(ledger_->Submit(SignTransaction(admin_, kChain, reg, n, "\xde\xad\xbe\xef")).status()), "BadCalldata");
  EXPECT_EQ(ErrorName(ledger_->Submit(SignTransaction(admin_, kChain, reg, n, InitializeCall(admin_.address()))).status()),
            "NotAuthorized");
  SignedTransaction good = SignTransaction(admin_, kChain, reg, n, call);
  ASSERT_TRUE(ledger_->Submit(good).ok());
  EXPECT_EQ(ErrorName(ledger_->Submit(good).status()), "BadTxNonce") << "a replayed transaction";
  EXPECT_TRUE(*ledger_->IsProvider(provider_.address()));
  EXPECT_EQ(*ledger_->NextNonce(admin_.address()), n + 1);
}

TEST_F(EmbeddedLedgerTest, RefusedCallsLeaveNoEntry) {
  const uint64_t before = *ledger_->BlockNumber();
  EXPECT_FALSE(ledger_->AddValidator(provider_, validator_.address()).ok());
  EXPECT_EQ(*ledger_->BlockNumber(), before);
  EXPECT_EQ(*ledger_->NextNonce(provider_.address()), 0u);
}

TEST_F(EmbeddedLedgerTest, CreateOpenAndForeignFiles) {
  EXPECT_EQ(EmbeddedLedger::Create(Options(), admin_, kChain).status().code(), StatusCode::kAlreadyExists);
  EmbeddedLedgerOptions missing = Options();
  missing.path = LedgerTestDir().NewFile(".absent");
  auto m = EmbeddedLedger::Open(missing);
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("certme ledger init"), std::string::npos);
  EmbeddedLedgerOptions foreign = Options();
  foreign.path = LedgerTestDir().NewFile(".db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(EmbeddedLedger::Open(foreign).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(EmbeddedLedger::Create(foreign, admin_, kChain).status().code(), StatusCode::kFailedPrecondition);
  EmbeddedLedgerOptions text = Options();
  text.path = LedgerTestDir().NewFile(".txt");
  std::ofstream(text.path) << "not a database at all, just some text that is long enough to be read";
  EXPECT_FALSE(EmbeddedLedger::Open(text).ok());
}

TEST_F(EmbeddedLedgerTest, LedgerTimeNeverGoesBackwards) {
  ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
  const int64_t t1 = ledger_->Now();
  // A step back within the tolerance (5 minutes by default): entries keep
  // the newest entry's time until the clock catches up.
  clock_.Advance(seconds(-120));
  EXPECT_EQ(ledger_->Now(), t1);
  auto r = ledger_->AddProvider(admin_, provider_.address());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->events[0].time, t1);
  // Further back: the clock is wrong, and nothing is stamped from it.
  clock_.Advance(seconds(-3600));
  auto behind = ledger_->AddProvider(admin_, EthKey::Generate().address());
  ASSERT_FALSE(behind.ok());
  EXPECT_EQ(behind.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(behind.status().message().rfind("LedgerClockBehind: this machine's clock is 3720 s behind", 0), 0u)
      << behind.status().message();
  // Reads go on, and appends resume once the clock is right again.
  EXPECT_TRUE(*ledger_->IsProvider(provider_.address()));
  clock_.Advance(seconds(3720 + 5));
  auto again = ledger_->AddProvider(admin_, EthKey::Generate().address());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->events[0].time, t1 + 5);
  ledger_.reset();
  EXPECT_TRUE(EmbeddedLedger::Open(Options()).ok());
}

// Two openers of one file stand for two processes (the validator daemon and
// the provider): each sees the other's entries, and waiting is woken by the
// other's writes through the file watcher.
TEST_F(EmbeddedLedgerTest, SecondOpenerSeesAndWakesOnTheFirstOnesWrites) {
  Populate();
  auto second = EmbeddedLedger::Open(Options());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto& b = *second;
  EXPECT_EQ(b->HeadHash(), ledger_->HeadHash());

  EventFilter f;
  f.after_block = *b->BlockNumber();
  f.kind = EventKind::kEidStatusChanged;
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(100));
    (void)ledger_->ReactivateEid(admin_, user2_.address());
  });
  const auto start = std::chrono::steady_clock::now();
  auto events = b->WaitForEvents(f, seconds(20));
  const auto took = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].status, EidStatus::kActive);
  EXPECT_LT(took, milliseconds(1500)) << "woken by the file event, not the 2 s fallback tick";
  EXPECT_EQ(*b->GetEidStatus(user2_.address()), EidStatus::kActive);

  // Writes alternate between the two openers; nonces stay in step.
  ASSERT_TRUE(b->SuspendEid(admin_, user2_.address()).ok());
  ASSERT_TRUE(ledger_->ReactivateEid(admin_, user2_.address()).ok());
  ASSERT_TRUE(b->RevokeEid(admin_, user2_.address()).ok());
  ASSERT_TRUE(ledger_->Sync().ok());
  EXPECT_EQ(*ledger_->GetEidStatus(user2_.address()), EidStatus::kRevoked);
  EXPECT_EQ(ledger_->HeadHash(), b->HeadHash());
}

TEST_F(EmbeddedLedgerTest, DamageFoundWhileRunningStopsEveryCall) {
  Populate();
  auto second = EmbeddedLedger::Open(
      {.path = path_, .clock = &clock_, .sync_full = false, .watch_file = false, .sequencer = sequencer_});
  ASSERT_TRUE(second.ok());
  // An intruder appends a bogus entry; the second opener finds it on Sync.
  Tamper("INSERT INTO ledger_entries VALUES(100, zeroblob(32), 0, x'00', zeroblob(32));");
  Status s = (*second)->Sync();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message().rfind("LedgerDamaged:", 0), 0u) << s.ToString();
  EXPECT_FALSE((*second)->GetEidStatus(user_.address()).ok()) << "no answers from a damaged ledger";
  EXPECT_FALSE((*second)->AddProvider(admin_, EthKey::Generate().address()).ok());
}

}  // namespace
}  // namespace certme
