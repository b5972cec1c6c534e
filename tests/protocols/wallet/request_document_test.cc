// protocols/wallet/request_document.h against §3 and the document of §9.
#include "protocols/wallet/request_document.h"

#include <gtest/gtest.h>

#include "protocols/wallet/vocabulary.h"
#include "tests/protocols/wallet/worked_example.h"

namespace certme::wallet {
namespace {

using nlohmann::json;
using namespace testing;  // NOLINT: the §9 fixtures

std::string Problem(const json& doc) {
  auto r = RequestDocumentFromJson(doc);
  return r.ok() ? "ok" : r.status().message();
}

TEST(RequestDocumentTest, WorkedExampleParses) {
  auto doc = ParseRequestDocument(std::string_view(RequestDocumentText()));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->kind, RequestKind::kLogin);
  EXPECT_EQ(doc->code, kCode);
  EXPECT_EQ(doc->nonce, B32(kNonce));
  EXPECT_EQ(doc->expiry, kExpiry);
  EXPECT_EQ(doc->service_id, "demo-rp");
  EXPECT_EQ(doc->service_names.at("en"), "Demo service");
  EXPECT_EQ(doc->attributes, (std::vector<std::string>{"first_name", "last_name", "idnp"}));
  EXPECT_EQ(doc->purpose, LoginPurpose());
  EXPECT_EQ(doc->bridge_key, BridgeKey().public_key());
  EXPECT_EQ(doc->domain.chain_id, 31337u);
  EXPECT_EQ(doc->domain.verifying_contract, Context().domain.verifying_contract);
  EXPECT_EQ(doc->consent_provider, Context().provider);
  EXPECT_EQ(doc->consent_expiry, static_cast<uint64_t>(kExpiry));
}

TEST(RequestDocumentTest, BuildWritesTheWorkedExampleWithoutKind) {
  auto doc = ParseRequestDocument(std::string_view(RequestDocumentText()));
  ASSERT_TRUE(doc.ok());
  json built = json::parse(BuildRequestDocument(*doc));
  EXPECT_EQ(built, json::parse(RequestDocumentText()));
  EXPECT_FALSE(built.contains(kFieldKind));  // v1 wire format
}

TEST(RequestDocumentTest, OtherVersionsAndKindsAreNamed) {
  json doc = json::parse(RequestDocumentText());
  EXPECT_EQ(Problem(doc), "ok");
  json v2 = doc;
  v2["version"] = 2;
  EXPECT_EQ(Problem(v2), "version");
  json login = doc;
  login["kind"] = "login";
  EXPECT_EQ(Problem(login), "ok");
  json other = doc;
  other["kind"] = "payment";
  EXPECT_EQ(Problem(other), "kind");
  // A sign request (§10) without its `sign` object.
  json sign = doc;
  sign["kind"] = "sign";
  EXPECT_EQ(Problem(sign), "malformed");
}

TEST(RequestDocumentTest, MalformedFieldsAreRefused) {
  json doc = json::parse(RequestDocumentText());
  auto with = [&](const char* field, json value) {
    json d = doc;
    if (value.is_null()) d.erase(field); else d[field] = std::move(value);
    return Problem(d);
  };
  EXPECT_EQ(with("consent", nullptr), "malformed");
  EXPECT_EQ(with("nonce", "0x1234"), "malformed");
  EXPECT_EQ(with("bridgeKey", "0x04"), "malformed");
  EXPECT_EQ(with("attributes", json::array({"idnp", "idnp"})), "malformed");
  EXPECT_EQ(with("attributes", json::array({"bad name"})), "malformed");
  EXPECT_EQ(with("expiry", "soon"), "malformed");
  json bad_checksum = doc;
  bad_checksum["consent"]["provider"] = "0x5aC4CeA99E1aE37dB85F47e10C9a68F76C7f932b";
  EXPECT_EQ(Problem(bad_checksum), "malformed");
  json negative_chain = doc;
  negative_chain["domain"]["chainId"] = -1;
  EXPECT_EQ(Problem(negative_chain), "malformed");
  json signed_ints = doc;  // as built in memory: signed, non-negative
  signed_ints["consent"]["expiry"] = int64_t{kExpiry};
  EXPECT_EQ(Problem(signed_ints), "ok");
  EXPECT_EQ(Problem(json::array()), "malformed");
}

}  // namespace
}  // namespace certme::wallet
