#include "idp/http/ip_allowlist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace certme {
namespace {

using ::testing::HasSubstr;

TEST(IpAllowlistTest, AddressesAndBlocksOfBothFamilies) {
  auto list = IpAllowlist::Parse({"192.0.2.7", "10.0.0.0/8", "198.51.100.128/25", "2001:db8::/32", "::1"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->Allows("192.0.2.7"));
  EXPECT_FALSE(list->Allows("192.0.2.8"));
  EXPECT_TRUE(list->Allows("10.0.0.0"));
  EXPECT_TRUE(list->Allows("10.255.255.255"));
  EXPECT_FALSE(list->Allows("11.0.0.0"));
  EXPECT_TRUE(list->Allows("198.51.100.128"));
  EXPECT_TRUE(list->Allows("198.51.100.255"));
  EXPECT_FALSE(list->Allows("198.51.100.127"));
  EXPECT_TRUE(list->Allows("2001:db8:ffff::1"));
  EXPECT_TRUE(list->Allows("2001:DB8::abcd"));
  EXPECT_FALSE(list->Allows("2001:db9::1"));
  EXPECT_TRUE(list->Allows("::1"));
  EXPECT_FALSE(list->Allows("::2"));
  EXPECT_EQ(list->Canonical(),
            (std::vector<std::string>{"192.0.2.7", "10.0.0.0/8", "198.51.100.128/25", "2001:db8::/32", "::1"}));
}

TEST(IpAllowlistTest, Ipv4MappedIpv6IsTheIpv4Address) {
  auto list = IpAllowlist::Parse({"192.0.2.7", "::ffff:203.0.113.0/120"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->Allows("::ffff:192.0.2.7"));
  EXPECT_TRUE(list->Allows("203.0.113.99"));
  EXPECT_TRUE(list->Allows("::ffff:203.0.113.1"));
  EXPECT_FALSE(list->Allows("::ffff:192.0.2.8"));
  EXPECT_EQ(list->Canonical(), (std::vector<std::string>{"192.0.2.7", "203.0.113.0/24"}));
  // An IPv4 address never matches an IPv6 block that is not the mapped form.
  auto v6 = IpAllowlist::Parse({"::/96"});
  ASSERT_TRUE(v6.ok());
  EXPECT_FALSE(v6->Allows("0.0.0.1"));
  EXPECT_TRUE(v6->Allows("::1"));
}

TEST(IpAllowlistTest, AllowsIsFalseOnJunk) {
  auto list = IpAllowlist::Parse({"192.0.2.0/24", "2001:db8::/32"});
  ASSERT_TRUE(list.ok());
  for (const char* junk : {"", " ", "192.0.2.1 ", " 192.0.2.1", "192.0.2.1:443", "[2001:db8::1]",
                           "[2001:db8::1]:443", "192.0.2.0/24", "2001:db8::1%eth0", "192.0.2", "192.0.2.256",
                           "unknown", "192.0.2.1\n", "0x7f.0.0.1",
                           "192.000.2.1"}) {
    EXPECT_FALSE(list->Allows(junk)) << junk;
  }
  // inet_pton stops at a NUL; the text after it must not be ignored.
  EXPECT_FALSE(list->Allows(std::string_view("192.0.2.1\0", 10)));
  EXPECT_FALSE(list->Allows(std::string_view("192.0.2.1\0junk", 14)));
  EXPECT_FALSE(IpAllowlist::Parse({std::string("192.0.2.1\0/8", 12)}).ok());
  EXPECT_FALSE(IpAllowlist().Allows("192.0.2.1"));  // the empty list allows nothing
  EXPECT_TRUE(IpAllowlist::Parse({})->empty());
}

TEST(IpAllowlistTest, EachBadEntryHasItsReason) {
  struct Case {
    const char* entry;
    const char* reason;
  } cases[] = {
      {"", "empty IP address entry"},
      {"host.example", "not an IPv4 or IPv6 address"},
      {"192.0.2", "not an IPv4 or IPv6 address"},
      {"192.0.2.300", "not an IPv4 or IPv6 address"},
      {"010.0.0.1", "not an IPv4 or IPv6 address"},
      {" 192.0.2.1", "not an IPv4 or IPv6 address"},
      {"192.0.2.1:443", "not an IPv4 or IPv6 address"},
      {"[2001:db8::1]", "without brackets or port"},
      {"fe80::1%eth0", "zone"},
      {"10.0.0.0/33", "prefix /33 is longer than the address (at most /32)"},
      {"2001:db8::/129", "at most /128"},
      {"10.0.0.0/", "prefix length after / must be a decimal number"},
      {"10.0.0.0/08", "decimal number"},
      {"10.0.0.0/+8", "decimal number"},
      {"10.0.0.0/8/8", "decimal number"},
      {"10.0.0.0/1000", "decimal number"},
      {"0.0.0.0/0", "allows every address"},
      {"::/0", "allows every address"},
      {"::ffff:0.0.0.0/96", "allows every address"},
      {"::ffff:10.0.0.0/64", "at least /96"},
      {"10.0.0.1/8", "host bits are set after the prefix; the block is 10.0.0.0/8"},
      {"2001:db8::1/32", "the block is 2001:db8::/32"},
      {"1111:2222:3333:4444:5555:6666:7777:8888:9999:0000:aaaa:bbbb:cccc/128", "too long"},
  };
  for (const Case& c : cases) {
    auto list = IpAllowlist::Parse({"192.0.2.1", c.entry});
    ASSERT_FALSE(list.ok()) << c.entry;
    EXPECT_THAT(list.status().message(), HasSubstr(c.reason)) << c.entry;
    EXPECT_THAT(list.status().message(), ::testing::Not(HasSubstr("\"192.0.2.1\""))) << c.entry;
  }
  // Every bad entry at once, each named.
  auto many = IpAllowlist::Parse({"10.0.0.1/8", "nope", "192.0.2.1"});
  ASSERT_FALSE(many.ok());
  EXPECT_THAT(many.status().message(), HasSubstr("\"10.0.0.1/8\""));
  EXPECT_THAT(many.status().message(), HasSubstr("\"nope\""));
}

TEST(IpAllowlistTest, ErrorTextsQuoteOnlyPrintableBoundedText) {
  auto list = IpAllowlist::Parse({std::string("1\x01\xff<b>", 6)});
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("\"1?" "?<b>\""));
  auto longer = IpAllowlist::Parse({std::string(5000, 'a')});
  ASSERT_FALSE(longer.ok());
  EXPECT_LT(longer.status().message().size(), 200u);
}

TEST(IpAllowlistTest, SingleAddressPrefixesAreTheAddress) {
  auto list = IpAllowlist::Parse({"192.0.2.7/32", "2001:db8::7/128", "::ffff:198.51.100.1/128"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->Canonical(), (std::vector<std::string>{"192.0.2.7", "2001:db8::7", "198.51.100.1"}));
  EXPECT_TRUE(list->Allows("198.51.100.1"));
  EXPECT_FALSE(list->Allows("2001:db8::8"));
}

}  // namespace
}  // namespace certme
