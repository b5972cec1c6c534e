// protocols/wallet/answer.h: §4 (step 4 of §7) and the §5 plaintext.
#include "protocols/wallet/answer.h"

#include <gtest/gtest.h>

#include "protocols/wallet/vocabulary.h"
#include "tests/protocols/wallet/worked_example.h"

namespace certme::wallet {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the §9 fixtures

std::string Refusal(const std::string& body) {
  auto r = ParseAnswer(body, kCode);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.error().code, kErrInvalidRequest);
  EXPECT_EQ(r.error().http_status, 400);
  return r.error().description;
}

TEST(AnswerTest, WorkedExampleParses) {
  auto a = ParseAnswer(AnswerJson().dump(), kCode);
  ASSERT_TRUE(a.ok()) << a.error().description;
  EXPECT_FALSE(a->refused);
  EXPECT_EQ(a->eid, UserAddress());
  EXPECT_EQ(a->login_signature.ToHex(), kLoginSignature);
  ASSERT_TRUE(a->consent_signature);
  EXPECT_EQ(a->consent_signature->ToHex(), kConsentSignature);
  EXPECT_GE(a->payload.size(), 97u);
  // Built back, it is the same document.
  EXPECT_EQ(json::parse(BuildAnswer(*a)), AnswerJson());
}

TEST(AnswerTest, ARefusalCarriesTheEidAndItsSignature) {
  EXPECT_EQ(Refusal(R"({"version":1,"code":"IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc","refused":true})"),
            "a refusal needs eid and refusalSignature");
  EXPECT_EQ(Refusal(R"({"version":1,"code":"IsVSPcAxmSxMK3V_NiwPLpB99W4YbvWcnjrzfJ3SDnc","refused":"yes"})"),
            "refused must be true");
  json signed_refusal = {{"version", 1}, {"code", kCode}, {"refused", true},
                         {"eid", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"},
                         {"refusalSignature", kLoginSignature}};
  auto a = ParseAnswer(signed_refusal.dump(), kCode);
  ASSERT_TRUE(a.ok()) << a.error().description;
  EXPECT_TRUE(a->refused);
  ASSERT_TRUE(a->refusal_signature);
  signed_refusal["refusalSignature"] = "0x1234";
  EXPECT_EQ(Refusal(signed_refusal.dump()), "refusalSignature is malformed");
}

TEST(AnswerTest, StepFourRefusesEachMalformedPart) {
  auto with = [](const char* field, json value) {
    json a = AnswerJson();
    if (value.is_null()) a.erase(field); else a[field] = std::move(value);
    return Refusal(a.dump());
  };
  EXPECT_EQ(Refusal(std::string(kMaxAnswerBytes + 1, ' ')), "answer too large");
  EXPECT_EQ(Refusal("not json"), "not a JSON object");
  EXPECT_EQ(with("version", 2), "version must be 1");
  EXPECT_EQ(with("code", "other"), "code differs");
  EXPECT_EQ(with("eid", nullptr), "eid, loginSignature and attributes are required");
  EXPECT_EQ(with("eid", "0x1234"), "eid is not an address");
  EXPECT_EQ(with("loginSignature", "0x00"), "loginSignature is malformed");
  EXPECT_EQ(with("consentSignature", 7), "consentSignature");
  EXPECT_EQ(with("consentSignature", "0x00"), "consentSignature is malformed");
  EXPECT_EQ(with("attributes", "not base64url!"), "attributes is not base64url");
  // The consent signature is optional here (step 9 requires it).
  EXPECT_EQ(with("consentSignature", nullptr), "ok");
}

TEST(AnswerTest, DisclosureOfTheWorkedExample) {
  auto d = ParseDisclosure(kPlaintext, Context().attributes, UserAddress());
  ASSERT_TRUE(d.ok()) << d.error().description;
  EXPECT_EQ(d->commitments, Commitments());
  ASSERT_EQ(d->attributes.size(), 3u);
  EXPECT_EQ(d->attributes[2].value, "2001234567890");
  EXPECT_EQ(d->keys[0], B32("0x221e245565d2a67605050e83fd13968fef8886be9b9f91d41b1b19241b60627f"));
  // Built back from the held values, the same plaintext (as JSON: member
  // order is free).
  EXPECT_EQ(json::parse(BuildDisclosurePlaintext(Held())), json::parse(kPlaintext));
}

TEST(AnswerTest, DisclosureMustMatchTheRequest) {
  auto problem = [](const std::string& plain, std::vector<std::string> asked) {
    auto d = ParseDisclosure(plain, asked, UserAddress());
    if (d.ok()) return std::string("ok");
    EXPECT_EQ(d.error().code, kErrAttributesMismatch);
    return d.error().description;
  };
  EXPECT_EQ(problem(kPlaintext, {"first_name", "last_name"}), "attributes differ from the request");
  EXPECT_EQ(problem(kPlaintext, {"last_name", "first_name", "idnp"}), "attributes differ from the request");
  EXPECT_EQ(problem(R"([{"key":"idnp","value":"1","salt":"0x12"}])", {"idnp"}), "salt must be 32 bytes");
  EXPECT_EQ(problem(R"([{"key":"idnp","value":"1","salt":"0x12","x":1}])", {"idnp"}),
            "attributes differ from the request");
  EXPECT_EQ(problem("[]", {}), "ok");
}

}  // namespace
}  // namespace certme::wallet
