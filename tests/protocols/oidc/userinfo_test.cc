// UserInfo bearer handling (RFC 6750 §2, §3) and Discovery / JWKS.
#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

class UserInfoTest : public OidcTest {
 protected:
  std::string AccessToken() {
    std::string code = CodeFor(AuthParams());
    auto j = Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
    return j["access_token"];
  }
};

TEST_F(UserInfoTest, BearerHeaderOrFormFieldButNotBoth) {
  std::string at = AccessToken();
  HttpRequest get = Get("/userinfo", {}, false);
  get.headers.Set("Authorization", "bearer " + at);  // scheme is case-insensitive
  HttpResponse r = op_->UserInfo(get);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  EXPECT_TRUE(Json(r)["sub"].is_string());

  HttpResponse form = op_->UserInfo(PostForm("/userinfo", {{"access_token", at}}, false));
  EXPECT_EQ(form.status, 200);
  EXPECT_EQ(Json(form)["sub"], Json(r)["sub"]);

  HttpRequest both = PostForm("/userinfo", {{"access_token", at}}, false);
  both.headers.Set("Authorization", "Bearer " + at);
  HttpResponse b = op_->UserInfo(both);
  EXPECT_EQ(b.status, 400);
  EXPECT_EQ(Json(b)["error"], "invalid_request");
  // A query parameter is not a supported way (RFC 6750 §2.3 is optional).
  EXPECT_EQ(op_->UserInfo(Get("/userinfo", {{"access_token", at}}, false)).status, 401);
}

TEST_F(UserInfoTest, MissingAndInvalidTokensGetBearerChallenges) {
  HttpResponse none = op_->UserInfo(Get("/userinfo", {}, false));
  EXPECT_EQ(none.status, 401);
  std::string challenge = none.headers.Get("WWW-Authenticate").value_or("");
  EXPECT_EQ(challenge.rfind("Bearer", 0), 0u);
  EXPECT_EQ(challenge.find("error="), std::string::npos);  // RFC 6750 §3.1: no error without a token

  HttpRequest bad = Get("/userinfo", {}, false);
  bad.headers.Set("Authorization", "Bearer not-a-token");
  HttpResponse r = op_->UserInfo(bad);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.Get("WWW-Authenticate").value_or("").find("error=\"invalid_token\""), std::string::npos);
}

TEST_F(UserInfoTest, ExpiredTokenIsInvalid) {
  std::string at = AccessToken();
  clock_.Advance(std::chrono::seconds(options_.access_token_ttl_seconds + 1));
  HttpRequest req = Get("/userinfo", {}, false);
  req.headers.Set("Authorization", "Bearer " + at);
  HttpResponse r = op_->UserInfo(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.headers.Get("WWW-Authenticate").value_or("").find("invalid_token"), std::string::npos);
}

// RFC 7592 §2.3: once a client is deleted its tokens stop working. The
// token record outlives the client until it expires, so UserInfo checks.
TEST_F(UserInfoTest, TokenOfADeletedClientIsInvalid) {
  std::string at = AccessToken();
  ASSERT_TRUE(clients_->Delete("rp").ok());
  HttpRequest req = Get("/userinfo", {}, false);
  req.headers.Set("Authorization", "Bearer " + at);
  HttpResponse r = op_->UserInfo(req);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_NE(r.headers.Get("WWW-Authenticate").value_or("").find("invalid_token"), std::string::npos);
  EXPECT_EQ(r.body.find("\"sub\""), std::string::npos);
}

using DiscoveryTest = OidcTest;

TEST_F(DiscoveryTest, AdvertisesWhatIsImplemented) {
  HttpResponse r = op_->Discovery(Get("/.well-known/openid-configuration", {}, false));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Cache-Control"), "public, max-age=300");
  auto d = Json(r);
  std::string iss = kIssuer;
  EXPECT_EQ(d["issuer"], iss);
  EXPECT_EQ(d["authorization_endpoint"], iss + "/authorize");
  EXPECT_EQ(d["token_endpoint"], iss + "/token");
  EXPECT_EQ(d["userinfo_endpoint"], iss + "/userinfo");
  EXPECT_EQ(d["jwks_uri"], iss + "/jwks");
  EXPECT_EQ(d["end_session_endpoint"], iss + "/logout");
  EXPECT_EQ(d["response_types_supported"], nlohmann::json({"code"}));
  EXPECT_EQ(d["response_modes_supported"], nlohmann::json({"query", "form_post"}));
  EXPECT_EQ(d["grant_types_supported"], nlohmann::json({"authorization_code", "refresh_token", "client_credentials",
                                                      "urn:ietf:params:oauth:grant-type:device_code"}));
  EXPECT_EQ(d["device_authorization_endpoint"], iss + "/device_authorization");
  EXPECT_EQ(d["code_challenge_methods_supported"], nlohmann::json({"S256"}));
  EXPECT_EQ(d["token_endpoint_auth_methods_supported"],
            nlohmann::json({"client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth", "none"}));
  EXPECT_EQ(d["subject_types_supported"], nlohmann::json({"pairwise", "public"}));
  EXPECT_EQ(d["id_token_signing_alg_values_supported"], nlohmann::json({"RS256", "PS256", "ES256"}));
  EXPECT_EQ(d["claims_parameter_supported"], true);
  EXPECT_EQ(d["request_parameter_supported"], true);
  EXPECT_EQ(d["request_object_signing_alg_values_supported"], nlohmann::json({"RS256", "PS256", "ES256", "EdDSA"}));
  EXPECT_EQ(d["request_uri_parameter_supported"], false);
  EXPECT_EQ(d["acr_values_supported"], nlohmann::json({"http://eidas.europa.eu/LoA/low", "http://eidas.europa.eu/LoA/substantial",
                                                     "http://eidas.europa.eu/LoA/high"}));
  EXPECT_EQ(d["ui_locales_supported"], nlohmann::json({"ro", "ru", "en"}));
  EXPECT_EQ(d["authorization_response_iss_parameter_supported"], true);
  for (const char* f : {"backchannel_logout_supported", "backchannel_logout_session_supported",
                        "frontchannel_logout_supported", "frontchannel_logout_session_supported"})
    EXPECT_EQ(d[f], true) << f;
  auto has = [](const nlohmann::json& a, const char* v) { return std::find(a.begin(), a.end(), v) != a.end(); };
  for (const char* s : {"openid", "profile", "email", "phone", "address", "certme"})
    EXPECT_TRUE(has(d["scopes_supported"], s)) << s;
  for (const char* c : {"sub", "given_name", "family_name", "birthdate", "gender", "locale", "email",
                        "phone_number", "idnp", "sid", "acr"})
    EXPECT_TRUE(has(d["claims_supported"], c)) << c;
}

TEST_F(DiscoveryTest, SigningAlgsFollowTheActiveKeys) {
  keys_ = std::make_unique<KeySet>(&clock_);
  keys_->Add(ec_key_, KeySet::State::kActive);
  Rebuild();
  auto d = Json(op_->Discovery(Get("/.well-known/openid-configuration", {}, false)));
  EXPECT_EQ(d["id_token_signing_alg_values_supported"], nlohmann::json({"ES256"}));
}

TEST_F(DiscoveryTest, JwksPublishesPublicKeysOnlyWithCacheHeaders) {
  HttpResponse r = op_->Jwks(Get("/jwks", {}, false));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Cache-Control"), "public, max-age=300");
  auto j = Json(r);
  ASSERT_TRUE(j["keys"].is_array());
  std::set<std::string> kids;
  for (const auto& k : j["keys"]) {
    kids.insert(k["kid"].get<std::string>());
    EXPECT_FALSE(k.contains("d")) << k.dump();
    EXPECT_FALSE(k.contains("p"));
  }
  EXPECT_EQ(kids, (std::set<std::string>{"rsa-1", "ec-1"}));
  // Every published key parses and verifies our tokens.
  std::vector<std::shared_ptr<const PublicKey>> published;
  for (const auto& k : j["keys"]) published.push_back(ParsePublicKeyJwk(k).value());
  std::string code = CodeFor(AuthParams());
  auto t = Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  EXPECT_TRUE(VerifyJwt(t["id_token"].get<std::string>(), published, {JwsAlg::kRS256}).ok());
}

}  // namespace
}  // namespace certme::testing
