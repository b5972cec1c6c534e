// Authenticated encryption of small secrets at rest: AES-256-GCM (NIST SP
// 800-38D) with a fresh random 96-bit nonce per message.
//
//   sealed = nonce (12 bytes) || ciphertext (len(plaintext)) || tag (16 bytes)
//
// `aad` (associated data) is authenticated but not encrypted: bind each
// record to its name (e.g. the service it belongs to) so that one record
// cannot be swapped for another.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"

namespace certme {

inline constexpr size_t kAeadKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
inline constexpr size_t kAeadTagBytes = 16;
inline constexpr size_t kAeadOverheadBytes = kAeadNonceBytes + kAeadTagBytes;
// Larger plaintexts are refused (these are keys, not files).
inline constexpr size_t kAeadMaxPlaintextBytes = 1 << 20;

// InvalidArgument for a key that is not 32 bytes or a plaintext over the bound.
StatusOr<std::string> AeadSeal(std::string_view key, std::string_view plaintext, std::string_view aad,
                               Random& random);
// InvalidArgument for a wrong key size or a record of impossible length;
// Unauthenticated when it does not authenticate (wrong key, altered record,
// other aad).
StatusOr<std::string> AeadOpen(std::string_view key, std::string_view sealed, std::string_view aad);

}  // namespace certme
