#include "idp/outbound/outbox.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <tuple>

#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/idp/tiny_http_server.h"
#include "tests/store/failing_store.h"

namespace certme {
namespace {

using testing::TinyHttpServer;
using namespace std::chrono_literals;

struct Outcome {
  std::mutex mu;
  std::vector<std::tuple<std::string, bool, int, long>> done;
  std::function<void(const std::string&, bool, int, long)> Hook() {
    return [this](const std::string& u, bool ok, int attempts, long status) {
      std::lock_guard<std::mutex> l(mu);
      done.emplace_back(u, ok, attempts, status);
    };
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return done.size();
  }
};

OutboxOptions Fast(Outcome& o) {
  OutboxOptions opt;
  opt.workers = 2;
  opt.max_attempts = 3;
  opt.attempt_timeout = 800ms;
  opt.backoff = 20ms;
  opt.poll = 20ms;
  opt.lease = 2s;
  opt.on_done = o.Hook();
  return opt;
}

OutboundPost To(const std::string& url, std::string body = "x") {
  return OutboundPost{.url = url, .body = std::move(body)};
}

class OutboxTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> store_ = NewMemoryStore({});
};

TEST_F(OutboxTest, DeliversBodyContentTypeAndSoapAction) {
  TinyHttpServer rp([](int) { return 200; });
  Outcome o;
  {
    Outbox box(*store_, SystemClock(), SystemRandom(), Fast(o));
    ASSERT_TRUE(box.Post(To(rp.Url("/bc"), "logout_token=abc")).ok());
    ASSERT_TRUE(box.Post({.url = rp.Url("/soap"), .body = "<e/>", .content_type = "text/xml",
                          .soap_action = "http://www.oasis-open.org/committees/security"})
                    .ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  auto got = rp.Received();
  ASSERT_EQ(got.size(), 2u);
  const auto& form = got[0].head.find("POST /bc ") != std::string::npos ? got[0] : got[1];
  const auto& soap = &form == &got[0] ? got[1] : got[0];
  EXPECT_NE(form.head.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_EQ(form.body, "logout_token=abc");
  EXPECT_EQ(form.head.find("SOAPAction"), std::string::npos);
  EXPECT_NE(soap.head.find("Content-Type: text/xml"), std::string::npos);
  EXPECT_NE(soap.head.find("SOAPAction: \"http://www.oasis-open.org/committees/security\""),
            std::string::npos);
  EXPECT_EQ(o.size(), 2u);
  EXPECT_EQ(*store_->QueueSize("outbox"), 0u) << "delivered items leave the queue";
}

// A CIBA ping (CIBA Core §10.2): JSON with the client's bearer token, which
// survives the queue (the item is stored, then delivered).
TEST_F(OutboxTest, DeliversTheAuthorizationHeader) {
  TinyHttpServer rp([](int) { return 204; });
  Outcome o;
  {
    Outbox box(*store_, SystemClock(), SystemRandom(), Fast(o));
    ASSERT_TRUE(box.Post({.url = rp.Url("/ciba"), .body = R"({"auth_req_id":"r1"})",
                          .content_type = "application/json", .authorization = "Bearer tok-1.x"})
                    .ok());
    ASSERT_TRUE(box.Post(To(rp.Url("/plain"))).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  auto got = rp.Received();
  ASSERT_EQ(got.size(), 2u);
  const auto& ping = got[0].head.find("POST /ciba ") != std::string::npos ? got[0] : got[1];
  const auto& plain = &ping == &got[0] ? got[1] : got[0];
  EXPECT_NE(ping.head.find("Authorization: Bearer tok-1.x"), std::string::npos) << ping.head;
  EXPECT_NE(ping.head.find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(ping.body, R"({"auth_req_id":"r1"})");
  EXPECT_EQ(plain.head.find("Authorization"), std::string::npos);
}

TEST_F(OutboxTest, RetriesServerErrorsThenSucceeds) {
  TinyHttpServer rp([](int n) { return n < 2 ? 503 : 204; });
  Outcome o;
  std::mutex mu;
  std::vector<long> attempts;  // what on_attempt saw (the metrics' failed attempts)
  {
    OutboxOptions opt = Fast(o);
    opt.on_attempt = [&](long status) {
      std::lock_guard<std::mutex> l(mu);
      attempts.push_back(status);
    };
    Outbox box(*store_, SystemClock(), SystemRandom(), opt);
    ASSERT_TRUE(box.Post(To(rp.Url())).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  EXPECT_EQ(rp.Received().size(), 3u);
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_TRUE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<2>(o.done[0]), 3);
  EXPECT_EQ(attempts, (std::vector<long>{503, 503, 204}));
}

TEST_F(OutboxTest, ClientErrorIsFinal) {
  TinyHttpServer rp([](int) { return 400; });
  Outcome o;
  {
    Outbox box(*store_, SystemClock(), SystemRandom(), Fast(o));
    ASSERT_TRUE(box.Post(To(rp.Url())).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  EXPECT_EQ(rp.Received().size(), 1u);
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_FALSE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<3>(o.done[0]), 400);
}

TEST_F(OutboxTest, GivesUpAfterMaxAttemptsOnDeadReceiver) {
  int port;
  { TinyHttpServer probe([](int) { return 200; }); port = probe.port(); }
  Outcome o;
  {
    Outbox box(*store_, SystemClock(), SystemRandom(), Fast(o));
    ASSERT_TRUE(box.Post(To("http://127.0.0.1:" + std::to_string(port) + "/")).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_FALSE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<2>(o.done[0]), 3);
}

TEST_F(OutboxTest, DropsADeliveryPastItsDeadline) {
  TinyHttpServer rp([](int) { return 503; });
  Outcome o;
  {
    auto opt = Fast(o);
    opt.max_attempts = 1000;
    opt.deadline = 300ms;
    Outbox box(*store_, SystemClock(), SystemRandom(), opt);
    ASSERT_TRUE(box.Post(To(rp.Url())).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_FALSE(std::get<1>(o.done[0]));
  EXPECT_GT(std::get<2>(o.done[0]), 1) << "retried until the deadline";
  EXPECT_LT(rp.Received().size(), 100u);
}

TEST_F(OutboxTest, HangingReceiverDoesNotDelayOthers) {
  TinyHttpServer hang([](int) { return -1; });
  TinyHttpServer good([](int) { return 200; });
  Outcome o;
  auto start = std::chrono::steady_clock::now();
  std::atomic<int64_t> good_ms{-1};
  {
    auto opt = Fast(o);
    opt.max_attempts = 1;
    auto hook = opt.on_done;
    opt.on_done = [&, hook](const std::string& u, bool ok, int a, long s) {
      if (ok) {
        good_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
      }
      hook(u, ok, a, s);
    };
    Outbox box(*store_, SystemClock(), SystemRandom(), opt);
    ASSERT_TRUE(box.Post(To(hang.Url())).ok());
    ASSERT_TRUE(box.Post(To(good.Url())).ok());
    ASSERT_TRUE(box.WaitIdle(10s));
  }
  ASSERT_EQ(o.done.size(), 2u);
  EXPECT_GE(good_ms.load(), 0);
  EXPECT_LT(good_ms.load(), 700) << "the good receiver waited for the hanging one";
}

TEST_F(OutboxTest, RefusesNonHttpSchemes) {
  Outcome o;
  Outbox box(*store_, SystemClock(), SystemRandom(), Fast(o));
  EXPECT_EQ(box.Post(To("file:///etc/passwd")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(box.Post(To("gopher://127.0.0.1/")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->QueueSize("outbox"), 0u);
}

TEST_F(OutboxTest, AStoreOutageIsReportedAndDeliveryResumesAfterIt) {
  TinyHttpServer rp([](int) { return 200; });
  testing::FailingStore failing(NewMemoryStore({}));
  Outcome o;
  Outbox box(failing, SystemClock(), SystemRandom(), Fast(o));
  failing.Fail(testing::FailingStore::Op::kEnqueue, "outbox");
  EXPECT_EQ(box.Post(To(rp.Url())).code(), StatusCode::kUnavailable) << "the caller learns it";
  failing.Heal();
  failing.Fail(testing::FailingStore::Op::kClaimDue, "outbox");
  ASSERT_TRUE(box.Post(To(rp.Url())).ok());
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(rp.Received().size(), 0u);
  failing.Heal();
  ASSERT_TRUE(box.WaitIdle(10s));
  EXPECT_EQ(rp.Received().size(), 1u);
}

// The replica that queued a delivery stops (or is killed) before the
// receiver is reachable; another replica on the same store delivers it.
class DurableOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("certme-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> Open(Clock* clock = nullptr) {
    auto s = NewSqliteStore({.path = (dir_ / "store.db").string(), .clock = clock});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  std::filesystem::path dir_;
};

TEST_F(DurableOutboxTest, AStoppedReplicasDeliveriesAreMadeByTheNextOne) {
  std::atomic<bool> up{false};
  TinyHttpServer rp([&](int) { return up ? 200 : 503; });
  Outcome first, second;
  {
    auto store = Open();
    auto opt = Fast(first);
    opt.backoff = 10s;  // the retry is due long after this replica is gone
    opt.drain_timeout = 0ms;
    Outbox box(*store, SystemClock(), SystemRandom(), opt);
    ASSERT_TRUE(box.Post(To(rp.Url("/bc"), "logout_token=t1")).ok());
    for (int i = 0; i < 200 && rp.Received().empty(); ++i) std::this_thread::sleep_for(10ms);
    ASSERT_EQ(rp.Received().size(), 1u);
  }
  EXPECT_EQ(first.size(), 0u) << "not finished: still queued";
  up = true;
  // The next replica starts after the retry fell due.
  FakeClock later(SystemClock().NowUnixMillis() + 11'000);
  auto store = Open(&later);
  ASSERT_EQ(*store->QueueSize("outbox"), 1u) << "the delivery survived its replica";
  Outbox box(*store, later, SystemRandom(), Fast(second));
  ASSERT_TRUE(box.WaitIdle(10s));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_TRUE(std::get<1>(second.done[0]));
  EXPECT_EQ(rp.Received().back().body, "logout_token=t1");
}

TEST_F(DurableOutboxTest, AnItemClaimedByAReplicaThatDiedIsDeliveredAfterTheLease) {
  TinyHttpServer rp([](int) { return 200; });
  auto store = Open();
  Outcome o;
  // Queued and claimed by a replica that is killed right after its claim.
  ASSERT_TRUE(store->Enqueue("outbox", "dead-replica-item",
                             R"({"url":")" + rp.Url("/bc") +
                                 R"(","body":"logout_token=t2","type":"application/x-www-form-urlencoded","deadline":)" +
                                 std::to_string(SystemClock().NowUnixMillis() + 60000) + "}",
                             0ms)
                  .ok());
  auto taken = store->ClaimDue("outbox", 1, 400ms);
  ASSERT_EQ(taken->size(), 1u);
  auto start = std::chrono::steady_clock::now();
  Outbox box(*store, SystemClock(), SystemRandom(), Fast(o));
  ASSERT_TRUE(box.WaitIdle(10s));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(rp.Received().size(), 1u);
  EXPECT_EQ(rp.Received()[0].body, "logout_token=t2");
  EXPECT_GE(waited, 300ms) << "not before the dead claimer's lease lapsed";
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(std::get<2>(o.done[0]), 2) << "the dead claim counts as an attempt";
}

}  // namespace
}  // namespace certme
