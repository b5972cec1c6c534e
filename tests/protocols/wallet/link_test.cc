// protocols/wallet/link.h: the links of §2.
#include "protocols/wallet/link.h"

#include <gtest/gtest.h>

namespace certme::wallet {
namespace {

constexpr char kBase[] = "https://bridge.example.md/wallet/v1";
constexpr char kCode[] = "IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc";

TEST(WalletLinkTest, BuildsTheLinksOfSectionTwo) {
  EXPECT_EQ(BuildLoginLink(kBase, kCode),
            "certme://login?u=https%3A%2F%2Fbridge.example.md%2Fwallet%2Fv1&c=IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc");
  EXPECT_EQ(BuildDeepLink(kBase, kCode), std::string(kBase) + "/l/" + kCode);
  EXPECT_EQ(RequestUrl(kBase, kCode), std::string(kBase) + "/requests/" + kCode);
}

TEST(WalletLinkTest, ParsesBothFormsBack) {
  for (const std::string& text : {BuildLoginLink(kBase, kCode), BuildDeepLink(kBase, kCode) + "\n"}) {
    auto link = ParseLoginLink(text);
    ASSERT_TRUE(link.ok()) << text << ": " << link.status().ToString();
    EXPECT_EQ(link->api_base, kBase);
    EXPECT_EQ(link->code, kCode);
  }
}

TEST(WalletLinkTest, RefusesPlainHttpOffLoopbackAndBadCodes) {
  EXPECT_TRUE(ParseLoginLink("http://127.0.0.1:8080/wallet/v1/l/abc").ok());
  EXPECT_FALSE(ParseLoginLink("http://evil.example/wallet/v1/l/abc").ok());
  EXPECT_FALSE(ParseLoginLink("https://bridge.example.md/wallet/v1/l/a<b").ok());
  EXPECT_FALSE(ParseLoginLink("https://bridge.example.md/nothing").ok());
  EXPECT_TRUE(IsValidCode(kCode));
  EXPECT_FALSE(IsValidCode(""));
  EXPECT_FALSE(IsValidCode("a b"));
}

}  // namespace
}  // namespace certme::wallet
