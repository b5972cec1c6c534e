// Dynamic client registration (RFC 7591) and its management (RFC 7592)
// through the console's path: initial access tokens, the metadata rules,
// the registration access token, and that nothing is stored on an error.
#include "idp/admin/dynamic_registration.h"

#include <gtest/gtest.h>

#include <chrono>

#include "admin_test_util.h"
#include "crypto/hash.h"
#include "protocols/oidc/client.h"

namespace certme::admin {
namespace {

class DynamicRegistrationTest : public testing::ServiceAdminFixture {
 protected:
  DynamicRegistrationTest()
      : tokens_(*test_store_, audit_, clock_, random_),
        reg_({.issuer = "https://test.bridge", .dev_mode = false, .requests_per_minute_per_address = 1000,
              .registrations_per_minute_per_token = 1000},
             tokens_, admin_, testing::Catalogue(), clock_, random_) {}

  std::string Issue(int64_t uses = 1, RegistrationPolicy policy = {}, int64_t ttl = 3600) {
    auto t = tokens_.Issue("ana", {.name = "partner", .uses = uses, .ttl_seconds = ttl, .policy = policy});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->second.reveal() : "";
  }

  static HttpRequest Req(std::string method, const std::string& bearer, const nlohmann::json& body,
                         const std::string& client_id = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.client_ip = "192.0.2.7";
    if (!bearer.empty()) r.headers.Set("Authorization", "Bearer " + bearer);
    if (!body.is_null()) {
      r.headers.Set("Content-Type", "application/json");
      r.body = body.dump();
    }
    if (!client_id.empty()) r.path_params["client_id"] = client_id;
    return r;
  }

  static nlohmann::json Metadata() {
    return {{"redirect_uris", {"https://rp.example/cb"}},
            {"client_name", "Partner app"},
            {"grant_types", {"authorization_code", "refresh_token"}},
            {"scope", "openid profile"}};
  }

  static nlohmann::json Body(const HttpResponse& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_discarded() ? nlohmann::json() : j;
  }

  size_t Services() {
    auto all = admin_.List();
    EXPECT_TRUE(all.ok());
    return all.ok() ? all->size() : 0;
  }

  // Registers Metadata() with a fresh token; the 201 body.
  nlohmann::json RegisterOne() {
    HttpResponse r = reg_.Register(Req("POST", Issue(), Metadata()));
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r);
  }

  InitialAccessTokens tokens_;
  DynamicRegistration reg_;
};

TEST_F(DynamicRegistrationTest, RegistersOnTestLikeTheConsole) {
  nlohmann::json out = RegisterOne();
  const std::string id = out.value("client_id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(out.contains("client_secret"));
  EXPECT_EQ(out["client_secret_expires_at"], 0);
  EXPECT_EQ(out["client_id_issued_at"], clock_.NowUnixSeconds());
  EXPECT_EQ(out["registration_client_uri"], "https://test.bridge/register/" + id);
  EXPECT_EQ(out["token_endpoint_auth_method"], "client_secret_basic");
  EXPECT_EQ(out["scope"], "openid profile");
  // The live test registry holds it with the secret's hash; production does not.
  auto live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->client_secret_sha256, HashClientSecret(out["client_secret"].get<std::string>()));
  EXPECT_EQ(live->names.at("en"), "Partner app");
  EXPECT_FALSE(live->attributes.empty());
  EXPECT_FALSE(NewStoreClientRegistry(*prod_store_)->Get(id).ok());
  // The console's record: origin dynamic, the registration access token only hashed.
  auto rec = admin_.Get(id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->origin, "dynamic");
  EXPECT_EQ(rec->registration_access_token_sha256, Sha256Hex(out["registration_access_token"].get<std::string>()));
  EXPECT_EQ(RecordToJson(*rec)["registration_access_token_sha256"], "[redacted]");
  EXPECT_EQ(test_store_->Get("admin_initial_token", out["registration_access_token"].get<std::string>()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(DynamicRegistrationTest, RefusesMissingWrongExpiredAndUsedUpTokens) {
  EXPECT_EQ(reg_.Register(Req("POST", "", Metadata())).status, 401);
  EXPECT_EQ(reg_.Register(Req("POST", "iat_not-issued", Metadata())).status, 401);
  const std::string expiring = Issue(5, {}, 60);
  clock_.Advance(std::chrono::seconds(61));
  HttpResponse expired = reg_.Register(Req("POST", expiring, Metadata()));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.headers.Get("www-authenticate").value_or(""), "Bearer error=\"invalid_token\"");
  EXPECT_EQ(Services(), 0u);

  const std::string once = Issue(1);
  EXPECT_EQ(reg_.Register(Req("POST", once, Metadata())).status, 201);
  EXPECT_EQ(reg_.Register(Req("POST", once, Metadata())).status, 401);
  EXPECT_EQ(Services(), 1u);

  const std::string twice = Issue(2);
  EXPECT_EQ(reg_.Register(Req("POST", twice, Metadata())).status, 201);
  EXPECT_EQ(reg_.Register(Req("POST", twice, Metadata())).status, 201);
  EXPECT_EQ(reg_.Register(Req("POST", twice, Metadata())).status, 401);
  EXPECT_EQ(Services(), 3u);
}

TEST_F(DynamicRegistrationTest, InvalidMetadataStoresNothingAndKeepsTheTokensUse) {
  const std::string once = Issue(1);
  struct Case {
    nlohmann::json metadata;
    std::string error;
  };
  std::vector<Case> cases;
  auto with = [](const char* k, nlohmann::json v) {
    nlohmann::json m = Metadata();
    if (v.is_null()) m.erase(k);
    else m[k] = std::move(v);
    return m;
  };
  cases.push_back({with("redirect_uris", nullptr), "invalid_redirect_uri"});
  cases.push_back({with("redirect_uris", {"http://rp.example/cb"}), "invalid_redirect_uri"});
  cases.push_back({with("redirect_uris", {"http://127.0.0.1:8080/cb"}), "invalid_redirect_uri"});  // not dev mode
  cases.push_back({with("redirect_uris", {"https://rp.example/cb#frag"}), "invalid_redirect_uri"});
  cases.push_back({with("redirect_uris", {"/relative"}), "invalid_redirect_uri"});
  cases.push_back({with("redirect_uris", "https://rp.example/cb"), "invalid_client_metadata"});
  cases.push_back({with("redirect_uris", std::vector<std::string>(11, "https://rp.example/cb")), "invalid_client_metadata"});
  cases.push_back({with("redirect_uris", {"https://rp.example/" + std::string(1100, 'a')}), "invalid_client_metadata"});
  cases.push_back({with("grant_types", {"client_credentials"}), "invalid_client_metadata"});  // policy default
  cases.push_back({with("grant_types", {"password"}), "invalid_client_metadata"});
  cases.push_back({with("response_types", {"token"}), "invalid_client_metadata"});
  cases.push_back({with("token_endpoint_auth_method", "tls_client_auth"), "invalid_client_metadata"});
  cases.push_back({with("token_endpoint_auth_method", "private_key_jwt"), "invalid_client_metadata"});  // no keys
  cases.push_back({with("id_token_signed_response_alg", "none"), "invalid_client_metadata"});
  cases.push_back({with("jwks_uri", "https://rp.example/jwks"), "invalid_client_metadata"});
  cases.push_back({with("scope", "openid bank_secrets"), "invalid_client_metadata"});
  cases.push_back({with("client_name", 7), "invalid_client_metadata"});
  cases.push_back({with("subject_type", "odd"), "invalid_client_metadata"});
  cases.push_back({with("redirect_uris", {"https://a.example/cb", "https://b.example/cb"}), "invalid_client_metadata"});
  for (const auto& c : cases) {
    HttpResponse r = reg_.Register(Req("POST", once, c.metadata));
    EXPECT_EQ(r.status, 400) << c.metadata.dump() << " → " << r.body;
    EXPECT_EQ(Body(r).value("error", ""), c.error) << c.metadata.dump() << " → " << r.body;
    EXPECT_FALSE(Body(r).value("error_description", "").empty());
  }
  // Not JSON, not an object, not application/json.
  HttpRequest text = Req("POST", once, Metadata());
  text.body = "{not json";
  EXPECT_EQ(reg_.Register(text).status, 400);
  EXPECT_EQ(reg_.Register(Req("POST", once, nlohmann::json::array({1}))).status, 400);
  HttpRequest form = Req("POST", once, Metadata());
  form.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  EXPECT_EQ(reg_.Register(form).status, 400);
  HttpRequest big = Req("POST", once, Metadata());
  big.body = std::string(kMaxRegistrationBodyBytes + 1, ' ');
  EXPECT_EQ(reg_.Register(big).status, 413);
  EXPECT_EQ(Services(), 0u);
  // Every refusal left the one-time token's use in place.
  EXPECT_EQ(reg_.Register(Req("POST", once, Metadata())).status, 201);
}

// The security profile and the sender-constraint members (RFC 9449 §5.2,
// RFC 8705 §3.4) are client metadata like the others: a fapi2 client is
// held to the profile's rules at registration and keeps its profile, read
// back and through an update.
TEST_F(DynamicRegistrationTest, Fapi2ProfileAndBoundTokensAreRegistrationMetadata) {
  nlohmann::json md = Metadata();
  md["profile"] = "fapi2";
  md["token_endpoint_auth_method"] = "private_key_jwt";
  md["jwks"] = {{"keys", nlohmann::json::array()}};
  md["id_token_signed_response_alg"] = "ES256";
  md["dpop_bound_access_tokens"] = true;
  const std::string once =
      Issue(1, {.auth_methods = {"client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth"}});
  // Each broken rule is refused with the profile's words, nothing stored.
  struct Case {
    const char* member;
    nlohmann::json value;
    const char* words;
  };
  for (const Case& c : {Case{"token_endpoint_auth_method", "client_secret_basic",
                             "fapi2: token_endpoint_auth_method must be private_key_jwt or tls_client_auth"},
                        Case{"id_token_signed_response_alg", "RS256", "fapi2: id_token_signed_response_alg"},
                        Case{"profile", "fapi1", "profile must be empty or fapi2"},
                        Case{"profile", 2, "profile must be a string"},
                        Case{"dpop_bound_access_tokens", "yes", "dpop_bound_access_tokens must be true or false"}}) {
    nlohmann::json bad = md;
    bad[c.member] = c.value;
    if (std::string_view(c.member) == "token_endpoint_auth_method") bad.erase("jwks");
    HttpResponse r = reg_.Register(Req("POST", once, bad));
    EXPECT_EQ(r.status, 400) << bad.dump() << " → " << r.body;
    EXPECT_EQ(Body(r).value("error", ""), "invalid_client_metadata") << r.body;
    EXPECT_NE(Body(r).value("error_description", "").find(c.words), std::string::npos) << r.body;
  }
  EXPECT_EQ(Services(), 0u);

  HttpResponse r = reg_.Register(Req("POST", once, md));
  ASSERT_EQ(r.status, 201) << r.body;
  nlohmann::json out = Body(r);
  const std::string id = out["client_id"], rat = out["registration_access_token"];
  EXPECT_EQ(out.value("profile", ""), "fapi2");
  EXPECT_EQ(out.value("dpop_bound_access_tokens", false), true);
  EXPECT_FALSE(out.contains("tls_client_certificate_bound_access_tokens"));
  auto live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_TRUE(live->IsFapi2());
  EXPECT_TRUE(live->dpop_bound_access_tokens);
  EXPECT_EQ(Body(reg_.Read(Req("GET", rat, nullptr, id))).value("profile", ""), "fapi2");

  // RFC 7592 §2.2: an update is held to the profile too, and may switch to
  // certificate-bound tokens.
  md["client_id"] = id;
  md["token_endpoint_auth_method"] = "client_secret_post";
  EXPECT_EQ(Body(reg_.Update(Req("PUT", rat, md, id))).value("error", ""), "invalid_client_metadata");
  md["token_endpoint_auth_method"] = "tls_client_auth";
  md["tls_client_auth_subject_dn"] = "CN=partner,O=Partner";
  md["tls_client_certificate_bound_access_tokens"] = true;
  md.erase("dpop_bound_access_tokens");
  HttpResponse put = reg_.Update(Req("PUT", rat, md, id));
  ASSERT_EQ(put.status, 200) << put.body;
  live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->IsFapi2());
  EXPECT_EQ(live->token_endpoint_auth_method, "tls_client_auth");
  EXPECT_TRUE(live->tls_client_certificate_bound_access_tokens);
  EXPECT_FALSE(live->dpop_bound_access_tokens);
}

TEST_F(DynamicRegistrationTest, PolicyOfTheTokenBindsTheRegistration) {
  RegistrationPolicy p;
  p.grant_types = {"client_credentials"};
  p.auth_methods = {"client_secret_post"};
  p.redirect_uri_prefixes = {"https://partner.example/"};
  const std::string token = Issue(5, p);
  nlohmann::json m = Metadata();
  m["redirect_uris"] = {"https://partner.example/cb"};
  HttpResponse r = reg_.Register(Req("POST", token, m));  // authorization_code: not allowed
  EXPECT_EQ(Body(r).value("error", ""), "invalid_client_metadata") << r.body;
  m["grant_types"] = {"client_credentials"};
  m["response_types"] = nlohmann::json::array();
  m["redirect_uris"] = {"https://elsewhere.example/cb"};
  m["token_endpoint_auth_method"] = "client_secret_post";
  r = reg_.Register(Req("POST", token, m));
  EXPECT_EQ(Body(r).value("error", ""), "invalid_redirect_uri") << r.body;
  m["redirect_uris"] = {"https://partner.example/cb"};
  m["token_endpoint_auth_method"] = "client_secret_basic";
  r = reg_.Register(Req("POST", token, m));
  EXPECT_EQ(Body(r).value("error", ""), "invalid_client_metadata") << r.body;
  m["token_endpoint_auth_method"] = "client_secret_post";
  r = reg_.Register(Req("POST", token, m));
  EXPECT_EQ(r.status, 201) << r.body;
  // An update stays within the same policy.
  nlohmann::json out = Body(r);
  nlohmann::json upd = m;
  upd["client_id"] = out["client_id"];
  upd["grant_types"] = {"authorization_code"};
  upd["response_types"] = {"code"};
  HttpResponse u = reg_.Update(Req("PUT", out["registration_access_token"], upd, out["client_id"]));
  EXPECT_EQ(Body(u).value("error", ""), "invalid_client_metadata") << u.body;
}

TEST_F(DynamicRegistrationTest, LoopbackHttpOnlyInDevelopmentMode) {
  DynamicRegistration dev({.issuer = "http://127.0.0.1:8080", .dev_mode = true}, tokens_, admin_,
                          testing::Catalogue(), clock_, random_);
  nlohmann::json m = Metadata();
  m["redirect_uris"] = {"http://127.0.0.1:9000/cb"};
  EXPECT_EQ(dev.Register(Req("POST", Issue(), m)).status, 201);
  m["redirect_uris"] = {"http://rp.example/cb"};
  EXPECT_EQ(Body(dev.Register(Req("POST", Issue(), m))).value("error", ""), "invalid_redirect_uri");
}

TEST_F(DynamicRegistrationTest, ReadUpdateDeleteNeedTheClientsRegistrationAccessToken) {
  nlohmann::json a = RegisterOne(), b = RegisterOne();
  const std::string id = a["client_id"], rat = a["registration_access_token"];
  // Read.
  HttpResponse got = reg_.Read(Req("GET", rat, nullptr, id));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Body(got)["redirect_uris"], a["redirect_uris"]);
  EXPECT_FALSE(Body(got).contains("client_secret"));
  EXPECT_FALSE(Body(got).contains("registration_access_token"));
  EXPECT_EQ(reg_.Read(Req("GET", "", nullptr, id)).status, 401);
  EXPECT_EQ(reg_.Read(Req("GET", "wrong", nullptr, id)).status, 401);
  EXPECT_EQ(reg_.Read(Req("GET", b["registration_access_token"], nullptr, id)).status, 401);  // another client's
  EXPECT_EQ(reg_.Read(Req("GET", rat, nullptr, "svc-unknown")).status, 401);
  // Update: client_id must be there and the same.
  nlohmann::json upd = Metadata();
  upd["redirect_uris"] = {"https://rp.example/cb2"};
  EXPECT_EQ(reg_.Update(Req("PUT", rat, upd, id)).status, 400);  // no client_id
  upd["client_id"] = b["client_id"];
  EXPECT_EQ(reg_.Update(Req("PUT", rat, upd, id)).status, 400);  // another id
  upd["client_id"] = id;
  upd["client_secret"] = "not-the-secret";
  EXPECT_EQ(reg_.Update(Req("PUT", rat, upd, id)).status, 400);
  upd["client_secret"] = a["client_secret"];
  nlohmann::json bad = upd;
  bad["redirect_uris"] = {"http://rp.example/cb"};
  EXPECT_EQ(Body(reg_.Update(Req("PUT", rat, bad, id))).value("error", ""), "invalid_redirect_uri");
  EXPECT_EQ(NewStoreClientRegistry(*test_store_)->Get(id)->redirect_uris, std::vector<std::string>{"https://rp.example/cb"});
  HttpResponse put = reg_.Update(Req("PUT", rat, upd, id));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(Body(put).contains("client_secret"));  // kept, not re-issued
  auto live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->redirect_uris, std::vector<std::string>{"https://rp.example/cb2"});
  EXPECT_EQ(live->client_secret_sha256, HashClientSecret(a["client_secret"].get<std::string>()));
  EXPECT_EQ(reg_.Update(Req("PUT", b["registration_access_token"], upd, id)).status, 401);
  // Delete: wrong token first, then the right one; afterwards nothing works.
  EXPECT_EQ(reg_.Remove(Req("DELETE", b["registration_access_token"], nullptr, id)).status, 401);
  EXPECT_EQ(reg_.Remove(Req("DELETE", rat, nullptr, id)).status, 204);
  EXPECT_FALSE(NewStoreClientRegistry(*test_store_)->Get(id).ok());
  EXPECT_FALSE(admin_.Get(id).ok());
  EXPECT_EQ(reg_.Read(Req("GET", rat, nullptr, id)).status, 401);
  EXPECT_EQ(reg_.Update(Req("PUT", rat, upd, id)).status, 401);
  EXPECT_EQ(reg_.Remove(Req("DELETE", rat, nullptr, id)).status, 401);
  EXPECT_TRUE(NewStoreClientRegistry(*test_store_)->Get(b["client_id"].get<std::string>()).ok());
}

// MSign is granted in the console; the client's own RFC 7592 update keeps
// it, and cannot move to a secret while it has it.
TEST_F(DynamicRegistrationTest, MsignGivenByTheConsoleSurvivesTheClientsUpdates) {
  nlohmann::json md = Metadata();
  md["token_endpoint_auth_method"] = "private_key_jwt";
  md["jwks"] = {{"keys", nlohmann::json::array()}};
  HttpResponse r = reg_.Register(Req("POST", Issue(), md));
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Body(r)["client_id"], rat = Body(r)["registration_access_token"];
  auto rec = admin_.Get(id);
  ASSERT_TRUE(rec.ok());
  auto def = ServiceDefinition::FromJson("oidc", rec->test->definition, "");
  ASSERT_TRUE(def.ok());
  EditInput edit{.form = InputOf(*def), .version = rec->version};
  edit.form.name_ro = edit.form.name_ru = edit.form.name_en = "Partner app";
  edit.form.technical_contact = "it@rp.example";
  edit.form.description = "A partner.";
  edit.form.contract_number = "MP-9";
  edit.form.contract_date = "2026-01-01";
  edit.form.msign = true;
  edit.form.msign_contract_number = "MS-9";
  edit.form.msign_contract_date = "2026-02-01";
  edit.form.msign_ip_allow = {"192.0.2.7"};
  FieldErrors e;
  ASSERT_TRUE(admin_.Edit("ana", id, "test", edit, &e).ok()) << nlohmann::json(e).dump();
  ASSERT_TRUE(NewStoreClientRegistry(*test_store_)->Get(id)->msign.has_value());

  md["client_id"] = id;
  md["redirect_uris"] = {"https://rp.example/cb2"};
  HttpResponse put = reg_.Update(Req("PUT", rat, md, id));
  ASSERT_EQ(put.status, 200) << put.body;
  auto live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->redirect_uris, std::vector<std::string>{"https://rp.example/cb2"});
  ASSERT_TRUE(live->msign.has_value());
  EXPECT_EQ(live->msign->ip_allow, std::vector<std::string>{"192.0.2.7"});

  md["token_endpoint_auth_method"] = "client_secret_basic";
  md.erase("jwks");
  HttpResponse secret = reg_.Update(Req("PUT", rat, md, id));
  EXPECT_EQ(secret.status, 400);
  EXPECT_EQ(Body(secret).value("error", ""), "invalid_client_metadata");
  EXPECT_NE(Body(secret).value("error_description", "").find("MSign"), std::string::npos);
  EXPECT_EQ(NewStoreClientRegistry(*test_store_)->Get(id)->token_endpoint_auth_method, "private_key_jwt");
}

TEST_F(DynamicRegistrationTest, ConsoleServicesAreNotReachableThroughRegistration) {
  ServiceInput in;
  in.protocol = "oidc";
  in.technical_contact = "it@serviciu.example.md";
  in.name_ro = in.name_ru = in.name_en = "Console service";
  in.description = "Registered in the console.";
  in.certificate = CertA().pem;
  in.redirect_uris = {"https://rp.example/cb"};
  in.attributes = {"idnp"};
  in.contract_number = "MP-2026/18";
  in.contract_date = "2026-03-01";
  FieldErrors e;
  auto made = admin_.Create("ana", in, &e);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(reg_.Read(Req("GET", "", nullptr, made->record.id)).status, 401);
  EXPECT_EQ(reg_.Remove(Req("DELETE", "anything", nullptr, made->record.id)).status, 401);
  EXPECT_TRUE(admin_.Get(made->record.id).ok());
}

TEST_F(DynamicRegistrationTest, RateLimitedPerAddressAndPerToken) {
  DynamicRegistration limited({.issuer = "https://test.bridge", .requests_per_minute_per_address = 3,
                               .registrations_per_minute_per_token = 2},
                              tokens_, admin_, testing::Catalogue(), clock_, random_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limited.Register(Req("POST", "", Metadata())).status, 401);
  HttpResponse r = limited.Register(Req("POST", "", Metadata()));
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.headers.Has("retry-after"));
  clock_.Advance(std::chrono::minutes(2));
  const std::string token = Issue(10);
  HttpRequest other = Req("POST", token, Metadata());
  EXPECT_EQ(limited.Register(other).status, 201);
  other.client_ip = "192.0.2.8";
  EXPECT_EQ(limited.Register(other).status, 201);
  other.client_ip = "192.0.2.9";
  EXPECT_EQ(limited.Register(other).status, 429);  // the token's third in a minute
}

TEST_F(DynamicRegistrationTest, InitialTokensAreStoredHashedListedAndRevocable) {
  const std::string token = Issue(3);
  EXPECT_EQ(test_store_->Get("admin_initial_token", token).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(test_store_->Get("admin_initial_token", Sha256Hex(token)).ok());
  auto list = tokens_.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].uses_left, 3);
  EXPECT_TRUE(tokens_.Revoke("ana", (*list)[0].id).ok());
  EXPECT_EQ(reg_.Register(Req("POST", token, Metadata())).status, 401);
  EXPECT_FALSE(tokens_.Issue("ana", {.name = "", .uses = 1}).ok());
  EXPECT_FALSE(tokens_.Issue("ana", {.name = "x", .uses = 0}).ok());
  EXPECT_FALSE(tokens_.Issue("ana", {.name = "x", .uses = 1, .ttl_seconds = 10}).ok());
  EXPECT_FALSE(RegistrationPolicy::FromJson({{"grant_types", {"password"}}}).ok());
  EXPECT_FALSE(RegistrationPolicy::FromJson({{"redirect_uri_prefixes", {"http://rp.example/"}}}).ok());
  EXPECT_FALSE(RegistrationPolicy::FromJson({{"redirect_uri_prefixes", {"https://rp.example"}}}).ok());
}

}  // namespace
}  // namespace certme::admin
