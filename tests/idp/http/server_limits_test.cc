// Connection caps and the per-address request rate (HttpServerOptions
// max_connections, max_connections_per_address,
// requests_per_second_per_address).
#include "tests/idp/http/server_test_fixture.h"

namespace certme::http_test {
namespace {

// Waits until `pred` holds or ~3 s pass.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST_F(ServerTest, ConnectionsPerAddressAreCappedWith429) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  HttpServerOptions o;
  o.max_connections_per_address = 3;
  Start(o);
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConn>(port()));
    ASSERT_TRUE(held.back()->ok());
  }
  // One acceptor takes connections in arrival order: these three are
  // counted before the fourth is looked at.
  RawConn fourth(port());
  ASSERT_TRUE(fourth.ok());
  auto r = fourth.Read();
  ASSERT_TRUE(r.has_value()) << "the fourth connection from one address gets an answer";
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->headers.Get("retry-after").value_or(""), "1");
  EXPECT_TRUE(fourth.WaitClosed());
  EXPECT_EQ(metrics_->http_refused_connections().Value({"per_address"}), 1);

  held.pop_back();  // one closes: a new one is accepted again
  ASSERT_TRUE(Eventually([&] {
    RawConn again(port());
    return again.Send(Get("/healthz")) && again.Read().value_or(RawConn::Response{}).status == 200;
  }));
}

TEST_F(ServerTest, AtTheGlobalCapTheLongestWaitingConnectionMakesRoom) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  HttpServerOptions o;
  o.max_connections = 4;
  o.max_connections_per_address = 0;
  Start(o);
  // Four slow senders: each started a request and stopped.
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < 4; ++i) {
    slow.push_back(std::make_unique<RawConn>(port()));
    ASSERT_TRUE(slow.back()->Send("GET /healthz HTTP/1.1\r\nHo"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) {
    RawConn probe(port());
    ASSERT_TRUE(probe.Send(Get("/healthz")));
    auto r = probe.Read();
    ASSERT_TRUE(r.has_value()) << "probe " << i << " was locked out by slow connections";
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000));
  EXPECT_TRUE(slow[0]->WaitClosed()) << "the oldest slow sender was closed to make room";
  EXPECT_GE(metrics_->http_refused_connections().Value({"evicted"}), 1);
}

TEST_F(ServerTest, AtTheGlobalCapBusyConnectionsAreKeptAndTheNewOneGets503) {
  std::mutex mu;
  std::vector<std::function<void(HttpResponse)>> waiting;
  router_->HandleAsync("GET", "/hold", [&](HttpRequest, std::function<void(HttpResponse)> respond) {
    std::lock_guard<std::mutex> l(mu);
    waiting.push_back(std::move(respond));
  });
  HttpServerOptions o;
  o.max_connections = 2;
  o.max_connections_per_address = 0;
  Start(o);
  RawConn a(port()), b(port());
  ASSERT_TRUE(a.Send(Get("/hold")));
  ASSERT_TRUE(b.Send(Get("/hold")));
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> l(mu);
    return waiting.size() == 2;
  }));
  RawConn c(port());
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(r->headers.Get("retry-after").has_value());
  {
    std::lock_guard<std::mutex> l(mu);
    for (auto& respond : waiting) respond(HttpResponse::Text(200, "done"));
  }
  auto ra = a.Read();
  ASSERT_TRUE(ra.has_value()) << "a busy connection is never evicted";
  EXPECT_EQ(ra->status, 200);
}

TEST_F(ServerTest, RequestsPerAddressAreRateLimitedExceptOpsRoutes) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  router_->Get("/echo", EchoRequest);
  HttpServerOptions o;
  o.requests_per_second_per_address = 1;
  o.request_burst_per_address = 2;
  o.trusted_proxies = {"127.0.0.1"};
  Start(o);
  const std::string from_a = "X-Forwarded-For: 198.51.100.7";
  EXPECT_EQ(Curl("GET", Url("/echo"), "", {from_a}).status, 200);
  EXPECT_EQ(Curl("GET", Url("/echo"), "", {from_a}).status, 200);
  auto refused = Curl("GET", Url("/echo"), "", {from_a});
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.Header("retry-after").value_or(""), "1");
  // Another client address behind the same proxy has its own budget.
  EXPECT_EQ(Curl("GET", Url("/echo"), "", {"X-Forwarded-For: 198.51.100.8"}).status, 200);
  // Liveness and metrics answer whatever the address did.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Curl("GET", Url("/healthz"), "", {from_a}).status, 200);
  EXPECT_EQ(metrics_->http_rate_limited().Value({"address"}), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Curl("GET", Url("/echo"), "", {from_a}).status, 200) << "the budget refills";
}

TEST(HttpServerOptionsTest, LimitsAreValidated) {
  HttpServerOptions o;
  o.max_connections = -1;
  o.max_connections_per_address = -1;
  o.requests_per_second_per_address = -1;
  o.request_burst_per_address = 0;
  auto st = o.Validate();
  EXPECT_THAT(st.message(), HasSubstr("max_connections must be"));
  EXPECT_THAT(st.message(), HasSubstr("max_connections_per_address must be"));
  EXPECT_THAT(st.message(), HasSubstr("requests_per_second_per_address must be"));
  EXPECT_THAT(st.message(), HasSubstr("request_burst_per_address must be"));
}

}  // namespace
}  // namespace certme::http_test
