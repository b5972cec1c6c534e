// Helpers of the console tests: RSA keys and self-signed certificates made
// on the fly (PEM, DER, the private key PEM and a PKCS#12 bundle, to check
// that the upload refuses them), the claims catalogue of config/.
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "protocols/claims/claims_catalogue.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/service_admin.h"
#include "protocols/saml/dsig.h"
#include "store/memory/memory_store.h"
#include "store/store.h"

namespace certme::admin::testing {

struct TestCert {
  std::shared_ptr<SigningKey> key;
  std::string der;
  std::string pem;
  std::string private_pem;
  std::string p12;
};

inline TestCert MakeCert(const char* cn) {
  TestCert c;
  auto k = GenerateSigningKey("RSA", cn);
  EXPECT_TRUE(k.ok());
  c.key = *k;
  EVP_PKEY* pkey = BorrowEvpPkey(*c.key);
  auto der = saml::MakeSelfSignedCertificate(pkey, cn, 1'700'000'000 - 3600, 365, SystemRandom());
  EXPECT_TRUE(der.ok());
  c.der = *der;
  c.pem = CertificateDerToPem(c.der);
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  c.private_pem.assign(p, static_cast<size_t>(n));
  BIO_free(b);
  const unsigned char* dp = reinterpret_cast<const unsigned char*>(c.der.data());
  X509* x = d2i_X509(nullptr, &dp, static_cast<long>(c.der.size()));
  PKCS12* p12 = PKCS12_create("pw", cn, pkey, x, nullptr, 0, 0, 0, 0, 0);
  unsigned char* out = nullptr;
  int len = i2d_PKCS12(p12, &out);
  c.p12.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  PKCS12_free(p12);
  X509_free(x);
  return c;
}

inline const ClaimsCatalogue& Catalogue() {
  static const ClaimsCatalogue* cat = [] {
    auto c = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return new ClaimsCatalogue(std::move(*c));
  }();
  return *cat;
}

// Two environments (test and production), each with its memory store, one
// audit log and the ServiceAdmin over them; CertA/CertB are two services'
// certificates. Shared by the service admin and field table tests.
class ServiceAdminFixture : public ::testing::Test {
 protected:
  ServiceAdminFixture()
      : test_store_(NewMemoryStore({&clock_})),
        prod_store_(NewMemoryStore({&clock_})),
        audit_(*test_store_, clock_),
        admin_(*test_store_, {"test", "https://test.bridge", test_store_.get()},
               Environment{"production", "https://bridge", prod_store_.get()}, Catalogue(), audit_, clock_,
               random_) {}

  static const TestCert& CertA() {
    static TestCert c = MakeCert("sp-test");
    return c;
  }
  static const TestCert& CertB() {
    static TestCert c = MakeCert("sp-prod");
    return c;
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> test_store_, prod_store_;
  AuditLog audit_;
  ServiceAdmin admin_;
};

}  // namespace certme::admin::testing
