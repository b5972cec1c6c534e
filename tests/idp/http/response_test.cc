#include "idp/http/response.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace certme {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ResponsePolicyTest, HtmlGetsSecurityHeaders) {
  HttpResponse r = HttpResponse::Html(200, "<p>x</p>");
  EXPECT_EQ(ApplyResponsePolicy(r, {}), "");
  EXPECT_EQ(r.headers.Get("content-security-policy"), kDefaultCsp);
  EXPECT_EQ(r.headers.Get("x-frame-options"), "DENY");
  EXPECT_EQ(r.headers.Get("referrer-policy"), "no-referrer");
  EXPECT_EQ(r.headers.Get("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.headers.Get("cache-control"), "no-store");
}

TEST(ResponsePolicyTest, CspOverrideAndHandlerCacheControl) {
  HttpResponse r = HttpResponse::Html(200, "x");
  r.csp = "default-src 'self'";
  r.headers.Set("Cache-Control", "max-age=60");
  ApplyResponsePolicy(r, {});
  EXPECT_EQ(r.headers.Get("content-security-policy"), "default-src 'self'");
  EXPECT_EQ(r.headers.Get("cache-control"), "max-age=60");
}

TEST(ResponsePolicyTest, JsonAndOtherTypes) {
  HttpResponse j = HttpResponse::Json(200, "{}");
  ApplyResponsePolicy(j, {});
  EXPECT_EQ(j.headers.Get("cache-control"), "no-store");
  EXPECT_EQ(j.headers.Get("x-content-type-options"), "nosniff");
  EXPECT_FALSE(j.headers.Has("content-security-policy"));
  HttpResponse jwk = HttpResponse::Text(200, "{}", "application/jwk-set+json");
  ApplyResponsePolicy(jwk, {});
  EXPECT_EQ(jwk.headers.Get("cache-control"), "no-store");
  HttpResponse t = HttpResponse::Text(200, "x");
  ApplyResponsePolicy(t, {});
  EXPECT_FALSE(t.headers.Has("cache-control"));
}

TEST(ResponsePolicyTest, ServerErrorBodiesAreReplacedUnlessExposed) {
  HttpResponse r = HttpResponse::Text(503, "redis at 10.0.0.1 down");
  r.headers.Set("Retry-After", "5");
  r.headers.Set("X-Debug", "internal");
  std::string detail = ApplyResponsePolicy(r, {});
  EXPECT_EQ(detail, "redis at 10.0.0.1 down");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "internal error");
  EXPECT_EQ(r.headers.Get("retry-after"), "5");
  EXPECT_FALSE(r.headers.Has("x-debug"));

  HttpResponse e = HttpResponse::Json(503, R"({"status":"unavailable"})");
  e.headers.Set(kLogDetailHeader, "why");
  ResponseContext ctx;
  ctx.expose_server_errors = true;
  EXPECT_EQ(ApplyResponsePolicy(e, ctx), "why");
  EXPECT_EQ(e.body, R"({"status":"unavailable"})");
  EXPECT_FALSE(e.headers.Has(kLogDetailHeader));
}

TEST(ResponsePolicyTest, HeaderInjectionBecomes500) {
  HttpResponse r = HttpResponse::Redirect("/cb\r\nSet-Cookie: x=1");
  EXPECT_THAT(ApplyResponsePolicy(r, {}), HasSubstr("location"));
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.headers.Has("location"));

  HttpResponse c = HttpResponse::Text(200, "x");
  SetCookie bad;
  bad.name = "sid";
  bad.value = "a;b";
  c.cookies = {bad};
  EXPECT_THAT(ApplyResponsePolicy(c, {}), HasSubstr("cookie"));
  EXPECT_EQ(c.status, 500);
  EXPECT_FALSE(c.headers.Has("set-cookie"));
}

TEST(ResponsePolicyTest, CookiesSerialisedSecureDroppedOnlyInDevOverHttp) {
  SetCookie sc;
  sc.name = "sid";
  sc.value = "v";
  sc.same_site = SameSite::kStrict;
  for (bool dev : {false, true}) {
    for (bool secure : {false, true}) {
      HttpResponse r = HttpResponse::Text(200, "x");
      r.cookies = {sc};
      ResponseContext ctx;
      ctx.dev_mode = dev;
      ctx.secure = secure;
      ApplyResponsePolicy(r, ctx);
      std::string want = dev && !secure ? "sid=v; Path=/; HttpOnly; SameSite=Strict"
                                        : "sid=v; Path=/; HttpOnly; Secure; SameSite=Strict";
      EXPECT_EQ(r.headers.Get("set-cookie"), want) << dev << secure;
    }
  }
}

TEST(SerializeTest, FramingBelongsToTheAdapter) {
  HttpResponse r = HttpResponse::Text(200, "hello");
  r.headers.Set("Content-Length", "999");
  r.headers.Set("Connection", "keep-alive");
  r.headers.Set("X-Request-Id", "spoof");
  ResponseContext ctx;
  ctx.keep_alive = false;
  ctx.request_id = "rid";
  std::string wire = SerializeResponse(r, ctx);
  EXPECT_THAT(wire, StartsWith("HTTP/1.1 200 OK\r\nDate: "));
  EXPECT_THAT(wire, HasSubstr("\r\nContent-Length: 5\r\n"));
  EXPECT_THAT(wire, Not(HasSubstr("999")));
  EXPECT_THAT(wire, HasSubstr("\r\nConnection: close\r\n"));
  EXPECT_THAT(wire, HasSubstr("\r\nX-Request-Id: rid\r\n"));
  EXPECT_THAT(wire, Not(HasSubstr("spoof")));
  EXPECT_THAT(wire, ::testing::EndsWith("\r\n\r\nhello"));
}

TEST(SerializeTest, HeadAndNoContent) {
  ResponseContext head;
  head.head = true;
  std::string wire = SerializeResponse(HttpResponse::Text(200, "hello"), head);
  EXPECT_THAT(wire, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_THAT(wire, ::testing::EndsWith("\r\n\r\n"));
  HttpResponse nc;
  nc.status = 204;
  std::string w204 = SerializeResponse(nc, {});
  EXPECT_THAT(w204, Not(HasSubstr("Content-Length")));
  ResponseContext http10;
  http10.http10 = true;
  EXPECT_THAT(SerializeResponse(nc, http10), HasSubstr("Connection: keep-alive\r\n"));
}

}  // namespace
}  // namespace certme
