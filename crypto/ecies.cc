#include "crypto/ecies.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <cstdint>
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "crypto/openssl_util.h"

namespace certme {
namespace {

using crypto_internal::Deleter;
using crypto_internal::TakeOpenSslErrors;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>>;

constexpr size_t kKeyBytes = 32;

// Fetched once and deliberately never freed: a static destructor could run
// after OpenSSL's own atexit cleanup. Static-local init is thread-safe.
EVP_KDF* Hkdf() {
  static EVP_KDF* kdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  return kdf;
}
EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

// Wipes a key-sized buffer when it leaves scope, on every return path.
struct KeyBuffer {
  std::array<uint8_t, kKeyBytes> bytes{};
  ~KeyBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// RFC 5869 HKDF-SHA256, IKM = ephemeral public key || shared point, salt =
// HashLen zero bytes (what an absent salt means, §2.2), empty info.
Status DeriveKey(std::string_view ephemeral_pub, std::string& shared_point, KeyBuffer& out) {
  std::string ikm;
  ikm.reserve(ephemeral_pub.size() + shared_point.size());
  ikm.append(ephemeral_pub).append(shared_point);
  OPENSSL_cleanse(shared_point.data(), shared_point.size());

  std::array<uint8_t, 32> salt{};
  EVP_KDF* kdf = Hkdf();
  KdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf) : nullptr);
  Status result;
  if (!ctx) {
    result = Internal("ECIES key derivation unavailable", TakeOpenSslErrors());
  } else {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_derive(ctx.get(), out.bytes.data(), out.bytes.size(), params) != 1)
      result = Internal("ECIES key derivation failed", TakeOpenSslErrors());
  }
  OPENSSL_cleanse(ikm.data(), ikm.size());
  return result;
}

// Sets up AES-256-GCM with the 16-byte nonce (GCM §7.1: an IV that is not
// 96 bits is hashed with GHASH into the initial counter block).
StatusOr<CipherCtxPtr> NewGcm(const KeyBuffer& key, std::string_view nonce, bool encrypt) {
  EVP_CIPHER* cipher = Aes256Gcm();
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!cipher || !ctx) return Internal("AES-256-GCM unavailable", TakeOpenSslErrors());
  size_t iv_len = nonce.size();
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len),
      OSSL_PARAM_construct_end(),
  };
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  if (EVP_CipherInit_ex2(ctx.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, params) != 1 ||
      EVP_CipherInit_ex2(ctx.get(), nullptr, key.bytes.data(), iv, encrypt ? 1 : 0, nullptr) != 1) {
    return Internal("AES-256-GCM setup failed", TakeOpenSslErrors());
  }
  return ctx;
}

// EVP_*Update takes an int length; the payload bound keeps us well below.
static_assert(kEciesMaxPayloadBytes < (1u << 30));

}  // namespace

StatusOr<std::string> EciesEncrypt(std::string_view recipient_pubkey_sec1,
                                   std::string_view plaintext, Random& random) {
  if (plaintext.size() > kEciesMaxPayloadBytes - kEciesOverheadBytes)
    return InvalidArgument("ECIES plaintext too long");
  if (recipient_pubkey_sec1.size() != 33 && recipient_pubkey_sec1.size() != 65)
    return InvalidArgument("ECIES recipient key must be a 33- or 65-byte SEC1 public key");
  if (recipient_pubkey_sec1.size() == 65 && static_cast<uint8_t>(recipient_pubkey_sec1[0]) != 0x04)
    return InvalidArgument("ECIES recipient key must be a SEC1 public key");

  // A uniformly random 32-byte string is a valid scalar except with
  // probability ~2^-128; retry rather than reduce (no bias).
  std::optional<EthKey> ephemeral;
  for (int attempt = 0; attempt < 8 && !ephemeral; ++attempt) {
    std::string secret = random.Bytes(32);
    auto key = EthKey::FromPrivateKey(secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    if (key.ok()) ephemeral.emplace(std::move(*key));
  }
  if (!ephemeral) return Internal("ECIES could not draw an ephemeral key");

  auto shared = ephemeral->SharedPoint(recipient_pubkey_sec1, /*compressed=*/false);
  if (!shared.ok()) return InvalidArgument("ECIES recipient key is not a secp256k1 point");
  KeyBuffer key;
  CERTME_RETURN_IF_ERROR(DeriveKey(ephemeral->public_key(), *shared, key));

  std::string out;
  out.resize(kEciesOverheadBytes + plaintext.size());
  out.replace(0, kEciesEphemeralKeyBytes, ephemeral->public_key());
  random.Fill(reinterpret_cast<uint8_t*>(out.data()) + kEciesEphemeralKeyBytes, kEciesNonceBytes);
  std::string_view nonce(out.data() + kEciesEphemeralKeyBytes, kEciesNonceBytes);
  CERTME_ASSIGN_OR_RETURN(CipherCtxPtr ctx, NewGcm(key, nonce, /*encrypt=*/true));

  auto* tag = reinterpret_cast<unsigned char*>(out.data()) + kEciesEphemeralKeyBytes + kEciesNonceBytes;
  auto* ct = tag + kEciesTagBytes;
  int len = 0, final_len = 0;
  if (EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &final_len) != 1 ||
      static_cast<size_t>(len + final_len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kEciesTagBytes, tag) != 1) {
    return Internal("AES-256-GCM encryption failed", TakeOpenSslErrors());
  }
  return out;
}

StatusOr<std::string> EciesDecrypt(const EthKey& recipient, std::string_view payload) {
  if (payload.size() < kEciesOverheadBytes)
    return InvalidArgument("ECIES payload too short");
  if (payload.size() > kEciesMaxPayloadBytes)
    return InvalidArgument("ECIES payload too long");
  std::string_view ephemeral_pub = payload.substr(0, kEciesEphemeralKeyBytes);
  // Only the uncompressed form: libsecp256k1 would also parse the hybrid
  // prefixes 06/07, which eciesjs never emits.
  if (static_cast<uint8_t>(ephemeral_pub[0]) != 0x04)
    return InvalidArgument("ECIES ephemeral key is not an uncompressed SEC1 point");
  std::string_view nonce = payload.substr(kEciesEphemeralKeyBytes, kEciesNonceBytes);
  std::string_view tag = payload.substr(kEciesEphemeralKeyBytes + kEciesNonceBytes, kEciesTagBytes);
  std::string_view ct = payload.substr(kEciesOverheadBytes);

  auto shared = recipient.SharedPoint(ephemeral_pub, /*compressed=*/false);
  if (!shared.ok()) return InvalidArgument("ECIES ephemeral key is not a secp256k1 point");
  KeyBuffer key;
  CERTME_RETURN_IF_ERROR(DeriveKey(ephemeral_pub, *shared, key));
  CERTME_ASSIGN_OR_RETURN(CipherCtxPtr ctx, NewGcm(key, nonce, /*encrypt=*/false));

  std::string plain(ct.size(), '\0');
  auto* pt = reinterpret_cast<unsigned char*>(plain.data());
  std::array<unsigned char, kEciesTagBytes> tag_copy;
  std::copy(tag.begin(), tag.end(), tag_copy.begin());
  int len = 0, final_len = 0;
  bool ok =
      EVP_DecryptUpdate(ctx.get(), pt, &len, reinterpret_cast<const unsigned char*>(ct.data()),
                        static_cast<int>(ct.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kEciesTagBytes, tag_copy.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), pt + len, &final_len) == 1;
  if (!ok) {
    // Unauthenticated bytes never leave this function.
    OPENSSL_cleanse(plain.data(), plain.size());
    TakeOpenSslErrors();
    return InvalidArgument("ECIES authentication failed");
  }
  return plain;
}

}  // namespace certme
