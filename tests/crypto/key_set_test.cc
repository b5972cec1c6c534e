// KeySet rotation states and the JWKS they publish.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "crypto/jose.h"
#include "tests/crypto/test_keys.h"

namespace certme {
namespace {

using testing::Keys;
using namespace std::chrono_literals;

std::set<std::string> JwksKids(const KeySet& ks) {
  std::set<std::string> out;
  const nlohmann::json jwks = ks.Jwks();
  for (const auto& k : jwks["keys"]) out.insert(k["kid"].get<std::string>());
  return out;
}

std::set<std::string> VerificationKids(const KeySet& ks) {
  std::set<std::string> out;
  for (const auto& k : ks.VerificationKeys()) out.insert(k->kid());
  return out;
}

std::shared_ptr<SigningKey> NewKey(const char* kty, const char* kid) {
  auto k = GenerateSigningKey(kty, kid);
  EXPECT_TRUE(k.ok());
  return *k;
}

TEST(KeySetTest, ActiveForPicksTheActiveKeyOfTheRightType) {
  FakeClock clock;
  KeySet ks(&clock);
  ks.Add(Keys().rsa, KeySet::State::kActive);
  ks.Add(Keys().ec, KeySet::State::kActive);
  ks.Add(Keys().ec2, KeySet::State::kNext);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kRS256), Keys().rsa);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kPS256), Keys().rsa);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kES256), Keys().ec);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kEdDSA), nullptr);
  EXPECT_EQ(ks.SigningAlgs(),
            (std::vector<JwsAlg>{JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256}));
}

TEST(KeySetTest, JwksPublishesNextActiveAndUnexpiredRetired) {
  FakeClock clock;
  KeySet ks(&clock);
  const TimePoint now = clock.Now();
  ks.Add(Keys().ec, KeySet::State::kActive);
  ks.Add(Keys().ec2, KeySet::State::kNext);
  ks.Add(NewKey("EC", "old-live"), KeySet::State::kRetired, now + 10min);
  ks.Add(NewKey("EC", "old-dead"), KeySet::State::kRetired, now - 1ms);
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"ec-1", "ec-2", "old-live"}));
  // A next key has signed nothing: not a verification key.
  EXPECT_EQ(VerificationKids(ks), (std::set<std::string>{"ec-1", "old-live"}));

  clock.Advance(10min);  // retire_after is exclusive
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"ec-1", "ec-2"}));
  EXPECT_EQ(VerificationKids(ks), (std::set<std::string>{"ec-1"}));

  // Only public members are published.
  const nlohmann::json jwks = ks.Jwks();
  ASSERT_EQ(jwks["keys"].size(), 2u);
  for (const auto& k : jwks["keys"]) {
    EXPECT_EQ(k["kty"], "EC");
    EXPECT_FALSE(k.contains("d"));
  }
}

TEST(KeySetTest, RotatePromotesNextAndRetiresActive) {
  FakeClock clock;
  KeySet ks(&clock);
  auto k1 = NewKey("EC", "k1");
  auto k2 = NewKey("EC", "k2");
  ks.Add(k1, KeySet::State::kActive);
  ks.Add(Keys().rsa, KeySet::State::kActive);

  // Nothing published as next yet: rotation must not happen.
  EXPECT_EQ(ks.Rotate(JwsAlg::kES256, 1h).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kES256), k1);

  ks.Add(k2, KeySet::State::kNext);
  auto old_token = SignJwt(*ks.ActiveFor(JwsAlg::kES256), JwsAlg::kES256, nlohmann::json{{"sub", "a"}});
  ASSERT_TRUE(old_token.ok());

  ASSERT_TRUE(ks.Rotate(JwsAlg::kES256, 1h).ok());
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kES256), k2);
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kRS256), Keys().rsa);  // other algorithms untouched
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"k1", "k2", "rsa-1"}));
  // Tokens signed before the rotation still verify while k1 is retired…
  EXPECT_TRUE(VerifyJwt(*old_token, ks.VerificationKeys(), {JwsAlg::kES256}).ok());

  clock.Advance(59min);
  EXPECT_TRUE(VerifyJwt(*old_token, ks.VerificationKeys(), {JwsAlg::kES256}).ok());
  // …and stop verifying once it is unpublished.
  clock.Advance(1min);
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"k2", "rsa-1"}));
  EXPECT_FALSE(VerifyJwt(*old_token, ks.VerificationKeys(), {JwsAlg::kES256}).ok());

  // A second rotation needs a new next key.
  EXPECT_EQ(ks.Rotate(JwsAlg::kES256, 1h).code(), StatusCode::kFailedPrecondition);
}

TEST(KeySetTest, RotatePromotesTheOldestNextKey) {
  FakeClock clock;
  KeySet ks(&clock);
  auto a = NewKey("OKP", "a"), b = NewKey("OKP", "b"), c = NewKey("OKP", "c");
  ks.Add(a, KeySet::State::kActive);
  ks.Add(b, KeySet::State::kNext);
  ks.Add(c, KeySet::State::kNext);
  ASSERT_TRUE(ks.Rotate(JwsAlg::kEdDSA, 5min).ok());
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kEdDSA), b);
  ASSERT_TRUE(ks.Rotate(JwsAlg::kEdDSA, 5min).ok());
  EXPECT_EQ(ks.ActiveFor(JwsAlg::kEdDSA), c);
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"a", "b", "c"}));
  clock.Advance(5min);
  EXPECT_EQ(JwksKids(ks), (std::set<std::string>{"c"}));
}

TEST(KeySetTest, CopiesShareState) {
  FakeClock clock;
  KeySet ks(&clock);
  KeySet view = ks;
  ks.Add(Keys().ed, KeySet::State::kActive);
  EXPECT_EQ(view.ActiveFor(JwsAlg::kEdDSA), Keys().ed);
}

}  // namespace
}  // namespace certme
