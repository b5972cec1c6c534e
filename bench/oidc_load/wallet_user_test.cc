// The load generator's wallet: derived benchmark users, their enrolment,
// the user picker, and answers checked with the bridge's own verification
// code (WalletLoginDigest, RecoverConsentSigner, EciesDecrypt,
// CheckDisclosure) — a benchmark whose wallet the bridge would refuse
// measures nothing.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "bench/oidc_load/wallet_flow.h"
#include "bench/oidc_load/wallet_user.h"
#include "common/encoding.h"
#include "crypto/ecies.h"
#include "idp/login/wallet_authenticator.h"
#include "ledger-client/abi.h"
#include "ledger-client/eip712.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme::bench {
namespace {

using nlohmann::json;

TEST(BenchUserTest, DerivedFromSeedAndIndex) {
  BenchUser a = MakeBenchUser("s", 7), again = MakeBenchUser("s", 7);
  EXPECT_EQ(a.key.address(), again.key.address());
  EXPECT_NE(a.key.address(), MakeBenchUser("s", 8).key.address());
  EXPECT_NE(a.key.address(), MakeBenchUser("t", 7).key.address());
  ASSERT_EQ(a.attributes.size(), BenchAttributeNames().size());
  std::set<Bytes32> salts;
  for (size_t i = 0; i < a.attributes.size(); ++i) {
    const auto& attr = a.attributes[i];
    EXPECT_EQ(attr.name, BenchAttributeNames()[i]);
    EXPECT_TRUE(IsValidAttributeName(attr.name));
    EXPECT_FALSE(attr.value.empty()) << attr.name;
    EXPECT_EQ(attr.value, again.attributes[i].value);
    EXPECT_EQ(attr.salt, again.attributes[i].salt);
    salts.insert(attr.salt);
  }
  EXPECT_EQ(salts.size(), a.attributes.size());  // one salt per attribute
  ASSERT_NE(a.Find("idnp"), nullptr);
  EXPECT_EQ(a.Find("idnp")->value.size(), 13u);
  EXPECT_EQ(a.Find("no_such"), nullptr);
  EXPECT_NE(a.Find("email")->value, MakeBenchUser("s", 8).Find("email")->value);
}

TEST(UserPickerTest, FreshHandsOutEachUserOnce) {
  UserPicker p(10, 13, /*fresh=*/true);
  EXPECT_EQ(p.Next(), 10u);
  EXPECT_EQ(p.Next(), 11u);
  EXPECT_EQ(p.Next(), 12u);
  EXPECT_EQ(p.Next(), std::nullopt);
  EXPECT_EQ(p.Next(), std::nullopt);
}

TEST(UserPickerTest, CycleGoesRound) {
  UserPicker p(5, 7, /*fresh=*/false);
  EXPECT_EQ(p.Next(), 5u);
  EXPECT_EQ(p.Next(), 6u);
  EXPECT_EQ(p.Next(), 5u);
}

TEST(UserPickerTest, FreshIsExactUnderConcurrency) {
  UserPicker p(0, 1000, /*fresh=*/true);
  std::vector<std::vector<uint64_t>> got(4);
  std::vector<std::thread> ts;
  for (auto& g : got)
    ts.emplace_back([&p, &g] {
      while (auto i = p.Next()) g.push_back(*i);
    });
  for (auto& t : ts) t.join();
  std::set<uint64_t> all;
  size_t n = 0;
  for (const auto& g : got) {
    all.insert(g.begin(), g.end());
    n += g.size();
  }
  EXPECT_EQ(n, 1000u);
  EXPECT_EQ(all.size(), 1000u);
}

class WalletLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EmbeddedLedgerOptions o;
    o.path = LedgerTestDir().NewFile(".db");
    o.sync_full = false;
    o.watch_file = false;
    o.sequencer = EthKey::Generate();
    auto l = EmbeddedLedger::Create(o, admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    ASSERT_TRUE(ledger_->AddProvider(admin_, provider_.address()).ok());
  }

  EthKey admin_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
};

TEST_F(WalletLedgerTest, EnrolmentIssuesCommitmentsOfTheDerivedValues) {
  auto issued = EnrollBenchUsers(*ledger_, validator_, "seed", 0, 3);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(*issued, 3u);
  for (uint64_t i = 0; i < 3; ++i) {
    BenchUser u = MakeBenchUser("seed", i);
    auto eid = ledger_->GetEid(u.key.address());
    ASSERT_TRUE(eid.ok());
    EXPECT_EQ(eid->status, EidStatus::kActive);
    EXPECT_EQ(eid->loa, kLoaSubstantial);
    EXPECT_EQ(eid->validator, validator_.address());
    std::vector<Bytes32> keys;
    for (const auto& a : u.attributes) keys.push_back(AttributeKey(a.name));
    EXPECT_TRUE(CheckDisclosure(u.key.address(), u.attributes, keys, eid->commitments).ok());
  }
  // Resumable: users who hold an eID are skipped.
  auto again = EnrollBenchUsers(*ledger_, validator_, "seed", 0, 5);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 2u);
  // A key that is not a validator is refused with the ledger's error.
  auto refused = EnrollBenchUsers(*ledger_, EthKey::Generate(), "seed", 10, 11);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("user 10"), std::string::npos);
}

// A request document as the bridge serves it (§3).
json RequestDocument(const Ledger& ledger, const EthKey& bridge_key, const EthKey& provider,
                     const std::vector<std::string>& attributes, int64_t expiry) {
  Eip712Domain d = ledger.Domain();
  return {{"version", 1},
          {"code", "CODE_abc-123"},
          {"nonce", "0x" + std::string(64, 'a')},
          {"expiry", expiry},
          {"service", {{"id", "bench-es256"}, {"names", {{"en", "Benchmark"}}}}},
          {"attributes", attributes},
          {"purpose", {{"en", "Sign-in"}}},
          {"bridgeKey", "0x" + HexEncode(bridge_key.public_key())},
          {"domain",
           {{"name", d.name},
            {"version", d.version},
            {"chainId", d.chain_id},
            {"verifyingContract", ChecksumAddress(d.verifying_contract)}}},
          {"consent", {{"provider", provider.AddressHex()}, {"expiry", expiry + 60}}}};
}

TEST_F(WalletLedgerTest, AnswerPassesTheBridgesChecks) {
  ASSERT_TRUE(EnrollBenchUsers(*ledger_, validator_, "seed", 0, 1).ok());
  BenchUser u = MakeBenchUser("seed", 0);
  EthKey bridge = EthKey::Generate();
  const std::vector<std::string> asked = {"last_name", "email", "idnp"};
  const int64_t expiry = 2'000'000'000;
  json doc = RequestDocument(*ledger_, bridge, provider_, asked, expiry);
  auto text = BuildWalletAnswer(doc, "CODE_abc-123", u, expiry - 100);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  json a = json::parse(*text);
  EXPECT_EQ(a["version"], 1);
  EXPECT_EQ(a["code"], "CODE_abc-123");
  auto eid = ParseAddress(a["eid"].get<std::string>());
  ASSERT_TRUE(eid.ok());
  EXPECT_EQ(*eid, u.key.address());

  // §5: decrypts with the bridge's key to exactly the requested attributes.
  auto payload = Base64UrlDecode(a["attributes"].get<std::string>());
  ASSERT_TRUE(payload);
  auto plain = EciesDecrypt(bridge, *payload);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  json list = json::parse(*plain);
  ASSERT_EQ(list.size(), asked.size());
  std::vector<DisclosedAttribute> disclosed;
  std::vector<Bytes32> keys, commitments;
  for (size_t i = 0; i < asked.size(); ++i) {
    EXPECT_EQ(list[i]["key"], asked[i]);
    auto salt = HexDecode(list[i]["salt"].get<std::string>());
    ASSERT_TRUE(salt && salt->size() == 32);
    disclosed.push_back({asked[i], list[i]["value"].get<std::string>(), abi::ToBytes32(*salt)});
    keys.push_back(AttributeKey(asked[i]));
    commitments.push_back(AttributeCommitment(*eid, keys.back(), disclosed.back().value, disclosed.back().salt));
  }
  // The values are the enrolled ones (what the validator would answer).
  auto record = ledger_->GetEid(*eid);
  ASSERT_TRUE(record.ok());
  std::vector<Bytes32> answered;
  for (const auto& k : keys) {
    auto it = std::find(record->attr_keys.begin(), record->attr_keys.end(), k);
    ASSERT_NE(it, record->attr_keys.end());
    answered.push_back(record->commitments[it - record->attr_keys.begin()]);
  }
  EXPECT_TRUE(CheckDisclosure(*eid, disclosed, keys, answered).ok());

  // §6: the bridge's Login digest recovers to the eID.
  Bytes32 nonce;
  nonce.fill(0xaa);
  Bytes32 digest = WalletLoginDigest(ledger_->Domain(), "CODE_abc-123", nonce, "bench-es256",
                                     WalletAttributesHash(commitments), expiry);
  auto login_sig = EthSignature::FromHex(a["loginSignature"].get<std::string>());
  ASSERT_TRUE(login_sig);
  auto signer = RecoverAddress(digest, *login_sig);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(*signer, u.key.address());
  // The consent the bridge rebuilds recovers to the eID too.
  Consent c{*eid, provider_.address(), keys, nonce, static_cast<uint64_t>(expiry + 60)};
  auto consent_sig = EthSignature::FromHex(a["consentSignature"].get<std::string>());
  ASSERT_TRUE(consent_sig);
  auto consent_signer = RecoverConsentSigner(ledger_->Domain(), c, *consent_sig);
  ASSERT_TRUE(consent_signer.ok());
  EXPECT_EQ(*consent_signer, u.key.address());
}

TEST_F(WalletLedgerTest, BadDocumentsAreNamed) {
  BenchUser u = MakeBenchUser("seed", 0);
  EthKey bridge = EthKey::Generate();
  const int64_t expiry = 2'000'000'000;
  json doc = RequestDocument(*ledger_, bridge, provider_, {"first_name"}, expiry);
  auto message = [&](const json& d, const std::string& code, int64_t now) {
    auto r = BuildWalletAnswer(d, code, u, now);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(message(doc, "CODE_abc-123", expiry - 1), "ok");
  EXPECT_EQ(message(doc, "OTHER", expiry - 1), "code");
  EXPECT_EQ(message(doc, "CODE_abc-123", expiry), "expired");
  json v2 = doc;
  v2["version"] = 2;
  EXPECT_EQ(message(v2, "CODE_abc-123", 0), "version");
  json unknown = doc;
  unknown["attributes"] = {"address"};
  EXPECT_EQ(message(unknown, "CODE_abc-123", 0), "attribute_not_held");
  json missing = doc;
  missing.erase("consent");
  EXPECT_EQ(message(missing, "CODE_abc-123", 0), "malformed");
  json bad_key = doc;
  bad_key["bridgeKey"] = "0x04";
  EXPECT_FALSE(BuildWalletAnswer(bad_key, "CODE_abc-123", u, 0).ok());
}

}  // namespace
}  // namespace certme::bench
