#include "protocols/saml/xenc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <vector>

#include "common/encoding.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::saml {
namespace {

constexpr size_t kKeyBytes = 32;  // AES-256
constexpr size_t kIvBytes = 12;   // XML Encryption 1.1 §5.2.4: 96-bit IV
constexpr size_t kTagBytes = 16;  // and a 128-bit tag

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

// XML Encryption 1.1 §5.2.4: IV ‖ ciphertext ‖ tag.
StatusOr<std::string> AesGcmEncrypt(std::string_view key, std::string_view plain, Random& random) {
  std::string out = random.Bytes(kIvBytes);
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kIvBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(out.data())) != 1)
    return Internal("AES-GCM setup failed");
  out.resize(kIvBytes + plain.size() + kTagBytes);
  int len = 0, fin = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + kIvBytes;
  if (EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + len + fin) != 1)
    return Internal("AES-GCM encryption failed");
  out.resize(kIvBytes + len + fin + kTagBytes);
  return out;
}

// RSAES-OAEP with SHA-1 and MGF1-SHA-1 (xmlenc#rsa-oaep-mgf1p, no OAEPparams).
StatusOr<std::string> RsaOaepEncrypt(EVP_PKEY* key, std::string_view plain) {
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return InvalidArgument("the encryption key is not RSA");
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha1()) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha1()) != 1)
    return Internal("RSA-OAEP setup failed");
  size_t n = 0;
  auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &n, in, plain.size()) != 1) return Internal("RSA-OAEP failed");
  std::string out(n, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, in, plain.size()) != 1)
    return Internal("RSA-OAEP failed");
  out.resize(n);
  return out;
}

std::string NewXmlId(Random& random) { return "_" + HexEncode(random.Bytes(16)); }

}  // namespace

StatusOr<std::string> EncryptAssertion(std::string_view element_xml, EVP_PKEY* recipient_key,
                                       std::string_view recipient_cert_der, Random& random) {
  if (element_xml.empty()) return InvalidArgument("nothing to encrypt");
  std::string key = random.Bytes(kKeyBytes);
  auto data = AesGcmEncrypt(key, element_xml, random);
  auto wrapped = data.ok() ? RsaOaepEncrypt(recipient_key, key) : StatusOr<std::string>(data.status());
  OPENSSL_cleanse(key.data(), key.size());
  CERTME_RETURN_IF_ERROR(data.status());
  CERTME_RETURN_IF_ERROR(wrapped.status());

  const std::string ds(kNsDsig), xenc(kNsXenc);
  std::string x = "<saml:EncryptedAssertion xmlns:saml=\"" + std::string(kNsAssertion) + "\">";
  x += "<xenc:EncryptedData xmlns:xenc=\"" + xenc + "\" xmlns:ds=\"" + ds + "\" Id=\"" + NewXmlId(random) +
       "\" Type=\"" + xenc + "Element\">";
  x += "<xenc:EncryptionMethod Algorithm=\"" + std::string(kAlgAes256Gcm) + "\"/>";
  x += "<ds:KeyInfo><xenc:EncryptedKey Id=\"" + NewXmlId(random) + "\">";
  x += "<xenc:EncryptionMethod Algorithm=\"" + std::string(kAlgRsaOaep) + "\"><ds:DigestMethod Algorithm=\"" +
       std::string(kAlgSha1) + "\"/></xenc:EncryptionMethod>";
  if (!recipient_cert_der.empty())
    x += "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + Base64Encode(recipient_cert_der) +
         "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>";
  x += "<xenc:CipherData><xenc:CipherValue>" + Base64Encode(*wrapped) + "</xenc:CipherValue></xenc:CipherData>";
  x += "</xenc:EncryptedKey></ds:KeyInfo>";
  x += "<xenc:CipherData><xenc:CipherValue>" + Base64Encode(*data) + "</xenc:CipherValue></xenc:CipherData>";
  x += "</xenc:EncryptedData></saml:EncryptedAssertion>";
  return x;
}

}  // namespace certme::saml
