#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "crypto/openssl_util.h"

namespace certme {
namespace {

using crypto_internal::TakeOpenSslErrors;
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, openssl::Deleter<EVP_CIPHER_CTX_free>>;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

StatusOr<std::string> AeadSeal(std::string_view key, std::string_view plaintext, std::string_view aad,
                               Random& random) {
  if (key.size() != kAeadKeyBytes) return InvalidArgument("AES-256-GCM needs a 32-byte key");
  if (plaintext.size() > kAeadMaxPlaintextBytes || aad.size() > kAeadMaxPlaintextBytes)
    return InvalidArgument("AES-256-GCM input too large");
  std::string out = random.Bytes(kAeadNonceBytes);
  out.resize(kAeadNonceBytes + plaintext.size() + kAeadTagBytes);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(out)) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), U(out) + kAeadNonceBytes, &len, U(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), U(out) + kAeadNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagBytes,
                          U(out) + kAeadNonceBytes + plaintext.size()) != 1) {
    return Internal("AES-256-GCM encryption failed", TakeOpenSslErrors());
  }
  return out;
}

StatusOr<std::string> AeadOpen(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kAeadKeyBytes) return InvalidArgument("AES-256-GCM needs a 32-byte key");
  if (sealed.size() < kAeadOverheadBytes || sealed.size() > kAeadMaxPlaintextBytes + kAeadOverheadBytes)
    return InvalidArgument("sealed record has a wrong length");
  const size_t n = sealed.size() - kAeadOverheadBytes;
  std::string_view nonce = sealed.substr(0, kAeadNonceBytes);
  std::string_view body = sealed.substr(kAeadNonceBytes, n);
  std::string tag(sealed.substr(kAeadNonceBytes + n));
  std::string out(n, '\0');
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1) &&
            EVP_DecryptUpdate(ctx.get(), U(out), &len, U(body), static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagBytes, U(tag)) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    (void)TakeOpenSslErrors();
    return Unauthenticated("sealed record does not authenticate (wrong key or altered record)");
  }
  return out;
}

}  // namespace certme
