#include "common/status.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/random.h"

namespace certme {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd", "x=" + std::to_string(x));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  CERTME_ASSIGN_OR_RETURN(int h, Half(x));
  CERTME_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, CarriesCodeMessageAndHiddenDetail) {
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_EQ(r.status().detail(), "x=3");
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: odd (x=3)");
  EXPECT_EQ(*Quarter(8), 2);
}

TEST(Clock, FakeClockAdvances) {
  FakeClock c(1000);
  EXPECT_EQ(c.NowUnixMillis(), 1000);
  c.Advance(std::chrono::seconds(2));
  EXPECT_EQ(c.NowUnixSeconds(), 3);
}

TEST(Random, TokensAreDistinctAndUrlSafe) {
  auto a = SystemRandom().Token(), b = SystemRandom().Token();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  FakeRandom f1(7), f2(7);
  EXPECT_EQ(f1.Token(), f2.Token());
}

// Result<T, E> with an error type of its own (as OidcOr uses it): the same
// early-return macro works, and status() exists only for Status.
struct TestError {
  int code = 0;
};

Result<int, TestError> HalfOrOdd(int n) {
  if (n % 2 != 0) return TestError{n};
  return n / 2;
}

Result<int, TestError> QuarterOrOdd(int n) {
  CERTME_ASSIGN_OR_RETURN(int h, HalfOrOdd(n));
  return HalfOrOdd(h);
}

TEST(Result, CarriesAValueOrItsOwnErrorType) {
  auto ok = QuarterOrOdd(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto odd = QuarterOrOdd(6);  // 6 → 3 → error 3
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code, 3);
  StatusOr<int> s = 1;
  EXPECT_TRUE(s.status().ok());
  StatusOr<int> e = NotFound("x");
  EXPECT_EQ(e.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace certme

#include "common/log.h"

namespace certme {
namespace {

TEST(Log, WritesOneJsonObjectPerLineAndFiltersLevels) {
  std::vector<std::string> lines;
  SetLogSink([&](const std::string& l) { lines.push_back(l); });
  SetLogLevel(LogLevel::kWarn);
  LogInfo("dropped");
  LogWarn("kept", {{"route", "/token"}, {"bad", std::string("\xff\xfe")}});
  SetLogLevel(LogLevel::kInfo);
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "kept");
  EXPECT_EQ(j["route"], "/token");
  EXPECT_TRUE(j.contains("time"));
  LogLevel l;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("verbose", &l));
}

}  // namespace
}  // namespace certme
