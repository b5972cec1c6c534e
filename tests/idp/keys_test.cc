#include "idp/keys.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace certme {
namespace {

class KeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("certme-keys-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

EnvLookup NoEnv() {
  return [](std::string_view) { return std::optional<std::string>(); };
}

TEST_F(KeysTest, DevKeysAreCreatedPrivateAndReused) {
  auto first = LoadOrCreateDevKeySet(dir_.string());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto algs = (*first)->SigningAlgs();
  for (JwsAlg a : {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256, JwsAlg::kEdDSA})
    EXPECT_NE(std::find(algs.begin(), algs.end(), a), algs.end()) << JwsAlgName(a);
  struct stat st {};
  ASSERT_EQ(stat((dir_ / "dev-ec.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = LoadOrCreateDevKeySet(dir_.string());
  ASSERT_TRUE(second.ok());
  // Same keys after a restart: the published JWKS is identical.
  EXPECT_EQ((*first)->Jwks(), (*second)->Jwks());
}

TEST_F(KeysTest, PasswordFileGivesItsFirstLineWithoutTheLineEnd) {
  std::filesystem::create_directories(dir_);
  const auto path = (dir_ / "password").string();
  std::ofstream(path) << "s3cret pass\r\nsecond line\n";
  auto password = ReadPasswordFile(path);
  ASSERT_TRUE(password.ok()) << password.status().ToString();
  EXPECT_EQ(password->reveal(), "s3cret pass");

  auto missing = ReadPasswordFile((dir_ / "absent").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("absent"), std::string::npos) << missing.status().message();
}

TEST_F(KeysTest, LoadsConfiguredPemKeysWithStates) {
  std::filesystem::create_directories(dir_);
  auto ec = GenerateSigningKey("EC", "ec-1");
  auto ec_next = GenerateSigningKey("EC", "ec-2");
  ASSERT_TRUE(ec.ok() && ec_next.ok());
  std::ofstream(dir_ / "a.pem") << *SigningKeyToPem(**ec);
  std::ofstream(dir_ / "b.pem") << *SigningKeyToPem(**ec_next);
  std::vector<KeySpec> specs = {
      {.kid = "ec-1", .alg = "ES256", .pem_file = (dir_ / "a.pem").string(), .state = "active"},
      {.kid = "ec-2", .alg = "ES256", .pem_file = (dir_ / "b.pem").string(), .state = "next"},
  };
  auto set = LoadKeySet(specs, NoEnv());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto active = (*set)->ActiveFor(JwsAlg::kES256);
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->kid(), "ec-1");
  // The next key is published before it signs.
  EXPECT_EQ((*set)->Jwks()["keys"].size(), 2u);
}

TEST_F(KeysTest, ReportsEveryBadKeyAtOnce) {
  std::vector<KeySpec> specs = {
      {.kid = "missing", .pem_file = (dir_ / "nope.pem").string()},
      {.kid = "both", .pem_file = "x.pem", .p12_file = "x.p12"},
      {.kid = "", .pem_file = "y.pem"},
      {.kid = "state", .pem_file = "z.pem", .state = "later"},
      {.kid = "p12", .p12_file = "k.p12", .password_env = "CERTME_TEST_UNSET_PASSWORD"},
  };
  auto set = LoadKeySet(specs, NoEnv());
  ASSERT_FALSE(set.ok());
  const std::string& m = set.status().message();
  EXPECT_NE(m.find("keys.signing[0] (kid \"missing\")"), std::string::npos) << m;
  EXPECT_NE(m.find("exactly one of pem_file and p12_file"), std::string::npos) << m;
  EXPECT_NE(m.find("kid is required"), std::string::npos) << m;
  EXPECT_NE(m.find("next, active or retired"), std::string::npos) << m;
  EXPECT_NE(m.find("CERTME_TEST_UNSET_PASSWORD is not set"), std::string::npos) << m;
}

TEST_F(KeysTest, RefusesKeyThatCannotSignItsAlg) {
  std::filesystem::create_directories(dir_);
  auto ec = GenerateSigningKey("EC", "ec-1");
  ASSERT_TRUE(ec.ok());
  std::ofstream(dir_ / "a.pem") << *SigningKeyToPem(**ec);
  auto set = LoadKeySet({{.kid = "ec-1", .alg = "RS256", .pem_file = (dir_ / "a.pem").string()}}, NoEnv());
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("cannot sign RS256"), std::string::npos);
}

}  // namespace
}  // namespace certme
