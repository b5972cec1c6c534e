#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "common/encoding.h"
#include "crypto/openssl_util.h"

namespace certme {

using crypto_internal::Sha256Md;
using crypto_internal::U8;

std::string Sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Hashing memory cannot fail short of a broken OpenSSL installation; a
  // digest that silently came out empty would collide every store key.
  if (EVP_Digest(data.data(), data.size(), out, &len, Sha256Md(), nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha384(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha384(), nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // A zero-length key is valid for HMAC; OpenSSL wants a non-null pointer.
  static const unsigned char kEmpty = 0;
  const void* k = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(Sha256Md(), k, static_cast<int>(key.size()), U8(data), data.size(), out, &len) == nullptr)
    std::abort();
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace certme
