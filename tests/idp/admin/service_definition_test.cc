// The field table shared by registration, edit and promotion: every field
// with a check reports a bad value on its own name, in each operation that
// reads it; the readers and the merge follow the table.
#include "idp/admin/service_definition.h"

#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "idp/admin/service_admin.h"
#include "store/store.h"
#include "store/memory/memory_store.h"

namespace certme::admin {
namespace {

using testing::Catalogue;
using testing::MakeCert;
using testing::TestCert;

// A bad value for each checked field (a text, or the one item of a list).
const std::map<std::string, std::string>& BadValues() {
  static const std::map<std::string, std::string> kBad = {
      {"technical_contact", "not-an-email"},
      {"name_ro", "two\nlines"},
      {"name_ru", std::string(kMaxNameChars + 1, 'x')},
      {"name_en", "bell\x07"},
      {"description", std::string(kMaxDescriptionChars + 1, 'x')},
      {"contract_number", std::string(kMaxContractNumberChars + 1, 'x')},
      {"contract_date", "2026-02-30"},
      {"attributes", "no_such_attribute"},
      {"entity_id", "https://sp.example/\x01"},
      {"acs_urls", "ftp://sp.example/acs"},
      {"slo_url", "javascript:alert(1)"},
      {"slo_response_url", "https://sp.example/slo#fragment"},
      {"slo_binding", "artifact"},
      {"name_id", "email"},
      {"redirect_uris", "https://rp.example/cb#fragment"},
      {"post_logout_redirect_uris", "rp.example/bye"},
      {"backchannel_logout_uri", "ftp://rp.example/bc"},
      {"frontchannel_logout_uri", "http://"},
      {"token_endpoint_auth_method", "client_secret_jwt"},
      {"id_token_signed_response_alg", "HS256"},
      {"profile", "fapi1"},
      {"msign_contract_number", std::string(kMaxMsignContractNumber + 1, 'x')},
      {"msign_contract_date", "2026-13-01"},
      {"msign_ip_allow", "10.0.0.1/8"},
      {"msign_signer_types", "anyone"},
  };
  return kBad;
}

template <class T>
void SetBad(const Slot<T>& slot, const std::string& bad, T* x) {
  if (slot.text) x->*slot.text = bad;
  else if (slot.list) x->*slot.list = {bad};
}

std::string Protocol(const ServiceField& f) {
  return f.scope == FieldScope::kOidc ? std::string(kProtocolOidc) : std::string(kProtocolSaml);
}

class ServiceDefinitionTest : public testing::ServiceAdminFixture {
 protected:
  // A registration that passes, for `protocol`; entity IDs differ per call.
  ServiceInput Good(const std::string& protocol) {
    ServiceInput in;
    in.protocol = protocol;
    in.technical_contact = "it@serviciu.example.md";
    in.name_ro = "Serviciul meu";
    in.name_ru = "Моя служба";
    in.name_en = "My service";
    in.description = "Pays the parking fees.";
    in.certificate = CertA().pem;
    in.attributes = {"idnp", "first_name"};
    in.contract_number = "MP-2026/17";
    in.contract_date = "2026-03-01";
    if (protocol == kProtocolSaml) {
      in.entity_id = "https://sp" + std::to_string(++n_) + ".example/metadata";
      in.acs_urls = {"https://sp.example/acs"};
    } else {
      in.redirect_uris = {"https://rp.example/cb"};
      // MSign on, so that its fields' checks count too.
      in.token_endpoint_auth_method = "private_key_jwt";
      in.msign = true;
      in.msign_contract_number = "MS-1";
      in.msign_contract_date = "2026-03-01";
      in.msign_ip_allow = {"192.0.2.7"};
    }
    return in;
  }

  int n_ = 0;
};

TEST_F(ServiceDefinitionTest, EveryCheckedFieldHasABadValueHere) {
  for (const auto& f : ServiceFields()) {
    if (f.check) {
      EXPECT_EQ(BadValues().count(std::string(f.name)), 1u) << f.name;
    }
  }
}

TEST_F(ServiceDefinitionTest, ABadValueIsAnErrorOnItsFieldAtRegistration) {
  for (const auto& f : ServiceFields()) {
    if (!f.check) continue;
    const std::string name(f.name);
    ServiceInput in = Good(Protocol(f));
    SetBad(f.input, BadValues().at(name), &in);
    FieldErrors e;
    auto r = admin_.Create("ana", in, &e);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(e.count(name), 1u) << name << " " << nlohmann::json(e).dump();
    EXPECT_EQ(e.size(), 1u) << name << " " << nlohmann::json(e).dump();
  }
}

TEST_F(ServiceDefinitionTest, ABadValueIsAnErrorOnItsFieldInAnEdit) {
  for (const auto& f : ServiceFields()) {
    if (!f.check) continue;
    const std::string name(f.name);
    ServiceInput good = Good(Protocol(f));
    FieldErrors e;
    auto created = admin_.Create("ana", good, &e);
    ASSERT_TRUE(created.ok()) << name << " " << nlohmann::json(e).dump();
    EditInput edit;
    edit.form = good;
    edit.form.certificate.clear();
    edit.version = created->record.version;
    SetBad(f.input, BadValues().at(name), &edit.form);
    auto r = admin_.Edit("ana", created->record.id, "test", edit, &e);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(e.count(name), 1u) << name << " " << nlohmann::json(e).dump();
    EXPECT_EQ(e.size(), 1u) << name << " " << nlohmann::json(e).dump();
    // Nothing changed.
    EXPECT_EQ(admin_.Get(created->record.id)->version, created->record.version) << name;
  }
}

TEST_F(ServiceDefinitionTest, ABadValueIsAnErrorOnItsFieldAtPromotion) {
  int promotable = 0;
  for (const auto& f : ServiceFields()) {
    if (!f.check || !f.promote.set()) continue;
    ++promotable;
    const std::string name(f.name);
    FieldErrors e;
    auto created = admin_.Create("ana", Good(Protocol(f)), &e);
    ASSERT_TRUE(created.ok()) << name << " " << nlohmann::json(e).dump();
    PromoteInput p{.certificate = CertB().pem, .approved = true};
    SetBad(f.promote, BadValues().at(name), &p);
    auto r = admin_.Promote("ion", created->record.id, p, &e);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(e.count(name), 1u) << name << " " << nlohmann::json(e).dump();
    EXPECT_EQ(e.size(), 1u) << name << " " << nlohmann::json(e).dump();
    EXPECT_FALSE(admin_.Get(created->record.id)->production) << name;
  }
  EXPECT_EQ(promotable, 9);  // SAML: entity ID, ACS, 2 SLO; OIDC: 2 redirect lists, 2 logout URIs, MSign IPs
}

TEST_F(ServiceDefinitionTest, PromotionChecksOnlyWhatItMaySet) {
  // A field production cannot differ in is not read from the promotion.
  for (const auto& f : ServiceFields()) {
    if (!f.promote.set()) {
      EXPECT_FALSE(f.In(Operation::kPromote, Protocol(f))) << f.name;
    }
  }
  EXPECT_TRUE(FindServiceField("redirect_uris")->In(Operation::kPromote, kProtocolOidc));
  EXPECT_FALSE(FindServiceField("redirect_uris")->In(Operation::kCreate, kProtocolSaml));
  EXPECT_TRUE(FindServiceField("technical_contact")->In(Operation::kEdit, kProtocolOidc));
  EXPECT_EQ(FindServiceField("no_such_field"), nullptr);
}

TEST_F(ServiceDefinitionTest, JsonTypeErrorsAreOnTheFieldsName) {
  for (const auto& f : ServiceFields()) {
    if (!f.json_parent.empty()) continue;
    FieldErrors e;
    // A number is never a string, a list or a flag.
    ServiceInputFromJson({{std::string(f.name), 7}}, &e);
    EXPECT_EQ(e.count(std::string(f.name)), 1u) << f.name;
    EXPECT_EQ(e.size(), 1u) << f.name;
  }
  FieldErrors e;
  ServiceInput in = ServiceInputFromJson({{"names", {{"ro", "Serviciul"}, {"en", 1}}}}, &e);
  EXPECT_EQ(in.name_ro, "Serviciul");
  EXPECT_EQ(e.count("en"), 1u);
  e.clear();
  ServiceInputFromJson({{"names", "Serviciul"}}, &e);
  EXPECT_EQ(e.count("names"), 1u);
  e.clear();
  PromoteInput p = PromoteInputFromJson({{"acs_urls", {"https://sp.example/acs"}}, {"name_id", "email"}}, &e);
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(p.acs_urls, std::vector<std::string>{"https://sp.example/acs"});
}

TEST_F(ServiceDefinitionTest, FormReadsEachFieldByItsEncoding) {
  FormFields form;
  form.fields = {{"attributes", "idnp"}, {"attributes", "first_name"},
                 {"acs_urls", "https://a.example/acs\r\n\n https://b.example/acs \n"},
                 {"sign_assertion", "on"}, {"name_id", "persistent"},
                 {"authorization_response_iss", "no"}};
  ServiceInput in = ServiceInputFromForm(form);
  EXPECT_EQ(in.attributes, (std::vector<std::string>{"idnp", "first_name"}));
  EXPECT_EQ(in.acs_urls, (std::vector<std::string>{"https://a.example/acs", "https://b.example/acs"}));
  EXPECT_TRUE(in.sign_assertion);
  EXPECT_FALSE(in.encrypt_assertion);
  EXPECT_EQ(in.name_id, "persistent");
  // The iss checkbox counts only when the form says it showed it.
  EXPECT_TRUE(in.authorization_response_iss);
  form.fields.emplace("iss_shown", "1");
  EXPECT_FALSE(ServiceInputFromForm(form).authorization_response_iss);
  form.fields.emplace("redirect_uris", "https://rp.example/cb\nhttps://rp.example/cb2");
  EXPECT_EQ(PromoteInputFromForm(form).redirect_uris.size(), 2u);
}

TEST_F(ServiceDefinitionTest, MergeFollowsEachFieldsWhenEmpty) {
  ServiceInput current;
  current.entity_id = "https://md.example/sp";
  current.slo_binding = "redirect";
  current.name_id = "persistent";
  current.sign_assertion = true;
  current.technical_contact = "md@example.org";
  ServiceInput in;
  in.name_id.clear();
  in.sector_identifier = "RP.Example";
  // From metadata: the metadata's values stay where the form is empty.
  ServiceInput v = MergeInput(current, in, true);
  EXPECT_EQ(v.entity_id, "https://md.example/sp");
  EXPECT_EQ(v.technical_contact, "md@example.org");
  EXPECT_TRUE(v.sign_assertion);
  EXPECT_EQ(v.slo_binding, "redirect");                  // kKeeps
  EXPECT_EQ(v.name_id, std::string(saml::kNameIdKindIdnp));  // kDefault
  EXPECT_EQ(v.sector_identifier, "rp.example");          // lowercase
  // An edit: empty clears.
  v = MergeInput(current, in, false);
  EXPECT_EQ(v.entity_id, "");
  EXPECT_FALSE(v.sign_assertion);
  EXPECT_EQ(v.slo_binding, "redirect");
  // Promotion: only what it names changes.
  PromoteInput p;
  p.slo_url = "https://prod.example/slo";
  v = MergePromote(current, p);
  EXPECT_EQ(v.entity_id, "https://md.example/sp");
  EXPECT_EQ(v.slo_url, "https://prod.example/slo");
}

}  // namespace
// The console edits a FAPI 2.0 client without losing its profile (the form
// rebuilds the client from its fields, so the profile must be one of them).
TEST_F(ServiceDefinitionTest, AnEditKeepsTheFapiProfile) {
  ServiceInput in = Good(std::string(kProtocolOidc));
  in.profile = "fapi2";
  in.id_token_signed_response_alg = "ES256";  // FAPI 2.0: PS256 or ES256
  FieldErrors e;
  auto r = admin_.Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << r.status().ToString() << nlohmann::json(e).dump();
  auto live = NewStoreClientRegistry(*test_store_)->Get(r->record.id);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->IsFapi2());

  EditInput edit{.form = in, .version = r->record.version};
  edit.form.certificate.clear();
  edit.form.name_en = "My renamed service";
  auto edited = admin_.Edit("ana", r->record.id, "test", edit, &e);
  ASSERT_TRUE(edited.ok()) << nlohmann::json(e).dump();
  live = NewStoreClientRegistry(*test_store_)->Get(r->record.id);
  ASSERT_TRUE(live.ok());
  EXPECT_TRUE(live->IsFapi2());

  // FAPI 2.0's registration rules hold in the console too: RS256 ID tokens are refused.
  edit.version = edited->record.version;
  edit.form.id_token_signed_response_alg = "RS256";
  EXPECT_FALSE(admin_.Edit("ana", r->record.id, "test", edit, &e).ok());
  EXPECT_TRUE(NewStoreClientRegistry(*test_store_)->Get(r->record.id)->IsFapi2());
}

}  // namespace certme::admin
