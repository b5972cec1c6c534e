// JWK and JWKS: export, import, thumbprints (RFC 7517, 7638, 8037).
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
using testing::EncodePrivate;

const Json kClaims = {{"iss", "https://bridge.test"}, {"sub", "alice"}, {"n", 7}};

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
