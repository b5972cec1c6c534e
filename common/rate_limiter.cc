#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace certme {

RateLimiter::RateLimiter(RateLimit limit, Clock& clock) : limit_(limit), clock_(clock) {}

std::optional<int> RateLimiter::Take(std::string_view key) {
  if (!enabled()) return std::nullopt;
  const double burst = std::max(1.0, limit_.burst);
  Shard& s = shards_[std::hash<std::string_view>()(key) % kShards];
  const int64_t now = clock_.NowUnixMillis();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.buckets.find(std::string(key));
  if (it == s.buckets.end()) {
    if (s.buckets.size() >= std::max<size_t>(1, limit_.max_keys / kShards)) Evict(s);
    s.lru.emplace_front(key);
    it = s.buckets.emplace(std::string(key), Bucket{burst, now, s.lru.begin()}).first;
  } else {
    Bucket& b = it->second;
    const double earned = std::max<int64_t>(0, now - b.updated_ms) / 1000.0 * limit_.per_second;
    b.tokens = std::min(burst, b.tokens + earned);
    b.updated_ms = now;
    s.lru.splice(s.lru.begin(), s.lru, b.lru);
  }
  Bucket& b = it->second;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  const double seconds = (1 - b.tokens) / limit_.per_second;
  return std::max(1, static_cast<int>(std::ceil(seconds)));
}

void RateLimiter::Evict(Shard& s) {
  // The least recently used key goes: O(1), whatever the keys look like.
  s.buckets.erase(s.lru.back());
  s.lru.pop_back();
}

}  // namespace certme
