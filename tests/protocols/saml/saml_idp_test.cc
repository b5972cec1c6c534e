// SAML IdP: the SSO flow end to end over plain requests, and the crafted
// messages the issue lists (signature wrapping, unsigned, wrong certificate,
// SHA-1, stale, replayed, unknown issuer, unregistered ACS, DOCTYPE).
#include <gtest/gtest.h>

#include <regex>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

TEST_F(SamlIdpTest, SignedPostLoginYieldsSignedMPassResponse) {
  HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml("_req1", Now()), *sp_key_)));
  ASSERT_EQ(begin.status, 302) << begin.body;
  ASSERT_EQ(auth_.requests.size(), 1u);
  const LoginRequest& lr = auth_.requests[0];
  EXPECT_EQ(lr.protocol, "saml");
  EXPECT_EQ(lr.service_id, kSp);
  std::string browser;
  for (const auto& c : begin.cookies)
    if (c.name == "certme_saml_browser") browser = c.value;
  ASSERT_FALSE(browser.empty());

  LoginResult res;
  res.txn = lr.txn;
  res.subject = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
  res.attributes = {{"idnp", "2001234567890"}, {"first_name", "Ion"}, {"birth_date", "1985-04-12"},
                    {"gender", "1"}, {"email", "ion@example.md"}};
  res.acr = std::string(eidas::kLoaSubstantial);
  res.auth_time = Now();
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  HttpRequest resume;
  resume.method = "GET";
  resume.path = "/saml/resume";
  resume.query = {{"txn", lr.txn}};
  resume.cookies["certme_saml_browser"] = browser;
  HttpResponse done = idp_->Resume(resume);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_NE(done.body.find("action=\"https://sp.example/acs\""), std::string::npos);
  EXPECT_NE(done.body.find("name=\"RelayState\" value=\"rs-1\""), std::string::npos);
  std::string xml = ResponseXml(done);
  ASSERT_EQ(StatusOf(xml), kStatusSuccess);
  EXPECT_NE(xml.find("InResponseTo=\"_req1\""), std::string::npos);
  EXPECT_NE(xml.find("Consent=\"urn:oasis:names:tc:SAML:2.0:consent:prior\""), std::string::npos);
  EXPECT_NE(xml.find(">2001234567890</saml:NameID>"), std::string::npos);
  EXPECT_NE(xml.find("Recipient=\"https://sp.example/acs\""), std::string::npos);
  EXPECT_NE(xml.find("<saml:Audience>https://sp.example/metadata</saml:Audience>"), std::string::npos);
  EXPECT_NE(xml.find("SessionNotOnOrAfter="), std::string::npos);
  EXPECT_NE(xml.find(">http://eidas.europa.eu/LoA/substantial<"), std::string::npos);
  EXPECT_NE(xml.find("Name=\"BirthDate\"><saml:AttributeValue xsi:type=\"xs:string\">1985-04-12<"), std::string::npos);
  EXPECT_NE(xml.find("Name=\"Gender\"><saml:AttributeValue xsi:type=\"xs:string\">1<"), std::string::npos);
  // Not registered by the service: not released.
  EXPECT_EQ(xml.find("EmailAddress"), std::string::npos);
  // A session cookie was set; a second request from the same browser is
  // answered without a new login (SSO).
  std::string session;
  for (const auto& c : done.cookies)
    if (c.name == kSessionCookie) session = c.value;
  ASSERT_FALSE(session.empty());
  HttpRequest again = Post(Sign(AuthnXml("_req2", Now()), *sp_key_));
  again.cookies[std::string(kSessionCookie)] = session;
  HttpResponse sso = idp_->Sso(again);
  EXPECT_EQ(auth_.requests.size(), 1u);
  EXPECT_EQ(StatusOf(ResponseXml(sso)), kStatusSuccess);
  // ForceAuthn forces a new login even with a session.
  HttpRequest forced = Post(Sign(AuthnXml("_req3", Now(), "ForceAuthn=\"true\""), *sp_key_));
  forced.cookies[std::string(kSessionCookie)] = session;
  EXPECT_EQ(idp_->Sso(forced).status, 302);
  EXPECT_EQ(auth_.requests.size(), 2u);
  EXPECT_TRUE(auth_.requests[1].force_authn);
}

TEST_F(SamlIdpTest, ResumeFromAnotherBrowserIsRefused) {
  HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml("_b1", Now()), *sp_key_)));
  ASSERT_EQ(auth_.requests.size(), 1u);
  HttpRequest resume;
  resume.method = "GET";
  resume.query = {{"txn", auth_.requests[0].txn}};
  resume.cookies["certme_saml_browser"] = std::string(43, 'x');
  HttpResponse r = idp_->Resume(resume);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(ResponseXml(r).empty());
}



TEST_F(SamlIdpTest, UnsignedRequestIsDeniedToTheRegisteredAcs) {
  HttpResponse r = idp_->Sso(Post(AuthnXml("_u1", Now())));
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(r), &sub), kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SamlIdpTest, WrongCertificateIsDenied) {
  HttpResponse r = idp_->Sso(Post(Sign(AuthnXml("_w1", Now()), *other_key_)));
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(r), &sub), kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SamlIdpTest, StaleAndFutureIssueInstantAreDenied) {
  for (int64_t t : {Now() - 3600, Now() + 3600}) {
    HttpResponse r = idp_->Sso(Post(Sign(AuthnXml("_s" + std::to_string(t), t), *sp_key_)));
    std::string sub;
    EXPECT_EQ(StatusOf(ResponseXml(r), &sub), kStatusRequester);
    EXPECT_EQ(sub, kStatusRequestDenied);
  }
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SamlIdpTest, ReplayedIdIsDenied) {
  std::string signed_xml = Sign(AuthnXml("_r1", Now()), *sp_key_);
  EXPECT_EQ(idp_->Sso(Post(signed_xml)).status, 302);
  HttpResponse r = idp_->Sso(Post(signed_xml));
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(r), &sub), kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_EQ(auth_.requests.size(), 1u);
}

TEST_F(SamlIdpTest, UnknownIssuerAndUnregisteredAcsGetAPageNotAResponse) {
  HttpResponse unknown = idp_->Sso(Post(Sign(AuthnXml("_i1", Now(), "", "https://evil.example"), *sp_key_)));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(ResponseXml(unknown).empty());
  std::string xml = AuthnXml("_i2", Now());
  xml.replace(xml.find(kAcs), strlen(kAcs), "https://evil.example/acs");
  HttpResponse bad_acs = idp_->Sso(Post(Sign(xml, *sp_key_)));
  EXPECT_EQ(bad_acs.status, 400);
  EXPECT_TRUE(ResponseXml(bad_acs).empty());
  EXPECT_EQ(bad_acs.body.find("evil.example"), std::string::npos);
}

TEST_F(SamlIdpTest, VersionMismatchAndNoPassive) {
  std::string v1 = AuthnXml("_v1", Now());
  v1.replace(v1.find("Version=\"2.0\""), 13, "Version=\"1.1\"");
  EXPECT_EQ(StatusOf(ResponseXml(idp_->Sso(Post(Sign(v1, *sp_key_))))), kStatusVersionMismatch);
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(idp_->Sso(Post(Sign(AuthnXml("_p1", Now(), "IsPassive=\"true\""), *sp_key_)))), &sub),
            kStatusResponder);
  EXPECT_EQ(sub, kStatusNoPassive);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SamlIdpTest, DoctypeAndEntitiesAreRefused) {
  std::string xml = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" +
                    AuthnXml("_d1", Now());
  HttpResponse r = idp_->Sso(Post(xml));
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(ParseUntrustedXml(xml).ok());
  EXPECT_FALSE(ParseAuthnRequest(xml).ok());
}

// ---- signature wrapping, at the verifier ----

class WrappingTest : public SamlIdpTest {
 protected:
  // Verifies the root of `xml` with the SP key, as the IdP does.
  Status VerifyRoot(const std::string& xml) {
    auto doc = ParseUntrustedXml(xml);
    if (!doc.ok()) return doc.status();
    return VerifyEnvelopedSignature(doc->get(), xmlDocGetRootElement(doc->get()), BorrowEvpPkey(*sp_key_));
  }
  std::string Strip(std::string s) {  // drop the XML declaration
    if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
    while (!s.empty() && (s[0] == '\n')) s.erase(0, 1);
    return s;
  }
};

TEST_F(WrappingTest, GenuineSignatureVerifies) {
  EXPECT_TRUE(VerifyRoot(Sign(AuthnXml("_g1", Now()), *sp_key_)).ok());
  // And any change to the signed content breaks it.
  std::string s = Sign(AuthnXml("_g2", Now()), *sp_key_);
  s.replace(s.find(kAcs), strlen(kAcs), "https://sp.example/acs2");
  EXPECT_EQ(VerifyRoot(s).code(), StatusCode::kUnauthenticated);
}

TEST_F(WrappingTest, SignedElementMovedIntoExtensionsIsRefused) {
  std::string genuine = Strip(Sign(AuthnXml("_orig", Now()), *sp_key_));
  // The forged root carries a new ID and ACS; the signed original hides in Extensions.
  std::string forged = AuthnXml("_evil", Now(), "", kSp, "<samlp:Extensions>" + genuine + "</samlp:Extensions>");
  EXPECT_EQ(VerifyRoot(forged).code(), StatusCode::kUnauthenticated);
  HttpResponse r = idp_->Sso(Post(forged));
  EXPECT_TRUE(auth_.requests.empty());
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(r), &sub), kStatusRequester);
}

TEST_F(WrappingTest, SignatureMovedToForgedRootWithOriginalIdDuplicatedIsRefused) {
  std::string genuine = Strip(Sign(AuthnXml("_dup", Now()), *sp_key_));
  // Forged root reuses the original ID and the original Signature element,
  // while the genuine element (same ID) sits in Extensions for the digest.
  auto doc = ParseOwnXml(genuine);
  ASSERT_TRUE(doc.ok());
  xmlNode* sig = ChildElement(xmlDocGetRootElement(doc->get()), kNsDsig, "Signature");
  ASSERT_NE(sig, nullptr);
  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, doc->get(), sig, 0, 0);
  std::string sig_xml(reinterpret_cast<const char*>(xmlBufferContent(buf)));
  xmlBufferFree(buf);
  std::string forged = AuthnXml("_dup", Now(), "", kSp,
                                sig_xml + "<samlp:Extensions>" + genuine + "</samlp:Extensions>");
  forged.replace(forged.find(kAcs), strlen(kAcs), "https://sp.example/acs2");
  EXPECT_EQ(VerifyRoot(forged).code(), StatusCode::kUnauthenticated);
}

TEST_F(WrappingTest, ReferenceToAnotherElementIsRefused) {
  // A signature that is valid over a *different* element (a signed sibling)
  // but placed under the consumed root: Reference URI != #root ID.
  std::string inner = Strip(Sign(AuthnXml("_inner", Now()), *sp_key_));
  auto doc = ParseOwnXml(inner);
  xmlNode* sig = ChildElement(xmlDocGetRootElement(doc->get()), kNsDsig, "Signature");
  xmlBufferPtr buf = xmlBufferCreate();
  xmlNodeDump(buf, doc->get(), sig, 0, 0);
  std::string sig_xml(reinterpret_cast<const char*>(xmlBufferContent(buf)));
  xmlBufferFree(buf);
  std::string forged = AuthnXml("_outer", Now(), "", kSp, sig_xml + "<samlp:Extensions>" + inner + "</samlp:Extensions>");
  EXPECT_EQ(VerifyRoot(forged).code(), StatusCode::kUnauthenticated);
}

TEST_F(WrappingTest, TwoSignaturesOrTwoReferencesAreRefused) {
  std::string once = Sign(AuthnXml("_two", Now()), *sp_key_);
  auto doc = ParseOwnXml(once);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  ASSERT_TRUE(SignEnveloped(doc->get(), root, BorrowEvpPkey(*sp_key_), "").ok());
  EXPECT_EQ(VerifyEnvelopedSignature(doc->get(), root, BorrowEvpPkey(*sp_key_)).code(), StatusCode::kUnauthenticated);
  // An extra Reference in SignedInfo.
  std::string s = Sign(AuthnXml("_ref", Now()), *sp_key_);
  size_t pos = s.find("</ds:SignedInfo>");
  ASSERT_NE(pos, std::string::npos);
  s.insert(pos, "<ds:Reference URI=\"#_ref\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
                "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>");
  EXPECT_EQ(VerifyRoot(s).code(), StatusCode::kUnauthenticated);
}

TEST_F(WrappingTest, ExternalReferenceAndXmlIdDuplicateAreRefused) {
  std::string s = Sign(AuthnXml("_ext", Now()), *sp_key_);
  std::string ext = s;
  ext.replace(ext.find("URI=\"#_ext\""), 11, "URI=\"http://evil.example/x\"");
  EXPECT_EQ(VerifyRoot(ext).code(), StatusCode::kUnauthenticated);
  // Another element claiming the same ID through xml:id.
  std::string dup = s;
  dup.replace(dup.find("</samlp:AuthnRequest>"), 21,
              "<samlp:Extensions><x xml:id=\"_ext\"/></samlp:Extensions></samlp:AuthnRequest>");
  EXPECT_EQ(VerifyRoot(dup).code(), StatusCode::kUnauthenticated);
}

TEST_F(WrappingTest, Sha1IsRefusedUnlessAllowed) {
  std::string octets = "SAMLRequest=abc&SigAlg=" + PercentEncode(kAlgRsaSha1);
  EVP_PKEY* pk = BorrowEvpPkey(*sp_key_);
  // Sign with SHA-1 by hand.
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  ASSERT_EQ(EVP_DigestSignInit(md, nullptr, EVP_sha1(), nullptr, pk), 1);
  ASSERT_EQ(EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(octets.data()), octets.size()), 1);
  std::string sig(len, '\0');
  ASSERT_EQ(EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(octets.data()), octets.size()), 1);
  EVP_MD_CTX_free(md);
  EXPECT_EQ(VerifyRedirect(pk, kAlgRsaSha1, octets, sig).code(), StatusCode::kUnauthenticated);
  DsigPolicy allow;
  allow.allow_sha1 = true;
  EXPECT_TRUE(VerifyRedirect(pk, kAlgRsaSha1, octets, sig, allow).ok());
  // XML signatures: an rsa-sha1 SignatureMethod is refused before any crypto.
  std::string s = Sign(AuthnXml("_sha1", Now()), *sp_key_);
  s.replace(s.find(kAlgRsaSha256), kAlgRsaSha256.size(), kAlgRsaSha1);
  EXPECT_EQ(VerifyRoot(s).code(), StatusCode::kUnauthenticated);
}

TEST_F(SamlIdpTest, RedirectBindingWithDetachedSignature) {
  std::string xml = AuthnXml("_rd1", Now());
  std::string q = "SAMLRequest=" + PercentEncode(DeflateAndBase64(xml)) + "&RelayState=rs&SigAlg=" +
                  PercentEncode(kAlgRsaSha256);
  auto sig = SignRedirect(BorrowEvpPkey(*sp_key_), q);
  ASSERT_TRUE(sig.ok());
  auto make = [&](const std::string& raw) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/saml/sso";
    r.raw_query = raw;
    r.query = *ParseUrlEncoded(raw);
    return r;
  };
  HttpResponse ok = idp_->Sso(make(q + "&Signature=" + PercentEncode(Base64Encode(*sig))));
  EXPECT_EQ(ok.status, 302) << ok.body;
  EXPECT_EQ(auth_.requests.size(), 1u);
  // Same signature, another RelayState: refused.
  std::string tampered = q;
  tampered.replace(tampered.find("RelayState=rs"), 13, "RelayState=xx");
  HttpResponse bad = idp_->Sso(make(tampered + "&Signature=" + PercentEncode(Base64Encode(*sig))));
  std::string sub;
  EXPECT_EQ(StatusOf(ResponseXml(bad), &sub), kStatusRequester);
  EXPECT_EQ(auth_.requests.size(), 1u);
}

TEST_F(SamlIdpTest, MetadataIsSignedAndListsEndpoints) {
  auto md = idp_->MetadataXml();
  ASSERT_TRUE(md.ok());
  auto doc = ParseUntrustedXml(*md);
  ASSERT_TRUE(doc.ok());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  EXPECT_TRUE(VerifyEnvelopedSignature(doc->get(), root, BorrowEvpPkey(*idp_key_)).ok());
  EXPECT_EQ(Attr(root, "entityID").value_or(""), "https://idp.test/saml/metadata");
  EXPECT_TRUE(Attr(root, "validUntil").has_value());
  EXPECT_NE(md->find("Location=\"https://idp.test/saml/sso\""), std::string::npos);
  EXPECT_NE(md->find("Location=\"https://idp.test/saml/slo\""), std::string::npos);
  EXPECT_NE(md->find("xml:lang=\"ru\""), std::string::npos);
  // One KeyDescriptor, for signing: the IdP decrypts nothing, so it offers
  // no encryption key that an SP (Shibboleth SP 3 by default) would
  // encrypt the NameIDs of its LogoutRequests to.
  xmlNode* idp_sso = ChildElement(root, kNsMetadata, "IDPSSODescriptor");
  ASSERT_NE(idp_sso, nullptr);
  auto key_descriptors = ChildElements(idp_sso, kNsMetadata, "KeyDescriptor");
  ASSERT_EQ(key_descriptors.size(), 1u);
  EXPECT_EQ(Attr(key_descriptors[0], "use").value_or(""), "signing");
  // Round trip: our own metadata reads as a (valid) entity descriptor shape.
  EXPECT_FALSE(ServiceFromMetadata(*md).ok());  // an IdP descriptor is not an SP
}

TEST_F(SamlIdpTest, SpMetadataImport) {
  std::string cert = Base64Encode(sp_cert_);
  std::string md =
      "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
      "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:mdui=\"urn:oasis:names:tc:SAML:metadata:ui\" "
      "entityID=\"https://sp2.example\"><md:SPSSODescriptor AuthnRequestsSigned=\"true\" "
      "WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
      "<md:Extensions><mdui:UIInfo><mdui:DisplayName xml:lang=\"ro\">Doi</mdui:DisplayName></mdui:UIInfo></md:Extensions>"
      "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + cert +
      "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
      "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:SOAP\" Location=\"https://sp2.example/soap\"/>"
      "<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"https://sp2.example/slo\"/>"
      "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
      "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://sp2.example/b\" index=\"2\"/>"
      "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://sp2.example/a\" index=\"1\"/>"
      "</md:SPSSODescriptor><md:ContactPerson contactType=\"technical\"><md:EmailAddress>mailto:ops@sp2.example</md:EmailAddress>"
      "</md:ContactPerson></md:EntityDescriptor>";
  auto s = ServiceFromMetadata(md);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->entity_id, "https://sp2.example");
  EXPECT_EQ(s->acs_urls, (std::vector<std::string>{"https://sp2.example/a", "https://sp2.example/b"}));
  EXPECT_EQ(s->slo_url, "https://sp2.example/slo");
  EXPECT_EQ(s->slo_binding, "redirect");
  // The SOAP endpoint, for logouts without a browser (a suspended eID).
  EXPECT_EQ(s->slo_soap_url, "https://sp2.example/soap");
  EXPECT_TRUE(ValidateService(*s).ok());
  SamlService bad = *s;
  bad.slo_soap_url = "ftp://sp2.example/soap";
  EXPECT_FALSE(ValidateService(bad).ok());
  auto round = ServiceFromJson(ServiceToJson(*s));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->slo_soap_url, "https://sp2.example/soap");
  EXPECT_TRUE(s->sign_assertion);
  EXPECT_EQ(s->name_id, kNameIdKindPersistent);
  EXPECT_EQ(s->names.at("ro"), "Doi");
  EXPECT_EQ(s->technical_contact, "ops@sp2.example");
}

}  // namespace
}  // namespace certme::saml
