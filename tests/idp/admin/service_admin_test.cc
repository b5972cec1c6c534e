#include "idp/admin/service_admin.h"

#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "store/store.h"
#include "store/memory/memory_store.h"

namespace certme::admin {
namespace {

using testing::Catalogue;
using testing::MakeCert;
using testing::TestCert;

class ServiceAdminTest : public testing::ServiceAdminFixture {
 protected:
  ServiceInput Common(std::string protocol) {
    ServiceInput in;
    in.protocol = std::move(protocol);
    in.technical_contact = "it@serviciu.example.md";
    in.name_ro = "Serviciul meu";
    in.name_ru = "Моя служба";
    in.name_en = "My service";
    in.description = "Pays the parking fees.";
    in.certificate = CertA().pem;
    in.attributes = {"idnp", "first_name", "last_name"};
    in.contract_number = "MP-2026/17";
    in.contract_date = "2026-03-01";
    return in;
  }
  ServiceInput Saml() {
    ServiceInput in = Common("saml");
    in.entity_id = "https://sp.example/metadata";
    in.acs_urls = {"https://sp.example/acs"};
    in.slo_url = "https://sp.example/slo";
    return in;
  }
  ServiceInput Oidc() {
    ServiceInput in = Common("oidc");
    in.redirect_uris = {"https://rp.example/cb"};
    return in;
  }
  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    auto entries = audit_.List();
    for (const auto& e : *entries) out.push_back(e.action + ":" + e.environment);
    return out;
  }

};

TEST_F(ServiceAdminTest, SamlRegistrationLandsInTheTestRegistryOnly) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << " " << nlohmann::json(e).dump();
  EXPECT_FALSE(r->client_secret);
  auto live = saml::NewStoreServiceRegistry(*test_store_)->Get("https://sp.example/metadata");
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  EXPECT_EQ(live->names.at("ru"), "Моя служба");
  EXPECT_EQ(live->attributes, (std::vector<std::string>{"idnp", "first_name", "last_name"}));
  EXPECT_TRUE(live->require_signed_requests);
  EXPECT_FALSE(saml::NewStoreServiceRegistry(*prod_store_)->Get("https://sp.example/metadata").ok());
  EXPECT_EQ(Actions(), std::vector<std::string>{"service.create:test"});
  // The same entity ID twice on one environment is refused.
  FieldErrors e2;
  EXPECT_FALSE(admin_.Create("ana", Saml(), &e2).ok());
  EXPECT_EQ(e2.count("entity_id"), 1u);
}

TEST_F(ServiceAdminTest, SamlFromMetadataFillsWhatTheFormLeavesEmpty) {
  std::string b64;
  for (char c : CertA().pem)
    if (c != '\n') b64 += c;
  b64 = b64.substr(b64.find("-----", 5) + 5);
  b64 = b64.substr(0, b64.find("-----"));
  const std::string md =
      "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
      "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"https://md.example/sp\">"
      "<md:SPSSODescriptor AuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
      "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + b64 +
      "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
      "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://md.example/slo\"/>"
      "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
      "Location=\"https://md.example/acs\" index=\"0\"/></md:SPSSODescriptor></md:EntityDescriptor>";
  ServiceInput in = Common("saml");
  in.certificate.clear();  // taken from the metadata
  in.metadata_xml = md;
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << " " << nlohmann::json(e).dump();
  auto live = saml::NewStoreServiceRegistry(*test_store_)->Get("https://md.example/sp");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->acs_urls, std::vector<std::string>{"https://md.example/acs"});
  EXPECT_EQ(live->slo_url, "https://md.example/slo");
  EXPECT_EQ(live->certificate_pem, CertA().pem);
  EXPECT_EQ(live->names.at("en"), "My service");  // the form wins where it says something
  // Metadata that is not metadata is a field error, not a crash.
  in.metadata_xml = "<!DOCTYPE x><x/>";
  in.entity_id = "https://other.example";
  FieldErrors e2;
  EXPECT_FALSE(admin_.Create("ana", in, &e2).ok());
  EXPECT_EQ(e2.count("metadata_xml"), 1u);
}

TEST_F(ServiceAdminTest, SignAndEncryptOptionsReachTheRegistry) {
  ServiceInput in = Saml();
  in.sign_assertion = true;
  in.encrypt_assertion = true;
  in.name_id = "persistent";
  FieldErrors e;
  ASSERT_TRUE(admin_.Create("ana", in, &e).ok()) << nlohmann::json(e).dump();
  auto live = saml::NewStoreServiceRegistry(*test_store_)->Get("https://sp.example/metadata");
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->sign_assertion);
  EXPECT_TRUE(live->encrypt_assertion);
  EXPECT_EQ(live->name_id, "persistent");
}

TEST_F(ServiceAdminTest, OidcSecretIsShownOnceAndStoredHashed) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  ASSERT_TRUE(r->client_secret);
  const std::string secret = r->client_secret->reveal();
  auto live = NewStoreClientRegistry(*test_store_)->Get(r->record.id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->client_secret_sha256, HashClientSecret(secret));
  EXPECT_EQ(live->scopes, (std::vector<std::string>{"openid", "certme", "profile"}));
  // Nowhere in the console's store (records, audit) is the secret itself.
  for (const char* ns : {"admin_service", "admin_audit", "oidc_client"}) {
    auto rows = test_store_->List(ns);
    for (const auto& row : *rows) EXPECT_EQ(row.value.find(secret), std::string::npos) << ns;
  }
  // The audit log does not even carry its hash.
  EXPECT_EQ(AuditLog::ToJsonLines(*audit_.List()).find(live->client_secret_sha256), std::string::npos);
  // Rotation: a new secret, the old one stops matching.
  auto rotated = admin_.RotateSecret("ana", r->record.id, "test");
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->reveal(), secret);
  EXPECT_EQ(NewStoreClientRegistry(*test_store_)->Get(r->record.id)->client_secret_sha256,
            HashClientSecret(rotated->reveal()));
}

TEST_F(ServiceAdminTest, FieldErrorsNameEachField) {
  ServiceInput in = Saml();
  in.technical_contact = "not an address";
  in.name_ru = "";
  in.description = std::string(400, 'x');
  in.acs_urls = {"javascript:alert(1)"};
  in.attributes = {"idnp", "shoe_size"};
  in.contract_date = "2026-02-30";
  in.certificate = CertA().private_pem;
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  for (const char* f : {"technical_contact", "name_ru", "description", "acs_urls", "attributes", "contract_date",
                        "certificate"})
    EXPECT_EQ(e.count(f), 1u) << f << " in " << nlohmann::json(e).dump();
  EXPECT_NE(e["certificate"].find("never send the .pfx"), std::string::npos);
  EXPECT_TRUE(test_store_->List("saml_sp")->empty());
  EXPECT_TRUE(audit_.List()->empty());
}

TEST_F(ServiceAdminTest, MarkupIsKeptAsData) {
  ServiceInput in = Oidc();
  in.name_en = "<script>alert(1)</script>";
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  EXPECT_EQ(admin_.Get(r->record.id)->names.at("en"), "<script>alert(1)</script>");
}

TEST_F(ServiceAdminTest, PromotionNeedsANewCertificateAndApproval) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok());
  const std::string id = r->record.id;

  PromoteInput p;
  p.certificate = CertA().pem;  // the test certificate
  p.approved = true;
  FieldErrors pe;
  EXPECT_EQ(admin_.Promote("ion", id, p, &pe).status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pe["certificate"].find("test certificate"), std::string::npos);

  p.certificate = CertB().der;
  p.approved = false;
  pe.clear();
  EXPECT_FALSE(admin_.Promote("ion", id, p, &pe).ok());
  EXPECT_EQ(pe.count("approved"), 1u);
  EXPECT_FALSE(saml::NewStoreServiceRegistry(*prod_store_)->Get("https://sp.example/metadata").ok());

  p.approved = true;
  p.approval_note = "tested 2026-11-20";
  p.acs_urls = {"https://sp.example/prod/acs"};
  pe.clear();
  auto promoted = admin_.Promote("ion", id, p, &pe);
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString() << nlohmann::json(pe).dump();
  auto live = saml::NewStoreServiceRegistry(*prod_store_)->Get("https://sp.example/metadata");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->acs_urls, std::vector<std::string>{"https://sp.example/prod/acs"});
  EXPECT_EQ(live->certificate_pem, CertB().pem);
  // Test keeps its own certificate and URLs.
  auto test_live = saml::NewStoreServiceRegistry(*test_store_)->Get("https://sp.example/metadata");
  EXPECT_EQ(test_live->certificate_pem, CertA().pem);
  EXPECT_EQ(promoted->record.production->approved_by, "ion");
  EXPECT_EQ(admin_.Promote("ion", id, p, &pe).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Actions().back(), "service.promote:production");
  auto last = audit_.List(1, true)->front();
  EXPECT_TRUE(last.before["production"].is_null());
  EXPECT_EQ(last.after["production"]["approved_by"], "ion");
}

TEST_F(ServiceAdminTest, OidcProductionGetsItsOwnSecret) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  auto promoted = admin_.Promote("ana", r->record.id, p, &e);
  ASSERT_TRUE(promoted.ok()) << nlohmann::json(e).dump();
  ASSERT_TRUE(promoted->client_secret);
  EXPECT_NE(promoted->client_secret->reveal(), r->client_secret->reveal());
  EXPECT_EQ(NewStoreClientRegistry(*prod_store_)->Get(r->record.id)->client_secret_sha256,
            HashClientSecret(promoted->client_secret->reveal()));
}

TEST_F(ServiceAdminTest, DisableRemovesFromTheLiveRegistryEnableRestoresDeleteRemovesAll) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  const std::string id = r->record.id;
  auto registry = NewStoreClientRegistry(*test_store_);
  ASSERT_TRUE(admin_.SetEnabled("ana", id, "test", false).ok());
  EXPECT_EQ(registry->Get(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(admin_.Get(id)->test->state, "disabled");
  ASSERT_TRUE(admin_.SetEnabled("ana", id, "test", true).ok());
  EXPECT_TRUE(registry->Get(id).ok());
  ASSERT_TRUE(admin_.Promote("ana", id, {.certificate = CertB().pem, .approved = true}, &e).ok());
  ASSERT_TRUE(admin_.Delete("ana", id).ok());
  EXPECT_FALSE(registry->Get(id).ok());
  EXPECT_FALSE(NewStoreClientRegistry(*prod_store_)->Get(id).ok());
  EXPECT_EQ(admin_.Get(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Actions(), (std::vector<std::string>{"service.create:test", "service.disable:test",
                                                 "service.enable:test", "service.promote:production",
                                                 "service.delete:"}));
  EXPECT_TRUE(audit_.Verify().ok());
}

EditInput EditOf(const ServiceInput& form, const ServiceRecord& r) {
  EditInput in;
  in.form = form;
  in.form.certificate.clear();  // keep the current one
  in.version = r.version;
  return in;
}

TEST_F(ServiceAdminTest, OidcEditKeepsTheSecretAndReachesTheLiveRegistry) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  const std::string id = r->record.id;
  EXPECT_EQ(r->record.version, 1);
  const std::string hash = NewStoreClientRegistry(*test_store_)->Get(id)->client_secret_sha256;

  EditInput in = EditOf(Oidc(), r->record);
  in.form.name_en = "My renamed service";
  in.form.redirect_uris = {"https://rp.example/cb", "https://rp.example/cb2"};
  in.form.backchannel_logout_uri = "https://rp.example/bcl";
  in.form.authorization_response_iss = false;
  in.form.attributes = {"idnp", "first_name"};
  auto edited = admin_.Edit("ion", id, "test", in, &e);
  ASSERT_TRUE(edited.ok()) << edited.status().ToString() << nlohmann::json(e).dump();
  EXPECT_FALSE(edited->client_secret);
  EXPECT_EQ(edited->record.version, 2);
  auto live = NewStoreClientRegistry(*test_store_)->Get(id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->client_secret_sha256, hash);  // rotation stays its own action
  EXPECT_EQ(live->names.at("en"), "My renamed service");
  EXPECT_EQ(live->redirect_uris.size(), 2u);
  EXPECT_EQ(live->backchannel_logout_uri, "https://rp.example/bcl");
  EXPECT_FALSE(live->authorization_response_iss);
  EXPECT_EQ(live->attributes, (std::vector<std::string>{"idnp", "first_name"}));
  EXPECT_EQ(live->certificate_pem, CertA().pem);  // no upload: kept

  EXPECT_EQ(Actions().back(), "service.edit:test");
  auto last = audit_.List(1, true)->front();
  EXPECT_EQ(last.before["names"]["en"], "My service");
  EXPECT_EQ(last.after["names"]["en"], "My renamed service");
  EXPECT_EQ(last.after["test"]["definition"]["client_secret_sha256"], "[redacted]");
  EXPECT_EQ(last.before["test"]["definition"]["authorization_response_iss"], true);
  EXPECT_EQ(last.after["test"]["definition"]["authorization_response_iss"], false);
}

TEST_F(ServiceAdminTest, ConcurrentEditsConflictInsteadOfLosingOne) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok());
  // Two administrators open the same version.
  EditInput first = EditOf(Saml(), r->record), second = EditOf(Saml(), r->record);
  first.form.description = "First editor's sentence.";
  second.form.description = "Second editor's sentence.";
  ASSERT_TRUE(admin_.Edit("ana", r->record.id, "test", first, &e).ok()) << nlohmann::json(e).dump();
  auto lost = admin_.Edit("ion", r->record.id, "test", second, &e);
  EXPECT_EQ(lost.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(lost.status().message().find("changed since you opened it"), std::string::npos);
  EXPECT_EQ(admin_.Get(r->record.id)->description, "First editor's sentence.");
  // Other changes count too: disabling bumps the version.
  auto now = admin_.Get(r->record.id);
  EditInput third = EditOf(Saml(), *now);
  ASSERT_TRUE(admin_.SetEnabled("ana", r->record.id, "test", false).ok());
  EXPECT_EQ(admin_.Edit("ion", r->record.id, "test", third, &e).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ServiceAdminTest, EditValidatesLikeTheFormAndChangesNothingOnErrors) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok());
  EditInput in = EditOf(Saml(), r->record);
  in.form.technical_contact = "not an address";
  in.form.acs_urls = {"javascript:alert(1)"};
  in.form.name_id = "email";
  in.form.slo_binding = "soap";
  in.form.attributes = {"idnp", "shoe_size"};
  in.form.metadata_xml = "<x/>";
  in.form.protocol = "oidc";
  auto bad = admin_.Edit("ana", r->record.id, "test", in, &e);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  for (const char* f : {"technical_contact", "acs_urls", "name_id", "slo_binding", "attributes", "metadata_xml", "protocol"})
    EXPECT_EQ(e.count(f), 1u) << f;
  EXPECT_EQ(admin_.Get(r->record.id)->version, 1);
  EXPECT_EQ(saml::NewStoreServiceRegistry(*test_store_)->Get("https://sp.example/metadata")->acs_urls,
            std::vector<std::string>{"https://sp.example/acs"});
  EXPECT_EQ(admin_.Edit("ana", "svc-nope", "test", in, &e).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(admin_.Edit("ana", r->record.id, "production", EditOf(Saml(), r->record), &e).status().code(),
            StatusCode::kFailedPrecondition);  // not promoted
}

TEST_F(ServiceAdminTest, SamlEntityIdEditMovesTheLiveRegistration) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok());
  EditInput in = EditOf(Saml(), r->record);
  in.form.entity_id = "https://sp.example/v2/metadata";
  in.form.sign_assertion = true;
  in.form.slo_binding = "redirect";
  auto edited = admin_.Edit("ana", r->record.id, "test", in, &e);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(e).dump();
  auto reg = saml::NewStoreServiceRegistry(*test_store_);
  EXPECT_FALSE(reg->Get("https://sp.example/metadata").ok());
  ASSERT_TRUE(reg->Get("https://sp.example/v2/metadata").ok());
  EXPECT_TRUE(reg->Get("https://sp.example/v2/metadata")->sign_assertion);
  EXPECT_EQ(reg->Get("https://sp.example/v2/metadata")->slo_binding, "redirect");
  EXPECT_EQ(FormOf(edited->record, "test").slo_binding, "redirect");

  // Another service's entity ID is refused.
  ServiceInput other = Saml();
  other.entity_id = "https://other.example/metadata";
  ASSERT_TRUE(admin_.Create("ana", other, &e).ok());
  EditInput clash = EditOf(Saml(), edited->record);
  clash.form.entity_id = "https://other.example/metadata";
  EXPECT_EQ(admin_.Edit("ana", r->record.id, "test", clash, &e).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.count("entity_id"), 1u);
}

TEST_F(ServiceAdminTest, ProductionCertificateEditFollowsThePromotionRule) {
  FieldErrors e;
  auto r = admin_.Create("ana", Saml(), &e);
  ASSERT_TRUE(r.ok());
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  auto promoted = admin_.Promote("ion", r->record.id, p, &e);
  ASSERT_TRUE(promoted.ok()) << nlohmann::json(e).dump();

  EditInput in = EditOf(Saml(), promoted->record);
  in.form.certificate = CertA().pem;  // the test certificate
  in.approved = true;
  FieldErrors pe;
  EXPECT_EQ(admin_.Edit("ana", r->record.id, "production", in, &pe).status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(pe["certificate"].find("test certificate"), std::string::npos);

  static const TestCert renewed = MakeCert("sp-prod-2027");
  in.form.certificate = renewed.pem;
  in.approved = false;
  pe.clear();
  EXPECT_EQ(admin_.Edit("ana", r->record.id, "production", in, &pe).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pe.count("approved"), 1u);
  EXPECT_EQ(saml::NewStoreServiceRegistry(*prod_store_)->Get("https://sp.example/metadata")->certificate_pem,
            CertB().pem);

  in.approved = true;
  in.approval_note = "certificate renewed";
  pe.clear();
  auto edited = admin_.Edit("ana", r->record.id, "production", in, &pe);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(pe).dump();
  EXPECT_EQ(saml::NewStoreServiceRegistry(*prod_store_)->Get("https://sp.example/metadata")->certificate_pem,
            renewed.pem);
  EXPECT_EQ(edited->record.production->approved_by, "ana");
  EXPECT_EQ(edited->record.production->approval_note, "certificate renewed");
  // The test registration keeps its certificate; re-uploading production's
  // current certificate needs no approval (nothing changes).
  EXPECT_EQ(saml::NewStoreServiceRegistry(*test_store_)->Get("https://sp.example/metadata")->certificate_pem,
            CertA().pem);
  EditInput same = EditOf(Saml(), edited->record);
  same.form.certificate = renewed.der;
  EXPECT_TRUE(admin_.Edit("ion", r->record.id, "production", same, &pe).ok()) << nlohmann::json(pe).dump();
}

TEST_F(ServiceAdminTest, SharedFieldsReachBothEnvironments) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  auto promoted = admin_.Promote("ion", r->record.id, PromoteInput{.certificate = CertB().pem, .approved = true}, &e);
  ASSERT_TRUE(promoted.ok()) << nlohmann::json(e).dump();
  const std::string prod_hash = NewStoreClientRegistry(*prod_store_)->Get(r->record.id)->client_secret_sha256;
  EditInput in = EditOf(Oidc(), promoted->record);
  in.form.name_ro = "Serviciul redenumit";
  in.form.redirect_uris = {"https://rp.example/test-cb"};
  ASSERT_TRUE(admin_.Edit("ana", r->record.id, "test", in, &e).ok()) << nlohmann::json(e).dump();
  auto prod = NewStoreClientRegistry(*prod_store_)->Get(r->record.id);
  EXPECT_EQ(prod->names.at("ro"), "Serviciul redenumit");
  EXPECT_EQ(prod->redirect_uris, std::vector<std::string>{"https://rp.example/cb"});  // test's own
  EXPECT_EQ(prod->client_secret_sha256, prod_hash);
}

TEST_F(ServiceAdminTest, WithoutProductionPromotionIsRefused) {
  ServiceAdmin test_only(*test_store_, {"test", "https://test.bridge", test_store_.get()}, std::nullopt,
                         Catalogue(), audit_, clock_, random_);
  FieldErrors e;
  auto r = test_only.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(test_only.Promote("ana", r->record.id, {.certificate = CertB().pem, .approved = true}, &e)
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(ServiceAdminTest, OidcSubjectTypeAndSectorReachTheLiveRegistryAndEdit) {
  ServiceInput in = Oidc();
  in.redirect_uris = {"https://rp.example/cb", "https://login.rp.example/cb"};
  in.subject_type = "pairwise";
  in.sector_identifier = "RP.example";
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  auto live = NewStoreClientRegistry(*test_store_)->Get(r->record.id);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->subject_type, "pairwise");
  EXPECT_EQ(live->sector_identifier, "rp.example");
  EXPECT_EQ(live->SectorHost(), "rp.example");
  EXPECT_EQ(FormOf(r->record, "test").subject_type, "pairwise");
  EXPECT_EQ(FormOf(r->record, "test").sector_identifier, "rp.example");

  // Edit to public: the sector host must go, and then the hosts may differ.
  EditInput edit = EditOf(in, r->record);
  edit.form.subject_type = "public";
  auto bad = admin_.Edit("ana", r->record.id, "test", edit, &e);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.count("sector_identifier"), 1u) << nlohmann::json(e).dump();
  EXPECT_EQ(NewStoreClientRegistry(*test_store_)->Get(r->record.id)->subject_type, "pairwise");
  e.clear();
  edit.form.sector_identifier.clear();
  auto edited = admin_.Edit("ana", r->record.id, "test", edit, &e);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(e).dump();
  live = NewStoreClientRegistry(*test_store_)->Get(r->record.id);
  EXPECT_EQ(live->subject_type, "public");
  EXPECT_EQ(live->sector_identifier, "");

  // The production registration starts from test's subject settings.
  auto promoted = admin_.Promote("ana", r->record.id, {.certificate = CertB().pem, .approved = true}, &e);
  ASSERT_TRUE(promoted.ok()) << nlohmann::json(e).dump();
  EXPECT_EQ(NewStoreClientRegistry(*prod_store_)->Get(r->record.id)->subject_type, "public");
}

TEST_F(ServiceAdminTest, InvalidSubjectCombinationsGiveFieldErrors) {
  struct Case {
    std::string subject_type, sector;
    std::vector<std::string> redirect_uris;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"email", "", {"https://rp.example/cb"}, "subject_type"},
      {"public", "rp.example", {"https://rp.example/cb"}, "sector_identifier"},
      {"pairwise", "https://rp.example/", {"https://rp.example/cb"}, "sector_identifier"},
      {"pairwise", "rp.example:443", {"https://rp.example/cb"}, "sector_identifier"},
      {"pairwise", "-rp.example", {"https://rp.example/cb"}, "sector_identifier"},
      {"pairwise", "rp..example", {"https://rp.example/cb"}, "sector_identifier"},
      {"pairwise", "", {"https://a.example/cb", "https://b.example/cb"}, "sector_identifier"},
      {"", "", {"https://a.example/cb", "https://b.example/cb"}, "sector_identifier"},
  };
  for (const auto& c : cases) {
    ServiceInput in = Oidc();
    in.subject_type = c.subject_type;
    in.sector_identifier = c.sector;
    in.redirect_uris = c.redirect_uris;
    FieldErrors e;
    auto r = admin_.Create("ana", in, &e);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.subject_type << " " << c.sector;
    EXPECT_EQ(e.count(c.field), 1u) << c.subject_type << " " << c.sector << " " << nlohmann::json(e).dump();
    EXPECT_EQ(e.count("registration"), 0u) << nlohmann::json(e).dump();
  }
  // Public subjects need no common host.
  ServiceInput ok = Oidc();
  ok.subject_type = "public";
  ok.redirect_uris = {"https://a.example/cb", "https://b.example/cb"};
  FieldErrors e;
  EXPECT_TRUE(admin_.Create("ana", ok, &e).ok()) << nlohmann::json(e).dump();
  EXPECT_EQ(NewStoreClientRegistry(*test_store_)->List()->size(), 1u);
}

TEST_F(ServiceAdminTest, PromotionToHostsWithoutASectorIsAFieldError) {
  FieldErrors e;
  auto r = admin_.Create("ana", Oidc(), &e);
  ASSERT_TRUE(r.ok());
  PromoteInput p{.certificate = CertB().pem, .approved = true};
  p.redirect_uris = {"https://rp.example/cb", "https://www.rp.example/cb"};
  EXPECT_EQ(admin_.Promote("ana", r->record.id, p, &e).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.count("redirect_uris"), 1u) << nlohmann::json(e).dump();
  EXPECT_FALSE(NewStoreClientRegistry(*prod_store_)->Get(r->record.id).ok());
}

TEST_F(ServiceAdminTest, SamlAllowSha1ReachesTheLiveRegistryAndEdit) {
  ServiceInput in = Saml();
  in.allow_sha1 = true;
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  auto reg = saml::NewStoreServiceRegistry(*test_store_);
  EXPECT_TRUE(reg->Get("https://sp.example/metadata")->allow_sha1);
  EXPECT_TRUE(FormOf(r->record, "test").allow_sha1);
  EditInput edit = EditOf(in, r->record);
  edit.form.allow_sha1 = false;
  auto edited = admin_.Edit("ana", r->record.id, "test", edit, &e);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(e).dump();
  EXPECT_FALSE(reg->Get("https://sp.example/metadata")->allow_sha1);
  EXPECT_FALSE(FormOf(edited->record, "test").allow_sha1);
  // Off unless asked for.
  ServiceInput plain = Saml();
  plain.entity_id = "https://sp2.example/metadata";
  ASSERT_TRUE(admin_.Create("ana", plain, &e).ok()) << nlohmann::json(e).dump();
  EXPECT_FALSE(reg->Get("https://sp2.example/metadata")->allow_sha1);
}

TEST_F(ServiceAdminTest, NewFieldsFromJsonAndTheirTypeErrors) {
  FieldErrors e;
  ServiceInput in = ServiceInputFromJson(
      {{"subject_type", "pairwise"}, {"sector_identifier", "rp.example"}, {"allow_sha1", true}}, &e);
  EXPECT_TRUE(e.empty()) << nlohmann::json(e).dump();
  EXPECT_EQ(in.subject_type, "pairwise");
  EXPECT_EQ(in.sector_identifier, "rp.example");
  EXPECT_TRUE(in.allow_sha1);
  ServiceInputFromJson({{"subject_type", 1}, {"sector_identifier", nlohmann::json::array({"a"})}, {"allow_sha1", "yes"}}, &e);
  for (const char* f : {"subject_type", "sector_identifier", "allow_sha1"}) EXPECT_EQ(e.count(f), 1u) << f;
}

}  // namespace
}  // namespace certme::admin

namespace certme::admin {
namespace {

// Hub mode: registering on test makes the service's provider account (the
// bridge's callback is asked with create), and ProviderAccounts shows its
// address and authorization for the environments that have the callback.
TEST(ServiceAdminProviderAccountTest, RegistrationMakesTheAccountAndTheRecordShowsIt) {
  FakeClock clock;
  FakeRandom random;
  auto store = NewMemoryStore({&clock});
  auto prod = NewMemoryStore({&clock});
  AuditLog audit(*store, clock);
  std::vector<std::pair<std::string, bool>> calls;
  Environment test{"test", "https://test.bridge", store.get()};
  test.provider_account = [&](std::string_view id, bool create) -> std::optional<ProviderAccount> {
    calls.emplace_back(std::string(id), create);
    return ProviderAccount{"0x00000000000000000000000000000000000000A1", "no"};
  };
  ServiceAdmin admin(*store, test, Environment{"production", "https://bridge", prod.get()}, Catalogue(), audit,
                     clock, random);
  ServiceInput in;
  in.protocol = "saml";
  in.technical_contact = "it@serviciu.example.md";
  in.name_ro = in.name_ru = in.name_en = "Serviciu";
  in.description = "d";
  in.certificate = MakeCert("sp-acct").pem;
  in.attributes = {"idnp"};
  in.contract_number = "MP-1";
  in.contract_date = "2026-03-01";
  in.entity_id = "https://sp.example/metadata";
  in.acs_urls = {"https://sp.example/acs"};
  FieldErrors e;
  auto r = admin.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], std::make_pair(std::string("https://sp.example/metadata"), true));
  nlohmann::json accounts = admin.ProviderAccounts(r->record);
  EXPECT_EQ(accounts["test"]["address"], "0x00000000000000000000000000000000000000A1");
  EXPECT_EQ(accounts["test"]["authorized"], "no");
  // Production has no callback (its bridge holds its keys): nothing shown.
  EXPECT_FALSE(accounts.contains("production"));
  EXPECT_EQ(calls.back().second, false);  // showing never creates
}

}  // namespace
}  // namespace certme::admin
