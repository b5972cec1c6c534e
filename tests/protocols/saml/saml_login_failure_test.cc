// SAML IdP: the wallet login's failure endings ("back to the service")
// answer the service with a signed error Response to its registered ACS
// (SAML Core §3.2.2.2), and an expired login answers nothing.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocols/login.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/pages.h"
#include "protocols/saml/records.h"
#include "protocols/saml/vocabulary.h"
#include "tests/protocols/saml/saml_fixture.h"
#include "tests/store/failing_store.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

class SamlLoginFailureTest : public SamlIdpTest {
 protected:
  // Starts a login for AuthnRequest `id`, ends it with `error` and returns
  // the IdP's answer to the browser coming back.
  HttpResponse FailLogin(const std::string& id, const std::string& error) {
    HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml(id, Now()), *sp_key_)));
    EXPECT_EQ(begin.status, 302) << begin.body;
    if (auth_.requests.empty()) {
      ADD_FAILURE() << "no login was started";
      return {};
    }
    LoginResult res;
    res.txn = auth_.requests.back().txn;
    res.error = error;
    EXPECT_TRUE(SaveLoginResult(*store_, res, 60).ok());
    HttpRequest resume;
    resume.method = "GET";
    resume.path = "/saml/resume";
    resume.query = {{"txn", res.txn}};
    resume.cookies["certme_saml_browser"] = CookieOf(begin, "certme_saml_browser");
    return idp_->Resume(resume);
  }

  static std::string MessageOf(const std::string& xml) {
    auto b = xml.find("<samlp:StatusMessage>");
    auto e = xml.find("</samlp:StatusMessage>");
    if (b == std::string::npos || e == std::string::npos) return {};
    b += std::string("<samlp:StatusMessage>").size();
    return xml.substr(b, e - b);
  }

  // Checks the Response of `r` against the expected codes and message.
  void ExpectError(const HttpResponse& r, const std::string& request_id, std::string_view sub,
                   const std::string& message) {
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("action=\"https://sp.example/acs\""), std::string::npos);
    EXPECT_NE(r.body.find("name=\"RelayState\" value=\"rs-1\""), std::string::npos);
    std::string xml = ResponseXml(r);
    ASSERT_FALSE(xml.empty());
    std::string got_sub;
    EXPECT_EQ(StatusOf(xml, &got_sub), kStatusResponder);  // verifies the signature too
    EXPECT_EQ(got_sub, std::string(sub));
    EXPECT_NE(xml.find("InResponseTo=\"" + request_id + "\""), std::string::npos);
    EXPECT_NE(xml.find("Destination=\"https://sp.example/acs\""), std::string::npos);
    EXPECT_EQ(MessageOf(xml), message);
    // No assertion and nothing internal (the login's error code, the txn).
    EXPECT_EQ(xml.find("Assertion"), std::string::npos);
    EXPECT_EQ(xml.find("login error"), std::string::npos);
    EXPECT_EQ(xml.find(auth_.requests.back().txn), std::string::npos);
    // No session was opened.
    EXPECT_TRUE(CookieOf(r, std::string(kSessionCookie)).empty());
  }
};

TEST_F(SamlLoginFailureTest, RefusalIsRequestDenied) {
  ExpectError(FailLogin("_refused", kLoginErrorRefused), "_refused", kStatusRequestDenied,
              "the user refused to log in");
}

TEST_F(SamlLoginFailureTest, RevokedEidIsRequestDenied) {
  ExpectError(FailLogin("_revoked", kLoginErrorEidRevoked), "_revoked", kStatusRequestDenied,
              "the user's eID is revoked");
}

TEST_F(SamlLoginFailureTest, SuspendedEidIsRequestDenied) {
  ExpectError(FailLogin("_suspended", kLoginErrorEidSuspended), "_suspended", kStatusRequestDenied,
              "the user's eID is suspended");
}

// The service's provider account is not authorized on the ledger.
TEST_F(SamlLoginFailureTest, UnauthorizedServiceIsRequestDenied) {
  ExpectError(FailLogin("_unauthorized", kLoginErrorServiceNotAuthorized), "_unauthorized", kStatusRequestDenied,
              "this service is not authorized to log users in");
}

TEST_F(SamlLoginFailureTest, ValidatorTimeoutIsResponderAlone) {
  ExpectError(FailLogin("_timeout", kLoginErrorValidatorTimeout), "_timeout", "",
              "the identity could not be confirmed in time; try again later");
}

TEST_F(SamlLoginFailureTest, OtherFailureIsAuthnFailed) {
  ExpectError(FailLogin("_other", "failed"), "_other", kStatusAuthnFailed, "the user did not log in");
}

// An expired login has no link back to the service (the wallet login offers
// a new code): a browser that comes back anyway, after the login's result
// is gone, gets the "login expired" page and no Response.
TEST_F(SamlLoginFailureTest, ExpiredLoginAnswersNoResponse) {
  HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml("_expired", Now()), *sp_key_)));
  ASSERT_EQ(begin.status, 302) << begin.body;
  ASSERT_EQ(auth_.requests.size(), 1u);
  HttpRequest resume;
  resume.method = "GET";
  resume.path = "/saml/resume";
  resume.query = {{"txn", auth_.requests[0].txn}};
  resume.cookies["certme_saml_browser"] = CookieOf(begin, "certme_saml_browser");
  HttpResponse r = idp_->Resume(resume);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(ResponseXml(r).empty());
}

// The result is taken once: coming back a second time after a failure
// answers no second Response.
TEST_F(SamlLoginFailureTest, FailureIsAnsweredOnce) {
  HttpResponse first = FailLogin("_once", kLoginErrorEidRevoked);
  ASSERT_FALSE(ResponseXml(first).empty());
  HttpRequest again;
  again.method = "GET";
  again.path = "/saml/resume";
  again.query = {{"txn", auth_.requests.back().txn}};
  HttpResponse r = idp_->Resume(again);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(ResponseXml(r).empty());
}

// A store outage while taking back the login is a temporary server error
// (503 with Retry-After and the generic server-error page), never the
// "login expired" page, and answers the service nothing: the login is not
// lost, the user may retry.
TEST_F(SamlLoginFailureTest, StoreFailureOnResumeIsA503NotLoginExpired) {
  auto failing = std::make_unique<certme::testing::FailingStore>(std::move(store_));
  certme::testing::FailingStore& store = *failing;
  store_ = std::move(failing);
  MakeIdp(nullptr);
  HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml("_outage", Now()), *sp_key_)));
  ASSERT_EQ(begin.status, 302) << begin.body;
  store.Fail(certme::testing::FailingStore::Op::kConsume, "login_result");
  HttpResponse r = FinishLogin(begin, {{"idnp", "2000000000001"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.Get("Retry-After"), "5");
  EXPECT_TRUE(ResponseXml(r).empty());
  EXPECT_EQ(r.body, SamlErrorPage(503, "ro", SamlPage::kServerError).body);
  EXPECT_NE(r.body, SamlErrorPage(503, "ro", SamlPage::kLoginExpired).body);

  // The pending request is unreadable too: the same answer.
  store.Fail(certme::testing::FailingStore::Op::kGet, kAuthnNs);
  HttpRequest again;
  again.method = "GET";
  again.path = "/saml/resume";
  again.query = {{"txn", auth_.requests.back().txn}};
  again.cookies["certme_saml_browser"] = CookieOf(begin, "certme_saml_browser");
  HttpResponse r2 = idp_->Resume(again);
  EXPECT_EQ(r2.status, 503);
  EXPECT_EQ(r2.headers.Get("Retry-After"), "5");
  EXPECT_EQ(r2.body, r.body);

  // Once the store is back the login finishes with a Response.
  store.Heal();
  HttpResponse done = idp_->Resume(again);
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_FALSE(ResponseXml(done).empty());
}

}  // namespace
}  // namespace certme::saml
