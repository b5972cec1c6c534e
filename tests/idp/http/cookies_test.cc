#include "idp/http/cookies.h"

#include <gtest/gtest.h>

namespace certme {
namespace {

TEST(CookiesTest, ParsesPairsAndTrims) {
  auto c = ParseCookieHeader("a=1;  b=two ;c=");
  EXPECT_EQ(c, (CookieMap{{"a", "1"}, {"b", "two"}, {"c", ""}}));
}

TEST(CookiesTest, StripsQuotesKeepsPercentEncoding) {
  auto c = ParseCookieHeader("q=\"quoted\"; p=a%20b; s=a b,c");
  EXPECT_EQ(c.at("q"), "quoted");
  EXPECT_EQ(c.at("p"), "a%20b");
  EXPECT_EQ(c.at("s"), "a b,c");
}

TEST(CookiesTest, FirstOccurrenceWins) {
  EXPECT_EQ(ParseCookieHeader("sid=good; sid=shadow").at("sid"), "good");
  EXPECT_EQ(ParseCookieHeaders({"sid=good", "sid=shadow; x=1"}),
            (CookieMap{{"sid", "good"}, {"x", "1"}}));
}

TEST(CookiesTest, GarbageIsDropped) {
  auto c = ParseCookieHeader("noequals; =v; a b=1; [x]=2; ok=1; bad=\x01; q=\"in\"side\"; ;;; =; z=\xff");
  EXPECT_EQ(c, (CookieMap{{"ok", "1"}}));
  EXPECT_TRUE(ParseCookieHeader("").empty());
  EXPECT_TRUE(ParseCookieHeader(";;;").empty());
}

TEST(CookiesTest, NumberOfCookiesIsBounded) {
  std::string h;
  for (int i = 0; i < 500; ++i) h += "c" + std::to_string(i) + "=v; ";
  EXPECT_EQ(ParseCookieHeader(h).size(), kMaxCookies);
}

}  // namespace
}  // namespace certme
