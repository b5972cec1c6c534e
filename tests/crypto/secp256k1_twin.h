// Test helper: the order n of secp256k1 and the malleable twin of an ECDSA
// signature, (r, n − s), which verifies as well as the original and which
// low-s rules (EIP-2) refuse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace certme::testing {

// n, big-endian hex.
inline constexpr char kSecp256k1OrderHex[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

// n − s for a 32-byte big-endian s.
inline std::string Secp256k1OrderMinus(std::string_view s) {
  static constexpr uint8_t kOrder[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                         0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                         0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  std::string out(32, '\0');
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = kOrder[i] - static_cast<uint8_t>(s[static_cast<size_t>(i)]) - borrow;
    borrow = d < 0;
    out[static_cast<size_t>(i)] = static_cast<char>(d & 0xff);
  }
  return out;
}

// The twin of r‖s (64 bytes) or r‖s‖v (65 bytes, v 27 or 28: the twin
// recovers with the other id, so v is flipped).
inline std::string HighSTwin(std::string_view sig) {
  std::string out(sig);
  out.replace(32, 32, Secp256k1OrderMinus(sig.substr(32, 32)));
  if (sig.size() == 65) out[64] = static_cast<char>(sig[64] == 27 ? 28 : 27);
  return out;
}

}  // namespace certme::testing
