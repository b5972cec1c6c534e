// Injected randomness (docs/ARCHITECTURE.md rule 9). The system source is a CSPRNG
// (OpenSSL RAND_bytes); tests may pass a deterministic one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace certme {

class Random {
 public:
  virtual ~Random() = default;
  // Fills out[0..n) with random bytes. Safe for concurrent use.
  virtual void Fill(uint8_t* out, size_t n) = 0;

  std::string Bytes(size_t n);
  // n random bytes, base64url without padding: tokens, codes, ids.
  // 32 bytes = 256 bits, the default for anything guessable-sensitive.
  std::string Token(size_t n = 32);
};

// The process-wide CSPRNG: OpenSSL's RAND_bytes. Requests of up to 64 bytes
// (tokens, nonces) are served from a per-thread 512-byte buffer refilled by one
// RAND_bytes call, each byte handed out once and wiped from the buffer; a
// child process after fork() discards its parent's buffer.
Random& SystemRandom();

// Deterministic xorshift source: tests only, never for secrets.
class FakeRandom : public Random {
 public:
  explicit FakeRandom(uint64_t seed = 42) : s_(seed ? seed : 1) {}
  void Fill(uint8_t* out, size_t n) override;

 private:
  uint64_t s_;
};

}  // namespace certme
