// JAdES ES256K signatures (crypto/jades.h): the header the wallet builds,
// the strict parser the bridge and `certme sign verify` run on untrusted
// headers, ES256K (RFC 8812) signing and verification, sigT.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/jades.h"
#include "tests/crypto/secp256k1_twin.h"

namespace certme {
namespace {

using nlohmann::ordered_json;

constexpr char kKey[] = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
constexpr char kAddress[] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
constexpr char kRegistry[] = "0x2DDD27F64fFcBd7799161e2909296972aE1055E0";
// secp256k1 group order n, big-endian.

EthKey Key() { return EthKey::FromHex(kKey).value(); }

JadesHeader Header() {
  JadesHeader h;
  h.public_key = Key().public_key();
  h.chain_id = 31337;
  h.registry = ParseAddress(kRegistry).value();
  for (size_t i = 0; i < 32; ++i) h.sign_request[i] = static_cast<uint8_t>(i + 1);
  h.signing_time = 1796649600;  // 2026-12-07T13:20:00Z
  h.item = {"contract.pdf", "S256", Sha256("the document")};
  return h;
}

std::string Decoded(const std::string& b64) { return Base64UrlDecode(b64).value(); }

// The header JSON as the builder writes it, for mutation.
ordered_json HeaderJson() { return ordered_json::parse(Decoded(BuildJadesProtectedHeader(Header()))); }

std::string Encode(const ordered_json& j) { return Base64UrlEncode(j.dump()); }

TEST(JadesHeaderTest, BuildsTheProfilesHeaderExactly) {
  std::string expected =
      std::string(R"({"alg":"ES256K","jwk":{"kty":"EC","crv":"secp256k1","x":")") +
      Base64UrlEncode(Key().public_key().substr(1, 32)) + R"(","y":")" +
      Base64UrlEncode(Key().public_key().substr(33, 32)) + R"("},"kid":"eip155:31337:)" + kAddress +
      R"(","sigT":"2026-12-07T13:20:00Z","sigD":{"mId":"http://uri.etsi.org/19182/ObjectIdByURIHash",)"
      R"("pars":["contract.pdf"],"hashM":"S256","hashV":[")" +
      Base64UrlEncode(Sha256("the document")) + R"("]},"crit":["sigT","sigD"],)"
      R"("certme":{"ledger":"eip155:31337:)" + kRegistry +
      R"(","request":"0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"}})";
  EXPECT_EQ(Decoded(BuildJadesProtectedHeader(Header())), expected);
}

TEST(JadesHeaderTest, ParsesWhatItBuilds) {
  JadesHeader h = Header();
  h.item = {"balance sheet 2026 — ţară.xlsx", "S384", Sha384("x")};
  auto parsed = ParseJadesProtectedHeader(BuildJadesProtectedHeader(h));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->public_key, h.public_key);
  EXPECT_EQ(ChecksumAddress(parsed->signer), kAddress);
  EXPECT_EQ(parsed->chain_id, 31337u);
  EXPECT_EQ(parsed->registry, h.registry);
  EXPECT_EQ(parsed->sign_request, h.sign_request);
  EXPECT_EQ(parsed->signing_time, h.signing_time);
  EXPECT_EQ(parsed->item.name, h.item.name);
  EXPECT_EQ(parsed->item.hash_alg, "S384");
  EXPECT_EQ(parsed->item.digest, h.item.digest);
}

TEST(JadesHeaderTest, CritMayListItsTwoNamesInEitherOrder) {
  ordered_json j = HeaderJson();
  j["crit"] = {"sigD", "sigT"};
  EXPECT_TRUE(ParseJadesProtectedHeader(Encode(j)).ok());
}

struct Mutation {
  const char* what;
  std::function<void(ordered_json&)> apply;
};

TEST(JadesHeaderTest, RefusesEveryMalformedField) {
  const Mutation kMutations[] = {
      {"alg HS256", [](ordered_json& j) { j["alg"] = "HS256"; }},
      {"alg ES256", [](ordered_json& j) { j["alg"] = "ES256"; }},
      {"alg missing", [](ordered_json& j) { j.erase("alg"); }},
      {"unknown member", [](ordered_json& j) { j["typ"] = "jose"; }},
      {"b64 false", [](ordered_json& j) { j["b64"] = false; }},
      {"crit with b64", [](ordered_json& j) { j["crit"] = {"sigT", "sigD", "b64"}; }},
      {"crit unknown name", [](ordered_json& j) { j["crit"] = {"sigT", "x-unknown"}; }},
      {"crit without sigD", [](ordered_json& j) { j["crit"] = {"sigT"}; }},
      {"crit twice sigT", [](ordered_json& j) { j["crit"] = {"sigT", "sigT"}; }},
      {"crit not array", [](ordered_json& j) { j["crit"] = "sigT"; }},
      {"jwk P-256", [](ordered_json& j) { j["jwk"]["crv"] = "P-256"; }},
      {"jwk kty OKP", [](ordered_json& j) { j["jwk"]["kty"] = "OKP"; }},
      {"jwk private d", [](ordered_json& j) { j["jwk"]["d"] = Base64UrlEncode(std::string(32, 'k')); }},
      {"jwk x off the curve", [](ordered_json& j) { j["jwk"]["x"] = Base64UrlEncode(std::string(32, '\x01')); }},
      {"jwk x 31 bytes", [](ordered_json& j) { j["jwk"]["x"] = Base64UrlEncode(std::string(31, '\x01')); }},
      {"jwk y padded", [](ordered_json& j) { j["jwk"]["y"] = j["jwk"]["y"].get<std::string>() + "="; }},
      {"kid lowercase address", [](ordered_json& j) { j["kid"] = "eip155:31337:" + AsciiLower(kAddress); }},
      {"kid other address",
       [](ordered_json& j) { j["kid"] = std::string("eip155:31337:") + kRegistry; }},
      {"kid chain leading zero", [](ordered_json& j) { j["kid"] = std::string("eip155:031337:") + kAddress; }},
      {"kid chain 00", [](ordered_json& j) { j["kid"] = std::string("eip155:00:") + kAddress; }},
      {"kid chain empty", [](ordered_json& j) { j["kid"] = std::string("eip155::") + kAddress; }},
      {"kid chain too large",
       [](ordered_json& j) { j["kid"] = std::string("eip155:18446744073709551616:") + kAddress; }},
      {"kid other namespace", [](ordered_json& j) { j["kid"] = std::string("did:pkh:31337:") + kAddress; }},
      {"kid a number", [](ordered_json& j) { j["kid"] = 5; }},
      {"sigT with fraction", [](ordered_json& j) { j["sigT"] = "2026-12-07T13:20:00.5Z"; }},
      {"sigT with offset", [](ordered_json& j) { j["sigT"] = "2026-12-07T13:20:00+02:00"; }},
      {"sigT February 30", [](ordered_json& j) { j["sigT"] = "2026-02-30T13:20:00Z"; }},
      {"sigT hour 24", [](ordered_json& j) { j["sigT"] = "2026-12-07T24:00:00Z"; }},
      {"sigT before 1970", [](ordered_json& j) { j["sigT"] = "1969-12-31T23:59:59Z"; }},
      {"sigT a number", [](ordered_json& j) { j["sigT"] = 1796649600; }},
      {"sigD other mechanism", [](ordered_json& j) { j["sigD"]["mId"] = "http://uri.etsi.org/19182/HttpHeaders"; }},
      {"sigD extra member", [](ordered_json& j) { j["sigD"]["ctys"] = {"application/pdf"}; }},
      {"sigD two pars", [](ordered_json& j) { j["sigD"]["pars"] = {"a", "b"}; }},
      {"sigD empty name", [](ordered_json& j) { j["sigD"]["pars"] = {""}; }},
      {"sigD name with newline", [](ordered_json& j) { j["sigD"]["pars"] = {"a\nb"}; }},
      {"sigD name too long", [](ordered_json& j) { j["sigD"]["pars"] = {std::string(kMaxJadesItemName + 1, 'a')}; }},
      {"sigD hashM S512", [](ordered_json& j) { j["sigD"]["hashM"] = "S512"; }},
      {"sigD hashV of S384 size under S256",
       [](ordered_json& j) { j["sigD"]["hashV"] = {Base64UrlEncode(std::string(48, 'h'))}; }},
      {"sigD two hashV",
       [](ordered_json& j) { j["sigD"]["hashV"] = {j["sigD"]["hashV"][0], j["sigD"]["hashV"][0]}; }},
      {"sigD hashV not base64url", [](ordered_json& j) { j["sigD"]["hashV"] = {"!!"}; }},
      {"certme missing request", [](ordered_json& j) { j["certme"].erase("request"); }},
      {"certme extra member", [](ordered_json& j) { j["certme"]["x"] = 1; }},
      {"certme ledger other chain",
       [](ordered_json& j) { j["certme"]["ledger"] = std::string("eip155:1:") + kRegistry; }},
      {"certme request uppercase hex",
       [](ordered_json& j) {
         j["certme"]["request"] = "0x0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20";
       }},
      {"certme request short", [](ordered_json& j) { j["certme"]["request"] = "0x0102"; }},
  };
  ASSERT_TRUE(ParseJadesProtectedHeader(Encode(HeaderJson())).ok());
  for (const auto& m : kMutations) {
    ordered_json j = HeaderJson();
    m.apply(j);
    auto parsed = ParseJadesProtectedHeader(Encode(j));
    EXPECT_FALSE(parsed.ok()) << m.what;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << m.what;
    }
  }
}

TEST(JadesHeaderTest, RefusesMalformedEncodings) {
  std::string good = BuildJadesProtectedHeader(Header());
  std::string text = Decoded(good);
  EXPECT_FALSE(ParseJadesProtectedHeader("").ok());
  EXPECT_FALSE(ParseJadesProtectedHeader(good + "=").ok()) << "padding";
  EXPECT_FALSE(ParseJadesProtectedHeader(good + "A").ok()) << "not a whole number of bytes";
  EXPECT_FALSE(ParseJadesProtectedHeader(Base64UrlEncode("[1,2]")).ok()) << "not an object";
  EXPECT_FALSE(ParseJadesProtectedHeader(Base64UrlEncode(text + "x")).ok()) << "trailing junk";
  EXPECT_FALSE(ParseJadesProtectedHeader(Base64UrlEncode(text + std::string(1, '\0'))).ok()) << "trailing NUL";
  // The same member twice: two readers could see two different headers.
  std::string dup = text.substr(0, text.size() - 1) + R"(,"alg":"ES256K"})";
  EXPECT_FALSE(ParseJadesProtectedHeader(Base64UrlEncode(dup)).ok()) << "duplicate member";
  std::string big(kMaxJadesHeaderBytes + 1, 'A');
  EXPECT_FALSE(ParseJadesProtectedHeader(big).ok()) << "too large";
}

TEST(JadesHeaderTest, RefusesANonCanonicalBase64Spelling) {
  // The last character of a base64url string of 1 or 2 bytes mod 3 carries
  // unused bits; setting one spells the same bytes a second way.
  JadesHeader h = Header();
  std::string good = BuildJadesProtectedHeader(h);
  while (good.size() % 4 == 0) {  // a length whose last character has unused bits
    h.item.name += "x";
    good = BuildJadesProtectedHeader(h);
  }
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string alt = good;
  size_t v = kAlphabet.find(alt.back());
  alt.back() = kAlphabet[v ^ 1];
  EXPECT_FALSE(ParseJadesProtectedHeader(alt).ok());
}

TEST(JadesSignatureTest, SignsAndVerifiesEs256k) {
  std::string prot = BuildJadesProtectedHeader(Header());
  std::string sig = SignJades(Key(), prot);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(VerifyJades(prot, sig).ok());
  // RFC 6979: the same input, the same signature.
  EXPECT_EQ(SignJades(Key(), prot), sig);
  EXPECT_EQ(JadesSigningInput(prot), prot + ".");

  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_EQ(VerifyJades(prot, flipped).code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyJades(prot, sig.substr(0, 63)).code(), StatusCode::kInvalidArgument);

  // A header naming another document does not carry this signature.
  JadesHeader other = Header();
  other.item.digest = Sha256("another document");
  EXPECT_EQ(VerifyJades(BuildJadesProtectedHeader(other), sig).code(), StatusCode::kUnauthenticated);
  // Nor one whose jwk is another key (the kid follows the key).
  other = Header();
  other.public_key = EthKey::Generate().public_key();
  EXPECT_EQ(VerifyJades(BuildJadesProtectedHeader(other), sig).code(), StatusCode::kUnauthenticated);
}

TEST(JadesSignatureTest, AcceptsTheHighSTwinAsRfc8812VerifiersDo) {
  std::string prot = BuildJadesProtectedHeader(Header());
  std::string sig = SignJades(Key(), prot);
  std::string high = certme::testing::HighSTwin(sig);
  ASSERT_NE(high, sig);
  EXPECT_TRUE(VerifyJades(prot, high).ok());
}

TEST(JadesSignatureTest, LedgerDigestIsSha256OfTheHeaderText) {
  std::string prot = BuildJadesProtectedHeader(Header());
  Bytes32 d = JadesLedgerDigest(prot);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(d.data()), 32), Sha256(prot));
}

TEST(JadesTimeTest, FormatsAndParsesUtcWholeSeconds) {
  EXPECT_EQ(FormatJadesTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatJadesTime(1796649600), "2026-12-07T13:20:00Z");
  EXPECT_EQ(FormatJadesTime(1709251199), "2024-02-29T23:59:59Z");
  EXPECT_EQ(ParseJadesTime("2024-02-29T23:59:59Z").value(), 1709251199);
  EXPECT_EQ(ParseJadesTime("2026-12-07T13:20:00Z").value(), 1796649600);
  EXPECT_EQ(ParseJadesTime("9999-12-31T23:59:59Z").value(), 253402300799);
  EXPECT_FALSE(ParseJadesTime("2023-02-29T00:00:00Z").ok());
  EXPECT_FALSE(ParseJadesTime("2026-12-07 13:20:00Z").ok());
  EXPECT_FALSE(ParseJadesTime("2026-12-07T13:20:00z").ok());
  EXPECT_FALSE(ParseJadesTime("2026-12-07T13:60:00Z").ok());
  for (int64_t t : {int64_t{0}, int64_t{951782400}, int64_t{4102444800}, int64_t{1796649600 + 86399}})
    EXPECT_EQ(ParseJadesTime(FormatJadesTime(t)).value(), t) << t;
}

TEST(JadesJwkTest, RoundTripsAndRefusesOthers) {
  std::string pub = Key().public_key();
  nlohmann::json jwk = Secp256k1Jwk(pub);
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "secp256k1");
  EXPECT_EQ(Secp256k1FromJwk(jwk).value(), pub);
  nlohmann::json extra = jwk;
  extra["alg"] = "ES256K";
  EXPECT_FALSE(Secp256k1FromJwk(extra).ok());
  EXPECT_FALSE(Secp256k1FromJwk(nlohmann::json::array()).ok());
}

TEST(JadesFlattenedTest, RoundTripsWithTheUnprotectedHeader) {
  std::string prot = BuildJadesProtectedHeader(Header());
  std::string sig = SignJades(Key(), prot);
  nlohmann::json ledger = {{"certme_ledger", {{"block", 12}, {"tx", "0xab"}}}};
  std::string text = JadesFlattenedJson(prot, sig, ledger);
  auto parsed = ParseJadesFlattenedJson(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->protected_b64, prot);
  EXPECT_EQ(parsed->signature, sig);
  EXPECT_EQ(parsed->unprotected, ledger);
  EXPECT_EQ(parsed->header.item.name, "contract.pdf");
  EXPECT_EQ(nlohmann::json::parse(JadesFlattenedJson(prot, sig, nullptr)).size(), 3u);

  auto o = nlohmann::json::parse(text);
  auto refused = [](const nlohmann::json& j) { return !ParseJadesFlattenedJson(j.dump()).ok(); };
  nlohmann::json m = o;
  m["payload"] = "eyJ4IjoxfQ";
  EXPECT_TRUE(refused(m)) << "attached payload";
  m = o;
  m.erase("payload");
  EXPECT_TRUE(refused(m)) << "no payload member";
  m = o;
  m["signatures"] = nlohmann::json::array();
  EXPECT_TRUE(refused(m)) << "general serialization members";
  m = o;
  m["signature"] = Base64UrlEncode(sig.substr(0, 63));
  EXPECT_TRUE(refused(m)) << "short signature";
  m = o;
  m["header"] = "x";
  EXPECT_TRUE(refused(m)) << "header not an object";
  EXPECT_FALSE(ParseJadesFlattenedJson("not json").ok());
  EXPECT_FALSE(ParseJadesFlattenedJson(std::string(70 * 1024, ' ')).ok());
}

TEST(JadesHashTest, NamesSha256AndSha384) {
  EXPECT_EQ(JadesHash("S256", "abc").value(), Sha256("abc"));
  EXPECT_EQ(JadesHash("S384", "abc").value().size(), 48u);
  EXPECT_EQ(HexEncode(JadesHash("S384", "abc").value()),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  EXPECT_FALSE(JadesHash("S512", "abc").ok());
}

TEST(JadesItemNameTest, AcceptsUtf8RefusesControlsAndBrokenUtf8) {
  EXPECT_TRUE(IsValidJadesItemName("Contract nr. 12 — semnat.pdf"));
  EXPECT_TRUE(IsValidJadesItemName("Договор.pdf"));
  EXPECT_FALSE(IsValidJadesItemName(""));
  EXPECT_FALSE(IsValidJadesItemName("a\tb"));
  EXPECT_FALSE(IsValidJadesItemName("a\x7f"));
  EXPECT_FALSE(IsValidJadesItemName("\xc3"));          // truncated
  EXPECT_FALSE(IsValidJadesItemName("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidJadesItemName("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidJadesItemName(std::string(kMaxJadesItemName + 1, 'a')));
}

}  // namespace
}  // namespace certme
