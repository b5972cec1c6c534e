// Token-bucket rate limits keyed by a string (a client address, a client_id,
// a wallet code): each key may spend `burst` requests at once and earns
// `per_second` back. Memory is bounded: at most `max_keys` buckets are kept;
// when full, buckets that have refilled (they carry no information) are
// dropped first, then the least recently used ones — so an attacker who
// sprays keys can only make limits forgetful, never make memory grow.
//
//   RateLimiter by_ip({.per_second = 20, .burst = 40});
//   if (auto wait = by_ip.Take(client_ip)) return TooManyRequests(*wait);
//
// Thread-safe (sharded locks). A rate of zero disables the limiter.
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace certme {

struct RateLimit {
  double per_second = 0;  // 0: unlimited
  double burst = 1;       // bucket size (>= 1)
  size_t max_keys = 100000;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimit limit, Clock& clock = SystemClock());

  // Spends one token of `key`. nullopt: allowed. Otherwise refused, with
  // the time until a token is back (whole seconds, at least 1: a
  // Retry-After value).
  std::optional<int> Take(std::string_view key);

  bool enabled() const { return limit_.per_second > 0; }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    std::list<std::string>::iterator lru;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
    std::list<std::string> lru;  // front: most recently used
  };
  static constexpr size_t kShards = 16;

  void Evict(Shard& s);  // REQUIRES: s.mu held, s not empty

  const RateLimit limit_;
  Clock& clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace certme
