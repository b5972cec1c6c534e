// Keccak-256, EIP-55, secp256k1 signing/recovery and ECDH (crypto/ethereum.h).
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cctype>

#include "common/encoding.h"
#include "crypto/ethereum.h"
#include "tests/crypto/secp256k1_twin.h"

namespace certme {
namespace {

std::string Hex(const Bytes32& b) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

Bytes32 DigestOf(std::string_view s) { return Keccak256(s); }

constexpr char kVectorKey[] = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr char kVectorAddress[] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
// secp256k1 group order n, big-endian.

TEST(KeccakTest, KnownVectorsAndNotSha3) {
  EXPECT_EQ(Hex(Keccak256("")), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(Hex(Keccak256("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  // FIPS 202 SHA3-256 differs only in padding; make sure we did not get it.
  unsigned char sha3[32];
  unsigned int len = 0;
  EVP_Digest("", 0, sha3, &len, EVP_sha3_256(), nullptr);
  EXPECT_NE(Hex(Keccak256("")), HexEncode(std::string(reinterpret_cast<char*>(sha3), len)));
}

TEST(AddressTest, Eip55Examples) {
  // Examples from EIP-55 itself.
  for (const char* addr : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                           "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                           "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                           "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    std::string lower = addr;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto raw = ParseAddress(lower);
    ASSERT_TRUE(raw.ok()) << lower;
    EXPECT_EQ(ChecksumAddress(*raw), addr);
    auto checked = ParseAddress(addr);
    ASSERT_TRUE(checked.ok()) << addr;
    EXPECT_EQ(*checked, *raw);
  }
}

TEST(AddressTest, ParseRejectsBadChecksumsAndShapes) {
  std::string bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  bad[3] = 'A';  // 'a' -> 'A' breaks the checksum
  EXPECT_FALSE(ParseAddress(bad).ok());
  EXPECT_TRUE(ParseAddress("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED").ok());  // all caps
  EXPECT_FALSE(ParseAddress("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").ok());  // no 0x
  EXPECT_FALSE(ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe").ok());  // 39 digits
  EXPECT_FALSE(ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg").ok());
  EXPECT_FALSE(ParseAddress("").ok());
}

TEST(EthKeyTest, KnownKeyGivesKnownAddress) {
  auto key = EthKey::FromHex(kVectorKey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->AddressHex(), kVectorAddress);
  EXPECT_EQ(key->PrivateKeyHex(), kVectorKey);
  ASSERT_EQ(key->public_key().size(), 65u);
  EXPECT_EQ(key->public_key()[0], '\x04');
  auto from_pub = AddressFromPublicKey(key->public_key());
  ASSERT_TRUE(from_pub.ok());
  EXPECT_EQ(*from_pub, key->address());
}

// web3.js documentation example: accounts.sign('Some data', kVectorKey).
TEST(EthKeyTest, PersonalSignMatchesWeb3Example) {
  auto key = EthKey::FromHex(kVectorKey);
  ASSERT_TRUE(key.ok());
  Bytes32 digest = EthMessageHash("Some data");
  EXPECT_EQ(Hex(digest), "1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
  EthSignature sig = key->SignDigest(digest);
  EXPECT_EQ(sig.ToHex(),
            "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd"
            "6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c");
  auto addr = RecoverAddress(digest, sig);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(ChecksumAddress(*addr), kVectorAddress);
}

TEST(EthKeyTest, InvalidPrivateKeysAreRejected) {
  EXPECT_FALSE(EthKey::FromHex(std::string(64, '0')).ok());  // zero
  EXPECT_FALSE(EthKey::FromHex(certme::testing::kSecp256k1OrderHex).ok());             // n itself
  EXPECT_FALSE(EthKey::FromHex(std::string(64, 'f')).ok());  // > n
  EXPECT_FALSE(EthKey::FromHex("0x1234").ok());
  EXPECT_FALSE(EthKey::FromHex(std::string(64, 'z')).ok());
  EXPECT_FALSE(EthKey::FromPrivateKey(std::string(31, '\x01')).ok());
}

TEST(EthKeyTest, SignRecoverRoundTrip) {
  EthKey key = EthKey::Generate();
  EthKey other = EthKey::Generate();
  EXPECT_NE(key.address(), other.address());
  for (int i = 0; i < 20; ++i) {
    Bytes32 digest = DigestOf("message " + std::to_string(i));
    EthSignature sig = key.SignDigest(digest);
    EXPECT_TRUE(sig.rsv[64] == 27 || sig.rsv[64] == 28);
    auto addr = RecoverAddress(digest, sig);
    ASSERT_TRUE(addr.ok()) << addr.status().ToString();
    EXPECT_EQ(*addr, key.address());
    auto parsed = EthSignature::FromHex(sig.ToHex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->rsv, sig.rsv);
  }
}

TEST(EthKeyTest, TamperingChangesTheSignerOrFails) {
  EthKey key = EthKey::Generate();
  Bytes32 digest = DigestOf("login code 1234");
  EthSignature sig = key.SignDigest(digest);

  Bytes32 other_digest = DigestOf("login code 1235");
  auto a = RecoverAddress(other_digest, sig);
  EXPECT_TRUE(!a.ok() || *a != key.address());

  for (size_t pos : {size_t{0}, size_t{31}, size_t{40}, size_t{63}}) {
    EthSignature bad = sig;
    bad.rsv[pos] ^= 0x01;
    auto r = RecoverAddress(digest, bad);
    EXPECT_TRUE(!r.ok() || *r != key.address()) << "byte " << pos;
  }
  EthSignature flipped_v = sig;
  flipped_v.rsv[64] = sig.rsv[64] == 27 ? 28 : 27;
  auto r = RecoverAddress(digest, flipped_v);
  EXPECT_TRUE(!r.ok() || *r != key.address());

  EthSignature bad_v = sig;
  bad_v.rsv[64] = 29;
  EXPECT_FALSE(RecoverAddress(digest, bad_v).ok());
}

bool IsLowS(const uint8_t* s) {
  // s <= n/2  <=>  s <= n - s
  std::string own(reinterpret_cast<const char*>(s), 32);
  return own <= certme::testing::Secp256k1OrderMinus(own);
}

TEST(EthKeyTest, SignaturesAreLowSAndHighSIsRejected) {
  EthKey key = EthKey::Generate();
  for (int i = 0; i < 32; ++i) {
    Bytes32 digest = DigestOf("low-s " + std::to_string(i));
    EthSignature sig = key.SignDigest(digest);
    ASSERT_TRUE(IsLowS(sig.rsv.data() + 32)) << i;

    // The malleated twin (r, n-s, v^1) is an equally valid ECDSA signature…
    EthSignature high = sig;
    std::string twin = certme::testing::HighSTwin(std::string(sig.rsv.begin(), sig.rsv.end()));
    std::copy(twin.begin(), twin.end(), high.rsv.begin());
    secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pub;
    ASSERT_TRUE(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, high.rsv.data(),
                                                                    high.rsv[64] - 27));
    ASSERT_TRUE(secp256k1_ecdsa_recover(ctx, &pub, &rs, digest.data()));
    unsigned char ser[65];
    size_t len = sizeof ser;
    secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    secp256k1_context_destroy(ctx);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(ser), len), key.public_key());
    // …which RecoverAddress refuses (EIP-2).
    EXPECT_EQ(RecoverAddress(digest, high).status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(EthSignatureTest, FromHexShapes) {
  std::string rs(128, '1');
  auto v0 = EthSignature::FromHex(rs + "00");
  ASSERT_TRUE(v0.has_value());
  EXPECT_EQ(v0->rsv[64], 27);
  auto v1 = EthSignature::FromHex("0x" + rs + "01");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->rsv[64], 28);
  EXPECT_TRUE(EthSignature::FromHex(rs + "1b").has_value());
  EXPECT_FALSE(EthSignature::FromHex(rs + "1d").has_value());
  EXPECT_FALSE(EthSignature::FromHex(rs + "02").has_value());
  EXPECT_FALSE(EthSignature::FromHex(rs).has_value());
  EXPECT_FALSE(EthSignature::FromHex(rs + "1b00").has_value());
  EXPECT_FALSE(EthSignature::FromHex(std::string(130, 'g')).has_value());
  // r = s = 0 parses as hex but is not a signature.
  auto zero = EthSignature::FromHex(std::string(128, '0') + "1b");
  ASSERT_TRUE(zero.has_value());
  EXPECT_FALSE(RecoverAddress(DigestOf("x"), *zero).ok());
}

// Independent ECDH on secp256k1 through OpenSSL's EVP_PKEY_derive (X only).
std::string OpenSslSharedX(const EthKey& mine, const std::string& peer_pub) {
  auto make = [](const std::string& pub, const std::string* priv_hex) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size());
    BIGNUM* bn = nullptr;
    if (priv_hex) {
      BN_hex2bn(&bn, priv_hex->c_str());
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn);
    }
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* pkey = nullptr;
    EVP_PKEY_fromdata_init(ctx);
    EVP_PKEY_fromdata(ctx, &pkey, priv_hex ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    return pkey;
  };
  std::string priv_hex = mine.PrivateKeyHex().substr(2);
  EVP_PKEY* me = make(mine.public_key(), &priv_hex);
  EVP_PKEY* peer = make(peer_pub, nullptr);
  EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new_from_pkey(nullptr, me, nullptr);
  std::string out(32, '\0');
  size_t len = out.size();
  bool ok = me && peer && dctx && EVP_PKEY_derive_init(dctx) == 1 &&
            EVP_PKEY_derive_set_peer(dctx, peer) == 1 &&
            EVP_PKEY_derive(dctx, reinterpret_cast<unsigned char*>(out.data()), &len) == 1;
  EVP_PKEY_CTX_free(dctx);
  EVP_PKEY_free(me);
  EVP_PKEY_free(peer);
  return ok ? out.substr(0, len) : std::string();
}

TEST(EcdhTest, SharedSecretAgreesBothWaysAndWithOpenSsl) {
  EthKey alice = EthKey::Generate();
  EthKey bob = EthKey::Generate();
  auto ab = alice.SharedX(bob.public_key());
  auto ba = bob.SharedX(alice.public_key());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->size(), 32u);
  EXPECT_EQ(*ab, *ba);
  EXPECT_EQ(*ab, OpenSslSharedX(alice, bob.public_key()));

  // Compressed peer keys work the same.
  auto bob_point = bob.SharedPoint(alice.public_key(), /*compressed=*/false);
  ASSERT_TRUE(bob_point.ok());
  std::string alice_compressed(1, static_cast<char>((alice.public_key()[64] & 1) ? 0x03 : 0x02));
  alice_compressed += alice.public_key().substr(1, 32);
  auto ba_c = bob.SharedX(alice_compressed);
  ASSERT_TRUE(ba_c.ok());
  EXPECT_EQ(*ba_c, *ab);

  // SharedPoint: full point whose X is SharedX, and its compressed form.
  auto full = alice.SharedPoint(bob.public_key());
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->size(), 65u);
  EXPECT_EQ((*full)[0], '\x04');
  EXPECT_EQ(full->substr(1, 32), *ab);
  EXPECT_EQ(*full, *bob_point);
  auto comp = alice.SharedPoint(bob.public_key(), true);
  ASSERT_TRUE(comp.ok());
  ASSERT_EQ(comp->size(), 33u);
  EXPECT_EQ(comp->substr(1), *ab);
  EXPECT_EQ(static_cast<uint8_t>((*comp)[0]), (static_cast<uint8_t>((*full)[64]) & 1) ? 0x03 : 0x02);
  // The compressed form is a valid point: it is bob's view of alice's secret.
  auto addr = AddressFromPublicKey(*comp);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*addr, *AddressFromPublicKey(*full));
}

TEST(EcdhTest, InvalidPeerKeysAreRejected) {
  EthKey key = EthKey::Generate();
  std::string bad = key.public_key();
  bad[64] = static_cast<char>(bad[64] ^ 1);  // off the curve
  EXPECT_FALSE(key.SharedX(bad).ok());
  EXPECT_FALSE(key.SharedX("").ok());
  EXPECT_FALSE(key.SharedX(key.public_key().substr(1)).ok());  // 64 bytes, no prefix
  EXPECT_FALSE(key.SharedPoint("\x02" + std::string(32, '\xff')).ok());  // x >= p
  EXPECT_FALSE(AddressFromPublicKey(bad).ok());
}

}  // namespace
}  // namespace certme
