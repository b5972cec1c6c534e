// The eID's live status at every use of a login (code exchange, refresh,
// UserInfo, SSO reuse), failing closed when the status cannot be read; the
// end of everything a suspended eID holds (EndEidSessions); the level of
// assurance (acr from the eID's level, acr_values, the acr claim, discovery).
#include <mutex>

#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

constexpr char kLoaSubstantial[] = "http://eidas.europa.eu/LoA/substantial";
constexpr char kLoaHigh[] = "http://eidas.europa.eu/LoA/high";

// The ledger as the provider sees it: one status per eID, or an outage.
class FakeEidStatus : public EidStatusSource {
 public:
  StatusOr<EidLiveStatus> Status(std::string_view eid) override {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    if (down) return Unavailable("ledger unavailable", "test outage");
    auto it = statuses.find(std::string(eid));
    return it == statuses.end() ? EidLiveStatus::kRevoked : it->second;
  }
  void Set(const std::string& eid, EidLiveStatus s) {
    std::lock_guard<std::mutex> lock(mu);
    statuses[eid] = s;
  }
  std::mutex mu;
  std::map<std::string, EidLiveStatus> statuses;
  bool down = false;
  int calls = 0;
};

class EidStatusTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    OidcClient rp = ConfidentialClient("rp");
    rp.backchannel_logout_uri = "https://rp.example/backchannel";
    Register(rp);
    op_->SetEidStatusSource(&status_);
    login_eid_ = kSubject;
    status_.Set(kSubject, EidLiveStatus::kActive);
  }
  nlohmann::json Tokens(const Params& p) {
    std::string code = CodeFor(p);
    EXPECT_FALSE(code.empty());
    return Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  }
  HttpResponse Refresh(const std::string& token) {
    return TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", token}});
  }
  HttpResponse UserInfoWith(const std::string& at) {
    HttpRequest get = Get("/userinfo", {}, false);
    get.headers.Set("Authorization", "Bearer " + at);
    return op_->UserInfo(get);
  }
  // Authorization error of a redirect to the client ("" when none).
  std::string RedirectError(const HttpResponse& r) {
    return ParamGet(LocationParams(r), "error").value_or("");
  }

  FakeEidStatus status_;
};

TEST_F(EidStatusTest, CodeExchangeRefusedOnceTheEidIsSuspended) {
  std::string code = CodeFor(AuthParams());
  ASSERT_FALSE(code.empty());
  status_.Set(kSubject, EidLiveStatus::kSuspended);
  HttpResponse r = TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Json(r)["error"], "invalid_grant");
}

TEST_F(EidStatusTest, RefreshAndUserInfoRefusedOnceSuspendedAndStayRevokedAfterReactivation) {
  auto tokens = Tokens(AuthParams());
  ASSERT_TRUE(tokens.contains("refresh_token")) << tokens;
  ASSERT_EQ(UserInfoWith(tokens["access_token"]).status, 200);

  status_.Set(kSubject, EidLiveStatus::kSuspended);
  HttpResponse ui = UserInfoWith(tokens["access_token"]);
  EXPECT_EQ(ui.status, 401);
  EXPECT_NE(ui.headers.Get("WWW-Authenticate").value_or("").find("invalid_token"), std::string::npos);
  HttpResponse rt = Refresh(tokens["refresh_token"]);
  EXPECT_EQ(rt.status, 400);
  EXPECT_EQ(Json(rt)["error"], "invalid_grant");

  // Reactivation allows new logins, not the tokens of before.
  status_.Set(kSubject, EidLiveStatus::kActive);
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 400);
  EXPECT_EQ(UserInfoWith(tokens["access_token"]).status, 401);
  jar_.clear();
  auto again = Tokens(AuthParams());
  EXPECT_TRUE(again.contains("access_token")) << again;
}

TEST_F(EidStatusTest, RevokedEidIsRefusedToo) {
  auto tokens = Tokens(AuthParams());
  status_.Set(kSubject, EidLiveStatus::kRevoked);
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 400);
}

TEST_F(EidStatusTest, SsoReuseOfASuspendedEidNeedsANewLogin) {
  ASSERT_TRUE(Tokens(AuthParams()).contains("access_token"));
  size_t logins = auth_.requests.size();
  // The session answers without a login while the eID is active.
  ASSERT_EQ(Authorize(AuthParams()).status, 302);
  ASSERT_EQ(auth_.requests.size(), logins);

  status_.Set(kSubject, EidLiveStatus::kSuspended);
  Params none = AuthParams();
  none.emplace("prompt", "none");
  EXPECT_EQ(RedirectError(Authorize(none)), "login_required");
  HttpResponse r = Authorize(AuthParams());
  EXPECT_EQ(auth_.requests.size(), logins + 1) << "a fresh login was not started";
  EXPECT_EQ(Location(r).rfind("https://login.test/", 0), 0u);
  // The session ended with the back-channel logout of the RP that used it.
  std::lock_guard<std::mutex> lock(notifier_.mu);
  EXPECT_EQ(notifier_.calls.size(), 1u);
}

TEST_F(EidStatusTest, StatusThatCannotBeReadFailsClosedEverywhere) {
  auto tokens = Tokens(AuthParams());
  std::string code = CodeFor(AuthParams());  // SSO: no new login
  ASSERT_FALSE(code.empty());
  status_.down = true;

  HttpResponse ex = TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}});
  EXPECT_EQ(ex.status, 503) << ex.body;
  EXPECT_EQ(Json(ex)["error"], "server_error");
  EXPECT_TRUE(ex.headers.Get("Retry-After").has_value());

  HttpResponse rt = Refresh(tokens["refresh_token"]);
  EXPECT_EQ(rt.status, 503);
  EXPECT_TRUE(rt.headers.Get("Retry-After").has_value());
  HttpResponse ui = UserInfoWith(tokens["access_token"]);
  EXPECT_EQ(ui.status, 503);
  EXPECT_TRUE(ui.headers.Get("Retry-After").has_value());
  EXPECT_EQ(RedirectError(Authorize(AuthParams())), "temporarily_unavailable");

  // Nothing was lost: once the ledger answers, the same tokens work.
  status_.down = false;
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 200);
  EXPECT_EQ(UserInfoWith(tokens["access_token"]).status, 200);
}

// RFC 7662 introspection asks the same live status: once the eID is
// suspended both tokens are inactive, and stay so after reactivation (the
// grant was ended, as at UserInfo); an unreadable status is a 503.
TEST_F(EidStatusTest, IntrospectionSaysInactiveOnceTheEidIsSuspended) {
  auto tokens = Tokens(AuthParams());
  ASSERT_TRUE(tokens.contains("refresh_token")) << tokens;
  auto introspect = [&](const std::string& token) {
    HttpRequest req = PostForm("/introspect", {{"token", token}}, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode("rp:" + PercentEncode(kSecret)));
    return op_->Introspect(req);
  };
  ASSERT_EQ(Json(introspect(tokens["access_token"]))["active"], true);

  status_.down = true;
  HttpResponse down = introspect(tokens["access_token"]);
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_TRUE(down.headers.Get("Retry-After").has_value());
  status_.down = false;

  status_.Set(kSubject, EidLiveStatus::kSuspended);
  EXPECT_EQ(Json(introspect(tokens["access_token"])), nlohmann::json({{"active", false}}));
  EXPECT_EQ(Json(introspect(tokens["refresh_token"])), nlohmann::json({{"active", false}}));
  status_.Set(kSubject, EidLiveStatus::kActive);
  EXPECT_EQ(Json(introspect(tokens["access_token"]))["active"], false);
  EXPECT_EQ(Json(introspect(tokens["refresh_token"]))["active"], false);
}

TEST_F(EidStatusTest, LoginWithoutEidIsNeverChecked) {
  login_eid_.clear();  // the development login
  status_.down = true;
  auto tokens = Tokens(AuthParams());
  ASSERT_TRUE(tokens.contains("refresh_token")) << tokens;
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 200);
  EXPECT_EQ(status_.calls, 0);
}

TEST_F(EidStatusTest, EndEidSessionsLogsOutAndRevokesEverything) {
  auto tokens = Tokens(AuthParams());
  // A second browser of the same eID.
  auto jar = jar_;
  jar_.clear();
  auto other = Tokens(AuthParams());
  status_.Set(kSubject, EidLiveStatus::kSuspended);

  // Lowercase spelling: the ledger's events carry raw addresses.
  auto ended = op_->EndEidSessions(AsciiLower(kSubject));
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(*ended, 4u);  // two sessions, two grants
  {
    std::lock_guard<std::mutex> lock(notifier_.mu);
    ASSERT_EQ(notifier_.calls.size(), 2u);
    EXPECT_EQ(notifier_.calls[0].uri, "https://rp.example/backchannel");
  }
  // Revoked for good, even once the eID is active again.
  status_.Set(kSubject, EidLiveStatus::kActive);
  EXPECT_EQ(Refresh(tokens["refresh_token"]).status, 400);
  EXPECT_EQ(Refresh(other["refresh_token"]).status, 400);
  EXPECT_EQ(UserInfoWith(other["access_token"]).status, 401);
  // The sessions are gone: a new login is needed.
  jar_ = jar;
  size_t logins = auth_.requests.size();
  Authorize(AuthParams());
  EXPECT_EQ(auth_.requests.size(), logins + 1);
  // Nothing left to end.
  auto again = op_->EndEidSessions(kSubject);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

// ---- level of assurance ----

TEST_F(EidStatusTest, AcrIsTheEidsLevel) {
  login_acr_ = kLoaHigh;
  auto tokens = Tokens(AuthParams());
  ASSERT_TRUE(tokens.contains("id_token")) << tokens;
  EXPECT_EQ(VerifyOurJwt(tokens["id_token"])["acr"], kLoaHigh);
}

TEST_F(EidStatusTest, AcrValuesAreMetOrRefused) {
  // A high eID meets substantial: reported as requested.
  login_acr_ = kLoaHigh;
  Params p = AuthParams();
  p.emplace("acr_values", kLoaSubstantial);
  EXPECT_EQ(VerifyOurJwt(Tokens(p)["id_token"])["acr"], kLoaSubstantial);

  // A substantial eID does not meet high: an error, never a downgrade.
  jar_.clear();
  login_acr_ = kLoaSubstantial;
  Params high = AuthParams();
  high.emplace("acr_values", kLoaHigh);
  HttpResponse r = Authorize(high);
  r = LoginAndResume();
  EXPECT_EQ(RedirectError(r), "unmet_authentication_requirements");
  EXPECT_TRUE(ParamGet(LocationParams(r), "code") == std::nullopt);
}

TEST_F(EidStatusTest, SsoSessionBelowTheRequestedLevelNeedsALogin) {
  ASSERT_FALSE(CodeFor(AuthParams()).empty());  // substantial session
  size_t logins = auth_.requests.size();
  Params high = AuthParams();
  high.emplace("acr_values", kLoaHigh);
  Params none = high;
  none.emplace("prompt", "none");
  EXPECT_EQ(RedirectError(Authorize(none)), "login_required");
  Authorize(high);
  ASSERT_EQ(auth_.requests.size(), logins + 1);
  EXPECT_EQ(auth_.requests.back().acr, kLoaHigh);
  // Another eID at high finishes it.
  login_acr_ = kLoaHigh;
  HttpResponse r = LoginAndResume();
  EXPECT_FALSE(ParamGet(LocationParams(r), "code").value_or("").empty()) << Location(r);
}

TEST_F(EidStatusTest, EssentialAcrClaimIsHonoured) {
  Params p = AuthParams();
  p.emplace("claims", R"({"id_token":{"acr":{"essential":true,"values":["http://eidas.europa.eu/LoA/high"]}}})");
  Authorize(p);
  EXPECT_EQ(RedirectError(LoginAndResume()), "unmet_authentication_requirements");

  // value (one level) wins over acr_values.
  jar_.clear();
  Params one = AuthParams();
  one.emplace("acr_values", kLoaHigh);
  one.emplace("claims", R"({"id_token":{"acr":{"essential":true,"value":"http://eidas.europa.eu/LoA/substantial"}}})");
  auto tokens = Tokens(one);
  ASSERT_TRUE(tokens.contains("id_token")) << tokens;
  EXPECT_EQ(VerifyOurJwt(tokens["id_token"])["acr"], kLoaSubstantial);
}

TEST_F(EidStatusTest, UnknownAcrValuesAreUnmetAtOnce) {
  Params p = AuthParams();
  p.emplace("acr_values", "urn:example:loa:4");
  size_t logins = auth_.requests.size();
  EXPECT_EQ(RedirectError(Authorize(p)), "unmet_authentication_requirements");
  EXPECT_EQ(auth_.requests.size(), logins);

  Params bad = AuthParams();
  bad.emplace("claims", R"({"id_token":{"acr":{"essential":true,"value":3}}})");
  EXPECT_EQ(RedirectError(Authorize(bad)), "invalid_request");
}

TEST_F(EidStatusTest, DiscoveryListsTheLevels) {
  auto doc = Json(op_->Discovery(Get("/.well-known/openid-configuration", {}, false)));
  EXPECT_EQ(doc["acr_values_supported"],
            nlohmann::json::array({"http://eidas.europa.eu/LoA/low", kLoaSubstantial, kLoaHigh}));
}

}  // namespace
}  // namespace certme::testing
