// Token revocation (RFC 7009), token introspection (RFC 7662) and the RFC
// 8414 authorization server metadata.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/records.h"
#include "tests/store/failing_store.h"

namespace certme::testing {
namespace {

class RevocationTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    Register(ConfidentialClient("rp2"));
    client_ec_ = GenerateSigningKey("EC", "client-ec").value();
    OidcClient c = ConfidentialClient("pkj");
    c.token_endpoint_auth_method = "private_key_jwt";
    c.client_secret_sha256.clear();
    c.jwks = nlohmann::json{{"keys", {client_ec_->ToJwk()}}}.dump();
    Register(c);
  }

  struct Issued {
    std::string access_token, refresh_token, id_token;
  };
  // The tokens of a fresh code exchange by `client_id`.
  Issued Tokens(const std::string& client_id = "rp") {
    std::string code = CodeFor(AuthParams(client_id));
    HttpResponse r = TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}},
                                client_id);
    EXPECT_EQ(r.status, 200) << r.body;
    auto j = Json(r);
    return {j.value("access_token", ""), j.value("refresh_token", ""), j.value("id_token", "")};
  }
  static std::string Str(const nlohmann::json& j) { return j.is_string() ? j.get<std::string>() : ""; }
  HttpRequest Basic(const std::string& path, const Params& form, const std::string& client_id = "rp") const {
    HttpRequest req = PostForm(path, form, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode(client_id) + ":" + PercentEncode(kSecret)));
    return req;
  }
  HttpResponse Revoke(const Params& form, const std::string& client_id = "rp") {
    return op_->Revoke(Basic("/revoke", form, client_id));
  }
  HttpResponse Introspect(const Params& form, const std::string& client_id = "rp") {
    return op_->Introspect(Basic("/introspect", form, client_id));
  }
  int UserInfoStatus(const std::string& at) {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", "Bearer " + at);
    return op_->UserInfo(req).status;
  }
  HttpResponse Refresh(const std::string& rt, const std::string& client_id = "rp") {
    return TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", rt}}, client_id);
  }
  std::string Assertion(const std::string& aud) const {
    int64_t now = clock_.NowUnixSeconds();
    nlohmann::json claims = {{"iss", "pkj"}, {"sub", "pkj"}, {"aud", aud},
                             {"iat", now},   {"exp", now + 60}, {"jti", SystemRandom().Token(12)}};
    return SignJwt(*client_ec_, JwsAlg::kES256, claims).value();
  }

  std::shared_ptr<SigningKey> client_ec_;
};

// ---- revocation ----

TEST_F(RevocationTest, RevokedAccessTokenFailsAtUserInfoAndIntrospection) {
  auto t = Tokens();
  std::string at = t.access_token;
  ASSERT_EQ(UserInfoStatus(at), 200);
  HttpResponse r = Revoke({{"token", at}, {"token_type_hint", "access_token"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  EXPECT_EQ(UserInfoStatus(at), 401);
  EXPECT_EQ(Json(Introspect({{"token", at}}))["active"], false);
  // Only that access token: the refresh token still works (documented choice).
  HttpResponse refreshed = Refresh(t.refresh_token);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(UserInfoStatus(Str(Json(refreshed)["access_token"])), 200);
}

TEST_F(RevocationTest, RevokedRefreshTokenEndsItsWholeGrant) {
  auto t = Tokens();
  auto other = Tokens();  // another grant of the same client is not touched
  // The wrong hint does not matter: the other kind is searched too (RFC 7009 §2.1).
  HttpResponse r = Revoke({{"token", t.refresh_token}, {"token_type_hint", "access_token"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(UserInfoStatus(t.access_token), 401);
  EXPECT_EQ(Json(Refresh(t.refresh_token))["error"], "invalid_grant");
  EXPECT_EQ(Json(Introspect({{"token", t.refresh_token}}))["active"], false);
  EXPECT_EQ(UserInfoStatus(other.access_token), 200);
}

TEST_F(RevocationTest, UnknownTokenAndUnknownHintAnswer200) {
  EXPECT_EQ(Revoke({{"token", "not-a-token"}}).status, 200);
  EXPECT_EQ(Revoke({{"token", std::string(5000, 'x')}}).status, 200);
  auto t = Tokens();
  EXPECT_EQ(Revoke({{"token", t.access_token}, {"token_type_hint", "something_else"}}).status, 200);
  EXPECT_EQ(UserInfoStatus(t.access_token), 401);
  // Revoking twice is fine (RFC 7009 §2.2: invalid tokens are no error).
  EXPECT_EQ(Revoke({{"token", t.access_token}}).status, 200);
}

TEST_F(RevocationTest, MissingTokenIsInvalidRequest) {
  HttpResponse r = Revoke({});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");
}

TEST_F(RevocationTest, AnotherClientsTokenIsRefusedAndStaysValid) {
  auto t = Tokens();
  HttpResponse r = Revoke({{"token", t.access_token}}, "rp2");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "unauthorized_client");
  EXPECT_EQ(Json(Revoke({{"token", t.refresh_token}}, "rp2"))["error"], "unauthorized_client");
  EXPECT_EQ(UserInfoStatus(t.access_token), 200);
  EXPECT_EQ(Refresh(t.refresh_token).status, 200);
}

TEST_F(RevocationTest, ClientAuthenticationIsTheTokenEndpointsOne) {
  auto t = Tokens();
  HttpRequest wrong = PostForm("/revoke", {{"token", t.access_token}}, false);
  wrong.headers.Set("Authorization", "Basic " + Base64Encode("rp:wrong"));
  HttpResponse r = op_->Revoke(wrong);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json(r)["error"], "invalid_client");
  EXPECT_TRUE(r.headers.Get("WWW-Authenticate").has_value());
  // Registered for client_secret_basic: client_secret_post is refused.
  HttpResponse post = op_->Revoke(PostForm("/revoke", {{"token", t.access_token}, {"client_id", "rp"},
                                                       {"client_secret", kSecret}}, false));
  EXPECT_EQ(post.status, 401);
  // No authentication at all.
  EXPECT_EQ(op_->Revoke(PostForm("/revoke", {{"token", t.access_token}}, false)).status, 401);
  EXPECT_EQ(UserInfoStatus(t.access_token), 200);
}

TEST_F(RevocationTest, PublicClientRevokesItsOwnTokensWithItsClientId) {
  std::string code = CodeFor(AuthParams("spa", "openid profile"));  // with its PKCE challenge
  ASSERT_FALSE(code.empty());
  HttpResponse tok = op_->Token(PostForm("/token", {{"grant_type", "authorization_code"}, {"code", code},
                                                    {"redirect_uri", "https://spa.example/cb"},
                                                    {"client_id", "spa"}, {"code_verifier", kVerifier}}, false));
  ASSERT_EQ(tok.status, 200) << tok.body;
  std::string at = Str(Json(tok)["access_token"]);
  HttpResponse r = op_->Revoke(PostForm("/revoke", {{"token", at}, {"client_id", "spa"}}, false));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(UserInfoStatus(at), 401);
}

TEST_F(RevocationTest, RequestShapeErrors) {
  HttpRequest get = Basic("/revoke", {{"token", "x"}});
  get.method = "GET";
  HttpResponse r = op_->Revoke(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "POST");

  HttpRequest json = Basic("/revoke", {{"token", "x"}});
  json.headers.Set("Content-Type", "application/json");
  EXPECT_EQ(Json(op_->Revoke(json))["error"], "invalid_request");

  HttpRequest big = Basic("/revoke", {{"token", "x"}});
  big.body.assign(64 * 1024 + 1, 'a');
  EXPECT_EQ(op_->Revoke(big).status, 413);

  HttpRequest twice = Basic("/revoke", {{"token", "x"}});
  twice.form.emplace("token", "y");
  EXPECT_EQ(Json(op_->Revoke(twice))["error"], "invalid_request");
}

TEST_F(RevocationTest, StoreOutageIsA503AndRevokesNothing) {
  auto t = Tokens();
  auto failing = std::make_unique<FailingStore>(std::move(store_));
  FailingStore& store = *failing;
  store_ = std::move(failing);
  Rebuild();
  store.Fail(FailingStore::Op::kDelete, oidc_internal::kAccessTokenNs);
  HttpResponse r = Revoke({{"token", t.access_token}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.Get("Retry-After"), "5");
  EXPECT_EQ(UserInfoStatus(t.access_token), 200);
  store.Heal();
  EXPECT_EQ(Revoke({{"token", t.access_token}}).status, 200);
  EXPECT_EQ(UserInfoStatus(t.access_token), 401);
}

// ---- introspection ----

TEST_F(RevocationTest, IntrospectionOfLiveTokens) {
  auto t = Tokens();
  int64_t now = clock_.NowUnixSeconds();
  HttpResponse r = Introspect({{"token", t.access_token}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  auto j = Json(r);
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["client_id"], "rp");
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["scope"], "openid profile email");
  EXPECT_EQ(j["iss"], std::string(kIssuer));
  EXPECT_EQ(j["iat"], now);
  EXPECT_EQ(j["exp"], now + options_.access_token_ttl_seconds);
  // The same subject as the ID token (pairwise for this client).
  EXPECT_EQ(j["sub"], VerifyOurJwt(t.id_token)["sub"]);

  auto rj = Json(Introspect({{"token", t.refresh_token}, {"token_type_hint", "refresh_token"}}));
  EXPECT_EQ(rj["active"], true);
  EXPECT_EQ(rj["exp"], now + options_.refresh_token_ttl_seconds);
  EXPECT_FALSE(rj.contains("token_type"));
}

TEST_F(RevocationTest, IntrospectionByAnotherClientIsInactive) {
  auto t = Tokens();
  EXPECT_EQ(Json(Introspect({{"token", t.access_token}}, "rp2")), nlohmann::json({{"active", false}}));
  EXPECT_EQ(Json(Introspect({{"token", t.refresh_token}}, "rp2")), nlohmann::json({{"active", false}}));
  EXPECT_EQ(UserInfoStatus(t.access_token), 200);  // and nothing changed
}

TEST_F(RevocationTest, IntrospectionOfExpiredRotatedAndUnknownTokensIsInactive) {
  auto t = Tokens();
  EXPECT_EQ(Json(Introspect({{"token", "unknown"}})), nlohmann::json({{"active", false}}));
  EXPECT_EQ(Json(Introspect({{"token", std::string(300, 'a')}})), nlohmann::json({{"active", false}}));
  ASSERT_EQ(Refresh(t.refresh_token).status, 200);
  EXPECT_EQ(Json(Introspect({{"token", t.refresh_token}}))["active"], false);  // rotated
  clock_.Advance(std::chrono::seconds(options_.access_token_ttl_seconds + 1));
  EXPECT_EQ(Json(Introspect({{"token", t.access_token}}))["active"], false);
}

TEST_F(RevocationTest, PublicClientsCannotIntrospect) {
  auto t = Tokens();
  HttpResponse r = op_->Introspect(PostForm("/introspect", {{"token", t.access_token}, {"client_id", "spa"}}, false));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json(r)["error"], "invalid_client");
}

TEST_F(RevocationTest, IntrospectionWithoutTokenOrAuthentication) {
  EXPECT_EQ(Json(Introspect({}))["error"], "invalid_request");
  HttpResponse r = op_->Introspect(PostForm("/introspect", {{"token", "x"}}, false));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json(r)["error"], "invalid_client");
}

TEST_F(RevocationTest, IntrospectionStoreOutageIs503) {
  auto t = Tokens();
  auto failing = std::make_unique<FailingStore>(std::move(store_));
  FailingStore& store = *failing;
  store_ = std::move(failing);
  Rebuild();
  store.Fail(FailingStore::Op::kGet, oidc_internal::kAccessTokenNs);
  HttpResponse r = Introspect({{"token", t.access_token}});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Json(r)["error"], "server_error");
}

TEST_F(RevocationTest, PrivateKeyJwtAtBothEndpoints) {
  // A client_credentials token of pkj, to have something to ask about.
  OidcClient c = clients_->Get("pkj").value();
  c.grant_types = {"client_credentials"};
  c.scopes = {"profile"};
  Register(c);
  std::string form_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  HttpResponse tok = op_->Token(PostForm("/token", {{"grant_type", "client_credentials"},
                                                    {"client_assertion_type", form_type},
                                                    {"client_assertion", Assertion(kIssuer)}}, false));
  ASSERT_EQ(tok.status, 200) << tok.body;
  std::string at = Str(Json(tok)["access_token"]);
  // The assertion's audience may be the endpoint's own URL (or the issuer).
  HttpResponse in = op_->Introspect(PostForm("/introspect", {{"token", at},
                                                            {"client_assertion_type", form_type},
                                                            {"client_assertion", Assertion(std::string(kIssuer) + "/introspect")}}, false));
  ASSERT_EQ(in.status, 200) << in.body;
  auto j = Json(in);
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["scope"], "profile");
  EXPECT_FALSE(j.contains("sub"));  // no user in client_credentials
  // An assertion meant for another endpoint of ours is refused.
  HttpResponse wrong_aud = op_->Revoke(PostForm("/revoke", {{"token", at},
                                                           {"client_assertion_type", form_type},
                                                           {"client_assertion", Assertion(std::string(kIssuer) + "/introspect")}}, false));
  EXPECT_EQ(wrong_aud.status, 401);
  HttpResponse rev = op_->Revoke(PostForm("/revoke", {{"token", at},
                                                     {"client_assertion_type", form_type},
                                                     {"client_assertion", Assertion(std::string(kIssuer) + "/revoke")}}, false));
  EXPECT_EQ(rev.status, 200) << rev.body;
  HttpResponse after = op_->Introspect(PostForm("/introspect", {{"token", at},
                                                               {"client_assertion_type", form_type},
                                                               {"client_assertion", Assertion(kIssuer)}}, false));
  EXPECT_EQ(Json(after)["active"], false);
}

// ---- metadata ----

TEST_F(RevocationTest, BothDiscoveryDocumentsAdvertiseTheEndpoints) {
  auto oidc = Json(op_->Discovery(Get("/.well-known/openid-configuration", {}, false)));
  HttpResponse as = op_->AuthorizationServerMetadata(Get("/.well-known/oauth-authorization-server", {}, false));
  ASSERT_EQ(as.status, 200);
  EXPECT_EQ(as.headers.Get("Access-Control-Allow-Origin"), "*");
  auto meta = Json(as);
  EXPECT_EQ(meta, oidc);
  std::string iss = kIssuer;
  EXPECT_EQ(meta["issuer"], iss);  // RFC 8414 §3.3: identical to the issuer
  EXPECT_EQ(meta["revocation_endpoint"], iss + "/revoke");
  EXPECT_EQ(meta["introspection_endpoint"], iss + "/introspect");
  EXPECT_EQ(meta["revocation_endpoint_auth_methods_supported"], meta["token_endpoint_auth_methods_supported"]);
  auto introspection_methods = meta["introspection_endpoint_auth_methods_supported"];
  EXPECT_EQ(std::find(introspection_methods.begin(), introspection_methods.end(), "none"),
            introspection_methods.end());
  bool mounted_revoke = false, mounted_introspect = false, mounted_meta = false;
  for (const auto& r : OidcProvider::Routes()) {
    mounted_revoke |= r.method == "POST" && r.path == "/revoke";
    mounted_introspect |= r.method == "POST" && r.path == "/introspect";
    mounted_meta |= r.method == "GET" && r.path == "/.well-known/oauth-authorization-server";
  }
  EXPECT_TRUE(mounted_revoke && mounted_introspect && mounted_meta);
}

}  // namespace
}  // namespace certme::testing
