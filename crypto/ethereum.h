// Ethereum-compatible primitives: Keccak-256 (Crypto++; OpenSSL 3.0 has
// none) and secp256k1 (libsecp256k1) signing, public key recovery and ECDH.
// Addresses are derived exactly as Ethereum does: the last 20 bytes of
// keccak256(uncompressed public key without its 0x04 prefix).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

using Bytes32 = std::array<uint8_t, 32>;

Bytes32 Keccak256(std::string_view data);

// 0x-prefixed EIP-55 mixed-case checksum address of a 20-byte address.
std::string ChecksumAddress(std::string_view address20);

// A recoverable ECDSA signature as Ethereum serializes it: r||s||v, with v
// in {27, 28}. s is always low (EIP-2).
struct EthSignature {
  std::array<uint8_t, 65> rsv;
  std::string ToHex() const;  // 0x-prefixed, 130 hex digits
  static std::optional<EthSignature> FromHex(std::string_view hex);
};

// A secp256k1 private key. Immutable; Sign is safe for concurrent use.
class EthKey {
 public:
  // REQUIRES: a valid 32-byte scalar (ParsePrivateKey checks it).
  static StatusOr<EthKey> FromPrivateKey(std::string_view secret32);
  static StatusOr<EthKey> FromHex(std::string_view hex);
  static EthKey Generate();

  const std::string& address() const { return address_; }    // 20 raw bytes
  std::string AddressHex() const { return ChecksumAddress(address_); }
  // 65-byte uncompressed public key (0x04 || X || Y).
  const std::string& public_key() const { return public_key_; }
  std::string PrivateKeyHex() const;

  // Signs a 32-byte digest (no hashing, no prefix).
  EthSignature SignDigest(const Bytes32& digest) const;
  // ECDH shared secret per libsecp256k1's default (SHA-256 of the
  // compressed point) — not used for ECIES, which needs the raw X.
  // Raw X coordinate of k·P for a 33- or 65-byte SEC1 public key.
  StatusOr<std::string> SharedX(std::string_view peer_public_key) const;

 private:
  std::string secret_;      // 32 bytes
  std::string public_key_;  // 65 bytes
  std::string address_;     // 20 bytes
};

// Recovers the 20-byte signer address of `digest`; fails on malformed or
// high-s signatures.
StatusOr<std::string> RecoverAddress(const Bytes32& digest, const EthSignature& sig);

}  // namespace certme
