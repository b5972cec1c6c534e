// The sign kind (docs/wallet-protocol.md §10): the document's `sign`
// object both ways, the answer's `signatures`, the wallet's approval, and
// each of the bridge's CheckSignItems failures on its own.
#include <gtest/gtest.h>

#include <functional>

#include "crypto/hash.h"
#include "protocols/wallet/sign_checks.h"
#include "protocols/wallet/wallet_side.h"
#include "tests/protocols/wallet/worked_example.h"

namespace certme::wallet {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the §9 fixtures

constexpr int64_t kNow = kExpiry - 60;  // the wallet signs a minute before the code expires

RequestDocument SignDocument() {
  RequestDocument doc = *ParseRequestDocument(std::string_view(RequestDocumentText()));
  doc.kind = RequestKind::kSign;
  doc.purpose = SignPurpose();
  SignDetails sign;
  sign.request = Keccak256("sign request 1");
  sign.description = {{"ro", "Contractul de muncă"}, {"ru", "Трудовой договор"}, {"en", "Employment contract"}};
  sign.items = {{"contract.pdf", "S256", Sha256("the contract")},
                {"annex 1 — salariu.pdf", "S384", Sha384("the annex")}};
  doc.sign = sign;
  return doc;
}

SignCheckContext Ctx() {
  SignCheckContext ctx;
  ctx.eid = UserAddress();
  ctx.request_created = kNow - 300;
  ctx.request_expiry = kNow + 600;
  ctx.now = kNow + 2;
  return ctx;
}

// One item signed as a wallet would, with a hook to change the header
// before it is signed, and the key signing each part.
ItemSignature SignItem(const RequestDocument& doc, size_t i, const EthKey& jades_key, const EthKey& ledger_key,
                       int64_t now, const std::function<void(JadesHeader&)>& change = {}) {
  JadesHeader h = SignHeaderFor(doc, i, jades_key, now);
  if (change) change(h);
  ItemSignature s;
  s.protected_b64 = BuildJadesProtectedHeader(h);
  s.signature = SignJades(jades_key, s.protected_b64);
  s.ledger_signature = SignSignedDigest(ledger_key, doc.domain,
                                        SignedDigestFor(doc, ledger_key.address(), s.protected_b64,
                                                        static_cast<uint64_t>(h.signing_time)));
  return s;
}

Answer Signed(const RequestDocument& doc, int64_t now = kNow) {
  Answer a;
  a.eid = UserAddress();
  for (size_t i = 0; i < doc.sign->items.size(); ++i) a.signatures.push_back(SignItem(doc, i, UserKey(), UserKey(), now));
  return a;
}

std::string ErrorOf(const WalletOr<CheckedSignatures>& r) { return r.ok() ? "ok" : r.error().code; }

TEST(SignDocumentTest, RoundTripsTheSignObject) {
  RequestDocument doc = SignDocument();
  doc.sign->signer_type = SignerType::kOrganization;
  doc.sign->idno = "1003600012345";
  json j = json::parse(BuildRequestDocument(doc));
  EXPECT_EQ(j["kind"], "sign");
  EXPECT_EQ(j["sign"]["items"][1]["hashM"], "S384");
  EXPECT_EQ(j["sign"]["items"][0]["digest"], "0x" + HexEncode(Sha256("the contract")));
  EXPECT_EQ(j["sign"]["signer"], json({{"type", "organization"}, {"idno", "1003600012345"}}));
  auto parsed = ParseRequestDocument(j.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->kind, RequestKind::kSign);
  ASSERT_TRUE(parsed->sign);
  EXPECT_EQ(parsed->sign->request, doc.sign->request);
  EXPECT_EQ(parsed->sign->description, doc.sign->description);
  ASSERT_EQ(parsed->sign->items.size(), 2u);
  EXPECT_EQ(parsed->sign->items[1].name, "annex 1 — salariu.pdf");
  EXPECT_EQ(parsed->sign->items[1].digest, Sha384("the annex"));
  EXPECT_EQ(parsed->sign->signer_type, SignerType::kOrganization);
  EXPECT_EQ(parsed->sign->idno, "1003600012345");
  // A login document stays as v1 wrote it: no kind, no sign.
  json login = json::parse(RequestDocumentText());
  auto plain = ParseRequestDocument(login.dump());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->kind, RequestKind::kLogin);
  EXPECT_FALSE(plain->sign);
  EXPECT_FALSE(json::parse(BuildRequestDocument(*plain)).contains("kind"));
}

TEST(SignDocumentTest, RefusesAMalformedSignObject) {
  json good = json::parse(BuildRequestDocument(SignDocument()));
  const std::vector<std::pair<const char*, std::function<void(json&)>>> kMutations = {
      {"no sign", [](json& j) { j.erase("sign"); }},
      {"sign not object", [](json& j) { j["sign"] = 1; }},
      {"request short", [](json& j) { j["sign"]["request"] = "0x1234"; }},
      {"request no 0x", [](json& j) { j["sign"]["request"] = std::string(64, 'a'); }},
      {"description empty", [](json& j) { j["sign"]["description"] = json::object(); }},
      {"description too long", [](json& j) { j["sign"]["description"]["en"] = std::string(1025, 'a'); }},
      {"description number", [](json& j) { j["sign"]["description"]["en"] = 1; }},
      {"no items", [](json& j) { j["sign"]["items"] = json::array(); }},
      {"17 items",
       [](json& j) {
         json items = json::array();
         for (int i = 0; i < 17; ++i)
           items.push_back({{"name", "f" + std::to_string(i)}, {"hashM", "S256"}, {"digest", "0x" + std::string(64, 'a')}});
         j["sign"]["items"] = items;
       }},
      {"duplicate name", [](json& j) { j["sign"]["items"][1]["name"] = j["sign"]["items"][0]["name"]; }},
      {"name with control", [](json& j) { j["sign"]["items"][0]["name"] = std::string("a\x01" "b"); }},
      {"hashM S512", [](json& j) { j["sign"]["items"][0]["hashM"] = "S512"; }},
      {"digest of the other size", [](json& j) { j["sign"]["items"][0]["digest"] = j["sign"]["items"][1]["digest"]; }},
      {"signer missing", [](json& j) { j["sign"].erase("signer"); }},
      {"signer type other", [](json& j) { j["sign"]["signer"]["type"] = "robot"; }},
      {"person with idno", [](json& j) { j["sign"]["signer"]["idno"] = "1003600012345"; }},
      {"organization without idno", [](json& j) { j["sign"]["signer"] = {{"type", "organization"}}; }},
      {"organization bad idno", [](json& j) { j["sign"]["signer"] = {{"type", "organization"}, {"idno", "10 03"}}; }},
      {"kind unknown", [](json& j) { j["kind"] = "sign2"; }},
  };
  ASSERT_TRUE(ParseRequestDocument(good.dump()).ok());
  for (const auto& [what, apply] : kMutations) {
    json j = good;
    apply(j);
    auto parsed = ParseRequestDocument(j.dump());
    EXPECT_FALSE(parsed.ok()) << what;
  }
}

TEST(SignAnswerTest, ParsesSignaturesOnlyForTheSignKind) {
  RequestDocument doc = SignDocument();
  Answer a = Signed(doc);
  a.code = kCode;
  a.login_signature = *EthSignature::FromHex(kLoginSignature);
  a.payload = "x";
  std::string body = BuildAnswer(a);
  auto parsed = ParseAnswer(body, kCode, RequestKind::kSign);
  ASSERT_TRUE(parsed.ok()) << parsed.error().description;
  ASSERT_EQ(parsed->signatures.size(), 2u);
  EXPECT_EQ(parsed->signatures[1].protected_b64, a.signatures[1].protected_b64);
  EXPECT_EQ(parsed->signatures[1].signature, a.signatures[1].signature);
  EXPECT_EQ(parsed->signatures[1].ledger_signature.ToHex(), a.signatures[1].ledger_signature.ToHex());
  EXPECT_EQ(ParseAnswer(body, kCode, RequestKind::kLogin).error().code, kErrInvalidRequest);
  EXPECT_EQ(ParseAnswer(body, kCode).error().code, kErrInvalidRequest);

  json j = json::parse(body);
  auto refused = [&](const std::function<void(json&)>& f) {
    json m = j;
    f(m);
    auto r = ParseAnswer(m.dump(), kCode, RequestKind::kSign);
    return !r.ok() && r.error().code == kErrInvalidRequest;
  };
  EXPECT_TRUE(refused([](json& m) { m.erase("signatures"); }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"] = json::array(); }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0].erase("ledgerSignature"); }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0]["signature"] = Base64UrlEncode(std::string(63, 's')); }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0]["signature"] = m["signatures"][0]["signature"].get<std::string>() + "="; }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0]["ledgerSignature"] = "0x12"; }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0]["protected"] = std::string(kMaxJadesHeaderBytes + 1, 'A'); }));
  EXPECT_TRUE(refused([](json& m) { m["signatures"][0] = "x"; }));
}

TEST(SignChecksTest, TheWalletsApprovalPassesEveryCheck) {
  RequestDocument doc = SignDocument();
  auto body = BuildSignApproval(doc, UserKey(), Held(), kNow, SystemRandom());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  auto answer = ParseAnswer(*body, kCode, RequestKind::kSign);
  ASSERT_TRUE(answer.ok()) << answer.error().description;
  auto checked = CheckSignItems(doc, *answer, Ctx());
  ASSERT_TRUE(checked.ok()) << checked.error().description;
  EXPECT_EQ(checked->signed_at, static_cast<uint64_t>(kNow));
  ASSERT_EQ(checked->items.size(), 2u);
  EXPECT_EQ(checked->items[1].header.item.name, "annex 1 — salariu.pdf");
  EXPECT_EQ(checked->items[0].ledger_digest, JadesLedgerDigest(answer->signatures[0].protected_b64));
  // The login part of the answer is §7's, unchanged.
  auto d = CheckAttributes(Context(), *CheckPayloadDecrypts(BridgeKey(), answer->payload), answer->eid);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(CheckLoginSignature(Context(), *answer, *d));
  EXPECT_FALSE(CheckConsentSignature(Context(), *answer, *d));
  // A login document is not signed this way.
  RequestDocument login = doc;
  login.kind = RequestKind::kLogin;
  login.sign.reset();
  EXPECT_EQ(BuildSignApproval(login, UserKey(), Held(), kNow, SystemRandom()).status().message(), "kind");
}

TEST(SignChecksTest, EachFailureHasItsError) {
  RequestDocument doc = SignDocument();
  ASSERT_EQ(ErrorOf(CheckSignItems(doc, Signed(doc), Ctx())), "ok");
  EthKey other = EthKey::Generate();

  Answer a = Signed(doc);
  a.signatures.pop_back();
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrSignMismatch) << "one item missing";
  a = Signed(doc);
  std::swap(a.signatures[0], a.signatures[1]);
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrSignMismatch) << "items out of order";
  a = Signed(doc);
  a.signatures[0].protected_b64 = "not a header";
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrSignMismatch) << "malformed header";

  const std::vector<std::pair<const char*, std::function<void(JadesHeader&)>>> kFields = {
      {"another digest", [](JadesHeader& h) { h.item.digest = Sha256("another contract"); }},
      {"another name", [](JadesHeader& h) { h.item.name = "other.pdf"; }},
      {"another request", [](JadesHeader& h) { h.sign_request = Keccak256("sign request 2"); }},
      {"another chain", [](JadesHeader& h) { h.chain_id = 1; }},
      {"another registry", [](JadesHeader& h) { h.registry = std::string(20, '\x11'); }},
  };
  for (const auto& [what, change] : kFields) {
    a = Signed(doc);
    a.signatures[0] = SignItem(doc, 0, UserKey(), UserKey(), kNow, change);
    EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrSignMismatch) << what;
  }

  // Another key, consistently signed: not the eID's.
  a = Signed(doc);
  a.signatures[1] = SignItem(doc, 1, other, UserKey(), kNow);
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrBadSignature) << "signer key not the eID's";

  EXPECT_EQ(ErrorOf(CheckSignItems(doc, Signed(doc, kNow - 400), Ctx())), kErrBadSigningTime) << "before the request";
  SignCheckContext late = Ctx();
  late.now = kNow + 61;
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, Signed(doc), late)), kErrBadSigningTime) << "a minute and more ago";
  late.now = kNow - 61;
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, Signed(doc), late)), kErrBadSigningTime) << "in the future";
  SignCheckContext ended = Ctx();
  ended.request_expiry = kNow - 1;
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, Signed(doc), ended)), kErrBadSigningTime) << "after the request";
  a = Signed(doc);
  a.signatures[1] = SignItem(doc, 1, UserKey(), UserKey(), kNow + 1);
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrBadSigningTime) << "two signing times";

  a = Signed(doc);
  a.signatures[0].signature[7] ^= 1;
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrBadSignature) << "ES256K signature";
  a = Signed(doc);
  a.signatures[1] = SignItem(doc, 1, UserKey(), other, kNow);
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrBadSignature) << "SignedDigest by another key";
  a = Signed(doc);
  a.signatures[1].ledger_signature = a.signatures[0].ledger_signature;
  EXPECT_EQ(ErrorOf(CheckSignItems(doc, a, Ctx())), kErrBadSignature) << "SignedDigest of another item";
  RequestDocument other_provider = doc;
  other_provider.consent_provider = std::string(20, '\x22');
  EXPECT_EQ(ErrorOf(CheckSignItems(other_provider, Signed(doc), Ctx())), kErrBadSignature)
      << "SignedDigest for another provider";

  RequestDocument login = doc;
  login.kind = RequestKind::kLogin;
  login.sign.reset();
  EXPECT_EQ(ErrorOf(CheckSignItems(login, Signed(doc), Ctx())), kErrSignMismatch) << "not a sign request";
}

}  // namespace
}  // namespace certme::wallet
