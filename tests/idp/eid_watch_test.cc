// LedgerEidStatus (idp/eid_watch.h) on the embedded ledger, the part the
// protocol tests replace with a stand-in: a status is served from the cache
// until an EidStatusChanged event names the eID; a ledger that cannot be
// read makes the check fail (Unavailable: a temporary error at the fronts)
// once the cache can no longer be trusted, never the cached "active"; and a
// suspension made while the ledger could not be read ends the eID's
// sessions once it can.
#include "idp/eid_watch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The bridge's connection to the ledger, which can go down: every read
// then fails as a node that does not answer. Writes (the administrator's,
// from elsewhere) still reach the ledger.
class SeveredLedger : public Ledger {
 public:
  explicit SeveredLedger(Ledger& inner) : l_(inner) {}
  std::atomic<bool> down{false};

  uint64_t ChainId() const override { return l_.ChainId(); }
  std::string RegistryAddress() const override { return l_.RegistryAddress(); }
  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    return l_.Transact(sender, calldata);
  }
  StatusOr<std::string> Admin() override { return Gate(l_.Admin()); }
  StatusOr<std::string> PendingAdmin() override { return Gate(l_.PendingAdmin()); }
  StatusOr<bool> IsValidator(std::string_view a) override { return Gate(l_.IsValidator(a)); }
  StatusOr<bool> IsProvider(std::string_view a) override { return Gate(l_.IsProvider(a)); }
  StatusOr<EidRecord> GetEid(std::string_view u) override { return Gate(l_.GetEid(u)); }
  StatusOr<EidStatus> GetEidStatus(std::string_view u) override {
    ++status_reads;
    return Gate(l_.GetEidStatus(u));
  }
  StatusOr<ValidationRequest> GetRequest(uint64_t id) override { return Gate(l_.GetRequest(id)); }
  StatusOr<bool> IsConsentNonceUsed(std::string_view u, std::string_view p, const Bytes32& n) override {
    return Gate(l_.IsConsentNonceUsed(u, p, n));
  }
  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view v) override {
    return Gate(l_.OpenRequests(v));
  }
  StatusOr<uint64_t> OpenRequestCount(std::string_view v) override { return Gate(l_.OpenRequestCount(v)); }
  StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view v, uint64_t s, uint64_t c) override {
    return Gate(l_.OpenRequestIds(v, s, c));
  }
  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& f) override { return Gate(l_.Events(f)); }
  StatusOr<uint64_t> BlockNumber() override { return Gate(l_.BlockNumber()); }
  int64_t Now() const override { return l_.Now(); }
  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& f, Duration t) override {
    if (down) {
      std::this_thread::sleep_for(std::min<Duration>(t, milliseconds(50)));
      return Unavailable("the ledger node does not answer");
    }
    return l_.WaitForEvents(f, t);
  }

  std::atomic<int> status_reads{0};

 private:
  template <typename T>
  StatusOr<T> Gate(StatusOr<T> v) {
    if (down) return Unavailable("the ledger node does not answer");
    return v;
  }
  Ledger& l_;
};

class EidWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EmbeddedLedger::Create(
        {.path = dir_.NewFile(".ledger"), .sync_full = false, .watch_file = false, .sequencer = EthKey::Generate()},
        admin_, kEmbeddedDefaultChainId);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    const Bytes32 key = AttributeKey("idnp");
    ASSERT_TRUE(ledger_->IssueEid(validator_, user_, {key},
                                  {AttributeCommitment(user_.address(), key, "2001234567890", Keccak256("s"))},
                                  kLoaSubstantial)
                    .ok());
    severed_ = std::make_unique<SeveredLedger>(*ledger_);
    EidWatchOptions o;
    o.wait = milliseconds(100);
    o.stale_after = milliseconds(400);
    o.retry = milliseconds(50);
    status_ = std::make_unique<LedgerEidStatus>(*severed_, SystemClock(), o);
    status_->OnInactive([this](const std::string& eid) {
      std::lock_guard<std::mutex> lock(mu_);
      ended_.push_back(eid);
    });
    status_->Start();
    ASSERT_TRUE(Eventually([&] { return status_->Watching(); })) << "the watcher never kept up";
  }
  void TearDown() override { status_.reset(); }

  template <typename F>
  static bool Eventually(F f, std::chrono::milliseconds within = std::chrono::milliseconds(5000)) {
    const auto until = steady_clock::now() + within;
    while (steady_clock::now() < until) {
      if (f()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return f();
  }
  std::vector<std::string> Ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  bool Is(EidLiveStatus want) {
    auto s = status_->Status(eid_);
    return s.ok() && *s == want;
  }

  LedgerTempDir dir_;
  EthKey admin_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  const std::string eid_ = ChecksumAddress(user_.address());
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::unique_ptr<SeveredLedger> severed_;
  std::unique_ptr<LedgerEidStatus> status_;
  std::mutex mu_;
  std::vector<std::string> ended_;
};

TEST_F(EidWatchTest, CachedUntilAnEventNamesTheEid) {
  ASSERT_TRUE(Is(EidLiveStatus::kActive));
  const int reads = severed_->status_reads.load();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Is(EidLiveStatus::kActive));
  EXPECT_EQ(severed_->status_reads.load(), reads) << "a cached status was read from the ledger again";
  EXPECT_GE(status_->counters().hits, 5u);

  ASSERT_TRUE(ledger_->SuspendEid(admin_, user_.address()).ok());
  EXPECT_TRUE(Eventually([&] { return Is(EidLiveStatus::kSuspended); })) << "the cached active outlived the event";
  EXPECT_TRUE(Eventually([&] { return Ended() == std::vector<std::string>{eid_}; }));
  ASSERT_TRUE(ledger_->ReactivateEid(admin_, user_.address()).ok());
  EXPECT_TRUE(Eventually([&] { return Is(EidLiveStatus::kActive); }));
  EXPECT_EQ(Ended().size(), 1u) << "a reactivation ended sessions";
}

TEST_F(EidWatchTest, ALedgerThatCannotBeReadFailsClosedAndWhatItMissedIsCaughtUp) {
  ASSERT_TRUE(Is(EidLiveStatus::kActive));  // cached
  severed_->down = true;
  // Once the watcher has fallen behind, the cache is not used.
  ASSERT_TRUE(Eventually([&] { return !status_->Watching(); }));
  // Suspended meanwhile, by the administrator from elsewhere: the bridge
  // cannot see the event, and the check fails with a temporary error —
  // never the cached "active".
  ASSERT_TRUE(ledger_->SuspendEid(admin_, user_.address()).ok());
  for (int i = 0; i < 3; ++i) {
    auto s = status_->Status(eid_);
    ASSERT_FALSE(s.ok()) << "answered " << static_cast<int>(*s) << " while the ledger could not be read";
    EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
  }
  EXPECT_TRUE(Ended().empty());
  // The ledger answers again: the missed suspension is read and ends the
  // eID's sessions.
  severed_->down = false;
  EXPECT_TRUE(Eventually([&] { return Is(EidLiveStatus::kSuspended); }));
  EXPECT_TRUE(Eventually([&] { return Ended() == std::vector<std::string>{eid_}; }))
      << "the suspension made while the ledger was unreadable ended no session";
}

}  // namespace
}  // namespace certme
