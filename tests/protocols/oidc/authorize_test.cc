// Authorization endpoint and Resume (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 9207).
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/pages.h"
#include "protocols/oidc/records.h"
#include "tests/store/failing_store.h"

namespace certme::testing {
namespace {

class AuthorizeTest : public OidcTest {
 protected:
  // Puts a FailingStore in front of the store and rebuilds the provider on it.
  FailingStore& UseFailingStore() {
    auto failing = std::make_unique<FailingStore>(std::move(store_));
    FailingStore& f = *failing;
    store_ = std::move(failing);
    Rebuild();
    return f;
  }
  // Ends the last Begin() without an authentication (LoginResult::error)
  // and returns the Resume response.
  HttpResponse ResumeWithLoginError(const std::string& error) {
    LoginResult res;
    res.txn = auth_.requests.back().txn;
    res.error = error;
    EXPECT_TRUE(SaveLoginResult(*store_, res, 60).ok());
    return op_->Resume(Get("/authorize/resume", {{"txn", res.txn}}));
  }
};

TEST_F(AuthorizeTest, UnknownClientGetsAnErrorPageNeverARedirect) {
  Params p = AuthParams();
  p.erase("client_id");
  p.emplace("client_id", "nobody");
  HttpResponse r = Authorize(p);
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.headers.Has("Location"));
  EXPECT_NE(r.headers.Get("Content-Type").value_or("").find("text/html"), std::string::npos);
  p.erase("client_id");
  EXPECT_EQ(Authorize(p).status, 400);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(AuthorizeTest, UnregisteredOrMissingRedirectUriGetsAnErrorPage) {
  for (std::string uri : {"https://rp.example/cb/", "https://evil.example/cb", "https://rp.example/cb?x=1", ""}) {
    Params p = AuthParams();
    p.erase("redirect_uri");
    if (!uri.empty()) p.emplace("redirect_uri", uri);
    HttpResponse r = Authorize(p);
    EXPECT_EQ(r.status, 400) << uri;
    EXPECT_FALSE(r.headers.Has("Location")) << uri;
  }
  Params twice = AuthParams();
  twice.emplace("redirect_uri", "https://rp.example/other");
  EXPECT_EQ(Authorize(twice).status, 400);
}

TEST_F(AuthorizeTest, ErrorsRedirectWithStateAndIss) {
  Params p = AuthParams();
  p.erase("response_type");
  p.emplace("response_type", "token");
  HttpResponse r = Authorize(p);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(Location(r).rfind(std::string(kRedirect) + "?", 0), 0u);
  Params q = LocationParams(r);
  EXPECT_EQ(ParamGet(q, "error"), "unsupported_response_type");
  EXPECT_EQ(ParamGet(q, "state"), "st-123");
  EXPECT_EQ(ParamGet(q, "iss"), kIssuer);
  EXPECT_FALSE(ParamGet(q, "code"));
}

TEST_F(AuthorizeTest, EachRequestCheckHasItsErrorCode) {
  struct Case {
    std::string param, value, error;
  };
  std::vector<Case> cases = {
      {"scope", "profile email", "invalid_scope"},
      {"response_type", "", "invalid_request"},
      {"response_type", "code id_token", "unsupported_response_type"},
      {"code_challenge_method", "plain", "invalid_request"},
      {"prompt", "none login", "invalid_request"},
      {"prompt", "bogus", "invalid_request"},
      {"max_age", "-1", "invalid_request"},
      {"max_age", "ten", "invalid_request"},
      {"claims", "{not json", "invalid_request"},
      {"claims", "[1,2]", "invalid_request"},
      {"claims", R"({"userinfo":{"email":{"essential":"yes"}}})", "invalid_request"},
      {"request", "eyJhbGciOiJub25lIn0.e30.", "invalid_request_object"},
      {"request_uri", "https://rp.example/req.jwt", "request_uri_not_supported"},
      {"response_mode", "fragment", "invalid_request"},
      {"id_token_hint", "not-a-jwt", "invalid_request"},
  };
  for (const auto& c : cases) {
    Params p = AuthParams();
    p.erase(c.param);
    p.emplace(c.param, c.value);
    if (c.param == "code_challenge_method") p.emplace("code_challenge", kChallenge);
    HttpResponse r = Authorize(p);
    ASSERT_EQ(r.status, 302) << c.param << "=" << c.value;
    Params q = LocationParams(r);
    EXPECT_EQ(ParamGet(q, "error"), c.error) << c.param << "=" << c.value;
    EXPECT_EQ(ParamGet(q, "iss"), kIssuer);
    EXPECT_EQ(ParamGet(q, "state"), "st-123");
  }
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(AuthorizeTest, RepeatedParameterIsInvalidRequest) {
  Params p = AuthParams();
  p.emplace("scope", "openid");
  HttpResponse r = Authorize(p);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(ParamGet(LocationParams(r), "error"), "invalid_request");
}

TEST_F(AuthorizeTest, PublicClientsMustUsePkceS256) {
  Params p = AuthParams("spa", "openid");
  p.erase("code_challenge");
  p.erase("code_challenge_method");
  HttpResponse r = Authorize(p);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(ParamGet(LocationParams(r), "error"), "invalid_request");
  // With S256 it goes to the login.
  EXPECT_EQ(Authorize(AuthParams("spa", "openid")).status, 302);
  ASSERT_EQ(auth_.requests.size(), 1u);
  // A challenge that is not a SHA-256 value is refused.
  Params bad = AuthParams("spa", "openid");
  bad.erase("code_challenge");
  bad.emplace("code_challenge", "short");
  EXPECT_EQ(ParamGet(LocationParams(Authorize(bad)), "error"), "invalid_request");
}

TEST_F(AuthorizeTest, BeginReceivesTheLoginRequest) {
  Params p = AuthParams("rp", "openid profile email unknown_scope");
  p.emplace("ui_locales", "ru-RU en");
  p.emplace("login_hint", "ion");
  p.emplace("prompt", "login");
  p.emplace("some_extension", "ignored");
  HttpResponse r = Authorize(p);
  EXPECT_EQ(Location(r).rfind("https://login.test/", 0), 0u);
  ASSERT_EQ(auth_.requests.size(), 1u);
  const LoginRequest& lr = auth_.requests[0];
  EXPECT_EQ(lr.protocol, "oidc");
  EXPECT_EQ(lr.service_id, "rp");
  EXPECT_EQ(lr.service_names.at("en"), "Test service");
  EXPECT_EQ(lr.ui_locale, "ru");
  EXPECT_EQ(lr.login_hint, "ion");
  EXPECT_TRUE(lr.force_authn);
  EXPECT_EQ(lr.acr, "http://eidas.europa.eu/LoA/substantial");
  EXPECT_EQ(lr.resume_url, std::string(kIssuer) + "/authorize/resume?txn=" + lr.txn);
  EXPECT_GE(lr.txn.size(), 43u);
  EXPECT_EQ(lr.expires_at, clock_.NowUnixSeconds() + options_.login_ttl_seconds);
  // profile + email release these catalogue keys; nothing else.
  std::vector<std::string> want = {"first_name", "last_name", "birth_date", "gender", "language", "email"};
  EXPECT_EQ(lr.attributes, want);
  // The browser-binding cookie is set.
  ASSERT_EQ(r.cookies.size(), 1u);
  EXPECT_EQ(r.cookies[0].name, "certme_browser");
  EXPECT_TRUE(r.cookies[0].http_only);
  EXPECT_TRUE(r.cookies[0].secure);
}

TEST_F(AuthorizeTest, AttributesAreLimitedToWhatTheClientMayReceive) {
  OidcClient c = ConfidentialClient("narrow");
  c.scopes = {"openid", "profile"};
  c.attributes = {"first_name"};
  Register(c);
  Params p = AuthParams("narrow", "openid profile email certme");
  p.emplace("claims", R"({"id_token":{"idnp":{"essential":true},"family_name":null}})");
  Authorize(p);
  ASSERT_EQ(auth_.requests.size(), 1u);
  EXPECT_EQ(auth_.requests[0].attributes, std::vector<std::string>{"first_name"});
}

TEST_F(AuthorizeTest, ClaimsParameterAddsIndividualAttributes) {
  Params p = AuthParams("rp", "openid");
  p.emplace("claims", R"({"userinfo":{"phone_number":null},"id_token":{"idnp":{"essential":true}}})");
  Authorize(p);
  ASSERT_EQ(auth_.requests.size(), 1u);
  EXPECT_EQ(auth_.requests[0].attributes, (std::vector<std::string>{"mobile_phone", "idnp"}));
}

TEST_F(AuthorizeTest, PostWorksLikeGet) {
  HttpResponse r = op_->Authorize(PostForm("/authorize", AuthParams()));
  Absorb(r);
  ASSERT_EQ(auth_.requests.size(), 1u);
  HttpResponse done = LoginAndResume();
  ASSERT_EQ(done.status, 302);
  EXPECT_TRUE(ParamGet(LocationParams(done), "code"));
}

TEST_F(AuthorizeTest, ResumeRedirectsWithCodeStateIssAndSetsTheSessionCookie) {
  Authorize(AuthParams());
  HttpResponse r = LoginAndResume();
  ASSERT_EQ(r.status, 302);
  Params q = LocationParams(r);
  EXPECT_EQ(Location(r).rfind(std::string(kRedirect) + "?", 0), 0u);
  EXPECT_GE(ParamGet(q, "code").value_or("").size(), 43u);
  EXPECT_EQ(ParamGet(q, "state"), "st-123");
  EXPECT_EQ(ParamGet(q, "iss"), kIssuer);
  const SetCookie* session = nullptr;
  for (const auto& c : r.cookies)
    if (c.name == "certme_session") session = &c;
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(session->http_only);
  EXPECT_TRUE(session->secure);
  EXPECT_EQ(session->same_site, SameSite::kLax);
  EXPECT_NE(session->Serialize().find("SameSite=Lax"), std::string::npos);
}

TEST_F(AuthorizeTest, DevModeCookiesAreNotSecure) {
  options_.dev_mode = true;
  options_.issuer = "http://127.0.0.1:8080";
  Rebuild();
  HttpResponse r = Authorize(AuthParams());
  ASSERT_FALSE(r.cookies.empty());
  EXPECT_FALSE(r.cookies[0].secure);
}

TEST_F(AuthorizeTest, ResumeIsSingleUseAndBoundToTheBrowser) {
  Authorize(AuthParams());
  const LoginRequest lr = auth_.requests.back();
  LoginResult res;
  res.txn = lr.txn;
  res.subject = kSubject;
  res.acr = "a";
  res.auth_time = clock_.NowUnixSeconds();
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  Params q = {{"txn", lr.txn}};
  // Another browser (no binding cookie) cannot finish it.
  HttpResponse other = op_->Resume(Get("/authorize/resume", q, /*with_cookies=*/false));
  EXPECT_EQ(other.status, 400);
  EXPECT_FALSE(other.headers.Has("Location"));
  HttpResponse first = op_->Resume(Get("/authorize/resume", q));
  EXPECT_EQ(first.status, 302);
  HttpResponse second = op_->Resume(Get("/authorize/resume", q));
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(op_->Resume(Get("/authorize/resume", {{"txn", "made-up"}})).status, 400);
}

TEST_F(AuthorizeTest, ResumeBeforeTheLoginFinishedShowsAPageAndKeepsTheRequest) {
  Authorize(AuthParams());
  Params q = {{"txn", auth_.requests.back().txn}};
  EXPECT_EQ(op_->Resume(Get("/authorize/resume", q)).status, 400);
  // The login can still finish afterwards.
  EXPECT_EQ(LoginAndResume().status, 302);
}

TEST_F(AuthorizeTest, PendingAuthorizationExpires) {
  Authorize(AuthParams());
  clock_.Advance(std::chrono::seconds(options_.login_ttl_seconds + 1));
  EXPECT_EQ(LoginAndResume().status, 400);
}

TEST_F(AuthorizeTest, RefusedLoginIsAccessDenied) {
  Authorize(AuthParams());
  LoginResult res;
  res.txn = auth_.requests.back().txn;
  res.error = kLoginErrorRefused;
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  HttpResponse r = op_->Resume(Get("/authorize/resume", {{"txn", res.txn}}));
  ASSERT_EQ(r.status, 302);
  Params q = LocationParams(r);
  EXPECT_EQ(ParamGet(q, "error"), "access_denied");
  EXPECT_EQ(ParamGet(q, "state"), "st-123");
  EXPECT_EQ(ParamGet(q, "iss"), kIssuer);
  EXPECT_FALSE(ParamGet(q, "code"));
}

TEST_F(AuthorizeTest, EidStatusAndValidatorTimeoutReachTheClient) {
  struct Case {
    const char* login_error;
    std::string error, description;
  };
  std::vector<Case> cases = {
      {kLoginErrorEidSuspended, "access_denied", "the user's eID is suspended"},
      {kLoginErrorEidRevoked, "access_denied", "the user's eID is revoked"},
      {kLoginErrorValidatorTimeout, "temporarily_unavailable",
       "the identity could not be confirmed in time; try again later"},
      {kLoginErrorRefused, "access_denied", "the user refused to log in"},
      // The service's provider account is not authorized on the ledger.
      {kLoginErrorServiceNotAuthorized, "access_denied", "this service is not authorized to log users in"},
      {"failed", "access_denied", "the user did not log in"},
  };
  for (const auto& c : cases) {
    Authorize(AuthParams());
    HttpResponse r = ResumeWithLoginError(c.login_error);
    ASSERT_EQ(r.status, 302) << c.login_error;
    EXPECT_EQ(Location(r).rfind(std::string(kRedirect) + "?", 0), 0u) << c.login_error;
    Params q = LocationParams(r);
    EXPECT_EQ(ParamGet(q, "error"), c.error) << c.login_error;
    EXPECT_EQ(ParamGet(q, "error_description"), c.description) << c.login_error;
    EXPECT_EQ(ParamGet(q, "state"), "st-123") << c.login_error;
    EXPECT_EQ(ParamGet(q, "iss"), kIssuer) << c.login_error;
    EXPECT_FALSE(ParamGet(q, "code")) << c.login_error;
  }
}

// OidcClient::authorization_response_iss = false: no `iss` on success or
// error, whatever the response mode; other clients keep RFC 9207.
TEST_F(AuthorizeTest, ClientRegisteredWithoutIssGetsNoIss) {
  OidcClient old = ConfidentialClient("old-rp");
  old.authorization_response_iss = false;
  Register(old);

  // Request errors.
  Params bad = AuthParams("old-rp");
  bad.erase("response_type");
  bad.emplace("response_type", "token");
  Params q = LocationParams(Authorize(bad));
  EXPECT_EQ(ParamGet(q, "error"), "unsupported_response_type");
  EXPECT_EQ(ParamGet(q, "state"), "st-123");
  EXPECT_FALSE(ParamGet(q, "iss"));

  // The user refuses: access_denied with state, without iss.
  Authorize(AuthParams("old-rp"));
  ASSERT_EQ(auth_.requests.back().service_id, "old-rp");
  HttpResponse refused = ResumeWithLoginError(kLoginErrorRefused);
  ASSERT_EQ(refused.status, 302);
  q = LocationParams(refused);
  EXPECT_EQ(ParamGet(q, "error"), "access_denied");
  EXPECT_EQ(ParamGet(q, "state"), "st-123");
  EXPECT_FALSE(ParamGet(q, "iss"));
  EXPECT_EQ(Location(refused).find("iss="), std::string::npos);

  // Success after a login, and from the SSO session.
  Authorize(AuthParams("old-rp"));
  HttpResponse ok = LoginAndResume();
  ASSERT_EQ(ok.status, 302);
  q = LocationParams(ok);
  EXPECT_TRUE(ParamGet(q, "code"));
  EXPECT_FALSE(ParamGet(q, "iss"));
  HttpResponse sso = Authorize(AuthParams("old-rp"));
  ASSERT_EQ(sso.status, 302);
  EXPECT_TRUE(ParamGet(LocationParams(sso), "code"));
  EXPECT_FALSE(ParamGet(LocationParams(sso), "iss"));

  // form_post too.
  Params post = AuthParams("old-rp");
  post.emplace("response_mode", "form_post");
  HttpResponse form = Authorize(post);
  ASSERT_EQ(form.status, 200);
  Params fields = FormPostParams(form);
  EXPECT_TRUE(ParamGet(fields, "code"));
  EXPECT_FALSE(ParamGet(fields, "iss"));

  // Another client in the same browser still gets iss.
  HttpResponse other = Authorize(AuthParams());
  ASSERT_EQ(other.status, 302);
  EXPECT_TRUE(ParamGet(LocationParams(other), "code"));
  EXPECT_EQ(ParamGet(LocationParams(other), "iss"), kIssuer);
}

TEST_F(AuthorizeTest, PromptNoneWithoutSessionIsLoginRequired) {
  Params p = AuthParams();
  p.emplace("prompt", "none");
  HttpResponse r = Authorize(p);
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(ParamGet(LocationParams(r), "error"), "login_required");
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(AuthorizeTest, LiveSessionSkipsTheLogin) {
  ASSERT_FALSE(CodeFor(AuthParams()).empty());
  ASSERT_EQ(auth_.requests.size(), 1u);
  // Same browser, another authorization: answered at once.
  HttpResponse r = Authorize(AuthParams());
  ASSERT_EQ(r.status, 302);
  EXPECT_TRUE(ParamGet(LocationParams(r), "code"));
  EXPECT_EQ(auth_.requests.size(), 1u);
  // prompt=none succeeds too.
  Params none = AuthParams();
  none.emplace("prompt", "none");
  EXPECT_TRUE(ParamGet(LocationParams(Authorize(none)), "code"));
  // prompt=login forces a new login.
  Params login = AuthParams();
  login.emplace("prompt", "login");
  Authorize(login);
  EXPECT_EQ(auth_.requests.size(), 2u);
  EXPECT_TRUE(auth_.requests.back().force_authn);
}

TEST_F(AuthorizeTest, MaxAgeForcesALoginWhenTheAuthenticationIsOlder) {
  ASSERT_FALSE(CodeFor(AuthParams()).empty());
  clock_.Advance(std::chrono::seconds(120));
  Params fresh = AuthParams();
  fresh.emplace("max_age", "300");
  EXPECT_TRUE(ParamGet(LocationParams(Authorize(fresh)), "code"));
  EXPECT_EQ(auth_.requests.size(), 1u);
  Params old = AuthParams();
  old.emplace("max_age", "60");
  Authorize(old);
  EXPECT_EQ(auth_.requests.size(), 2u);
  Params old_none = AuthParams();
  old_none.emplace("max_age", "60");
  old_none.emplace("prompt", "none");
  EXPECT_EQ(ParamGet(LocationParams(Authorize(old_none)), "error"), "login_required");
}

TEST_F(AuthorizeTest, NewAttributesNeedTheUserAgain) {
  ASSERT_FALSE(CodeFor(AuthParams("rp", "openid")).empty());
  Params more = AuthParams("rp", "openid phone");
  more.emplace("prompt", "none");
  EXPECT_EQ(ParamGet(LocationParams(Authorize(more)), "error"), "consent_required");
  more.erase("prompt");
  Authorize(more);
  EXPECT_EQ(auth_.requests.size(), 2u);
}

TEST_F(AuthorizeTest, FormPostResponseMode) {
  Params p = AuthParams();
  p.emplace("response_mode", "form_post");
  Authorize(p);
  HttpResponse r = LoginAndResume();
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<form method=\"post\" action=\"https://rp.example/cb\""), std::string::npos);
  Params fields = FormPostParams(r);
  EXPECT_TRUE(ParamGet(fields, "code"));
  EXPECT_EQ(ParamGet(fields, "state"), "st-123");
  EXPECT_EQ(ParamGet(fields, "iss"), kIssuer);
  // The CSP allows exactly the inline script carrying its nonce.
  ASSERT_TRUE(r.csp.has_value());
  size_t at = r.csp->find("'nonce-");
  ASSERT_NE(at, std::string::npos);
  std::string nonce = r.csp->substr(at + 7, r.csp->find('\'', at + 7) - at - 7);
  EXPECT_NE(r.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_NE(r.body.find("<noscript>"), std::string::npos);
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  // Errors use the same mode.
  Params bad = AuthParams("rp", "profile");
  bad.emplace("response_mode", "form_post");
  HttpResponse e = Authorize(bad);
  EXPECT_EQ(e.status, 200);
  EXPECT_EQ(ParamGet(FormPostParams(e), "error"), "invalid_scope");
}

TEST_F(AuthorizeTest, StateIsEscapedInFormPost) {
  Params p = AuthParams();
  p.erase("state");
  p.emplace("state", "\"><script>alert(1)</script>");
  p.emplace("response_mode", "form_post");
  p.erase("scope");
  p.emplace("scope", "email");  // forces an immediate error page
  HttpResponse r = Authorize(p);
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("&quot;&gt;&lt;script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace certme::testing

namespace certme::testing {
namespace {

TEST_F(AuthorizeTest, ClientAlgorithmWithoutAnActiveKeyFailsBeforeTheLogin) {
  keys_ = std::make_unique<KeySet>(&clock_);
  keys_->Add(rsa_key_, KeySet::State::kActive);
  Rebuild();
  OidcClient c = ConfidentialClient("ec-only");
  c.id_token_signed_response_alg = "ES256";
  Register(c);
  HttpResponse r = Authorize(AuthParams("ec-only"));
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(ParamGet(LocationParams(r), "error"), "server_error");
  EXPECT_TRUE(auth_.requests.empty());
  // PS256 is served by the RSA key.
  OidcClient ps = ConfidentialClient("ps");
  ps.id_token_signed_response_alg = "PS256";
  Register(ps);
  Authorize(AuthParams("ps"));
  EXPECT_EQ(auth_.requests.size(), 1u);
}

// A store outage while taking back the login is a temporary server error
// (503 with Retry-After and the generic server-error page), never the
// "login expired" page: the login is not lost, the user may retry.
TEST_F(AuthorizeTest, StoreFailureOnResumeIsA503NotLoginExpired) {
  FailingStore& store = UseFailingStore();
  Authorize(AuthParams());
  store.Fail(FailingStore::Op::kConsume, "login_result");
  HttpResponse r = LoginAndResume();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.Get("Retry-After"), "5");
  EXPECT_FALSE(r.headers.Has("Location"));
  EXPECT_EQ(r.body, oidc_internal::ErrorPage(503, "ro", oidc_internal::PageMessage::kServerError).body);
  EXPECT_NE(r.body, oidc_internal::ErrorPage(503, "ro", oidc_internal::PageMessage::kLoginExpired).body);

  // The pending authorization is unreadable too: the same answer.
  store.Fail(FailingStore::Op::kGet, oidc_internal::kAuthzNs);
  HttpResponse again = op_->Resume(Get("/authorize/resume", {{"txn", auth_.requests.back().txn}}));
  EXPECT_EQ(again.status, 503);
  EXPECT_EQ(again.headers.Get("Retry-After"), "5");
  EXPECT_EQ(again.body, r.body);

  // Once the store is back the login finishes.
  store.Heal();
  HttpResponse done = op_->Resume(Get("/authorize/resume", {{"txn", auth_.requests.back().txn}}));
  EXPECT_EQ(done.status, 302);
}

// OIDC Core §3.1.2.1: max_age=0 means the same as prompt=login, even
// within the second of the last authentication.
TEST_F(AuthorizeTest, MaxAgeZeroAlwaysForcesALogin) {
  ASSERT_FALSE(CodeFor(AuthParams()).empty());
  Params zero = AuthParams();
  zero.emplace("max_age", "0");
  HttpResponse r = Authorize(zero);
  EXPECT_FALSE(ParamGet(LocationParams(r), "code"));
  ASSERT_EQ(auth_.requests.size(), 2u);
  EXPECT_TRUE(auth_.requests.back().force_authn);
  Params zero_none = AuthParams();
  zero_none.emplace("max_age", "0");
  zero_none.emplace("prompt", "none");
  EXPECT_EQ(ParamGet(LocationParams(Authorize(zero_none)), "error"), "login_required");
}

// The browser-binding cookie is only ever one the bridge issued: a value
// set by someone else (cookie injection, login CSRF) is replaced, and a
// pending authorization is never bound to it.
TEST_F(AuthorizeTest, BrowserCookieNotIssuedByUsIsReplaced) {
  const std::string injected(43, 'x');
  jar_["certme_browser"] = injected;
  HttpResponse r = Authorize(AuthParams());
  ASSERT_EQ(r.cookies.size(), 1u);
  EXPECT_EQ(r.cookies[0].name, "certme_browser");
  EXPECT_NE(r.cookies[0].value, injected);
  // Whoever holds only the injected value cannot finish the login.
  const LoginRequest lr = auth_.requests.back();
  LoginResult res;
  res.txn = lr.txn;
  res.subject = kSubject;
  res.auth_time = clock_.NowUnixSeconds();
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  HttpRequest attacker = Get("/authorize/resume", {{"txn", lr.txn}}, false);
  attacker.cookies["certme_browser"] = injected;
  EXPECT_EQ(op_->Resume(attacker).status, 400);
  // A cookie we issued is kept (no new Set-Cookie) and works.
  HttpResponse again = Authorize(AuthParams());
  EXPECT_TRUE(again.cookies.empty());
  // A forged value with our format but a wrong tag is replaced too.
  std::string issued = jar_["certme_browser"];
  std::string forged = issued;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  jar_["certme_browser"] = forged;
  HttpResponse third = Authorize(AuthParams());
  ASSERT_EQ(third.cookies.size(), 1u);
  EXPECT_NE(third.cookies[0].value, forged);
}

// Parameters are UTF-8 (RFC 6749 Appendix B); invalid UTF-8 is an
// invalid_request sent to the (already validated) redirect_uri, never a 500
// (OIDC Core §3.1.2.6). state is then not echoed: it is not a valid value.
TEST_F(AuthorizeTest, InvalidUtf8IsInvalidRequest) {
  for (const char* name : {"state", "nonce", "login_hint", "ui_locales", "acr_values", "scope", "prompt",
                           "max_age", "claims", "code_challenge", "response_mode", "id_token_hint",
                           "some_extension"}) {
    SCOPED_TRACE(name);
    Params p = AuthParams();
    p.erase(name);
    p.emplace(name, "a\xff");
    HttpResponse r;
    EXPECT_NO_THROW(r = Authorize(p));
    ASSERT_EQ(r.status, 302) << r.body;
    Params q = LocationParams(r);
    EXPECT_EQ(ParamGet(q, "error"), "invalid_request");
    if (std::string(name) == "state") EXPECT_FALSE(ParamGet(q, "state"));
    else EXPECT_EQ(ParamGet(q, "state"), "st-123");
  }
  EXPECT_TRUE(auth_.requests.empty());
  // Before the redirect_uri is known to be good: an error page.
  Params bad_client = AuthParams();
  bad_client.erase("client_id");
  bad_client.emplace("client_id", "rp\xff");
  EXPECT_EQ(Authorize(bad_client).status, 400);
  Params bad_redirect = AuthParams();
  bad_redirect.erase("redirect_uri");
  bad_redirect.emplace("redirect_uri", "https://rp.example/cb\xff");
  EXPECT_EQ(Authorize(bad_redirect).status, 400);
}

}  // namespace
}  // namespace certme::testing
