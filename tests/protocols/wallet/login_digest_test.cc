// protocols/wallet/login_digest.h against the values of §9.
#include "protocols/wallet/login_digest.h"

#include <gtest/gtest.h>

#include "tests/protocols/wallet/worked_example.h"

namespace certme {
namespace {

using namespace wallet::testing;  // NOLINT: the §9 fixtures

TEST(LoginDigestTest, WorkedExampleValues) {
  const auto ctx = Context();
  Bytes32 attributes_hash = WalletAttributesHash(Commitments());
  EXPECT_EQ(attributes_hash, B32("0x88dc716c7168da0c41b1f7c59c02a7bc3f28dcb60b747aac91dd6ff539a1b93b"));
  EXPECT_EQ(Keccak256(kWalletLoginType), B32("0x46079ba4ab8008e13d2df4329c28399468bb7d0828f571e60a9121542a638908"));
  EXPECT_EQ(DomainSeparator(ctx.domain), B32("0x6a4b04dde6bd1f3b1801af05b4da743ec7399e67399f6b5e42f2a69026b75630"));
  Bytes32 digest = WalletLoginDigest(ctx.domain, kCode, ctx.nonce, "demo-rp", attributes_hash, kExpiry);
  EXPECT_EQ(digest, B32("0xfc72f5294db36a9ff24dd267fa64d83d097768d3739dae0cbbdb101760521f99"));
  // The wallet's generic path agrees with the bridge's encoding.
  auto generic = TypedDataDigest(WalletLoginTypedData(ctx.domain, kCode, ctx.nonce, "demo-rp", attributes_hash, kExpiry));
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ(*generic, digest);
  // RFC 6979: the user's signature is the document's.
  EXPECT_EQ(UserKey().SignDigest(digest).ToHex(), kLoginSignature);
}

TEST(LoginDigestTest, NoAttributesHashIsKeccakOfNothing) {
  EXPECT_EQ(WalletAttributesHash({}), Keccak256(""));
}

}  // namespace
}  // namespace certme
