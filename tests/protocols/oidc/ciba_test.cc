// Client-Initiated Backchannel Authentication (CIBA Core 1.0), poll and ping:
// the backchannel endpoint's rules, the login_hint map, the CIBA grant's
// errors (§11) and the ping (§10.2).
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/ciba.h"

namespace certme::testing {
namespace {

constexpr char kCibaGrant[] = "urn:openid:params:grant-type:ciba";

class FakeCibaNotifier : public CibaNotifier {
 public:
  struct Call {
    std::string client_id, endpoint, bearer, auth_req_id;
  };
  void Ping(const std::string& client_id, const std::string& endpoint, const std::string& bearer,
            const std::string& auth_req_id) override {
    calls.push_back({client_id, endpoint, bearer, auth_req_id});
  }
  std::vector<Call> calls;
};

class CibaTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    options_.ciba_enabled = true;
    Rebuild();
    OidcClient bank = ConfidentialClient("bank");
    bank.grant_types = {"authorization_code", kCibaGrant, "refresh_token"};
    bank.backchannel_token_delivery_mode = "poll";
    Register(bank);
    OidcClient shop = ConfidentialClient("shop");
    shop.grant_types = {"authorization_code", kCibaGrant};
    shop.backchannel_token_delivery_mode = "ping";
    shop.backchannel_client_notification_endpoint = "https://shop.example/ciba";
    Register(shop);
    op_->SetCibaNotifier(&pings_);
    login_eid_ = kSubject;
  }

  // An ordinary login of `client`: the ID token's sub, the hint the client
  // learnt (and the bridge's map now holds).
  std::string LoginOnce(const std::string& client, std::string* id_token = nullptr) {
    std::string code = CodeFor(AuthParams(client));
    EXPECT_FALSE(code.empty());
    HttpResponse r = TokenBasic({{"grant_type", "authorization_code"}, {"code", code},
                                 {"redirect_uri", kRedirect}},
                                client);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string jwt = Json(r).value("id_token", "");
    if (id_token) *id_token = jwt;
    return VerifyOurJwt(jwt).value("sub", "");
  }
  HttpResponse Backchannel(const Params& form, const std::string& client = "bank") {
    HttpRequest req = PostForm("/bc-authorize", form, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode(client) + ":" + PercentEncode(kSecret)));
    return op_->BackchannelAuthentication(req);
  }
  HttpResponse Poll(const std::string& id, const std::string& client = "bank") {
    return TokenBasic({{"grant_type", kCibaGrant}, {"auth_req_id", id}}, client);
  }
  std::string PollError(const std::string& id, const std::string& client = "bank") {
    return Json(Poll(id, client)).value("error", "");
  }
  // The wallet login of the last Begin() ends: approved as kSubject, or with `error`.
  void Finish(const std::string& error = "") {
    const LoginRequest& lr = auth_.requests.back();
    SaveLoginOutcome(lr, error, kSubject);
    op_->CibaLoginEnded(lr.txn);
  }

  FakeCibaNotifier pings_;
};

TEST_F(CibaTest, DiscoveryAdvertisesExactlyWhatIsOn) {
  nlohmann::json d = Json(op_->Discovery(Get("/.well-known/openid-configuration", {})));
  EXPECT_EQ(d["backchannel_authentication_endpoint"], std::string(kIssuer) + "/bc-authorize");
  EXPECT_EQ(d["backchannel_token_delivery_modes_supported"], nlohmann::json({"poll", "ping"}));
  EXPECT_EQ(d["backchannel_user_code_parameter_supported"], false);
  EXPECT_FALSE(d.contains("backchannel_authentication_request_signing_alg_values_supported"));
  EXPECT_NE(std::find(d["grant_types_supported"].begin(), d["grant_types_supported"].end(), kCibaGrant),
            d["grant_types_supported"].end());

  options_.ciba_enabled = false;
  Rebuild();
  d = Json(op_->Discovery(Get("/.well-known/openid-configuration", {})));
  EXPECT_FALSE(d.contains("backchannel_authentication_endpoint"));
  EXPECT_FALSE(d.contains("backchannel_token_delivery_modes_supported"));
  EXPECT_EQ(std::find(d["grant_types_supported"].begin(), d["grant_types_supported"].end(), kCibaGrant),
            d["grant_types_supported"].end());
  EXPECT_EQ(Backchannel({{"scope", "openid"}, {"login_hint", "x"}}).status, 404);
  EXPECT_EQ(PollError("anything"), "unsupported_grant_type");
}

TEST_F(CibaTest, PollModeFromHintToTokens) {
  const std::string sub = LoginOnce("bank");
  ASSERT_FALSE(sub.empty());
  const size_t before = auth_.requests.size();
  HttpResponse r = Backchannel({{"scope", "openid profile"}, {"login_hint", sub},
                                {"binding_message", "Plata 42 MDL"}, {"requested_expiry", "120"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
  nlohmann::json ack = Json(r);
  const std::string id = ack.value("auth_req_id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ack["expires_in"], 120);
  EXPECT_EQ(ack["interval"], 5);
  // The login is addressed to the eID behind the sub, with the message.
  ASSERT_EQ(auth_.requests.size(), before + 1);
  EXPECT_EQ(auth_.requests.back().wallet_eid, kSubject);
  EXPECT_EQ(auth_.requests.back().binding_message, "Plata 42 MDL");
  EXPECT_EQ(auth_.requests.back().expires_at, clock_.NowUnixSeconds() + 120);

  EXPECT_EQ(PollError(id), "authorization_pending");
  // §11 slow_down: sooner than the interval; the interval grows.
  nlohmann::json fast = Json(Poll(id));
  EXPECT_EQ(fast["error"], "slow_down");
  EXPECT_NE(fast.value("error_description", "").find("10 seconds"), std::string::npos);
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(PollError(id), "authorization_pending");

  Finish();
  clock_.Advance(std::chrono::seconds(10));
  HttpResponse t = Poll(id);
  ASSERT_EQ(t.status, 200) << t.body;
  nlohmann::json tokens = Json(t);
  EXPECT_EQ(VerifyOurJwt(tokens["id_token"])["sub"], sub);
  EXPECT_TRUE(tokens.contains("refresh_token"));
  // Single use.
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(PollError(id), "invalid_grant");
}

TEST_F(CibaTest, IdTokenHintNamesTheUserToo) {
  std::string id_token;
  LoginOnce("bank", &id_token);
  HttpResponse r = Backchannel({{"scope", "openid"}, {"id_token_hint", id_token}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(auth_.requests.back().wallet_eid, kSubject);
  // Another client's ID token is not a hint for this one.
  std::string shop_token;
  LoginOnce("shop", &shop_token);
  r = Backchannel({{"scope", "openid"}, {"id_token_hint", shop_token}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");
  r = Backchannel({{"scope", "openid"}, {"id_token_hint", "not.a.jwt"}});
  EXPECT_EQ(Json(r)["error"], "invalid_request");
}

// The issue: a hint the bridge cannot map gets the same answer as a real
// one until the user acts, and the same steps happen behind it.
TEST_F(CibaTest, UnknownHintIsIndistinguishable) {
  const std::string sub = LoginOnce("bank");
  HttpResponse known = Backchannel({{"scope", "openid"}, {"login_hint", sub}});
  LoginRequest known_login = auth_.requests.back();
  HttpResponse unknown = Backchannel({{"scope", "openid"}, {"login_hint", "no-such-user"}});
  LoginRequest unknown_login = auth_.requests.back();
  // The shop's users are not the bank's: its sub is unknown here too.
  const std::string shop_sub = LoginOnce("shop");
  HttpResponse other = Backchannel({{"scope", "openid"}, {"login_hint", shop_sub}});

  for (const HttpResponse* r : {&unknown, &other}) {
    EXPECT_EQ(r->status, known.status);
    EXPECT_EQ(r->headers.Get("Content-Type"), known.headers.Get("Content-Type"));
    EXPECT_EQ(r->headers.Get("Cache-Control"), known.headers.Get("Cache-Control"));
    nlohmann::json a = Json(known), b = Json(*r);
    EXPECT_EQ(a.size(), b.size());
    for (const auto& [k, v] : a.items()) {
      ASSERT_TRUE(b.contains(k)) << k;
      EXPECT_EQ(b[k].type(), v.type()) << k;
      if (k != "auth_req_id") {
        EXPECT_EQ(b[k], v) << k;
      }
    }
    EXPECT_EQ(b["auth_req_id"].get<std::string>().size(), a["auth_req_id"].get<std::string>().size());
  }
  // A login began for each, shaped alike; the unknown one is addressed to
  // an address nobody holds.
  EXPECT_EQ(unknown_login.service_id, known_login.service_id);
  EXPECT_EQ(unknown_login.attributes, known_login.attributes);
  EXPECT_EQ(unknown_login.wallet_eid.size(), known_login.wallet_eid.size());
  EXPECT_NE(unknown_login.wallet_eid, kSubject);
  // Polls answer alike until the request expires.
  const std::string known_id = Json(known)["auth_req_id"], unknown_id = Json(unknown)["auth_req_id"];
  EXPECT_EQ(PollError(known_id), "authorization_pending");
  EXPECT_EQ(PollError(unknown_id), "authorization_pending");
  clock_.Advance(std::chrono::seconds(301));
  EXPECT_EQ(PollError(known_id), "expired_token");
  EXPECT_EQ(PollError(unknown_id), "expired_token");
}

TEST_F(CibaTest, GrantErrors) {
  const std::string sub = LoginOnce("bank");
  EXPECT_EQ(PollError("no-such-request"), "invalid_grant");
  EXPECT_EQ(PollError(std::string(500, 'a')), "invalid_grant");
  EXPECT_EQ(Json(TokenBasic({{"grant_type", kCibaGrant}}, "bank"))["error"], "invalid_request");
  const std::string id = Json(Backchannel({{"scope", "openid"}, {"login_hint", sub}}))["auth_req_id"];
  // Issued to the bank: the shop cannot redeem it (and the shop's own
  // client is registered for the grant).
  EXPECT_EQ(PollError(id, "shop"), "invalid_grant");
  // A refusal in the wallet: access_denied, then the request is gone.
  Finish("refused");
  EXPECT_EQ(PollError(id), "access_denied");
  EXPECT_EQ(PollError(id), "invalid_grant");
  // A client not registered for CIBA may neither ask nor redeem.
  HttpResponse r = Backchannel({{"scope", "openid"}, {"login_hint", sub}}, "rp");
  EXPECT_EQ(Json(r)["error"], "unauthorized_client");
  EXPECT_EQ(PollError(id, "rp"), "unauthorized_client");
}

TEST_F(CibaTest, RequestParametersAreChecked) {
  auto error = [&](const Params& p, const std::string& client = "bank") {
    HttpResponse r = Backchannel(p, client);
    EXPECT_EQ(r.status, 400) << r.body;
    return Json(r).value("error", "");
  };
  EXPECT_EQ(error({{"scope", "openid"}}), "invalid_request");  // no hint
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"id_token_hint", "b"}}), "invalid_request");
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint_token", "t"}}), "invalid_request");
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"user_code", "1234"}}), "invalid_request");
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"request", "e30.e30.x"}}), "invalid_request");
  EXPECT_EQ(error({{"scope", "profile"}, {"login_hint", "a"}}), "invalid_scope");
  for (std::string bad : {"0", "-5", "abc", "601", "99999999999", ""})
    EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"requested_expiry", bad}}), "invalid_request") << bad;
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"binding_message", std::string(101, 'x')}}),
            "invalid_binding_message");
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"binding_message", "line\nbreak"}}),
            "invalid_binding_message");
  // Ping clients name their bearer; it must be one.
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}}, "shop"), "invalid_request");
  EXPECT_EQ(error({{"scope", "openid"}, {"login_hint", "a"}, {"client_notification_token", "a b"}}, "shop"),
            "invalid_request");
  // A 100-character message in Romanian (multi-byte) is fine.
  std::string ro;
  for (int i = 0; i < 100; ++i) ro += "ă";
  EXPECT_EQ(Backchannel({{"scope", "openid"}, {"login_hint", "a"}, {"binding_message", ro}}).status, 200);
  // Nothing was begun for the refused requests.
  EXPECT_EQ(auth_.requests.size(), 1u);
}

TEST_F(CibaTest, PingModeNotifiesThenTheClientRedeems) {
  const std::string sub = LoginOnce("shop");
  HttpResponse r = Backchannel({{"scope", "openid"}, {"login_hint", sub}, {"client_notification_token", "tok-123.abc"}},
                               "shop");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json ack = Json(r);
  EXPECT_FALSE(ack.contains("interval"));  // §7.3: poll mode only
  const std::string id = ack["auth_req_id"];
  EXPECT_EQ(PollError(id, "shop"), "authorization_pending");
  EXPECT_EQ(PollError(id, "shop"), "authorization_pending");  // no slow_down in ping mode
  EXPECT_TRUE(pings_.calls.empty());
  Finish();
  ASSERT_EQ(pings_.calls.size(), 1u);
  EXPECT_EQ(pings_.calls[0].client_id, "shop");
  EXPECT_EQ(pings_.calls[0].endpoint, "https://shop.example/ciba");
  EXPECT_EQ(pings_.calls[0].bearer, "tok-123.abc");
  EXPECT_EQ(pings_.calls[0].auth_req_id, id);
  HttpResponse t = Poll(id, "shop");
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(VerifyOurJwt(Json(t)["id_token"])["sub"], sub);
  // An ended login that is not a CIBA login is ignored.
  op_->CibaLoginEnded("not-a-ciba-login");
  EXPECT_EQ(pings_.calls.size(), 1u);
}

TEST_F(CibaTest, ClientRegistrationRules) {
  OidcClient c = ConfidentialClient("x");
  c.grant_types = {kCibaGrant};
  c.redirect_uris.clear();
  EXPECT_FALSE(ValidateClient(c).ok());  // no mode
  c.backchannel_token_delivery_mode = "push";
  EXPECT_FALSE(ValidateClient(c).ok());
  c.backchannel_token_delivery_mode = "ping";
  EXPECT_FALSE(ValidateClient(c).ok());  // no endpoint
  c.backchannel_client_notification_endpoint = "https://x.example/ping";
  EXPECT_TRUE(ValidateClient(c).ok()) << ValidateClient(c).ToString();
  c.token_endpoint_auth_method = "none";
  EXPECT_FALSE(ValidateClient(c).ok());
  OidcClient d = ConfidentialClient("y");
  d.backchannel_token_delivery_mode = "poll";  // without the grant
  EXPECT_FALSE(ValidateClient(d).ok());
}

}  // namespace
}  // namespace certme::testing
