#include "crypto/eth_key_import.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <array>
#include <cstring>

#include "crypto/openssl_util.h"

namespace certme {
namespace {

using crypto_internal::TakeOpenSslErrors;
using openssl::BioPtr;
using openssl::Deleter;
using openssl::Pkcs12Ptr;
using openssl::PkeyPtr;
using openssl::X509Ptr;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;

// Declines every password prompt (an encrypted PEM is refused, not asked for).
int NoPassword(char*, int, int, void*) { return 0; }

StatusOr<EthKey> FromPkey(EVP_PKEY* pkey) {
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
      std::strcmp(group, "secp256k1") != 0) {
    TakeOpenSslErrors();
    return InvalidArgument("not a secp256k1 private key");
  }
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1 || !raw) {
    TakeOpenSslErrors();
    return InvalidArgument("the key holds no private part");
  }
  BnPtr bn(raw);
  std::array<unsigned char, 32> secret{};
  if (BN_bn2binpad(bn.get(), secret.data(), static_cast<int>(secret.size())) != 32)
    return InvalidArgument("not a secp256k1 private key");
  auto key = EthKey::FromPrivateKey(std::string_view(reinterpret_cast<const char*>(secret.data()), secret.size()));
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

}  // namespace

StatusOr<EthKey> EthKeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  if (!pkey) {
    TakeOpenSslErrors();
    return InvalidArgument("not an unencrypted PEM private key");
  }
  return FromPkey(pkey.get());
}

StatusOr<EthKey> EthKeyFromPkcs12(std::string_view der, const Secret& password) {
  BioPtr bio(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  Pkcs12Ptr p12(bio ? d2i_PKCS12_bio(bio.get(), nullptr) : nullptr);
  if (!p12) {
    TakeOpenSslErrors();
    return InvalidArgument("not a PKCS#12 file");
  }
  const std::string& pw = password.reveal();
  if (PKCS12_mac_present(p12.get()) &&
      PKCS12_verify_mac(p12.get(), pw.c_str(), static_cast<int>(pw.size())) != 1 &&
      !(pw.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1)) {
    TakeOpenSslErrors();
    return Unauthenticated("wrong PKCS#12 password");
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  if (PKCS12_parse(p12.get(), pw.c_str(), &raw_key, &raw_cert, &raw_ca) != 1) {
    TakeOpenSslErrors();
    return InvalidArgument("PKCS#12 bundle cannot be decrypted");
  }
  PkeyPtr pkey(raw_key);
  X509Ptr cert(raw_cert);
  if (raw_ca) sk_X509_pop_free(raw_ca, X509_free);
  if (!pkey) return InvalidArgument("PKCS#12 bundle holds no private key");
  return FromPkey(pkey.get());
}

}  // namespace certme
