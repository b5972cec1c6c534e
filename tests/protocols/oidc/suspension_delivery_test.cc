// End to end on the server's parts: the embedded ledger, the cached
// LedgerEidStatus with its EidStatusChanged watcher, the OIDC provider and
// Store-backed outbox that delivers logouts. Suspending the eID on the ledger delivers the
// back-channel logout to the RP's receiver (an HTTP listener on 127.0.0.1)
// within 5 s and revokes the tokens; reactivation allows a new login.
#include <chrono>
#include <thread>

#include "crypto/ethereum.h"
#include "idp/eid_watch.h"
#include "idp/outbound/outbox.h"
#include "store/memory/memory_store.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/idp/tiny_http_server.h"
#include "tests/ledger-client/temp_dir.h"
#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The server's notifier: Back-Channel Logout 1.0 §2.5 through the outbox.
class OutboxNotifier : public LogoutNotifier {
 public:
  explicit OutboxNotifier(Outbox& o) : outbox_(o) {}
  void PostLogoutToken(const std::string&, const std::string& uri, const std::string& token) override {
    EXPECT_TRUE(outbox_.Post({.url = uri, .body = EncodeUrlEncoded({{"logout_token", token}})}).ok());
  }

 private:
  Outbox& outbox_;
};

class SuspensionDeliveryTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    auto l = EmbeddedLedger::Create(
        {.path = LedgerTestDir().NewFile(".ledger"), .sync_full = false, .watch_file = false, .sequencer = EthKey::Generate()},
        admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    Bytes32 key = AttributeKey("idnp");
    ASSERT_TRUE(ledger_->IssueEid(validator_, user_, {key},
                                  {AttributeCommitment(user_.address(), key, "2001234567890", Keccak256("s"))},
                                  kLoaHigh)
                    .ok());
  }
  std::vector<::certme::testing::ReceivedRequest> WaitForDelivery(::certme::testing::TinyHttpServer& rp,
                                                                 steady_clock::time_point deadline) {
    for (;;) {
      auto got = rp.Received();
      if (!got.empty() || steady_clock::now() >= deadline) return got;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  EthKey admin_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
};

TEST_F(SuspensionDeliveryTest, SuspensionReachesTheBackChannelReceiverWithinFiveSeconds) {
  ::certme::testing::TinyHttpServer receiver([](int) { return 200; });
  OidcClient rp = ConfidentialClient("bcrp");
  rp.backchannel_logout_uri = receiver.Url("/backchannel");
  Register(rp);
  // The outbox keeps its queue in a store of its own on the real clock.
  auto queue_store = NewMemoryStore();
  Outbox outbox(*queue_store, SystemClock(), SystemRandom(), OutboxOptions{.poll = milliseconds(50)});
  OutboxNotifier notifier(outbox);
  op_ = std::make_unique<OidcProvider>(options_, *store_, *keys_, *clients_, auth_, catalogue_, notifier, clock_,
                                       SystemRandom());
  LedgerEidStatus status(*ledger_, SystemClock());
  OidcProvider* op = op_.get();
  status.OnInactive([op](const std::string& eid) { EXPECT_TRUE(op->EndEidSessions(eid).ok()); });
  op_->SetEidStatusSource(&status);
  status.Start();

  const std::string eid = ChecksumAddress(user_.address());
  login_eid_ = eid;
  login_acr_ = "http://eidas.europa.eu/LoA/high";
  std::string code = CodeFor(AuthParams("bcrp"));
  ASSERT_FALSE(code.empty());
  auto tokens = Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}},
                                "bcrp"));
  ASSERT_TRUE(tokens.contains("refresh_token")) << tokens;
  // Served from the cache once the watcher keeps up.
  auto until = steady_clock::now() + std::chrono::seconds(5);
  while (!status.Watching() && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(20));
  ASSERT_TRUE(status.Watching());
  ASSERT_TRUE(status.Status(eid).ok());
  ASSERT_TRUE(status.Status(eid).ok());
  EXPECT_GE(status.counters().hits, 1u);

  auto suspended_at = steady_clock::now();
  ASSERT_TRUE(ledger_->SuspendEid(admin_, user_.address()).ok());
  auto got = WaitForDelivery(receiver, suspended_at + std::chrono::seconds(5));
  ASSERT_EQ(got.size(), 1u) << "no back-channel logout within 5 s";
  EXPECT_NE(got[0].head.find("POST /backchannel HTTP/1.1"), std::string::npos);
  EXPECT_EQ(got[0].body.rfind("logout_token=", 0), 0u);
  EXPECT_EQ(*status.Status(eid), EidLiveStatus::kSuspended);

  // The tokens are revoked, and stay so after reactivation.
  EXPECT_EQ(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", tokens["refresh_token"]}}, "bcrp").status,
            400);
  ASSERT_TRUE(ledger_->ReactivateEid(admin_, user_.address()).ok());
  until = steady_clock::now() + std::chrono::seconds(5);
  while (steady_clock::now() < until && !(status.Status(eid).ok() && *status.Status(eid) == EidLiveStatus::kActive))
    std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(*status.Status(eid), EidLiveStatus::kActive);
  EXPECT_EQ(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", tokens["refresh_token"]}}, "bcrp").status,
            400);
  // A new login works again.
  jar_.clear();
  std::string again = CodeFor(AuthParams("bcrp"));
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(TokenBasic({{"grant_type", "authorization_code"}, {"code", again}, {"redirect_uri", kRedirect}}, "bcrp")
                .status,
            200);
}

}  // namespace
}  // namespace certme::testing
