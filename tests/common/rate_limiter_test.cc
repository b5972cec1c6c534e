#include "common/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace certme {
namespace {

TEST(RateLimiter, AllowsTheBurstThenRefusesWithRetryAfter) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 2, .burst = 3}, clock);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("a").has_value()) << i;
  auto wait = limiter.Take("a");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 1);
  EXPECT_FALSE(limiter.Take("b").has_value()) << "keys are independent";
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_FALSE(limiter.Take("a").has_value()) << "one token earned back in 0.5 s at 2/s";
  EXPECT_TRUE(limiter.Take("a").has_value());
}

TEST(RateLimiter, RetryAfterCoversASlowRefill) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 0.1, .burst = 1}, clock);
  EXPECT_FALSE(limiter.Take("k").has_value());
  auto wait = limiter.Take("k");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 10);
  clock.Advance(std::chrono::seconds(10));
  EXPECT_FALSE(limiter.Take("k").has_value());
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 0}, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.Take("k").has_value());
}

TEST(RateLimiter, SprayedKeysKeepMemoryBoundedAndForgetOnlyTheOldest) {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 1, .max_keys = 160}, clock);
  EXPECT_FALSE(limiter.Take("victim").has_value());
  EXPECT_TRUE(limiter.Take("victim").has_value());
  for (int i = 0; i < 100000; ++i) limiter.Take("spray-" + std::to_string(i));
  // The victim's depleted bucket was the least recently used: forgotten, so
  // a spray can make the limiter forget, never grow without bound.
  EXPECT_FALSE(limiter.Take("victim").has_value());
  // A key in constant use is kept while others churn.
  RateLimiter busy({.per_second = 1, .burst = 1, .max_keys = 160}, clock);
  EXPECT_FALSE(busy.Take("hot").has_value());
  for (int i = 0; i < 1000; ++i) {
    busy.Take("spray-" + std::to_string(i));
    if (i % 3 == 0) EXPECT_TRUE(busy.Take("hot").has_value()) << i;
  }
}

}  // namespace
}  // namespace certme
