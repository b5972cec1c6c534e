// The sign request's parsers (idp/signing/sign_request.h): what a provider
// may ask, every refusal with a message naming the field, the PDF checks,
// and the record's round trip and states.
#include "idp/signing/sign_request.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "crypto/hash.h"
#include "idp/signing/sign_store.h"
#include "store/memory/memory_store.h"

namespace certme::signing {
namespace {

using nlohmann::json;

std::string Pdf(size_t pad = 0) {
  return "%PDF-1.7\n1 0 obj << >> endobj\n" + std::string(pad, ' ') + "\ntrailer << >>\n%%EOF\n";
}

json Valid() {
  return {{"items", {{{"name", "contract.pdf"}, {"pdf", Base64Encode(Pdf())}},
                     {{"name", "annex"}, {"hash_alg", "S384"}, {"digest", Base64UrlEncode(std::string(48, '\x07'))}}}},
          {"description", {{"ro", "Contract de prestări servicii"}, {"en", "Service contract"}}},
          {"signer", {{"type", "person"}, {"idnp", "2002000000001"}}},
          {"return_url", "https://rp.example/signed"},
          {"relay_state", "abc-123"},
          {"language", "ru"},
          {"lifetime", 300}};
}

std::string Error(const json& doc) {
  auto r = ParseNewSignRequest(doc.dump());
  EXPECT_FALSE(r.ok()) << doc.dump();
  return r.ok() ? "" : r.error().message;
}

TEST(SignRequest, ParsesAValidRequestAndHashesThePdf) {
  auto r = ParseNewSignRequest(Valid().dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->items.size(), 2u);
  EXPECT_EQ(r->items[0].hash_alg, "S256");
  EXPECT_TRUE(r->items[0].pdf);
  EXPECT_EQ(r->items[0].digest, Sha256(Pdf()));
  EXPECT_EQ(r->items[1].hash_alg, "S384");
  EXPECT_EQ(r->items[1].digest, std::string(48, '\x07'));
  EXPECT_EQ(r->description.at("ro"), "Contract de prestări servicii");
  EXPECT_EQ(r->signer_idnp, "2002000000001");
  EXPECT_EQ(r->language, "ru");
  EXPECT_EQ(r->lifetime_seconds, 300);
  EXPECT_EQ(r->relay_state, "abc-123");
}

TEST(SignRequest, RefusesDigestsOfTheWrongLength) {
  json d = Valid();
  d["items"][1]["digest"] = Base64UrlEncode(std::string(32, 'x'));  // S384 needs 48
  EXPECT_NE(Error(d).find("items[1].digest must be the base64url of 48 bytes"), std::string::npos);
  d["items"][1]["hash_alg"] = "S256";
  d["items"][1]["digest"] = Base64UrlEncode(std::string(31, 'x'));
  EXPECT_NE(Error(d).find("of 32 bytes"), std::string::npos);
  d["items"][1]["digest"] = "not base64!";
  EXPECT_NE(Error(d).find("items[1].digest"), std::string::npos);
  d["items"][1]["hash_alg"] = "SHA1";
  EXPECT_NE(Error(d).find("S256 or S384"), std::string::npos);
}

TEST(SignRequest, RefusesWhatIsNotAPdfOrTooLarge) {
  json d = Valid();
  d["items"][0]["pdf"] = Base64Encode("GIF89a not a pdf at all, but long enough");
  EXPECT_NE(Error(d).find("is not a PDF"), std::string::npos);
  d["items"][0]["pdf"] = Base64Encode("%PDF-1.7\n cut off before the end of the file");
  EXPECT_NE(Error(d).find("no %%EOF"), std::string::npos);
  d["items"][0]["pdf"] = "%%%";
  EXPECT_NE(Error(d).find("not base64"), std::string::npos);
  d["items"][0]["pdf"] = Base64Encode(Pdf(kMaxPdfBytes));
  auto r = ParseNewSignRequest(d.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 413);
}

TEST(SignRequest, RefusesBadItemsLists) {
  json d = Valid();
  d["items"] = json::array();
  EXPECT_NE(Error(d).find("items must be a non-empty array"), std::string::npos);
  d = Valid();
  d["items"][1]["name"] = "contract.pdf";
  EXPECT_NE(Error(d).find("repeats"), std::string::npos);
  d = Valid();
  d["items"][0]["digest"] = Base64UrlEncode(std::string(32, 'a'));
  EXPECT_NE(Error(d).find("exactly one of digest and pdf"), std::string::npos);
  d = Valid();
  json many = json::array();
  for (size_t i = 0; i <= kMaxItems; ++i)
    many.push_back({{"name", "n" + std::to_string(i)}, {"hash_alg", "S256"}, {"digest", Base64UrlEncode(std::string(32, 'a'))}});
  d["items"] = many;
  EXPECT_NE(Error(d).find("at most"), std::string::npos);
}

TEST(SignRequest, RefusesBadSignersAndOptions) {
  json d = Valid();
  d["signer"]["idnp"] = "12345";
  EXPECT_NE(Error(d).find("signer.idnp must be 13 digits"), std::string::npos);
  d = Valid();
  d["signer"]["type"] = "organization";
  EXPECT_NE(Error(d).find("signer.idno must be 13 digits"), std::string::npos);
  d["signer"]["idno"] = "1003600000001";
  EXPECT_TRUE(ParseNewSignRequest(d.dump()).ok());
  d = Valid();
  d["signer"]["idno"] = "1003600000001";
  EXPECT_NE(Error(d).find("only for signer.type organization"), std::string::npos);
  d = Valid();
  d["return_url"] = "http://rp.example/signed";
  EXPECT_NE(Error(d).find("return_url"), std::string::npos);
  d = Valid();
  d["lifetime"] = 5;
  EXPECT_NE(Error(d).find("lifetime"), std::string::npos);
  d = Valid();
  d["language"] = "de";
  EXPECT_NE(Error(d).find("language"), std::string::npos);
  d = Valid();
  d["description"] = {{"fr", "x"}};
  EXPECT_NE(Error(d).find("description"), std::string::npos);
  d = Valid();
  d["relay_state"] = "new\nline";
  EXPECT_NE(Error(d).find("relay_state"), std::string::npos);
  d = Valid();
  d["lifetme"] = 300;
  EXPECT_NE(Error(d).find("unknown member \"lifetme\""), std::string::npos);
}

TEST(SignRequest, RefusesMalformedAndDeepJson) {
  for (std::string body : {"", "[]", "{", "null", "{\"items\":1}"}) {
    auto r = ParseNewSignRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().http_status, 400);
  }
  std::string deep(10000, '[');
  auto r = ParseNewSignRequest("{\"items\":" + deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "the JSON is nested too deeply");
}

TEST(VerifyRequest, ParsesDigestOrPdf) {
  std::string prot = Base64UrlEncode(R"({"alg":"ES256K"})");
  json d = {{"signature", {{"protected", prot}, {"payload", ""}, {"signature", Base64UrlEncode(std::string(64, 's'))}}},
            {"digest", Base64UrlEncode(std::string(32, 'd'))}};
  auto v = ParseVerifyRequest(d.dump());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->hash_alg, "S256");
  EXPECT_EQ(v->digest, std::string(32, 'd'));
  EXPECT_EQ(v->protected_b64, prot);
  d.erase("digest");
  d["pdf"] = Base64Encode(Pdf());
  v = ParseVerifyRequest(d.dump());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->digest, Sha256(Pdf()));
  d["signature"]["payload"] = "eyJ9";
  EXPECT_FALSE(ParseVerifyRequest(d.dump()).ok());
  d["signature"]["payload"] = "";
  d["signature"]["signature"] = Base64UrlEncode(std::string(65, 's'));
  EXPECT_FALSE(ParseVerifyRequest(d.dump()).ok());
}

TEST(SignStore, RecordsRoundTripAndSettleOnce) {
  FakeClock clock;
  FakeRandom random;
  auto store = NewMemoryStore({.clock = &clock});
  SignStore signs(*store, clock, random);
  auto req = ParseNewSignRequest(Valid().dump());
  ASSERT_TRUE(req.ok());
  auto rec = signs.Create("client-a", *req);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->sign_request.size(), 32u);
  EXPECT_EQ(rec->expires_at, rec->created_at + 300);

  auto loaded = signs.Load(rec->id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->request.items[1].digest, std::string(48, '\x07'));
  EXPECT_EQ(loaded->request.description, req->description);
  EXPECT_EQ(EffectiveState(*loaded, signs.Now()), SignState::kPending);

  auto settle = [&](SignState to) {
    return signs.Update(rec->id, [&](SignRecord& r) {
      if (EffectiveState(r, signs.Now()) != SignState::kPending) return false;
      r.state = to;
      r.reason = to == SignState::kFailure ? kReasonRefused : "";
      return true;
    });
  };
  ASSERT_TRUE(settle(SignState::kFailure).ok());
  // Settled once: a later answer cannot turn it into a success.
  EXPECT_EQ(settle(SignState::kSuccess).status().code(), StatusCode::kFailedPrecondition);
  auto st = StatusJson(*signs.Load(rec->id), signs.Now());
  EXPECT_EQ(st["status"], "failure");
  EXPECT_EQ(st["reason"], "refused");
  EXPECT_EQ(signs.Load("unknown").status().code(), StatusCode::kNotFound);
}

// A stored record read back: every member as written; a damaged one (a
// member missing or of another type, anywhere) is unreadable, never an
// exception on the request path that reads it.
TEST(SignStore, ADamagedRecordIsUnreadableNotAnException) {
  auto req = ParseNewSignRequest(Valid().dump());
  ASSERT_TRUE(req.ok());
  SignRecord r;
  r.id = "id-1";
  r.client_id = "client-a";
  r.sign_request = std::string(32, '\x5a');
  r.request = *req;
  r.created_at = 1000;
  r.expires_at = 1300;
  r.state = SignState::kSuccess;
  r.txn = "txn-1";
  r.signer = {{"idnp", "2002000000001"}, {"eid", "0xabc"}};
  r.signed_at = 1100;
  r.signatures = {json{{"protected", "e30"}, {"payload", ""}, {"signature", "AA"}}};
  const std::string text = SerializeSignRecord(r);
  auto back = ParseSignRecord(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->sign_request, r.sign_request);
  EXPECT_EQ(back->request.items[0].pdf, true);
  EXPECT_EQ(back->request.items[1].digest, std::string(48, '\x07'));
  EXPECT_EQ(back->request.description, r.request.description);
  EXPECT_EQ(back->state, SignState::kSuccess);
  EXPECT_EQ(back->signer, r.signer);
  EXPECT_EQ(back->signatures, r.signatures);
  EXPECT_EQ(SerializeSignRecord(*back), text);

  const json good = json::parse(text);
  for (const auto& [name, value] : good.items()) {
    json missing = good;
    missing.erase(name);
    EXPECT_FALSE(ParseSignRecord(missing.dump()).has_value()) << "without " << name;
    json wrong = good;
    wrong[name] = value.is_number() ? json("1") : json(7);
    EXPECT_FALSE(ParseSignRecord(wrong.dump()).has_value()) << name << " of another type";
  }
  for (const char* member : {"name", "hash_alg", "pdf", "digest"}) {
    json item = good;
    item["items"][1][member] = json::array();
    EXPECT_FALSE(ParseSignRecord(item.dump()).has_value()) << "item " << member;
  }
  json description = good;
  description["description"]["en"] = 3;
  EXPECT_FALSE(ParseSignRecord(description.dump()).has_value());
  for (const char* junk : {"", "[]", "{\"v\":1}", "{\"v\":2}", "null"})
    EXPECT_FALSE(ParseSignRecord(junk).has_value()) << junk;
}

TEST(SignStore, APendingRequestExpiresAndStaysReadable) {
  FakeClock clock;
  FakeRandom random;
  auto store = NewMemoryStore({.clock = &clock});
  SignStore signs(*store, clock, random);
  auto rec = signs.Create("client-a", *ParseNewSignRequest(Valid().dump()));
  ASSERT_TRUE(rec.ok());
  clock.Advance(std::chrono::seconds(301));
  auto loaded = signs.Load(rec->id);
  ASSERT_TRUE(loaded.ok());
  auto st = StatusJson(*loaded, signs.Now());
  EXPECT_EQ(st["status"], "expired");
  EXPECT_EQ(st["reason"], "expired");
  clock.Advance(std::chrono::seconds(kRetentionSeconds));
  EXPECT_EQ(signs.Load(rec->id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace certme::signing
