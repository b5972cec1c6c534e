#include "idp/login/login_metrics.h"

#include "idp/http/metrics.h"
#include "protocols/login.h"

namespace certme {
namespace {

// People take seconds to scan and approve; the bridge's own steps take
// milliseconds: one set of buckets covers both.
std::vector<double> StepBuckets() { return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120}; }

// A validator daemon answers within seconds; login.answer_timeout_seconds
// (default 30) ends the wait.
std::vector<double> ValidatorBuckets() { return {0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 120}; }

class PrometheusLoginMetrics final : public LoginMetrics {
 public:
  explicit PrometheusLoginMetrics(Metrics& m);
  void LoginEnded(std::string_view protocol, std::string_view service, std::string_view outcome) override;
  void StepTook(Step step, double seconds) override;
  void ValidatorAnswered(std::string_view outcome, double seconds) override;

 private:
  Counter& logins_;
  Histogram::Series* steps_[4];
  Histogram::Series* answered_;
  Histogram::Series* timeout_;
  Histogram::Series* failed_;
};

PrometheusLoginMetrics::PrometheusLoginMetrics(Metrics& m)
    : logins_(m.NewCounter("certme_logins_total", "Login attempts that ended, by protocol, service and outcome.",
                           {"protocol", "service", "outcome"})) {
  Histogram& steps = m.NewHistogram("certme_wallet_login_step_seconds",
                                    "Wallet login steps: scan and approve (the user's), checks and complete "
                                    "(the bridge's).",
                                    {"step"}, StepBuckets());
  steps_[0] = steps.Bind({"scan"});
  steps_[1] = steps.Bind({"approve"});
  steps_[2] = steps.Bind({"checks"});
  steps_[3] = steps.Bind({"complete"});
  Histogram& v = m.NewHistogram("certme_validator_answer_seconds",
                                "Time from a validation request to the validator's answer on the ledger, by outcome.",
                                {"outcome"}, ValidatorBuckets());
  answered_ = v.Bind({"answered"});
  timeout_ = v.Bind({"timeout"});
  failed_ = v.Bind({"failed"});
}

}  // namespace

std::string_view LoginOutcomeLabel(std::string_view o) {
  static constexpr std::string_view kKnown[] = {"ok",
                                                kLoginErrorRefused,
                                                kLoginErrorEidSuspended,
                                                kLoginErrorEidRevoked,
                                                kLoginErrorValidatorTimeout,
                                                kLoginErrorServiceNotAuthorized,
                                                "expired"};
  for (std::string_view k : kKnown)
    if (o == k) return k;
  return "failed";
}

namespace {

void PrometheusLoginMetrics::LoginEnded(std::string_view protocol, std::string_view service, std::string_view outcome) {
  std::string_view p = protocol == "oidc" || protocol == "saml" ? protocol : std::string_view("other");
  logins_.Inc({std::string(p), std::string(service), std::string(LoginOutcomeLabel(outcome))});
}

void PrometheusLoginMetrics::StepTook(Step step, double seconds) { steps_[static_cast<int>(step)]->Observe(seconds); }

void PrometheusLoginMetrics::ValidatorAnswered(std::string_view outcome, double seconds) {
  (outcome == "answered" ? answered_ : outcome == "timeout" ? timeout_ : failed_)->Observe(seconds);
}

}  // namespace

std::unique_ptr<LoginMetrics> NewLoginMetrics(Metrics& metrics) {
  return std::make_unique<PrometheusLoginMetrics>(metrics);
}

}  // namespace certme
