// Where a wallet login stands, as the browser sees it: the state machine of
// docs/wallet-protocol.md §8, the long-poll that reports it and the renewal
// of an expired QR code (WalletAuthenticator's members).
//
//   waiting ──(wallet fetches the request)──▶ opened ──(answer passes the
//   signature checks)──▶ approved ──(first login: consent on the ledger)──▶
//   validating ──▶ done
//   any open state ──▶ refused | eid_suspended | eid_revoked |
//                      validator_timeout | failed | service_not_authorized
//   waiting/opened ──(code lifetime over)──▶ code_expired ──(renew)──▶ waiting
//   any open state ──(login lifetime over)──▶ expired
// An unknown txn is "unknown" at once. The txn is the login's unguessable
// 256-bit capability, known only to the browser that began it; every
// answer for a txn that does not exist (never, or any more) is the same.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "idp/login/qr_svg.h"
#include "idp/login/wallet_authenticator.h"
#include "idp/login/wallet_pages.h"
#include "protocols/wallet/link.h"
#include "protocols/wallet/vocabulary.h"

namespace certme {

using nlohmann::json;
namespace wl = wallet_login;

namespace {

bool ValidTxn(const std::optional<std::string>& txn) { return txn && !txn->empty() && txn->size() <= 256; }

}  // namespace

WalletAuthenticator::LoginStatus WalletAuthenticator::LoginStatusOf(std::string_view txn) {
  LoginStatus s;
  s.state = wl::kStateUnknown;
  s.terminal = true;
  auto t = LoadTxn(txn);
  if (!t.ok()) return s;
  const int64_t now = clock_.NowUnixSeconds();
  if (std::string outcome = Outcome(txn); !outcome.empty()) {
    s.state = outcome == wallet::kOutcomeOk ? wl::kStateDone : outcome;
    return s;
  }
  auto request = LoadLoginRequest(store_, txn);
  if (!request.ok() || request->expires_at <= now) {
    s.state = wallet::kOutcomeExpired;
    return s;
  }
  s.terminal = false;
  s.login_expires_in = request->expires_at - now;
  s.code_expires_in = std::max<int64_t>(t->expiry - now, 0);
  std::string progress = Progress(txn);
  // Once the wallet has answered, the code's own expiry no longer matters.
  if (progress == wl::kStateApproved || progress == wl::kStateValidating) {
    s.state = progress;
  } else if (t->expiry <= now) {
    s.state = wl::kStateCodeExpired;
  } else {
    s.state = progress == wl::kStateOpened ? wl::kStateOpened : wl::kStateWaiting;
  }
  return s;
}

HttpResponse WalletAuthenticator::StatusResponse(const LoginStatus& s) {
  HttpResponse r = HttpResponse::Json(200, json{{wallet::kFieldState, s.state},
                                                {"code_expires_in", s.code_expires_in},
                                                {"login_expires_in", s.login_expires_in}}
                                               .dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

void WalletAuthenticator::StatusPoll(HttpRequest req, std::function<void(HttpResponse)> respond) {
  auto txn = req.Query("txn");
  if (!txn || txn->empty()) {
    respond(ErrorResponse(wallet::WalletError::Make(400, wallet::kErrInvalidRequest, "txn missing")));
    return;
  }
  if (txn->size() > 256) {
    respond(StatusResponse({.state = wl::kStateUnknown, .terminal = true}));
    return;
  }
  std::optional<std::string> known = req.Query("state");
  // An empty state differs from every state: answered at once.
  if (known && known->empty()) {
    respond(StatusResponse(LoginStatusOf(*txn)));
    return;
  }
  AwaitStatus(*txn, known ? *known : std::string(),
              [respond = std::move(respond)](const LoginStatus& s) { respond(StatusResponse(s)); });
}

void WalletAuthenticator::AwaitStatus(std::string txn, std::string known,
                                      std::function<void(const LoginStatus&)> done) {
  LoginStatus now = LoginStatusOf(txn);
  if (known.empty()) known = now.state;
  if (now.terminal || now.state != known) {
    done(now);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) {
    done(now);
    return;
  }
  // Wake at the code's expiry at the latest: the page renews it then.
  auto deadline = std::chrono::steady_clock::now() + options_.poll_timeout;
  waiters_.push_back({std::move(txn), std::move(known), deadline, std::move(done)});
  cv_.notify_all();
}

void WalletAuthenticator::NotifyWaiters() { cv_.notify_all(); }

void WalletAuthenticator::WaiterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (!stop_) cv_.wait_for(lock, std::chrono::seconds(1));
    std::vector<Waiter> check = std::move(waiters_);
    waiters_.clear();
    bool stopping = stop_;
    lock.unlock();
    std::vector<Waiter> keep;
    auto now = std::chrono::steady_clock::now();
    for (auto& w : check) {
      // The store reads run without the lock; answers are sent outside it.
      // A state change is seen here within a second, also when another
      // replica sharing the store made it.
      LoginStatus s = LoginStatusOf(w.txn);
      if (s.terminal || s.state != w.known || stopping || now >= w.deadline) {
        w.respond(s);
      } else {
        keep.push_back(std::move(w));
      }
    }
    lock.lock();
    for (auto& w : keep) waiters_.push_back(std::move(w));
    if (stopping) {
      std::vector<Waiter> rest = std::move(waiters_);
      waiters_.clear();
      lock.unlock();
      for (auto& w : rest) w.respond(LoginStatusOf(w.txn));
      return;
    }
  }
}

HttpResponse WalletAuthenticator::Renew(const HttpRequest& req) {
  auto txn = req.Form("txn");
  if (!ValidTxn(txn)) return StatusResponse({.state = wl::kStateUnknown, .terminal = true});
  bool renewed = false;
  HttpResponse r = StatusResponse(RenewCode(*txn, &renewed));
  if (!renewed) return r;
  auto links = CurrentLinks(*txn);
  if (!links.ok()) return r;
  auto svg = QrSvg(links->qr, 4);
  json body = json::parse(r.body);
  if (svg.ok()) body["qr_svg"] = *svg;
  body["deeplink"] = links->deeplink;
  r.body = body.dump();
  return r;
}

WalletAuthenticator::LoginStatus WalletAuthenticator::RenewCode(const std::string& txn, bool* renewed) {
  if (renewed) *renewed = false;
  LoginStatus s = LoginStatusOf(txn);
  // Only an expired, unanswered code is replaced: a stranger who learnt the
  // txn cannot churn a live code, and an answered login keeps its answer.
  if (s.state != wl::kStateCodeExpired) return s;
  auto request = LoadLoginRequest(store_, txn);
  auto t = LoadTxn(txn);
  if (!request.ok() || !t.ok()) return {.state = wl::kStateUnknown, .terminal = true};
  std::string provider = t->provider;
  if (provider.empty()) {
    if (auto a = provider_keys_.Address(request->service_id); a.ok()) provider = *a;
  }
  Status st = provider.empty() ? NotFound("no provider key") : NewCode(txn, request->expires_at, provider);
  if (!st.ok()) {
    LogError("wallet login code not renewed", {{"detail", st.ToString()}});
    return LoginStatusOf(txn);
  }
  if (renewed) *renewed = true;
  return LoginStatusOf(txn);
}

StatusOr<WalletAuthenticator::CodeLinks> WalletAuthenticator::CurrentLinks(std::string_view txn) {
  CERTME_ASSIGN_OR_RETURN(Txn t, LoadTxn(txn));
  return CodeLinks{QrPayload(t.code), wallet::BuildDeepLink(api_base_, t.code), t.code};
}

}  // namespace certme
