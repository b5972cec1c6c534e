// Client model and registry, claim catalogue, `claims` parameter parser.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "common/clock.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/claims_request.h"
#include "protocols/oidc/client.h"

namespace certme {
namespace {

OidcClient Valid() {
  OidcClient c;
  c.client_id = "rp";
  c.client_secret_sha256 = HashClientSecret("x");
  c.redirect_uris = {"https://rp.example/cb"};
  return c;
}

TEST(ClientTest, SecretHashIsSha256Hex) {
  // echo -n abc | sha256sum
  EXPECT_EQ(HashClientSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ClientTest, ValidationReportsEveryProblem) {
  EXPECT_TRUE(ValidateClient(Valid()).ok());
  OidcClient c = Valid();
  c.client_id = "";
  c.client_secret_sha256 = "nothex";
  c.redirect_uris = {"https://rp.example/cb#frag"};
  c.id_token_signed_response_alg = "HS256";
  c.grant_types = {"authorization_code", "password"};
  Status st = ValidateClient(c);
  ASSERT_FALSE(st.ok());
  for (const char* part : {"client_id", "client_secret_sha256", "fragment", "id_token_signed_response_alg", "password"})
    EXPECT_NE(st.message().find(part), std::string::npos) << part << " in " << st.message();
}

TEST(ClientTest, MethodSpecificRequirements) {
  OidcClient pub = Valid();
  pub.token_endpoint_auth_method = "none";
  pub.client_secret_sha256.clear();
  EXPECT_TRUE(ValidateClient(pub).ok());
  pub.grant_types.push_back("client_credentials");
  EXPECT_FALSE(ValidateClient(pub).ok());

  OidcClient pkj = Valid();
  pkj.token_endpoint_auth_method = "private_key_jwt";
  EXPECT_FALSE(ValidateClient(pkj).ok());
  pkj.jwks = "{\"keys\": 5}";
  EXPECT_FALSE(ValidateClient(pkj).ok());
  pkj.jwks = "{\"keys\": []}";
  EXPECT_TRUE(ValidateClient(pkj).ok());

  OidcClient tls = Valid();
  tls.token_endpoint_auth_method = "tls_client_auth";
  EXPECT_FALSE(ValidateClient(tls).ok());
  tls.tls_client_auth_subject_dn = "CN=rp";
  EXPECT_TRUE(ValidateClient(tls).ok());

  OidcClient multi = Valid();
  multi.redirect_uris = {"https://a.example/cb", "https://b.example/cb"};
  EXPECT_FALSE(ValidateClient(multi).ok());  // pairwise needs one sector
  multi.sector_identifier = "example.org";
  EXPECT_TRUE(ValidateClient(multi).ok());
  EXPECT_EQ(multi.SectorHost(), "example.org");
  multi.sector_identifier.clear();
  multi.subject_type = "public";
  EXPECT_TRUE(ValidateClient(multi).ok());

  OidcClient logout = Valid();
  logout.backchannel_logout_uri = "ftp://rp.example/bc";
  EXPECT_FALSE(ValidateClient(logout).ok());
}

TEST(ClientTest, YamlHashesPlainSecretsAndReportsErrors) {
  auto list = ParseClientsYaml(R"(
clients:
  - client_id: demo
    client_secret: "plain-secret"
    names: {ro: "Demo RO", en: "Demo"}
    redirect_uris: [https://demo.example/cb]
    grant_types: [authorization_code, refresh_token]
    backchannel_logout_uri: https://demo.example/bc
    backchannel_logout_session_required: false
    jwks: {keys: []}
    token_endpoint_auth_method: client_secret_post
  - client_id: spa
    token_endpoint_auth_method: none
    redirect_uris: [https://spa.example/cb]
)");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  const OidcClient& demo = (*list)[0];
  EXPECT_EQ(demo.client_secret_sha256, HashClientSecret("plain-secret"));
  EXPECT_EQ(demo.names.at("ro"), "Demo RO");
  EXPECT_EQ(demo.DisplayName("ru"), "Demo");  // falls back to en
  EXPECT_FALSE(demo.backchannel_logout_session_required);
  EXPECT_EQ(nlohmann::json::parse(demo.jwks), nlohmann::json::parse(R"({"keys":[]})"));
  EXPECT_TRUE((*list)[1].IsPublic());

  auto bad = ParseClientsYaml(R"(
clients:
  - client_id: a
    redirect_uris: [https://a.example/cb]
  - client_id: b
    client_secret: x
    client_secret_sha256: "00"
    redirect_uris: [https://b.example/cb]
)");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("client a"), std::string::npos);
  EXPECT_NE(bad.status().message().find("not both"), std::string::npos);
  EXPECT_FALSE(ParseClientsYaml("clients: [").ok());
  EXPECT_FALSE(ParseClientsYaml("other: 1").ok());
  EXPECT_EQ(LoadClientsFromYaml("does/not/exist.yaml").status().code(), StatusCode::kNotFound);
}

TEST(ClientTest, AuthorizationResponseIssIsOnUnlessTheClientTurnsItOff) {
  EXPECT_TRUE(Valid().authorization_response_iss);  // RFC 9207 by default
  auto list = ParseClientsYaml(R"(
clients:
  - client_id: apache
    client_secret: "s"
    redirect_uris: [https://apache.example/redirect_uri]
    authorization_response_iss: false
  - client_id: modern
    client_secret: "s"
    redirect_uris: [https://modern.example/cb]
)");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_FALSE((*list)[0].authorization_response_iss);
  EXPECT_TRUE((*list)[1].authorization_response_iss);

  // The JSON form (Store, admin tools) carries it both ways; a record
  // written before the option existed keeps the default.
  nlohmann::json j = ClientToJson((*list)[0]);
  EXPECT_EQ(j["authorization_response_iss"], false);
  auto back = ClientFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->authorization_response_iss);
  j.erase("authorization_response_iss");
  EXPECT_TRUE(ClientFromJson(j)->authorization_response_iss);

  j["authorization_response_iss"] = "no";
  auto wrong = ClientFromJson(j);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("authorization_response_iss must be a boolean"), std::string::npos)
      << wrong.status().message();
}

TEST(ClientTest, StoreRegistryRoundTrip) {
  FakeClock clock;
  MemoryStoreOptions mo;
  mo.clock = &clock;
  auto store = NewMemoryStore(mo);
  auto reg = NewStoreClientRegistry(*store);
  EXPECT_EQ(reg->Get("rp").status().code(), StatusCode::kNotFound);
  OidcClient c = Valid();
  c.names = {{"ru", "Сервис"}};
  c.frontchannel_logout_uri = "https://rp.example/fc";
  c.attributes = {"email"};
  c.authorization_response_iss = false;
  ASSERT_TRUE(reg->Put(c).ok());
  auto got = reg->Get("rp");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(ClientToJson(*got), ClientToJson(c));
  EXPECT_FALSE(got->authorization_response_iss);
  OidcClient invalid = Valid();
  invalid.client_id = "x";
  invalid.redirect_uris.clear();
  EXPECT_EQ(reg->Put(invalid).code(), StatusCode::kInvalidArgument);
  auto all = reg->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].client_id, "rp");
}

// The binary needs no claims file: the built-in catalogue is the shipped one.
TEST(ClaimsCatalogueTest, BuiltInCatalogueIsTheShippedFile) {
  auto file = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
  auto built_in = ClaimsCatalogue::BuiltIn();
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE(built_in.ok()) << built_in.status().ToString();
  ASSERT_EQ(built_in->all().size(), file->all().size());
  for (size_t i = 0; i < file->all().size(); ++i) {
    const ClaimDefinition& a = file->all()[i];
    const ClaimDefinition& b = built_in->all()[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.oidc_claim, b.oidc_claim);
    EXPECT_EQ(a.scope, b.scope);
    EXPECT_EQ(a.saml_name, b.saml_name);
    EXPECT_EQ(a.type, b.type);
  }
  EXPECT_EQ(ClaimsCatalogue::FileOrBuiltIn("")->all().size(), file->all().size());
  EXPECT_EQ(ClaimsCatalogue::FileOrBuiltIn("/nonexistent/claims.yaml").status().code(), StatusCode::kNotFound);
}

TEST(ClaimsCatalogueTest, ConfigFileHasTheMpassAttributesAndTheScopes) {
  auto cat = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  // docs/ARCHITECTURE.md, the world it serves: the MPass standard attribute list, names exact.
  for (const char* name : {"NameIdentifier", "IsResident", "FirstName", "LastName", "BirthDate", "Gender",
                           "EmailAddress", "MobilePhone", "HomePhone", "Language", "AdministeredLegalEntity",
                           "IDNO", "CompanyName"})
    EXPECT_NE(cat->BySamlName(name), nullptr) << name;
  std::vector<std::string> scopes = cat->Scopes();
  for (const char* s : {"profile", "email", "phone", "address", "certme"})
    EXPECT_NE(std::find(scopes.begin(), scopes.end(), s), scopes.end()) << s;
  std::vector<std::string> profile;
  for (const auto* d : cat->ForScope("profile")) profile.push_back(d->oidc_claim);
  EXPECT_EQ(profile, (std::vector<std::string>{"given_name", "family_name", "birthdate", "gender", "locale"}));
  EXPECT_EQ(cat->ByOidcClaim("idnp")->scope, "certme");
  EXPECT_EQ(cat->ByKey("idnp")->saml_name, "NameIdentifier");
  EXPECT_EQ(cat->ByKey("birth_date")->type, ClaimType::kDate);
}

TEST(ClaimsCatalogueTest, ValueConversions) {
  ClaimDefinition gender{"gender", "gender", "profile", "Gender", ClaimType::kGender, ""};
  EXPECT_EQ(ClaimsCatalogue::ToOidcValue(gender, "1"), nlohmann::json("male"));
  EXPECT_EQ(ClaimsCatalogue::ToOidcValue(gender, "2"), nlohmann::json("female"));
  EXPECT_FALSE(ClaimsCatalogue::ToOidcValue(gender, "0"));
  EXPECT_EQ(ClaimsCatalogue::ToSamlValue(gender, "0"), "0");
  EXPECT_FALSE(ClaimsCatalogue::ToSamlValue(gender, "3"));
  ClaimDefinition resident{"is_resident", "is_resident", "certme", "IsResident", ClaimType::kBoolean, ""};
  EXPECT_EQ(ClaimsCatalogue::ToOidcValue(resident, "true"), nlohmann::json(true));
  EXPECT_EQ(ClaimsCatalogue::ToSamlValue(resident, "0"), "false");
  ClaimDefinition date{"birth_date", "birthdate", "profile", "BirthDate", ClaimType::kDate, ""};
  EXPECT_EQ(ClaimsCatalogue::ToOidcValue(date, "1985-04-12"), nlohmann::json("1985-04-12"));
  EXPECT_FALSE(ClaimsCatalogue::ToOidcValue(date, "12.04.1985"));
  EXPECT_FALSE(ClaimsCatalogue::ToOidcValue(date, "1985-13-01"));
  ClaimDefinition phone{"mobile_phone", "phone_number", "phone", "MobilePhone", ClaimType::kPhone, ""};
  EXPECT_TRUE(ClaimsCatalogue::ToOidcValue(phone, "+37369123456"));
  EXPECT_FALSE(ClaimsCatalogue::ToOidcValue(phone, "069123456"));
  ClaimDefinition address{"address", "address", "address", "", ClaimType::kAddress, ""};
  EXPECT_EQ(ClaimsCatalogue::ToOidcValue(address, "str. Ștefan cel Mare 1, Chișinău"),
            nlohmann::json({{"formatted", "str. Ștefan cel Mare 1, Chișinău"}}));
  ClaimDefinition name{"first_name", "given_name", "profile", "FirstName", ClaimType::kString, ""};
  EXPECT_FALSE(ClaimsCatalogue::ToOidcValue(name, std::string("a\nb")));  // control characters
}

TEST(ClaimsCatalogueTest, RejectsInconsistentCatalogues) {
  auto dup = ClaimsCatalogue::FromYaml(R"(
claims:
  - {key: a, oidc_claim: x, scope: profile, saml_name: A, type: string}
  - {key: a, oidc_claim: x, scope: profile, saml_name: A, type: string}
  - {key: c, oidc_claim: z, scope: openid, type: string}
  - {key: d, oidc_claim: w, scope: profile, type: colour}
)");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("colour"), std::string::npos);
  auto dup2 = ClaimsCatalogue::FromYaml(R"(
claims:
  - {key: a, oidc_claim: x, scope: profile, saml_name: A, type: string}
  - {key: a, oidc_claim: x, scope: profile, saml_name: A, type: string}
  - {key: c, oidc_claim: z, scope: openid, type: string}
)");
  ASSERT_FALSE(dup2.ok());
  for (const char* part : {"duplicate key", "duplicate oidc_claim", "duplicate saml_name", "openid"})
    EXPECT_NE(dup2.status().message().find(part), std::string::npos) << part;
  EXPECT_FALSE(ClaimsCatalogue::FromYaml("claims: {").ok());
  EXPECT_FALSE(ClaimsCatalogue::FromYaml("nothing: here").ok());
}

TEST(ClaimsRequestTest, ParsesTheOidcShape) {
  auto r = ParseClaimsRequest(R"({
    "userinfo": {"given_name": {"essential": true}, "email": null, "nickname": {"value": "x"}},
    "id_token": {"acr": {"values": ["urn:a", "urn:b"]}, "auth_time": {"essential": true}},
    "other_member": 5})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->userinfo.at("given_name").essential);
  EXPECT_FALSE(r->userinfo.at("email").essential);
  EXPECT_EQ(r->userinfo.at("nickname").value, "x");
  EXPECT_EQ(r->id_token.at("acr").values, nlohmann::json({"urn:a", "urn:b"}));
  auto again = ParseClaimsRequest(ClaimsRequestToJson(*r).dump());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ClaimsRequestToJson(*again), ClaimsRequestToJson(*r));
  EXPECT_TRUE(ParseClaimsRequest("{}")->empty());
}

TEST(ClaimsRequestTest, RejectsMalformedInput) {
  for (const char* bad : {"", "null", "[]", "\"x\"", "{", R"({"userinfo": []})", R"({"id_token": {"a": 1}})",
                          R"({"userinfo": {"a": {"essential": 1}}})", R"({"userinfo": {"a": {"values": "x"}}})",
                          R"({"userinfo": {"": null}})"})
    EXPECT_FALSE(ParseClaimsRequest(bad).ok()) << bad;
  std::string big = R"({"userinfo":{"a":{"value":")" + std::string(kMaxClaimsParameterBytes, 'x') + "\"}}}";
  EXPECT_FALSE(ParseClaimsRequest(big).ok());
  std::string deep(5000, '[');
  EXPECT_FALSE(ParseClaimsRequest(deep).ok());
}

}  // namespace
}  // namespace certme
