#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"

namespace certme {

namespace {
class RealClock : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

// Bumped in every child after fork(): a thread's buffer drawn before the fork
// must not be handed out by both processes. The bridge does not fork workers
// today; this keeps a future fork (or a library that forks) from duplicating
// tokens.
std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Per-thread buffer of CSPRNG output: a token is 16-32 bytes, and one
// RAND_bytes call per token cost more in OpenSSL's locking and DRBG set-up
// than in the generation itself. Each byte is handed out once and wiped as it
// leaves the buffer; only small requests are served from it.
struct RandomBuffer {
  static constexpr size_t kSize = 512;
  static constexpr size_t kMaxServed = 64;  // larger requests go straight to RAND_bytes
  uint8_t bytes[kSize];
  size_t pos = kSize;  // bytes[pos..kSize) are unused; empty at start
  uint64_t generation = 0;

  ~RandomBuffer() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

void RandBytesOrAbort(uint8_t* out, size_t n) {
  // RAND_bytes is thread-safe in OpenSSL 3. Failure means the OS entropy
  // source is broken: continuing would mint guessable tokens.
  if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
}

class OpenSslRandom : public Random {
 public:
  OpenSslRandom() { pthread_atfork(nullptr, nullptr, OnForkChild); }

  void Fill(uint8_t* out, size_t n) override {
    if (n == 0) return;
    if (n > RandomBuffer::kMaxServed) return RandBytesOrAbort(out, n);
    thread_local RandomBuffer buf;
    const uint64_t gen = g_fork_generation.load(std::memory_order_relaxed);
    if (buf.generation != gen) {
      // Forked since the last draw: drop what the parent may also hand out.
      OPENSSL_cleanse(buf.bytes, sizeof buf.bytes);
      buf.pos = RandomBuffer::kSize;
      buf.generation = gen;
    }
    if (RandomBuffer::kSize - buf.pos < n) {
      RandBytesOrAbort(buf.bytes, RandomBuffer::kSize);
      buf.pos = 0;
    }
    std::memcpy(out, buf.bytes + buf.pos, n);
    OPENSSL_cleanse(buf.bytes + buf.pos, n);
    buf.pos += n;
  }
};
}  // namespace

Clock& SystemClock() {
  static RealClock c;
  return c;
}

Random& SystemRandom() {
  static OpenSslRandom r;
  return r;
}

std::string Random::Bytes(size_t n) {
  std::string s(n, '\0');
  Fill(reinterpret_cast<uint8_t*>(s.data()), n);
  return s;
}

std::string Random::Token(size_t n) { return Base64UrlEncode(Bytes(n)); }

void FakeRandom::Fill(uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    out[i] = static_cast<uint8_t>(s_);
  }
}

}  // namespace certme
