// Ethereum-compatible primitives: Keccak-256 (Crypto++; OpenSSL 3.0 has
// none) and secp256k1 (libsecp256k1) signing, public key recovery and ECDH.
// Addresses are derived exactly as Ethereum does: the last 20 bytes of
// keccak256(uncompressed public key without its 0x04 prefix).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

using Bytes32 = std::array<uint8_t, 32>;

// Keccak-256 as Ethereum uses it (original Keccak padding 0x01), which is
// NOT FIPS 202 SHA3-256 (padding 0x06): keccak256("") = c5d24601…5d85a470.
Bytes32 Keccak256(std::string_view data);

// EIP-191 version 0x45 ("personal_sign") digest:
// keccak256("\x19Ethereum Signed Message:\n" + decimal length + message).
Bytes32 EthMessageHash(std::string_view message);

// 0x-prefixed EIP-55 mixed-case checksum address of a 20-byte address.
// REQUIRES: address20.size() == 20.
std::string ChecksumAddress(std::string_view address20);

// Parses "0x" + 40 hex digits into the 20 raw bytes. All-lowercase and
// all-uppercase spellings are accepted as they are; a mixed-case spelling
// must carry a correct EIP-55 checksum (a typo is then an error, not a
// different address).
StatusOr<std::string> ParseAddress(std::string_view text);

// The 20-byte address of a 33- or 65-byte SEC1 secp256k1 public key.
StatusOr<std::string> AddressFromPublicKey(std::string_view sec1_public_key);

// A recoverable ECDSA signature as Ethereum serializes it: r||s||v, with v
// in {27, 28}. s is always low (EIP-2).
struct EthSignature {
  std::array<uint8_t, 65> rsv;
  std::string ToHex() const;  // 0x-prefixed, 130 hex digits
  // 130 hex digits, 0x optional. v may also be 0/1 (some wallets emit the
  // raw recovery id); it is normalized to 27/28. Other v values: nullopt.
  static std::optional<EthSignature> FromHex(std::string_view hex);
};

// A secp256k1 private key. Immutable; Sign is safe for concurrent use.
class EthKey {
 public:
  // Fails unless `secret32` is 32 bytes encoding a scalar in [1, n-1].
  static StatusOr<EthKey> FromPrivateKey(std::string_view secret32);
  static StatusOr<EthKey> FromHex(std::string_view hex);  // 64 hex digits, 0x optional
  static EthKey Generate();  // from the system CSPRNG

  EthKey(const EthKey&) = default;
  EthKey(EthKey&&) = default;
  EthKey& operator=(const EthKey&) = default;
  EthKey& operator=(EthKey&&) = default;
  ~EthKey();  // wipes the secret

  const std::string& address() const { return address_; }    // 20 raw bytes
  std::string AddressHex() const { return ChecksumAddress(address_); }
  // 65-byte uncompressed public key (0x04 || X || Y).
  const std::string& public_key() const { return public_key_; }
  std::string PrivateKeyHex() const;

  // Signs a 32-byte digest (no hashing, no prefix).
  EthSignature SignDigest(const Bytes32& digest) const;
  // ECDH with a 33- or 65-byte SEC1 peer public key. Unlike
  // libsecp256k1's default (SHA-256 of the compressed point), these return
  // the raw shared point, as ECIES constructions expect:
  // SharedX: the 32-byte X coordinate of k·P (SEC 1 §3.3.1 ECDH primitive).
  StatusOr<std::string> SharedX(std::string_view peer_public_key) const;
  // SharedPoint: k·P in SEC1 form, 65 bytes (04||X||Y) or 33 when
  // `compressed`; npm eciesjs feeds this (uncompressed by default) to HKDF.
  StatusOr<std::string> SharedPoint(std::string_view peer_public_key,
                                    bool compressed = false) const;

 private:
  EthKey() = default;

  std::string secret_;      // 32 bytes
  std::string public_key_;  // 65 bytes
  std::string address_;     // 20 bytes
};

// Recovers the 20-byte signer address of `digest`; fails on malformed or
// high-s signatures (EIP-2: s ≤ n/2, as ecrecover-based contracts demand).
StatusOr<std::string> RecoverAddress(const Bytes32& digest, const EthSignature& sig);
// The same, returning the signer's 65-byte uncompressed public key.
StatusOr<std::string> RecoverPublicKey(const Bytes32& digest, const EthSignature& sig);

// Verifies a plain ECDSA signature (64 bytes r||s, no recovery id) of
// `digest` under a 33- or 65-byte SEC1 public key, as JOSE ES256K (RFC 8812)
// carries them. A high s is accepted (normalized first): JOSE signers such
// as OpenSSL and node emit either half. InvalidArgument for a malformed key
// or signature, Unauthenticated for a wrong one.
Status VerifySecp256k1(std::string_view public_key, const Bytes32& digest, std::string_view rs64);

}  // namespace certme
