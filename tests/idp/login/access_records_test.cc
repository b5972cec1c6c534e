// Access records at every wallet login (idp/login/access_records.h): a
// first login and a re-login from the reuse cache each leave one record on
// the ledger that only the user (and the provider) can open; the login never
// waits for the ledger; a queued record survives a restart (sqlite store);
// the queue holds nothing that names the user.
#include "idp/login/access_records.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>

#include "ledger-client/access_record.h"
#include "ledger-client/registry_abi.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

// Delegates to a real ledger, but holds every recordAccess until released
// (a ledger that is slow or down for the submitter).
class GatedLedger : public Ledger {
 public:
  explicit GatedLedger(Ledger& inner) : l_(inner) {}
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  std::atomic<int> held{0};
  // Refuse recordAccess at once instead of holding it (the ledger is down).
  std::atomic<bool> fail{false};

  uint64_t ChainId() const override { return l_.ChainId(); }
  std::string RegistryAddress() const override { return l_.RegistryAddress(); }
  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    if (calldata.substr(0, 4) == abi::Selector(RegistryMethodSignature(RegistryMethod::kRecordAccess))) {
      ++held;
      if (fail) return Unavailable("the ledger node is down");
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return open_; });
    }
    return l_.Transact(sender, calldata);
  }
  StatusOr<std::string> Admin() override { return l_.Admin(); }
  StatusOr<std::string> PendingAdmin() override { return l_.PendingAdmin(); }
  StatusOr<bool> IsValidator(std::string_view a) override { return l_.IsValidator(a); }
  StatusOr<bool> IsProvider(std::string_view a) override { return l_.IsProvider(a); }
  StatusOr<EidRecord> GetEid(std::string_view u) override { return l_.GetEid(u); }
  StatusOr<EidStatus> GetEidStatus(std::string_view u) override { return l_.GetEidStatus(u); }
  StatusOr<ValidationRequest> GetRequest(uint64_t id) override { return l_.GetRequest(id); }
  StatusOr<bool> IsConsentNonceUsed(std::string_view u, std::string_view p, const Bytes32& n) override {
    return l_.IsConsentNonceUsed(u, p, n);
  }
  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view v) override { return l_.OpenRequests(v); }
  StatusOr<uint64_t> OpenRequestCount(std::string_view v) override { return l_.OpenRequestCount(v); }
  StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view v, uint64_t s, uint64_t c) override {
    return l_.OpenRequestIds(v, s, c);
  }
  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& f) override { return l_.Events(f); }
  StatusOr<uint64_t> BlockNumber() override { return l_.BlockNumber(); }
  int64_t Now() const override { return l_.Now(); }
  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& f, Duration t) override {
    return l_.WaitForEvents(f, t);
  }

 private:
  Ledger& l_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class AccessRecordsTest : public WalletLoginTest {
 protected:
  AccessRecordsOptions Options() {
    AccessRecordsOptions o;
    o.poll = milliseconds(20);
    o.backoff = milliseconds(20);
    o.max_backoff = milliseconds(200);
    o.on_pass = [this](size_t queued, double age) {
      last_queued_ = queued;
      last_age_ = age;
    };
    return o;
  }

  std::vector<LedgerEvent> Recorded() {
    EventFilter f;
    f.kind = EventKind::kAccessRecorded;
    return *ledger_->Events(f);
  }

  // A full login of `protocol`; returns the wallet POST's answer.
  HttpResponse Login(const std::string& protocol, std::vector<std::string> attrs = kAsked) {
    LoginRequest r;
    r.txn = SystemRandom().Token(32);
    r.protocol = protocol;
    r.service_id = "demo-rp";
    r.service_names = {{"ro", "Serviciu demonstrativ"}};
    r.attributes = std::move(attrs);
    r.resume_url = kResume;
    r.expires_at = clock_.NowUnixSeconds() + 300;
    EXPECT_EQ(auth_->Begin(r).status, 302);
    std::string code = CodeOnPage(r.txn);
    return Post(code, Answer(code));
  }

  // Runs a login on its own thread: true when it finished within `limit`
  // (otherwise the gate is opened so that the stuck login can end).
  bool LoginFinishesWithin(GatedLedger& gated, Duration limit, int* status) {
    std::promise<int> done;
    auto finished = done.get_future();
    std::thread t([&] { done.set_value(Login("oidc").status); });
    const bool in_time = finished.wait_for(limit) == std::future_status::ready;
    if (!in_time) gated.Release();
    t.join();
    *status = finished.get();
    return in_time;
  }

  std::atomic<size_t> last_queued_{0};
  std::atomic<double> last_age_{0};
};

TEST_F(AccessRecordsTest, EveryLoginLeavesARecordOnlyTheUserAndProviderOpen) {
  AccessRecords records(*store_, *ledger_, *provider_keys_, clock_, SystemRandom(), Options());
  auth_->SetAccessRecords(&records);
  ASSERT_EQ(Login("oidc").status, 200);  // first login: the validator answers
  ASSERT_EQ(ValidationRequests(), 1u);
  ASSERT_EQ(Login("saml", {"idnp", "first_name"}).status, 200);  // re-login from the cache
  ASSERT_EQ(ValidationRequests(), 1u);
  ASSERT_TRUE(records.WaitIdle(seconds(20)));
  auto events = Recorded();
  ASSERT_EQ(events.size(), 2u);

  auto wallet = *AccessRecordKeys::Derive(user_, provider_.public_key());
  auto first = wallet.Open(provider_.address(), events[0].tag, events[0].sealed);
  auto second = wallet.Open(provider_.address(), events[1].tag, events[1].sealed);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // Both went out in one batch, in no particular order (queued at the same
  // instant): the record's own time orders the history.
  if (first->kind != "validated") std::swap(first, second);
  EXPECT_EQ(first->kind, "validated");
  EXPECT_EQ(first->protocol, "oidc");
  EXPECT_EQ(first->request_id, 1u);
  EXPECT_EQ(first->attr_keys, (std::vector<Bytes32>{AttributeKey("first_name"), AttributeKey("last_name"),
                                                     AttributeKey("idnp")}));
  EXPECT_EQ(second->kind, "reused");
  EXPECT_EQ(second->protocol, "saml");
  EXPECT_EQ(second->request_id, 0u);
  EXPECT_EQ(second->attr_keys.size(), 2u);
  EXPECT_EQ(first->time, clock_.NowUnixSeconds());

  // Nothing in the events names the user; nobody else opens or matches them.
  auto stranger = *AccessRecordKeys::Derive(EthKey::Generate(), provider_.public_key());
  for (const auto& e : events) {
    EXPECT_EQ(e.provider, provider_.address());
    EXPECT_TRUE(e.user.empty());
    EXPECT_EQ(e.sealed.find(user_.address()), std::string::npos);
    EXPECT_FALSE(stranger.Matches(e.tag, e.sealed));
  }
  EXPECT_NE(events[0].tag, events[1].tag);
}

TEST_F(AccessRecordsTest, TheLoginDoesNotWaitForTheLedger) {
  GatedLedger gated(*ledger_);
  {
    AccessRecords records(*store_, gated, *provider_keys_, clock_, SystemRandom(), Options());
    auth_->SetAccessRecords(&records);
    // The ledger holds recordAccess; logins still finish at once.
    int status = 0;
    ASSERT_TRUE(LoginFinishesWithin(gated, seconds(30), &status)) << "the login waited for the ledger";
    ASSERT_EQ(status, 200);
    for (int i = 0; i < 100 && gated.held.load() == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
    ASSERT_EQ(gated.held.load(), 1) << "the submitter is stuck in recordAccess";
    ASSERT_TRUE(LoginFinishesWithin(gated, seconds(30), &status)) << "the login waited for the ledger";
    ASSERT_EQ(status, 200);
    EXPECT_EQ(*records.Queued(), 2u);
    EXPECT_TRUE(Recorded().empty());
    // The queue names neither the user's address nor a value.
    auto items = store_->ClaimDue("ledger_records", 10, seconds(60));  // the second is due
    ASSERT_TRUE(items.ok());
    for (const auto& it : *items) {
      EXPECT_EQ(it.value.find(HexEncode(user_.address())), std::string::npos);
      EXPECT_EQ(it.value.find(HexEncode(user_.public_key()).substr(2, 40)), std::string::npos);
      for (const auto& [name, value] : values_) EXPECT_EQ(it.value.find(value), std::string::npos) << name;
      ASSERT_TRUE(store_->Reschedule("ledger_records", it.id, Duration::zero()).ok());
    }
    clock_.Advance(seconds(7));
    std::this_thread::sleep_for(milliseconds(100));
    EXPECT_EQ(last_queued_.load(), 2u) << "the metric shows the queue";
    EXPECT_GE(last_age_.load(), 7.0) << "and its lag";
    gated.Release();
    ASSERT_TRUE(records.WaitIdle(seconds(20)));
    auth_->SetAccessRecords(nullptr);
  }
  EXPECT_EQ(Recorded().size(), 2u);
}

TEST_F(AccessRecordsTest, AQueuedRecordSurvivesARestart) {
  const std::string path = LedgerTestDir().NewFile(".db");
  AccessRecordContent content;
  content.time = clock_.NowUnixSeconds();
  content.protocol = "oidc";
  content.kind = "reused";
  content.attr_keys = {AttributeKey("idnp")};
  GatedLedger down(*ledger_);
  down.fail = true;
  {
    auto store = NewSqliteStore({.path = path});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    AccessRecords records(**store, down, *provider_keys_, clock_, SystemRandom(), Options());
    ASSERT_TRUE(records.Record("demo-rp", user_.public_key(), content).ok());
    for (int i = 0; i < 200 && down.held.load() < 2; ++i) std::this_thread::sleep_for(milliseconds(20));
    ASSERT_GE(down.held.load(), 2) << "retried while the ledger is down";
  }  // the bridge stops with the record not on the ledger
  EXPECT_TRUE(Recorded().empty());
  {
    auto store = NewSqliteStore({.path = path});
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(*(*store)->QueueSize("ledger_records"), 1u) << "the record is still in the file";
    AccessRecords records(**store, *ledger_, *provider_keys_, clock_, SystemRandom(), Options());
    ASSERT_TRUE(records.WaitIdle(seconds(20)));
  }
  auto events = Recorded();
  ASSERT_EQ(events.size(), 1u);
  auto wallet = *AccessRecordKeys::Derive(user_, provider_.public_key());
  auto opened = wallet.Open(provider_.address(), events[0].tag, events[0].sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->kind, "reused");
  EXPECT_EQ(opened->attr_keys, content.attr_keys);
}

TEST_F(AccessRecordsTest, RecordsOfAnUnknownServiceOrMalformedKeyAreRefusedAtOnce) {
  AccessRecords records(*store_, *ledger_, *provider_keys_, clock_, SystemRandom(), Options());
  AccessRecordContent content;
  content.protocol = "oidc";
  content.kind = "reused";
  EXPECT_FALSE(records.Record("demo-rp", std::string(65, '\x04'), content).ok());
  content.protocol = "ftp";
  EXPECT_FALSE(records.Record("demo-rp", user_.public_key(), content).ok());
  EXPECT_EQ(*records.Queued(), 0u);
}

}  // namespace
}  // namespace certme
