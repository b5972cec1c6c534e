// JWS / JWK / key loading behaviour of crypto/jose.h.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "tests/crypto/test_keys.h"

namespace certme {
namespace {

using testing::Keys;
using Json = nlohmann::json;
using KeyList = std::vector<std::shared_ptr<const PublicKey>>;
using testing::KeyFor;
using testing::kAllAlgs;
// Builds a compact JWS from raw JSON text, signing with `key` — for headers
// SignJwt would never produce.
std::string SignRaw(const SigningKey& key, JwsAlg alg, const std::string& header_json,
                    const std::string& payload_json) {
  std::string input = Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  auto sig = key.Sign(alg, input);
  EXPECT_TRUE(sig.ok()) << sig.status().ToString();
  return input + "." + Base64UrlEncode(sig.ok() ? *sig : "");
}

struct Parts {
  std::string h, p, s;
};
Parts SplitToken(const std::string& t) {
  size_t a = t.find('.'), b = t.find('.', a + 1);
  return {t.substr(0, a), t.substr(a + 1, b - a - 1), t.substr(b + 1)};
}

const Json kClaims = {{"iss", "https://bridge.test"}, {"sub", "alice"}, {"n", 7}};

// ---------------- algorithm names ----------------

TEST(JwsAlgTest, NamesRoundTripAndOthersAreRejected) {
  for (JwsAlg alg : kAllAlgs) EXPECT_EQ(ParseJwsAlg(JwsAlgName(alg)), alg);
  for (const char* bad : {"none", "None", "HS256", "rs256", "ES384", "", "RS256 "})
    EXPECT_FALSE(ParseJwsAlg(bad).has_value()) << bad;
}

// ---------------- sign / verify ----------------

TEST(JwsTest, SignAndVerifyEveryAlgorithm) {
  for (JwsAlg alg : kAllAlgs) {
    SCOPED_TRACE(JwsAlgName(alg));
    auto key = KeyFor(alg);
    auto token = SignJwt(*key, alg, kClaims);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto v = VerifyJwt(*token, {key}, {alg});
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(v->payload, kClaims);
    EXPECT_EQ(v->header["alg"], JwsAlgName(alg));
    EXPECT_EQ(v->header["kid"], key->kid());
    EXPECT_EQ(v->header["typ"], "JWT");
  }
}

TEST(JwsTest, TypCanBeSetOrOmitted) {
  auto t1 = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims, "logout+jwt");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(DecodeJwtUnverified(*t1)->header["typ"], "logout+jwt");
  auto t2 = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims, "");
  ASSERT_TRUE(t2.ok());
  EXPECT_FALSE(DecodeJwtUnverified(*t2)->header.contains("typ"));
}

TEST(JwsTest, Es256SignatureIsJoseRawForm) {
  auto token = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims);
  ASSERT_TRUE(token.ok());
  auto sig = Base64UrlDecode(SplitToken(*token).s);
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(sig->size(), 64u);  // r||s, not DER (which starts with 0x30 and is 70-72 bytes)
}

TEST(JwsTest, Es256RejectsWrongSignatureLengths) {
  auto token = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims);
  ASSERT_TRUE(token.ok());
  Parts p = SplitToken(*token);
  std::string sig = *Base64UrlDecode(p.s);
  // The same signature in DER form must not be accepted either.
  auto* ecsig = ECDSA_SIG_new();
  ECDSA_SIG_set0(ecsig, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(ecsig, &der);
  std::string der_sig(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  ECDSA_SIG_free(ecsig);

  for (const std::string& bad : {sig.substr(0, 63), sig + std::string(1, '\0'),
                                 std::string(1, '\0') + sig, der_sig}) {
    auto v = VerifyJwt(p.h + "." + p.p + "." + Base64UrlEncode(bad), {Keys().ec}, {JwsAlg::kES256});
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(VerifyJwt(*token, {Keys().ec}, {JwsAlg::kES256}).ok());
}

TEST(JwsTest, Ps256IsPssAndRs256IsPkcs1) {
  const std::string data = "header.payload";
  auto ps1 = Keys().rsa->Sign(JwsAlg::kPS256, data);
  auto ps2 = Keys().rsa->Sign(JwsAlg::kPS256, data);
  auto rs1 = Keys().rsa->Sign(JwsAlg::kRS256, data);
  auto rs2 = Keys().rsa->Sign(JwsAlg::kRS256, data);
  ASSERT_TRUE(ps1.ok() && ps2.ok() && rs1.ok() && rs2.ok());
  EXPECT_NE(*ps1, *ps2);  // PSS is randomized by its salt
  EXPECT_EQ(*rs1, *rs2);  // PKCS#1 v1.5 is deterministic
  EXPECT_TRUE(Keys().rsa->Verify(JwsAlg::kPS256, data, *ps1));
  EXPECT_FALSE(Keys().rsa->Verify(JwsAlg::kRS256, data, *ps1));
  EXPECT_FALSE(Keys().rsa->Verify(JwsAlg::kPS256, data, *rs1));
}

TEST(JwsTest, TamperedPayloadFails) {
  for (JwsAlg alg : kAllAlgs) {
    SCOPED_TRACE(JwsAlgName(alg));
    auto token = SignJwt(*KeyFor(alg), alg, kClaims);
    ASSERT_TRUE(token.ok());
    Parts p = SplitToken(*token);
    Json evil = kClaims;
    evil["sub"] = "mallory";
    auto v = VerifyJwt(p.h + "." + Base64UrlEncode(evil.dump()) + "." + p.s, {KeyFor(alg)}, {alg});
    EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST(JwsTest, TamperedSignatureFails) {
  for (JwsAlg alg : kAllAlgs) {
    SCOPED_TRACE(JwsAlgName(alg));
    auto token = SignJwt(*KeyFor(alg), alg, kClaims);
    ASSERT_TRUE(token.ok());
    Parts p = SplitToken(*token);
    std::string sig = *Base64UrlDecode(p.s);
    for (size_t pos : {size_t{0}, sig.size() / 2, sig.size() - 1}) {
      std::string bad = sig;
      bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
      auto v = VerifyJwt(p.h + "." + p.p + "." + Base64UrlEncode(bad), {KeyFor(alg)}, {alg});
      EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated) << "byte " << pos;
    }
  }
}

TEST(JwsTest, TamperedHeaderFails) {
  for (JwsAlg alg : kAllAlgs) {
    SCOPED_TRACE(JwsAlgName(alg));
    auto key = KeyFor(alg);
    auto token = SignJwt(*key, alg, kClaims);
    ASSERT_TRUE(token.ok());
    Parts p = SplitToken(*token);
    Json header = {{"alg", JwsAlgName(alg)}, {"kid", key->kid()}, {"typ", "at+jwt"}};
    auto v = VerifyJwt(Base64UrlEncode(header.dump()) + "." + p.p + "." + p.s, {key}, {alg});
    EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST(JwsTest, AlgorithmNotInAllowedListIsRejected) {
  auto token = SignJwt(*Keys().rsa, JwsAlg::kRS256, kClaims);
  ASSERT_TRUE(token.ok());
  // The right key, but the caller only accepts ES256.
  auto v = VerifyJwt(*token, {Keys().rsa, Keys().ec}, {JwsAlg::kES256});
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyJwt(*token, {Keys().rsa}, {JwsAlg::kES256, JwsAlg::kRS256}).ok());
}

TEST(JwsTest, AlgorithmConfusionAcrossKeyTypesFails) {
  // An RS256 token relabelled PS256 must not verify under PSS.
  auto token = SignJwt(*Keys().rsa, JwsAlg::kRS256, kClaims);
  ASSERT_TRUE(token.ok());
  Parts p = SplitToken(*token);
  Json h = {{"alg", "PS256"}, {"kid", "rsa-1"}, {"typ", "JWT"}};
  auto v = VerifyJwt(Base64UrlEncode(h.dump()) + "." + p.p + "." + p.s, {Keys().rsa},
                     {JwsAlg::kRS256, JwsAlg::kPS256});
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);

  // The classic HS256 trick: HMAC keyed with the RSA public key PEM.
  const std::string pem = Keys().rsa->ToPem();
  Json hs = {{"alg", "HS256"}, {"kid", "rsa-1"}};
  std::string input = Base64UrlEncode(hs.dump()) + "." + p.p;
  unsigned char mac[32];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), pem.data(), static_cast<int>(pem.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  auto hv = VerifyJwt(input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len)),
                      {Keys().rsa}, kAllAlgs);
  EXPECT_EQ(hv.status().code(), StatusCode::kInvalidArgument);

  // An ES256 token offered only RSA keys finds no key.
  auto es = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims);
  ASSERT_TRUE(es.ok());
  EXPECT_EQ(VerifyJwt(*es, {Keys().rsa}, kAllAlgs).status().code(), StatusCode::kUnauthenticated);
}

TEST(JwsTest, NoneIsRejectedWithAndWithoutSignature) {
  std::string body = Base64UrlEncode(kClaims.dump());
  for (const std::string& header : {std::string(R"({"alg":"none"})"),
                                    std::string(R"({"alg":"none","kid":"ec-1"})"),
                                    std::string(R"({"alg":"NONE"})")}) {
    for (const std::string& sig : {std::string(), Base64UrlEncode("x")}) {
      std::string t = Base64UrlEncode(header) + "." + body + "." + sig;
      auto v = VerifyJwt(t, {Keys().ec, Keys().rsa, Keys().ed}, kAllAlgs);
      EXPECT_FALSE(v.ok()) << t;
      EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << t;
    }
  }
}

TEST(JwsTest, CritHeaderIsRejectedEvenWhenSigned) {
  std::string t = SignRaw(*Keys().ec, JwsAlg::kES256,
                          R"({"alg":"ES256","kid":"ec-1","crit":["exp"],"exp":1})", kClaims.dump());
  auto v = VerifyJwt(t, {Keys().ec}, {JwsAlg::kES256});
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  // Control: the same construction without crit verifies.
  std::string ok = SignRaw(*Keys().ec, JwsAlg::kES256, R"({"alg":"ES256","kid":"ec-1"})",
                           kClaims.dump());
  EXPECT_TRUE(VerifyJwt(ok, {Keys().ec}, {JwsAlg::kES256}).ok());
}

TEST(JwsTest, SignedNonObjectPayloadIsRejected) {
  for (const std::string& payload : {std::string("[1,2]"), std::string("\"s\""), std::string("42"),
                                     std::string("{\"a\":")}) {
    std::string t = SignRaw(*Keys().ec, JwsAlg::kES256, R"({"alg":"ES256","kid":"ec-1"})", payload);
    auto v = VerifyJwt(t, {Keys().ec}, {JwsAlg::kES256});
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << payload;
  }
}

TEST(JwsTest, KidSelectsTheKey) {
  auto ec1 = Keys().ec, ec2 = Keys().ec2;
  auto t2 = SignJwt(*ec2, JwsAlg::kES256, kClaims);
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(VerifyJwt(*t2, {ec1, ec2}, {JwsAlg::kES256}).ok());
  EXPECT_EQ(VerifyJwt(*t2, {ec1}, {JwsAlg::kES256}).status().code(), StatusCode::kUnauthenticated);

  // Token claims kid ec-1 but was signed by ec-2: kid selects ec-1 only.
  std::string lie = SignRaw(*ec2, JwsAlg::kES256, R"({"alg":"ES256","kid":"ec-1"})", kClaims.dump());
  EXPECT_EQ(VerifyJwt(lie, {ec1, ec2}, {JwsAlg::kES256}).status().code(),
            StatusCode::kUnauthenticated);

  // Unknown kid.
  std::string unknown =
      SignRaw(*ec2, JwsAlg::kES256, R"({"alg":"ES256","kid":"nope"})", kClaims.dump());
  EXPECT_EQ(VerifyJwt(unknown, {ec1, ec2}, {JwsAlg::kES256}).status().code(),
            StatusCode::kUnauthenticated);

  // No kid: every key supporting the alg is tried.
  std::string nokid = SignRaw(*ec2, JwsAlg::kES256, R"({"alg":"ES256"})", kClaims.dump());
  EXPECT_TRUE(VerifyJwt(nokid, {Keys().rsa, ec1, ec2}, {JwsAlg::kES256}).ok());

  // kid must be a string.
  std::string numkid = SignRaw(*ec2, JwsAlg::kES256, R"({"alg":"ES256","kid":5})", kClaims.dump());
  EXPECT_EQ(VerifyJwt(numkid, {ec2}, {JwsAlg::kES256}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(JwsTest, TokenKidFallsBackToKidlessCandidates) {
  Json jwk = Keys().ec2->ToJwk();
  jwk.erase("kid");
  auto kidless = ParsePublicKeyJwk(jwk);
  ASSERT_TRUE(kidless.ok()) << kidless.status().ToString();
  EXPECT_EQ((*kidless)->kid(), "");
  auto t = SignJwt(*Keys().ec2, JwsAlg::kES256, kClaims);  // header kid "ec-2"
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(VerifyJwt(*t, {*kidless}, {JwsAlg::kES256}).ok());
  // But a candidate with a different, explicit kid is never used.
  EXPECT_FALSE(VerifyJwt(*t, {Keys().ec}, {JwsAlg::kES256}).ok());
}

TEST(JwsTest, MalformedTokensAreInvalidArgument) {
  auto good = SignJwt(*Keys().ec, JwsAlg::kES256, kClaims);
  ASSERT_TRUE(good.ok());
  Parts p = SplitToken(*good);
  const std::string obj = Base64UrlEncode(R"({"alg":"ES256"})");
  const std::vector<std::string> bad = {
      "",
      ".",
      "..",
      "abc",
      p.h + "." + p.p,
      *good + "." + p.s,                                  // four parts
      "." + p.p + "." + p.s,                              // empty header
      p.h + ".." + p.s,                                   // empty payload
      p.h + "=." + p.p + "." + p.s,                       // padding
      p.h + "." + p.p + "." + p.s + "=",                  // padding in signature
      p.h + "." + p.p + "+." + p.s,                       // standard alphabet
      p.h + " ." + p.p + "." + p.s,                       // whitespace
      Base64UrlEncode("not json") + "." + p.p + "." + p.s,
      Base64UrlEncode("[\"ES256\"]") + "." + p.p + "." + p.s,
      Base64UrlEncode("{}") + "." + p.p + "." + p.s,
      Base64UrlEncode(R"({"alg":256})") + "." + p.p + "." + p.s,
      Base64UrlEncode(R"({"alg":"ES256"} x)") + "." + p.p + "." + p.s,
      obj + "." + p.p + ".",                              // empty signature
      obj + "." + p.p + ".A",                             // impossible base64 length
      obj + "." + p.p + ".AB",                            // non-canonical trailing bits
      std::string(kMaxJwsSize + 1, 'A'),
      p.h + "." + std::string(kMaxJwsSize, 'A') + "." + p.s,
  };
  for (const auto& t : bad) {
    auto v = VerifyJwt(t, {Keys().ec}, kAllAlgs);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << t.substr(0, 80);
  }
}

TEST(JwsTest, DecodeUnverifiedReadsClaimsButChecksStructure) {
  auto token = SignJwt(*Keys().ed, JwsAlg::kEdDSA, kClaims);
  ASSERT_TRUE(token.ok());
  Parts p = SplitToken(*token);
  // A forged signature does not matter to the unverified decode…
  auto d = DecodeJwtUnverified(p.h + "." + p.p + "." + Base64UrlEncode("forged"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->payload["iss"], "https://bridge.test");
  EXPECT_EQ(d->header["alg"], "EdDSA");
  // …but structure does.
  EXPECT_FALSE(DecodeJwtUnverified(p.h + "." + Base64UrlEncode("[]") + "." + p.s).ok());
  EXPECT_FALSE(DecodeJwtUnverified(p.h + "." + p.p).ok());
  EXPECT_FALSE(DecodeJwtUnverified(Base64UrlEncode("{}") + "." + p.p + "." + p.s).ok());
}

TEST(JwsTest, SignJwtRejectsBadRequests) {
  EXPECT_EQ(SignJwt(*Keys().ec, JwsAlg::kRS256, kClaims).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SignJwt(*Keys().ec, JwsAlg::kES256, Json::array({1})).status().code(),
            StatusCode::kInvalidArgument);
  // Invalid UTF-8 in a claim: nlohmann::json::dump throws; SignJwt must not.
  Json bad = {{"name", std::string("\xff\xfe")}};
  EXPECT_EQ(SignJwt(*Keys().ec, JwsAlg::kES256, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(JwsTest, ConcurrentSignersShareOneKey) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        JwsAlg alg = kAllAlgs[static_cast<size_t>(t + i) % kAllAlgs.size()];
        Json claims = {{"i", i}, {"t", t}};
        auto token = SignJwt(*KeyFor(alg), alg, claims);
        if (!token.ok()) {
          ++failures;
          continue;
        }
        auto v = VerifyJwt(*token, {Keys().rsa, Keys().ec, Keys().ed}, kAllAlgs);
        if (!v.ok() || v->payload != claims) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------- keys: PEM ----------------

}  // namespace
}  // namespace certme
