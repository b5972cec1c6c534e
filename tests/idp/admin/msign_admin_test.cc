// MSign registration in the console: the form's and the API's fields, their
// checks, the OIDC client a service defines (store → live registry), edit,
// promotion (directly and through a request), the pages and the search.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "idp/admin/error_text.h"
#include "idp/admin/promotion_requests.h"
#include "idp/admin/service_search.h"
#include "pages_fixture.h"

namespace certme::admin {
namespace {

using ::testing::HasSubstr;
using testing::Catalogue;

class MsignAdminTest : public testing::ServiceAdminFixture {
 protected:
  // An OIDC service whose client signs its assertions with the uploaded
  // certificate's key, registered for MSign.
  ServiceInput Signing() {
    ServiceInput in;
    in.protocol = "oidc";
    in.technical_contact = "it@rp.example";
    in.name_ro = "Semnare";
    in.name_ru = "Подпись";
    in.name_en = "Signing";
    in.description = "Signs contracts.";
    in.certificate = CertA().pem;
    in.attributes = {"idnp", "first_name", "last_name"};
    in.contract_number = "MP-1";
    in.contract_date = "2026-03-01";
    in.redirect_uris = {"https://rp.example/cb"};
    in.token_endpoint_auth_method = "private_key_jwt";
    in.msign = true;
    in.msign_contract_number = "MS-2026/4";
    in.msign_contract_date = "2026-04-01";
    in.msign_ip_allow = {"192.0.2.10", "2001:db8:10::/48"};
    in.msign_signer_types = "both";
    return in;
  }
  OidcClient Live(Store& store, const std::string& id) {
    auto c = NewStoreClientRegistry(store)->Get(id);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : OidcClient{};
  }
};

TEST_F(MsignAdminTest, TheServiceDefinesAnOidcClientWithItsMsignSettings) {
  FieldErrors e;
  auto r = admin_.Create("ana", Signing(), &e);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << nlohmann::json(e).dump();
  EXPECT_FALSE(r->client_secret.has_value());  // key-based: no secret
  OidcClient c = Live(*test_store_, r->record.id);
  ASSERT_TRUE(c.msign.has_value());
  EXPECT_EQ(c.msign->contract_number, "MS-2026/4");
  EXPECT_EQ(c.msign->contract_date, "2026-04-01");
  EXPECT_EQ(c.msign->ip_allow, (std::vector<std::string>{"192.0.2.10", "2001:db8:10::/48"}));
  EXPECT_EQ(c.msign->signer_types, MsignSettings::SignerTypes::kBoth);
  EXPECT_EQ(c.certificate_pem, CertA().pem);  // what private_key_jwt verifies with
  // The record and the audit log carry the settings too.
  EXPECT_EQ(r->record.test->definition["msign"]["signer_types"], "both");
  auto last = audit_.List(1, true)->front();
  EXPECT_EQ(last.action, "service.create");
  EXPECT_EQ(last.after["test"]["definition"]["msign"]["ip_allow"][1], "2001:db8:10::/48");
  // The form as the record stands gives the same fields back (edit page).
  auto def = ServiceDefinition::FromJson("oidc", r->record.test->definition, "");
  ASSERT_TRUE(def.ok());
  ServiceInput back = InputOf(*def);
  EXPECT_TRUE(back.msign);
  EXPECT_EQ(back.msign_contract_number, "MS-2026/4");
  EXPECT_EQ(back.msign_ip_allow, Signing().msign_ip_allow);
  EXPECT_EQ(back.msign_signer_types, "both");

  // tls_client_auth works as well: the certificate's thumbprint is expected.
  ServiceInput tls = Signing();
  tls.certificate = CertB().pem;
  tls.redirect_uris = {"https://rp2.example/cb"};
  tls.token_endpoint_auth_method = "tls_client_auth";
  auto t = admin_.Create("ana", tls, &e);
  ASSERT_TRUE(t.ok()) << nlohmann::json(e).dump();
  EXPECT_TRUE(Live(*test_store_, t->record.id).msign.has_value());
}

TEST_F(MsignAdminTest, WithoutMsignTheClientHasNoneAndTheFieldsAreIgnored) {
  ServiceInput in = Signing();
  in.msign = false;
  in.msign_ip_allow = {"not an address"};  // left in the form, not checked
  in.token_endpoint_auth_method = "client_secret_basic";
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  EXPECT_FALSE(Live(*test_store_, r->record.id).msign.has_value());
  EXPECT_FALSE(r->record.test->definition.contains("msign"));
}

TEST_F(MsignAdminTest, EachFieldHasItsError) {
  struct Case {
    void (*change)(ServiceInput&);
    const char* field;
    const char* error;
  } cases[] = {
      {[](ServiceInput& v) { v.token_endpoint_auth_method = "client_secret_basic"; }, "msign",
       "MSign needs the client to authenticate with private_key_jwt or tls_client_auth"},
      {[](ServiceInput& v) { v.token_endpoint_auth_method = "none"; }, "msign", "private_key_jwt or tls_client_auth"},
      {[](ServiceInput& v) { v.msign_contract_number.clear(); }, "msign_contract_number",
       "the MSign contract number is required"},
      {[](ServiceInput& v) { v.msign_contract_number = std::string(65, '1'); }, "msign_contract_number",
       "at most 64 characters"},
      {[](ServiceInput& v) { v.msign_contract_number = "A\tB"; }, "msign_contract_number", "one line of text"},
      {[](ServiceInput& v) { v.msign_contract_date.clear(); }, "msign_contract_date",
       "the MSign contract date is required"},
      {[](ServiceInput& v) { v.msign_contract_date = "2026-02-30"; }, "msign_contract_date", "a date as yyyy-mm-dd"},
      {[](ServiceInput& v) { v.msign_ip_allow.clear(); }, "msign_ip_allow",
       "at least one IP address or CIDR block is required"},
      {[](ServiceInput& v) { v.msign_ip_allow = {"192.0.2.0/33"}; }, "msign_ip_allow", "prefix /33 is longer"},
      {[](ServiceInput& v) { v.msign_ip_allow = {"198.51.100.7/24"}; }, "msign_ip_allow",
       "host bits are set after the prefix; the block is 198.51.100.0/24"},
      {[](ServiceInput& v) { v.msign_ip_allow = {"rp.example"}; }, "msign_ip_allow", "not an IPv4 or IPv6 address"},
      {[](ServiceInput& v) { v.msign_ip_allow = {"192.0.2.1", "::ffff:192.0.2.1"}; }, "msign_ip_allow",
       "\"::ffff:192.0.2.1\" is listed twice"},
      {[](ServiceInput& v) { v.msign_ip_allow.assign(33, "192.0.2.1"); }, "msign_ip_allow",
       "at most 32 IP addresses or CIDR blocks"},
      {[](ServiceInput& v) { v.msign_signer_types = "company"; }, "msign_signer_types",
       "person, organization or both"},
  };
  for (const Case& c : cases) {
    ServiceInput in = Signing();
    c.change(in);
    FieldErrors e;
    auto r = admin_.Create("ana", in, &e);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.error;
    EXPECT_THAT(e[c.field], HasSubstr(c.error)) << nlohmann::json(e).dump();
    // Every error comes out in Romanian and Russian on the pages.
    for (const auto& [field, text] : e) {
      EXPECT_TRUE(KnownError(text)) << field << ": " << text;
      EXPECT_NE(LocalizeError("ro", text), text) << text;
      EXPECT_NE(LocalizeError("ru", text), text) << text;
    }
  }
  EXPECT_TRUE(admin_.List()->empty());  // nothing half-registered

  // A SAML service cannot take MSign.
  ServiceInput saml = Signing();
  saml.protocol = "saml";
  saml.entity_id = "https://sp.example/md";
  saml.acs_urls = {"https://sp.example/acs"};
  FieldErrors e;
  EXPECT_FALSE(admin_.Create("ana", saml, &e).ok());
  EXPECT_THAT(e["msign"], HasSubstr("MSign is for OpenID Connect services"));
  EXPECT_EQ(LocalizeError("ro", e["msign"]),
            "MSign este pentru serviciile OpenID Connect: înregistrați serviciul cu OpenID Connect");
  EXPECT_EQ(LocalizeError("ru", "\"10.0.0.1/8\": host bits are set after the prefix; the block is 10.0.0.0/8"),
            "«10.0.0.1/8»: после префикса заданы биты узла; блок — 10.0.0.0/8");
}

TEST_F(MsignAdminTest, EditChangesOrRemovesTheSettings) {
  FieldErrors e;
  auto r = admin_.Create("ana", Signing(), &e);
  ASSERT_TRUE(r.ok());
  const std::string id = r->record.id;
  EditInput edit{.form = Signing(), .version = r->record.version};
  edit.form.certificate.clear();
  edit.form.msign_ip_allow = {"203.0.113.0/24"};
  edit.form.msign_signer_types = "organization";
  auto edited = admin_.Edit("ana", id, "test", edit, &e);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(e).dump();
  OidcClient c = Live(*test_store_, id);
  ASSERT_TRUE(c.msign.has_value());
  EXPECT_EQ(c.msign->ip_allow, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(c.msign->signer_types, MsignSettings::SignerTypes::kOrganization);

  // A bad edit changes nothing.
  edit.version = edited->record.version;
  edit.form.msign_ip_allow = {"203.0.113.1/24"};
  EXPECT_FALSE(admin_.Edit("ana", id, "test", edit, &e).ok());
  EXPECT_EQ(e.count("msign_ip_allow"), 1u);
  EXPECT_EQ(Live(*test_store_, id).msign->ip_allow, std::vector<std::string>{"203.0.113.0/24"});

  // MSign off: the client keeps logging in, without MSign.
  e.clear();
  edit.form.msign = false;
  auto off = admin_.Edit("ana", id, "test", edit, &e);
  ASSERT_TRUE(off.ok()) << nlohmann::json(e).dump();
  EXPECT_FALSE(Live(*test_store_, id).msign.has_value());
  EXPECT_EQ(audit_.List(1, true)->front().action, "service.edit");
}

TEST_F(MsignAdminTest, PromotionCarriesTheSettingsWithProductionAddresses) {
  FieldErrors e;
  auto r = admin_.Create("ana", Signing(), &e);
  ASSERT_TRUE(r.ok());
  const std::string id = r->record.id;

  PromoteInput bad{.certificate = CertB().pem, .approved = true};
  bad.msign_ip_allow = {"0.0.0.0/0"};
  EXPECT_FALSE(admin_.Promote("ion", id, bad, &e).ok());
  EXPECT_THAT(e["msign_ip_allow"], HasSubstr("allows every address"));
  EXPECT_FALSE(NewStoreClientRegistry(*prod_store_)->Get(id).ok());

  e.clear();
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  p.msign_ip_allow = {"198.51.100.20", "198.51.100.21"};
  auto promoted = admin_.Promote("ion", id, p, &e);
  ASSERT_TRUE(promoted.ok()) << nlohmann::json(e).dump();
  OidcClient prod = Live(*prod_store_, id);
  ASSERT_TRUE(prod.msign.has_value());
  EXPECT_EQ(prod.msign->ip_allow, p.msign_ip_allow);
  EXPECT_EQ(prod.msign->contract_number, "MS-2026/4");
  EXPECT_EQ(prod.msign->signer_types, MsignSettings::SignerTypes::kBoth);
  EXPECT_EQ(prod.certificate_pem, CertB().pem);
  // Test keeps its own addresses.
  EXPECT_EQ(Live(*test_store_, id).msign->ip_allow, Signing().msign_ip_allow);
}

TEST_F(MsignAdminTest, PromotionWithoutAddressesKeepsTheTestOnes) {
  FieldErrors e;
  auto r = admin_.Create("ana", Signing(), &e);
  ASSERT_TRUE(r.ok());
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  ASSERT_TRUE(admin_.Promote("ion", r->record.id, p, &e).ok()) << nlohmann::json(e).dump();
  EXPECT_EQ(Live(*prod_store_, r->record.id).msign->ip_allow, Signing().msign_ip_allow);
}

TEST_F(MsignAdminTest, APromotionRequestKeepsTheProductionAddresses) {
  FieldErrors e;
  auto r = admin_.Create("ana", Signing(), &e);
  ASSERT_TRUE(r.ok());
  PromotionRequests requests(*test_store_, admin_, audit_, clock_);
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  p.msign_ip_allow = {"2001:db8:20::/48"};
  auto filed = requests.Request("ana", "ana", r->record.id, p, &e);
  ASSERT_TRUE(filed.ok()) << filed.status().ToString() << nlohmann::json(e).dump();
  EXPECT_EQ(filed->ToJson()["input"]["msign"]["ip_allow"][0], "2001:db8:20::/48");
  auto approved = requests.Approve("ion", "ion", Role::kApprover, r->record.id, "", &e);
  ASSERT_TRUE(approved.ok()) << approved.status().ToString() << nlohmann::json(e).dump();
  EXPECT_EQ(Live(*prod_store_, r->record.id).msign->ip_allow, p.msign_ip_allow);
}

TEST_F(MsignAdminTest, JsonBodiesNestTheSettingsInMsign) {
  FieldErrors e;
  ServiceInput in = ServiceInputFromJson(
      {{"protocol", "oidc"},
       {"msign",
        {{"contract_number", "MS-9"}, {"contract_date", "2026-05-05"}, {"ip_allow", {"192.0.2.1"}},
         {"signer_types", "organization"}}}},
      &e);
  EXPECT_TRUE(e.empty()) << nlohmann::json(e).dump();
  EXPECT_TRUE(in.msign);
  EXPECT_EQ(in.msign_contract_number, "MS-9");
  EXPECT_EQ(in.msign_contract_date, "2026-05-05");
  EXPECT_EQ(in.msign_ip_allow, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(in.msign_signer_types, "organization");
  EXPECT_FALSE(ServiceInputFromJson({{"msign", nullptr}}, &e).msign);
  EXPECT_FALSE(ServiceInputFromJson(nlohmann::json::object(), &e).msign);
  EXPECT_TRUE(e.empty());

  ServiceInputFromJson({{"msign", true}}, &e);
  EXPECT_EQ(e["msign"], "must be an object, or null for none");
  e.clear();
  ServiceInputFromJson({{"msign", {{"ip_allow", "192.0.2.1"}, {"contract_date", 5}}}}, &e);
  EXPECT_EQ(e["msign_ip_allow"], "must be a list of at most 100 strings");
  EXPECT_EQ(e["msign_contract_date"], "must be a string");
  e.clear();
  PromoteInput p = PromoteInputFromJson({{"msign", {{"ip_allow", {"192.0.2.9"}}}}}, &e);
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(p.msign_ip_allow, std::vector<std::string>{"192.0.2.9"});
}

TEST_F(MsignAdminTest, SearchFindsTheMsignServices) {
  FieldErrors e;
  ASSERT_TRUE(admin_.Create("ana", Signing(), &e).ok());
  ServiceInput plain = Signing();
  plain.msign = false;
  plain.certificate = CertB().pem;
  plain.redirect_uris = {"https://rp2.example/cb"};
  ASSERT_TRUE(admin_.Create("ana", plain, &e).ok()) << nlohmann::json(e).dump();
  HttpRequest req;
  req.query.emplace("msign", "yes");
  ServiceQuery q = ServiceQuery::FromRequest(req);
  EXPECT_TRUE(q.active());
  int found = 0;
  auto all = admin_.List();
  ASSERT_TRUE(all.ok());
  for (const auto& r : *all) found += Matches(q, r) ? 1 : 0;
  EXPECT_EQ(found, 1);
  HttpRequest other;
  other.query.emplace("msign", "maybe");  // unknown: no filter
  EXPECT_FALSE(ServiceQuery::FromRequest(other).active());
}

}  // namespace
}  // namespace certme::admin

namespace certme::admin {
namespace {

using testing::AdminPagesTest;
using testing::MakeCert;
using testing::MultipartForm;

// The console's form and pages: the MSign fields are always in the OIDC
// form (no script needed), a registration lands on the service's page with
// its settings, and the list filters by MSign.
class MsignPagesTest : public AdminPagesTest {
 protected:
  HttpResponse Register(bool msign, const std::string& auth, const std::string& ips) {
    static const auto cert = MakeCert("msign-pages");
    MultipartForm form;
    for (auto [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
             {"csrf", Csrf()}, {"protocol", "oidc"}, {"name_ro", "Semnare"}, {"name_ru", "Подпись"},
             {"name_en", "Signing"}, {"description", "Signs contracts."}, {"technical_contact", "it@rp.example"},
             {"contract_number", "MP-1"}, {"contract_date", "2026-01-15"}, {"attributes", "idnp"},
             {"redirect_uris", "https://rp.example/cb\r\n"}, {"token_endpoint_auth_method", auth},
             {"id_token_signed_response_alg", "RS256"}, {"msign_contract_number", "MS-2026/4"},
             {"msign_contract_date", "2026-04-01"}, {"msign_ip_allow", ips}, {"msign_signer_types", "both"}})
      form.Field(name, value);
    if (msign) form.Field("msign", "yes");
    form.Field("certificate", cert.pem, "rp.cer");
    return Call("POST", "/admin/services", form.Request());
  }
};

TEST_F(MsignPagesTest, TheFormOffersMsignBesideMpass) {
  SignInOk();
  HttpRequest req;
  req.query.emplace("protocol", "oidc");
  auto page = Call("GET", "/admin/services/new", req);
  ASSERT_EQ(page.status, 200);
  for (const char* part : {"MPass (login)", "MSign (signing)", "name=\"msign\"", "name=\"msign_contract_number\"",
                           "name=\"msign_contract_date\"", "name=\"msign_ip_allow\"", "name=\"msign_signer_types\"",
                           "<option value=\"organization\">legal person</option>"})
    EXPECT_NE(page.body.find(part), std::string::npos) << part;
  HttpRequest saml;
  saml.query.emplace("protocol", "saml");
  auto saml_page = Call("GET", "/admin/services/new", saml);
  EXPECT_NE(saml_page.body.find("MSign (signing) is offered to OpenID Connect services"), std::string::npos);
  EXPECT_EQ(saml_page.body.find("name=\"msign_ip_allow\""), std::string::npos);
}

TEST_F(MsignPagesTest, RegisteringShowsTheSettingsOnTheServicePage) {
  SignInOk();
  auto posted = Register(true, "private_key_jwt", "192.0.2.10\r\n2001:db8:10::/48\r\n\r\n");
  ASSERT_EQ(posted.status, 303) << posted.body;
  auto page = Follow(posted);
  ASSERT_EQ(page.status, 200);
  for (const char* part : {"MSign (signing)", "contract MS-2026/4 of 2026-04-01", ">192.0.2.10</code>",
                           ">2001:db8:10::/48</code>", "natural or legal person"})
    EXPECT_NE(page.body.find(part), std::string::npos) << part;
  const std::string id = services_.List()->at(0).id;
  ASSERT_TRUE(NewStoreClientRegistry(*store_)->Get(id)->msign.has_value());
  EXPECT_EQ(audit_.List(1, true)->front().action, "service.create");

  // The edit form comes back filled in.
  auto edit = Call("GET", "/admin/services/" + id + "/edit/test");
  ASSERT_EQ(edit.status, 200);
  EXPECT_NE(edit.body.find("name=\"msign\" value=\"yes\" checked"), std::string::npos);
  EXPECT_NE(edit.body.find("192.0.2.10\n2001:db8:10::/48"), std::string::npos);

  // The list: a badge, and the filter keeps MSign services only.
  HttpRequest only;
  only.query.emplace("msign", "yes");
  auto list = Call("GET", "/admin/services", only);
  EXPECT_NE(list.body.find("class=\"badge msign\""), std::string::npos);
  EXPECT_NE(list.body.find("name=\"msign\" value=\"yes\" checked"), std::string::npos);
  EXPECT_EQ(list.body.find("Demo site"), std::string::npos);  // the file service has no MSign
}

TEST_F(MsignPagesTest, ErrorsComeBackOnTheFormInTheUsersLanguage) {
  SignInOk();
  auto secret = Register(true, "client_secret_basic", "10.0.0.1/8\r\n");
  EXPECT_EQ(secret.status, 400);
  EXPECT_NE(secret.body.find("MSign needs the client to authenticate with private_key_jwt or tls_client_auth"),
            std::string::npos);
  EXPECT_NE(secret.body.find("the block is 10.0.0.0/8"), std::string::npos);
  EXPECT_NE(secret.body.find("name=\"msign\" value=\"yes\" checked"), std::string::npos);  // kept as entered
  EXPECT_TRUE(services_.List()->empty());
}

}  // namespace
}  // namespace certme::admin
