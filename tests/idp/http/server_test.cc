// End-to-end tests of the HTTP adapter's framing: options, decoding, limits,
// keep-alive, malformed requests, headers, cookies, proxies.
#include "tests/idp/http/server_test_fixture.h"
#include "common/wait_budget.h"

namespace certme::http_test {

TEST_F(ServerTest, PortZeroPicksAFreePortAndHealthzAnswers) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  Start();
  EXPECT_NE(port(), 0);
  auto r = Curl("GET", Url("/healthz"));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");
}

TEST_F(ServerTest, StartReportsEveryBadOptionAndBusyPort) {
  HttpServerOptions bad;
  bad.address = "localhost";  // must be a literal
  bad.threads = 0;
  bad.trusted_proxies = {"10.0.0.0/33", "nope"};
  auto s = HttpServer::Start(bad, router_, metrics_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("address"));
  EXPECT_THAT(s.status().message(), HasSubstr("threads"));
  EXPECT_THAT(s.status().message(), HasSubstr("10.0.0.0/33"));
  EXPECT_THAT(s.status().message(), HasSubstr("nope"));

  Start();
  HttpServerOptions same;
  same.port = port();
  auto busy = HttpServer::Start(same, router_, metrics_);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kUnavailable);
}

TEST_F(ServerTest, PercentDecodesPathParamsAndQuery) {
  router_->Get("/echo/:name", EchoRequest);
  Start();
  auto r = Curl("GET", Url("/echo/a%20b%2Fc?x=1%2B1&y=hello+world&x=%C3%A9&flag"));
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["params"]["name"], "a b/c");  // %2F stays inside its segment
  EXPECT_EQ(j["path"], "/echo/a b/c");
  EXPECT_EQ(j["raw_path"], "/echo/a%20b%2Fc");
  EXPECT_EQ(j["query"]["x"], nlohmann::json({"1+1", "\xC3\xA9"}));
  EXPECT_EQ(j["query"]["y"][0], "hello world");
  EXPECT_EQ(j["query"]["flag"][0], "");
}

TEST_F(ServerTest, BadPercentEscapesAre400) {
  router_->Get("/echo/:name", EchoRequest);
  Start();
  EXPECT_EQ(Curl("GET", Url("/echo/%zz")).status, 400);
  EXPECT_EQ(Curl("GET", Url("/echo/a%2")).status, 400);
  EXPECT_EQ(Curl("GET", Url("/echo/a?x=%G1")).status, 400);
  EXPECT_EQ(Curl("GET", Url("/echo/a?x=%41")).status, 200);
}

TEST_F(ServerTest, FormBodyIsParsedOnlyForFormContentType) {
  router_->Post("/form", EchoRequest);
  Start();
  auto r = Curl("POST", Url("/form"), "a=1&b=x+y%21&a=2",
                {"Content-Type: application/x-www-form-urlencoded; charset=UTF-8"});
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["form"]["a"], nlohmann::json({"1", "2"}));
  EXPECT_EQ(j["form"]["b"][0], "x y!");

  auto other = Curl("POST", Url("/form"), "a=1", {"Content-Type: text/plain"});
  ASSERT_EQ(other.status, 200);
  EXPECT_FALSE(nlohmann::json::parse(other.body).contains("form"));

  auto bad = Curl("POST", Url("/form"), "a=%zz", {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(bad.status, 400);
}

TEST_F(ServerTest, CookiesAreParsedAndGarbageIgnored) {
  router_->Get("/c", EchoRequest);
  Start();
  auto r = Curl("GET", Url("/c"), "", {"Cookie: a=1; junk; b=\"two\"; =x; bad name=3; c=\"in\"side\"; a=shadow; d=4"});
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["cookies"], nlohmann::json({{"a", "1"}, {"b", "two"}, {"d", "4"}}));
}

TEST_F(ServerTest, BodyLimitDefaultIsOneMiB) {
  router_->Post("/upload", EchoRequest);
  Start();
  auto ok = Curl("POST", Url("/upload"), std::string(900 << 10, 'a'), {"Content-Type: application/octet-stream"});
  ASSERT_EQ(ok.status, 200) << ok.error;
  EXPECT_EQ(nlohmann::json::parse(ok.body)["body_size"], 900 << 10);

  // libcurl sends Expect: 100-continue: the 413 comes before the body.
  auto big = Curl("POST", Url("/upload"), std::string(2 << 20, 'a'), {"Content-Type: application/octet-stream"});
  EXPECT_EQ(big.status, 413) << big.error;

  // A raw client that sends it all without asking still reads its 413.
  RawConn c(port());
  ASSERT_TRUE(c.ok());
  std::string req = "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(2 << 20) + "\r\n\r\n";
  std::thread sender([&] { c.Send(req + std::string(2 << 20, 'b')); });
  auto r = c.Read();
  sender.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->headers.Get("connection"), "close");
}

TEST_F(ServerTest, ConfiguredBodyLimitAppliesToChunkedBodiesToo) {
  router_->Post("/upload", EchoRequest);
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  EXPECT_EQ(Curl("POST", Url("/upload"), std::string(1000, 'a')).status, 200);
  EXPECT_EQ(Curl("POST", Url("/upload"), std::string(1001, 'a')).status, 413);

  RawConn c(port());
  c.Send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3e8\r\n" + std::string(1000, 'x') + "\r\n1\r\ny\r\n0\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);

  RawConn ok(port());
  ok.Send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  auto r2 = ok.Read();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r2->body)["body_size"], 11);
}

TEST_F(ServerTest, Http11KeepsConnectionWithoutConnectionHeader) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  Start();
  RawConn c(port());
  ASSERT_TRUE(c.Send(Get("/healthz")));
  auto r1 = c.Read();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->status, 200);
  EXPECT_FALSE(r1->headers.Has("connection"));  // persistent is the 1.1 default
  ASSERT_TRUE(c.Send(Get("/healthz")));
  auto r2 = c.Read();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, "ok");
}

TEST_F(ServerTest, Http10ClosesUnlessKeepAliveAsked) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  Start();
  {
    RawConn c(port());
    c.Send("GET /healthz HTTP/1.0\r\n\r\n");
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->headers.Get("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
  {
    RawConn c(port());
    c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->headers.Get("connection"), "keep-alive");
    c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_TRUE(c.Read().has_value());
  }
  {
    RawConn c(port());
    c.Send(Get("/healthz", "Connection: close\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->headers.Get("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  router_->Get("/n/:i", [](const HttpRequest& r) { return HttpResponse::Text(200, r.path_params.at("i")); });
  Start();
  RawConn c(port());
  c.Send(Get("/n/1") + Get("/n/2") + Get("/n/3"));
  for (const char* want : {"1", "2", "3"}) {
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, want);
  }
}

struct BadRequestCase {
  const char* name;
  std::string bytes;
  int status;
};

TEST_F(ServerTest, MalformedRequestsGet4xxAndClose) {
  InstallOpsRoutes(*router_, nullptr, metrics_);
  router_->Post("/p", EchoRequest);
  Start();
  const std::vector<BadRequestCase> cases = {
      {"garbage line", "GARBAGE\r\n\r\n", 400},
      {"binary junk (TLS hello)", std::string("\x16\x03\x01\x02\x00\x01\x00", 7), 400},
      {"HTTP/0.9 style", "GET /healthz\r\n\r\n", 400},
      {"two spaces", "GET  /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"bad version", "GET /healthz HTTP/1.x\r\nHost: t\r\n\r\n", 400},
      {"HTTP/2.0", "GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n", 505},
      {"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
      {"negative length", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400},
      {"non-numeric length", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400},
      {"conflicting lengths", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"length and chunked", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"space before colon", "GET /healthz HTTP/1.1\r\nHost : t\r\n\r\n", 400},
      {"bare LF", "GET /healthz HTTP/1.1\nHost: t\n\n", 400},
      {"bad chunk size", "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"gzip coding", "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"huge header", Get("/healthz", "X-Big: " + std::string(20000, 'a') + "\r\n"), 431},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    RawConn c(port());
    ASSERT_TRUE(c.ok());
    c.Send(tc.bytes);
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no answer";
    EXPECT_EQ(r->status, tc.status);
    EXPECT_EQ(r->headers.Get("connection"), "close");
    EXPECT_TRUE(c.WaitClosed());
  }
  // The server still serves afterwards.
  EXPECT_EQ(Curl("GET", Url("/healthz")).status, 200);
}

TEST_F(ServerTest, ExpectContinueGetsInterimAnswer) {
  router_->Post("/p", EchoRequest);
  Start();
  RawConn c(port());
  c.Send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.Read();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  c.Send("hello");
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["body_size"], 5);
}

TEST_F(ServerTest, NotFoundMethodNotAllowedAndHead) {
  router_->Get("/thing", [](const HttpRequest&) { return HttpResponse::Text(200, "body!"); });
  router_->Post("/thing", [](const HttpRequest&) { return HttpResponse::Text(201, "made"); });
  Start();
  EXPECT_EQ(Curl("GET", Url("/nope")).status, 404);
  auto r = Curl("DELETE", Url("/thing"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD, POST");

  RawConn c(port());
  c.Send("HEAD /thing HTTP/1.1\r\nHost: t\r\n\r\n");
  auto h = c.Read(3000, /*no_body=*/true);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->headers.Get("content-length"), "5");
  c.Send(Get("/thing"));  // the connection is still in sync
  auto g = c.Read();
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->body.substr(0, 5), "body!");
}

TEST_F(ServerTest, SetCookieCarriesSameSiteAndSecure) {
  router_->Get("/login", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "hi");
    SetCookie a;
    a.name = "sid";
    a.value = "abc";
    a.same_site = SameSite::kStrict;
    SetCookie b;
    b.name = "saml";
    b.value = "x";
    b.same_site = SameSite::kNone;
    b.max_age_seconds = 60;
    r.cookies = {a, b};
    return r;
  });
  Start();
  auto r = Curl("GET", Url("/login"));
  std::vector<std::string> set;
  for (const auto& [k, v] : r.headers)
    if (k == "set-cookie") set.push_back(v);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0], "sid=abc; Path=/; HttpOnly; Secure; SameSite=Strict");
  EXPECT_EQ(set[1], "saml=x; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=None");
}

TEST_F(ServerTest, DevModeDropsSecureOnlyOverPlainHttp) {
  router_->Get("/login", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "hi");
    SetCookie a;
    a.name = "sid";
    a.value = "abc";
    r.cookies = {a};
    return r;
  });
  HttpServerOptions o;
  o.dev_mode = true;
  o.trusted_proxies = {"127.0.0.1"};
  Start(o);
  EXPECT_EQ(Curl("GET", Url("/login")).Header("set-cookie"), "sid=abc; Path=/; HttpOnly; SameSite=Lax");
  // Behind a TLS-terminating proxy the request was https: Secure stays.
  EXPECT_EQ(Curl("GET", Url("/login"), "", {"X-Forwarded-Proto: https"}).Header("set-cookie"),
            "sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST_F(ServerTest, SecurityHeadersOnHtmlAndJson) {
  router_->Get("/page", [](const HttpRequest&) { return HttpResponse::Html(200, "<p>hi</p>"); });
  router_->Get("/qr", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Html(200, "<p>qr</p>");
    r.csp = "default-src 'none'; img-src 'self' blob:";
    r.headers.Set("Cache-Control", "private, max-age=5");
    return r;
  });
  router_->Get("/api", [](const HttpRequest&) { return HttpResponse::Json(200, "{}"); });
  router_->Get("/cached", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Json(200, "{}");
    r.headers.Set("Cache-Control", "public, max-age=3600");
    return r;
  });
  Start();
  auto page = Curl("GET", Url("/page"));
  EXPECT_EQ(page.Header("content-security-policy"), kDefaultCsp);
  EXPECT_EQ(page.Header("x-frame-options"), "DENY");
  EXPECT_EQ(page.Header("referrer-policy"), "no-referrer");
  EXPECT_EQ(page.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.Header("cache-control"), "no-store");

  auto qr = Curl("GET", Url("/qr"));
  EXPECT_EQ(qr.Header("content-security-policy"), "default-src 'none'; img-src 'self' blob:");
  EXPECT_EQ(qr.Header("cache-control"), "private, max-age=5");

  auto api = Curl("GET", Url("/api"));
  EXPECT_EQ(api.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(api.Header("cache-control"), "no-store");
  EXPECT_FALSE(api.Header("content-security-policy").has_value());
  EXPECT_EQ(Curl("GET", Url("/cached")).Header("cache-control"), "public, max-age=3600");
}

TEST_F(ServerTest, ServerErrorsNeverLeakDetails) {
  router_->Get("/throw", [](const HttpRequest&) -> HttpResponse {
    throw std::runtime_error("db password is hunter2 at /var/lib/x.db");
  });
  router_->Get("/five", [](const HttpRequest&) {
    return HttpResponse::Json(500, R"({"error":"stack: Foo::Bar at store.cc:42"})");
  });
  router_->Get("/inject", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "x");
    r.headers.Set("Location", "/a\r\nSet-Cookie: evil=1");
    return r;
  });
  Start();
  auto t = Curl("GET", Url("/throw"), "", {"X-Request-Id: req-throw"});
  EXPECT_EQ(t.status, 500);
  EXPECT_EQ(t.body, "internal error");
  EXPECT_THAT(LogFor("req-throw").value("error", ""), HasSubstr("hunter2"));

  auto f = Curl("GET", Url("/five"), "", {"X-Request-Id: req-five"});
  EXPECT_EQ(f.status, 500);
  EXPECT_THAT(f.body, Not(HasSubstr("store.cc")));
  EXPECT_THAT(f.body, HasSubstr("internal error"));
  EXPECT_EQ(nlohmann::json::parse(f.body)["error"], "server_error");
  EXPECT_THAT(LogFor("req-five").value("error", ""), HasSubstr("store.cc:42"));

  auto i = Curl("GET", Url("/inject"));
  EXPECT_EQ(i.status, 500);
  EXPECT_FALSE(i.Header("set-cookie").has_value());
}

// A handler's 500 while the state backend is unreachable (Redis down) is a
// temporary outage: 503 with Retry-After, still without detail; a 500 while
// it is reachable stays a 500.
TEST_F(ServerTest, ServerErrorWhileTheBackendIsDownIs503) {
  std::atomic<bool> down{true};
  router_->Get("/five", [](const HttpRequest&) {
    return HttpResponse::Json(500, R"({"error":"redis 127.0.0.1:6379: Connection refused"})");
  });
  router_->Get("/fine", [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); });
  HttpServerOptions o;
  o.backend_unavailable = [&] { return down.load(); };
  Start(o);
  auto r = Curl("GET", Url("/five"), "", {"X-Request-Id: req-down"});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "5");
  EXPECT_THAT(r.body, Not(HasSubstr("6379")));
  EXPECT_THAT(LogFor("req-down").value("error", ""), HasSubstr("state backend unavailable"));
  EXPECT_EQ(Curl("GET", Url("/fine")).status, 200);
  down = false;
  EXPECT_EQ(Curl("GET", Url("/five")).status, 500);
}

// Each handler call gets its own wait budget for the shared state (the
// Redis store spends it, tests/store/redis_replication_test.cc), fresh for
// every request; none when the option is zero.
TEST_F(ServerTest, BackendWaitBudgetBoundsAHandlersStoreCalls) {
  router_->Get("/budget", [](const HttpRequest&) {
    SteadyDuration* b = CurrentWaitBudget();
    if (!b) return HttpResponse::Text(200, "none");
    long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(*b).count();
    *b -= std::chrono::milliseconds(500);  // as a slow store call would
    return HttpResponse::Text(200, std::to_string(ms));
  });
  HttpServerOptions o;
  o.backend_wait_budget = std::chrono::milliseconds(750);
  Start(o);
  EXPECT_EQ(Curl("GET", Url("/budget")).body, "750");
  EXPECT_EQ(Curl("GET", Url("/budget")).body, "750") << "a request's spending is its own";
  EXPECT_EQ(CurrentWaitBudget(), nullptr);
  server_.reset();
  Start({});
  EXPECT_EQ(Curl("GET", Url("/budget")).body, "none");
}

TEST_F(ServerTest, ForwardedHeadersHonouredOnlyFromTrustedProxies) {
  router_->Get("/who", EchoRequest);
  HttpServerOptions o;
  o.trusted_proxies = {"127.0.0.0/8"};
  Start(o);
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto r = Curl("GET", Url("/who"), "",
                {"X-Forwarded-For: 198.51.100.1, 203.0.113.7", "X-Forwarded-Proto: https",
                 "X-SSL-Client-Cert: " + PercentEncode(pem)});
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["client_ip"], "203.0.113.7");  // the hop our proxy saw
  EXPECT_EQ(j["remote_addr"], "127.0.0.1");
  EXPECT_EQ(j["secure"], true);
  EXPECT_EQ(j["client_cert_pem"], pem);
}

TEST_F(ServerTest, ForwardedHeadersIgnoredFromUntrustedPeers) {
  router_->Get("/who", EchoRequest);
  HttpServerOptions o;
  o.trusted_proxies = {"10.0.0.0/8"};  // not us
  Start(o);
  auto r = Curl("GET", Url("/who"), "",
                {"X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https",
                 "X-SSL-Client-Cert: -----BEGIN%20CERTIFICATE-----"});
  ASSERT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["client_ip"], "127.0.0.1");
  EXPECT_EQ(j["secure"], false);
  EXPECT_EQ(j["client_cert_pem"], "");
  EXPECT_EQ(j["has_cert_header"], false);
}

}  // namespace certme::http_test
