// What the wallet login reports to /metrics (idp/login/login_metrics.h):
// each attempt's outcome by protocol and service, the steps' times and the
// validator's answer time, driven through the real login against the
// embedded ledger and an in-process validator.
#include "idp/login/login_metrics.h"

#include <gtest/gtest.h>

#include "idp/http/metrics.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

class LoginMetricsTest : public WalletLoginTest {
 protected:
  void SetUp() override {
    WalletLoginTest::SetUp();
    login_metrics_ = NewLoginMetrics(metrics_);
    auth_->SetMetrics(login_metrics_.get());
  }
  void TearDown() override {
    WalletLoginTest::TearDown();  // the authenticator goes before its metrics
    login_metrics_.reset();
  }
  // The families as registered (a second registration returns them).
  double Logins(const std::string& outcome, const std::string& service = "demo-rp") {
    return metrics_.NewCounter("certme_logins_total", "", {"protocol", "service", "outcome"})
        .Value({"oidc", service, outcome});
  }
  uint64_t Steps(const std::string& step) {
    return metrics_.NewHistogram("certme_wallet_login_step_seconds", "", {"step"}).Count({step});
  }
  uint64_t Validator(const std::string& outcome) {
    return metrics_.NewHistogram("certme_validator_answer_seconds", "", {"outcome"}).Count({outcome});
  }

  Metrics metrics_;
  std::unique_ptr<LoginMetrics> login_metrics_;
};

TEST_F(LoginMetricsTest, ALoginCountsItsOutcomeStepsAndTheValidatorsAnswer) {
  std::string code = CodeOnPage(Begin());
  EXPECT_EQ(Steps("scan"), 0u);
  ASSERT_EQ(Doc(code).status, 200);
  EXPECT_EQ(Steps("scan"), 1u);  // each fetch of the request document
  ASSERT_EQ(Post(code, Answer(code)).status, 200);
  EXPECT_EQ(Logins("ok"), 1);
  EXPECT_EQ(Validator("answered"), 1u);
  EXPECT_EQ(Validator("timeout"), 0u);
  for (const char* step : {"approve", "checks", "complete"}) EXPECT_EQ(Steps(step), 1u) << step;
  // A re-login needs no validator: counted, with no validator answer.
  std::string code2 = CodeOnPage(Begin());
  ASSERT_EQ(Post(code2, Answer(code2)).status, 200);
  EXPECT_EQ(Logins("ok"), 2);
  EXPECT_EQ(Validator("answered"), 1u);
  EXPECT_EQ(Steps("complete"), 2u);
  // Another service is its own series.
  std::string code3 = CodeOnPage(Begin(kAsked, "ro", "other-rp"));
  ASSERT_EQ(Post(code3, Answer(code3)).status, 200);
  EXPECT_EQ(Logins("ok", "other-rp"), 1);
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("certme_logins_total{protocol=\"oidc\",service=\"demo-rp\",outcome=\"ok\"} 2\n"),
            std::string::npos)
      << text;
}

TEST_F(LoginMetricsTest, ARefusalIsCountedAsRefused) {
  std::string code = CodeOnPage(Begin());
  ASSERT_EQ(Post(code, Refusal(code)).status, 200);
  EXPECT_EQ(Logins("refused"), 1);
  EXPECT_EQ(Logins("ok"), 0);
  EXPECT_EQ(Validator("answered") + Validator("timeout") + Validator("failed"), 0u);
}

TEST_F(LoginMetricsTest, ASilentValidatorIsATimeoutInBothFamilies) {
  validator_->answering = false;
  std::string code = CodeOnPage(Begin());
  EXPECT_EQ(ErrorOf(Post(code, Answer(code))), "validator_timeout");
  EXPECT_EQ(Logins("validator_timeout"), 1);
  EXPECT_EQ(Validator("timeout"), 1u);
  EXPECT_EQ(Validator("answered"), 0u);
  // The wait is what the histogram measured (answer_timeout is 1.5 s here).
  const std::string text = metrics_.Render();
  const std::string sum = "certme_validator_answer_seconds_sum{outcome=\"timeout\"} ";
  size_t at = text.find(sum);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(text.substr(at + sum.size())), 1.4);
}

TEST_F(LoginMetricsTest, AnswersThatFailTheChecksEndNoAttempt) {
  std::string code = CodeOnPage(Begin());
  EXPECT_NE(Post(code, "{}").status, 200);  // the code stays open
  EXPECT_EQ(Logins("failed"), 0);
  EXPECT_EQ(Steps("checks"), 1u);
  EXPECT_EQ(Steps("approve"), 0u);
}

TEST(LoginOutcomeLabel, IsOneOfTheFixedSet) {
  for (const char* o : {"ok", "refused", "eid_suspended", "eid_revoked", "validator_timeout",
                        "service_not_authorized", "expired", "failed"})
    EXPECT_EQ(LoginOutcomeLabel(o), o);
  EXPECT_EQ(LoginOutcomeLabel("unknown"), "failed");
  EXPECT_EQ(LoginOutcomeLabel(""), "failed");
  EXPECT_EQ(LoginOutcomeLabel("OK"), "failed");
}

}  // namespace
}  // namespace certme
