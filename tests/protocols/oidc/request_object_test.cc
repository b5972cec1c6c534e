// Signed request objects (RFC 9101; OIDC Core §6.1): at /authorize and
// pushed to /par, and the per-client requirement.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/records.h"

namespace certme::testing {
namespace {

class RequestObjectTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    client_key_ = GenerateSigningKey("EC", "rp-key").value();
    other_key_ = GenerateSigningKey("EC", "rp-key").value();  // same kid, another key
    OidcClient jar = ConfidentialClient("jar");
    jar.jwks = nlohmann::json{{"keys", {client_key_->ToJwk()}}}.dump();
    Register(jar);
    OidcClient strict = jar;
    strict.client_id = "strict";
    strict.require_signed_request_object = true;
    strict.request_object_signing_alg = "ES256";
    Register(strict);
  }

  // The usual request parameters of `client_id` as a request object's claims.
  nlohmann::json Claims(const std::string& client_id = "jar") const {
    nlohmann::json c = nlohmann::json::object();
    for (const auto& [k, v] : AuthParams(client_id)) c[k] = v;
    c["state"] = "from-the-object";
    c["iss"] = client_id;
    c["aud"] = kIssuer;
    c["exp"] = clock_.NowUnixSeconds() + 300;
    c["iat"] = clock_.NowUnixSeconds();
    return c;
  }
  std::string Sign(const nlohmann::json& claims, const std::shared_ptr<SigningKey>& key = nullptr) const {
    return SignJwt(key ? *key : *client_key_, JwsAlg::kES256, claims).value();
  }
  // /authorize with only client_id, request (and what `extra` adds).
  HttpResponse AuthorizeWith(const std::string& jwt, const std::string& client_id = "jar", Params extra = {}) {
    Params p = {{"client_id", client_id}, {"request", jwt}};
    p.insert(extra.begin(), extra.end());
    return Authorize(p);
  }
  HttpResponse Push(Params form, const std::string& client_id) {
    HttpRequest req = PostForm("/par", form, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode(client_id) + ":" + PercentEncode(kSecret)));
    return op_->PushedAuthorizationRequest(req);
  }

  std::shared_ptr<SigningKey> client_key_, other_key_;
};

TEST_F(RequestObjectTest, SignedRequestObjectStartsTheLoginWithItsParameters) {
  size_t before = auth_.requests.size();
  // Outside parameters other than client_id do not count (RFC 9101 §6.3).
  HttpResponse r = AuthorizeWith(Sign(Claims()), "jar", {{"state", "from-the-query"}, {"scope", "openid"}});
  ASSERT_EQ(auth_.requests.size(), before + 1) << r.status << " " << r.body;
  HttpResponse done = LoginAndResume();
  ASSERT_EQ(done.status, 302);
  Params q = LocationParams(done);
  EXPECT_EQ(Location(done).rfind(kRedirect, 0), 0u);
  EXPECT_EQ(ParamGet(q, "state"), "from-the-object");
  std::string code = ParamGet(q, "code").value_or("");
  HttpResponse tok = TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}, "jar");
  ASSERT_EQ(tok.status, 200) << tok.body;
  // The object's scope (openid profile email), not the query's (openid).
  EXPECT_NE(Json(tok).value("scope", "").find("email"), std::string::npos) << tok.body;
}

TEST_F(RequestObjectTest, ABadRequestObjectIsRefusedAndNoLoginStarts) {
  struct Case {
    std::string name;
    std::string jwt;
  };
  auto claims = [&](auto edit) {
    nlohmann::json c = Claims();
    edit(c);
    return Sign(c);
  };
  std::string unsigned_jwt = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(Claims().dump()) + ".";
  std::vector<Case> cases = {
      {"alg none", unsigned_jwt},
      {"unregistered key", Sign(Claims(), other_key_)},
      {"another client's iss", claims([](auto& c) { c["iss"] = "rp"; })},
      {"mismatched client_id", claims([](auto& c) { c["client_id"] = "rp"; })},
      {"another audience", claims([](auto& c) { c["aud"] = "https://other.test"; })},
      {"no audience", claims([](auto& c) { c.erase("aud"); })},
      {"expired", claims([&](auto& c) { c["exp"] = clock_.NowUnixSeconds() - 3600; })},
      {"no exp", claims([](auto& c) { c.erase("exp"); })},
      {"lives too long", claims([&](auto& c) { c["exp"] = clock_.NowUnixSeconds() + 86400; })},
      {"not yet valid", claims([&](auto& c) { c["nbf"] = clock_.NowUnixSeconds() + 3600; })},
      {"nested request", claims([](auto& c) { c["request"] = "x.y.z"; })},
      {"member not a string", claims([](auto& c) { c["scope"] = nlohmann::json::array({"openid"}); })},
      {"not a JWT", "not-a-jwt"},
      {"too large", std::string(20000, 'a')},
  };
  for (const auto& c : cases) {
    // With the redirect_uri beside it registered, the error goes there...
    HttpResponse r = AuthorizeWith(c.jwt, "jar", {{"redirect_uri", kRedirect}, {"state", "outer"}});
    ASSERT_EQ(r.status, 302) << c.name << ": " << r.body;
    Params q = LocationParams(r);
    EXPECT_EQ(ParamGet(q, "error"), "invalid_request_object") << c.name;
    EXPECT_EQ(ParamGet(q, "state"), "outer") << c.name;
    EXPECT_EQ(ParamGet(q, "iss"), kIssuer) << c.name;
    // ...without one, the user is shown the error (nothing to trust).
    EXPECT_EQ(AuthorizeWith(c.jwt).status, 400) << c.name;
  }
  // An unregistered redirect_uri beside it is never used.
  HttpResponse r = AuthorizeWith(unsigned_jwt, "jar", {{"redirect_uri", "https://evil.example/cb"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(RequestObjectTest, ClientThatRequiresThemIsRefusedWithoutAndAnotherAlgorithm) {
  Params plain = AuthParams("strict");
  Params q = LocationParams(Authorize(plain));
  EXPECT_EQ(ParamGet(q, "error"), "invalid_request");
  EXPECT_NE(ParamGet(q, "error_description").value_or("").find("signed request object"), std::string::npos);
  // RS256 is refused for a client registered for ES256 only.
  auto rsa = GenerateSigningKey("RSA", "rp-key").value();
  OidcClient both = ConfidentialClient("both");
  both.jwks = nlohmann::json{{"keys", {client_key_->ToJwk(), rsa->ToJwk()}}}.dump();
  both.require_signed_request_object = true;
  both.request_object_signing_alg = "ES256";
  Register(both);
  nlohmann::json c = Claims("both");
  std::string rs = SignJwt(*rsa, JwsAlg::kRS256, c).value();
  EXPECT_EQ(ParamGet(LocationParams(AuthorizeWith(rs, "both", {{"redirect_uri", kRedirect}})), "error"),
            "invalid_request_object");
  EXPECT_TRUE(auth_.requests.empty());
  // The object signed with the registered algorithm is taken.
  AuthorizeWith(Sign(Claims("strict")), "strict");
  EXPECT_EQ(auth_.requests.size(), 1u);
}

TEST_F(RequestObjectTest, PushedRequestObjectIsStoredOpenedAndUsedOnce) {
  HttpResponse pushed = Push({{"client_id", "strict"}, {"request", Sign(Claims("strict"))}}, "strict");
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string uri = Json(pushed)["request_uri"];
  auto stored = store_->List(oidc_internal::kParNs).value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].value.find("\"request\""), std::string::npos) << "the JWT itself was stored";
  std::string code = CodeFor({{"client_id", "strict"}, {"request_uri", uri}});
  EXPECT_FALSE(code.empty());

  // A strict client pushing plain parameters, or a bad object: refused, nothing stored.
  HttpResponse plain = Push(AuthParams("strict"), "strict");
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(Json(plain)["error"], "invalid_request");
  nlohmann::json expired = Claims("strict");
  expired["exp"] = clock_.NowUnixSeconds() - 3600;
  HttpResponse bad = Push({{"client_id", "strict"}, {"request", Sign(expired)}}, "strict");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json(bad)["error"], "invalid_request_object");
  EXPECT_EQ(store_->List(oidc_internal::kParNs).value().size(), 0u);
}

}  // namespace
}  // namespace certme::testing
