// Tokens we sign must verify with independent implementations: cpp-jwt for
// RS256/ES256 (it has no PS256/EdDSA), raw OpenSSL EVP calls written here
// for PS256 (with the RFC 7518 salt length) and EdDSA. And the reverse:
// tokens cpp-jwt signs verify with VerifyJwt.
//
// cpp-jwt dereferences a null function pointer on algorithms it does not
// know, so only well-formed RS256/ES256 tokens are ever handed to it.
#include <gtest/gtest.h>
#include <jwt/jwt.hpp>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include <chrono>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "tests/crypto/test_keys.h"

namespace certme {
namespace {

using certme::testing::Keys;

nlohmann::json Claims() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return {{"iss", "https://bridge.test"}, {"sub", "alice"}, {"iat", now}, {"exp", now + 300}};
}

// Returns the cpp-jwt error (empty when the token verified) and the subject.
std::pair<std::string, std::string> CppJwtVerify(const std::string& token, const char* alg,
                                                 const std::string& public_pem) {
  using namespace jwt::params;
  try {
    std::error_code ec;
    auto obj = jwt::decode(token, algorithms({alg}), ec, secret(public_pem), verify(true));
    if (ec) return {ec.message(), ""};
    return {"", obj.payload().get_claim_value<std::string>("sub")};
  } catch (const std::exception& e) {
    return {std::string("exception: ") + e.what(), ""};
  }
}

TEST(InteropTest, CppJwtVerifiesOurRs256AndEs256) {
  struct Case {
    std::shared_ptr<SigningKey> key;
    JwsAlg alg;
    const char* name;
  };
  for (const auto& c : {Case{Keys().rsa, JwsAlg::kRS256, "RS256"},
                        Case{Keys().ec, JwsAlg::kES256, "ES256"}}) {
    SCOPED_TRACE(c.name);
    auto token = SignJwt(*c.key, c.alg, Claims());
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto [err, sub] = CppJwtVerify(*token, c.name, c.key->ToPem());
    EXPECT_EQ(err, "");
    EXPECT_EQ(sub, "alice");

    // Control: cpp-jwt does notice a broken signature, so the check above
    // is meaningful.
    std::string bad = *token;
    char& last_sig_char = bad[bad.size() - 3];
    last_sig_char = last_sig_char == 'A' ? 'B' : 'A';
    EXPECT_NE(CppJwtVerify(bad, c.name, c.key->ToPem()).first, "");
    // And a different key of the same type is refused.
    auto other = GenerateSigningKey(c.alg == JwsAlg::kRS256 ? "RSA" : "EC", "other");
    ASSERT_TRUE(other.ok());
    EXPECT_NE(CppJwtVerify(*token, c.name, (*other)->ToPem()).first, "");
  }
}

TEST(InteropTest, WeVerifyCppJwtTokens) {
  using namespace jwt::params;
  struct Case {
    std::shared_ptr<SigningKey> key;
    JwsAlg alg;
    const char* name;
  };
  for (const auto& c : {Case{Keys().rsa, JwsAlg::kRS256, "RS256"},
                        Case{Keys().ec, JwsAlg::kES256, "ES256"}}) {
    SCOPED_TRACE(c.name);
    auto pem = SigningKeyToPem(*c.key);
    ASSERT_TRUE(pem.ok());
    std::string token;
    try {
      jwt::jwt_object obj{algorithm(c.name), payload({{"sub", "bob"}}), secret(*pem)};
      obj.add_claim("iss", "cpp-jwt");
      token = obj.signature();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    auto v = VerifyJwt(token, {c.key}, {c.alg});
    ASSERT_TRUE(v.ok()) << v.status().ToString() << " " << token;
    EXPECT_EQ(v->payload["sub"], "bob");
    EXPECT_EQ(v->payload["iss"], "cpp-jwt");
  }
}

// RFC 7518 §3.5 verification written directly against OpenSSL, from the
// public PEM only. `salt_len` lets the test prove which salt length we use.
bool RawPssVerify(const std::string& public_pem, const std::string& input,
                  const std::string& sig, int salt_len) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = pkey && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  return ok;
}

TEST(InteropTest, Ps256VerifiesWithRawOpenSslAndSalt32) {
  auto token = SignJwt(*Keys().rsa, JwsAlg::kPS256, Claims());
  ASSERT_TRUE(token.ok());
  size_t dot = token->rfind('.');
  std::string input = token->substr(0, dot);
  std::string sig = *Base64UrlDecode(token->substr(dot + 1));
  const std::string pem = Keys().rsa->ToPem();
  EXPECT_TRUE(RawPssVerify(pem, input, sig, 32));
  EXPECT_FALSE(RawPssVerify(pem, input, sig, 20));  // salt length is really 32
  EXPECT_FALSE(RawPssVerify(pem, input + "x", sig, 32));
}

TEST(InteropTest, EdDsaVerifiesWithRawOpenSsl) {
  auto token = SignJwt(*Keys().ed, JwsAlg::kEdDSA, Claims());
  ASSERT_TRUE(token.ok());
  size_t dot = token->rfind('.');
  std::string input = token->substr(0, dot);
  std::string sig = *Base64UrlDecode(token->substr(dot + 1));
  ASSERT_EQ(sig.size(), 64u);
  // Rebuild the key from the JWK's raw x alone (RFC 8037 §2).
  std::string x = *Base64UrlDecode(Keys().ed->ToJwk()["x"].get<std::string>());
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  ASSERT_NE(pkey, nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
}

}  // namespace
}  // namespace certme
