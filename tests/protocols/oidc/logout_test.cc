// RP-Initiated Logout 1.0, Back-Channel Logout 1.0, Front-Channel Logout 1.0.
#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

class LogoutTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    OidcClient rp = ConfidentialClient("rp");
    rp.backchannel_logout_uri = "https://rp.example/backchannel";
    Register(rp);
  }
  // Logs in through `client_id` in this browser and returns its token response.
  nlohmann::json LoginTokens(const std::string& client_id = "rp", const std::string& redirect = kRedirect) {
    Params p = AuthParams(client_id);
    p.erase("redirect_uri");
    p.emplace("redirect_uri", redirect);
    std::string code = CodeFor(p);
    EXPECT_FALSE(code.empty());
    return Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect}},
                           client_id));
  }
  bool SessionAlive() {
    Params p = AuthParams();
    p.emplace("prompt", "none");
    HttpResponse r = op_->Authorize(Get("/authorize", p));
    return ParamGet(LocationParams(r), "code").has_value();
  }
  int UserInfoStatus(const std::string& at) {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", "Bearer " + at);
    return op_->UserInfo(req).status;
  }
  HttpResponse Logout(const Params& p) {
    HttpResponse r = op_->EndSession(Get("/logout", p));
    Absorb(r);
    return r;
  }
  static bool ClearsSessionCookie(const HttpResponse& r) {
    for (const auto& c : r.cookies)
      if (c.name == "certme_session" && c.max_age_seconds == 0) return true;
    return false;
  }
  // The hidden txn of a confirmation page.
  static std::string ConfirmTxn(const HttpResponse& r) {
    size_t at = r.body.find("name=\"txn\" value=\"");
    if (at == std::string::npos) return "";
    at += 18;
    return r.body.substr(at, r.body.find('"', at) - at);
  }
};

TEST_F(LogoutTest, ValidHintEndsTheSessionRevokesTokensAndRedirectsWithState) {
  auto t = LoginTokens();
  ASSERT_TRUE(SessionAlive());
  HttpResponse r = Logout({{"id_token_hint", t["id_token"]},
                           {"post_logout_redirect_uri", "https://rp.example/bye"},
                           {"state", "bye-state"}});
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(Location(r), "https://rp.example/bye?state=bye-state");
  EXPECT_TRUE(ClearsSessionCookie(r));
  EXPECT_FALSE(SessionAlive());
  EXPECT_EQ(UserInfoStatus(t["access_token"]), 401);
  EXPECT_EQ(Json(TokenBasic({{"grant_type", "refresh_token"}, {"refresh_token", t["refresh_token"]}}))["error"],
            "invalid_grant");
}

TEST_F(LogoutTest, BackChannelLogoutTokenGoesToEveryRpOfTheSession) {
  OidcClient second = ConfidentialClient("second");
  second.redirect_uris = {"https://second.example/cb"};
  second.backchannel_logout_uri = "https://second.example/bc";
  Register(second);
  OidcClient quiet = ConfidentialClient("quiet");  // no back-channel URI
  Register(quiet);
  OidcClient absent = ConfidentialClient("absent");  // registered, never used in the session
  absent.backchannel_logout_uri = "https://absent.example/bc";
  Register(absent);
  auto t = LoginTokens("rp");
  LoginTokens("second", "https://second.example/cb");
  LoginTokens("quiet");
  std::string sid = VerifyOurJwt(t["id_token"])["sid"];
  Logout({{"id_token_hint", t["id_token"]}});
  ASSERT_EQ(notifier_.calls.size(), 2u);
  std::map<std::string, std::string> uris;
  for (const auto& c : notifier_.calls) uris[c.client_id] = c.uri;
  EXPECT_EQ(uris["rp"], "https://rp.example/backchannel");
  EXPECT_EQ(uris["second"], "https://second.example/bc");
  for (const auto& c : notifier_.calls) {
    nlohmann::json header;
    auto lt = VerifyOurJwt(c.token, &header);
    EXPECT_EQ(header["typ"], "logout+jwt");
    EXPECT_EQ(lt["iss"], kIssuer);
    EXPECT_EQ(lt["aud"], c.client_id);
    EXPECT_EQ(lt["sid"], sid);
    EXPECT_TRUE(lt["iat"].is_number());
    EXPECT_GT(lt["exp"].get<int64_t>(), lt["iat"].get<int64_t>());
    EXPECT_TRUE(lt["jti"].is_string());
    EXPECT_EQ(lt["events"], nlohmann::json::parse(R"({"http://schemas.openid.net/event/backchannel-logout":{}})"));
    EXPECT_FALSE(lt.contains("nonce"));
  }
  // A logout token is not accepted as an id_token_hint.
  LoginTokens("rp");
  HttpResponse r = Logout({{"id_token_hint", notifier_.calls[0].token}});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(ConfirmTxn(r).empty());
}

TEST_F(LogoutTest, FrontChannelIframesWithIssAndSid) {
  OidcClient fc = ConfidentialClient("fc");
  fc.redirect_uris = {"https://fc.example/cb"};
  fc.post_logout_redirect_uris = {"https://fc.example/bye"};
  fc.frontchannel_logout_uri = "https://fc.example/fclogout?x=1";
  Register(fc);
  auto t = LoginTokens("fc", "https://fc.example/cb");
  std::string sid = VerifyOurJwt(t["id_token"])["sid"];
  HttpResponse r = Logout({{"id_token_hint", t["id_token"]}, {"post_logout_redirect_uri", "https://fc.example/bye"},
                           {"state", "s1"}});
  ASSERT_EQ(r.status, 200);
  std::string src = "https://fc.example/fclogout?x=1&amp;iss=" + PercentEncode(kIssuer) + "&amp;sid=" + PercentEncode(sid);
  EXPECT_NE(r.body.find("<iframe src=\"" + src + "\""), std::string::npos) << r.body;
  ASSERT_TRUE(r.csp.has_value());
  EXPECT_NE(r.csp->find("frame-src https://fc.example"), std::string::npos) << *r.csp;
  // Then the browser continues to the RP, via a nonce'd script or the link.
  EXPECT_NE(r.body.find("https://fc.example/bye?state=s1"), std::string::npos);
  size_t at = r.csp->find("'nonce-");
  ASSERT_NE(at, std::string::npos);
  std::string nonce = r.csp->substr(at + 7, r.csp->find('\'', at + 7) - at - 7);
  EXPECT_NE(r.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_TRUE(ClearsSessionCookie(r));
  EXPECT_FALSE(SessionAlive());
}

TEST_F(LogoutTest, ExpiredHintIsStillAccepted) {
  auto t = LoginTokens();
  clock_.Advance(std::chrono::seconds(options_.id_token_ttl_seconds + 60));
  HttpResponse r = Logout({{"id_token_hint", t["id_token"]}, {"post_logout_redirect_uri", "https://rp.example/bye"}});
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(Location(r), "https://rp.example/bye");
  EXPECT_FALSE(SessionAlive());
}

TEST_F(LogoutTest, TamperedHintAsksForConfirmation) {
  auto t = LoginTokens();
  std::string token = t["id_token"];
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';  // break the signature
  HttpResponse r = Logout({{"id_token_hint", token}, {"post_logout_redirect_uri", "https://rp.example/bye"},
                           {"client_id", "rp"}, {"state", "s2"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(r.headers.Has("Location"));
  std::string txn = ConfirmTxn(r);
  ASSERT_FALSE(txn.empty()) << r.body;
  EXPECT_NE(r.body.find("action=\"https://idp.test/logout/confirm\""), std::string::npos);
  EXPECT_TRUE(SessionAlive());
  EXPECT_TRUE(notifier_.calls.empty());
  // The user confirms: logged out. RP-Initiated Logout §4: a hint that
  // failed validation means no post-logout redirection, whatever client_id says.
  HttpResponse done = op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", txn}}));
  Absorb(done);
  EXPECT_EQ(done.status, 200);
  EXPECT_FALSE(done.headers.Has("Location"));
  EXPECT_EQ(done.body.find("rp.example/bye"), std::string::npos);
  EXPECT_FALSE(SessionAlive());
  EXPECT_EQ(notifier_.calls.size(), 1u);
  // The confirmation is single-use.
  EXPECT_EQ(op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", txn}})).status, 400);
}

// RP-Initiated Logout §2, §4: a tampered, foreign-issuer or unsigned hint
// fails validation; with or without a session, with client_id or not, the
// OP then performs no post-logout redirection at all.
TEST_F(LogoutTest, FailedHintNeverRedirects) {
  auto t = LoginTokens();
  std::string tampered = t["id_token"];
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  nlohmann::json payload = VerifyOurJwt(t["id_token"]);
  nlohmann::json foreign_payload = payload;
  foreign_payload["iss"] = "https://evil.test";
  std::string foreign = SignJwt(*rsa_key_, JwsAlg::kRS256, foreign_payload).value();
  std::string none = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                     Base64UrlEncode(payload.dump()) + ".";
  for (const std::string& hint : {tampered, foreign, none}) {
    for (bool with_session : {true, false}) {
      SCOPED_TRACE(hint.substr(0, 20) + (with_session ? " with session" : " without session"));
      if (with_session) LoginTokens();  // a live session (the previous round ended it)
      auto saved = jar_;
      if (!with_session) jar_.clear();
      HttpResponse r = Logout({{"id_token_hint", hint}, {"client_id", "rp"},
                               {"post_logout_redirect_uri", "https://rp.example/bye"}, {"state", "s3"}});
      EXPECT_NE(r.status, 302);
      EXPECT_FALSE(r.headers.Has("Location"));
      EXPECT_EQ(r.body.find("rp.example/bye"), std::string::npos);
      if (with_session) {
        std::string txn = ConfirmTxn(r);
        ASSERT_FALSE(txn.empty()) << r.body;
        HttpResponse done = op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", txn}}));
        EXPECT_FALSE(done.headers.Has("Location"));
        EXPECT_EQ(done.body.find("rp.example/bye"), std::string::npos);
      }
      jar_ = saved;
    }
  }
  // client_id that is not an audience of a valid hint fails validation too.
  HttpResponse mismatch = Logout({{"id_token_hint", t["id_token"]}, {"client_id", "other"},
                                  {"post_logout_redirect_uri", "https://rp.example/bye"}});
  EXPECT_FALSE(mismatch.headers.Has("Location"));
}

// The confirmation form ends only the session it was shown for: a txn
// obtained elsewhere (by an attacker for their own session) and posted from
// a browser holding another session must not end that session.
TEST_F(LogoutTest, ConfirmationIsBoundToItsSession) {
  OidcClient rp2 = ConfidentialClient("rp2");
  rp2.post_logout_redirect_uris = {"https://rp.example/bye"};
  Register(rp2);
  LoginTokens();
  HttpResponse attacker = Logout({{"client_id", "rp2"}, {"post_logout_redirect_uri", "https://rp.example/bye"}});
  std::string txn = ConfirmTxn(attacker);
  ASSERT_FALSE(txn.empty());
  jar_.clear();  // the victim's browser, with a session of its own
  LoginTokens();
  ASSERT_TRUE(SessionAlive());
  size_t notified = notifier_.calls.size();
  HttpResponse r = op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", txn}}));
  Absorb(r);
  EXPECT_FALSE(ClearsSessionCookie(r));
  EXPECT_FALSE(r.headers.Has("Location"));
  EXPECT_TRUE(SessionAlive());
  EXPECT_EQ(notifier_.calls.size(), notified);
}

// Invalid UTF-8 in any parameter is a 400 page, never a 500 (OAuth 2.0
// parameters are UTF-8, RFC 6749 Appendix B) and never a redirect.
TEST_F(LogoutTest, InvalidUtf8IsABadRequestPage) {
  auto t = LoginTokens();
  for (const char* name : {"state", "client_id", "ui_locales", "logout_hint", "post_logout_redirect_uri"}) {
    SCOPED_TRACE(name);
    Params p = {{"id_token_hint", t["id_token"]}, {"post_logout_redirect_uri", "https://rp.example/bye"}};
    p.erase(name);
    p.emplace(name, "a\xff\xfe");
    HttpResponse r = Logout(p);
    EXPECT_EQ(r.status, 400);
    EXPECT_FALSE(r.headers.Has("Location"));
    Params q = {{name, "a\xff"}};
    EXPECT_EQ(Logout(q).status, 400);
  }
  EXPECT_TRUE(SessionAlive());
}

TEST_F(LogoutTest, MissingHintAsksForConfirmation) {
  LoginTokens();
  HttpResponse r = Logout({});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(ConfirmTxn(r).empty());
  EXPECT_TRUE(SessionAlive());
  HttpResponse done = op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", ConfirmTxn(r)}}));
  EXPECT_EQ(done.status, 200);  // no redirect address: our logged-out page
  EXPECT_TRUE(ClearsSessionCookie(done));
}

TEST_F(LogoutTest, UnregisteredRedirectIsNotFollowed) {
  auto t = LoginTokens();
  HttpResponse r = Logout({{"id_token_hint", t["id_token"]}, {"post_logout_redirect_uri", "https://evil.example/"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.headers.Has("Location"));
  EXPECT_EQ(r.body.find("evil.example"), std::string::npos);
  EXPECT_FALSE(SessionAlive());  // the hint was valid: logged out anyway
}

TEST_F(LogoutTest, HintOfAnotherSessionOrClientNeedsConfirmation) {
  auto old = LoginTokens();
  Logout({{"id_token_hint", old["id_token"]}});
  LoginTokens();  // a new session in the same browser
  HttpResponse stale = Logout({{"id_token_hint", old["id_token"]}});
  EXPECT_EQ(stale.status, 200);
  EXPECT_FALSE(ConfirmTxn(stale).empty());
  EXPECT_TRUE(SessionAlive());
  // client_id must be an audience of the hint.
  auto t = LoginTokens();
  HttpResponse mismatch = Logout({{"id_token_hint", t["id_token"]}, {"client_id", "spa"}});
  EXPECT_FALSE(ConfirmTxn(mismatch).empty());
  EXPECT_TRUE(SessionAlive());
}

TEST_F(LogoutTest, WithoutSessionAValidRedirectIsStillHonoured) {
  auto t = LoginTokens();
  jar_.clear();
  HttpResponse r = Logout({{"id_token_hint", t["id_token"]}, {"post_logout_redirect_uri", "https://rp.example/bye"},
                           {"state", "z"}});
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(Location(r), "https://rp.example/bye?state=z");
  EXPECT_TRUE(notifier_.calls.empty());
}

TEST_F(LogoutTest, ConfirmRequiresAKnownTransaction) {
  EXPECT_EQ(op_->EndSessionConfirm(PostForm("/logout/confirm", {{"txn", "nope"}})).status, 400);
  EXPECT_EQ(op_->EndSessionConfirm(PostForm("/logout/confirm", {})).status, 400);
}

TEST_F(LogoutTest, CodeIssuedBeforeLogoutCannotBeRedeemedAfter) {
  std::string code = CodeFor(AuthParams());
  LoginTokens();
  auto t = LoginTokens();
  Logout({{"id_token_hint", t["id_token"]}});
  auto r = Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}}));
  EXPECT_EQ(r["error"], "invalid_grant");
}

}  // namespace
}  // namespace certme::testing
