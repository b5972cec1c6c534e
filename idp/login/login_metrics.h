// What the login step reports to /metrics (idp/http/metrics.h):
//
//   certme_logins_total{protocol,service,outcome}        counter: login attempts that ended.
//       protocol: oidc | saml; service: the registered client_id or SAML entity ID
//       the login is for (the protocol checked it before the login began);
//       outcome: ok | refused | eid_suspended | eid_revoked | validator_timeout |
//       service_not_authorized | expired | failed. One attempt is one QR code:
//       "Try again" after an expired or failed code starts another.
//   certme_wallet_login_step_seconds{step}               histogram:
//       scan     the QR code made → the wallet fetched the request document (each fetch)
//       approve  the QR code made → the wallet's answer claimed it (the user decided)
//       checks   the bridge's checks of an answer (docs/wallet-protocol.md §7),
//                the validation request included, the validator's wait excluded
//       complete the login's result read and saved once the answer was accepted
//   certme_validator_answer_seconds{outcome}             histogram: validation
//       requested → the validator's answer on the ledger; outcome answered |
//       timeout | failed.
//
// Label values come from fixed sets or from the service registry, never from
// a request. Thread-safe; the series are bound up front except the logins'
// (one per service and outcome, looked up under a short lock once per login).
//
// The login libraries see only this interface (they do not link the HTTP
// layer); NewLoginMetrics, in its own library, records into /metrics.
#pragma once

#include <memory>
#include <string_view>

namespace certme {

class Metrics;

class LoginMetrics {
 public:
  virtual ~LoginMetrics() = default;

  enum class Step { kScan, kApprove, kChecks, kComplete };

  // An attempt ended with `outcome` (a wallet::kOutcome* / kLoginError* value
  // or "ok"; anything else counts as "failed").
  virtual void LoginEnded(std::string_view protocol, std::string_view service, std::string_view outcome) = 0;
  virtual void StepTook(Step step, double seconds) = 0;
  // `outcome`: "answered", "timeout" or "failed".
  virtual void ValidatorAnswered(std::string_view outcome, double seconds) = 0;
};

// The outcome label for a login's outcome: one of the fixed set above.
std::string_view LoginOutcomeLabel(std::string_view outcome);

// Registers the families on `metrics`, which must outlive the result.
std::unique_ptr<LoginMetrics> NewLoginMetrics(Metrics& metrics);

}  // namespace certme
