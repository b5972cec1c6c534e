// MSign settings on the OIDC client: validation, JSON and YAML round trips,
// the Store registry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protocols/oidc/client.h"
#include "protocols/oidc/msign.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

using ::testing::HasSubstr;

MsignSettings Settings() {
  MsignSettings m;
  m.contract_number = "MS-2026/17";
  m.contract_date = "2026-02-28";
  m.ip_allow = {"192.0.2.7", "2001:db8::/32"};
  m.signer_types = MsignSettings::SignerTypes::kBoth;
  return m;
}

OidcClient SigningClient() {
  OidcClient c;
  c.client_id = "signer";
  c.redirect_uris = {"https://rp.example/cb"};
  c.token_endpoint_auth_method = "private_key_jwt";
  c.jwks = R"({"keys":[]})";
  c.msign = Settings();
  return c;
}

std::string Problems(const OidcClient& c) {
  Status st = ValidateClient(c);
  return st.ok() ? std::string() : st.message();
}

TEST(MsignTest, ValidSettingsAndSignerTypes) {
  EXPECT_EQ(Problems(SigningClient()), "");
  OidcClient tls = SigningClient();
  tls.token_endpoint_auth_method = "tls_client_auth";
  tls.tls_client_auth_subject_dn = "CN=rp";
  EXPECT_EQ(Problems(tls), "");
  MsignSettings m = Settings();
  EXPECT_TRUE(m.AllowsPerson() && m.AllowsOrganization());
  m.signer_types = MsignSettings::SignerTypes::kPerson;
  EXPECT_TRUE(m.AllowsPerson() && !m.AllowsOrganization());
  m.signer_types = MsignSettings::SignerTypes::kOrganization;
  EXPECT_TRUE(!m.AllowsPerson() && m.AllowsOrganization());
  for (const char* n : {"person", "organization", "both"}) EXPECT_EQ(SignerTypesName(*ParseSignerTypes(n)), n);
  for (const char* n : {"", "Person", "legal", "both "}) EXPECT_FALSE(ParseSignerTypes(n).has_value()) << n;
}

TEST(MsignTest, NeedsKeyBasedClientAuthentication) {
  OidcClient c = SigningClient();
  c.token_endpoint_auth_method = "client_secret_basic";
  c.client_secret_sha256 = HashClientSecret("s");
  EXPECT_THAT(Problems(c), HasSubstr("MSign needs the client to authenticate with private_key_jwt or tls_client_auth"));
  c.token_endpoint_auth_method = "none";
  c.client_secret_sha256.clear();
  EXPECT_THAT(Problems(c), HasSubstr("private_key_jwt or tls_client_auth"));
  c.msign.reset();  // without MSign a public client is fine
  EXPECT_EQ(Problems(c), "");
}

TEST(MsignTest, EachFieldIsChecked) {
  struct Case {
    void (*change)(MsignSettings&);
    const char* problem;
  } cases[] = {
      {[](MsignSettings& m) { m.contract_number.clear(); }, "contract number must be 1..64 characters"},
      {[](MsignSettings& m) { m.contract_number = std::string(65, '7'); }, "1..64 characters"},
      {[](MsignSettings& m) { m.contract_number = "A\nB"; }, "control characters"},
      {[](MsignSettings& m) { m.contract_date = ""; }, "contract date must be a calendar date YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "2026-02-29"; }, "YYYY-MM-DD"},  // not a leap year
      {[](MsignSettings& m) { m.contract_date = "2026-13-01"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "2026-04-31"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "26-01-01"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "2026/01/01"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "2026-1-011"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.contract_date = "0000-01-01"; }, "YYYY-MM-DD"},
      {[](MsignSettings& m) { m.ip_allow.clear(); }, "at least one IP address or CIDR block"},
      {[](MsignSettings& m) { m.ip_allow = {"192.0.2.7", "10.0.0.1/8"}; }, "the block is 10.0.0.0/8"},
      {[](MsignSettings& m) { m.ip_allow = {"rp.example"}; }, "not an IPv4 or IPv6 address"},
      {[](MsignSettings& m) { m.ip_allow.assign(33, "192.0.2.1"); }, "at most 32 IP entries"},
  };
  for (const Case& c : cases) {
    OidcClient client = SigningClient();
    c.change(*client.msign);
    EXPECT_THAT(Problems(client), HasSubstr(c.problem)) << c.problem;
  }
  OidcClient leap = SigningClient();
  leap.msign->contract_date = "2024-02-29";
  EXPECT_EQ(Problems(leap), "");
  // Every problem at once.
  OidcClient all = SigningClient();
  all.msign = MsignSettings{};
  std::string p = Problems(all);
  EXPECT_THAT(p, HasSubstr("contract number"));
  EXPECT_THAT(p, HasSubstr("contract date"));
  EXPECT_THAT(p, HasSubstr("at least one IP"));
}

TEST(MsignTest, JsonRoundTripAndTypeErrors) {
  OidcClient c = SigningClient();
  nlohmann::json j = ClientToJson(c);
  EXPECT_EQ(j["msign"], (nlohmann::json{{"contract_number", "MS-2026/17"},
                                        {"contract_date", "2026-02-28"},
                                        {"ip_allow", {"192.0.2.7", "2001:db8::/32"}},
                                        {"signer_types", "both"}}));
  auto back = ClientFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->msign.has_value());
  EXPECT_EQ(back->msign->contract_number, "MS-2026/17");
  EXPECT_EQ(back->msign->contract_date, "2026-02-28");
  EXPECT_EQ(back->msign->ip_allow, c.msign->ip_allow);
  EXPECT_EQ(back->msign->signer_types, MsignSettings::SignerTypes::kBoth);

  OidcClient plain = SigningClient();
  plain.msign.reset();
  EXPECT_FALSE(ClientToJson(plain).contains("msign"));
  EXPECT_FALSE(ClientFromJson(ClientToJson(plain))->msign.has_value());
  j["msign"] = nullptr;
  EXPECT_FALSE(ClientFromJson(j)->msign.has_value());

  for (auto [member, value, problem] : std::vector<std::tuple<std::string, nlohmann::json, std::string>>{
           {"", nlohmann::json("yes"), "msign must be an object"},
           {"contract_number", nlohmann::json(17), "msign.contract_number must be a string"},
           {"contract_date", nlohmann::json::array(), "msign.contract_date must be a string"},
           {"ip_allow", nlohmann::json("192.0.2.7"), "msign.ip_allow must be a list of strings"},
           {"ip_allow", nlohmann::json::array({1}), "msign.ip_allow must be a list of strings"},
           {"signer_types", nlohmann::json("legal"), "signer_types must be person, organization or both"},
           {"ip_allowlist", nlohmann::json::array(), "msign: unknown member `ip_allowlist`"},
       }) {
    nlohmann::json bad = ClientToJson(c);
    if (member.empty()) bad["msign"] = value;
    else bad["msign"][member] = value;
    auto r = ClientFromJson(bad);
    ASSERT_FALSE(r.ok()) << problem;
    EXPECT_THAT(r.status().message(), HasSubstr(problem));
  }
}

TEST(MsignTest, ClientsFileAndStoreRegistryKeepTheSettings) {
  auto clients = ParseClientsYaml(R"(
clients:
  - client_id: signer
    redirect_uris: [https://rp.example/cb]
    token_endpoint_auth_method: tls_client_auth
    tls_client_auth_subject_dn: CN=rp
    msign:
      contract_number: "17"
      contract_date: "2026-12-01"
      ip_allow: [198.51.100.0/24]
      signer_types: organization
)");
  ASSERT_TRUE(clients.ok()) << clients.status().ToString();
  ASSERT_TRUE((*clients)[0].msign.has_value());
  EXPECT_EQ((*clients)[0].msign->signer_types, MsignSettings::SignerTypes::kOrganization);
  EXPECT_EQ((*clients)[0].msign->ip_allow, std::vector<std::string>{"198.51.100.0/24"});

  auto wrong = ParseClientsYaml(R"(
clients:
  - client_id: signer
    redirect_uris: [https://rp.example/cb]
    client_secret: s
    msign: {contract_number: "17", contract_date: "2026-12-01", ip_allow: [198.51.100.1/24]}
)");
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("private_key_jwt or tls_client_auth"));
  EXPECT_THAT(wrong.status().message(), HasSubstr("198.51.100.0/24"));

  auto store = NewMemoryStore();
  auto registry = NewStoreClientRegistry(*store);
  ASSERT_TRUE(registry->Put(SigningClient()).ok());
  auto got = registry->Get("signer");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->msign.has_value());
  EXPECT_EQ(got->msign->ip_allow, SigningClient().msign->ip_allow);
  OidcClient invalid = SigningClient();
  invalid.msign->ip_allow.clear();
  EXPECT_FALSE(registry->Put(invalid).ok());
}

}  // namespace
}  // namespace certme
