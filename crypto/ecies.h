// ECIES over secp256k1, byte-compatible with the default configuration of
// npm `eciesjs` (0.4/0.5), so that a wallet can encrypt to the bridge with an
// off-the-shelf library.
//
// Payload (all lengths fixed except the ciphertext):
//
//   ephemeral public key   65 bytes  SEC1 uncompressed (0x04 || X || Y)
//   nonce                  16 bytes  AES-GCM IV (GCM accepts any IV length;
//                                    16 bytes is eciesjs's default)
//   tag                    16 bytes  GCM authentication tag (before the
//                                    ciphertext, not after it)
//   ciphertext             n bytes   AES-256-GCM, no associated data
//
//   shared point = k·P, SEC1 uncompressed (65 bytes), k the private key on
//                  one side and P the public key on the other (SEC 1 §3.3.1,
//                  but keeping the whole point, not only X)
//   key          = HKDF-SHA256(IKM = ephemeral public key (65) || shared
//                  point (65), salt = none, info = empty, L = 32)  (RFC 5869;
//                  an absent salt is HashLen zero bytes, §2.2)
//
// Stateless; both functions are safe for concurrent use.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

inline constexpr size_t kEciesEphemeralKeyBytes = 65;
inline constexpr size_t kEciesNonceBytes = 16;
inline constexpr size_t kEciesTagBytes = 16;
inline constexpr size_t kEciesOverheadBytes =
    kEciesEphemeralKeyBytes + kEciesNonceBytes + kEciesTagBytes;  // 97
// Refused above this size (before any curve or cipher work): the wallet's
// attribute payloads are a few KiB; a bound keeps a hostile POST cheap.
inline constexpr size_t kEciesMaxPayloadBytes = 1 << 20;

// Encrypts `plaintext` to `recipient_pubkey_sec1` (33- or 65-byte SEC1
// secp256k1 public key). The ephemeral key and the nonce come from
// `random`, which must be a CSPRNG outside tests. InvalidArgument for a
// malformed recipient key or an oversized plaintext.
StatusOr<std::string> EciesEncrypt(std::string_view recipient_pubkey_sec1,
                                   std::string_view plaintext, Random& random);

// Decrypts an untrusted `payload` with the recipient's key. Every failure is
// InvalidArgument with a short message naming what was wrong (too short, too
// long, not an uncompressed point, not on the curve, authentication failed);
// nothing of the plaintext is returned unless the tag verifies.
StatusOr<std::string> EciesDecrypt(const EthKey& recipient, std::string_view payload);

}  // namespace certme
