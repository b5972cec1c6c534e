// The wallet inbox (docs/wallet-protocol.md §8b): the wallet API routes by
// which a wallet finds the logins a service started for its user (OIDC
// CIBA, protocols/oidc/ciba.cc) — no QR code, no browser.
//
//   GET  /wallet/v1/inbox/challenge  {"challenge":"0x…32 bytes","expires_in":60}: single use,
//                                    kept (hashed) for kInboxChallengeTtlSeconds
//   POST /wallet/v1/inbox            the signed InboxAccess (protocols/wallet/inbox.h);
//                                    answers {"requests":[{"document":{…§3…},
//                                    "binding_message":"…"}]} with every pending login
//                                    addressed to the eID, at once when there are any,
//                                    else when one arrives or after `wait` seconds
//                                    (long-poll, bounded); 503 on Drain()
//
// Each request document is the ordinary one (§3): the wallet answers it at
// /wallet/v1/requests/:code like a QR login, and the bridge takes that
// answer only from the eID the login is addressed to (§7 step 4,
// wallet::CheckAddressedTo). The code of an inbox login is never shown to
// anyone but that eID's holder; a code that expired unanswered is renewed
// when the inbox lists it again (the login itself lives requested_expiry).
//
// State in the Store: wallet_inbox (per eID, keyed by the SHA-256 of its
// address: the txns of its pending logins, pruned when they end) and
// wallet_inbox_challenge (the challenges' hashes). No personal data.
//
// Thread-safety: handlers may run concurrently; long-polls are answered from
// one waiter thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "common/rate_limiter.h"
#include "common/status.h"
#include "idp/login/wallet_authenticator.h"
#include "ledger-client/ledger.h"
#include "store/store.h"

namespace certme {

// Records the login `txn`, addressed to `eid` (EIP-55 text), in that eID's
// inbox until `expires_at` (WalletAuthenticator::Begin calls it).
Status AddInboxEntry(Store& store, const std::string& eid, const std::string& txn, int64_t expires_at, int64_t now);

struct WalletInboxOptions {
  // Challenges handed out per client address: a burst, refilled at this
  // many per second (each costs a Store write).
  int challenges_per_second = 2;
  int challenge_burst = 20;
  // How often a parked long-poll looks again (another replica may have
  // begun a login for the eID).
  Duration recheck = std::chrono::seconds(1);
};

class WalletInbox {
 public:
  // All references must outlive this object.
  WalletInbox(WalletInboxOptions options, WalletAuthenticator& wallet, Store& store, Ledger& ledger, Clock& clock,
              Random& random);
  ~WalletInbox();

  HttpResponse Challenge(const HttpRequest& req);
  void Poll(HttpRequest req, std::function<void(HttpResponse)> respond);
  // Answers every parked long-poll with 503 temporarily_unavailable and
  // parks no new one. Idempotent.
  void Drain();

  // The pending logins addressed to `eid` (20 raw bytes) as the inbox lists
  // them (tests; the POST after its checks).
  StatusOr<nlohmann::json> Pending(const std::string& eid);

  template <typename RouterT>
  void Mount(RouterT& router) {
    router.Handle("GET", "/wallet/v1/inbox/challenge", [this](const HttpRequest& r) { return Challenge(r); });
    router.HandleAsync("POST", "/wallet/v1/inbox", [this](HttpRequest r, std::function<void(HttpResponse)> respond) {
      Poll(std::move(r), std::move(respond));
    });
  }

 private:
  struct Waiter {
    std::string eid;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(HttpResponse)> respond;
  };
  void WaiterLoop();
  HttpResponse Listing(const nlohmann::json& requests) const;

  WalletInboxOptions options_;
  WalletAuthenticator& wallet_;
  Store& store_;
  Ledger& ledger_;
  Clock& clock_;
  Random& random_;
  RateLimiter challenges_by_ip_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;  // guarded by mu_
  bool stop_ = false;            // guarded by mu_
  std::mutex drain_mu_;
  std::thread thread_;
};

}  // namespace certme
