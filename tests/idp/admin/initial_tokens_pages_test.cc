// The console's face of dynamic registration: the initial access tokens
// page (operators issue and revoke, the token shown once, CSRF), the API
// (scope write to issue, read to list), and the "registered dynamically"
// mark in the service list.
#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "idp/admin/dynamic_registration.h"
#include "pages_fixture.h"

namespace certme::admin {
namespace {

class InitialTokensPagesTest : public testing::AdminPagesTest {
 protected:
  InitialTokensPagesTest() {
    EXPECT_TRUE(accounts_.CreateUser("cli", "vera", Secret("a long enough password"), Role::kViewer).ok());
  }
  HttpRequest Form(std::multimap<std::string, std::string> fields) {
    HttpRequest req;
    req.form = {fields.begin(), fields.end()};
    req.form.emplace("csrf", Csrf());
    return req;
  }
  HttpResponse Api(const std::string& method, const std::string& path, const std::string& token,
                   const std::string& body = "") {
    HttpRequest req;
    req.headers.Set("authorization", "Bearer " + token);
    if (!body.empty()) {
      req.headers.Set("content-type", "application/json");
      req.body = body;
    }
    std::string saved = cookie_;
    cookie_.clear();
    HttpResponse r = Call(method, path, req);
    cookie_ = saved;
    return r;
  }
  InitialAccessTokens Tokens() { return InitialAccessTokens(*store_, audit_, clock_, random_); }
};

TEST_F(InitialTokensPagesTest, AnOperatorIssuesATokenShownOnceAndRevokesIt) {
  SignInOk();
  auto r = Call("POST", "/admin/initial-tokens",
                Form({{"name", "partner"}, {"uses", "2"}, {"ttl", "1d"}, {"grant_types", "authorization_code"},
                      {"redirect_uri_prefixes", "https://partner.example/\r\n\r\n"}}));
  ASSERT_EQ(r.status, 303) << r.body;
  auto page = Follow(r);
  ASSERT_EQ(page.status, 200);
  size_t at = page.body.find("iat_");
  ASSERT_NE(at, std::string::npos) << page.body;
  const std::string token = page.body.substr(at, page.body.find('<', at) - at);
  EXPECT_NE(page.body.find("2 of 2 left"), std::string::npos);
  EXPECT_NE(page.body.find("https://partner.example/"), std::string::npos);
  // Stored hashed, with its policy; a second view does not show it again.
  auto checked = Tokens().Check(token);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->policy.grant_types, std::vector<std::string>{"authorization_code"});
  EXPECT_EQ(checked->policy.redirect_uri_prefixes, std::vector<std::string>{"https://partner.example/"});
  EXPECT_EQ(Follow(r).body.find(token), std::string::npos);
  EXPECT_FALSE(store_->Get("admin_initial_token", token).ok());
  // Revoke from the page.
  auto revoke = Call("POST", "/admin/initial-tokens/" + checked->id + "/revoke", Form({}));
  ASSERT_EQ(revoke.status, 303) << revoke.body;
  EXPECT_FALSE(Tokens().Check(token).ok());
}

TEST_F(InitialTokensPagesTest, RefusedFormsStoreNothing) {
  SignInOk();
  HttpRequest forged;
  forged.form = {{"csrf", "forged"}, {"name", "x"}};
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", forged).status, 403);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", Form({{"name", "x"}, {"uses", "0"}})).status, 400);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", Form({{"name", "x"}, {"uses", "many"}})).status, 400);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", Form({{"name", "x"}, {"ttl", "400d"}})).status, 400);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens",
                 Form({{"name", "x"}, {"redirect_uri_prefixes", "http://partner.example/"}})).status,
            400);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", Form({{"name", "x"}, {"grant_types", "password"}})).status, 400);
  EXPECT_TRUE(Tokens().List()->empty());
  // A viewer sees the page but cannot issue.
  SignInOk("vera");
  EXPECT_EQ(Call("GET", "/admin/initial-tokens").status, 200);
  EXPECT_EQ(Call("POST", "/admin/initial-tokens", Form({{"name", "x"}})).status, 403);
  EXPECT_TRUE(Tokens().List()->empty());
}

TEST_F(InitialTokensPagesTest, TheApiIssuesWithWriteAndListsWithRead) {
  auto writer = accounts_.CreateToken("cli", "ana", "ci", {.scopes = {"read", "write"}});
  auto reader = accounts_.CreateToken("cli", "vera", "ci", {.scopes = {"read"}});
  ASSERT_TRUE(writer.ok() && reader.ok());
  const std::string path = "/admin/api/v1/initial-access-tokens";
  const std::string body = R"({"name": "partner", "uses": 3, "ttl": "2h", "policy": {"auth_methods": ["none"]}})";
  EXPECT_EQ(Api("POST", path, reader->reveal(), body).status, 403);
  EXPECT_EQ(Api("POST", path, writer->reveal(), R"({"name": "x", "uses": 0})").status, 400);
  EXPECT_EQ(Api("POST", path, writer->reveal(), R"({"name": "x", "policy": {"grant_types": ["implicit"]}})").status,
            400);
  EXPECT_TRUE(Tokens().List()->empty());
  auto made = Api("POST", path, writer->reveal(), body);
  ASSERT_EQ(made.status, 201) << made.body;
  auto j = nlohmann::json::parse(made.body);
  const std::string token = j["token"];
  EXPECT_EQ(j["initial_access_token"]["uses_left"], 3);
  EXPECT_TRUE(Tokens().Check(token).ok());
  auto list = Api("GET", path, reader->reveal());
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  EXPECT_NE(list.body.find(j["initial_access_token"]["id"].get<std::string>()), std::string::npos);
  EXPECT_EQ(Api("DELETE", path + "/" + j["initial_access_token"]["id"].get<std::string>(), reader->reveal()).status,
            403);
  EXPECT_EQ(Api("DELETE", path + "/" + j["initial_access_token"]["id"].get<std::string>(), writer->reveal()).status,
            204);
  EXPECT_FALSE(Tokens().Check(token).ok());
}

TEST_F(InitialTokensPagesTest, ADynamicallyRegisteredClientIsMarkedInTheConsole) {
  OidcClient c;
  c.redirect_uris = {"https://partner.example/cb"};
  c.names = {{"en", "Partner app"}};
  auto made = services_.CreateDynamic("dynamic registration (initial access token abc)", c, Sha256Hex("rat"), "abc",
                                      RegistrationPolicy{}.ToJson());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  SignInOk("vera");
  auto list = Call("GET", "/admin/services");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("registered dynamically"), std::string::npos);
  auto page = Call("GET", "/admin/services/" + made->record.id);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Registered dynamically"), std::string::npos);
  EXPECT_EQ(page.body.find(Sha256Hex("rat")), std::string::npos);
}

}  // namespace
}  // namespace certme::admin
