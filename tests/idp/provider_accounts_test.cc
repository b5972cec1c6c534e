// The server's provider accounts: hub mode's start-up (a missing or wrong
// key-encryption key stops it with one line naming the file), the migration
// of services registered before hub mode, and dedicated mode's key formats.
#include "idp/provider_accounts.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include <fstream>
#include <set>

#include "common/encoding.h"
#include "ledger-client/key_file.h"
#include "store/memory/memory_store.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

std::string WriteFile(const std::string& text) {
  std::string path = LedgerTestDir().NewFile(".key");
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Config HubConfig(const std::string& kek_file) {
  Config c;
  c.ledger.provider_accounts = kProviderAccountsHub;
  c.ledger.provider_kek_file = kek_file;
  return c;
}

// An unencrypted PEM private key on `curve`.
std::string PemKey(const char* curve) {
  EVP_PKEY* pkey = EVP_EC_gen(curve);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return out;
}

TEST(ProviderAccountsTest, ServicesRegisteredBeforeHubModeGetKeysOnceAtStart) {
  auto store = NewMemoryStore({});
  const std::string kek = WriteFile(std::string(64, '7') + "\n");
  auto keys = OpenProviderKeys(HubConfig(kek), *store);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  // An existing deployment: two OIDC clients and a SAML SP, no keys yet.
  const std::vector<std::string> ids = {"rp-one", "rp-two", "https://sp.example/metadata"};
  auto created = EnsureProviderKeys(**keys, ids);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, 3u);
  std::set<std::string> addresses;
  for (const auto& id : ids) addresses.insert(*(*keys)->Address(id));
  EXPECT_EQ(addresses.size(), 3u);
  // The next start changes nothing; a new registration gets only its own.
  auto reopened = OpenProviderKeys(HubConfig(kek), *store);
  ASSERT_TRUE(reopened.ok());
  auto again = EnsureProviderKeys(**reopened, {"rp-one", "rp-two", "https://sp.example/metadata", "rp-three"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1u);
  for (const auto& id : ids) EXPECT_EQ(addresses.count(*(*reopened)->Address(id)), 1u);
}

TEST(ProviderAccountsTest, AMissingOrWrongKekStopsTheStartNamingTheFile) {
  auto store = NewMemoryStore({});
  const std::string kek = WriteFile(std::string(64, '7'));
  ASSERT_TRUE(EnsureProviderKeys(**OpenProviderKeys(HubConfig(kek), *store), {"rp-one"}).ok());

  const std::string missing = LedgerTestDir().NewFile(".kek");
  auto none = OpenProviderKeys(HubConfig(missing), *store);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().ToString().find(missing), std::string::npos) << none.status().ToString();
  EXPECT_EQ(none.status().ToString().find('\n'), std::string::npos);

  const std::string other = WriteFile(std::string(64, '8'));
  auto wrong = OpenProviderKeys(HubConfig(other), *store);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().ToString().find(other), std::string::npos) << wrong.status().ToString();
  EXPECT_EQ(wrong.status().ToString().find('\n'), std::string::npos);

  auto garbage = OpenProviderKeys(HubConfig(WriteFile("not a key")), *store);
  ASSERT_FALSE(garbage.ok());
}

TEST(ProviderAccountsTest, DedicatedModeReadsJsonPemAndRefusesOtherCurves) {
  auto store = NewMemoryStore({});
  Config c;  // dedicated by default
  EthKey key = EthKey::Generate();
  c.ledger.provider_key_file = LedgerTestDir().NewFile(".key");
  ASSERT_TRUE(WriteServiceKeyFile(c.ledger.provider_key_file, key).ok());
  auto json_keys = OpenProviderKeys(c, *store);
  ASSERT_TRUE(json_keys.ok()) << json_keys.status().ToString();
  EXPECT_TRUE((*json_keys)->Dedicated());
  EXPECT_EQ(*(*json_keys)->Address("any-service"), key.address());
  // Nothing goes to the store in dedicated mode.
  EXPECT_TRUE(EnsureProviderKeys(**json_keys, {"rp"}).ok());
  EXPECT_TRUE(store->List(kProviderKeyNamespace)->empty());

  c.ledger.provider_key_file = WriteFile(PemKey("secp256k1"));
  auto pem = OpenProviderKeys(c, *store);
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  EXPECT_EQ((*pem)->Address("x")->size(), 20u);

  c.ledger.provider_key_file = WriteFile(PemKey("P-256"));
  auto p256 = OpenProviderKeys(c, *store);
  ASSERT_FALSE(p256.ok());
  EXPECT_NE(p256.status().ToString().find("secp256k1"), std::string::npos);

  c.ledger.provider_key_file = LedgerTestDir().NewFile(".absent");
  EXPECT_FALSE(OpenProviderKeys(c, *store).ok());
}

// A PKCS#12 bundle (DER) holding `pkey` alone, sealed with `password`.
std::string Pkcs12Of(EVP_PKEY* pkey, const char* password) {
  PKCS12* p12 = PKCS12_create(password, "provider", pkey, nullptr, nullptr, 0, 0, 0, 0, 0);
  EXPECT_NE(p12, nullptr);
  if (!p12) return "";
  unsigned char* der = nullptr;
  int n = i2d_PKCS12(p12, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n > 0 ? n : 0));
  OPENSSL_free(der);
  PKCS12_free(p12);
  return out;
}

// Dedicated mode from a PKCS#12 file whose password is in the environment
// variable ledger.provider_key_password_env names: the same account as the
// key's PEM; a wrong password or an unset variable stops the start with a
// message that names the setting and never the password.
TEST(ProviderAccountsTest, DedicatedModeReadsAPasswordProtectedPkcs12Bundle) {
  auto store = NewMemoryStore({});
  EVP_PKEY* pkey = EVP_EC_gen("secp256k1");
  ASSERT_NE(pkey, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long pem_size = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(pem_size));
  BIO_free(bio);
  const std::string p12 = Pkcs12Of(pkey, "correct horse");
  EVP_PKEY_free(pkey);

  Config c;
  c.ledger.provider_key_file = WriteFile(pem);
  auto from_pem = OpenProviderKeys(c, *store);
  ASSERT_TRUE(from_pem.ok()) << from_pem.status().ToString();
  const std::string address = *(*from_pem)->Address("any-service");

  c.ledger.provider_key_file = WriteFile(p12);
  c.ledger.provider_key_password_env = "CERTME_TEST_PROVIDER_P12_PASSWORD";
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "CERTME_TEST_PROVIDER_P12_PASSWORD") return "correct horse";
    return std::nullopt;
  };
  auto keys = OpenProviderKeys(c, *store, env);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE((*keys)->Dedicated());
  EXPECT_EQ(*(*keys)->Address("any-service"), address);
  EXPECT_EQ((*keys)->Key("rp")->address(), address);

  auto wrong = OpenProviderKeys(c, *store, [](std::string_view) { return std::optional<std::string>("battery"); });
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().ToString().find("ledger.provider_key_file"), std::string::npos) << wrong.status().ToString();
  EXPECT_EQ(wrong.status().ToString().find("battery"), std::string::npos) << "the password in a message";

  auto unset = OpenProviderKeys(c, *store, [](std::string_view) { return std::optional<std::string>(); });
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.status().ToString().find("CERTME_TEST_PROVIDER_P12_PASSWORD"), std::string::npos)
      << unset.status().ToString();

  // A bundle on another curve is refused like its PEM.
  EVP_PKEY* p256 = EVP_EC_gen("P-256");
  c.ledger.provider_key_file = WriteFile(Pkcs12Of(p256, "correct horse"));
  EVP_PKEY_free(p256);
  auto other = OpenProviderKeys(c, *store, env);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().ToString().find("secp256k1"), std::string::npos) << other.status().ToString();
}

}  // namespace
}  // namespace certme
