// The development login double (idp/login/dev_authenticator.h).
#include "idp/login/dev_authenticator.h"
#include "store/memory/memory_store.h"

#include <gtest/gtest.h>

namespace certme {
namespace {

class DevAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MemoryStoreOptions mo;
    mo.clock = &clock_;
    store_ = NewMemoryStore(mo);
    dev_ = std::make_unique<DevAuthenticator>(*store_, "https://idp.test/", clock_);
  }
  LoginRequest Request() const {
    LoginRequest r;
    r.txn = "txn-abc_123";
    r.protocol = "oidc";
    r.service_id = "rp";
    r.service_names = {{"ro", "Serviciu <b>"}};
    r.attributes = {"first_name", "idnp", "home_phone"};
    r.resume_url = "https://idp.test/authorize/resume?txn=txn-abc_123";
    r.expires_at = clock_.NowUnixSeconds() + 300;
    return r;
  }
  HttpRequest Page(const std::string& txn) const {
    HttpRequest r;
    r.method = "GET";
    r.path = "/login/dev";
    r.query = {{"txn", txn}};
    return r;
  }
  HttpRequest Submit(const Params& form) const {
    HttpRequest r;
    r.method = "POST";
    r.path = "/login/dev";
    r.form = form;
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    return r;
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DevAuthenticator> dev_;
};

TEST_F(DevAuthenticatorTest, BeginSavesTheRequestAndRedirectsToThePage) {
  HttpResponse r = dev_->Begin(Request());
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers.Get("Location"), "https://idp.test/login/dev?txn=txn-abc_123");
  auto saved = LoadLoginRequest(*store_, "txn-abc_123");
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->service_id, "rp");
}

TEST_F(DevAuthenticatorTest, PageListsIdentitiesInAForm) {
  dev_->Begin(Request());
  HttpResponse r = dev_->LoginPage(Page("txn-abc_123"));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<title>Conectare cu certME — development login</title>"), std::string::npos);
  EXPECT_NE(r.body.find("<form method=\"post\" action=\"https://idp.test/login/dev\">"), std::string::npos);
  EXPECT_NE(r.body.find("<input type=\"hidden\" name=\"txn\" value=\"txn-abc_123\">"), std::string::npos);
  EXPECT_NE(r.body.find("name=\"identity\" value=\"ion\""), std::string::npos);
  EXPECT_NE(r.body.find("name=\"identity\" value=\"maria\""), std::string::npos);
  EXPECT_NE(r.body.find("type=\"submit\""), std::string::npos);
  EXPECT_EQ(r.body.find("<b>"), std::string::npos);  // service name escaped
  EXPECT_TRUE(r.csp.has_value());
}

TEST_F(DevAuthenticatorTest, UnknownOrExpiredTransactionIs400) {
  EXPECT_EQ(dev_->LoginPage(Page("nope")).status, 400);
  dev_->Begin(Request());
  clock_.Advance(std::chrono::seconds(301));
  HttpResponse r = dev_->LoginPage(Page("txn-abc_123"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.find("NotFound"), std::string::npos);
  EXPECT_EQ(dev_->LoginSubmit(Submit({{"txn", "txn-abc_123"}, {"identity", "ion"}})).status, 400);
}

TEST_F(DevAuthenticatorTest, SubmitSavesTheIdentityAndGoesToResume) {
  dev_->Begin(Request());
  HttpResponse r = dev_->LoginSubmit(Submit({{"txn", "txn-abc_123"}, {"identity", "ion"}}));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.headers.Get("Location"), "https://idp.test/authorize/resume?txn=txn-abc_123");
  auto res = TakeLoginResult(*store_, "txn-abc_123");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->subject, "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  EXPECT_EQ(res->acr, "http://eidas.europa.eu/LoA/substantial");
  EXPECT_EQ(res->amr, (std::vector<std::string>{"hwk", "user"}));
  EXPECT_EQ(res->auth_time, clock_.NowUnixSeconds());
  EXPECT_TRUE(res->error.empty());
  // Only the requested attributes the identity has (no home_phone).
  std::map<std::string, std::string> want = {{"first_name", "Ion"}, {"idnp", "2001234567890"}};
  EXPECT_EQ(res->attributes, want);
}

TEST_F(DevAuthenticatorTest, MariaAndRefusal) {
  dev_->Begin(Request());
  dev_->LoginSubmit(Submit({{"txn", "txn-abc_123"}, {"identity", "maria"}}));
  auto res = TakeLoginResult(*store_, "txn-abc_123");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->subject, "0x8ba1f109551bD432803012645Ac136ddd64DBA72");
  EXPECT_EQ(res->attributes.at("first_name"), "Maria");

  HttpResponse r = dev_->LoginSubmit(Submit({{"txn", "txn-abc_123"}, {"action", "refuse"}}));
  EXPECT_EQ(r.status, 302);
  auto refused = TakeLoginResult(*store_, "txn-abc_123");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->error, kLoginErrorRefused);
  EXPECT_TRUE(refused->subject.empty());
}

TEST_F(DevAuthenticatorTest, UnknownIdentityIs400) {
  dev_->Begin(Request());
  EXPECT_EQ(dev_->LoginSubmit(Submit({{"txn", "txn-abc_123"}, {"identity", "mallory"}})).status, 400);
  EXPECT_EQ(TakeLoginResult(*store_, "txn-abc_123").status().code(), StatusCode::kNotFound);
}

TEST_F(DevAuthenticatorTest, IdentitiesMatchTheContract) {
  const auto& ids = DevIdentities();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].attributes.at("idnp"), "2001234567890");
  EXPECT_EQ(ids[0].attributes.at("birth_date"), "1985-04-12");
  EXPECT_EQ(ids[0].attributes.at("gender"), "1");
  EXPECT_EQ(ids[0].attributes.at("email"), "ion.popescu@example.md");
  EXPECT_EQ(ids[0].attributes.at("mobile_phone"), "+37369123456");
  EXPECT_EQ(ids[0].attributes.at("language"), "ro");
  EXPECT_EQ(ids[1].attributes.at("idnp"), "2009876543210");
  EXPECT_EQ(ids[1].attributes.at("birth_date"), "1992-11-03");
  EXPECT_EQ(ids[1].attributes.at("gender"), "2");
  EXPECT_EQ(ids[1].attributes.at("email"), "maria.rusu@example.md");
  EXPECT_EQ(ids[1].attributes.at("mobile_phone"), "+37378111222");
  EXPECT_EQ(ids[1].attributes.at("language"), "ru");
}

TEST_F(DevAuthenticatorTest, RoutesAndMount) {
  struct FakeRouter {
    std::vector<std::pair<std::string, std::string>> routes;
    std::vector<HttpHandler> handlers;
    void Handle(std::string m, std::string p, HttpHandler h) {
      routes.emplace_back(m, p);
      handlers.push_back(std::move(h));
    }
  } router;
  dev_->Mount(router);
  ASSERT_EQ(router.routes.size(), 2u);
  EXPECT_EQ(router.routes[0], (std::pair<std::string, std::string>{"GET", "/login/dev"}));
  EXPECT_EQ(router.routes[1], (std::pair<std::string, std::string>{"POST", "/login/dev"}));
  EXPECT_EQ(router.handlers[0](Page("nope")).status, 400);
}

}  // namespace
}  // namespace certme
