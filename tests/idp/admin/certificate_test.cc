#include "idp/admin/certificate.h"

#include <gtest/gtest.h>

#include "admin_test_util.h"

namespace certme::admin {
namespace {

using testing::MakeCert;

TEST(AdminCertificateTest, AcceptsPemAndDerAlike) {
  auto c = MakeCert("sp.example");
  auto pem = ParseUploadedCertificate(c.pem);
  auto der = ParseUploadedCertificate(c.der);
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  EXPECT_EQ(pem->sha256_hex, der->sha256_hex);
  EXPECT_EQ(pem->pem, der->pem);
  EXPECT_NE(pem->subject.find("sp.example"), std::string::npos);
  EXPECT_GT(pem->not_after, 1'700'000'000);
}

TEST(AdminCertificateTest, RefusesPrivateKeysSayingNeverSendThePfx) {
  auto c = MakeCert("sp.example");
  for (const std::string& bad : {c.private_pem, c.p12, c.pem + c.private_pem}) {
    auto r = ParseUploadedCertificate(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("never send the .pfx"), std::string::npos) << r.status().message();
  }
}

TEST(AdminCertificateTest, RefusesWhatIsNotOneCertificate) {
  auto a = MakeCert("a");
  auto b = MakeCert("b");
  EXPECT_FALSE(ParseUploadedCertificate("").ok());
  EXPECT_FALSE(ParseUploadedCertificate("hello").ok());
  EXPECT_FALSE(ParseUploadedCertificate(a.pem + b.pem).ok());
  EXPECT_FALSE(ParseUploadedCertificate(a.der + "trailing").ok());
  EXPECT_FALSE(ParseUploadedCertificate(a.der.substr(0, a.der.size() / 2)).ok());
  EXPECT_FALSE(ParseUploadedCertificate(std::string(70 * 1024, 'A')).ok());
  EXPECT_FALSE(ParseUploadedCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

}  // namespace
}  // namespace certme::admin
