#include "idp/admin/password.h"

#include <gtest/gtest.h>

namespace certme::admin {
namespace {

// Small parameters keep the suite fast; the format is the same.
const PasswordHashParams kFast{.memory_kib = 1024, .iterations = 1, .parallelism = 1};

TEST(AdminPasswordTest, HashIsArgon2idAndVerifies) {
  FakeRandom random;
  auto h = HashPassword("correct horse battery", random, kFast);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(VerifyPassword(*h, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*h, "correct horse batterz"));
  EXPECT_FALSE(VerifyPassword(*h, ""));
}

TEST(AdminPasswordTest, DefaultParametersAreOwaspBaseline) {
  FakeRandom random;
  auto h = HashPassword("correct horse battery", random);
  ASSERT_TRUE(h.ok());
  EXPECT_NE(h->find("m=19456,t=2,p=1"), std::string::npos) << *h;
}

TEST(AdminPasswordTest, SaltDiffersPerHash) {
  FakeRandom random;
  auto a = HashPassword("correct horse battery", random, kFast);
  auto b = HashPassword("correct horse battery", random, kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(AdminPasswordTest, PolicyBoundsLength) {
  FakeRandom random;
  EXPECT_EQ(HashPassword("short", random, kFast).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HashPassword(std::string(300, 'a'), random, kFast).status().code(), StatusCode::kInvalidArgument);
  // Characters, not bytes: twelve Cyrillic letters pass.
  EXPECT_TRUE(CheckPasswordPolicy("пароль-длинн").ok());
}

TEST(AdminPasswordTest, MalformedHashesNeverVerify) {
  for (const std::string& bad : std::vector<std::string>{"", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$garbage",
                          std::string("$argon2id$\0x", 11), std::string(2000, '$')})
    EXPECT_FALSE(VerifyPassword(bad, "anything at all"));
}

}  // namespace
}  // namespace certme::admin
