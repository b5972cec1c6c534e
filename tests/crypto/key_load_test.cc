// Loading keys: PEM (PKCS#8, traditional, encrypted), certificates, PKCS#12.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "tests/crypto/test_keys.h"

namespace certme {
namespace {

using testing::Keys;
using Json = nlohmann::json;
using KeyList = std::vector<std::shared_ptr<const PublicKey>>;

const Json kClaims = {{"iss", "https://bridge.test"}, {"sub", "alice"}, {"n", 7}};
using testing::EncodePrivate;

TEST(KeyLoadTest, Pkcs8PemRoundTrip) {
  for (const auto& key : {Keys().rsa, Keys().ec, Keys().ed}) {
    auto pem = SigningKeyToPem(*key);
    ASSERT_TRUE(pem.ok());
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
    auto back = ParseSigningKeyPem(*pem, key->kid());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ((*back)->ToJwk(), key->ToJwk());
    // The reloaded key signs tokens the original verifies.
    JwsAlg alg = key == Keys().rsa ? JwsAlg::kRS256 : key == Keys().ec ? JwsAlg::kES256 : JwsAlg::kEdDSA;
    auto t = SignJwt(**back, alg, kClaims);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(VerifyJwt(*t, {key}, {alg}).ok());
  }
}

TEST(KeyLoadTest, TraditionalPemLoads) {
  struct Case {
    std::shared_ptr<SigningKey> key;
    const char* begin;
  };
  for (const auto& c : {Case{Keys().rsa, "-----BEGIN RSA PRIVATE KEY-----"},
                        Case{Keys().ec, "-----BEGIN EC PRIVATE KEY-----"}}) {
    std::string pem = EncodePrivate(BorrowEvpPkey(*c.key), "type-specific");
    ASSERT_EQ(pem.rfind(c.begin, 0), 0u) << pem.substr(0, 40);
    auto back = ParseSigningKeyPem(pem, "");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(JwkThumbprint(**back), JwkThumbprint(*c.key));
  }
}

TEST(KeyLoadTest, EmptyKidBecomesThumbprint) {
  auto pem = SigningKeyToPem(*Keys().ec);
  ASSERT_TRUE(pem.ok());
  auto k = ParseSigningKeyPem(*pem, "");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ((*k)->kid(), JwkThumbprint(*Keys().ec));
  EXPECT_EQ((*k)->ToJwk()["kid"], (*k)->kid());
}

TEST(KeyLoadTest, EncryptedPemNeedsThePassword) {
  BIO* bio = BIO_new(BIO_s_mem());
  const char* pw = "s3cret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, BorrowEvpPkey(*Keys().ec), EVP_aes_256_cbc(), pw,
                                          static_cast<int>(strlen(pw)), nullptr, nullptr),
            1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  ASSERT_NE(pem.find("ENCRYPTED"), std::string::npos);

  EXPECT_EQ(ParseSigningKeyPem(pem, "k").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSigningKeyPem(pem, "k", Secret("wrong")).ok());
  auto k = ParseSigningKeyPem(pem, "k", Secret(pw));
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(JwkThumbprint(**k), JwkThumbprint(*Keys().ec));
}

TEST(KeyLoadTest, PemFileAndErrors) {
  testing::TempDir dir;
  auto pem = SigningKeyToPem(*Keys().ed);
  ASSERT_TRUE(pem.ok());
  auto k = LoadSigningKeyPem(dir.Write("ed.pem", *pem), "ed");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ((*k)->ToJwk()["x"], Keys().ed->ToJwk()["x"]);

  EXPECT_EQ(LoadSigningKeyPem((dir.path() / "missing.pem").string(), "x").status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(ParseSigningKeyPem("garbage", "x").ok());
  EXPECT_FALSE(ParseSigningKeyPem(Keys().ec->ToPem(), "x").ok());  // public key only
}

TEST(KeyLoadTest, WeakOrUnsupportedKeysAreRejected) {
  struct Case {
    const char* type;
    const char* param;
    size_t bits;
  };
  EVP_PKEY* rsa1024 = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  EVP_PKEY* secp256k1 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
  EVP_PKEY* ed448 = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  for (EVP_PKEY* pkey : {rsa1024, p384, secp256k1, ed448}) {
    ASSERT_NE(pkey, nullptr);
    std::string pem = EncodePrivate(pkey, "PrivateKeyInfo");
    auto k = ParseSigningKeyPem(pem, "weak");
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument) << EVP_PKEY_get0_type_name(pkey);
    EVP_PKEY_free(pkey);
  }
  EXPECT_FALSE(GenerateSigningKey("oct", "x").ok());
  EXPECT_FALSE(GenerateSigningKey("rsa", "x").ok());
}

TEST(KeyLoadTest, PublicKeyPem) {
  auto pub = ParsePublicKeyPem(Keys().rsa->ToPem(), "rsa-1");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(Keys().rsa->ToPem().rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto t = SignJwt(*Keys().rsa, JwsAlg::kPS256, kClaims);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(VerifyJwt(*t, {*pub}, {JwsAlg::kPS256}).ok());
  EXPECT_FALSE(ParsePublicKeyPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "")
                   .ok());
}

TEST(KeyLoadTest, EvpKeyIsExposedOnlyForOurKeys) {
  EXPECT_NE(BorrowEvpPkey(*Keys().rsa), nullptr);
  auto pub = ParsePublicKeyJwk(Keys().ec->ToJwk());
  ASSERT_TRUE(pub.ok());
  EXPECT_NE(BorrowEvpPkey(**pub), nullptr);
  struct Fake : SigningKey {
    const std::string& kid() const override { return kid_; }
    bool Supports(JwsAlg) const override { return true; }
    bool Verify(JwsAlg, std::string_view, std::string_view) const override { return false; }
    Json ToJwk() const override { return Json::object(); }
    std::string ToPem() const override { return ""; }
    StatusOr<std::string> Sign(JwsAlg, std::string_view) const override { return std::string(); }
    std::string kid_;
  } fake;
  EXPECT_EQ(BorrowEvpPkey(fake), nullptr);
  EXPECT_EQ(SigningKeyToPem(fake).status().code(), StatusCode::kInvalidArgument);
}

// ---------------- certificates and PKCS#12 ----------------

TEST(CertificateTest, PublicKeyFromSelfSignedCertificate) {
  for (const auto& key : {Keys().rsa, Keys().ec, Keys().ed}) {
    std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*key), "bridge test");
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
    const std::string x5t = Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), 32));

    for (const std::string& input : {der, testing::DerToPem(der)}) {
      auto pub = ParsePublicKeyFromCertificate(input);
      ASSERT_TRUE(pub.ok()) << pub.status().ToString();
      EXPECT_EQ((*pub)->kid(), x5t);
      EXPECT_EQ(JwkThumbprint(**pub), JwkThumbprint(*key));
    }
    // ParsePublicKeyPem accepts a certificate PEM and keeps the given kid.
    auto viapem = ParsePublicKeyPem(testing::DerToPem(der), "svc");
    ASSERT_TRUE(viapem.ok());
    EXPECT_EQ((*viapem)->kid(), "svc");
  }
}

TEST(CertificateTest, GarbageIsRejected) {
  std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*Keys().ec), "x");
  EXPECT_FALSE(ParsePublicKeyFromCertificate("").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate("not a cert").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate(der.substr(0, der.size() - 5)).ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate(der + "trailing").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

TEST(Pkcs12Test, LoadsGeneratedBundleAndRejectsWrongPassword) {
  testing::TempDir dir;
  EVP_PKEY* pkey = BorrowEvpPkey(*Keys().rsa);
  std::string cert = testing::SelfSignedCertDer(pkey, "idp signing");
  std::string path = dir.Write("idp.p12", testing::MakeP12(pkey, cert, "correct horse"));

  auto key = LoadSigningKeyP12(path, Secret("correct horse"), "idp");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ((*key)->kid(), "idp");
  EXPECT_EQ(JwkThumbprint(**key), JwkThumbprint(*Keys().rsa));
  auto t = SignJwt(**key, JwsAlg::kRS256, kClaims);
  ASSERT_TRUE(t.ok());
  auto original_pub = ParsePublicKeyPem(Keys().rsa->ToPem(), "idp");
  ASSERT_TRUE(original_pub.ok());
  EXPECT_TRUE(VerifyJwt(*t, {*original_pub}, {JwsAlg::kRS256}).ok());

  auto contents = ParseP12(testing::ReadAll(path), Secret("correct horse"), "");
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->certificate_der, cert);
  EXPECT_TRUE(contents->chain_der.empty());

  auto wrong = LoadSigningKeyP12(path, Secret("battery staple"), "idp");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LoadSigningKeyP12(path, Secret(""), "idp").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(ParseP12("not pkcs12", Secret("x"), "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadSigningKeyP12((dir.path() / "none.p12").string(), Secret("x"), "").status().code(),
            StatusCode::kNotFound);
}

TEST(Pkcs12Test, LegacyCipherBundleLoads) {
  auto contents = ParseP12(testing::ReadAll(std::string(CERTME_CRYPTO_TESTDATA) + "/legacy_rc2.p12"),
                           Secret("legacy-test"), "legacy");
  ASSERT_TRUE(contents.ok()) << contents.status().ToString();
  EXPECT_TRUE((*contents).key->Supports(JwsAlg::kES256));
  auto pub = ParsePublicKeyFromCertificate(contents->certificate_der);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(JwkThumbprint(**pub), JwkThumbprint(*contents->key));
}

// ---------------- JWK ----------------

}  // namespace
}  // namespace certme
