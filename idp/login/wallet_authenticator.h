// The certME wallet login ("Conectare cu certME"): the Authenticator that
// shows a QR code, and the wallet API the phone talks to. The protocol is
// docs/wallet-protocol.md (v1); section numbers below refer to it. The
// protocol itself (documents, answer, Login digest, the checks of §7) is
// protocols/wallet/; this class keeps the state in the Store, talks to the
// Ledger, renders the pages and runs those checks in order.
//
// Browser side (HTML, no personal data ever shown or polled):
//   Begin(request)                  saves the LoginRequest, makes a code, 302 → /login/wallet?txn=
//   GET  /login/wallet?txn=         the login page: service name (ui_locale), attributes,
//                                   QR code (inline SVG), same-device link, a "continue"
//                                   button (works without JavaScript), live status script
//   GET  /login/wallet/status?txn=&state=  long-poll (async): {"state":…} (waiting, opened,
//                                   approved, validating, code_expired, or terminal), answers
//                                   as soon as the state changes or after poll_timeout
//   POST /login/wallet/renew        field txn: a new QR code once the code expired (JSON)
//   GET  /login/wallet/continue?txn= pending → the page again; ok → 302 resume_url;
//                                   refused / expired / eID not active / validator timeout /
//                                   other failure → a clear page (§8)
//   POST /login/wallet/retry        field txn: a new code for a login whose code expired
// Wallet side (JSON, §3, §4, §7):
//   GET  /wallet/v1/requests/:code  the request document
//   POST /wallet/v1/requests/:code  the answer; every check of §7, the consent-gated
//                                   validation on the ledger when the service's provider
//                                   has not yet had the requested attributes validated for
//                                   this eID, then SaveLoginResult (acr substantial)
//   GET  /wallet/v1/l/:code         same-device fallback page with the certme:// link
//
// Provider accounts: each service speaks to the ledger with its own key
// (ProviderKeys; one key for all in dedicated mode). Begin resolves the
// service's address and refuses the login with a clear page when the ledger
// does not authorize it; the request document, the consent, the validation
// request and the reuse lookup (ValidationIndex) all use that address.
//
// State lives in the Store (namespaces wallet_txn, wallet_code,
// wallet_answered, wallet_outcome) with the login's lifetime; none of it is
// personal data. Every replica sharing the store serves every step: the
// answer claim (wallet_answered) holds a digest of the answer, so an
// identical answer resent after a lost reply is resumed by any replica. The decrypted attributes exist only in memory during the
// POST and in the LoginResult the protocol consumes once.
//
// Thread-safety: all handlers may run concurrently. The wallet's POST does
// not hold a worker while it waits for the validator (at most
// answer_timeout): one thread waits for every pending answer.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rate_limiter.h"
#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "crypto/ethereum.h"
#include "store/store.h"
#include "ledger-client/attributes.h"
#include "idp/login/access_records.h"
#include "idp/login/login_metrics.h"
#include "idp/login/sign_hook.h"
#include "idp/login/validation_index.h"
#include "ledger-client/ledger.h"
#include "protocols/login.h"
#include "protocols/provider_keys.h"
#include "protocols/wallet/checks.h"
#include "protocols/wallet/errors.h"
// WalletLoginDigest and WalletAttributesHash (§6), for this class's users.
#include "protocols/wallet/login_digest.h"

namespace certme {

struct WalletLoginOptions {
  // The server's external base URL without trailing slash; the wallet API
  // base is public_url + "/wallet/v1".
  std::string public_url;
  // How long a code (QR) stays valid (§2: default 120 s).
  int64_t code_ttl_seconds = 120;
  // Longest wait for the validator's answer on the ledger.
  Duration answer_timeout = std::chrono::seconds(30);
  // Lifetime of the consent the wallet signs (from the code's creation);
  // also bounds the validator wait.
  int64_t consent_ttl_seconds = 300;
  // Longest long-poll before "pending" is answered.
  Duration poll_timeout = std::chrono::seconds(25);
  // Answers POSTed per code: a burst, then one per this many seconds (a
  // wallet answers once, or resends a lost answer a few times); over it
  // 429 with Retry-After.
  int answers_per_code_burst = 5;
  int seconds_per_answer_per_code = 5;
};

class WalletAuthenticator : public Authenticator {
 public:
  // `provider_keys`: each service's ledger account (it must be an
  // authorized provider; it sends the validation requests). `ecies_key`: the
  // key wallets encrypt attributes to. All references must outlive this
  // object.
  WalletAuthenticator(WalletLoginOptions options, Store& store, Ledger& ledger, ProviderKeys& provider_keys,
                      EthKey ecies_key, Clock& clock, Random& random);
  ~WalletAuthenticator() override;

  HttpResponse Begin(const LoginRequest& request) override;
  // Answers every parked long-poll with the login's state and every answer
  // awaiting its validator with 503 temporarily_unavailable (no outcome is
  // recorded: the wallet resends the identical answer and any replica
  // resumes the login); from now on nothing is parked. Idempotent.
  void Drain() override;

  // Browser side.
  HttpResponse LoginPage(const HttpRequest& req);
  HttpResponse Continue(const HttpRequest& req);
  HttpResponse Retry(const HttpRequest& req);
  // POST form txn: a new QR code for the same login once its code expired
  // (the page's script calls it); JSON {state, code_expires_in,
  // login_expires_in} plus, when renewed, qr_svg and deeplink.
  HttpResponse Renew(const HttpRequest& req);
  // GET ?txn=&state=: answers as soon as the login's state differs from
  // `state` (the one the page shows; absent: the state at the call), is
  // terminal, or after poll_timeout. Unknown and expired logins answer at
  // once. JSON {state, code_expires_in, login_expires_in}.
  void StatusPoll(HttpRequest req, std::function<void(HttpResponse)> respond);

  // Where a login stands (the status endpoint's answer).
  struct LoginStatus {
    std::string state;  // wallet_login::kState* or a terminal outcome
    bool terminal = false;
    int64_t code_expires_in = 0;   // seconds the current QR code stays valid
    int64_t login_expires_in = 0;  // seconds the login stays open
  };
  LoginStatus LoginStatusOf(std::string_view txn);
  // StatusPoll without HTTP (the device login's status, idp/device_status.h):
  // calls `done` once, with the login's status, as soon as it differs from
  // `known` (empty: the state at the call), is terminal, or after
  // poll_timeout, and at once on Drain(). `done` may run on another thread.
  void AwaitStatus(std::string txn, std::string known, std::function<void(const LoginStatus&)> done);
  // Renew without HTTP: replaces the code of a login whose code expired
  // unanswered; any other state is left alone. The status afterwards;
  // `renewed` (optional) tells whether a new code was made.
  LoginStatus RenewCode(const std::string& txn, bool* renewed = nullptr);
  // The current code's QR payload and same-device link; NotFound for an
  // unknown login.
  struct CodeLinks {
    std::string qr;        // QrPayload(code)
    std::string deeplink;  // the same-device link (wallet::BuildDeepLink)
    std::string code;      // the code itself (the wallet inbox hands it to the eID's wallet only)
  };
  StatusOr<CodeLinks> CurrentLinks(std::string_view txn);
  // Wallet side.
  HttpResponse GetRequestDocument(const HttpRequest& req);
  // The answer (§7). PostAnswerAsync frees its worker while the validator
  // is awaited (the route uses it); PostAnswer blocks (tests, fuzzing).
  void PostAnswerAsync(HttpRequest req, std::function<void(HttpResponse)> respond);
  HttpResponse PostAnswer(const HttpRequest& req);
  HttpResponse DeepLink(const HttpRequest& req);

  // Every successful login from now on also queues an access record for
  // the ledger (idp/login/access_records.h); null: none. Set before the
  // first request; `records` must outlive this object.
  void SetAccessRecords(AccessRecords* records) { access_records_ = records; }
  // Logins, step times and the validator's answer time go to `metrics`
  // (idp/login/login_metrics.h); null: nowhere. Set before the first
  // request; `metrics` must outlive this object.
  void SetMetrics(LoginMetrics* metrics) { metrics_ = metrics; }
  // Called with the txn of every login that ends here (any outcome, its
  // LoginResult saved), so that a protocol waiting without a browser (OIDC
  // CIBA) settles at once. Set before the first request.
  void SetOutcomeListener(std::function<void(const std::string& txn)> listener) {
    on_outcome_ = std::move(listener);
  }
  // Signing logins (LoginRequest::protocol kSignProtocol) are served as
  // `sign` requests and finished by `hook` (idp/login/sign_hook.h); null:
  // such logins are refused. Set before the first request; `hook` must
  // outlive this object.
  void SetSignHook(WalletSignHook* hook) { sign_hook_ = hook; }

  // The QR / deep-link payload for a code (§2).
  std::string QrPayload(std::string_view code) const;
  const std::string& api_base() const { return api_base_; }

  // Registers every route on a router with Handle/HandleAsync (idp/http's
  // Router); a template so this library does not depend on the HTTP layer.
  // The pages and the wallet API answer 5xx on purpose (504: the validator
  // did not answer) with bodies written for users and wallets (500 carries
  // no detail), so the adapter must pass them on, not replace them with its
  // generic "internal error".
  template <typename RouterT>
  void Mount(RouterT& router) {
    router.Handle("GET", "/login/wallet", [this](const HttpRequest& r) { return LoginPage(r); },
                  {.expose_server_errors = true});
    router.Handle("GET", "/login/wallet/continue", [this](const HttpRequest& r) { return Continue(r); },
                  {.expose_server_errors = true});
    router.Handle("POST", "/login/wallet/retry", [this](const HttpRequest& r) { return Retry(r); });
    router.Handle("POST", "/login/wallet/renew", [this](const HttpRequest& r) { return Renew(r); });
    router.HandleAsync("GET", "/login/wallet/status",
                       [this](HttpRequest r, std::function<void(HttpResponse)> respond) {
                         StatusPoll(std::move(r), std::move(respond));
                       });
    router.Handle("GET", "/wallet/v1/requests/:code",
                  [this](const HttpRequest& r) { return GetRequestDocument(r); });
    router.HandleAsync(
        "POST", "/wallet/v1/requests/:code",
        [this](HttpRequest r, std::function<void(HttpResponse)> respond) {
          PostAnswerAsync(std::move(r), std::move(respond));
        },
        {.expose_server_errors = true});
    router.Handle("GET", "/wallet/v1/l/:code", [this](const HttpRequest& r) { return DeepLink(r); });
  }

 private:
  // A login's current code (namespace wallet_txn).
  struct Txn {
    std::string code;
    Bytes32 nonce{};
    int64_t expiry = 0;  // the code's
    int64_t consent_expiry = 0;
    std::string provider;  // the service's ledger address (20 bytes) at Begin
  };
  // An answer past every check but the validator's (§7 check 12): what the
  // login needs once the ledger has answered. Holds the disclosed values in
  // memory only.
  struct PendingAnswer {
    std::string txn;
    std::string service_id;
    std::string provider;  // the service's ledger address (20 bytes)
    int64_t login_ttl = 0;
    std::string eid;  // 20 bytes
    std::vector<DisclosedAttribute> attrs;
    uint64_t request_id = 0;
    Duration wait{};
    // For the access record: the user's public key (recovered from the
    // consent signature), the protocol and the disclosed attribute keys.
    std::string user_public_key;
    std::string protocol;
    std::vector<Bytes32> attr_keys;
    // When the validation request went to the ledger (metrics).
    std::chrono::steady_clock::time_point validation_sent{};
    // A signing login: the signatures that passed the sign checks.
    std::optional<wallet::CheckedSignatures> signatures;
  };
  // Whose login an outcome ends (the metrics' labels).
  struct LoginLabels {
    std::string_view protocol;
    std::string_view service;
  };
  static LoginLabels Who(const LoginRequest& r) { return {r.protocol, r.service_id}; }
  static LoginLabels Who(const PendingAnswer& p) { return {p.protocol, p.service_id}; }
  // A code's records: the login transaction and request it belongs to.
  struct CodeRecord;
  // §7 step 1 against the Store.
  wallet::WalletOr<CodeRecord> FindCode(const HttpRequest& req);
  // §7 step 3: claims the code with the answer's digest.
  wallet::WalletOr<wallet::Claim> ClaimCode(const CodeRecord& c, std::string_view body, int64_t now);
  wallet::LoginContext ContextOf(const CodeRecord& c) const;
  // Every check of §7 up to the validator; sets `pending` when the answer
  // must wait for it (the returned response is then meaningless).
  HttpResponse AnswerUntilValidation(const HttpRequest& req, std::optional<PendingAnswer>& pending);
  // §7 step 11 when the eID's attributes were not validated for this
  // provider yet: submits the consent, sets `pending`.
  HttpResponse RequestValidation(const EthKey& provider, const wallet::LoginContext& ctx, const wallet::Answer& answer,
                                 const wallet::Disclosure& disclosure, PendingAnswer p, int64_t now, std::optional<PendingAnswer>& pending);
  // The service's provider key (its address is recorded in the login).
  StatusOr<EthKey> ProviderKeyOf(const CodeRecord& c);
  // The ledger authorizes the service's provider: nullopt; otherwise the
  // error the wallet gets (the outcome page says why).
  std::optional<wallet::WalletError> CheckProviderAuthorized(const std::string& provider,
                                                             const std::string& service_id);
  // Records the error's outcome for the browser (the code is spent) and
  // answers the wallet.
  HttpResponse Fail(const std::string& txn, LoginLabels who, int64_t login_ttl, const wallet::WalletError& error);
  HttpResponse Refuse(const std::string& txn, LoginLabels who, int64_t login_ttl);
  HttpResponse FinishValidation(const PendingAnswer& p, StatusOr<ValidationRequest> answer);
  HttpResponse CompleteLogin(const PendingAnswer& p, bool validated);
  // CompleteLogin's work (it times it).
  HttpResponse SaveLogin(const PendingAnswer& p, bool validated);
  // AnswerUntilValidation, timed.
  HttpResponse TimedAnswer(const HttpRequest& req, std::optional<PendingAnswer>& pending);
  // Queues the login's access record; a failure is logged, never the login's.
  void RecordAccess(const PendingAnswer& p, bool validated);
  void ValidationLoop();
  StatusOr<Txn> LoadTxn(std::string_view txn);
  Status NewCode(const std::string& txn, int64_t login_expires_at, const std::string& provider);
  std::string Outcome(std::string_view txn);
  // The not-yet-answered progress (wallet_progress): opened, approved, validating.
  std::string Progress(std::string_view txn);
  void SetProgress(const std::string& txn, const char* state, int64_t login_expires_at);
  static HttpResponse StatusResponse(const LoginStatus& s);
  // Records a terminal outcome (and counts the attempt in the metrics).
  void SetOutcome(const std::string& txn, LoginLabels who, const std::string& outcome, int64_t ttl);
  // The QR code's age in seconds (metrics: the user's steps).
  double CodeAgeSeconds(const Txn& t) const;
  // Template `name` (templates/login/) in the layout, with the page's CSP.
  HttpResponse Page(int status, const std::string& lang, const char* name, nlohmann::json data,
                    const std::string& script_nonce = "") const;
  HttpResponse OutcomePage(const std::string& outcome, const std::string& lang, const std::string& txn,
                           const std::string& resume_url) const;
  // The login page proper (the txn is open and its code valid).
  HttpResponse WaitingPage(const HttpRequest& req, const std::string& txn, const LoginRequest& request,
                           const Txn& t, const std::string& lang, bool not_yet);
  HttpResponse ErrorResponse(const wallet::WalletError& error) const;
  // 503 temporarily_unavailable with Retry-After: the answer awaits a
  // validator while this replica stops (Drain()).
  HttpResponse StoppingResponse() const;
  // The validation request this provider submitted for `eid` with consent
  // nonce `nonce`, if any (a resumed answer's earlier attempt).
  std::optional<uint64_t> FindRequestByNonce(const std::string& provider, const std::string& eid,
                                             const Bytes32& nonce);
  void WaiterLoop();
  // ---- signing logins (wallet_sign.cc) ----
  static bool IsSign(const LoginRequest& r) { return r.protocol == kSignProtocol; }
  // Makes `doc` a sign document for a signing login; the error when its
  // sign request is gone.
  std::optional<wallet::WalletError> AddSignDetails(const std::string& txn, const LoginRequest& request,
                                                    wallet::RequestDocument& doc);
  // The sign request of signing login `txn` (the hook's Details) in `out`,
  // or the error the wallet gets (gone once settled or expired).
  std::optional<wallet::WalletError> SignLoginOf(const std::string& txn, SignLogin* out);
  // §10 checks of a signing login's answer; the checked signatures go to `p`.
  std::optional<wallet::WalletError> CheckSignAnswer(const std::string& txn, const LoginRequest& request,
                                                     const wallet::LoginContext& ctx,
                                                     const wallet::Answer& answer, int64_t now, PendingAnswer& p);
  // The hook's Complete for a signing login (nullopt for any other).
  std::optional<wallet::WalletError> CompleteSign(const PendingAnswer& p);
  void NotifyWaiters();

  WalletLoginOptions options_;
  Store& store_;
  Ledger& ledger_;
  ProviderKeys& provider_keys_;
  ValidationIndex validation_index_;
  AccessRecords* access_records_ = nullptr;
  LoginMetrics* metrics_ = nullptr;
  std::function<void(const std::string& txn)> on_outcome_;
  WalletSignHook* sign_hook_ = nullptr;
  EthKey ecies_key_;
  Clock& clock_;
  Random& random_;
  std::string api_base_;

  // Long-poll waiters: answered when their txn's outcome appears (checked
  // at every local answer and once a second, so answers taken by another
  // replica sharing the store are seen too) or at their deadline.
  struct Waiter {
    std::string txn;
    std::string known;  // the state the page shows
    std::chrono::steady_clock::time_point deadline;
    std::function<void(const LoginStatus&)> respond;
  };
  RateLimiter answers_by_code_;

  std::mutex drain_mu_;  // serialises Drain()
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiter> waiters_;
  bool stop_ = false;
  std::thread waiter_thread_;

  // Wallet answers waiting for the validator (PostAnswerAsync), answered by
  // validation_thread_ when the ledger has the answer or at their deadline.
  struct PendingValidation {
    PendingAnswer answer;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(HttpResponse)> respond;
  };
  std::condition_variable validation_cv_;
  std::vector<PendingValidation> validations_;  // guarded by mu_
  std::thread validation_thread_;
};

}  // namespace certme
