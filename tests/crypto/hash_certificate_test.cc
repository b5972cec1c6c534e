// crypto/hash.h against published vectors, and crypto/certificate.h's
// parsing rules (PEM or DER, nothing after the DER, the fields it reads).
#include <gtest/gtest.h>

#include <string>

#include "common/encoding.h"
#include "crypto/certificate.h"
#include "crypto/hash.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "tests/crypto/test_keys.h"

namespace certme {
namespace {

TEST(HashTest, Sha256OfAbcIsTheFips180Vector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256("abc"), *HexDecode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashTest, HmacSha256MatchesRfc4231) {
  // RFC 4231 §4.3 (test case 2).
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // An empty key is a valid HMAC key (RFC 2104 §3: padded with zeros).
  EXPECT_EQ(HexEncode(HmacSha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CertificateTest, ReadsPemAndDerAlike) {
  std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*testing::Keys().ec), "bridge test");
  for (const std::string& input : {der, testing::DerToPem(der), "text before\n" + testing::DerToPem(der)}) {
    auto cert = ParseCertificate(input);
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    EXPECT_NE(cert->x509, nullptr);
    EXPECT_EQ(cert->der, der);
    EXPECT_EQ(cert->sha256, Sha256(der));
    EXPECT_EQ(cert->subject, "CN=bridge test");
    EXPECT_NE(cert->public_key(), nullptr);
    EXPECT_LT(cert->not_before, cert->not_after);
    EXPECT_TRUE(cert->ValidAt(cert->not_before));
    EXPECT_FALSE(cert->ValidAt(cert->not_after + 1));
  }
  EXPECT_EQ(CertificateDerToPem(der), testing::DerToPem(der));
}

TEST(CertificateTest, RefusesWhatIsNotExactlyOneCertificate) {
  std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*testing::Keys().ec), "x");
  EXPECT_EQ(ParseCertificate(der + "trailing").status().message(), kTrailingBytesAfterCertificate);
  EXPECT_EQ(ParseCertificate(der.substr(0, der.size() - 5)).status().message(), kNotACertificate);
  EXPECT_EQ(ParseCertificate("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").status().message(),
            kNotACertificate);
}

}  // namespace
}  // namespace certme
