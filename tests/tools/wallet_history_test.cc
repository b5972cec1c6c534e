// `certme wallet history` (tools/wallet_history.h): validation requests and
// the access records only this wallet can open, named through the bridge's
// directory in the user's language; unknown addresses are named as such;
// another user's records never show; a directory entry whose key is not its
// address is ignored.
#include "tools/wallet_history.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/access_record.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/signature_history.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using nlohmann::json;

json Entry(const EthKey& k, const std::string& ro, const std::string& ru, const std::string& en) {
  return {{"address", k.AddressHex()},
          {"public_key", "0x" + HexEncode(k.public_key())},
          {"names", {{"ro", ro}, {"ru", ru}, {"en", en}}},
          {"protocol", "oidc"}};
}

class WalletHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EmbeddedLedger::Create({.path = dir_.NewFile(".ledger"), .sync_full = false,
                                     .watch_file = false, .sequencer = EthKey::Generate()},
                                    admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    ASSERT_TRUE(ledger_->AddValidator(admin_, validator_.address()).ok());
    ASSERT_TRUE(ledger_->AddProvider(admin_, known_.address()).ok());
    ASSERT_TRUE(ledger_->AddProvider(admin_, unknown_.address()).ok());
    std::vector<Bytes32> keys = {AttributeKey("first_name")};
    std::vector<Bytes32> commitments = {AttributeCommitment(user_.address(), keys[0], "Ion", Keccak256("s"))};
    ASSERT_TRUE(ledger_->IssueEid(validator_, user_, keys, commitments, kLoaSubstantial).ok());
    names_[keys[0]] = "first_name";
  }

  // `provider` records one access of `user` (what the bridge's submitter sends).
  void Record(const EthKey& provider, const EthKey& user, const std::string& kind, int64_t time) {
    auto k = AccessRecordKeys::Derive(provider, user.public_key());
    ASSERT_TRUE(k.ok());
    AccessRecordContent c;
    c.time = time;
    c.protocol = "saml";
    c.kind = kind;
    c.request_id = kind == "validated" ? 1 : 0;
    c.attr_keys = {AttributeKey("first_name")};
    auto e = k->Seal(provider.address(), c, SystemRandom());
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(ledger_->RecordAccess(provider, {*e}).ok());
  }

  void Request(const EthKey& provider) {
    Consent c{user_.address(), provider.address(), {AttributeKey("first_name")},
              abi::ToBytes32(SystemRandom().Bytes(32)), static_cast<uint64_t>(ledger_->Now() + 600)};
    EthSignature sig = SignConsent(user_, ledger_->Domain(), c);
    ASSERT_TRUE(ledger_->RequestValidation(provider, c, std::string(sig.rsv.begin(), sig.rsv.end())).ok());
  }

  std::string Directory() {
    json forged = Entry(known_, "Fals", "Фальшивый", "Forged");
    forged["address"] = EthKey::Generate().AddressHex();  // a key that is not this address's
    return json({{"providers", {Entry(known_, "Primăria", "Мэрия", "City hall"), forged, "garbage"}}}).dump();
  }

  std::string Text(const std::vector<HistoryLine>& lines) {
    std::string out;
    for (const auto& l : lines) out += l.text + "\n";
    return out;
  }

  LedgerTempDir dir_;
  EthKey admin_ = EthKey::Generate();
  EthKey validator_ = EthKey::Generate();
  EthKey known_ = EthKey::Generate();
  EthKey unknown_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::map<Bytes32, std::string> names_;
};

TEST_F(WalletHistoryTest, ListsRequestsAndOwnRecordsWithNamesInTheUsersLanguage) {
  Request(known_);
  Request(unknown_);
  Record(known_, user_, "validated", 1000);
  Record(known_, user_, "reused", 2000);
  Record(known_, EthKey::Generate(), "reused", 1500);  // someone else's login at the same service
  Record(unknown_, user_, "reused", 1700);             // a service the directory does not list
  auto dir = ParseProviderDirectory(Directory());
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(dir->size(), 1u) << "the forged and malformed entries are skipped";

  auto ro = WalletHistory(*ledger_, user_, *dir, "ro", names_);
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  const std::string text = Text(*ro);
  ASSERT_EQ(ro->size(), 4u) << text;  // two requests, this user's two records at the listed service
  EXPECT_EQ((*ro)[0].time, 1000) << "oldest first";
  EXPECT_NE((*ro)[0].text.find("Primăria"), std::string::npos) << text;
  EXPECT_NE((*ro)[0].text.find("after validation request 1"), std::string::npos) << text;
  EXPECT_NE((*ro)[1].text.find("re-login"), std::string::npos) << text;
  EXPECT_NE((*ro)[1].text.find("first_name"), std::string::npos) << text;
  EXPECT_NE(text.find("serviciu necunoscut " + unknown_.AddressHex()), std::string::npos) << text;
  EXPECT_EQ(text.find("Fals"), std::string::npos);

  auto ru = WalletHistory(*ledger_, user_, *dir, "ru", names_);
  ASSERT_TRUE(ru.ok());
  EXPECT_NE(Text(*ru).find("Мэрия"), std::string::npos);
  EXPECT_NE(Text(*ru).find("неизвестный сервис"), std::string::npos);
  auto en = WalletHistory(*ledger_, user_, *dir, "en", names_);
  ASSERT_TRUE(en.ok());
  EXPECT_NE(Text(*en).find("City hall"), std::string::npos);
  EXPECT_NE(Text(*en).find("unknown service " + unknown_.AddressHex()), std::string::npos);

  // Without a directory only the public requests are found.
  auto none = WalletHistory(*ledger_, user_, {}, "en", names_);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 2u);
}

// The signatures a provider recorded for the user appear with the service,
// the digest, the sign request and both times; another user's do not.
TEST_F(WalletHistoryTest, ListsTheUsersSignatureRecords) {
  const uint64_t at = static_cast<uint64_t>(ledger_->Now() - 5);
  auto sign = [&](const EthKey& signer, const EthKey& provider, const Bytes32& digest, const Bytes32& request) {
    SignedDigest sd{signer.address(), provider.address(), digest, request, at};
    EthSignature sig = SignSignedDigest(signer, ledger_->Domain(), sd);
    return ledger_->RecordSignatures(provider, signer.address(), request, at,
                                     {{digest, std::string(sig.rsv.begin(), sig.rsv.end())}});
  };
  EthKey other = EthKey::Generate();
  std::vector<Bytes32> keys = {AttributeKey("first_name")};
  ASSERT_TRUE(ledger_->IssueEid(validator_, other, keys, {AttributeCommitment(other.address(), keys[0], "Ana",
                                                                                Keccak256("t"))},
                                kLoaSubstantial)
                  .ok());
  const Bytes32 digest = Keccak256("protected header"), request = Keccak256("sign request");
  ASSERT_TRUE(sign(user_, known_, digest, request).ok());
  ASSERT_TRUE(sign(other, known_, Keccak256("someone else's"), request).ok());

  auto records = UserSignatureHistory(*ledger_, user_.address());
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].provider, known_.address());
  EXPECT_EQ((*records)[0].digest, digest);
  EXPECT_EQ((*records)[0].sign_request, request);
  EXPECT_EQ((*records)[0].signed_at, static_cast<int64_t>(at));
  EXPECT_GE((*records)[0].recorded_at, (*records)[0].signed_at);

  auto dir = ParseProviderDirectory(Directory());
  ASSERT_TRUE(dir.ok());
  auto en = WalletHistory(*ledger_, user_, *dir, "en", names_);
  ASSERT_TRUE(en.ok()) << en.status().ToString();
  const std::string text = Text(*en);
  ASSERT_EQ(en->size(), 1u) << text;
  EXPECT_NE(text.find("City hall"), std::string::npos) << text;
  EXPECT_NE(text.find("recorded your signature 0x" + HexEncode(abi::AsView(digest))), std::string::npos) << text;
  EXPECT_NE(text.find("for sign request 0x" + HexEncode(abi::AsView(request))), std::string::npos) << text;
  EXPECT_EQ(text.find(HexEncode(abi::AsView(Keccak256("someone else's")))), std::string::npos) << text;
}

TEST_F(WalletHistoryTest, DirectoryFromAFileAndMalformedDocuments) {
  const std::string path = dir_.NewFile(".json");
  std::ofstream(path) << Directory();
  auto dir = LoadProviderDirectory(path, "");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(ServiceName(*dir, known_.address(), "ru"), "Мэрия (" + known_.AddressHex() + ")");
  EXPECT_FALSE(LoadProviderDirectory(dir_.NewFile(".missing"), "").ok());
  for (const char* bad : {"", "[]", "{}", "{\"providers\": 3}", "not json"})
    EXPECT_EQ(ParseProviderDirectory(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  auto empty = ParseProviderDirectory("{\"providers\": []}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace certme
