// Token endpoint: client authentication, authorization_code, refresh_token,
// client_credentials (RFC 6749 §3.2, §4.1.3, §4.4, §6; RFC 7636; OIDC Core §3.1.3).
#include "tests/protocols/oidc/oidc_fixture.h"

#include "crypto/hash.h"
#include "protocols/oidc/records.h"
#include "tests/store/failing_store.h"

namespace certme::testing {
namespace {

using TokenTest = OidcTest;

Params CodeForm(const std::string& code, const std::string& redirect = kRedirect) {
  return {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}};
}

TEST_F(TokenTest, CodeExchangeWithBasicIssuesTokensAndAVerifiableIdToken) {
  std::string code = CodeFor(AuthParams());
  ASSERT_FALSE(code.empty());
  HttpResponse r = TokenBasic(CodeForm(code));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  EXPECT_EQ(r.headers.Get("Pragma"), "no-cache");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  auto j = Json(r);
  EXPECT_EQ(j["token_type"], "Bearer");
  EXPECT_EQ(j["expires_in"], options_.access_token_ttl_seconds);
  EXPECT_EQ(j["scope"], "openid profile email");
  std::string at = j["access_token"];
  EXPECT_GE(at.size(), 43u);
  EXPECT_TRUE(j.contains("refresh_token"));
  nlohmann::json header;
  auto id = VerifyOurJwt(j["id_token"], &header);
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["kid"], "rsa-1");
  EXPECT_EQ(id["iss"], kIssuer);
  EXPECT_EQ(id["aud"], "rp");
  EXPECT_EQ(id["azp"], "rp");
  EXPECT_EQ(id["nonce"], "n-456");
  int64_t now = clock_.NowUnixSeconds();
  EXPECT_EQ(id["iat"], now);
  EXPECT_EQ(id["exp"], now + options_.id_token_ttl_seconds);
  EXPECT_EQ(id["auth_time"], now);
  EXPECT_EQ(id["acr"], "http://eidas.europa.eu/LoA/substantial");
  EXPECT_EQ(id["amr"], nlohmann::json({"hwk", "user"}));
  EXPECT_TRUE(id["sid"].is_string());
  // OIDC Core §3.1.3.6: at_hash = left half of SHA-256(access_token), base64url.
  EXPECT_EQ(id["at_hash"], Base64UrlEncode(Sha256(at).substr(0, 16)));
  // Pairwise by default: not the eID address.
  EXPECT_NE(id["sub"], kSubject);
  // Scope claims (profile, email) for the dev identity Ion.
  EXPECT_EQ(id["given_name"], "Ion");
  EXPECT_EQ(id["family_name"], "Popescu");
  EXPECT_EQ(id["birthdate"], "1985-04-12");
  EXPECT_EQ(id["gender"], "male");
  EXPECT_EQ(id["email"], "ion.popescu@example.md");
  EXPECT_FALSE(id.contains("idnp"));  // certme scope not requested
}

TEST_F(TokenTest, ClientSecretPost) {
  OidcClient c = ConfidentialClient("post");
  c.token_endpoint_auth_method = "client_secret_post";
  Register(c);
  std::string code = CodeFor(AuthParams("post"));
  Params form = CodeForm(code);
  form.emplace("client_id", "post");
  form.emplace("client_secret", kSecret);
  HttpResponse r = op_->Token(PostForm("/token", form, false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(VerifyOurJwt(Json(r)["id_token"])["aud"], "post");
}

TEST_F(TokenTest, ClientAuthenticationFailures) {
  std::string code = CodeFor(AuthParams());
  // Wrong secret via Basic: 401 with a Basic challenge.
  HttpResponse wrong = TokenBasic(CodeForm(code), "rp", "nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Json(wrong)["error"], "invalid_client");
  EXPECT_NE(wrong.headers.Get("WWW-Authenticate").value_or("").find("Basic"), std::string::npos);
  // Unknown client via Basic: same answer.
  HttpResponse unknown = TokenBasic(CodeForm(code), "ghost", kSecret);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(Json(unknown)["error_description"], Json(wrong)["error_description"]);
  // A client_secret_basic client may not use client_secret_post; still a
  // 401, so still a challenge (RFC 9110 §15.5.2, RFC 6749 §5.2).
  Params post = CodeForm(code);
  post.emplace("client_id", "rp");
  post.emplace("client_secret", kSecret);
  HttpResponse r = op_->Token(PostForm("/token", post, false));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json(r)["error"], "invalid_client");
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Basic realm=\"certme\", charset=\"UTF-8\"");
  // No authentication at all from a confidential client.
  Params none = CodeForm(code);
  none.emplace("client_id", "rp");
  EXPECT_EQ(op_->Token(PostForm("/token", none, false)).status, 401);
  // The failures did not consume the code.
  EXPECT_EQ(TokenBasic(CodeForm(code)).status, 200);
}

TEST_F(TokenTest, TwoAuthenticationMethodsAreInvalidRequest) {
  std::string code = CodeFor(AuthParams());
  Params form = CodeForm(code);
  form.emplace("client_secret", kSecret);
  HttpResponse r = TokenBasic(form);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");
}

TEST_F(TokenTest, BasicCredentialsAreFormDecoded) {
  // RFC 6749 §2.3.1: the secret "s3cret:with/special chars+&=" travels
  // percent-encoded inside Basic; the fixture encodes it that way.
  std::string code = CodeFor(AuthParams());
  EXPECT_EQ(TokenBasic(CodeForm(code)).status, 200);
  // The raw (unencoded) form containing ':' would split wrongly and fail.
  std::string code2 = CodeFor(AuthParams());
  HttpRequest req = PostForm("/token", CodeForm(code2), false);
  req.headers.Set("Authorization", "Basic " + Base64Encode(std::string("rp:") + "s3cret:with/special chars+&="));
  EXPECT_EQ(op_->Token(req).status, 401);
}

TEST_F(TokenTest, RequestShapeErrors) {
  HttpRequest get = PostForm("/token", {}, false);
  get.method = "GET";
  EXPECT_EQ(op_->Token(get).status, 405);
  HttpRequest json = PostForm("/token", CodeForm("x"), false);
  json.headers.Set("Content-Type", "application/json");
  EXPECT_EQ(Json(op_->Token(json))["error"], "invalid_request");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "password"}}))["error"], "unsupported_grant_type");
  EXPECT_EQ(Json(TokenBasic({{"code", "x"}}))["error"], "invalid_request");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "client_credentials"}}))["error"], "unauthorized_client");
  Params twice = CodeForm("x");
  twice.emplace("code", "y");
  EXPECT_EQ(Json(TokenBasic(twice))["error"], "invalid_request");
  EXPECT_EQ(Json(TokenBasic(CodeForm("made-up")))["error"], "invalid_grant");
}

TEST_F(TokenTest, CodeIsBoundToClientAndRedirectUri) {
  Register(ConfidentialClient("rp2"));
  std::string code = CodeFor(AuthParams());
  EXPECT_EQ(Json(TokenBasic(CodeForm(code), "rp2"))["error"], "invalid_grant");
  std::string code2 = CodeFor(AuthParams());
  EXPECT_EQ(Json(TokenBasic(CodeForm(code2, "https://rp.example/other")))["error"], "invalid_grant");
  std::string code3 = CodeFor(AuthParams());
  Params no_redirect = {{"grant_type", "authorization_code"}, {"code", code3}};
  EXPECT_EQ(Json(TokenBasic(no_redirect))["error"], "invalid_grant");
}

TEST_F(TokenTest, SecondUseOfACodeFailsAndRevokesTheFirstTokens) {
  std::string code = CodeFor(AuthParams());
  auto first = Json(TokenBasic(CodeForm(code)));
  ASSERT_TRUE(first.contains("access_token"));
  HttpRequest ui = Get("/userinfo", {}, false);
  ui.headers.Set("Authorization", "Bearer " + first["access_token"].get<std::string>());
  EXPECT_EQ(op_->UserInfo(ui).status, 200);
  HttpResponse again = TokenBasic(CodeForm(code));
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Json(again)["error"], "invalid_grant");
  EXPECT_EQ(op_->UserInfo(ui).status, 401);
  Params refresh = {{"grant_type", "refresh_token"}, {"refresh_token", first["refresh_token"]}};
  EXPECT_EQ(Json(TokenBasic(refresh))["error"], "invalid_grant");
}

TEST_F(TokenTest, ExpiredCodeIsInvalidGrant) {
  std::string code = CodeFor(AuthParams());
  clock_.Advance(std::chrono::seconds(options_.code_ttl_seconds + 1));
  EXPECT_EQ(Json(TokenBasic(CodeForm(code)))["error"], "invalid_grant");
}

TEST_F(TokenTest, PkceForPublicClients) {
  std::string code = CodeFor(AuthParams("spa", "openid profile"));
  ASSERT_FALSE(code.empty());
  Params form = CodeForm(code, "https://spa.example/cb");
  form.emplace("client_id", "spa");
  Params wrong = form;
  wrong.emplace("code_verifier", std::string(43, 'a'));
  EXPECT_EQ(Json(op_->Token(PostForm("/token", wrong, false)))["error"], "invalid_grant");
  // The failed attempt consumed the code (single use); try a fresh one.
  code = CodeFor(AuthParams("spa", "openid profile"));
  form = CodeForm(code, "https://spa.example/cb");
  form.emplace("client_id", "spa");
  form.emplace("code_verifier", kVerifier);
  HttpResponse r = op_->Token(PostForm("/token", form, false));
  ASSERT_EQ(r.status, 200) << r.body;
  auto id = VerifyOurJwt(Json(r)["id_token"]);
  EXPECT_EQ(id["aud"], "spa");
  EXPECT_EQ(id["given_name"], "Ion");
  EXPECT_FALSE(Json(r).contains("refresh_token"));  // spa has no refresh_token grant
}

TEST_F(TokenTest, PkceVerifierMustMatchAndCannotBeAddedLater) {
  Params p = AuthParams();
  p.emplace("code_challenge", kChallenge);
  p.emplace("code_challenge_method", "S256");
  std::string code = CodeFor(p);
  EXPECT_EQ(Json(TokenBasic(CodeForm(code)))["error"], "invalid_grant");  // verifier missing
  code = CodeFor(p);
  Params ok = CodeForm(code);
  ok.emplace("code_verifier", kVerifier);
  EXPECT_EQ(TokenBasic(ok).status, 200);
  // Downgrade: a verifier for a code issued without a challenge.
  code = CodeFor(AuthParams());
  Params extra = CodeForm(code);
  extra.emplace("code_verifier", kVerifier);
  EXPECT_EQ(Json(TokenBasic(extra))["error"], "invalid_grant");
}

TEST_F(TokenTest, RefreshRotatesAndReuseRevokesTheFamily) {
  auto first = Json(TokenBasic(CodeForm(CodeFor(AuthParams()))));
  std::string rt1 = first["refresh_token"];
  auto second = Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", rt1}}));
  ASSERT_TRUE(second.contains("refresh_token")) << second.dump();
  std::string rt2 = second["refresh_token"];
  EXPECT_NE(rt1, rt2);
  auto id = VerifyOurJwt(second["id_token"]);
  auto id1 = VerifyOurJwt(first["id_token"]);
  EXPECT_EQ(id["sub"], id1["sub"]);
  EXPECT_EQ(id["auth_time"], id1["auth_time"]);
  EXPECT_FALSE(id.contains("nonce"));
  // rt2 works once more → rt3.
  auto third = Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", rt2}}));
  ASSERT_TRUE(third.contains("refresh_token"));
  // Reusing rt1 (rotated) is theft: the whole family dies, rt3 included.
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", rt1}}))["error"], "invalid_grant");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", third["refresh_token"]}}))["error"],
            "invalid_grant");
  HttpRequest ui = Get("/userinfo", {}, false);
  ui.headers.Set("Authorization", "Bearer " + third["access_token"].get<std::string>());
  EXPECT_EQ(op_->UserInfo(ui).status, 401);
}

TEST_F(TokenTest, RefreshMayOnlyNarrowTheScope) {
  auto first = Json(TokenBasic(CodeForm(CodeFor(AuthParams()))));
  auto wide = Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", first["refresh_token"]},
                               {"scope", "openid profile phone"}}));
  EXPECT_EQ(wide["error"], "invalid_scope");
  auto narrow = Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", first["refresh_token"]},
                                 {"scope", "openid email"}}));
  ASSERT_TRUE(narrow.contains("access_token")) << narrow.dump();
  EXPECT_EQ(narrow["scope"], "openid email");
  auto id = VerifyOurJwt(narrow["id_token"]);
  EXPECT_TRUE(id.contains("email"));
  EXPECT_FALSE(id.contains("given_name"));
  // The next refresh still has the original grant available.
  auto back = Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", narrow["refresh_token"]}}));
  EXPECT_EQ(back["scope"], "openid profile email");
}

TEST_F(TokenTest, RefreshTokenIsBoundToItsClientAndExpires) {
  Register(ConfidentialClient("rp2"));
  auto first = Json(TokenBasic(CodeForm(CodeFor(AuthParams()))));
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", first["refresh_token"]}}, "rp2"))["error"],
            "invalid_grant");
  clock_.Advance(std::chrono::seconds(options_.refresh_token_ttl_seconds + 1));
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", first["refresh_token"]}}))["error"],
            "invalid_grant");
}

TEST_F(TokenTest, ClientCredentialsGivesOnlyAnAccessToken) {
  OidcClient svc = ConfidentialClient("svc");
  svc.grant_types = {"client_credentials"};
  svc.redirect_uris.clear();
  svc.scopes = {"reports"};
  Register(svc);
  auto j = Json(TokenBasic({{"grant_type", "client_credentials"}}, "svc"));
  ASSERT_TRUE(j.contains("access_token")) << j.dump();
  EXPECT_FALSE(j.contains("id_token"));
  EXPECT_FALSE(j.contains("refresh_token"));
  EXPECT_EQ(j["scope"], "reports");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "client_credentials"}, {"scope", "openid"}}, "svc"))["error"],
            "invalid_scope");
  HttpRequest ui = Get("/userinfo", {}, false);
  ui.headers.Set("Authorization", "Bearer " + j["access_token"].get<std::string>());
  EXPECT_EQ(op_->UserInfo(ui).status, 403);
}

// RFC 6749 §5.2 / RFC 9110 §15.5.2: every 401 invalid_client carries a
// WWW-Authenticate challenge, whichever method the client tried.
TEST_F(TokenTest, EveryInvalidClientAnswerHasAChallenge) {
  std::vector<Params> forms = {
      {{"grant_type", "authorization_code"}, {"code", "x"}, {"redirect_uri", kRedirect}, {"client_id", "rp"}},
      {{"grant_type", "authorization_code"}, {"code", "x"}, {"client_id", "ghost"}},
      {{"grant_type", "authorization_code"}, {"code", "x"}, {"client_id", "rp"}, {"client_secret", "wrong"}},
      {{"grant_type", "authorization_code"}, {"code", "x"}},
      {{"grant_type", "authorization_code"}, {"code", "x"}, {"client_id", "rp"},
       {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
       {"client_assertion", "not.a.jwt"}},
  };
  for (const auto& f : forms) {
    HttpResponse r = op_->Token(PostForm("/token", f, false));
    SCOPED_TRACE(r.body);
    ASSERT_EQ(r.status, 401);
    EXPECT_EQ(Json(r)["error"], "invalid_client");
    EXPECT_EQ(r.headers.Get("WWW-Authenticate").value_or("").rfind("Basic realm=\"certme\"", 0), 0u);
  }
}

// Form values are UTF-8 (RFC 6749 Appendix B): invalid UTF-8 anywhere is
// invalid_request, never a 500.
TEST_F(TokenTest, InvalidUtf8IsInvalidRequest) {
  std::string code = CodeFor(AuthParams());
  for (const char* name : {"code", "redirect_uri", "scope", "refresh_token", "code_verifier", "grant_type",
                           "client_id", "extension"}) {
    SCOPED_TRACE(name);
    Params form = CodeForm(code);
    form.erase(name);
    form.emplace(name, "a\xff");
    HttpResponse r;
    EXPECT_NO_THROW(r = TokenBasic(form));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json(r)["error"], "invalid_request");
  }
  EXPECT_EQ(TokenBasic(CodeForm(code)).status, 200);  // the code was not consumed
}

// A store that is unavailable (Redis down, a stalled primary) is a 503 with
// Retry-After and server_error, never a 500 and never an answer that names
// the cause; the code was not consumed, so the retry succeeds.
TEST_F(TokenTest, StoreOutageIsA503WithRetryAfter) {
  std::string code = CodeFor(AuthParams());
  ASSERT_FALSE(code.empty());
  auto failing = std::make_unique<FailingStore>(std::move(store_));
  FailingStore& store = *failing;
  store_ = std::move(failing);
  Rebuild();
  store.Fail(FailingStore::Op::kConsume, oidc_internal::kCodeNs);
  HttpResponse r = TokenBasic(CodeForm(code));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.Get("Retry-After"), "5");
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  auto j = Json(r);
  EXPECT_EQ(j["error"], "server_error");
  EXPECT_EQ(j["error_description"], "temporary failure");

  store.Heal();
  EXPECT_EQ(TokenBasic(CodeForm(code)).status, 200);
}

// One client cannot use up the token endpoint: over its rate it gets 429
// slow_down with Retry-After, another client is not affected, and the
// budget refills.
TEST_F(TokenTest, TokenRequestsPerClientAreRateLimited) {
  options_.token_requests_per_second_per_client = 1;
  options_.token_burst_per_client = 2;
  Rebuild();
  for (const char* id : {"svc", "other"}) {
    OidcClient svc = ConfidentialClient(id);
    svc.grant_types = {"client_credentials"};
    svc.redirect_uris.clear();
    svc.scopes = {"reports"};
    Register(svc);
  }
  const Params cc = {{"grant_type", "client_credentials"}};
  EXPECT_EQ(TokenBasic(cc, "svc").status, 200);
  EXPECT_EQ(TokenBasic(cc, "svc").status, 200);
  HttpResponse refused = TokenBasic(cc, "svc");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(Json(refused)["error"], "slow_down");
  EXPECT_EQ(refused.headers.Get("Retry-After"), "1");
  EXPECT_EQ(TokenBasic(cc, "other").status, 200) << "another client has its own budget";
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(TokenBasic(cc, "svc").status, 200);
}

}  // namespace
}  // namespace certme::testing
