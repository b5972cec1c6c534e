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

const std::vector<JwsAlg> kAllAlgs = {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256,
                                      JwsAlg::kEdDSA};

std::shared_ptr<SigningKey> KeyFor(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRS256:
    case JwsAlg::kPS256:
      return Keys().rsa;
    case JwsAlg::kES256:
      return Keys().ec;
    case JwsAlg::kEdDSA:
      return Keys().ed;
  }
  return nullptr;
}

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

std::string EncodePrivate(EVP_PKEY* pkey, const char* structure) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "PEM", structure, nullptr);
  unsigned char* data = nullptr;
  size_t len = 0;
  bool ok = ctx && OSSL_ENCODER_to_data(ctx, &data, &len) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  std::string out = ok ? std::string(reinterpret_cast<char*>(data), len) : std::string();
  OPENSSL_free(data);
  return out;
}

TEST(KeyLoadTest, Pkcs8PemRoundTrip) {
  for (const auto& key : {Keys().rsa, Keys().ec, Keys().ed}) {
    auto pem = SigningKeyToPem(*key);
    ASSERT_TRUE(pem.ok());
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
    auto back = ParseSigningKeyPem(*pem, key->kid());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ((*back)->ToJwk(), key->ToJwk());
    // The reloaded key signs tokens the original verifies.
    JwsAlg alg = key == Keys().rsa ? JwsAlg::kRS256 : key == Keys().ec ? JwsAlg::kES256 : JwsAlg::kEdDSA;
    auto t = SignJwt(**back, alg, kClaims);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(VerifyJwt(*t, {key}, {alg}).ok());
  }
}

TEST(KeyLoadTest, TraditionalPemLoads) {
  struct Case {
    std::shared_ptr<SigningKey> key;
    const char* begin;
  };
  for (const auto& c : {Case{Keys().rsa, "-----BEGIN RSA PRIVATE KEY-----"},
                        Case{Keys().ec, "-----BEGIN EC PRIVATE KEY-----"}}) {
    std::string pem = EncodePrivate(BorrowEvpPkey(*c.key), "type-specific");
    ASSERT_EQ(pem.rfind(c.begin, 0), 0u) << pem.substr(0, 40);
    auto back = ParseSigningKeyPem(pem, "");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(JwkThumbprint(**back), JwkThumbprint(*c.key));
  }
}

TEST(KeyLoadTest, EmptyKidBecomesThumbprint) {
  auto pem = SigningKeyToPem(*Keys().ec);
  ASSERT_TRUE(pem.ok());
  auto k = ParseSigningKeyPem(*pem, "");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ((*k)->kid(), JwkThumbprint(*Keys().ec));
  EXPECT_EQ((*k)->ToJwk()["kid"], (*k)->kid());
}

TEST(KeyLoadTest, EncryptedPemNeedsThePassword) {
  BIO* bio = BIO_new(BIO_s_mem());
  const char* pw = "s3cret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, BorrowEvpPkey(*Keys().ec), EVP_aes_256_cbc(), pw,
                                          static_cast<int>(strlen(pw)), nullptr, nullptr),
            1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  ASSERT_NE(pem.find("ENCRYPTED"), std::string::npos);

  EXPECT_EQ(ParseSigningKeyPem(pem, "k").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSigningKeyPem(pem, "k", Secret("wrong")).ok());
  auto k = ParseSigningKeyPem(pem, "k", Secret(pw));
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(JwkThumbprint(**k), JwkThumbprint(*Keys().ec));
}

TEST(KeyLoadTest, PemFileAndErrors) {
  testing::TempDir dir;
  auto pem = SigningKeyToPem(*Keys().ed);
  ASSERT_TRUE(pem.ok());
  auto k = LoadSigningKeyPem(dir.Write("ed.pem", *pem), "ed");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ((*k)->ToJwk()["x"], Keys().ed->ToJwk()["x"]);

  EXPECT_EQ(LoadSigningKeyPem((dir.path() / "missing.pem").string(), "x").status().code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(ParseSigningKeyPem("garbage", "x").ok());
  EXPECT_FALSE(ParseSigningKeyPem(Keys().ec->ToPem(), "x").ok());  // public key only
}

TEST(KeyLoadTest, WeakOrUnsupportedKeysAreRejected) {
  struct Case {
    const char* type;
    const char* param;
    size_t bits;
  };
  EVP_PKEY* rsa1024 = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  EVP_PKEY* secp256k1 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
  EVP_PKEY* ed448 = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448");
  for (EVP_PKEY* pkey : {rsa1024, p384, secp256k1, ed448}) {
    ASSERT_NE(pkey, nullptr);
    std::string pem = EncodePrivate(pkey, "PrivateKeyInfo");
    auto k = ParseSigningKeyPem(pem, "weak");
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument) << EVP_PKEY_get0_type_name(pkey);
    EVP_PKEY_free(pkey);
  }
  EXPECT_FALSE(GenerateSigningKey("oct", "x").ok());
  EXPECT_FALSE(GenerateSigningKey("rsa", "x").ok());
}

TEST(KeyLoadTest, PublicKeyPem) {
  auto pub = ParsePublicKeyPem(Keys().rsa->ToPem(), "rsa-1");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(Keys().rsa->ToPem().rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  auto t = SignJwt(*Keys().rsa, JwsAlg::kPS256, kClaims);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(VerifyJwt(*t, {*pub}, {JwsAlg::kPS256}).ok());
  EXPECT_FALSE(ParsePublicKeyPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "")
                   .ok());
}

TEST(KeyLoadTest, EvpKeyIsExposedOnlyForOurKeys) {
  EXPECT_NE(BorrowEvpPkey(*Keys().rsa), nullptr);
  auto pub = ParsePublicKeyJwk(Keys().ec->ToJwk());
  ASSERT_TRUE(pub.ok());
  EXPECT_NE(BorrowEvpPkey(**pub), nullptr);
  struct Fake : SigningKey {
    const std::string& kid() const override { return kid_; }
    bool Supports(JwsAlg) const override { return true; }
    bool Verify(JwsAlg, std::string_view, std::string_view) const override { return false; }
    Json ToJwk() const override { return Json::object(); }
    std::string ToPem() const override { return ""; }
    StatusOr<std::string> Sign(JwsAlg, std::string_view) const override { return std::string(); }
    std::string kid_;
  } fake;
  EXPECT_EQ(BorrowEvpPkey(fake), nullptr);
  EXPECT_EQ(SigningKeyToPem(fake).status().code(), StatusCode::kInvalidArgument);
}

// ---------------- certificates and PKCS#12 ----------------

TEST(CertificateTest, PublicKeyFromSelfSignedCertificate) {
  for (const auto& key : {Keys().rsa, Keys().ec, Keys().ed}) {
    std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*key), "bridge test");
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(der.data()), der.size(), digest);
    const std::string x5t = Base64UrlEncode(std::string(reinterpret_cast<char*>(digest), 32));

    for (const std::string& input : {der, testing::DerToPem(der)}) {
      auto pub = ParsePublicKeyFromCertificate(input);
      ASSERT_TRUE(pub.ok()) << pub.status().ToString();
      EXPECT_EQ((*pub)->kid(), x5t);
      EXPECT_EQ(JwkThumbprint(**pub), JwkThumbprint(*key));
    }
    // ParsePublicKeyPem accepts a certificate PEM and keeps the given kid.
    auto viapem = ParsePublicKeyPem(testing::DerToPem(der), "svc");
    ASSERT_TRUE(viapem.ok());
    EXPECT_EQ((*viapem)->kid(), "svc");
  }
}

TEST(CertificateTest, GarbageIsRejected) {
  std::string der = testing::SelfSignedCertDer(BorrowEvpPkey(*Keys().ec), "x");
  EXPECT_FALSE(ParsePublicKeyFromCertificate("").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate("not a cert").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate(der.substr(0, der.size() - 5)).ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate(der + "trailing").ok());
  EXPECT_FALSE(ParsePublicKeyFromCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").ok());
}

TEST(Pkcs12Test, LoadsGeneratedBundleAndRejectsWrongPassword) {
  testing::TempDir dir;
  EVP_PKEY* pkey = BorrowEvpPkey(*Keys().rsa);
  std::string cert = testing::SelfSignedCertDer(pkey, "idp signing");
  std::string path = dir.Write("idp.p12", testing::MakeP12(pkey, cert, "correct horse"));

  auto key = LoadSigningKeyP12(path, Secret("correct horse"), "idp");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ((*key)->kid(), "idp");
  EXPECT_EQ(JwkThumbprint(**key), JwkThumbprint(*Keys().rsa));
  auto t = SignJwt(**key, JwsAlg::kRS256, kClaims);
  ASSERT_TRUE(t.ok());
  auto original_pub = ParsePublicKeyPem(Keys().rsa->ToPem(), "idp");
  ASSERT_TRUE(original_pub.ok());
  EXPECT_TRUE(VerifyJwt(*t, {*original_pub}, {JwsAlg::kRS256}).ok());

  auto contents = ParseP12(testing::ReadAll(path), Secret("correct horse"), "");
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->certificate_der, cert);
  EXPECT_TRUE(contents->chain_der.empty());

  auto wrong = LoadSigningKeyP12(path, Secret("battery staple"), "idp");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LoadSigningKeyP12(path, Secret(""), "idp").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(ParseP12("not pkcs12", Secret("x"), "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadSigningKeyP12((dir.path() / "none.p12").string(), Secret("x"), "").status().code(),
            StatusCode::kNotFound);
}

TEST(Pkcs12Test, LegacyCipherBundleLoads) {
  auto contents = ParseP12(testing::ReadAll(std::string(CERTME_CRYPTO_TESTDATA) + "/legacy_rc2.p12"),
                           Secret("legacy-test"), "legacy");
  ASSERT_TRUE(contents.ok()) << contents.status().ToString();
  EXPECT_TRUE((*contents).key->Supports(JwsAlg::kES256));
  auto pub = ParsePublicKeyFromCertificate(contents->certificate_der);
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(JwkThumbprint(**pub), JwkThumbprint(*contents->key));
}

// ---------------- JWK ----------------

TEST(JwkTest, ExportImportRoundTripEveryKeyType) {
  for (JwsAlg alg : kAllAlgs) {
    SCOPED_TRACE(JwsAlgName(alg));
    Json jwk = KeyFor(alg)->ToJwk();
    EXPECT_EQ(jwk["use"], "sig");
    EXPECT_EQ(jwk["kid"], KeyFor(alg)->kid());
    for (const char* priv : {"d", "p", "q", "dp", "dq", "qi"}) EXPECT_FALSE(jwk.contains(priv));
    auto pub = ParsePublicKeyJwk(jwk);
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ((*pub)->ToJwk(), jwk);
    auto t = SignJwt(*KeyFor(alg), alg, kClaims);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(VerifyJwt(*t, {*pub}, {alg}).ok());
  }
  EXPECT_EQ(Keys().ec->ToJwk()["alg"], "ES256");
  EXPECT_EQ(Keys().ed->ToJwk()["alg"], "EdDSA");
  EXPECT_EQ(Keys().ed->ToJwk()["kty"], "OKP");
  EXPECT_FALSE(Keys().rsa->ToJwk().contains("alg"));  // RS256 and PS256 both possible
}

TEST(JwkTest, PrivateMembersAreIgnored) {
  Json jwk = Keys().ec->ToJwk();
  jwk["d"] = Base64UrlEncode(std::string(32, '\x01'));
  auto pub = ParsePublicKeyJwk(jwk);
  ASSERT_TRUE(pub.ok());
  EXPECT_FALSE((*pub)->ToJwk().contains("d"));
}

TEST(JwkTest, AlgMemberRestrictsTheKey) {
  Json jwk = Keys().rsa->ToJwk();
  jwk["alg"] = "PS256";
  auto pub = ParsePublicKeyJwk(jwk);
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE((*pub)->Supports(JwsAlg::kPS256));
  EXPECT_FALSE((*pub)->Supports(JwsAlg::kRS256));
  auto rs = SignJwt(*Keys().rsa, JwsAlg::kRS256, kClaims);
  ASSERT_TRUE(rs.ok());
  EXPECT_FALSE(VerifyJwt(*rs, {*pub}, kAllAlgs).ok());
}

TEST(JwkTest, RejectsWhatItCannotUse) {
  const Json ec = Keys().ec->ToJwk();
  const Json rsa = Keys().rsa->ToJwk();
  const Json ed = Keys().ed->ToJwk();
  auto with = [](Json j, const std::string& k, Json v) {
    j[k] = std::move(v);
    return j;
  };
  auto without = [](Json j, const std::string& k) {
    j.erase(k);
    return j;
  };
  std::string y = *Base64UrlDecode(ec["y"].get<std::string>());
  y[31] = static_cast<char>(y[31] ^ 1);  // no longer on the curve

  // 1024-bit modulus.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  BIGNUM* n = nullptr;
  EVP_PKEY_get_bn_param(small, OSSL_PKEY_PARAM_RSA_N, &n);
  std::string nbytes(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(nbytes.data()));
  BN_free(n);
  EVP_PKEY_free(small);

  const std::vector<Json> bad = {
      Json::array(),
      Json("string"),
      without(ec, "kty"),
      with(ec, "kty", 1),
      with(ec, "kty", "oct"),
      with(ec, "kty", "ec"),
      with(ec, "crv", "P-384"),
      without(ec, "crv"),
      without(ec, "y"),
      with(ec, "x", ec["x"].get<std::string>().substr(1)),
      with(ec, "x", ec["x"].get<std::string>() + "="),
      with(ec, "y", Base64UrlEncode(y)),
      with(ec, "x", Base64UrlEncode(std::string(32, '\0'))),
      with(ec, "use", "enc"),
      with(ec, "alg", "RS256"),
      with(ec, "alg", "ECDH-ES"),
      with(ec, "alg", "none"),
      with(ec, "kid", 7),
      with(ed, "crv", "X25519"),
      with(ed, "crv", "Ed448"),
      with(ed, "x", Base64UrlEncode(std::string(31, 'a'))),
      with(rsa, "n", Base64UrlEncode(nbytes)),
      with(rsa, "e", "AQ"),  // e = 1
      with(rsa, "n", 5),
      without(rsa, "e"),
      with(rsa, "n", "!!!"),
  };
  for (const auto& j : bad) {
    auto k = ParsePublicKeyJwk(j);
    EXPECT_EQ(k.status().code(), StatusCode::kInvalidArgument) << j.dump();
  }
}

TEST(JwkTest, JwksKeepsOnlyUsableSignatureKeys) {
  Json enc = Keys().rsa->ToJwk();
  enc["use"] = "enc";
  enc["kid"] = "enc-1";
  Json p384 = Keys().ec->ToJwk();
  p384["crv"] = "P-384";
  Json jwks = {{"keys", {enc, p384, Keys().ec->ToJwk(), Keys().ed->ToJwk(), "junk"}}};
  auto keys = ParsePublicKeyJwks(jwks);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0]->kid(), "ec-1");
  EXPECT_EQ((*keys)[1]->kid(), "ed-1");

  EXPECT_EQ(ParsePublicKeyJwks(Json{{"keys", {enc}}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParsePublicKeyJwks(Json{{"keys", 1}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePublicKeyJwks(Json::array()).status().code(), StatusCode::kInvalidArgument);
}

// RFC 7638 §3.1 example.
TEST(JwkTest, Rfc7638ThumbprintExample) {
  Json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto key = ParsePublicKeyJwk(jwk);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(JwkThumbprint(**key), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ((*key)->kid(), "2011-04-29");
}

// RFC 8037 Appendix A: Ed25519 key, thumbprint and a deterministic signature.
TEST(JwkTest, Rfc8037Ed25519Vectors) {
  const std::string d = *Base64UrlDecode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
  const Json pub_jwk = {{"kty", "OKP"}, {"crv", "Ed25519"},
                        {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  auto pub = ParsePublicKeyJwk(pub_jwk);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(JwkThumbprint(**pub), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

  EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size());
  ASSERT_NE(raw, nullptr);
  std::string pem = EncodePrivate(raw, "PrivateKeyInfo");
  EVP_PKEY_free(raw);
  auto key = ParseSigningKeyPem(pem, "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ((*key)->kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string expected =
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  auto sig = (*key)->Sign(JwsAlg::kEdDSA, input);
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(Base64UrlEncode(*sig), expected);
  EXPECT_TRUE((*pub)->Verify(JwsAlg::kEdDSA, input, *Base64UrlDecode(expected)));
  // The RFC's payload is a plain string, not a claims object: VerifyJwt
  // checks the signature and then refuses the payload.
  EXPECT_EQ(VerifyJwt(input + "." + expected, {*pub}, {JwsAlg::kEdDSA}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace certme
