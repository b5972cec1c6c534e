// Access records (ledger-client/access_record.h): both sides derive the
// same keys; only the pair's keys match a tag and open a record; anything
// altered is refused; the plaintext parser bounds what it reads.
#include "ledger-client/access_record.h"

#include <gtest/gtest.h>

#include <set>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "crypto/aead.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

AccessRecordContent Sample(size_t keys = 3) {
  AccessRecordContent c;
  c.time = 1767225600;
  c.protocol = "saml";
  c.kind = "validated";
  c.request_id = 42;
  const char* names[] = {"first_name", "last_name", "idnp", "birth_date"};
  for (size_t i = 0; i < keys; ++i) c.attr_keys.push_back(AttributeKey(names[i % 4] + std::to_string(i)));
  return c;
}

struct Pair {
  EthKey user = EthKey::Generate();
  EthKey provider = EthKey::Generate();
  AccessRecordKeys bridge = *AccessRecordKeys::Derive(provider, user.public_key());
  AccessRecordKeys wallet = *AccessRecordKeys::Derive(user, provider.public_key());
};

TEST(AccessRecordTest, TheWalletOpensWhatTheBridgeSealed) {
  Pair p;
  Random& random = SystemRandom();
  auto r = p.bridge.Seal(p.provider.address(), Sample(), random);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(r->sealed.size(), kMaxSealedBytes);
  EXPECT_TRUE(p.wallet.Matches(r->tag, r->sealed));
  auto opened = p.wallet.Open(p.provider.address(), r->tag, r->sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  AccessRecordContent want = Sample();
  EXPECT_EQ(opened->time, want.time);
  EXPECT_EQ(opened->protocol, "saml");
  EXPECT_EQ(opened->kind, "validated");
  EXPECT_EQ(opened->request_id, 42u);
  EXPECT_EQ(opened->attr_keys, want.attr_keys);
  // The bridge can read its own records back too (the provider concerned).
  EXPECT_TRUE(p.bridge.Open(p.provider.address(), r->tag, r->sealed).ok());
}

// A record sealed by an independent implementation of the header's
// construction (Python `cryptography`: ECDH, HKDF by hand, AES-GCM, HMAC),
// for the provider key of the address test vector and a fixed user key.
// Also the fuzz target's seed corpus/access_record/validated_oidc.
TEST(AccessRecordTest, OpensARecordSealedElsewhere) {
  auto provider = *EthKey::FromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
  auto user = *EthKey::FromHex("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f");
  ASSERT_EQ(provider.AddressHex(), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  std::string bytes = *HexDecode(
      "3f4de815d9f67ed4a2bc8e901acc1ce25c33ec6dfee4d893d5f65897a193e4136c68f573a8976e6771744856cb3b8f5d13718547c627"
      "47ae61e3c893f951751854462d5230f5f6034ed12ce601a4f62b3e02a39449fd06f14d843c69b9f74a36b3f4529b27dbf567d2e1c070"
      "7db854f0789390499cbf34b772922771694bd0ff5941e41c932a1b677df4675ede820187");
  auto wallet = *AccessRecordKeys::Derive(user, provider.public_key());
  auto opened = wallet.Open(provider.address(), abi::ToBytes32(bytes.substr(0, 32)), bytes.substr(32));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->time, 1767225600);
  EXPECT_EQ(opened->protocol, "oidc");
  EXPECT_EQ(opened->kind, "validated");
  EXPECT_EQ(opened->request_id, 7u);
  ASSERT_EQ(opened->attr_keys.size(), 2u);
  EXPECT_EQ(HexEncode(abi::AsView(opened->attr_keys[1])),
            "ee953388a55567d45575236e30d2d14c9ea948722c210511d9e36b90da54f78f");
  // The provider side derives the same keys.
  auto bridge = *AccessRecordKeys::Derive(provider, user.public_key());
  EXPECT_TRUE(bridge.Open(provider.address(), abi::ToBytes32(bytes.substr(0, 32)), bytes.substr(32)).ok());
}

// A signing login leaves a record too: the user sees which provider had
// which attributes validated to sign, like a login.
TEST(AccessRecordTest, ASigningLoginsRecordOpensAsSign) {
  Pair p;
  AccessRecordContent c = Sample(2);
  c.protocol = "sign";
  auto r = p.bridge.Seal(p.provider.address(), c, SystemRandom());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto opened = p.wallet.Open(p.provider.address(), r->tag, r->sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->protocol, "sign");
  EXPECT_EQ(opened->attr_keys, c.attr_keys);
}

TEST(AccessRecordTest, CompressedPeerKeysDeriveTheSameKeys) {
  Pair p;
  std::string compressed = p.provider.public_key().substr(0, 33);
  compressed[0] = (static_cast<uint8_t>(p.provider.public_key()[64]) & 1) ? '\x03' : '\x02';
  auto wallet = AccessRecordKeys::Derive(p.user, compressed);
  ASSERT_TRUE(wallet.ok());
  Random& random = SystemRandom();
  auto r = p.bridge.Seal(p.provider.address(), Sample(), random);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(wallet->Open(p.provider.address(), r->tag, r->sealed).ok());
}

TEST(AccessRecordTest, TagsNeverRepeatAndRecordsDiffer) {
  Pair p;
  Random& random = SystemRandom();
  std::set<Bytes32> tags;
  std::set<std::string> sealed;
  for (int i = 0; i < 50; ++i) {
    auto r = p.bridge.Seal(p.provider.address(), Sample(), random);
    ASSERT_TRUE(r.ok());
    tags.insert(r->tag);
    sealed.insert(r->sealed);
  }
  EXPECT_EQ(tags.size(), 50u) << "the same login twice leaves unlinkable tags";
  EXPECT_EQ(sealed.size(), 50u);
}

TEST(AccessRecordTest, AnotherUsersOrProvidersKeysNeitherMatchNorOpen) {
  Pair p;
  Random& random = SystemRandom();
  auto r = p.bridge.Seal(p.provider.address(), Sample(), random);
  ASSERT_TRUE(r.ok());
  EthKey other_user = EthKey::Generate();
  EthKey other_provider = EthKey::Generate();
  auto stranger = *AccessRecordKeys::Derive(other_user, p.provider.public_key());
  auto other_service = *AccessRecordKeys::Derive(other_provider, p.user.public_key());
  for (const auto* k : {&stranger, &other_service}) {
    EXPECT_FALSE(k->Matches(r->tag, r->sealed));
    auto o = k->Open(p.provider.address(), r->tag, r->sealed);
    EXPECT_EQ(o.status().code(), StatusCode::kNotFound);
  }
  // The user's keys with another provider do not open this provider's records.
  auto same_user_other_service = *AccessRecordKeys::Derive(p.user, other_provider.public_key());
  EXPECT_FALSE(same_user_other_service.Matches(r->tag, r->sealed));
}

TEST(AccessRecordTest, TamperingIsRefused) {
  Pair p;
  Random& random = SystemRandom();
  auto r = p.bridge.Seal(p.provider.address(), Sample(), random);
  ASSERT_TRUE(r.ok());
  // Any byte of the ciphertext or GCM tag: matches (the nonce is intact), does not open.
  for (size_t i = kAeadNonceBytes; i < r->sealed.size(); i += 7) {
    std::string bad = r->sealed;
    bad[i] ^= 0x01;
    auto o = p.wallet.Open(p.provider.address(), r->tag, bad);
    EXPECT_EQ(o.status().code(), StatusCode::kUnauthenticated) << i;
  }
  // The nonce: the tag no longer matches.
  std::string bad_nonce = r->sealed;
  bad_nonce[0] ^= 0x80;
  EXPECT_EQ(p.wallet.Open(p.provider.address(), r->tag, bad_nonce).status().code(), StatusCode::kNotFound);
  // Another tag, a truncated record, a record moved to another provider's address.
  Bytes32 tag = r->tag;
  tag[31] ^= 1;
  EXPECT_EQ(p.wallet.Open(p.provider.address(), tag, r->sealed).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(p.wallet.Open(p.provider.address(), r->tag, r->sealed.substr(0, r->sealed.size() - 1)).ok());
  EXPECT_FALSE(p.wallet.Open(p.provider.address(), r->tag, r->sealed.substr(0, 5)).ok());
  EXPECT_EQ(p.wallet.Open(EthKey::Generate().address(), r->tag, r->sealed).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(AccessRecordTest, ContentBounds) {
  Pair p;
  Random& random = SystemRandom();
  auto big = p.bridge.Seal(p.provider.address(), Sample(kMaxRecordKeys), random);
  ASSERT_TRUE(big.ok());
  EXPECT_LE(big->sealed.size(), kMaxSealedBytes) << "the largest record fits the ledger's bound";
  EXPECT_FALSE(p.bridge.Seal(p.provider.address(), Sample(kMaxRecordKeys + 1), random).ok());
  AccessRecordContent c = Sample();
  c.protocol = "ldap";
  EXPECT_FALSE(p.bridge.Seal(p.provider.address(), c, random).ok());
  c = Sample();
  c.kind = "guessed";
  EXPECT_FALSE(p.bridge.Seal(p.provider.address(), c, random).ok());
  EXPECT_FALSE(p.bridge.Seal("short", Sample(), random).ok());
  EXPECT_FALSE(AccessRecordKeys::Derive(p.user, std::string(65, '\x04')).ok()) << "not on the curve";

  // The parser: every header field and the length are checked.
  std::string plain = *EncodeAccessRecordContent(Sample(2));
  EXPECT_TRUE(DecodeAccessRecordContent(plain).ok());
  EXPECT_FALSE(DecodeAccessRecordContent(plain.substr(0, 19)).ok());
  EXPECT_FALSE(DecodeAccessRecordContent(plain + "x").ok());
  EXPECT_FALSE(DecodeAccessRecordContent(plain.substr(0, plain.size() - 1)).ok());
  for (size_t at : {0, 9, 10}) {
    std::string bad = plain;
    bad[at] = '\x07';
    EXPECT_FALSE(DecodeAccessRecordContent(bad).ok()) << at;
  }
  std::string many = plain;
  many[19] = static_cast<char>(kMaxRecordKeys + 1);
  EXPECT_FALSE(DecodeAccessRecordContent(many).ok());
  std::string late = plain;
  late[1] = '\x80';  // time ≥ 2^63
  EXPECT_FALSE(DecodeAccessRecordContent(late).ok());
}

}  // namespace
}  // namespace certme
