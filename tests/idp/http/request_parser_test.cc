#include "idp/http/request_parser.h"

#include <gtest/gtest.h>

namespace certme {
namespace {

using State = HttpRequestParser::State;

// Feeds `bytes` in pieces of `step` and returns the final state.
State FeedInPieces(HttpRequestParser& p, const std::string& bytes, size_t step) {
  State s = State::kNeedMore;
  for (size_t i = 0; i < bytes.size(); i += step) {
    p.Append(std::string_view(bytes).substr(i, step));
    s = p.Parse();
    if (s != State::kNeedMore) return s;
  }
  return s;
}

TEST(RequestParserTest, SimpleGetInOneGoAndBytewise) {
  const std::string req = "GET /a/b?x=1 HTTP/1.1\r\nHost: example\r\nX-Thing:  padded value \t\r\n\r\n";
  for (size_t step : {req.size(), size_t{1}, size_t{7}}) {
    HttpRequestParser p;
    ASSERT_EQ(FeedInPieces(p, req, step), State::kComplete) << step;
    ParsedHttpRequest r = p.TakeRequest();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/a/b?x=1");
    EXPECT_EQ(r.minor_version, 1);
    EXPECT_EQ(r.headers.Get("x-thing"), "padded value");
    EXPECT_EQ(r.headers.Get("HOST"), "example");
    EXPECT_TRUE(r.keep_alive);
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(p.Idle());
  }
}

TEST(RequestParserTest, ContentLengthBodyAndPipelining) {
  HttpRequestParser p;
  p.Append("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().body, "hello");
  EXPECT_FALSE(p.Idle());
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().target, "/next");
  EXPECT_EQ(p.Parse(), State::kNeedMore);
}

TEST(RequestParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string req =
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;name=val\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";
  for (size_t step : {req.size(), size_t{1}, size_t{3}}) {
    HttpRequestParser p;
    ASSERT_EQ(FeedInPieces(p, req, step), State::kComplete) << step;
    EXPECT_EQ(p.TakeRequest().body, "Wikipedia in\r\n\r\nchunks.");
  }
}

TEST(RequestParserTest, KeepAliveRules) {
  struct Case {
    std::string head;
    bool keep;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.2\r\nHost: h\r\n\r\n", true},  // a higher minor is treated as 1.1
  };
  for (const auto& c : cases) {
    HttpRequestParser p;
    p.Append(c.head);
    ASSERT_EQ(p.Parse(), State::kComplete) << c.head;
    EXPECT_EQ(p.TakeRequest().keep_alive, c.keep) << c.head;
  }
}

TEST(RequestParserTest, AbsoluteFormAndAsteriskTargets) {
  HttpRequestParser p;
  p.Append("GET http://example.com:8080/x?y=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
           "GET https://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
           "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().target, "/x?y=1");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().target, "/");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().target, "*");
}

TEST(RequestParserTest, LeadingEmptyLinesAreIgnored) {
  HttpRequestParser p;
  p.Append("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(p.Parse(), State::kComplete);
}

TEST(RequestParserTest, ExpectContinueIsVisibleBeforeTheBody) {
  HttpRequestParser p;
  p.Append("POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(p.Parse(), State::kNeedMore);
  EXPECT_TRUE(p.AwaitingBody());
  EXPECT_TRUE(p.current().expects_continue);
  p.Append("abc");
  EXPECT_EQ(p.Parse(), State::kComplete);
  EXPECT_FALSE(p.AwaitingBody());
}

struct ErrorCase {
  const char* name;
  std::string bytes;
  int status;
};

TEST(RequestParserTest, MalformedInputIsRefusedWithTheRightStatus) {
  const ErrorCase cases[] = {
      {"junk", "\x16\x03\x01", 400},
      {"no target", "GET\r\n\r\n", 400},
      {"no version", "GET /\r\n\r\n", 400},
      {"lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400},
      {"version 2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
      {"target with space", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"fragment", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"relative target", "GET a HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"asterisk for GET", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"ftp absolute", "GET ftp://x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
      {"method too long", std::string(40, 'A') + " / HTTP/1.1\r\n\r\n", 400},
      {"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
      {"space in name", "GET / HTTP/1.1\r\nHost: h\r\nX Y: 1\r\n\r\n", 400},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 35), 400},
      {"bare CR in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", 400},
      {"bare LF", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
      {"CL negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n", 400},
      {"CL hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400},
      {"CL empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400},
      {"CL plus", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400},
      {"CL list differs", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", 400},
      {"CL huge", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413},
      {"CL over limit", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", 413},
      {"TE and CL", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400},
      {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE not final", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"TE twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"TE gzip", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"chunk not hex", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400},
      {"chunk missing CRLF", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n", 400},
      {"chunk over limit", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n401\r\n", 413},
      {"chunk size overflow", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 413},
      {"long request line", "GET /" + std::string(5000, 'a'), 414},
      {"long headers", "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(5000, 'a'), 431},
  };
  HttpParserLimits limits;
  limits.max_body_bytes = 1024;
  limits.max_header_bytes = 4096;
  for (const auto& c : cases) {
    for (size_t step : {c.bytes.size(), size_t{1}}) {
      HttpRequestParser p(limits);
      EXPECT_EQ(FeedInPieces(p, c.bytes, step), State::kError) << c.name << " step " << step;
      EXPECT_EQ(p.error_status(), c.status) << c.name << " step " << step;
      EXPECT_FALSE(p.error_reason().empty());
    }
  }
}

TEST(RequestParserTest, TooManyHeaderFields) {
  HttpParserLimits limits;
  limits.max_header_count = 3;
  HttpRequestParser p(limits);
  p.Append("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
  EXPECT_EQ(p.Parse(), State::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, IdenticalContentLengthsAreAccepted) {
  HttpRequestParser p;
  p.Append("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().body, "ok");
}

TEST(RequestParserTest, BodyExactlyAtLimitIsAccepted) {
  HttpParserLimits limits;
  limits.max_body_bytes = 10;
  HttpRequestParser p(limits);
  p.Append("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n");
  ASSERT_EQ(p.Parse(), State::kComplete);
  EXPECT_EQ(p.TakeRequest().body, "1234567890");
}

}  // namespace
}  // namespace certme
