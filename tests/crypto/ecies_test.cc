// ECIES (crypto/ecies.h): compatibility with npm eciesjs, strict decoding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/random.h"
#include "crypto/ecies.h"
#include "crypto/ethereum.h"

namespace certme {
namespace {

// Test vectors produced once with npm eciesjs 0.5.0 in its default
// configuration (node: `encrypt(PrivateKey.fromHex(kRecipientKey).publicKey
// .toBytes(false), utf8(plaintext))`, hex of the result). eciesjs draws its
// ephemeral key and nonce at random, so these bytes cannot be recomputed
// here; decrypting them is what proves the format matches.
constexpr char kRecipientKey[] = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr char kRecipientPub[] =
    "044e3b81af9c2234cad09d679ce6035ed1392347ce64ce405f5dcd36228a25de6e"
    "47fd35c4215d1edf53e6f83de344615ce719bdb0fd878f6ed76f06dd277956de";
constexpr char kVectorPlain[] = R"([{"key":"first_name","value":"Ion","salt":"0x01"}])";
constexpr char kVectorPayload[] =
    "04e99d2788879c01a55045a01fb8446f113274a7e9e4c89ffb076dda235a82596dbb26a89a3fc57ac6eb608df848a9"
    "236d7fda4a754d0ddec6c4c9cc374203bfc718a24c558750ad0bde7a458df6a22f6cf9a4393cb4cf0e973a5672cd6e"
    "6068600770f441a06adec85dfa586fc6953f8ec2f94bbac8c4a4812a4294bfeee99c51face78b7b422162cec420028"
    "4667d91285b1";
// The same recipient, empty plaintext: the payload is only the overhead.
constexpr char kEmptyPayload[] =
    "044fec076b63304090b4336d4770b1f4f7611fb033b8eacf85c87220e04bbca2acd1346595dd4d9c832a4b249353c7"
    "1f592ef16a6b261e105bc3f6be1873138de17555a5ebd468088b39fdca87d23393f557813b9dd55d0702adafdb9e50"
    "cb49c2";

std::string Unhex(std::string_view h) {
  auto b = HexDecode(h);
  EXPECT_TRUE(b.has_value()) << h;
  return b.value_or("");
}

EthKey Recipient() { return EthKey::FromHex(kRecipientKey).value(); }

TEST(EciesTest, DecryptsEciesjsVectors) {
  EthKey key = Recipient();
  ASSERT_EQ(HexEncode(key.public_key()), kRecipientPub);

  auto plain = EciesDecrypt(key, Unhex(kVectorPayload));
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, kVectorPlain);

  std::string empty_payload = Unhex(kEmptyPayload);
  ASSERT_EQ(empty_payload.size(), kEciesOverheadBytes);
  auto empty = EciesDecrypt(key, empty_payload);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
}

TEST(EciesTest, RoundTripAtBlockBoundariesAndBothKeyForms) {
  EthKey key = EthKey::Generate();
  std::string compressed(1, (static_cast<uint8_t>(key.public_key()[64]) & 1) ? 0x03 : 0x02);
  compressed += key.public_key().substr(1, 32);
  FakeRandom random(7);
  for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 1000, 65536}) {
    std::string plaintext = random.Bytes(n);
    for (const std::string& pub : {key.public_key(), compressed}) {
      auto payload = EciesEncrypt(pub, plaintext, random);
      ASSERT_TRUE(payload.ok()) << payload.status().ToString();
      ASSERT_EQ(payload->size(), kEciesOverheadBytes + n);
      EXPECT_EQ(static_cast<uint8_t>((*payload)[0]), 0x04);  // uncompressed ephemeral key
      if (n >= 16) {
        EXPECT_EQ(payload->find(plaintext), std::string::npos);  // not in the clear
      }
      auto back = EciesDecrypt(key, *payload);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, plaintext);
    }
  }
}

TEST(EciesTest, FreshEphemeralKeyAndNonceEveryTime) {
  EthKey key = Recipient();
  auto a = EciesEncrypt(key.public_key(), "same", SystemRandom());
  auto b = EciesEncrypt(key.public_key(), "same", SystemRandom());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->substr(0, 65), b->substr(0, 65));
  EXPECT_NE(a->substr(65, 16), b->substr(65, 16));
  EXPECT_NE(a->substr(kEciesOverheadBytes), b->substr(kEciesOverheadBytes));
}

TEST(EciesTest, UsesTheInjectedRandomness) {
  EthKey key = Recipient();
  FakeRandom r1(99), r2(99), r3(100);
  auto a = EciesEncrypt(key.public_key(), "attrs", r1);
  auto b = EciesEncrypt(key.public_key(), "attrs", r2);
  auto c = EciesEncrypt(key.public_key(), "attrs", r3);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(EciesTest, EveryTamperedByteIsRefused) {
  EthKey key = Recipient();
  const std::string payload = Unhex(kVectorPayload);
  // Each position class: ephemeral key prefix and coordinates, nonce, tag,
  // ciphertext; both a low and a high bit.
  for (size_t i = 0; i < payload.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      std::string t = payload;
      t[i] = static_cast<char>(t[i] ^ bit);
      auto r = EciesDecrypt(key, t);
      ASSERT_FALSE(r.ok()) << "byte " << i << " bit " << int(bit);
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  // Where the failure is detected, per class.
  auto with = [&](size_t i, uint8_t x) {
    std::string t = payload;
    t[i] = static_cast<char>(t[i] ^ x);
    return EciesDecrypt(key, t).status().message();
  };
  EXPECT_EQ(with(0, 0x02), "ECIES ephemeral key is not an uncompressed SEC1 point");  // 04 → 06
  EXPECT_EQ(with(64, 0x01), "ECIES ephemeral key is not a secp256k1 point");          // Y off curve
  EXPECT_EQ(with(65, 0x01), "ECIES authentication failed");                           // nonce
  EXPECT_EQ(with(81, 0x01), "ECIES authentication failed");                           // tag
  EXPECT_EQ(with(payload.size() - 1, 0x01), "ECIES authentication failed");           // ciphertext
}

TEST(EciesTest, HybridAndCompressedEphemeralEncodingsRefused) {
  EthKey key = Recipient();
  const std::string payload = Unhex(kVectorPayload);
  // The hybrid form (06/07 + X + Y) names the same point and libsecp256k1
  // would parse it; the format allows only 04.
  std::string hybrid = payload;
  hybrid[0] = static_cast<char>((static_cast<uint8_t>(payload[64]) & 1) ? 0x07 : 0x06);
  EXPECT_FALSE(EciesDecrypt(key, hybrid).ok());
  std::string compressed_prefix = payload;
  compressed_prefix[0] = 0x02;
  EXPECT_FALSE(EciesDecrypt(key, compressed_prefix).ok());
  // All-zero "point" (not on the curve; also the SEC1 spelling of infinity's prefix).
  std::string zeros = payload;
  std::fill(zeros.begin(), zeros.begin() + 65, '\0');
  zeros[0] = 0x04;
  EXPECT_EQ(EciesDecrypt(key, zeros).status().message(), "ECIES ephemeral key is not a secp256k1 point");
}

TEST(EciesTest, WrongKeyRefused) {
  auto r = EciesDecrypt(EthKey::Generate(), Unhex(kVectorPayload));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "ECIES authentication failed");
}

TEST(EciesTest, TruncatedOrExtendedRefused) {
  EthKey key = Recipient();
  const std::string payload = Unhex(kVectorPayload);
  for (size_t n = 0; n < payload.size(); ++n) {
    auto r = EciesDecrypt(key, payload.substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(r.status().message(), n < kEciesOverheadBytes ? "ECIES payload too short"
                                                            : "ECIES authentication failed");
  }
  EXPECT_FALSE(EciesDecrypt(key, payload + '\0').ok());
  // Dropping the tag-adjacent boundary: ciphertext moved by one byte.
  std::string shifted = payload.substr(0, 96) + payload.substr(97);
  EXPECT_FALSE(EciesDecrypt(key, shifted).ok());
}

TEST(EciesTest, OversizedPayloadRefusedBeforeWork) {
  std::string big(kEciesMaxPayloadBytes + 1, '\x04');
  EXPECT_EQ(EciesDecrypt(Recipient(), big).status().message(), "ECIES payload too long");
  std::string plain(kEciesMaxPayloadBytes, 'a');
  EXPECT_FALSE(EciesEncrypt(Recipient().public_key(), plain, SystemRandom()).ok());
}

TEST(EciesTest, BadRecipientKeysRefused) {
  FakeRandom r;
  std::string pub = Recipient().public_key();
  EXPECT_FALSE(EciesEncrypt("", "x", r).ok());
  EXPECT_FALSE(EciesEncrypt(pub.substr(1), "x", r).ok());  // 64 bytes, raw X||Y
  std::string off_curve = pub;
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);
  auto s = EciesEncrypt(off_curve, "x", r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  std::string hybrid = pub;
  hybrid[0] = 0x06;
  EXPECT_FALSE(EciesEncrypt(hybrid, "x", r).ok());
}

}  // namespace
}  // namespace certme
