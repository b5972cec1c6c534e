// Test helpers: keys generated once per test binary (RSA generation is
// slow), and OpenSSL-built artefacts (self-signed certificates, PKCS#12
// bundles) made on the fly rather than committed.
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "crypto/jose.h"

namespace certme::testing {

struct TestKeys {
  std::shared_ptr<SigningKey> rsa;   // kid "rsa-1"
  std::shared_ptr<SigningKey> ec;    // kid "ec-1"
  std::shared_ptr<SigningKey> ed;    // kid "ed-1"
  std::shared_ptr<SigningKey> ec2;   // kid "ec-2"
};
const TestKeys& Keys();

// Every JWS algorithm the bridge signs with, and a key of Keys() for each.
inline const std::vector<JwsAlg> kAllAlgs = {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256, JwsAlg::kEdDSA};
std::shared_ptr<SigningKey> KeyFor(JwsAlg alg);

// The private key as PEM in OpenSSL encoder `structure` ("PrivateKeyInfo",
// "type-specific", …); empty on failure.
std::string EncodePrivate(EVP_PKEY* pkey, const char* structure);

// Self-signed X.509 v3 certificate for `pkey`, DER, valid for one hour.
std::string SelfSignedCertDer(EVP_PKEY* pkey, const std::string& common_name);
std::string DerToPem(const std::string& cert_der);

// PKCS#12 bundle (DER) of `pkey` + certificate, OpenSSL 3 default ciphers.
std::string MakeP12(EVP_PKEY* pkey, const std::string& cert_der, const std::string& password);

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& data) const;

 private:
  std::filesystem::path path_;
};

std::string ReadAll(const std::filesystem::path& p);

}  // namespace certme::testing
