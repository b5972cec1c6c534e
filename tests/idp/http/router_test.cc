#include "idp/http/router.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace certme {
namespace {

HttpHandler Named(std::string name) {
  return [name](const HttpRequest&) { return HttpResponse::Text(200, name); };
}

std::string Invoke(const RouteMatch& m) {
  if (!m.handler) return "";
  return (*m.handler)(HttpRequest{}).body;
}

TEST(RouterTest, LiteralsParamsAndPriority) {
  Router r;
  r.Get("/", Named("root"));
  r.Get("/t/:code", Named("param"));
  r.Get("/t/new", Named("literal"));
  r.Get("/a/:x/b/:y", Named("two"));

  EXPECT_EQ(Invoke(r.Match("GET", "/")), "root");
  EXPECT_EQ(Invoke(r.Match("GET", "/t/new")), "literal");
  auto m = r.Match("GET", "/t/abc%20def");
  EXPECT_EQ(m.status, 0);
  EXPECT_EQ(Invoke(m), "param");
  EXPECT_EQ(m.route, "/t/:code");
  EXPECT_EQ(m.path_params.at("code"), "abc def");
  auto two = r.Match("GET", "/a/1/b/%2F");
  EXPECT_EQ(two.path_params.at("x"), "1");
  EXPECT_EQ(two.path_params.at("y"), "/");
}

TEST(RouterTest, NotFoundMethodNotAllowedAndBadEscapes) {
  Router r;
  r.Get("/x", Named("get"));
  r.Post("/x", Named("post"));
  EXPECT_EQ(r.Match("GET", "/y").status, 404);
  EXPECT_EQ(r.Match("GET", "/x/").status, 404);   // trailing slash is another path
  EXPECT_EQ(r.Match("GET", "/t/").status, 404);
  auto m = r.Match("PUT", "/x");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(r.Match("GET", "/x%zz").status, 400);
  EXPECT_EQ(r.Match("GET", "/x%00").status, 400);
  EXPECT_EQ(r.Match("GET", "*").status, 404);
}

TEST(RouterTest, EmptySegmentDoesNotMatchParam) {
  Router r;
  r.Get("/t/:code", Named("param"));
  EXPECT_EQ(r.Match("GET", "/t/").status, 404);
}

TEST(RouterTest, HeadFallsBackToGetButExplicitHeadWins) {
  Router r;
  r.Get("/g", Named("get"));
  EXPECT_EQ(Invoke(r.Match("HEAD", "/g")), "get");
  r.Handle("HEAD", "/g", Named("head"));
  EXPECT_EQ(Invoke(r.Match("HEAD", "/g")), "head");
}

TEST(RouterTest, MethodSpecificRouteBeatsPatternShape) {
  Router r;
  r.Post("/t/:code", Named("post-param"));
  r.Get("/t/new", Named("get-literal"));
  // No POST on the literal: the parameter route that accepts POST answers.
  EXPECT_EQ(Invoke(r.Match("POST", "/t/new")), "post-param");
}

TEST(RouterTest, AsyncRoutesAndOptions) {
  Router r;
  RouteOptions o;
  o.expose_server_errors = true;
  r.HandleAsync("GET", "/poll/:id", [](HttpRequest, std::function<void(HttpResponse)>) {}, o);
  auto m = r.Match("GET", "/poll/7");
  EXPECT_EQ(m.status, 0);
  EXPECT_TRUE(m.async_handler);
  EXPECT_FALSE(m.handler);
  EXPECT_TRUE(m.options.expose_server_errors);
}

TEST(RouterTest, RegistrationErrorsThrow) {
  Router r;
  r.Get("/x/:a", Named("1"));
  EXPECT_THROW(r.Get("/x/:b", Named("2")), std::invalid_argument);  // same shape
  EXPECT_THROW(r.Get("x", Named("3")), std::invalid_argument);
  EXPECT_THROW(r.Get("/y/:", Named("4")), std::invalid_argument);
  EXPECT_THROW(r.Get("/y/:a/:a", Named("5")), std::invalid_argument);
  EXPECT_THROW(r.Get("/z", HttpHandler()), std::invalid_argument);
  EXPECT_NO_THROW(r.Post("/x/:b", Named("6")));
}

}  // namespace
}  // namespace certme
