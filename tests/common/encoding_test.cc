#include "common/encoding.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/http_message.h"
#include "common/secret.h"

namespace certme {
namespace {

TEST(Base64Url, RoundTripsAllLengths) {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    s.push_back(char(i * 37));
    auto enc = Base64UrlEncode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(enc), s);
  }
}

TEST(Base64Url, RejectsBadInput) {
  EXPECT_FALSE(Base64UrlDecode("a+b/"));   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("a"));      // impossible length
  EXPECT_FALSE(Base64UrlDecode("aGVsbG9="));  // wrong padding count? 8 chars ok; non-canonical
  EXPECT_FALSE(Base64UrlDecode("aGVsbG9=x"));  // data after padding
  EXPECT_FALSE(Base64UrlDecode("aGVsbH"));  // non-zero leftover bits
  EXPECT_EQ(Base64UrlDecode("aGVsbG8"), "hello");
}

TEST(Base64, DecodesWrappedStandard) {
  EXPECT_EQ(Base64Decode("SGVsbG8g\r\nV29ybGQ="), "Hello World");
  EXPECT_EQ(Base64Encode("Hello World"), "SGVsbG8gV29ybGQ=");
  EXPECT_FALSE(Base64Decode("SGVsbG8-"));
}

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(HexDecode("0x01AB"), std::string("\x01\xab"));
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
}

TEST(Percent, DecodesAndRejectsTruncatedEscapes) {
  EXPECT_EQ(PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(PercentDecode("%C8%99", false), "\xC8\x99");
  EXPECT_FALSE(PercentDecode("%", false));
  EXPECT_FALSE(PercentDecode("%4", false));
  EXPECT_FALSE(PercentDecode("%4g", false));
  EXPECT_EQ(PercentEncode("a b/é"), "a%20b%2F%C3%A9");
}

TEST(Form, ParsesRepeatsAndEmpty) {
  auto p = ParseUrlEncoded("a=1&b=x%20y&a=2&&c&d=");
  ASSERT_TRUE(p);
  EXPECT_EQ(ParamCount(*p, "a"), 2u);
  EXPECT_EQ(ParamGet(*p, "b"), "x y");
  EXPECT_EQ(ParamGet(*p, "c"), "");
  EXPECT_EQ(ParamGet(*p, "d"), "");
  EXPECT_FALSE(ParamGet(*p, "e"));
  EXPECT_FALSE(ParseUrlEncoded("a=%zz"));
  EXPECT_FALSE(ParseUrlEncoded("a=1&b=2&c=3", 2));
}

TEST(Form, EncodesRoundTrip) {
  auto s = EncodeUrlEncoded({{"redirect_uri", "https://rp/cb?x=1"}, {"state", "a b"}});
  EXPECT_EQ(s, "redirect_uri=https%3A%2F%2Frp%2Fcb%3Fx%3D1&state=a%20b");
  auto p = ParseUrlEncoded(s);
  ASSERT_TRUE(p);
  EXPECT_EQ(ParamGet(*p, "redirect_uri"), "https://rp/cb?x=1");
}

TEST(Strings, SplitTrimmedAndCase) {
  EXPECT_EQ(SplitTrimmed(" a, b ,,c ", ','), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-type"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "ab"));
}

TEST(Html, EscapesEverythingDangerous) {
  EXPECT_EQ(HtmlEscape("<script>\"'&"), "&lt;script&gt;&quot;&#39;&amp;");
}

TEST(Headers, CaseInsensitive) {
  HttpHeaders h;
  h.Set("Content-Type", "a");
  h.Add("Set-Cookie", "x");
  h.Add("set-cookie", "y");
  EXPECT_EQ(h.Get("content-type"), "a");
  EXPECT_EQ(h.GetAll("SET-COOKIE").size(), 2u);
  h.Set("CONTENT-TYPE", "b");
  EXPECT_EQ(h.GetAll("content-type"), std::vector<std::string>{"b"});
}

TEST(Cookie, SerializesAttributes) {
  SetCookie c{.name = "sid", .value = "v", .max_age_seconds = 60, .same_site = SameSite::kStrict};
  EXPECT_EQ(c.Serialize(), "sid=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict");
}

TEST(Secret, NeverPrints) {
  Secret s("hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_TRUE(ConstantTimeEquals(s.reveal(), "hunter2"));
  EXPECT_FALSE(ConstantTimeEquals(s.reveal(), "hunter3"));
}

}  // namespace
}  // namespace certme
