// The Store's signing-key set: the rollover states and periods, the rules
// that refuse a change (no active key left, wrong key or certificate), the
// sealing under the KEK, concurrent writers, and the watcher that applies a
// record to the running KeySet and SAML signer.
#include "idp/signing_key_store.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/random.h"
#include "crypto/evp.h"
#include "idp/signing_key_watch.h"
#include "protocols/saml/dsig.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

std::vector<std::string> JwksKids(const KeySet& keys) {
  std::vector<std::string> out;
  const nlohmann::json jwks = keys.Jwks();
  for (const auto& k : jwks["keys"]) out.push_back(k["kid"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

std::shared_ptr<SigningKey> Key(const char* kty, const char* kid) {
  auto k = GenerateSigningKey(kty, kid);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return *k;
}

std::string SelfSigned(const SigningKey& key) {
  auto der = saml::MakeSelfSignedCertificate(BorrowEvpPkey(key), "test", 1'600'000'000, 3650, SystemRandom());
  EXPECT_TRUE(der.ok()) << der.status().ToString();
  return *der;
}

class SigningKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = NewMemoryStore({.clock = &clock_});
    keys_ = std::make_unique<SigningKeyStore>(*store_, std::string(32, 'k'), clock_, SystemRandom());
    oidc_ = std::make_unique<KeySet>(&clock_);
    rsa1_ = Key("RSA", "rsa-1");
    saml1_ = Key("RSA", "saml-1");
    ASSERT_TRUE(keys_->Seed(KeyUse::kOidc, {{rsa1_, "", KeySet::State::kActive}, {Key("EC", "ec-1"), ""}}, policy_).ok());
    ASSERT_TRUE(keys_->Seed(KeyUse::kSaml, {{saml1_, SelfSigned(*saml1_)}}, policy_).ok());
    watcher_ = std::make_unique<SigningKeyWatcher>(*keys_, *oidc_, std::chrono::seconds(1));
    watcher_->SetSamlSink([this](saml::SamlSigner s) { sunk_.push_back(std::move(s)); });
    ASSERT_TRUE(watcher_->Refresh().ok());
    // The first record brings a SAML signer; the tests count the changes after it.
    ASSERT_EQ(sunk_.size(), 1u);
    sunk_.clear();
  }

  int64_t Version() { return (*keys_->Read())->version; }

  FakeClock clock_;
  RolloverPolicy policy_{.pre_publication_seconds = 600, .retired_retention_seconds = 900};
  std::unique_ptr<Store> store_;
  std::unique_ptr<SigningKeyStore> keys_;
  std::unique_ptr<KeySet> oidc_;
  std::unique_ptr<SigningKeyWatcher> watcher_;
  std::shared_ptr<SigningKey> rsa1_, saml1_;
  std::vector<saml::SamlSigner> sunk_;
};

TEST_F(SigningKeyStoreTest, OidcRolloverPublishesAheadAndKeepsTheRetiredKeyForItsTokens) {
  EXPECT_EQ(JwksKids(*oidc_), (std::vector<std::string>{"ec-1", "rsa-1"}));
  ASSERT_TRUE(keys_->Add(KeyUse::kOidc, {Key("RSA", "rsa-2"), ""}).ok());
  ASSERT_TRUE(watcher_->Refresh().ok());
  // Published at once, signing nothing yet.
  EXPECT_EQ(JwksKids(*oidc_), (std::vector<std::string>{"ec-1", "rsa-1", "rsa-2"}));
  EXPECT_EQ(oidc_->ActiveFor(JwsAlg::kRS256)->kid(), "rsa-1");

  // Too early: the pre-publication period runs; nothing changes.
  int64_t before = Version();
  auto early = keys_->Promote("rsa-2", policy_);
  EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(early.status().message().find("pre-publication"), std::string::npos) << early.status().message();
  EXPECT_EQ(Version(), before);

  clock_.Advance(std::chrono::seconds(600));
  auto promoted = keys_->Promote("rsa-2", policy_);
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  ASSERT_TRUE(watcher_->Refresh().ok());
  EXPECT_EQ(oidc_->ActiveFor(JwsAlg::kRS256)->kid(), "rsa-2");
  EXPECT_EQ(oidc_->ActiveFor(JwsAlg::kES256)->kid(), "ec-1");  // another type: untouched
  // rsa-1 verifies the tokens it signed until the retention ends…
  EXPECT_EQ(JwksKids(*oidc_), (std::vector<std::string>{"ec-1", "rsa-1", "rsa-2"}));
  auto record = *keys_->Read();
  EXPECT_EQ(record->Find("rsa-1")->state, KeySet::State::kRetired);
  EXPECT_EQ(record->Find("rsa-1")->unpublish_at, clock_.NowUnixSeconds() + 900);
  clock_.Advance(std::chrono::seconds(899));
  EXPECT_EQ(JwksKids(*oidc_).size(), 3u);
  // …and then leaves the JWKS, and the record at its next change.
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(JwksKids(*oidc_), (std::vector<std::string>{"ec-1", "rsa-2"}));
  ASSERT_TRUE(keys_->Add(KeyUse::kOidc, {Key("EC", "ec-2"), ""}).ok());
  EXPECT_EQ((*keys_->Read())->Find("rsa-1"), nullptr);
}

TEST_F(SigningKeyStoreTest, SamlRolloverListsTheNextCertificateThenSignsWithIt) {
  ASSERT_EQ(watcher_->CurrentSamlSigner()->key->kid(), "saml-1");
  auto saml2 = Key("RSA", "saml-2");
  std::string cert2 = SelfSigned(*saml2);
  ASSERT_TRUE(keys_->Add(KeyUse::kSaml, {saml2, cert2}).ok());
  ASSERT_TRUE(watcher_->Refresh().ok());
  ASSERT_EQ(sunk_.size(), 1u);
  EXPECT_EQ(sunk_.back().key->kid(), "saml-1");
  EXPECT_EQ(sunk_.back().next_certificates_der, std::vector<std::string>{cert2});
  // SAML keys never enter the OIDC JWKS.
  EXPECT_EQ(JwksKids(*oidc_), (std::vector<std::string>{"ec-1", "rsa-1"}));

  clock_.Advance(std::chrono::seconds(600));
  ASSERT_TRUE(keys_->Promote("saml-2", policy_).ok());
  ASSERT_TRUE(watcher_->Refresh().ok());
  ASSERT_EQ(sunk_.size(), 2u);
  EXPECT_EQ(sunk_.back().key->kid(), "saml-2");
  EXPECT_EQ(sunk_.back().certificate_der, cert2);
  EXPECT_TRUE(sunk_.back().next_certificates_der.empty());
}

TEST_F(SigningKeyStoreTest, NoChangeLeavesAUseWithoutAnActiveKey) {
  int64_t before = Version();
  for (const char* kid : {"rsa-1", "ec-1", "saml-1"}) {
    auto r = keys_->Retire(kid, policy_);
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << kid;
    EXPECT_NE(r.status().message().find("without an active"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(Version(), before);
  EXPECT_EQ(keys_->Promote("rsa-1", policy_).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys_->Promote("nope", policy_).status().code(), StatusCode::kNotFound);

  // A next key may be withdrawn: it signed nothing and leaves at once.
  ASSERT_TRUE(keys_->Add(KeyUse::kOidc, {Key("RSA", "rsa-2"), ""}).ok());
  ASSERT_TRUE(keys_->Retire("rsa-2", policy_).ok());
  EXPECT_EQ((*keys_->Read())->Find("rsa-2"), nullptr);
}

TEST_F(SigningKeyStoreTest, RefusesKeysThatCannotServeTheirUse) {
  int64_t before = Version();
  EXPECT_EQ(keys_->Add(KeyUse::kOidc, {Key("EC", "rsa-1"), ""}).status().code(), StatusCode::kInvalidArgument);
  auto ec = Key("EC", "saml-ec");
  EXPECT_EQ(keys_->Add(KeyUse::kSaml, {ec, SelfSigned(*ec)}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(keys_->Add(KeyUse::kSaml, {Key("RSA", "saml-2"), ""}).status().code(), StatusCode::kInvalidArgument);
  auto other = keys_->Add(KeyUse::kSaml, {Key("RSA", "saml-3"), SelfSigned(*saml1_)});
  EXPECT_EQ(other.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.status().message().find("not the certificate of this key"), std::string::npos);
  EXPECT_EQ(Version(), before);
}

TEST_F(SigningKeyStoreTest, KeysAreSealedAndAWrongKekChangesNothingInUse) {
  auto raw = store_->Get(kSigningKeyNamespace, kSigningKeyRecord);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->find("PRIVATE KEY"), std::string::npos);

  SigningKeyStore other_kek(*store_, std::string(32, 'x'), clock_, SystemRandom());
  auto record = *other_kek.Read();
  EXPECT_EQ(other_kek.Open(record->keys[0]).status().code(), StatusCode::kUnauthenticated);

  // A key added under the wrong KEK does not open here: the watcher keeps
  // the keys in use and reports why.
  ASSERT_TRUE(other_kek.Add(KeyUse::kOidc, {Key("RSA", "rsa-2"), ""}).ok());
  auto before = JwksKids(*oidc_);
  Status st = watcher_->Refresh();
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated) << st.ToString();
  EXPECT_EQ(JwksKids(*oidc_), before);
}

TEST_F(SigningKeyStoreTest, DamagedRecordIsAnErrorNotACrash) {
  for (const char* bad : {"", "[]", "{\"version\":1}", "{\"version\":1,\"keys\":[{\"kid\":\"a\"}]}",
                          "{\"version\":1,\"keys\":[7]}"}) {
    ASSERT_TRUE(store_->Put(kSigningKeyNamespace, kSigningKeyRecord, bad, kNoExpiry).ok());
    EXPECT_EQ(keys_->Read().status().code(), StatusCode::kInternal) << bad;
    EXPECT_FALSE(watcher_->Refresh().ok()) << bad;
  }
  EXPECT_EQ(oidc_->ActiveFor(JwsAlg::kRS256)->kid(), "rsa-1");
}

TEST_F(SigningKeyStoreTest, ConcurrentWritersLoseNoChange) {
  std::vector<std::shared_ptr<SigningKey>> added;
  for (int i = 0; i < 8; ++i) added.push_back(Key("EC", ("ec-n" + std::to_string(i)).c_str()));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      SigningKeyStore writer(*store_, std::string(32, 'k'), clock_, SystemRandom());
      auto r = writer.Add(KeyUse::kOidc, {added[i], ""});
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  auto record = *keys_->Read();
  for (int i = 0; i < 8; ++i) EXPECT_NE(record->Find("ec-n" + std::to_string(i)), nullptr) << i;
}

TEST(SigningKekTest, ReadsHexAndNamesTheFileOnError) {
  auto dir = std::filesystem::temp_directory_path() / ("certme-kek-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto created = LoadOrCreateDevSigningKek(dir.string(), SystemRandom());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->size(), 32u);
  auto again = LoadOrCreateDevSigningKek(dir.string(), SystemRandom());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *created);
  auto missing = ReadSigningKek((dir / "nope").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  std::ofstream(dir / "short") << "abcd\n";
  auto bad = ReadSigningKek((dir / "short").string());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().find("abcd"), std::string::npos);  // never echoes the content
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace certme
