// OAuth 2.0 Device Authorization Grant (RFC 8628): the device authorization
// endpoint, the verification page and its login, the device_code grant.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/records.h"
#include "tests/store/failing_store.h"

namespace certme::testing {
namespace {

constexpr char kDeviceGrant[] = "urn:ietf:params:oauth:grant-type:device_code";

class DeviceTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    OidcClient tv = ConfidentialClient("tv");
    tv.grant_types = {kDeviceGrant, "refresh_token"};
    tv.redirect_uris.clear();
    tv.post_logout_redirect_uris.clear();
    Register(tv);
  }

  HttpResponse Authorize(const Params& form, const std::string& client_id = "tv",
                         const std::string& secret = kSecret) {
    HttpRequest req = PostForm("/device_authorization", form, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode(client_id) + ":" + PercentEncode(secret)));
    return op_->DeviceAuthorization(req);
  }
  // A successful device authorization's answer.
  nlohmann::json Started(const std::string& scope = "openid profile") {
    HttpResponse r = Authorize({{"scope", scope}});
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r);
  }
  HttpResponse Poll(const std::string& device_code, const std::string& client_id = "tv") {
    return TokenBasic({{"grant_type", kDeviceGrant}, {"device_code", device_code}}, client_id);
  }
  std::string PollError(const std::string& device_code) { return Json(Poll(device_code)).value("error", ""); }
  // Opens the verification page with `user_code` from `ip`.
  HttpResponse Open(const std::string& user_code, const std::string& ip = "192.0.2.7") {
    HttpRequest req = Get("/device", {{"user_code", user_code}});
    req.remote_addr = ip;
    return op_->DeviceVerification(req);
  }
  // The login step finishes the last Begin(): approved as kSubject, or
  // with `error`; returns the page /device/resume shows.
  HttpResponse FinishLogin(const std::string& error = "", bool come_back = true) {
    EXPECT_FALSE(auth_.requests.empty());
    if (auth_.requests.empty()) return HttpResponse::Text(599, "no login");
    const LoginRequest& lr = auth_.requests.back();
    SaveLoginOutcome(lr, error);
    if (!come_back) return HttpResponse::Text(204, "");
    std::string prefix = std::string(kIssuer) + "/device/resume?";
    EXPECT_EQ(lr.resume_url.rfind(prefix, 0), 0u) << lr.resume_url;
    auto q = ParseUrlEncoded(lr.resume_url.substr(prefix.size())).value_or(Params{});
    return op_->DeviceResume(Get("/device/resume", q, false));
  }
  static std::string Outcome(const HttpResponse& page) {
    auto at = page.body.find("data-outcome=\"");
    if (at == std::string::npos) return "";
    at += 14;
    return page.body.substr(at, page.body.find('"', at) - at);
  }
};

TEST_F(DeviceTest, AuthorizationAnswersCodesAndTheVerificationAddresses) {
  HttpResponse r = Authorize({{"scope", "openid profile"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  auto j = Json(r);
  EXPECT_GE(j["device_code"].get<std::string>().size(), 43u);
  std::string user_code = j["user_code"];
  ASSERT_EQ(user_code.size(), 9u);
  EXPECT_EQ(user_code[4], '-');
  for (size_t i = 0; i < user_code.size(); ++i)
    if (i != 4) EXPECT_NE(std::string("BCDFGHJKLMNPQRSTVWXZ").find(user_code[i]), std::string::npos) << user_code;
  EXPECT_EQ(j["verification_uri"], std::string(kIssuer) + "/device");
  EXPECT_EQ(j["verification_uri_complete"], std::string(kIssuer) + "/device?user_code=" + user_code);
  EXPECT_EQ(j["expires_in"], 600);
  EXPECT_EQ(j["interval"], 5);
  // Only the device code's hash is kept.
  auto stored = store_->List(oidc_internal::kDeviceNs).value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].value.find(j["device_code"].get<std::string>()), std::string::npos);
}

TEST_F(DeviceTest, ApproveThroughTheVerificationPageIssuesTokensOnce) {
  auto started = Started("openid profile email");
  std::string device_code = started["device_code"];
  EXPECT_EQ(PollError(device_code), "authorization_pending");

  size_t before = auth_.requests.size();
  HttpResponse page = Open(started["user_code"]);
  ASSERT_EQ(auth_.requests.size(), before + 1) << page.status << page.body;
  const LoginRequest& lr = auth_.requests.back();
  EXPECT_EQ(lr.protocol, "oidc");
  EXPECT_EQ(lr.service_id, "tv");
  EXPECT_EQ(lr.service_names.at("en"), "Test service");
  EXPECT_TRUE(lr.force_authn);
  EXPECT_FALSE(lr.attributes.empty());

  HttpResponse done = FinishLogin();
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(Outcome(done), "done");
  EXPECT_NE(done.body.find("Serviciul de test"), std::string::npos);  // the service, in the page's language

  clock_.Advance(std::chrono::seconds(5));
  HttpResponse tok = Poll(device_code);
  ASSERT_EQ(tok.status, 200) << tok.body;
  auto j = Json(tok);
  EXPECT_FALSE(j["access_token"].get<std::string>().empty());
  EXPECT_FALSE(j["refresh_token"].get<std::string>().empty());
  auto id = VerifyOurJwt(j["id_token"]);
  EXPECT_EQ(id["aud"], "tv");
  EXPECT_FALSE(id.contains("nonce"));
  EXPECT_FALSE(id.contains("sid"));  // no browser session
  EXPECT_EQ(id["acr"], login_acr_);

  // Consumed exactly once: a second poll and the code's user_code are spent.
  EXPECT_EQ(PollError(device_code), "invalid_grant");
  EXPECT_EQ(Outcome(Open(started["user_code"])), "unknown_code");
  // The refresh token works like the code flow's.
  HttpResponse refreshed = TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", j["refresh_token"]}}, "tv");
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;
}

// The wallet answered, the user never came back to the browser: the poll
// takes the login's result itself.
TEST_F(DeviceTest, PollSettlesALoginTheBrowserNeverReturnedFrom) {
  auto started = Started();
  ASSERT_EQ(Open(started["user_code"]).status, 302);
  FinishLogin("", /*come_back=*/false);
  HttpResponse tok = Poll(started["device_code"]);
  ASSERT_EQ(tok.status, 200) << tok.body;
  EXPECT_TRUE(Json(tok).contains("id_token"));
}

TEST_F(DeviceTest, RefusalIsAccessDenied) {
  auto started = Started();
  ASSERT_EQ(Open(started["user_code"]).status, 302);
  HttpResponse page = FinishLogin(kLoginErrorRefused);
  EXPECT_EQ(Outcome(page), "denied");
  HttpResponse r = Poll(started["device_code"]);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "access_denied");
  EXPECT_EQ(PollError(started["device_code"]), "invalid_grant");  // the answer ended it
}

// A failure another attempt may fix leaves the authorization pending; the
// user opens the code again and succeeds.
TEST_F(DeviceTest, RetryableFailureKeepsTheAuthorizationPending) {
  auto started = Started();
  ASSERT_EQ(Open(started["user_code"]).status, 302);
  EXPECT_EQ(Outcome(FinishLogin(kLoginErrorValidatorTimeout)), "unfinished");
  EXPECT_EQ(PollError(started["device_code"]), "authorization_pending");
  ASSERT_EQ(Open(started["user_code"]).status, 302);
  EXPECT_EQ(Outcome(FinishLogin()), "done");
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(Poll(started["device_code"]).status, 200);
}

TEST_F(DeviceTest, PollingFasterThanTheIntervalSlowsDown) {
  auto started = Started();
  std::string code = started["device_code"];
  EXPECT_EQ(PollError(code), "authorization_pending");
  clock_.Advance(std::chrono::seconds(2));
  HttpResponse r = Poll(code);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "slow_down");
  // The interval is now 10 s for this code: 5 s later is still too soon.
  clock_.Advance(std::chrono::seconds(5));
  EXPECT_EQ(PollError(code), "slow_down");
  clock_.Advance(std::chrono::seconds(15));
  EXPECT_EQ(PollError(code), "authorization_pending");
  // Another device code has its own interval.
  auto other = Started();
  EXPECT_EQ(PollError(other["device_code"]), "authorization_pending");
}

TEST_F(DeviceTest, ExpiredDeviceCodeIsExpiredToken) {
  auto started = Started();
  clock_.Advance(std::chrono::seconds(601));
  HttpResponse r = Poll(started["device_code"]);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "expired_token");
  HttpResponse page = Open(started["user_code"]);
  EXPECT_EQ(page.status, 400);
  EXPECT_EQ(Outcome(page), "unknown_code");
}

TEST_F(DeviceTest, UnknownUsedOrForeignDeviceCodesAreInvalidGrant) {
  EXPECT_EQ(PollError("no-such-code"), "invalid_grant");
  EXPECT_EQ(PollError(std::string(500, 'a')), "invalid_grant");
  HttpResponse missing = TokenBasic({{"grant_type", kDeviceGrant}}, "tv");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Json(missing)["error"], "invalid_request");
  // Another client that may use the grant cannot redeem tv's code.
  OidcClient other = ConfidentialClient("tv2");
  other.grant_types = {kDeviceGrant};
  Register(other);
  auto started = Started();
  EXPECT_EQ(Json(Poll(started["device_code"], "tv2"))["error"], "invalid_grant");
}

TEST_F(DeviceTest, BadRequestsAreRefusedAndNothingIsStored) {
  // Unknown client, wrong secret.
  EXPECT_EQ(Authorize({{"scope", "openid"}}, "nobody").status, 401);
  HttpResponse wrong = Authorize({{"scope", "openid"}}, "tv", "wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Json(wrong)["error"], "invalid_client");
  // A client not registered for the grant (rp: code flow only).
  HttpResponse not_allowed = Authorize({{"scope", "openid"}}, "rp");
  EXPECT_EQ(not_allowed.status, 400);
  EXPECT_EQ(Json(not_allowed)["error"], "unauthorized_client");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", kDeviceGrant}, {"device_code", "x"}}, "rp"))["error"],
            "unauthorized_client");
  // Missing scope or no openid.
  EXPECT_EQ(Json(Authorize({}))["error"], "invalid_scope");
  EXPECT_EQ(Json(Authorize({{"scope", "profile"}}))["error"], "invalid_scope");
  EXPECT_EQ(Json(Authorize({{"scope", "openid"}, {"claims", "{not json"}}))["error"], "invalid_request");
  EXPECT_EQ(Json(Authorize({{"scope", "openid"}, {"acr_values", "urn:unknown"}}))["error"],
            "unmet_authentication_requirements");
  EXPECT_EQ(Json(Authorize({{"scope", "openid"}, {"client_id", "rp"}}))["error"], "invalid_client");
  HttpRequest get = Get("/device_authorization", {});
  get.method = "GET";
  EXPECT_EQ(op_->DeviceAuthorization(get).status, 405);
  EXPECT_TRUE(store_->List(oidc_internal::kDeviceNs).value().empty());
  EXPECT_TRUE(store_->List(oidc_internal::kUserCodeNs).value().empty());
}

// RFC 8628 §5.1: guessing user codes is rate-limited per client address;
// another address is not affected.
TEST_F(DeviceTest, GuessedUserCodesAreRateLimited) {
  auto started = Started();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Outcome(Open("BBBB-BBBB")), "unknown_code") << i;
  HttpResponse limited = Open(started["user_code"]);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(Outcome(limited), "too_many_attempts");
  EXPECT_TRUE(limited.headers.Get("Retry-After").has_value());
  size_t before = auth_.requests.size();
  EXPECT_EQ(Open(started["user_code"], "198.51.100.9").status, 302);
  EXPECT_EQ(auth_.requests.size(), before + 1);
  // The budget refills: one more attempt after six seconds.
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(Open(started["user_code"]).status, 302);
}

TEST_F(DeviceTest, TypedCodesAreNormalisedAndMalformedOnesRefused) {
  auto started = Started();
  std::string typed = started["user_code"];
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  typed.erase(4, 1);
  typed.insert(2, " ");
  EXPECT_EQ(Open(typed).status, 302);
  for (const char* bad : {"AAAA-AAAA", "BCD", "BCDF-GHJK-LMNP", "<script>", "\xff\xfe"})
    EXPECT_EQ(Outcome(Open(bad)), "unknown_code") << bad;
  HttpResponse form = op_->DeviceVerification(Get("/device", {}));
  EXPECT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("name=\"user_code\""), std::string::npos);
}

TEST_F(DeviceTest, StoreOutageIsA503WithRetryAfter) {
  auto started = Started();
  auto failing = std::make_unique<FailingStore>(std::move(store_));
  FailingStore& store = *failing;
  store_ = std::move(failing);
  clients_ = NewStoreClientRegistry(*store_);
  Rebuild();
  store.Fail(FailingStore::Op::kGet, oidc_internal::kDeviceNs);
  HttpResponse r = Poll(started["device_code"]);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.headers.Get("Retry-After"), "5");
  EXPECT_EQ(Json(r)["error"], "server_error");
  HttpResponse page = Open(started["user_code"]);
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.headers.Get("Retry-After"), "5");

  store.Fail(FailingStore::Op::kPutIfAbsent, oidc_internal::kUserCodeNs);
  HttpResponse start = Authorize({{"scope", "openid"}});
  EXPECT_EQ(start.status, 503);
  EXPECT_EQ(start.headers.Get("Retry-After"), "5");

  store.Heal();
  EXPECT_EQ(PollError(started["device_code"]), "authorization_pending");
}

TEST_F(DeviceTest, DisabledMeansNoEndpointsAndNoDiscovery) {
  auto doc = Json(op_->Discovery(Get("/.well-known/openid-configuration", {})));
  EXPECT_EQ(doc["device_authorization_endpoint"], std::string(kIssuer) + "/device_authorization");
  EXPECT_NE(doc["grant_types_supported"].dump().find(kDeviceGrant), std::string::npos);
  auto started = Started();

  options_.device_authorization_enabled = false;
  Rebuild();
  doc = Json(op_->Discovery(Get("/.well-known/openid-configuration", {})));
  EXPECT_FALSE(doc.contains("device_authorization_endpoint"));
  EXPECT_EQ(doc["grant_types_supported"].dump().find(kDeviceGrant), std::string::npos);
  EXPECT_EQ(Authorize({{"scope", "openid"}}).status, 404);
  EXPECT_EQ(Open(started["user_code"]).status, 404);
  EXPECT_EQ(Json(Poll(started["device_code"]))["error"], "unsupported_grant_type");
}

TEST_F(DeviceTest, DeviceOnlyClientsRegisterAndGetTheirOwnPairwiseSubject) {
  OidcClient c = ConfidentialClient("kiosk");
  c.grant_types = {kDeviceGrant};
  c.redirect_uris.clear();
  EXPECT_TRUE(ValidateClient(c).ok()) << ValidateClient(c).ToString();
  c.grant_types = {"urn:ietf:params:oauth:grant-type:unknown"};
  EXPECT_FALSE(ValidateClient(c).ok());
  // Two device-only clients do not share a pairwise sector.
  OidcClient a = ConfidentialClient("a"), b = ConfidentialClient("b");
  a.redirect_uris.clear();
  b.redirect_uris.clear();
  EXPECT_NE(a.SectorHost(), b.SectorHost());
}

// ---- the status handle for the service's own page (certme_status_uri) ----

class DeviceStatusHandleTest : public DeviceTest {
 protected:
  void SetUp() override {
    DeviceTest::SetUp();
    options_.device_status_uri = true;
    Rebuild();
  }
  static std::string HandleOf(const nlohmann::json& device) {
    std::string uri = device.value("certme_status_uri", "");
    auto q = uri.find("?h=");
    return q == std::string::npos ? "" : uri.substr(q + 3);
  }
};

TEST_F(DeviceStatusHandleTest, OneLoginPerAuthorizationWhateverTheCallers) {
  auto started = Started();
  const std::string handle = HandleOf(started);
  ASSERT_FALSE(handle.empty()) << started.dump();
  auto status = op_->DeviceStatus(handle);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, OidcProvider::DeviceLoginStatus::State::kPending);
  EXPECT_TRUE(status->txn.empty());
  auto txn = op_->StartDeviceStatusLogin(handle);
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  auto again = op_->StartDeviceStatusLogin(handle);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *txn);
  ASSERT_EQ(auth_.requests.size(), 1u);
  EXPECT_EQ(auth_.requests[0].txn, *txn);
  EXPECT_EQ(auth_.requests[0].service_id, "tv");
  EXPECT_TRUE(auth_.requests[0].force_authn);
  EXPECT_EQ(op_->DeviceStatus(handle)->txn, *txn);
  // The device_code names no status; an unknown handle is unknown.
  EXPECT_EQ(op_->DeviceStatus(started["device_code"].get<std::string>())->state,
            OidcProvider::DeviceLoginStatus::State::kUnknown);
  EXPECT_EQ(op_->StartDeviceStatusLogin("nope").status().code(), StatusCode::kNotFound);
}

// The page's login settles the authorization even when the verification
// page began another login since (the record's `txn` then names that one).
TEST_F(DeviceStatusHandleTest, ThePagesLoginSettlesAfterTheVerificationPageBeganAnother) {
  auto started = Started("openid profile");
  const std::string handle = HandleOf(started);
  ASSERT_TRUE(op_->StartDeviceStatusLogin(handle).ok());
  const LoginRequest page_login = auth_.requests.back();
  ASSERT_EQ(Open(started["user_code"]).status, 302);
  ASSERT_EQ(auth_.requests.size(), 2u);
  SaveLoginOutcome(page_login, "");
  auto tokens = Json(Poll(started["device_code"]));
  EXPECT_TRUE(tokens.contains("id_token")) << tokens.dump();
  EXPECT_EQ(op_->DeviceStatus(handle)->state, OidcProvider::DeviceLoginStatus::State::kEnded);
}

TEST_F(DeviceStatusHandleTest, SettledOrExpiredAuthorizationsBeginNoLogin) {
  auto refused = Started();
  ASSERT_EQ(Open(refused["user_code"]).status, 302);
  FinishLogin(kLoginErrorRefused);
  auto status = op_->DeviceStatus(HandleOf(refused));
  EXPECT_EQ(status->state, OidcProvider::DeviceLoginStatus::State::kDenied);
  EXPECT_EQ(status->error, "refused");
  const size_t begun = auth_.requests.size();
  EXPECT_EQ(op_->StartDeviceStatusLogin(HandleOf(refused)).status().code(), StatusCode::kFailedPrecondition);
  auto late = Started();
  clock_.Advance(std::chrono::seconds(options_.device_code_ttl_seconds + 1));
  EXPECT_EQ(op_->DeviceStatus(HandleOf(late))->state, OidcProvider::DeviceLoginStatus::State::kExpired);
  EXPECT_EQ(op_->StartDeviceStatusLogin(HandleOf(late)).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(auth_.requests.size(), begun);
}

TEST_F(DeviceStatusHandleTest, WithoutTheStatusEndpointNoMemberAndNoStatus) {
  options_.device_status_uri = false;
  Rebuild();
  auto started = Started();
  EXPECT_FALSE(started.contains("certme_status_uri"));
}

}  // namespace
}  // namespace certme::testing
