// The JSON API through its handlers (the routes are the same functions).
#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "idp/admin/console.h"
#include "idp/http/router.h"
#include "store/store.h"
#include "store/memory/memory_store.h"

namespace certme::admin {
namespace {

using testing::Catalogue;
using testing::MakeCert;

class AdminApiTest : public ::testing::Test {
 protected:
  AdminApiTest()
      : store_(NewMemoryStore({&clock_})),
        prod_(NewMemoryStore({&clock_})),
        audit_(*store_, clock_),
        accounts_(AccountOptions{.hash = {.memory_kib = 1024, .iterations = 1, .parallelism = 1}}, *store_, audit_,
                  clock_, random_),
        services_(*store_, {"test", "https://t", store_.get()}, Environment{"production", "https://p", prod_.get()},
                  Catalogue(), audit_, clock_, random_),
        console_(ConsoleOptions{}, accounts_, services_, audit_) {
    EXPECT_TRUE(accounts_.CreateUser("cli", "ana", Secret("a long enough password")).ok());
    token_ = accounts_.CreateToken("cli", "ana", "tests")->reveal();
    console_.Mount(router_);
  }

  HttpResponse Call(std::string method, std::string path, std::string body = "", bool auth = true,
                    std::string if_match = "") {
    auto m = router_.Match(method, path.substr(0, path.find('?')));
    EXPECT_EQ(m.status, 0) << method << " " << path;
    if (m.status != 0) return HttpResponse::Text(m.status, "");
    HttpRequest req;
    req.method = method;
    req.path = path.substr(0, path.find('?'));
    if (auto q = path.find('?'); q != std::string::npos) req.query = *ParseUrlEncoded(path.substr(q + 1));
    req.path_params = m.path_params;
    req.body = body;
    req.headers.Set("content-type", "application/json");
    if (auth) req.headers.Set("authorization", "Bearer " + token_);
    if (!if_match.empty()) req.headers.Set("if-match", if_match);
    return (*m.handler)(req);
  }

  nlohmann::json Oidc() {
    return {{"protocol", "oidc"},
            {"technical_contact", "it@rp.example"},
            {"names", {{"ro", "Serviciu"}, {"ru", "Служба"}, {"en", "<script>alert(1)</script>"}}},
            {"description", "Test service."},
            {"certificate", CertA().pem},
            {"attributes", {"idnp", "first_name"}},
            {"contract_number", "C-1"},
            {"contract_date", "2026-01-15"},
            {"redirect_uris", {"https://rp.example/cb"}}};
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_, prod_;
  AuditLog audit_;
  AdminAccounts accounts_;
  ServiceAdmin services_;
  AdminConsole console_;
  Router router_;
  std::string token_;
  // Made on first use only: every ctest case is its own process.
  static const testing::TestCert& CertA() {
    static const testing::TestCert c = MakeCert("a");
    return c;
  }
  static const testing::TestCert& CertB() {
    static const testing::TestCert c = MakeCert("b");
    return c;
  }
};

TEST_F(AdminApiTest, EveryRouteWantsABearerToken) {
  for (auto [m, p] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/admin/api/v1/services"}, {"POST", "/admin/api/v1/services"},
           {"GET", "/admin/api/v1/services/x"}, {"DELETE", "/admin/api/v1/services/x"},
           {"POST", "/admin/api/v1/services/x/promote"}, {"POST", "/admin/api/v1/services/x/environments/test/disable"},
           {"GET", "/admin/api/v1/audit"}, {"GET", "/admin/api/v1/attributes"}, {"POST", "/admin/api/v1/tokens"},
           {"GET", "/admin/api/v1/tokens"}, {"DELETE", "/admin/api/v1/tokens/abc"},
           {"GET", "/admin/api/v1/services/x/promotion-request"},
           {"POST", "/admin/api/v1/services/x/promotion-request/approve"},
           {"DELETE", "/admin/api/v1/services/x/promotion-request"}}) {
    auto r = Call(m, p, "{}", false);
    EXPECT_EQ(r.status, 401) << m << " " << p;
    EXPECT_TRUE(r.headers.Has("www-authenticate"));
  }
}

TEST_F(AdminApiTest, RegisterPromoteDisableAudit) {
  auto created = Call("POST", "/admin/api/v1/services", Oidc().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  auto j = nlohmann::json::parse(created.body);
  std::string id = j["service"]["id"];
  EXPECT_EQ(j["client_secret"].get<std::string>().size(), 43u);
  EXPECT_EQ(j["service"]["test"]["definition"]["client_secret_sha256"], "[redacted]");
  EXPECT_EQ(j["service"]["names"]["en"], "<script>alert(1)</script>");

  auto got = Call("GET", "/admin/api/v1/services/" + id);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body.find(j["client_secret"].get<std::string>()), std::string::npos);

  auto same_cert = Call("POST", "/admin/api/v1/services/" + id + "/promote",
                        nlohmann::json{{"certificate", CertA().pem}, {"approved", true}}.dump());
  EXPECT_EQ(same_cert.status, 400);
  EXPECT_TRUE(nlohmann::json::parse(same_cert.body)["fields"].contains("certificate"));
  auto promoted = Call("POST", "/admin/api/v1/services/" + id + "/promote",
                       nlohmann::json{{"certificate", CertB().pem}, {"approved", true}}.dump());
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_TRUE(NewStoreClientRegistry(*prod_)->Get(id).ok());

  auto off = Call("POST", "/admin/api/v1/services/" + id + "/environments/production/disable");
  EXPECT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(NewStoreClientRegistry(*prod_)->Get(id).ok());
  EXPECT_EQ(Call("POST", "/admin/api/v1/services/" + id + "/environments/staging/disable").status, 404);
  EXPECT_EQ(Call("POST", "/admin/api/v1/services/" + id + "/environments/test/rotate-secret").status, 200);

  // API changes name the token that made them.
  EXPECT_NE(promoted.body.find("\"approved_by\":\"ana (API token "), std::string::npos) << promoted.body;
  auto audit = Call("GET", "/admin/api/v1/audit?format=csv");
  EXPECT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find("service.promote"), std::string::npos);
  auto jsonl = Call("GET", "/admin/api/v1/audit");
  size_t lines = std::count(jsonl.body.begin(), jsonl.body.end(), '\n');
  EXPECT_EQ(lines, 6u);  // user.create, token.create, service.create, promote, disable, rotate-secret
  EXPECT_EQ(Call("DELETE", "/admin/api/v1/services/" + id).status, 204);
  EXPECT_EQ(Call("GET", "/admin/api/v1/services/" + id).status, 404);
}

TEST_F(AdminApiTest, EditWithETagAndConflict) {
  auto created = Call("POST", "/admin/api/v1/services", Oidc().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = nlohmann::json::parse(created.body)["service"]["id"];
  auto got = Call("GET", "/admin/api/v1/services/" + id);
  ASSERT_EQ(got.status, 200);
  std::string etag = got.headers.Get("etag").value_or("");
  EXPECT_EQ(etag, "\"v1\"");

  nlohmann::json body = Oidc();
  body.erase("certificate");
  body["description"] = "Edited through the API.";
  body["authorization_response_iss"] = false;
  const std::string path = "/admin/api/v1/services/" + id + "/environments/test";
  // No version at all: refused, nothing changes.
  auto unversioned = Call("PUT", path, body.dump());
  EXPECT_EQ(unversioned.status, 400);
  EXPECT_TRUE(nlohmann::json::parse(unversioned.body)["fields"].contains("version"));

  auto edited = Call("PUT", path, body.dump(), true, etag);
  ASSERT_EQ(edited.status, 200) << edited.body;
  auto ej = nlohmann::json::parse(edited.body);
  EXPECT_EQ(ej["service"]["description"], "Edited through the API.");
  EXPECT_FALSE(ej.contains("client_secret"));
  EXPECT_EQ(edited.headers.Get("etag").value_or(""), "\"v2\"");
  EXPECT_FALSE(NewStoreClientRegistry(*store_)->Get(id)->authorization_response_iss);

  // A second editor still holding v1 gets a conflict, not a lost update.
  body["description"] = "Stale edit.";
  auto stale = Call("PUT", path, body.dump(), true, etag);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(nlohmann::json::parse(stale.body)["error"], "conflict");
  body["version"] = 2;
  body["redirect_uris"] = {"not a url"};
  auto invalid = Call("PUT", path, body.dump());
  EXPECT_EQ(invalid.status, 400);
  EXPECT_TRUE(nlohmann::json::parse(invalid.body)["fields"].contains("redirect_uris"));
  EXPECT_EQ(Call("PUT", path, body.dump(), true, "W/\"garbage").status, 400);
  EXPECT_EQ(Call("PUT", "/admin/api/v1/services/" + id + "/environments/staging", body.dump()).status, 404);
  EXPECT_EQ(Call("PUT", path, body.dump(), false).status, 401);
  EXPECT_EQ(Call("GET", "/admin/api/v1/services/" + id).headers.Get("etag").value_or(""), "\"v2\"");
}

TEST_F(AdminApiTest, MsignServicesThroughTheApi) {
  nlohmann::json body = Oidc();
  body["token_endpoint_auth_method"] = "private_key_jwt";
  body["msign"] = {{"contract_number", "MS-7"}, {"contract_date", "2026-06-01"},
                   {"ip_allow", {"192.0.2.0/28", "2001:db8::7"}}, {"signer_types", "person"}};
  auto created = Call("POST", "/admin/api/v1/services", body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = nlohmann::json::parse(created.body)["service"]["id"];
  auto got = nlohmann::json::parse(created.body)["service"];
  EXPECT_EQ(got["test"]["definition"]["msign"],
            (nlohmann::json{{"contract_number", "MS-7"}, {"contract_date", "2026-06-01"},
                            {"ip_allow", {"192.0.2.0/28", "2001:db8::7"}}, {"signer_types", "person"}}));
  ASSERT_TRUE(NewStoreClientRegistry(*store_)->Get(id)->msign.has_value());

  // Promotion with production's own addresses.
  auto promoted = Call("POST", "/admin/api/v1/services/" + id + "/promote",
                       nlohmann::json{{"certificate", CertB().pem}, {"approved", true},
                                      {"msign", {{"ip_allow", {"198.51.100.9"}}}}}
                           .dump());
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(NewStoreClientRegistry(*prod_)->Get(id)->msign->ip_allow, std::vector<std::string>{"198.51.100.9"});

  // Errors name the fields; a secret-based client cannot take MSign.
  body["token_endpoint_auth_method"] = "client_secret_basic";
  body["msign"]["ip_allow"] = {"192.0.2.1/24"};
  body["msign"]["signer_types"] = "anyone";
  auto bad = Call("POST", "/admin/api/v1/services", body.dump());
  EXPECT_EQ(bad.status, 400);
  auto fields = nlohmann::json::parse(bad.body)["fields"];
  EXPECT_EQ(fields["msign"], "MSign needs the client to authenticate with private_key_jwt or tls_client_auth");
  EXPECT_EQ(fields["msign_ip_allow"], "\"192.0.2.1/24\": host bits are set after the prefix; the block is 192.0.2.0/24");
  EXPECT_EQ(fields["msign_signer_types"], "person, organization or both");
  body["msign"] = "yes";
  auto typed = Call("POST", "/admin/api/v1/services", body.dump());
  EXPECT_EQ(typed.status, 400);
  EXPECT_EQ(nlohmann::json::parse(typed.body)["fields"]["msign"], "must be an object, or null for none");
}

TEST_F(AdminApiTest, TokensAreListedAndRevocable) {
  std::string second = accounts_.CreateToken("ana", "ana", "second")->reveal();
  auto list = nlohmann::json::parse(Call("GET", "/admin/api/v1/tokens").body)["tokens"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(Call("GET", "/admin/api/v1/tokens").body.find(second), std::string::npos);
  std::string id;
  for (const auto& t : list) {
    EXPECT_TRUE(t["expires"].is_string()) << t;
    EXPECT_EQ(t["scopes"], nlohmann::json({"read", "write", "promote"}));
    if (t["name"] == "second") id = t["id"];
  }
  EXPECT_EQ(Call("DELETE", "/admin/api/v1/tokens/" + id).status, 204);
  EXPECT_EQ(Call("DELETE", "/admin/api/v1/tokens/000000000000").status, 404);
  EXPECT_EQ(accounts_.Authenticate(second).status().code(), StatusCode::kUnauthenticated);
}

TEST_F(AdminApiTest, MalformedBodiesGetClearErrors) {
  EXPECT_EQ(Call("POST", "/admin/api/v1/services", "not json").status, 400);
  EXPECT_EQ(Call("POST", "/admin/api/v1/services", "[1]").status, 400);
  EXPECT_EQ(Call("POST", "/admin/api/v1/services", std::string(100, '[') + std::string(100, ']')).status, 400);
  auto typed = Call("POST", "/admin/api/v1/services", R"({"protocol": 7, "redirect_uris": "x"})");
  EXPECT_EQ(typed.status, 400);
  auto f = nlohmann::json::parse(typed.body)["fields"];
  EXPECT_TRUE(f.contains("protocol"));
  EXPECT_TRUE(f.contains("redirect_uris"));
  auto empty = Call("POST", "/admin/api/v1/services", "{}");
  EXPECT_EQ(empty.status, 400);
  EXPECT_GE(nlohmann::json::parse(empty.body)["fields"].size(), 5u);
}

}  // namespace
}  // namespace certme::admin
