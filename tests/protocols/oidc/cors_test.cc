// CORS (Fetch Standard §3.2) for browser applications: discovery and JWKS
// for everyone; token and UserInfo only for the origins of the client's
// registered redirect URIs, preflight included.
#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

class CorsTest : public OidcTest {
 protected:
  // OPTIONS through the provider's own mount table (as idp/ mounts it).
  HttpResponse Preflight(const std::string& path, const std::string& origin,
                         const std::string& method = "POST") {
    HttpRequest req = Get(path, {}, false);
    req.method = "OPTIONS";
    req.headers.Set("Origin", origin);
    req.headers.Set("Access-Control-Request-Method", method);
    req.headers.Set("Access-Control-Request-Headers", "authorization, dpop");
    for (const auto& r : OidcProvider::Routes())
      if (r.method == "OPTIONS" && r.path == path) return ((*op_).*(r.handler))(req);
    ADD_FAILURE() << "no OPTIONS route for " << path;
    return HttpResponse::Text(405, "");
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    return r.headers.Get(name).value_or("");
  }
  // A code exchange by the public client "spa", as a browser sends it.
  HttpResponse SpaToken(const std::string& origin) {
    std::string code = CodeFor(AuthParams("spa"));
    HttpRequest req = PostForm("/token", {{"grant_type", "authorization_code"}, {"code", code},
                                          {"redirect_uri", "https://spa.example/cb"}, {"client_id", "spa"},
                                          {"code_verifier", kVerifier}}, false);
    req.headers.Set("Origin", origin);
    return op_->Token(req);
  }
};

TEST_F(CorsTest, DiscoveryAndJwksAreOpenToEveryOriginIncludingPreflight) {
  for (const char* path : {"/.well-known/openid-configuration", "/jwks"}) {
    SCOPED_TRACE(path);
    HttpResponse r = Preflight(path, "https://anyone.example", "GET");
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "*");
    EXPECT_NE(Header(r, "Access-Control-Allow-Methods").find("GET"), std::string::npos);
    EXPECT_FALSE(Header(r, "Access-Control-Max-Age").empty());
  }
  EXPECT_EQ(Header(op_->Discovery(Get("/.well-known/openid-configuration", {})), "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(Header(op_->Jwks(Get("/jwks", {})), "Access-Control-Allow-Origin"), "*");
}

TEST_F(CorsTest, TokenPreflightOnlyForRegisteredOrigins) {
  HttpResponse ok = Preflight("/token", "https://spa.example");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(Header(ok, "Access-Control-Allow-Origin"), "https://spa.example");
  EXPECT_NE(Header(ok, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  std::string allowed = Header(ok, "Access-Control-Allow-Headers");
  for (const char* h : {"Authorization", "Content-Type", "DPoP"})
    EXPECT_NE(allowed.find(h), std::string::npos) << h;
  EXPECT_FALSE(Header(ok, "Access-Control-Max-Age").empty());
  EXPECT_NE(Header(ok, "Vary").find("Origin"), std::string::npos);
  // The origin of any registered redirect URI (here the confidential rp's).
  EXPECT_EQ(Header(Preflight("/token", "https://rp.example"), "Access-Control-Allow-Origin"), "https://rp.example");
  HttpResponse evil = Preflight("/token", "https://evil.example");
  EXPECT_FALSE(evil.headers.Has("Access-Control-Allow-Origin"));
  EXPECT_NE(Header(evil, "Vary").find("Origin"), std::string::npos);
  EXPECT_FALSE(Preflight("/token", "null").headers.Has("Access-Control-Allow-Origin"));
}

TEST_F(CorsTest, TokenAnswersCorsOnlyForTheClientsOwnOrigins) {
  HttpResponse ok = SpaToken("https://spa.example");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Header(ok, "Access-Control-Allow-Origin"), "https://spa.example");
  EXPECT_NE(Header(ok, "Vary").find("Origin"), std::string::npos);
  // Another client's origin (rp.example is registered, but for "rp").
  HttpResponse other = SpaToken("https://rp.example");
  EXPECT_EQ(other.status, 200);
  EXPECT_FALSE(other.headers.Has("Access-Control-Allow-Origin"));
  EXPECT_NE(Header(other, "Vary").find("Origin"), std::string::npos);
  // Errors reach the client's own origin too, so it can read them.
  HttpRequest bad = PostForm("/token", {{"grant_type", "authorization_code"}, {"code", "x"},
                                        {"client_id", "spa"}}, false);
  bad.headers.Set("Origin", "https://spa.example");
  HttpResponse err = op_->Token(bad);
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(Header(err, "Access-Control-Allow-Origin"), "https://spa.example");
}

TEST_F(CorsTest, UserInfoAnswersCorsForTheTokensClient) {
  HttpResponse pre = Preflight("/userinfo", "https://spa.example", "GET");
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(Header(pre, "Access-Control-Allow-Origin"), "https://spa.example");
  EXPECT_NE(Header(pre, "Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  EXPECT_FALSE(Preflight("/userinfo", "https://evil.example", "GET").headers.Has("Access-Control-Allow-Origin"));

  std::string at = Json(SpaToken("https://spa.example"))["access_token"];
  auto userinfo = [&](const std::string& origin) {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", "Bearer " + at);
    req.headers.Set("Origin", origin);
    return op_->UserInfo(req);
  };
  HttpResponse ok = userinfo("https://spa.example");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(Header(ok, "Access-Control-Allow-Origin"), "https://spa.example");
  EXPECT_NE(Header(ok, "Vary").find("Origin"), std::string::npos);
  HttpResponse other = userinfo("https://rp.example");
  EXPECT_EQ(other.status, 200);
  EXPECT_FALSE(other.headers.Has("Access-Control-Allow-Origin"));
}

TEST_F(CorsTest, DefaultPortsAndCaseDoNotMatterInRegisteredUris) {
  OidcClient c = PublicClient();
  c.client_id = "spa2";
  c.redirect_uris = {"HTTPS://App.Example:443/cb", "https://app.example:8443/cb"};
  Register(c);
  EXPECT_EQ(Header(Preflight("/token", "https://app.example"), "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(Header(Preflight("/token", "https://app.example:8443"), "Access-Control-Allow-Origin"),
            "https://app.example:8443");
  EXPECT_FALSE(Preflight("/token", "https://app.example:8444").headers.Has("Access-Control-Allow-Origin"));
  EXPECT_FALSE(Preflight("/token", "http://app.example").headers.Has("Access-Control-Allow-Origin"));
}

}  // namespace
}  // namespace certme::testing
