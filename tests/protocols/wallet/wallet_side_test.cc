// protocols/wallet/wallet_side.h: the wallet's answer passes the bridge's
// checks, and reproduces §9's deterministic signatures.
#include "protocols/wallet/wallet_side.h"

#include <gtest/gtest.h>

#include "protocols/wallet/checks.h"
#include "tests/protocols/wallet/worked_example.h"

namespace certme::wallet {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the §9 fixtures

RequestDocument ExampleDocument() { return *ParseRequestDocument(std::string_view(RequestDocumentText())); }

TEST(WalletSideTest, ApprovalPassesEveryBridgeCheckUpToTheLedger) {
  auto body = BuildApproval(ExampleDocument(), UserKey(), Held(), SystemRandom());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  auto answer = ParseAnswer(*body, kCode);
  ASSERT_TRUE(answer.ok()) << answer.error().description;
  EXPECT_EQ(json::parse(*body)["eid"], "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  // Signatures are deterministic (RFC 6979): §9's.
  EXPECT_EQ(answer->login_signature.ToHex(), kLoginSignature);
  ASSERT_TRUE(answer->consent_signature);
  EXPECT_EQ(answer->consent_signature->ToHex(), kConsentSignature);
  auto plain = CheckPayloadDecrypts(BridgeKey(), answer->payload);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(json::parse(*plain), json::parse(kPlaintext));
  auto d = CheckAttributes(Context(), *plain, answer->eid);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(CheckLoginSignature(Context(), *answer, *d));
  EXPECT_FALSE(CheckConsentSignature(Context(), *answer, *d));
}

TEST(WalletSideTest, AttributeNotHeldIsNamed) {
  auto held = Held();
  held.pop_back();
  auto body = BuildApproval(ExampleDocument(), UserKey(), held, SystemRandom());
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().message(), "attribute_not_held");
  EXPECT_EQ(body.status().detail(), "idnp");
}

TEST(WalletSideTest, DocumentForAnotherCodeOrExpiredIsNotAnswered) {
  EXPECT_TRUE(CheckDocumentForWallet(ExampleDocument(), kCode, kExpiry - 1).ok());
  EXPECT_EQ(CheckDocumentForWallet(ExampleDocument(), "other", kExpiry - 1).message(), "code");
  EXPECT_EQ(CheckDocumentForWallet(ExampleDocument(), kCode, kExpiry).message(), "expired");
}

TEST(WalletSideTest, RefusalIsSignedByTheEidAndPassesTheBridgesCheck) {
  auto body = BuildRefusal(ExampleDocument(), UserKey());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  json j = json::parse(*body);
  EXPECT_EQ(j["refused"], true);
  EXPECT_EQ(j["eid"], "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  auto a = ParseAnswer(*body, kCode);
  ASSERT_TRUE(a.ok()) << a.error().description;
  EXPECT_TRUE(a->refused);
  // The wallet signs the generic typed data, the bridge checks with its own
  // encoding: the two agree.
  EXPECT_FALSE(CheckRefusalSignature(Context(), *a));
  // Signed by a key that is not the eid named, it fails the check.
  auto other = BuildRefusal(ExampleDocument(), EthKey::Generate());
  ASSERT_TRUE(other.ok());
  json forged = json::parse(*other);
  forged["eid"] = j["eid"];
  auto f = ParseAnswer(forged.dump(), kCode);
  ASSERT_TRUE(f.ok());
  auto e = CheckRefusalSignature(Context(), *f);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "bad_signature");
}

}  // namespace
}  // namespace certme::wallet
