// EncryptedAssertion (SAML Core §2.3.4, XML Encryption 1.1): a service that
// registers encrypt_assertion gets its Assertion as AES-256-GCM data under
// an RSA-OAEP key wrapped to its encryption certificate, inside a signed
// Response. Decryption here uses xmlsec1's own XML Encryption code (the
// library python3-saml and Lasso/mod_auth_mellon decrypt with), not ours.
#include <gtest/gtest.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmlenc.h>

#include <regex>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xenc.h"
#include "protocols/saml/xml.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

// Decrypts the first xenc:EncryptedData of `doc` in place with `key`
// (an RSA private key) through xmlsec1; false when xmlsec refuses.
bool XmlsecDecrypt(xmlDoc* doc, SigningKey& key) {
  std::vector<xmlNode*> found = Descendants(xmlDocGetRootElement(doc), kNsXenc, "EncryptedData");
  if (found.empty()) return false;
  xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
  bool ok = mngr && xmlSecOpenSSLAppDefaultKeysMngrInit(mngr) >= 0;
  if (ok) {
    EVP_PKEY* pkey = BorrowEvpPkey(key);
    EVP_PKEY_up_ref(pkey);
    xmlSecKeyPtr k = xmlSecKeyCreate();
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
    ok = k && data && xmlSecKeySetValue(k, data) >= 0 && xmlSecOpenSSLAppDefaultKeysMngrAdoptKey(mngr, k) >= 0;
  }
  xmlSecEncCtxPtr ctx = ok ? xmlSecEncCtxCreate(mngr) : nullptr;
  ok = ctx && xmlSecEncCtxDecrypt(ctx, found[0]) >= 0 && ctx->resultReplaced;
  if (ctx) xmlSecEncCtxDestroy(ctx);
  if (mngr) xmlSecKeysMngrDestroy(mngr);
  return ok;
}

class EncryptionTest : public SamlIdpTest {
 protected:
  // One login at kSp through the fake login; returns the Response XML.
  std::string LoginResponse(const std::string& request_id) {
    HttpResponse begin = idp_->Sso(Post(Sign(AuthnXml(request_id, Now()), *sp_key_)));
    return ResponseXml(FinishLogin(begin, {{"idnp", "2001234567890"},
                                           {"first_name", "Ion"},
                                           {"birth_date", "1985-04-12"},
                                           {"gender", "1"}}));
  }

  void Register(bool sign_assertion, const std::string& encryption_cert_pem) {
    auto s = services_->Get(kSp);
    ASSERT_TRUE(s.ok());
    s->encrypt_assertion = true;
    s->sign_assertion = sign_assertion;
    s->encryption_certificate_pem = encryption_cert_pem;
    Status st = services_->Put(*s);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
};

TEST_F(EncryptionTest, SignedAssertionIsEncryptedToTheServiceAndDecryptsWithXmlsec) {
  Register(/*sign_assertion=*/true, "");
  std::string xml = LoginResponse("_enc1");
  ASSERT_EQ(StatusOf(xml), kStatusSuccess);  // the Response signature (over the ciphertext) verifies
  // Nothing of the person travels in clear.
  EXPECT_EQ(xml.find("<saml:Assertion"), std::string::npos);
  EXPECT_EQ(xml.find("2001234567890"), std::string::npos);
  // As element text: three letters can occur by chance in the base64 of the ciphertext.
  EXPECT_EQ(xml.find(">Ion<"), std::string::npos);
  EXPECT_NE(xml.find(std::string("Algorithm=\"") + std::string(kAlgAes256Gcm) + "\""), std::string::npos);
  EXPECT_NE(xml.find(std::string("Algorithm=\"") + std::string(kAlgRsaOaep) + "\""), std::string::npos);

  auto doc = ParseUntrustedXml(xml);
  ASSERT_TRUE(doc.ok());
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* enc = ChildElement(root, kNsAssertion, "EncryptedAssertion");
  ASSERT_NE(enc, nullptr);
  // Another key cannot open it.
  {
    auto copy = ParseUntrustedXml(xml);
    EXPECT_FALSE(XmlsecDecrypt(copy->get(), *other_key_));
  }
  ASSERT_TRUE(XmlsecDecrypt(doc->get(), *sp_key_));
  xmlNode* assertion = ChildElement(enc, kNsAssertion, "Assertion");
  ASSERT_NE(assertion, nullptr) << SerializeDoc(doc->get());
  // The inner signature was made before encryption and still verifies.
  EXPECT_TRUE(VerifyEnvelopedSignature(doc->get(), assertion, BorrowEvpPkey(*idp_key_)).ok());
  std::string plain = SerializeDoc(doc->get());
  EXPECT_NE(plain.find(">2001234567890</saml:NameID>"), std::string::npos);
  EXPECT_NE(plain.find("Name=\"FirstName\"><saml:AttributeValue xsi:type=\"xs:string\">Ion<"), std::string::npos);
  EXPECT_NE(plain.find("InResponseTo=\"_enc1\""), std::string::npos);
}

TEST_F(EncryptionTest, SeparateEncryptionCertificateIsUsed) {
  auto enc_key = NewKey("sp-enc");
  std::string enc_cert = *MakeSelfSignedCertificate(BorrowEvpPkey(*enc_key), "sp-enc", Now() - 3600, 30, SystemRandom());
  Register(/*sign_assertion=*/false, CertificateDerToPem(enc_cert));
  std::string xml = LoginResponse("_enc2");
  ASSERT_EQ(StatusOf(xml), kStatusSuccess);
  // The EncryptedKey names the certificate it was wrapped to.
  EXPECT_NE(xml.find(Base64Encode(enc_cert)), std::string::npos);
  auto with_signing_key = ParseUntrustedXml(xml);
  EXPECT_FALSE(XmlsecDecrypt(with_signing_key->get(), *sp_key_));
  auto doc = ParseUntrustedXml(xml);
  ASSERT_TRUE(XmlsecDecrypt(doc->get(), *enc_key));
  xmlNode* enc = ChildElement(xmlDocGetRootElement(doc->get()), kNsAssertion, "EncryptedAssertion");
  xmlNode* assertion = ChildElement(enc, kNsAssertion, "Assertion");
  ASSERT_NE(assertion, nullptr);
  EXPECT_FALSE(HasEnvelopedSignature(assertion)) << "sign_assertion is off";
}

TEST_F(EncryptionTest, EachResponseHasItsOwnKeyAndIv) {
  auto a = EncryptAssertion("<a xmlns=\"urn:x\">same</a>", BorrowEvpPkey(*sp_key_), "", SystemRandom());
  auto b = EncryptAssertion("<a xmlns=\"urn:x\">same</a>", BorrowEvpPkey(*sp_key_), "", SystemRandom());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  // Both still decrypt to the same element.
  for (const auto* x : {&*a, &*b}) {
    auto doc = ParseOwnXml(*x);
    ASSERT_TRUE(doc.ok());
    ASSERT_TRUE(XmlsecDecrypt(doc->get(), *sp_key_));
    EXPECT_NE(SerializeDoc(doc->get()).find(">same</a>"), std::string::npos);
  }
}

TEST_F(EncryptionTest, RegistrationNeedsAnRsaEncryptionCertificate) {
  auto s = services_->Get(kSp);
  ASSERT_TRUE(s.ok());
  auto ec = GenerateSigningKey("EC", "ec");
  ASSERT_TRUE(ec.ok());
  std::string ec_cert = *MakeSelfSignedCertificate(BorrowEvpPkey(**ec), "ec", Now() - 3600, 30, SystemRandom());
  s->encrypt_assertion = true;
  s->encryption_certificate_pem = CertificateDerToPem(ec_cert);
  Status st = ValidateService(*s);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("RSA"), std::string::npos) << st.ToString();
  s->encryption_certificate_pem = "not a certificate";
  EXPECT_FALSE(ValidateService(*s).ok());
  s->encryption_certificate_pem.clear();  // the signing certificate (RSA) serves
  EXPECT_TRUE(ValidateService(*s).ok());
  EXPECT_EQ(EncryptAssertion("<a/>", BorrowEvpPkey(**ec), "", SystemRandom()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace certme::saml
