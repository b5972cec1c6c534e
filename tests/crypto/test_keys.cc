#include "tests/crypto/test_keys.h"

#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "common/random.h"

namespace certme::testing {

namespace {
std::shared_ptr<SigningKey> MustGenerate(const char* kty, const char* kid) {
  auto k = GenerateSigningKey(kty, kid);
  if (!k.ok()) throw std::runtime_error("key generation failed: " + k.status().ToString());
  return *k;
}
}  // namespace

const TestKeys& Keys() {
  static const TestKeys keys{MustGenerate("RSA", "rsa-1"), MustGenerate("EC", "ec-1"),
                             MustGenerate("OKP", "ed-1"), MustGenerate("EC", "ec-2")};
  return keys;
}

std::string SelfSignedCertDer(EVP_PKEY* pkey, const std::string& common_name) {
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  // Ed25519 signs without a separate digest.
  const EVP_MD* md = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x, pkey, md) <= 0) {
    X509_free(x);
    throw std::runtime_error("X509_sign failed");
  }
  int len = i2d_X509(x, nullptr);
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(x, &p);
  X509_free(x);
  return der;
}

std::string DerToPem(const std::string& cert_der) {
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(x);
  return pem;
}

std::string MakeP12(EVP_PKEY* pkey, const std::string& cert_der, const std::string& password) {
  const auto* p = reinterpret_cast<const unsigned char*>(cert_der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
  PKCS12* p12 = PKCS12_create(password.c_str(), "certme test", pkey, x, nullptr, 0, 0, 0, 0, 0);
  X509_free(x);
  if (!p12) throw std::runtime_error("PKCS12_create failed");
  int len = i2d_PKCS12(p12, nullptr);
  std::string der(static_cast<size_t>(len), '\0');
  auto* o = reinterpret_cast<unsigned char*>(der.data());
  i2d_PKCS12(p12, &o);
  PKCS12_free(p12);
  return der;
}

TempDir::TempDir() {
  path_ = std::filesystem::temp_directory_path() /
          ("certme_crypto_test_" + SystemRandom().Token(9));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& data) const {
  auto p = path_ / name;
  std::ofstream out(p, std::ios::binary);
  out << data;
  return p.string();
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::shared_ptr<SigningKey> KeyFor(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRS256:
    case JwsAlg::kPS256:
      return Keys().rsa;
    case JwsAlg::kES256:
      return Keys().ec;
    case JwsAlg::kEdDSA:
      return Keys().ed;
  }
  return nullptr;
}

std::string EncodePrivate(EVP_PKEY* pkey, const char* structure) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "PEM", structure, nullptr);
  unsigned char* data = nullptr;
  size_t len = 0;
  bool ok = ctx && OSSL_ENCODER_to_data(ctx, &data, &len) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  std::string out = ok ? std::string(reinterpret_cast<char*>(data), len) : std::string();
  OPENSSL_free(data);
  return out;
}

}  // namespace certme::testing
