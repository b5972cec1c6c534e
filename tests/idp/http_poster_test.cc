#include "idp/outbound/http_poster.h"

#include <gtest/gtest.h>

#include "tests/idp/tiny_http_server.h"

namespace certme {
namespace {

using testing::TinyHttpServer;

struct Outcome {
  std::mutex mu;
  std::vector<std::tuple<std::string, bool, int, long>> done;
  std::function<void(const std::string&, bool, int, long)> Hook() {
    return [this](const std::string& u, bool ok, int attempts, long status) {
      std::lock_guard<std::mutex> l(mu);
      done.emplace_back(u, ok, attempts, status);
    };
  }
};

HttpPosterOptions Fast(Outcome& o) {
  HttpPosterOptions opt;
  opt.workers = 2;
  opt.timeout = std::chrono::milliseconds(800);
  opt.backoff = std::chrono::milliseconds(20);
  opt.on_done = o.Hook();
  return opt;
}

TEST(HttpPoster, DeliversBodyAndContentType) {
  TinyHttpServer rp([](int) { return 200; });
  Outcome o;
  {
    HttpPoster p(Fast(o));
    ASSERT_TRUE(p.Post(rp.Url("/bc"), "logout_token=abc"));
    p.WaitIdle();
  }
  auto got = rp.Received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].head.find("POST /bc HTTP/1.1"), std::string::npos);
  EXPECT_NE(got[0].head.find("Content-Type: application/x-www-form-urlencoded"), std::string::npos);
  EXPECT_EQ(got[0].body, "logout_token=abc");
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_TRUE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<2>(o.done[0]), 1);
}

TEST(HttpPoster, RetriesServerErrorsThenSucceeds) {
  TinyHttpServer rp([](int n) { return n < 2 ? 503 : 204; });
  Outcome o;
  {
    HttpPoster p(Fast(o));
    ASSERT_TRUE(p.Post(rp.Url(), "x"));
    p.WaitIdle();
  }
  EXPECT_EQ(rp.Received().size(), 3u);
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_TRUE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<2>(o.done[0]), 3);
}

TEST(HttpPoster, ClientErrorIsFinal) {
  TinyHttpServer rp([](int) { return 400; });
  Outcome o;
  {
    HttpPoster p(Fast(o));
    ASSERT_TRUE(p.Post(rp.Url(), "x"));
    p.WaitIdle();
  }
  EXPECT_EQ(rp.Received().size(), 1u);
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_FALSE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<3>(o.done[0]), 400);
}

TEST(HttpPoster, GivesUpAfterMaxAttemptsOnDeadReceiver) {
  // A port with nothing listening: connection refused every time.
  int port;
  { TinyHttpServer probe([](int) { return 200; }); port = probe.port(); }
  Outcome o;
  {
    HttpPoster p(Fast(o));
    ASSERT_TRUE(p.Post("http://127.0.0.1:" + std::to_string(port) + "/", "x"));
    p.WaitIdle();
  }
  ASSERT_EQ(o.done.size(), 1u);
  EXPECT_FALSE(std::get<1>(o.done[0]));
  EXPECT_EQ(std::get<2>(o.done[0]), 3);
}

TEST(HttpPoster, HangingReceiverDoesNotDelayOthers) {
  TinyHttpServer hang([](int) { return -1; });
  TinyHttpServer good([](int) { return 200; });
  Outcome o;
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration good_done{};
  {
    auto opt = Fast(o);
    opt.max_attempts = 1;
    auto hook = opt.on_done;
    opt.on_done = [&, hook](const std::string& u, bool ok, int a, long s) {
      if (ok) good_done = std::chrono::steady_clock::now() - start;
      hook(u, ok, a, s);
    };
    HttpPoster p(opt);
    ASSERT_TRUE(p.Post(hang.Url(), "x"));
    ASSERT_TRUE(p.Post(good.Url(), "y"));
    p.WaitIdle();
  }
  ASSERT_EQ(o.done.size(), 2u);
  EXPECT_LT(good_done, std::chrono::milliseconds(700)) << "the good receiver waited for the hanging one";
}

TEST(HttpPoster, RefusesNonHttpSchemes) {
  Outcome o;
  HttpPoster p(Fast(o));
  EXPECT_FALSE(p.Post("file:///etc/passwd", "x"));
  EXPECT_FALSE(p.Post("gopher://127.0.0.1/", "x"));
}

}  // namespace
}  // namespace certme
