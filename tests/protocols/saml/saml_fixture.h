// Shared fixture of the SAML IdP tests: an IdP over the memory store with a
// fake clock, one registered service (kSp) with its own key, helpers to sign
// and post messages and to read our signed answers.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::saml::testing {

class FakeAuthenticator : public Authenticator {
 public:
  HttpResponse Begin(const LoginRequest& r) override {
    requests.push_back(r);
    return HttpResponse::Redirect("https://login.test/?txn=" + r.txn);
  }
  std::vector<LoginRequest> requests;
};

constexpr char kSp[] = "https://sp.example/metadata";
constexpr char kAcs[] = "https://sp.example/acs";
constexpr char kBase[] = "https://idp.test";

std::shared_ptr<SigningKey> NewKey(const char* kid) {
  auto k = GenerateSigningKey("RSA", kid);
  EXPECT_TRUE(k.ok());
  return std::move(k).value();
}

class SamlIdpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitXmlSecurity().ok());
    store_ = NewMemoryStore({&clock_});
    idp_key_ = NewKey("idp");
    sp_key_ = NewKey("sp");
    other_key_ = NewKey("other");
    idp_cert_ = *MakeSelfSignedCertificate(BorrowEvpPkey(*idp_key_), "idp", Now() - 3600, 30, SystemRandom());
    sp_cert_ = *MakeSelfSignedCertificate(BorrowEvpPkey(*sp_key_), "sp", Now() - 3600, 30, SystemRandom());
    std::vector<ClaimDefinition> defs = {
        {"idnp", "idnp", "profile", "NameIdentifier", ClaimType::kString, "13 digits"},
        {"first_name", "given_name", "profile", "FirstName", ClaimType::kString, "text"},
        {"birth_date", "birthdate", "profile", "BirthDate", ClaimType::kDate, "yyyy-MM-dd"},
        {"gender", "gender", "profile", "Gender", ClaimType::kGender, "0/1/2"},
        {"email", "email", "email", "EmailAddress", ClaimType::kEmail, "address"}};
    catalogue_ = *ClaimsCatalogue::FromDefinitions(defs);
    services_ = NewStoreServiceRegistry(*store_);
    SamlService s;
    s.entity_id = kSp;
    s.names = {{"ro", "Serviciu"}, {"en", "Service"}};
    s.acs_urls = {kAcs, "https://sp.example/acs2"};
    s.slo_url = "https://sp.example/slo";
    s.certificate_pem = CertificateDerToPem(sp_cert_);
    s.attributes = {"idnp", "first_name", "birth_date", "gender"};
    ASSERT_TRUE(services_->Put(s).ok());
    MakeIdp(nullptr);
  }

  // (Re)builds the IdP over the same store and services.
  void MakeIdp(SessionLogoutHook* hook) {
    SamlIdpOptions o;
    o.base_url = kBase;
    o.pairwise_salt = Secret(std::string(40, 'k'));
    o.logout_timeout_seconds = kLogoutTimeout;
    ASSERT_TRUE(ValidateSamlIdpOptions(o).ok());
    idp_ = std::make_unique<SamlIdp>(o, *store_, *services_, auth_, catalogue_,
                                     SamlSigner{idp_key_, idp_cert_}, clock_, random_, hook);
  }

  static constexpr int64_t kLogoutTimeout = 10;

  int64_t Now() const { return clock_.NowUnixSeconds(); }

  std::string AuthnXml(const std::string& id, int64_t instant, const std::string& extra_attrs = "",
                       const std::string& issuer = kSp, const std::string& body = "") {
    return "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" + id +
           "\" Version=\"2.0\" IssueInstant=\"" + FormatSamlTime(instant) +
           "\" Destination=\"https://idp.test/saml/sso\" AssertionConsumerServiceURL=\"" + kAcs + "\" " +
           extra_attrs + "><saml:Issuer>" + issuer + "</saml:Issuer>" + body + "</samlp:AuthnRequest>";
  }

  std::string Sign(const std::string& xml, SigningKey& key) {
    auto doc = ParseOwnXml(xml);
    EXPECT_TRUE(doc.ok());
    EXPECT_TRUE(SignEnveloped(doc->get(), xmlDocGetRootElement(doc->get()), BorrowEvpPkey(key), "").ok());
    return SerializeDoc(doc->get());
  }

  HttpRequest Post(const std::string& xml, const std::string& path = "/saml/sso") {
    HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.form = {{"SAMLRequest", Base64Encode(xml)}, {"RelayState", "rs-1"}};
    return r;
  }

  // The value of Set-Cookie `name` in `r`; empty when not set.
  static std::string CookieOf(const HttpResponse& r, const std::string& name) {
    for (const auto& c : r.cookies)
      if (c.name == name) return c.value;
    return {};
  }

  // Ends the login that `begin` (the IdP's 302 to the login for an
  // AuthnRequest) started: the fake login succeeds for one certME subject
  // with `attributes`, and the browser comes back to /saml/resume with the
  // cookie `begin` set plus `cookies`. Returns the IdP's answer.
  HttpResponse FinishLogin(const HttpResponse& begin, std::map<std::string, std::string> attributes,
                           const std::map<std::string, std::string>& cookies = {}) {
    EXPECT_EQ(begin.status, 302) << begin.body;
    if (auth_.requests.empty()) {
      ADD_FAILURE() << "no login was started";
      return {};
    }
    LoginResult res;
    res.txn = auth_.requests.back().txn;
    res.subject = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    res.attributes = std::move(attributes);
    res.acr = login_acr_;
    res.eid = login_eid_;
    res.auth_time = Now();
    EXPECT_TRUE(SaveLoginResult(*store_, res, 60).ok());
    HttpRequest resume;
    resume.method = "GET";
    resume.path = "/saml/resume";
    resume.query = {{"txn", res.txn}};
    for (const auto& [name, value] : cookies) resume.cookies[name] = value;
    resume.cookies["certme_saml_browser"] = CookieOf(begin, "certme_saml_browser");
    return idp_->Resume(resume);
  }

  // The SAMLResponse of an auto-post page, decoded; empty when none.
  static std::string ResponseXml(const HttpResponse& r) {
    std::smatch m;
    static const std::regex re("name=\"SAMLResponse\" value=\"([^\"]+)\"");
    if (!std::regex_search(r.body, m, re)) return {};
    return Base64Decode(m[1].str()).value_or("");
  }

  // Parses and verifies a Response we issued; returns its top StatusCode(s).
  std::string StatusOf(const std::string& xml, std::string* sub = nullptr) {
    auto doc = ParseUntrustedXml(xml);
    if (!doc.ok()) return "unparseable";
    xmlNode* root = xmlDocGetRootElement(doc->get());
    EXPECT_TRUE(VerifyEnvelopedSignature(doc->get(), root, BorrowEvpPkey(*idp_key_)).ok());
    xmlNode* code = ChildElement(ChildElement(root, kNsProtocol, "Status"), kNsProtocol, "StatusCode");
    if (sub) {
      xmlNode* inner = ChildElement(code, kNsProtocol, "StatusCode");
      *sub = inner ? Attr(inner, "Value").value_or("") : "";
    }
    return Attr(code, "Value").value_or("");
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_;
  std::shared_ptr<SigningKey> idp_key_, sp_key_, other_key_;
  std::string idp_cert_, sp_cert_;
  ClaimsCatalogue catalogue_;
  std::unique_ptr<ServiceRegistry> services_;
  FakeAuthenticator auth_;
  std::unique_ptr<SamlIdp> idp_;
  // What FinishLogin's login reports: its level and eID (empty: none).
  std::string login_acr_ = std::string(eidas::kLoaSubstantial);
  std::string login_eid_;
};

}  // namespace certme::saml::testing
