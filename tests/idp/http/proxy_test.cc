#include "idp/http/proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace certme {
namespace {

TEST(IpAddressTest, ParsesBareBracketedAndPorted) {
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("10.1.2.3:8080")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("2001:db8::1")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("[2001:db8::1]:443")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::ffff:192.0.2.5")->ToString(), "192.0.2.5");  // mapped → v4
  for (const char* bad : {"", "unknown", "1.2.3", "1.2.3.4:", "1.2.3.4:99999x", "[1.2.3.4]", "[::1", "::1:80x",
                          "_hidden", "1.2.3.4 "}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
  // A NUL inside (an X-Forwarded-For value, a configured proxy) is not the
  // address before it.
  using namespace std::string_view_literals;
  for (std::string_view bad : {"10.0.0.1\0junk"sv, "10.0.0.1\0"sv, "[::1\0]:80"sv, "10.0.0.1\0:80"sv, "::1\0"sv})
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad.substr(0, bad.find('\0'));
  IpAddress peer = *IpAddress::Parse("10.0.0.1");
  auto trusted = IpMatcher::Parse({"10.0.0.0/8"});
  ASSERT_TRUE(trusted.ok());
  // Through a trusted proxy: an unparsable hop, so the proxy is the client.
  EXPECT_EQ(ClientIpFromForwardedFor({std::string("203.0.113.9\0", 12)}, peer, *trusted), "10.0.0.1");
}

TEST(IpMatcherTest, AddressesAndCidrs) {
  auto m = IpMatcher::Parse({"127.0.0.1", "10.0.0.0/8", "192.168.1.0/25", "fd00::/8", "::1"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->Contains("127.0.0.1"));
  EXPECT_FALSE(m->Contains("127.0.0.2"));
  EXPECT_TRUE(m->Contains("10.255.1.1"));
  EXPECT_TRUE(m->Contains("192.168.1.127"));
  EXPECT_FALSE(m->Contains("192.168.1.128"));
  EXPECT_TRUE(m->Contains("fd12::5"));
  EXPECT_TRUE(m->Contains("::1"));
  EXPECT_TRUE(m->Contains("::ffff:10.0.0.1"));
  EXPECT_FALSE(m->Contains("fe80::1"));
  EXPECT_FALSE(m->Contains("garbage"));
}

TEST(IpMatcherTest, ReportsEveryBadEntry) {
  auto m = IpMatcher::Parse({"10.0.0.0/33", "1.2.3.4", "host.example", "::/129", "1.2.3.4/"});
  ASSERT_FALSE(m.ok());
  for (const char* bad : {"10.0.0.0/33", "host.example", "::/129", "1.2.3.4/\""})
    EXPECT_THAT(m.status().message(), ::testing::HasSubstr(bad));
  EXPECT_THAT(m.status().message(), ::testing::Not(::testing::HasSubstr("\"1.2.3.4\"")));
}

TEST(ForwardedForTest, WalksFromTheRightSkippingTrustedHops) {
  auto trusted = *IpMatcher::Parse({"10.0.0.0/8"});
  IpAddress peer = *IpAddress::Parse("10.0.0.1");
  EXPECT_EQ(ClientIpFromForwardedFor({"203.0.113.9"}, peer, trusted), "203.0.113.9");
  // A client-supplied leftmost entry cannot win over what our proxy saw.
  EXPECT_EQ(ClientIpFromForwardedFor({"1.1.1.1, 203.0.113.9"}, peer, trusted), "203.0.113.9");
  // Chains of our own proxies are skipped; headers are joined in order.
  EXPECT_EQ(ClientIpFromForwardedFor({"198.51.100.2, 10.0.0.7", "10.0.0.8"}, peer, trusted), "198.51.100.2");
  // Junk stops the walk at the last hop we could trust.
  EXPECT_EQ(ClientIpFromForwardedFor({"198.51.100.2, unknown, 10.0.0.7"}, peer, trusted), "10.0.0.7");
  EXPECT_EQ(ClientIpFromForwardedFor({}, peer, trusted), "10.0.0.1");
  EXPECT_EQ(ClientIpFromForwardedFor({"[2001:db8::7]:1234"}, peer, trusted), "2001:db8::7");
}

}  // namespace
}  // namespace certme
