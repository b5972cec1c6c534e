#include "idp/ciba_mount.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/random.h"

namespace certme {

namespace {

// CIBA §10.2: POST {"auth_req_id": …} as JSON with the client's
// client_notification_token as a bearer token.
class OutboxCibaNotifier : public CibaNotifier {
 public:
  explicit OutboxCibaNotifier(Outbox& outbox) : outbox_(outbox) {}
  void Ping(const std::string& client_id, const std::string& endpoint, const std::string& bearer,
            const std::string& auth_req_id) override {
    Status st = outbox_.Post({.url = endpoint,
                              .body = nlohmann::json{{"auth_req_id", auth_req_id}}.dump(),
                              .content_type = "application/json",
                              .authorization = "Bearer " + bearer});
    if (!st.ok()) LogWarn("CIBA ping not queued", {{"client_id", client_id}, {"error", st.ToString()}});
  }

 private:
  Outbox& outbox_;
};

}  // namespace

CibaMount::CibaMount(Router& router, OidcProvider& oidc, WalletAuthenticator& wallet, Store& store, Ledger& ledger,
                     Outbox& outbox)
    : notifier_(std::make_unique<OutboxCibaNotifier>(outbox)),
      inbox_(std::make_unique<WalletInbox>(WalletInboxOptions{}, wallet, store, ledger, SystemClock(), SystemRandom())) {
  oidc.SetCibaNotifier(notifier_.get());
  wallet.SetOutcomeListener([&oidc](const std::string& txn) { oidc.CibaLoginEnded(txn); });
  inbox_->Mount(router);
}

}  // namespace certme
