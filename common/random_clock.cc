#include <openssl/rand.h>

#include <cstdlib>
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

class OpenSslRandom : public Random {
 public:
  void Fill(uint8_t* out, size_t n) override {
    // RAND_bytes is thread-safe in OpenSSL 3. Failure means the OS entropy
    // source is broken: continuing would mint guessable tokens.
    if (RAND_bytes(out, static_cast<int>(n)) != 1) std::abort();
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
