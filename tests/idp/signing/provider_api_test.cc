// The provider sign API (idp/signing/provider_api.h) with a stand-in for
// the OIDC client authentication: the order of the checks (nothing is
// parsed before the client is authenticated and its address allowed), the
// MSign registration (enabled, addresses and CIDR ranges, signer types),
// the return URL, ownership of a request, and the states a provider reads.
#include "idp/signing/provider_api.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "store/memory/memory_store.h"

namespace certme::signing {
namespace {

using nlohmann::json;

class ProviderApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore({.clock = &clock_});
    signs_ = std::make_unique<SignStore>(*store_, clock_, random_);
    OidcClient a;
    a.client_id = "rp-a";
    a.token_endpoint_auth_method = "private_key_jwt";
    a.redirect_uris = {"https://rp-a.example/signed"};
    a.msign = MsignSettings{"C-1", "2026-01-01", {"192.0.2.7", "10.1.0.0/16", "2001:db8::/32"},
                            MsignSettings::SignerTypes::kPerson};
    clients_["rp-a"] = a;
    OidcClient b = a;
    b.client_id = "rp-b";
    b.msign->signer_types = MsignSettings::SignerTypes::kBoth;
    clients_["rp-b"] = b;
    OidcClient c = a;
    c.client_id = "rp-nomsign";
    c.msign.reset();
    clients_["rp-nomsign"] = c;
    api_ = std::make_unique<ProviderApi>(
        ProviderApiOptions{"https://bridge.example"}, *signs_,
        [this](const HttpRequest& req, std::string_view) -> OidcOr<OidcClient> {
          ++auth_calls_;
          auto it = clients_.find(req.headers.Get("Test-Client").value_or(""));
          if (it == clients_.end())
            return OidcError::Make("invalid_client", "client authentication failed", "unknown", 401);
          return it->second;
        },
        [](const OidcClient&, const VerifyRequest& v) -> ApiOr<json> { return json{{"hash_alg", v.hash_alg}}; });
  }

  HttpRequest Req(std::string method, std::string client, std::string ip, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.client_ip = std::move(ip);
    if (!client.empty()) r.headers.Set("Test-Client", client);
    r.headers.Set("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
  }

  static json NewRequest() {
    return {{"items", {{{"name", "a.txt"}, {"hash_alg", "S256"}, {"digest", Base64UrlEncode(std::string(32, 'a'))}}}},
            {"description", {{"en", "A contract"}}},
            {"signer", {{"idnp", "2002000000001"}}},
            {"return_url", "https://rp-a.example/signed"},
            {"relay_state", "r-1"}};
  }

  HttpResponse Create(const std::string& client, const std::string& ip, const json& body = NewRequest()) {
    return api_->Create(Req("POST", client, ip, body.dump()));
  }
  static std::string ErrorOf(const HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("error", "") : "";
  }
  HttpResponse Get(const std::string& client, const std::string& id, bool signatures = false) {
    HttpRequest r = Req("GET", client, "192.0.2.7");
    r.path_params = {{"id", id}};
    return signatures ? api_->Signatures(r) : api_->Status(r);
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<SignStore> signs_;
  std::map<std::string, OidcClient> clients_;
  std::unique_ptr<ProviderApi> api_;
  int auth_calls_ = 0;
};

TEST_F(ProviderApiTest, CreatesAPendingRequestWithItsSigningPage) {
  HttpResponse r = Create("rp-a", "192.0.2.7");
  ASSERT_EQ(r.status, 201) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "pending");
  std::string id = j["id"];
  EXPECT_EQ(j["sign_url"], "https://bridge.example/sign/" + id);
  EXPECT_EQ(r.headers.Get("Location").value_or(""), "https://bridge.example/sign/v1/requests/" + id);
  HttpResponse st = Get("rp-a", id);
  ASSERT_EQ(st.status, 200);
  EXPECT_EQ(json::parse(st.body)["status"], "pending");
  // No signatures yet.
  HttpResponse sigs = Get("rp-a", id, true);
  EXPECT_EQ(sigs.status, 409);
  EXPECT_EQ(ErrorOf(sigs), "not_signed");
  // Expired after its lifetime (default 600 s).
  clock_.Advance(std::chrono::seconds(601));
  EXPECT_EQ(json::parse(Get("rp-a", id).body)["status"], "expired");
}

TEST_F(ProviderApiTest, AddressesOutsideTheAllowlistAreRefusedBeforeParsing) {
  // Addresses and CIDR ranges, IPv4 and IPv6.
  EXPECT_EQ(Create("rp-a", "10.1.200.3").status, 201);
  EXPECT_EQ(Create("rp-a", "2001:db8::5").status, 201);
  for (const char* ip : {"192.0.2.8", "10.2.0.1", "2001:db9::1", "", "junk"}) {
    HttpResponse r = api_->Create(Req("POST", "rp-a", ip, "{not json"));
    EXPECT_EQ(r.status, 403) << ip;
    EXPECT_EQ(ErrorOf(r), "forbidden");
    EXPECT_NE(r.body.find("not among the service's registered MSign addresses"), std::string::npos) << r.body;
  }
  // MSign not enabled for the service.
  HttpResponse r = Create("rp-nomsign", "192.0.2.7");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not enabled"), std::string::npos);
}

TEST_F(ProviderApiTest, UnauthenticatedRequestsAreRefusedBeforeAnythingElse) {
  // A large, malformed body from nobody: 401, not a parse error.
  HttpResponse r = api_->Create(Req("POST", "", "192.0.2.7", std::string(1000, '[')));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorOf(r), "invalid_client");
  EXPECT_EQ(r.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
  // Over the body limit: refused before authentication is even tried.
  int before = auth_calls_;
  r = api_->Create(Req("POST", "rp-a", "192.0.2.7", std::string(kMaxRequestBodyBytes + 1, ' ')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(auth_calls_, before);
}

TEST_F(ProviderApiTest, ReturnUrlSignerTypeAndBodyAreChecked) {
  json bad = NewRequest();
  bad["return_url"] = "https://evil.example/signed";
  HttpResponse r = Create("rp-a", "192.0.2.7", bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("return_url is not among the service's registered redirect URIs"), std::string::npos);
  json org = NewRequest();
  org["signer"] = {{"type", "organization"}, {"idnp", "2002000000001"}, {"idno", "1003600000001"}};
  r = Create("rp-a", "192.0.2.7", org);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("signer.type organization"), std::string::npos);
  EXPECT_EQ(Create("rp-b", "192.0.2.7", org).status, 201);
  json digest = NewRequest();
  digest["items"][0]["digest"] = Base64UrlEncode(std::string(20, 'a'));
  r = Create("rp-a", "192.0.2.7", digest);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("items[0].digest"), std::string::npos);
  HttpRequest form = Req("POST", "rp-a", "192.0.2.7", NewRequest().dump());
  form.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(api_->Create(form).status, 400);
}

TEST_F(ProviderApiTest, AnotherClientsRequestDoesNotExistForIt) {
  HttpResponse r = Create("rp-a", "192.0.2.7");
  std::string id = json::parse(r.body)["id"];
  EXPECT_EQ(Get("rp-b", id).status, 404);
  EXPECT_EQ(Get("rp-b", id, true).status, 404);
  EXPECT_EQ(Get("rp-a", "no-such-id").status, 404);
  EXPECT_EQ(ErrorOf(Get("rp-b", id)), "not_found");
}

TEST_F(ProviderApiTest, VerifyParsesThenAsksTheVerifier) {
  json v = {{"signature", {{"protected", Base64UrlEncode("{}")}, {"payload", ""},
                           {"signature", Base64UrlEncode(std::string(64, 's'))}}},
            {"hash_alg", "S384"}, {"digest", Base64UrlEncode(std::string(48, 'd'))}};
  HttpResponse r = api_->Verify(Req("POST", "rp-a", "192.0.2.7", v.dump()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["hash_alg"], "S384");
  EXPECT_EQ(api_->Verify(Req("POST", "rp-a", "198.51.100.1", v.dump())).status, 403);
  v["digest"] = Base64UrlEncode(std::string(47, 'd'));
  EXPECT_EQ(api_->Verify(Req("POST", "rp-a", "192.0.2.7", v.dump())).status, 400);
}

}  // namespace
}  // namespace certme::signing
