// The provider key store: keys sealed at rest under the KEK, bound to their
// service, refused under another KEK; the dedicated single key; KEK files.
#include "protocols/provider_keys.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "common/encoding.h"
#include "common/random.h"
#include "store/memory/memory_store.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

const std::string kKek(32, '\x11');
const std::string kOtherKek(32, '\x22');

class ProviderKeysTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> store_ = NewMemoryStore({});
  std::unique_ptr<ProviderKeys> keys_ = NewStoreProviderKeys(*store_, kKek, SystemRandom());
};

TEST_F(ProviderKeysTest, EachServiceGetsItsOwnKeyOnceAndForAll) {
  EXPECT_EQ(keys_->Key("rp-a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(keys_->Address("rp-a").status().code(), StatusCode::kNotFound);
  auto a = keys_->Ensure("rp-a");
  auto b = keys_->Ensure("https://sp.example/metadata");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->address(), b->address());
  EXPECT_FALSE(keys_->Dedicated());
  // The same key on every later call, and from another instance (replica)
  // over the same store and KEK.
  auto again = NewStoreProviderKeys(*store_, kKek, SystemRandom())->Key("rp-a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->PrivateKeyHex(), a->PrivateKeyHex());
  EXPECT_EQ(keys_->Ensure("rp-a")->address(), a->address());
  EXPECT_EQ(*keys_->Address("rp-a"), a->address());
  ASSERT_TRUE(keys_->Remove("rp-a").ok());
  EXPECT_EQ(keys_->Key("rp-a").status().code(), StatusCode::kNotFound);
}

TEST_F(ProviderKeysTest, TheStoreNeverHoldsTheRawKey) {
  auto a = keys_->Ensure("rp-a");
  ASSERT_TRUE(a.ok());
  auto record = store_->Get(kProviderKeyNamespace, "rp-a");
  ASSERT_TRUE(record.ok());
  const std::string hex = a->PrivateKeyHex().substr(2);
  const std::string raw = *HexDecode(hex);
  EXPECT_EQ(record->find(hex), std::string::npos);
  EXPECT_EQ(record->find(raw), std::string::npos);
  EXPECT_EQ(record->find(Base64UrlEncode(raw)), std::string::npos);
  EXPECT_EQ(record->find(Base64Encode(raw)), std::string::npos);
  // The address is there (listings need no decryption).
  EXPECT_NE(record->find(a->AddressHex()), std::string::npos);
}

TEST_F(ProviderKeysTest, AnotherKekOpensNothingAndStartUpSaysWhichFile) {
  ASSERT_TRUE(keys_->Ensure("rp-a").ok());
  auto wrong = NewStoreProviderKeys(*store_, kOtherKek, SystemRandom());
  EXPECT_EQ(wrong->Key("rp-a").status().code(), StatusCode::kUnauthenticated);
  // Ensure does not paper over it with a new key.
  EXPECT_EQ(wrong->Ensure("rp-a").status().code(), StatusCode::kUnauthenticated);
  Status st = CheckProviderKeys(*store_, *wrong, "/etc/certme/provider.kek");
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_NE(st.message().find("/etc/certme/provider.kek"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("rp-a"), std::string::npos);
  EXPECT_TRUE(CheckProviderKeys(*store_, *keys_, "k").ok());
}

TEST_F(ProviderKeysTest, ARecordMovedToAnotherServiceOrAlteredDoesNotOpen) {
  ASSERT_TRUE(keys_->Ensure("rp-a").ok());
  std::string record = *store_->Get(kProviderKeyNamespace, "rp-a");
  // Copied under another service's name: the sealed key is bound to rp-a.
  ASSERT_TRUE(store_->Put(kProviderKeyNamespace, "rp-b", record, kNoExpiry).ok());
  EXPECT_EQ(keys_->Key("rp-b").status().code(), StatusCode::kUnauthenticated);
  // One flipped character in the sealed key.
  auto p = record.find("\"sealed\":\"") + 12;
  record[p] = record[p] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(store_->Put(kProviderKeyNamespace, "rp-a", record, kNoExpiry).ok());
  EXPECT_FALSE(keys_->Key("rp-a").ok());
  // Not JSON at all.
  ASSERT_TRUE(store_->Put(kProviderKeyNamespace, "rp-c", "garbage", kNoExpiry).ok());
  EXPECT_EQ(keys_->Key("rp-c").status().code(), StatusCode::kInternal);
  EXPECT_FALSE(keys_->Key("").ok());
}

TEST_F(ProviderKeysTest, ConcurrentEnsureEndsWithOneKey) {
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      auto k = NewStoreProviderKeys(*store_, kKek, SystemRandom())->Ensure("rp-race");
      if (k.ok()) got[i] = k->address();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 1u);
  EXPECT_FALSE(got[0].empty());
}

TEST(SingleProviderKeyTest, EveryServiceIsTheConfiguredKey) {
  EthKey key = EthKey::Generate();
  auto keys = NewSingleProviderKey(key);
  EXPECT_TRUE(keys->Dedicated());
  EXPECT_EQ(keys->Key("a")->address(), key.address());
  EXPECT_EQ(keys->Ensure("b")->address(), key.address());
  EXPECT_EQ(*keys->Address("c"), key.address());
}

TEST(KekFileTest, ReadsHexAndRefusesAnythingElseWithoutEchoingIt) {
  LedgerTempDir dir;
  const std::string base = dir.path().string();
  auto write = [&](const std::string& name, const std::string& text) {
    std::string path = base + "/" + name;
    std::ofstream(path) << text;
    return path;
  };
  const std::string hex(64, 'a');
  auto ok = ReadKekFile(write("ok", "  0x" + hex + "\n"));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, std::string(32, '\xaa'));
  auto missing = ReadKekFile(base + "/none");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(base + "/none"), std::string::npos);
  const std::string secretish = "correct horse battery staple";
  auto bad = ReadKekFile(write("bad", secretish));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().ToString().find(secretish), std::string::npos);
  EXPECT_FALSE(ReadKekFile(write("short", std::string(62, 'a'))).ok());
}

}  // namespace
}  // namespace certme
