// End-to-end tests of the HTTP adapter's lifetime and observability:
// graceful shutdown, async handlers, request ids, access log, metrics,
// readiness, timeouts and termination signals.
#include "tests/idp/http/server_test_fixture.h"

namespace certme::http_test {

TEST_F(ServerTest, GracefulShutdownFinishesInFlightRequest) {
  std::atomic<bool> entered{false};
  router_->Get("/slow", [&](const HttpRequest&) {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return HttpResponse::Text(200, "done");
  });
  Start();
  const uint16_t p = port();
  auto slow = std::async(std::launch::async, [&] { return Curl("GET", Url("/slow")); });
  while (!entered) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  auto t0 = Clock::now();
  auto stopping = std::async(std::launch::async, [&] { server_->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(stopping.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "Shutdown returned while a request was in flight";
  RawConn late(p);
  EXPECT_FALSE(late.ok()) << "new connections must be refused while draining";

  auto r = slow.get();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.Header("connection"), "close");
  stopping.get();
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(150));
}

TEST_F(ServerTest, ShutdownGraceBoundsTheWait) {
  std::atomic<bool> entered{false};
  std::promise<void> release;
  auto released = release.get_future().share();
  router_->HandleAsync("GET", "/hang", [&](HttpRequest, std::function<void(HttpResponse)> respond) {
    entered = true;
    std::thread([respond, released] {
      released.wait();
      respond(HttpResponse::Text(200, "late"));
    }).detach();
  });
  HttpServerOptions o;
  o.shutdown_grace = std::chrono::milliseconds(200);
  Start(o);
  RawConn c(port());
  c.Send(Get("/hang"));
  while (!entered) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t0 = Clock::now();
  server_->Shutdown();
  auto took = Clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(180));
  EXPECT_LT(took, std::chrono::seconds(3));
  release.set_value();  // a late answer after shutdown is dropped, not a crash
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

TEST_F(ServerTest, AsyncHandlerDoesNotBlockTheWorker) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  router_->HandleAsync("GET", "/poll", [](HttpRequest, std::function<void(HttpResponse)> respond) {
    std::thread([respond = std::move(respond)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      respond(HttpResponse::Json(200, R"({"status":"approved"})"));
    }).detach();
  });
  HttpServerOptions o;
  o.threads = 1;  // one worker: a blocked one could not answer /healthz
  Start(o);
  auto t0 = Clock::now();
  auto poll = std::async(std::launch::async, [&] { return Curl("GET", Url("/poll")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  for (int i = 0; i < 5; ++i) {
    auto h = Curl("GET", Url("/healthz"));
    EXPECT_EQ(h.status, 200);
  }
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(190)) << "healthz waited for the long poll";
  EXPECT_EQ(poll.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  auto r = poll.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"approved"})");
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(200));
}

TEST_F(ServerTest, AsyncHandlerThatDropsRespondGets500) {
  router_->HandleAsync("GET", "/lost", [](HttpRequest, std::function<void(HttpResponse)>) {});
  router_->HandleAsync("GET", "/twice", [](HttpRequest, std::function<void(HttpResponse)> respond) {
    respond(HttpResponse::Text(200, "first"));
    respond(HttpResponse::Text(200, "second"));
  });
  Start();
  EXPECT_EQ(Curl("GET", Url("/lost")).status, 500);
  RawConn c(port());
  c.Send(Get("/twice") + Get("/twice"));
  auto a = c.Read(), b = c.Read();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body, "first");
  EXPECT_EQ(b->body, "first");
}

TEST_F(ServerTest, RequestIdsAreMadeWhenNotGivenAndDiffer) {
  router_->Get("/ok", [](const HttpRequest& r) { return HttpResponse::Text(200, r.headers.Get("x-request-id").value_or("")); });
  Start();
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = Curl("GET", Url("/ok"));
    ASSERT_EQ(r.status, 200);
    auto id = r.Header("x-request-id");
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(*id, r.body);  // the handler saw the id the client gets
    EXPECT_EQ(id->size(), 24u);
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(ServerTest, AccessLogLinePerRequest) {
  router_->Get("/cb/:step", [](const HttpRequest&) { return HttpResponse::Text(200, "12345"); });
  Start();
  auto r = Curl("GET", Url("/cb/done?code=SECRETCODE&state=s"), "", {"X-Request-Id: abc-123"});
  EXPECT_EQ(r.Header("x-request-id"), "abc-123");
  auto j = LogFor("abc-123");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["route"], "/cb/:step");
  EXPECT_EQ(j["path"], "/cb/done");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 5);
  EXPECT_EQ(j["client_ip"], "127.0.0.1");
  EXPECT_TRUE(j["duration_ms"].is_number());
  EXPECT_TRUE(j["time"].is_string());
  for (const auto& line : Logs()) EXPECT_THAT(line.dump(), Not(HasSubstr("SECRETCODE")));

  // No (or an unusable) id from the client: one is generated and echoed.
  auto g = Curl("GET", Url("/cb/x"), "", {"X-Request-Id: bad id\"{}"});
  auto id = g.Header("x-request-id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 24u);
  EXPECT_FALSE(LogFor(*id).is_null());
}

TEST_F(ServerTest, AccessLogOffStillLogsServerErrors) {
  router_->Get("/ok", [](const HttpRequest&) { return HttpResponse::Text(200, "fine"); });
  router_->Get("/throw", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  HttpServerOptions o;
  o.access_log_enabled = false;
  Start(o);
  EXPECT_EQ(Curl("GET", Url("/ok"), "", {"X-Request-Id: quiet-1"}).status, 200);
  EXPECT_EQ(Curl("GET", Url("/throw"), "", {"X-Request-Id: loud-1"}).status, 500);
  EXPECT_TRUE(LogFor("quiet-1").is_null());
  auto j = LogFor("loud-1");
  ASSERT_FALSE(j.is_null());
  EXPECT_THAT(j.value("error", ""), HasSubstr("boom"));
}

// Reads one sample from the text exposition: name{labels} value.
double Sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  router_->Get("/x/:id", [](const HttpRequest&) { return HttpResponse::Text(200, "x"); });
  Start();
  auto before = Curl("GET", Url("/metrics"));
  EXPECT_EQ(before.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string ok_series = R"(certme_http_requests_total{route="/x/:id",method="GET",status="200"})";
  const std::string nf_series = R"(certme_http_requests_total{route="unmatched",method="GET",status="404"})";
  const double ok0 = Sample(before.body, ok_series), nf0 = Sample(before.body, nf_series);
  for (int i = 0; i < 3; ++i) Curl("GET", Url("/x/" + std::to_string(i)));
  Curl("GET", Url("/missing"));
  auto after = Curl("GET", Url("/metrics")).body;
  EXPECT_EQ(Sample(after, ok_series), ok0 + 3);
  EXPECT_EQ(Sample(after, nf_series), nf0 + 1);
  EXPECT_EQ(Sample(after, R"(certme_http_request_duration_seconds_count{route="/x/:id"})"), 3);
  EXPECT_EQ(Sample(after, R"(certme_http_request_duration_seconds_bucket{route="/x/:id",le="+Inf"})"), 3);
  EXPECT_THAT(after, HasSubstr("# TYPE certme_http_request_duration_seconds histogram"));
  EXPECT_THAT(after, HasSubstr("certme_http_requests_in_flight 1"));  // this /metrics request
}

// /metrics behind an allowlist: the client address decides (through a
// trusted proxy, the forwarded one), an outsider gets a plain 403 and the
// other ops routes stay open.
TEST_F(ServerTest, MetricsAllowlistRefusesOtherAddresses) {
  OpsOptions ops;
  auto allow = IpMatcher::Parse({"10.1.0.0/16", "::1"});
  ASSERT_TRUE(allow.ok());
  ops.metrics_allow = *allow;
  InstallOpsRoutes(*router_, nullptr, metrics_, ops);
  HttpServerOptions o;
  o.trusted_proxies = {"127.0.0.1"};  // the test client plays the proxy
  Start(o);
  auto direct = Curl("GET", Url("/metrics"), "", {"X-Request-Id: m403"});
  EXPECT_EQ(direct.status, 403);
  EXPECT_THAT(direct.body, Not(HasSubstr("certme_")));
  EXPECT_THAT(direct.body, HasSubstr("forbidden"));
  EXPECT_FALSE(direct.Header(kLogDetailHeader).has_value());
  EXPECT_THAT(LogFor("m403").value("error", ""), HasSubstr("metrics_allow"));
  auto outsider = Curl("GET", Url("/metrics"), "", {"X-Forwarded-For: 192.0.2.7"});
  EXPECT_EQ(outsider.status, 403);
  auto scraper = Curl("GET", Url("/metrics"), "", {"X-Forwarded-For: 10.1.2.3"});
  EXPECT_EQ(scraper.status, 200);
  EXPECT_THAT(scraper.body, HasSubstr("# TYPE certme_http_requests_total counter"));
  // The refusals are counted like any answer.
  EXPECT_THAT(scraper.body, HasSubstr(R"(certme_http_requests_total{route="/metrics",method="GET",status="403"} 2)"));
  EXPECT_EQ(Curl("GET", Url("/healthz")).status, 200);
  EXPECT_EQ(Curl("GET", Url("/readyz")).status, 200);
}

TEST_F(ServerTest, MetricsAllowlistAdmitsListedAddressAndCanBeEmpty) {
  OpsOptions ops;
  ops.metrics_allow = *IpMatcher::Parse({"127.0.0.1"});
  InstallOpsRoutes(*router_, nullptr, metrics_, ops);
  auto other = std::make_shared<Router>();
  OpsOptions none;
  none.metrics_allow = IpMatcher();  // empty list: nobody
  InstallOpsRoutes(*other, nullptr, metrics_, none);
  Start();
  EXPECT_EQ(Curl("GET", Url("/metrics")).status, 200);
  std::swap(router_, other);  // the router is fixed once started: a second server
  auto second = HttpServer::Start({.address = "127.0.0.1", .port = 0}, router_, metrics_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Curl("GET", "http://127.0.0.1:" + std::to_string((*second)->port()) + "/metrics").status, 403);
  (*second)->Shutdown();
}

TEST_F(ServerTest, MetricsRouteCanBeLeftToAnotherListener) {
  OpsOptions ops;
  ops.serve_metrics = false;
  InstallOpsRoutes(*router_, nullptr, metrics_, ops);
  Start();
  EXPECT_EQ(Curl("GET", Url("/metrics")).status, 404);
  EXPECT_EQ(Curl("GET", Url("/healthz")).status, 200);
}

TEST_F(ServerTest, ReadyzReportsWithoutNamingInternals) {
  std::atomic<bool> ready{false};
  InstallOpsRoutes(*router_, [&]() -> Status {
    if (ready) return Status::Ok();
    return Unavailable("store down", "redis 10.1.2.3:6379 connection refused");
  }, metrics_);
  Start();
  auto no = Curl("GET", Url("/readyz"), "", {"X-Request-Id: rz1"});
  EXPECT_EQ(no.status, 503);
  EXPECT_EQ(nlohmann::json::parse(no.body), nlohmann::json({{"status", "unavailable"}}));
  EXPECT_THAT(no.body, Not(HasSubstr("redis")));
  EXPECT_FALSE(no.Header(kLogDetailHeader).has_value());
  EXPECT_THAT(LogFor("rz1").value("error", ""), HasSubstr("redis 10.1.2.3"));
  ready = true;
  auto yes = Curl("GET", Url("/readyz"));
  EXPECT_EQ(yes.status, 200);
  EXPECT_EQ(nlohmann::json::parse(yes.body), nlohmann::json({{"status", "ready"}}));
}

TEST_F(ServerTest, SlowRequestGets408AndIdleConnectionIsClosed) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  HttpServerOptions o;
  o.request_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  Start(o);
  RawConn slow(port());
  slow.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n");  // never finishes the head
  auto r = slow.Read(3000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(slow.WaitClosed());

  RawConn idle(port());
  idle.Send(Get("/healthz"));
  ASSERT_TRUE(idle.Read().has_value());
  auto t0 = Clock::now();
  EXPECT_TRUE(idle.WaitClosed(3000));
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(200));
}

TEST(SignalTest, WaitForTerminationSignalReturnsOnSigterm) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    BlockTerminationSignals();
    char b = 1;
    if (write(ready[1], &b, 1) != 1) _exit(1);
    WaitForTerminationSignal();
    _exit(42);
  }
  char b;
  ASSERT_EQ(read(ready[0], &b, 1), 1);  // signals are blocked in the child now
  close(ready[0]);
  close(ready[1]);
  ASSERT_EQ(kill(child, SIGTERM), 0);
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 300 && (done = waitpid(child, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (done == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    FAIL() << "child did not return from sigwait";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

}  // namespace certme::http_test
