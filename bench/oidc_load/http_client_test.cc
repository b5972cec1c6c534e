#include "bench/oidc_load/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace certme::bench {
namespace {

using R = ResponseParser::Result;

// ---------- URLs ----------

TEST(LoopbackUrlTest, AcceptsLoopbackOnly) {
  auto u = ParseLoopbackUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/");
  auto l = ParseLoopbackUrl("HTTP://LocalHost/a/b?x=1#frag");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->host, "localhost");
  EXPECT_EQ(l->port, 80);
  EXPECT_EQ(l->target, "/a/b?x=1");
  auto q = ParseLoopbackUrl("http://127.0.0.1:9?a=b");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->target, "/?a=b");

  for (const char* bad :
       {"https://127.0.0.1:8080/", "http://example.org/", "http://127.0.0.2/", "http://10.0.0.1/",
        "http://[::1]:80/", "http://user@127.0.0.1/", "http://127.0.0.1.example.org/",
        "http://localhost.evil/", "http://127.0.0.1:0/", "http://127.0.0.1:65536/",
        "http://127.0.0.1:80x/", "ftp://127.0.0.1/", "http://127.0.0.1/a b", "127.0.0.1:80"}) {
    EXPECT_FALSE(ParseLoopbackUrl(bad).ok()) << bad;
  }
}

TEST(LoopbackUrlTest, ResolvesOnlySameOriginRedirects) {
  auto base = ParseLoopbackUrl("http://127.0.0.1:8080/authorize");
  ASSERT_TRUE(base.ok());
  auto rel = ResolveSameOrigin(*base, "/login/dev?txn=abc");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->target, "/login/dev?txn=abc");
  EXPECT_EQ(rel->port, 8080);
  auto abs = ResolveSameOrigin(*base, "http://127.0.0.1:8080/authorize/resume?x=1");
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->target, "/authorize/resume?x=1");
  EXPECT_FALSE(ResolveSameOrigin(*base, "http://127.0.0.1:8081/x").ok());
  EXPECT_FALSE(ResolveSameOrigin(*base, "http://localhost:8080/x").ok());
  EXPECT_FALSE(ResolveSameOrigin(*base, "https://rp.example/cb?code=1").ok());
  EXPECT_FALSE(ResolveSameOrigin(*base, "//evil.example/x").ok());
  EXPECT_FALSE(ResolveSameOrigin(*base, "relative/path").ok());
  EXPECT_FALSE(ResolveSameOrigin(*base, "").ok());
}

// ---------- Parser ----------

// Feeds `wire` in pieces of `piece` bytes; returns the final result.
R FeedInPieces(ResponseParser& p, std::string_view wire, size_t piece, size_t* total_used) {
  *total_used = 0;
  R r = R::kNeedMore;
  while (*total_used < wire.size()) {
    size_t used = 0;
    r = p.Feed(wire.substr(*total_used, piece), &used);
    *total_used += used;
    if (r != R::kNeedMore) return r;
    if (used == 0) break;
  }
  return r;
}

TEST(ResponseParserTest, ContentLengthAnySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Multi: a\r\nx-multi:  b \r\n"
      "Content-Length: 11\r\n\r\n{\"a\":\"xyz\"}";
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    ResponseParser p;
    p.Reset();
    size_t used = 0;
    ASSERT_EQ(FeedInPieces(p, wire, piece, &used), R::kDone) << piece;
    EXPECT_EQ(used, wire.size());
    EXPECT_EQ(p.response().status, 200);
    EXPECT_EQ(p.response().body, "{\"a\":\"xyz\"}");
    EXPECT_TRUE(p.response().keep_alive);
    EXPECT_EQ(p.response().Header("content-type"), "application/json");
    EXPECT_EQ(p.response().Headers("x-multi"), (std::vector<std::string>{"a", "b"}));
  }
}

TEST(ResponseParserTest, ChunkedAnySplitWithExtensionsAndTrailers) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;name=val\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t piece = 1; piece <= wire.size(); ++piece) {
    ResponseParser p;
    p.Reset();
    size_t used = 0;
    ASSERT_EQ(FeedInPieces(p, wire, piece, &used), R::kDone) << piece;
    EXPECT_EQ(used, wire.size());
    EXPECT_EQ(p.response().body, "hello, chunked!");
    EXPECT_TRUE(p.response().keep_alive);
  }
}

TEST(ResponseParserTest, LeavesBytesOfTheNextMessage) {
  const std::string first = "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n";
  const std::string second = "HTTP/1.1 204 No Content\r\n\r\n";
  ResponseParser p;
  p.Reset();
  size_t used = 0;
  ASSERT_EQ(p.Feed(first + second, &used), R::kDone);
  EXPECT_EQ(used, first.size());
  EXPECT_EQ(p.response().status, 302);
  EXPECT_EQ(p.response().Header("location"), "/x");
  p.Reset();
  ASSERT_EQ(p.Feed(second, &used), R::kDone);
  EXPECT_EQ(p.response().status, 204);
  EXPECT_EQ(used, second.size());
}

TEST(ResponseParserTest, SkipsInterimResponses) {
  ResponseParser p;
  p.Reset();
  size_t used = 0;
  ASSERT_EQ(p.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", &used),
            R::kDone);
  EXPECT_EQ(p.response().status, 201);
  EXPECT_EQ(p.response().body, "ok");
}

TEST(ResponseParserTest, Persistence) {
  struct Case {
    const char* wire;
    bool keep_alive;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
      // RFC 9112 §6.3 item 3: both framings → Transfer-Encoding, then close.
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n0\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    ResponseParser p;
    p.Reset();
    size_t used = 0;
    ASSERT_EQ(p.Feed(c.wire, &used), R::kDone) << c.wire;
    EXPECT_EQ(p.response().keep_alive, c.keep_alive) << c.wire;
  }
}

TEST(ResponseParserTest, BodyUntilClose) {
  ResponseParser p;
  p.Reset();
  size_t used = 0;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\npart one ", &used), R::kNeedMore);
  EXPECT_EQ(p.Feed("part two", &used), R::kNeedMore);
  EXPECT_EQ(p.FeedEof(), R::kDone);
  EXPECT_EQ(p.response().body, "part one part two");
  EXPECT_FALSE(p.response().keep_alive);
}

TEST(ResponseParserTest, NoBodyForHead204And304) {
  for (auto [wire, head] : std::vector<std::pair<std::string, bool>>{
           {"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true},
           {"HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n", false},
           {"HTTP/1.1 304 Not Modified\r\n\r\n", false}}) {
    ResponseParser p;
    p.Reset(head);
    size_t used = 0;
    ASSERT_EQ(p.Feed(wire, &used), R::kDone) << wire;
    EXPECT_TRUE(p.response().body.empty());
    EXPECT_EQ(used, wire.size());
  }
}

TEST(ResponseParserTest, RejectsMalformed) {
  for (const char* wire : {
           "HTTP/2 200 OK\r\n\r\n",
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 999 What\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "garbage\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
           "HTTP/1.1 101 Switching Protocols\r\n\r\n",
       }) {
    ResponseParser p;
    p.Reset();
    size_t used = 0;
    EXPECT_EQ(p.Feed(wire, &used), R::kError) << wire;
    EXPECT_FALSE(p.error().empty());
  }
}

TEST(ResponseParserTest, EnforcesLimits) {
  ResponseLimits limits;
  limits.max_header_bytes = 100;
  limits.max_body_bytes = 10;
  {
    ResponseParser p(limits);
    p.Reset();
    size_t used = 0;
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\n\r\n", &used), R::kError);
  }
  {
    ResponseParser p(limits);
    p.Reset();
    size_t used = 0;
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", &used), R::kError);
  }
  {
    ResponseParser p(limits);
    p.Reset();
    size_t used = 0;
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", &used),
              R::kError);
  }
  {
    ResponseParser p(limits);
    p.Reset();
    size_t used = 0;
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\n0123456789ABC", &used), R::kError);
  }
}

TEST(ResponseParserTest, EofBeforeEndIsAnError) {
  ResponseParser p;
  p.Reset();
  size_t used = 0;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", &used), R::kNeedMore);
  EXPECT_EQ(p.FeedEof(), R::kError);
  ResponseParser q;
  q.Reset();
  EXPECT_FALSE(q.started());
  EXPECT_EQ(q.FeedEof(), R::kError);
}

TEST(SerializeRequestTest, AddsHostPersistenceAndLength) {
  ClientRequest req;
  req.method = "POST";
  req.target = "/token";
  req.headers = {{"Authorization", "Basic abc"}};
  req.body = "a=1";
  EXPECT_EQ(SerializeRequest(req, "127.0.0.1:8080"),
            "POST /token HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n"
            "Authorization: Basic abc\r\nContent-Length: 3\r\n\r\na=1");
  ClientRequest get;
  EXPECT_EQ(SerializeRequest(get, "localhost:1"),
            "GET / HTTP/1.1\r\nHost: localhost:1\r\nConnection: keep-alive\r\n\r\n");
}

// ---------- Cookies ----------

TEST(CookieJarTest, SetReplaceDelete) {
  CookieJar jar;
  jar.Apply("sid=abc; Path=/; HttpOnly; SameSite=Lax");
  jar.Apply("bind = xyz ; Max-Age=600");
  EXPECT_EQ(jar.Header(), "sid=abc; bind=xyz");
  jar.Apply("sid=def");
  EXPECT_EQ(jar.Get("sid"), "def");
  jar.Apply("sid=; Max-Age=0");
  EXPECT_FALSE(jar.Get("sid").has_value());
  jar.Apply("bind=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(jar.size(), 0u);
  jar.Apply("future=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT");
  EXPECT_EQ(jar.Get("future"), "1");
  jar.Apply("novalue");
  jar.Apply("=anon");
  EXPECT_EQ(jar.size(), 1u);
  ClientResponse resp;
  resp.headers = {{"set-cookie", "a=1"}, {"x", "y"}, {"set-cookie", "b=2"}};
  jar.Clear();
  jar.Update(resp);
  EXPECT_EQ(jar.Header(), "a=1; b=2");
}

// ---------- Connection against a scripted local server ----------

// Accepts on 127.0.0.1:0 and runs `handler(fd, connection_index)` per
// connection on its own thread.
class ScriptedServer {
 public:
  using Handler = std::function<void(int fd, int index)>;
  explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] {
      for (int i = 0;; ++i) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard<std::mutex> l(mu_);
        conns_.emplace_back([this, c, i] {
          handler_(c, i);
          ::close(c);
        });
      }
    });
  }
  ~ScriptedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_thread_.join();
    std::lock_guard<std::mutex> l(mu_);
    for (auto& t : conns_) t.join();
  }
  LoopbackUrl Origin() const { return *ParseLoopbackUrl("http://127.0.0.1:" + std::to_string(port_)); }

  // Reads one request (head plus Content-Length body); empty on EOF.
  static std::string ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    while (true) {
      size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t cl = 0;
        size_t pos = data.find("Content-Length: ");
        if (pos != std::string::npos && pos < end) cl = std::stoul(data.substr(pos + 16));
        if (data.size() >= end + 4 + cl) return data;
      }
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      data.append(buf, size_t(n));
    }
  }
  static void Send(int fd, std::string_view s) { ::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

 private:
  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

TEST(HttpConnectionTest, ReusesOneConnectionAndReadsChunkedInPieces) {
  std::atomic<int> requests{0};
  ScriptedServer server([&](int fd, int) {
    while (true) {
      std::string req = ScriptedServer::ReadRequest(fd);
      if (req.empty()) return;
      ++requests;
      EXPECT_NE(req.find("Connection: keep-alive\r\n"), std::string::npos);
      if (req.rfind("POST", 0) == 0) {
        EXPECT_NE(req.find("\r\n\r\nform=1"), std::string::npos);
        // Dribble a chunked answer in small writes.
        for (std::string_view part : {"HTTP/1.1 200 OK\r\nTransfer-", "Encoding: chunked\r\n\r\n3\r",
                                      "\nabc\r\n", "0\r\n\r\n"}) {
          ScriptedServer::Send(fd, part);
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      } else {
        ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong");
      }
    }
  });
  HttpConnection conn(server.Origin());
  for (int i = 0; i < 5; ++i) {
    ClientRequest get;
    get.target = "/ping";
    auto r = conn.RoundTrip(get);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "pong");
    ClientRequest post;
    post.method = "POST";
    post.target = "/form";
    post.body = "form=1";
    auto p = conn.RoundTrip(post);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->body, "abc");
  }
  EXPECT_EQ(requests.load(), 10);
  EXPECT_EQ(conn.connects(), 1u);
  EXPECT_EQ(conn.stale_retries(), 0u);
}

TEST(HttpConnectionTest, ReconnectsAfterConnectionClose) {
  ScriptedServer server([](int fd, int) {
    if (ScriptedServer::ReadRequest(fd).empty()) return;
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpConnection conn(server.Origin());
  for (int i = 0; i < 3; ++i) {
    auto r = conn.RoundTrip(ClientRequest{});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r->keep_alive);
  }
  EXPECT_EQ(conn.connects(), 3u);
  EXPECT_EQ(conn.stale_retries(), 0u);
}

TEST(HttpConnectionTest, RetriesOnceWhenAnIdleConnectionWasClosed) {
  // The server answers one request per connection but claims keep-alive,
  // then closes: the next request on that connection sees EOF first.
  ScriptedServer server([](int fd, int) {
    if (ScriptedServer::ReadRequest(fd).empty()) return;
    ScriptedServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  HttpConnection conn(server.Origin());
  ASSERT_TRUE(conn.RoundTrip(ClientRequest{}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the close arrive
  auto r = conn.RoundTrip(ClientRequest{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(conn.stale_retries(), 1u);
  EXPECT_EQ(conn.connects(), 2u);
}

TEST(HttpConnectionTest, FreshConnectionClosedWithoutAnswerIsAnError) {
  ScriptedServer server([](int fd, int) { ScriptedServer::ReadRequest(fd); });
  HttpConnection conn(server.Origin());
  auto r = conn.RoundTrip(ClientRequest{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(conn.stale_retries(), 0u);  // nothing was reused, so no retry
}

TEST(HttpConnectionTest, TimesOutOnASilentServer) {
  std::atomic<bool> release{false};
  ScriptedServer server([&](int fd, int) {
    ScriptedServer::ReadRequest(fd);
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  ConnectionOptions o;
  o.io_timeout = std::chrono::milliseconds(200);
  HttpConnection conn(server.Origin(), o);
  auto start = std::chrono::steady_clock::now();
  auto r = conn.RoundTrip(ClientRequest{});
  auto took = std::chrono::steady_clock::now() - start;
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HttpConnectionTest, MalformedResponseIsInternal) {
  ScriptedServer server([](int fd, int) {
    if (ScriptedServer::ReadRequest(fd).empty()) return;
    ScriptedServer::Send(fd, "SMTP ready\r\n\r\n");
  });
  HttpConnection conn(server.Origin());
  auto r = conn.RoundTrip(ClientRequest{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(HttpConnectionTest, ConnectionRefused) {
  // Bind then close to get a port with (almost certainly) no listener.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  HttpConnection conn(*ParseLoopbackUrl("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port))));
  auto r = conn.RoundTrip(ClientRequest{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace certme::bench
