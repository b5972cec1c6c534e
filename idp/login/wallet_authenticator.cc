#include "idp/login/wallet_authenticator.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "templates/page_lang.h"
#include "templates/templates.h"
#include "crypto/ecies.h"
#include "idp/login/wallet_inbox.h"
#include "idp/login/wallet_pages.h"
#include "ledger-client/abi.h"
#include "ledger-client/eip712.h"
#include "protocols/eidas.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/inbox.h"
#include "protocols/wallet/link.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/vocabulary.h"

namespace certme {

using nlohmann::json;

namespace {

using wallet_login::kPagePath;
constexpr char kNsTxn[] = "wallet_txn";
constexpr char kNsCode[] = "wallet_code";
constexpr char kNsAnswered[] = "wallet_answered";
constexpr char kNsOutcome[] = "wallet_outcome";
constexpr char kNsProgress[] = "wallet_progress";
// Code records outlive the code's expiry by this much so that a late answer
// gets `expired` (410), not `unknown_code` (404).
constexpr int64_t kCodeGraceSeconds = 600;

// Outcomes (wallet_outcome values; never personal data): §8's pages.
using wallet::kOutcomeExpired;
using wallet::kOutcomeFailed;
using wallet::kOutcomeOk;
using wallet::kOutcomeRefused;
using wallet::kOutcomeRevoked;
using wallet::kOutcomeSuspended;
using wallet::kOutcomeTimeout;
// These outcomes reach the protocol as LoginResult::error (SetOutcome).
using wallet::kOutcomeServiceNotAuthorized;
static_assert(std::string_view(kOutcomeSuspended) == kLoginErrorEidSuspended &&
              std::string_view(kOutcomeRevoked) == kLoginErrorEidRevoked &&
              std::string_view(kOutcomeTimeout) == kLoginErrorValidatorTimeout &&
              std::string_view(kOutcomeServiceNotAuthorized) == kLoginErrorServiceNotAuthorized);

using wallet_login::Lang;


// §4 success: {"status":"ok"}.
HttpResponse OkResponse() {
  return HttpResponse::Json(200, json{{wallet::kFieldStatus, wallet::kStatusOk}}.dump());
}

std::string Hex32(const Bytes32& b) { return "0x" + HexEncode(abi::AsView(b)); }

using wallet::ParseHex32;

}  // namespace

// ---------------------------------------------------------------- state

WalletAuthenticator::WalletAuthenticator(WalletLoginOptions options, Store& store, Ledger& ledger,
                                         ProviderKeys& provider_keys, EthKey ecies_key, Clock& clock,
                                         Random& random)
    : options_(std::move(options)),
      store_(store),
      ledger_(ledger),
      provider_keys_(provider_keys),
      validation_index_(store, ledger),
      ecies_key_(std::move(ecies_key)),
      clock_(clock),
      random_(random),
      answers_by_code_({.per_second = 1.0 / std::max(1, options_.seconds_per_answer_per_code),
                        .burst = static_cast<double>(std::max(1, options_.answers_per_code_burst))},
                       clock) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') options_.public_url.pop_back();
  api_base_ = options_.public_url + wallet::kApiPath;
  waiter_thread_ = std::thread([this] { WaiterLoop(); });
  validation_thread_ = std::thread([this] { ValidationLoop(); });
}

WalletAuthenticator::~WalletAuthenticator() { Drain(); }

void WalletAuthenticator::Drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  validation_cv_.notify_all();
  // Both loops answer what they hold before they return.
  std::lock_guard<std::mutex> once(drain_mu_);
  if (waiter_thread_.joinable()) waiter_thread_.join();
  if (validation_thread_.joinable()) validation_thread_.join();
}

HttpResponse WalletAuthenticator::StoppingResponse() const {
  HttpResponse r = ErrorResponse(wallet::WalletError::Make(
      503, wallet::kErrUnavailable, "the server is restarting; send the same answer again"));
  r.headers.Set("Retry-After", "1");
  return r;
}

std::string WalletAuthenticator::QrPayload(std::string_view code) const {
  return wallet::BuildLoginLink(api_base_, code);
}

StatusOr<WalletAuthenticator::Txn> WalletAuthenticator::LoadTxn(std::string_view txn) {
  CERTME_ASSIGN_OR_RETURN(std::string text, store_.Get(kNsTxn, txn));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("damaged wallet login record");
  Txn t;
  try {
    t.code = j.at("code").get<std::string>();
    auto nonce = ParseHex32(j.at("nonce"));
    if (!nonce) return Internal("damaged wallet login record");
    t.nonce = *nonce;
    t.expiry = j.at("expiry").get<int64_t>();
    t.consent_expiry = j.at("consent_expiry").get<int64_t>();
    // Absent in a login begun before provider accounts (FindCode resolves it).
    if (auto p = j.find("provider"); p != j.end()) {
      auto addr = ParseAddress(p->get<std::string>());
      if (!addr.ok()) return Internal("damaged wallet login record");
      t.provider = *addr;
    }
  } catch (const json::exception&) {
    return Internal("damaged wallet login record");
  }
  return t;
}

Status WalletAuthenticator::NewCode(const std::string& txn, int64_t login_expires_at,
                                    const std::string& provider) {
  int64_t now = clock_.NowUnixSeconds();
  Txn t;
  t.code = random_.Token(32);  // §2: 32 bytes, base64url, 43 characters
  t.nonce = abi::ToBytes32(random_.Bytes(32));
  t.expiry = std::min(now + options_.code_ttl_seconds, login_expires_at);
  t.consent_expiry = now + options_.consent_ttl_seconds;
  if (t.expiry <= now) return FailedPrecondition("the login has expired");
  json j = {{"code", t.code},
            {"nonce", Hex32(t.nonce)},
            {"expiry", t.expiry},
            {"consent_expiry", t.consent_expiry},
            {"provider", ChecksumAddress(provider)}};
  int64_t ttl = std::max<int64_t>(login_expires_at - now, 1) + kCodeGraceSeconds;
  CERTME_RETURN_IF_ERROR(store_.Put(kNsTxn, txn, j.dump(), std::chrono::seconds(ttl)));
  CERTME_RETURN_IF_ERROR(
      store_.Put(kNsCode, t.code, txn, std::chrono::seconds(t.expiry - now + kCodeGraceSeconds)));
  // A new code clears an earlier outcome and progress (the last code's).
  CERTME_RETURN_IF_ERROR(store_.Delete(kNsProgress, txn));
  Status cleared = store_.Delete(kNsOutcome, txn);
  NotifyWaiters();
  return cleared;
}

std::string WalletAuthenticator::Outcome(std::string_view txn) {
  auto o = store_.Get(kNsOutcome, txn);
  return o.ok() ? *o : "";
}

std::string WalletAuthenticator::Progress(std::string_view txn) {
  auto p = store_.Get(kNsProgress, txn);
  return p.ok() ? *p : "";
}

void WalletAuthenticator::SetProgress(const std::string& txn, const char* state, int64_t login_expires_at) {
  int64_t ttl = std::max<int64_t>(login_expires_at - clock_.NowUnixSeconds(), 1) + kCodeGraceSeconds;
  Status st = store_.Put(kNsProgress, txn, state, std::chrono::seconds(ttl));
  if (!st.ok()) LogWarn("wallet login progress not saved", {{"detail", st.ToString()}});
  NotifyWaiters();
}

double WalletAuthenticator::CodeAgeSeconds(const Txn& t) const {
  // Every code's consent expiry is its creation plus consent_ttl_seconds.
  const int64_t created_ms = (t.consent_expiry - options_.consent_ttl_seconds) * 1000;
  return std::max<double>(static_cast<double>(clock_.NowUnixMillis() - created_ms) / 1000.0, 0);
}

void WalletAuthenticator::SetOutcome(const std::string& txn, LoginLabels who, const std::string& outcome,
                                     int64_t ttl) {
  if (metrics_) metrics_->LoginEnded(who.protocol, who.service, outcome);
  if (sign_hook_ && who.protocol == kSignProtocol) sign_hook_->Ended(txn, outcome);
  // The service hears about these when the user follows "back to the
  // service" from the outcome page (the refusal saves its own result): the
  // protocol answers its client with an error. Saved before the outcome, so
  // the page never offers a link that finds no result.
  if (outcome == kOutcomeSuspended || outcome == kOutcomeRevoked || outcome == kOutcomeTimeout ||
      outcome == kOutcomeServiceNotAuthorized || outcome == kOutcomeFailed || outcome == kOutcomeExpired) {
    LoginResult failure;
    failure.txn = txn;
    failure.error = outcome;
    if (Status saved = SaveLoginResult(store_, failure, std::max<int64_t>(ttl, 1)); !saved.ok())
      LogError("wallet login failure not saved", {{"detail", saved.ToString()}});
  }
  Status st = store_.Put(kNsOutcome, txn, outcome, std::chrono::seconds(std::max<int64_t>(ttl, 1) + kCodeGraceSeconds));
  if (!st.ok()) LogError("wallet login outcome not saved", {{"detail", st.ToString()}});
  NotifyWaiters();
  if (on_outcome_) on_outcome_(txn);
}

HttpResponse WalletAuthenticator::Begin(const LoginRequest& request) {
  int64_t now = clock_.NowUnixSeconds();
  const std::string lang = PageLang(request.ui_locale);
  // The service's provider account: created here for a service registered
  // where no key could be made (hub mode), so it can be authorized.
  auto key = provider_keys_.Ensure(request.service_id);
  if (!key.ok()) {
    LogError("wallet login not started: no provider key for the service",
             {{"service", request.service_id}, {"detail", key.status().ToString()}});
    return OutcomePage(kOutcomeFailed, lang, request.txn, request.resume_url);
  }
  Status st = SaveLoginRequest(store_, request, now);
  if (!st.ok()) {
    LogError("wallet login not started", {{"detail", st.ToString()}});
    return OutcomePage(kOutcomeFailed, lang, request.txn, request.resume_url);
  }
  auto authorized = ledger_.IsProvider(key->address());
  if (!authorized.ok()) {
    LogError("ledger read failed", {{"detail", authorized.status().ToString()}});
    return OutcomePage(kOutcomeFailed, lang, request.txn, request.resume_url);
  }
  if (!*authorized) {
    LogWarn("login refused: the service's provider account is not authorized on the ledger "
            "(certme admin authorize-provider)",
            {{"service", request.service_id}, {"provider", key->AddressHex()}});
    SetOutcome(request.txn, Who(request), kOutcomeServiceNotAuthorized, std::max<int64_t>(request.expires_at - now, 1));
    return OutcomePage(kOutcomeServiceNotAuthorized, lang, request.txn, request.resume_url);
  }
  st = NewCode(request.txn, request.expires_at, key->address());
  // §8b: a login addressed to an eID waits in that eID's wallet inbox.
  if (st.ok() && !request.wallet_eid.empty()) st = AddInboxEntry(store_, request.wallet_eid, request.txn, request.expires_at, now);
  if (!st.ok()) {
    LogError("wallet login not started", {{"detail", st.ToString()}});
    return OutcomePage(kOutcomeFailed, lang, request.txn, request.resume_url);
  }
  return HttpResponse::Redirect(options_.public_url + kPagePath + "?txn=" + PercentEncode(request.txn));
}

// ---------------------------------------------------------------- wallet API

struct WalletAuthenticator::CodeRecord {
  std::string code;
  std::string txn;
  Txn t;
  LoginRequest request;
};

HttpResponse WalletAuthenticator::ErrorResponse(const wallet::WalletError& error) const {
  HttpResponse r = HttpResponse::Json(error.http_status, wallet::ErrorBody(error));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

HttpResponse WalletAuthenticator::Fail(const std::string& txn, LoginLabels who, int64_t login_ttl,
                                       const wallet::WalletError& error) {
  SetOutcome(txn, who, error.outcome, login_ttl);
  return ErrorResponse(error);
}

HttpResponse WalletAuthenticator::DeepLink(const HttpRequest& req) {
  auto it = req.path_params.find("code");
  if (it == req.path_params.end() || !wallet::IsValidCode(it->second))
    return OutcomePage("unknown", NegotiateLang(&req), "", "");
  const std::string lang = NegotiateLang(&req);
  // Reached only when no wallet app took the link: the way back to the QR
  // code is the browser's history (the page's script; without it the hint
  // names the Back button). The txn is not looked up from the code: the
  // code is on the QR code for anyone to see, the txn is the browser's.
  std::string nonce = random_.Token(16);
  return Page(200, lang, "login/deeplink",
              {{"link", QrPayload(it->second)}, {"nonce", nonce},
               {"title", Templates()->Text(lang, "login_deeplink_title")}},
              nonce);
}

wallet::WalletOr<WalletAuthenticator::CodeRecord> WalletAuthenticator::FindCode(const HttpRequest& req) {
  auto it = req.path_params.find("code");
  CodeRecord c;
  if (it != req.path_params.end()) c.code = it->second;
  WALLET_RETURN_IF_ERROR(wallet::CheckCodeSyntax(c.code));  // before any store read
  std::optional<std::string_view> recorded;
  if (auto txn = store_.Get(kNsCode, c.code); txn.ok()) {
    auto t = LoadTxn(*txn);
    auto request = LoadLoginRequest(store_, *txn);
    if (t.ok() && request.ok()) {
      c.txn = *txn;
      c.t = std::move(*t);
      c.request = std::move(*request);
      recorded = c.t.code;
      if (c.t.provider.empty()) {  // begun before provider accounts
        auto addr = provider_keys_.Address(c.request.service_id);
        if (addr.ok()) c.t.provider = *addr;
        else recorded.reset();
      }
    }
  }
  WALLET_RETURN_IF_ERROR(wallet::CheckCodeKnown(c.code, recorded));
  return c;
}

wallet::LoginContext WalletAuthenticator::ContextOf(const CodeRecord& c) const {
  return wallet::LoginContext{c.code,
                              c.t.nonce,
                              c.t.expiry,
                              c.t.consent_expiry,
                              c.request.service_id,
                              c.request.attributes,
                              ledger_.Domain(),
                              c.t.provider};
}

StatusOr<EthKey> WalletAuthenticator::ProviderKeyOf(const CodeRecord& c) {
  CERTME_ASSIGN_OR_RETURN(EthKey key, provider_keys_.Key(c.request.service_id));
  // The service's key was replaced since the login began (deleted and
  // registered again): the consent names the old address.
  if (key.address() != c.t.provider) return FailedPrecondition("the service's provider key changed during the login");
  return key;
}

std::optional<wallet::WalletError> WalletAuthenticator::CheckProviderAuthorized(const std::string& provider,
                                                                                const std::string& service_id) {
  auto authorized = ledger_.IsProvider(provider);
  if (!authorized.ok()) {
    LogError("ledger read failed", {{"detail", authorized.status().ToString()}});
    return wallet::ServerError();
  }
  if (*authorized) return std::nullopt;
  LogWarn("login refused: the service's provider account is not authorized on the ledger",
          {{"service", service_id}, {"provider", ChecksumAddress(provider)}});
  return wallet::WalletError::Make(403, wallet::kErrServiceNotAuthorized,
                                   "the service is not authorized to log users in", kOutcomeServiceNotAuthorized);
}

HttpResponse WalletAuthenticator::GetRequestDocument(const HttpRequest& req) {
  auto found = FindCode(req);  // §7 step 1
  if (!found.ok()) return ErrorResponse(found.error());
  const CodeRecord& c = *found;
  if (auto e = wallet::CheckNotExpired(clock_.NowUnixSeconds(), c.t.expiry)) return ErrorResponse(*e);  // step 2
  if (auto e = wallet::CheckNotAnswered(store_.Get(kNsAnswered, c.code).ok())) return ErrorResponse(*e);  // 3
  wallet::RequestDocument doc;
  doc.code = c.code;
  doc.nonce = c.t.nonce;
  doc.expiry = c.t.expiry;
  doc.service_id = c.request.service_id;
  doc.service_names = {c.request.service_names.begin(), c.request.service_names.end()};
  doc.attributes = c.request.attributes;
  doc.purpose = wallet::LoginPurpose();
  doc.bridge_key = ecies_key_.public_key();
  doc.domain = ledger_.Domain();
  doc.consent_provider = c.t.provider;
  doc.consent_expiry = static_cast<uint64_t>(c.t.consent_expiry);
  if (auto e = AddSignDetails(c.txn, c.request, doc)) return ErrorResponse(*e);  // sign_hook.h
  HttpResponse r = HttpResponse::Json(200, wallet::BuildRequestDocument(doc));
  if (metrics_) metrics_->StepTook(LoginMetrics::Step::kScan, CodeAgeSeconds(c.t));
  r.headers.Set("Cache-Control", "no-store");
  // The page shows that the wallet has the request (§8 "opened").
  if (Progress(c.txn).empty()) SetProgress(c.txn, wallet_login::kStateOpened, c.request.expires_at);
  return r;
}

std::optional<uint64_t> WalletAuthenticator::FindRequestByNonce(const std::string& provider, const std::string& eid,
                                                                const Bytes32& nonce) {
  EventFilter f;
  f.kind = EventKind::kValidationRequested;
  f.provider = provider;
  f.user = eid;
  auto events = ledger_.Events(f);
  if (!events.ok()) return std::nullopt;
  for (auto e = events->rbegin(); e != events->rend(); ++e) {
    auto r = ledger_.GetRequest(e->request_id);
    if (r.ok() && r->nonce == nonce) return r->id;
  }
  return std::nullopt;
}

HttpResponse WalletAuthenticator::TimedAnswer(const HttpRequest& req, std::optional<PendingAnswer>& pending) {
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r = AnswerUntilValidation(req, pending);
  if (metrics_) {
    const auto took = std::chrono::steady_clock::now() - start;
    metrics_->StepTook(LoginMetrics::Step::kChecks, std::chrono::duration<double>(took).count());
  }
  return r;
}

HttpResponse WalletAuthenticator::PostAnswer(const HttpRequest& req) {
  std::optional<PendingAnswer> pending;
  HttpResponse r = TimedAnswer(req, pending);
  if (!pending) return r;
  return FinishValidation(*pending, ledger_.WaitForAnswer(pending->request_id, pending->wait));
}

void WalletAuthenticator::PostAnswerAsync(HttpRequest req, std::function<void(HttpResponse)> respond) {
  std::optional<PendingAnswer> pending;
  HttpResponse r = TimedAnswer(req, pending);
  if (!pending) {
    respond(std::move(r));
    return;
  }
  // The worker goes back to the pool; the validator thread answers.
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) {
    // The validation request is on the ledger; the resent answer finds it.
    lock.unlock();
    respond(StoppingResponse());
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + pending->wait;
  validations_.push_back({std::move(*pending), deadline, std::move(respond)});
  validation_cv_.notify_all();
}

wallet::WalletOr<wallet::Claim> WalletAuthenticator::ClaimCode(const CodeRecord& c, std::string_view body,
                                                               int64_t now) {
  // The claim records a digest of the exact answer. A wallet whose POST got
  // no reply (the replica serving it died, the proxy answered 502) may send
  // the identical answer again, and any replica resumes it: until an outcome
  // exists the checks run again, and a validation the first attempt already
  // submitted is found on the ledger by its nonce. Any other answer to a
  // claimed code is a replay.
  const std::string digest = wallet::AnswerDigest(body);
  Status first = store_.PutIfAbsent(kNsAnswered, c.code, digest,
                                    std::chrono::seconds(c.t.expiry - now + kCodeGraceSeconds));
  if (first.ok()) return wallet::CheckClaim(std::nullopt, digest, "");
  if (first.code() != StatusCode::kAlreadyExists) {
    LogError("wallet answer not recorded", {{"detail", first.ToString()}});
    return wallet::ServerError();
  }
  auto claimed = store_.Get(kNsAnswered, c.code);
  const std::string earlier = claimed.ok() ? *claimed : "";
  return wallet::CheckClaim(earlier, digest, earlier == digest ? Outcome(c.txn) : "");
}

HttpResponse WalletAuthenticator::Refuse(const std::string& txn, LoginLabels who, int64_t login_ttl) {
  LoginResult result;
  result.txn = txn;
  result.error = kLoginErrorRefused;
  if (Status st = SaveLoginResult(store_, result, login_ttl); !st.ok()) {
    LogError("wallet refusal not saved", {{"detail", st.ToString()}});
    return Fail(txn, who, login_ttl, wallet::ServerError());
  }
  SetOutcome(txn, who, kOutcomeRefused, login_ttl);
  return OkResponse();
}

// The steps of docs/wallet-protocol.md §7 (protocols/wallet/checks.h). The
// code is claimed (step 3) only once the answer is proven to come from an
// eID holder (steps 4-9, or a signed refusal): before that a failure
// answers the sender and leaves the login waiting, so a stranger who saw
// the QR code cannot end someone's login with garbage.
HttpResponse WalletAuthenticator::AnswerUntilValidation(const HttpRequest& req,
                                                        std::optional<PendingAnswer>& pending) {
  if (MediaTypeOf(req.headers) != "application/json") {
    return ErrorResponse(wallet::WalletError::Make(415, wallet::kErrUnsupportedMediaType,
                                                   "the answer must be application/json"));
  }
  auto found = FindCode(req);  // 1
  if (!found.ok()) return ErrorResponse(found.error());
  const CodeRecord& c = *found;
  if (auto wait = answers_by_code_.Take(c.code)) {
    HttpResponse r = ErrorResponse(wallet::WalletError::Make(429, wallet::kErrTooManyRequests,
                                                             "too many answers for this code; try again later"));
    r.headers.Set("Retry-After", std::to_string(*wait));
    return r;
  }
  const int64_t now = clock_.NowUnixSeconds();
  const int64_t ttl = std::max<int64_t>(c.request.expires_at - now, 1);
  if (auto e = wallet::CheckNotExpired(now, c.t.expiry)) return Fail(c.txn, Who(c.request), ttl, *e);  // 2
  auto answer = wallet::ParseAnswer(req.body, c.code, IsSign(c.request) ? wallet::RequestKind::kSign : wallet::RequestKind::kLogin);  // 4
  if (!answer.ok()) return ErrorResponse(answer.error());
  // §8b: a login addressed to an eID (its wallet inbox) takes no other's answer.
  if (auto e = wallet::CheckAddressedTo(c.request.wallet_eid, answer->eid)) return ErrorResponse(*e);
  const wallet::LoginContext ctx = ContextOf(c);
  // Until the claim, a refused answer leaves the code open.
  auto claim_code = [&]() -> std::optional<HttpResponse> {
    auto claim = ClaimCode(c, req.body, now);  // 3
    if (!claim.ok()) return ErrorResponse(claim.error());
    if (*claim == wallet::Claim::kAlreadyOk) return OkResponse();
    if (*claim == wallet::Claim::kFirst && metrics_)
      metrics_->StepTook(LoginMetrics::Step::kApprove, CodeAgeSeconds(c.t));
    if (*claim == wallet::Claim::kResumed)
      LogInfo("wallet answer resent; resuming it", {{"service", c.request.service_id}});
    return std::nullopt;
  };
  if (answer->refused) {  // 5: a refusal signed by an eID holder
    if (auto e = wallet::CheckRefusalSignature(ctx, *answer)) return ErrorResponse(*e);
    auto status = ledger_.GetEidStatus(answer->eid);
    if (!status.ok()) return ErrorResponse(wallet::ServerError(status.status().ToString()));
    if (auto e = wallet::CheckEidActive(*status)) return ErrorResponse(*e);
    if (auto done = claim_code()) return *done;
    return Refuse(c.txn, Who(c.request), ttl);
  }
  auto plain = wallet::CheckPayloadDecrypts(ecies_key_, answer->payload);  // 6
  if (!plain.ok()) return ErrorResponse(plain.error());
  auto disclosure = wallet::CheckAttributes(ctx, *plain, answer->eid);  // 7
  if (!disclosure.ok()) return ErrorResponse(disclosure.error());
  if (auto e = wallet::CheckLoginSignature(ctx, *answer, *disclosure)) return ErrorResponse(*e);  // 8
  if (auto e = wallet::CheckConsentSignature(ctx, *answer, *disclosure)) return ErrorResponse(*e);  // 9
  if (auto done = claim_code()) return *done;
  SetProgress(c.txn, wallet_login::kStateApproved, c.request.expires_at);
  // From here the code is spent: every failure also ends the browser's wait.
  auto status = ledger_.GetEidStatus(answer->eid);  // 10
  if (!status.ok()) {
    LogError("ledger read failed", {{"detail", status.status().ToString()}});
    return Fail(c.txn, Who(c.request), ttl, wallet::ServerError());
  }
  if (auto e = wallet::CheckEidActive(*status)) return Fail(c.txn, Who(c.request), ttl, *e);
  // The service may have lost its authorization since Begin; a re-login
  // below would not touch the ledger's own check.
  if (auto e = CheckProviderAuthorized(c.t.provider, c.request.service_id)) return Fail(c.txn, Who(c.request), ttl, *e);
  // 11: what validators already answered to this service's provider.
  auto validated = validation_index_.Answers(answer->eid, c.t.provider);
  if (!validated.ok()) {
    LogError("ledger read failed", {{"detail", validated.status().ToString()}});
    return Fail(c.txn, Who(c.request), ttl, wallet::ServerError());
  }
  PendingAnswer p{c.txn, c.request.service_id, c.t.provider, ttl, answer->eid, disclosure->attributes, 0, {}};
  p.protocol = c.request.protocol;
  p.attr_keys = disclosure->keys;
  if (auto e = CheckSignAnswer(c.txn, c.request, ctx, *answer, now, p)) return Fail(c.txn, Who(c.request), ttl, *e);
  // Step 9 proved the consent signature is the eID's: its public key is
  // the user's half of the access record's key agreement.
  if (auto pub = RecoverPublicKey(ConsentDigest(ctx.domain, wallet::ConsentFor(ctx, answer->eid, disclosure->keys)),
                                  *answer->consent_signature);
      pub.ok())
    p.user_public_key = *pub;
  // Re-authentication: no validator when every commitment is one this
  // provider already had validated for this eID.
  if (wallet::AlreadyValidated(*validated, *disclosure)) return CompleteLogin(p, false);
  auto key = ProviderKeyOf(c);
  if (!key.ok()) {
    LogError("provider key unavailable", {{"service", c.request.service_id}, {"detail", key.status().ToString()}});
    return Fail(c.txn, Who(c.request), ttl, wallet::ServerError());
  }
  return RequestValidation(*key, ctx, *answer, *disclosure, std::move(p), now, pending);  // 11-12
}

HttpResponse WalletAuthenticator::RequestValidation(const EthKey& provider, const wallet::LoginContext& ctx,
                                                    const wallet::Answer& answer,
                                                    const wallet::Disclosure& disclosure, PendingAnswer p,
                                                    int64_t now, std::optional<PendingAnswer>& pending) {
  const Consent consent = wallet::ConsentFor(ctx, answer.eid, disclosure.keys);
  const EthSignature& sig = *answer.consent_signature;  // step 9 passed
  auto id = ledger_.RequestValidation(provider, consent,
                                      std::string(reinterpret_cast<const char*>(sig.rsv.data()), sig.rsv.size()));
  if (!id.ok() && LedgerErrorOf(id.status()) == LedgerErrorCode::kNonceUsed) {
    // A resumed answer: an earlier attempt (perhaps on another replica)
    // already submitted this consent. Wait for that request instead.
    if (auto earlier = FindRequestByNonce(provider.address(), answer.eid, ctx.nonce)) id = *earlier;
  }
  if (auto e = wallet::CheckValidationSubmitted(id.status())) {
    if (e->code == wallet::kErrServerError)
      LogWarn("validation request refused by the ledger", {{"detail", id.status().ToString()}});
    return Fail(p.txn, Who(p), p.login_ttl, *e);
  }
  LogInfo("validation requested; waiting for the validator", {{"request", *id}});
  SetProgress(p.txn, wallet_login::kStateValidating, now + p.login_ttl);
  Duration until_expiry = std::chrono::seconds(std::max<int64_t>(ctx.consent_expiry - now, 0));
  p.request_id = *id;
  p.wait = std::min(options_.answer_timeout, until_expiry);
  p.validation_sent = std::chrono::steady_clock::now();
  pending = std::move(p);
  return HttpResponse::Json(202, "{}");  // not sent: the caller waits for the validator
}

HttpResponse WalletAuthenticator::FinishValidation(const PendingAnswer& p, StatusOr<ValidationRequest> answer) {
  if (metrics_) {
    const StatusCode code = answer.status().code();
    const auto took = std::chrono::steady_clock::now() - p.validation_sent;
    const bool late = code == StatusCode::kDeadlineExceeded ||
                      (code != StatusCode::kOk && LedgerErrorOf(answer.status()) == LedgerErrorCode::kExpired);
    metrics_->ValidatorAnswered(code == StatusCode::kOk ? "answered" : late ? "timeout" : "failed",
                                std::chrono::duration<double>(took).count());
  }
  if (auto e = wallet::CheckValidatorAnswered(answer.status())) return Fail(p.txn, Who(p), p.login_ttl, *e);  // 12
  if (auto e = wallet::CheckValidatorAnswer(*answer, p.eid, p.attrs)) return Fail(p.txn, Who(p), p.login_ttl, *e);  // 11
  // The ledger takes an answer to a request opened while the provider was
  // authorized even after the administrator removed it; the service must
  // still log nobody in.
  if (auto e = CheckProviderAuthorized(p.provider, p.service_id)) return Fail(p.txn, Who(p), p.login_ttl, *e);
  return CompleteLogin(p, true);
}

HttpResponse WalletAuthenticator::CompleteLogin(const PendingAnswer& p, bool validated) {
  const auto start = std::chrono::steady_clock::now();
  HttpResponse r = SaveLogin(p, validated);
  if (metrics_) {
    const auto took = std::chrono::steady_clock::now() - start;
    metrics_->StepTook(LoginMetrics::Step::kComplete, std::chrono::duration<double>(took).count());
  }
  return r;
}

HttpResponse WalletAuthenticator::SaveLogin(const PendingAnswer& p, bool validated) {
  LoginResult result;
  result.txn = p.txn;
  result.subject = ChecksumAddress(p.eid);
  result.eid = result.subject;
  for (const auto& d : p.attrs) result.attributes[d.name] = d.value;
  // The level of assurance is the eID's enrolled level on the ledger.
  auto record = ledger_.GetEid(p.eid);
  std::string_view loa = record.ok() ? eidas::LoaForLevel(record->loa) : std::string_view();
  if (loa.empty()) {
    LogError("eID level of assurance not read",
             {{"detail", record.ok() ? "level " + std::to_string(record->loa) : record.status().ToString()}});
    SetOutcome(p.txn, Who(p), kOutcomeFailed, p.login_ttl);
    return ErrorResponse(wallet::ServerError());
  }
  result.acr = std::string(loa);
  result.amr = {"hwk", "user"};
  result.auth_time = clock_.NowUnixSeconds();
  if (auto e = CompleteSign(p)) return Fail(p.txn, Who(p), p.login_ttl, *e);  // records the signatures
  if (Status st = SaveLoginResult(store_, result, p.login_ttl); !st.ok()) {
    LogError("wallet login result not saved", {{"detail", st.ToString()}});
    SetOutcome(p.txn, Who(p), kOutcomeFailed, p.login_ttl);
    return ErrorResponse(wallet::ServerError());
  }
  SetOutcome(p.txn, Who(p), kOutcomeOk, p.login_ttl);
  RecordAccess(p, validated);
  LogInfo("wallet login",
          {{"service", p.service_id}, {"provider", ChecksumAddress(p.provider)}, {"validated", validated}});
  return OkResponse();
}

void WalletAuthenticator::RecordAccess(const PendingAnswer& p, bool validated) {
  if (!access_records_) return;
  AccessRecordContent content;
  content.time = clock_.NowUnixSeconds();
  content.protocol = p.protocol;
  content.kind = validated ? "validated" : "reused";
  content.request_id = validated ? p.request_id : 0;
  content.attr_keys = p.attr_keys;
  Status st = p.user_public_key.empty() ? Internal("no public key recovered for the user")
                                        : access_records_->Record(p.service_id, p.user_public_key, content);
  if (!st.ok()) LogWarn("access record not queued", {{"service", p.service_id}, {"detail", st.ToString()}});
}

// One thread waits for the validator on behalf of every pending answer: it
// re-reads each open request when a ValidationAnswered event for any
// provider lands (or once a second, for expiry) and answers the wallet.
void WalletAuthenticator::ValidationLoop() {
  uint64_t cursor = 0;
  for (;;) {
    std::vector<PendingValidation> check;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      validation_cv_.wait(lock, [&] { return stop_ || !validations_.empty(); });
      stopping = stop_;
      check = std::move(validations_);
      validations_.clear();
    }
    if (auto b = ledger_.BlockNumber(); b.ok()) cursor = *b;
    std::vector<PendingValidation> keep;
    auto now = std::chrono::steady_clock::now();
    for (auto& v : check) {
      auto r = ledger_.GetRequest(v.answer.request_id);
      if (!r.ok()) {
        v.respond(FinishValidation(v.answer, r.status()));
      } else if (r->status == RequestStatus::kAnswered) {
        v.respond(FinishValidation(v.answer, *r));
      } else if (now >= v.deadline || ledger_.Now() >= r->expiry) {
        v.respond(FinishValidation(v.answer, DeadlineExceeded("no answer in time")));
      } else if (stopping) {
        v.respond(StoppingResponse());  // no outcome: another replica resumes it
      } else {
        keep.push_back(std::move(v));
      }
    }
    if (stopping) return;
    if (keep.empty()) continue;
    auto next = keep.front().deadline;
    for (const auto& v : keep) next = std::min(next, v.deadline);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& v : keep) validations_.push_back(std::move(v));
    }
    // Sleep until an answer lands (for any of the services' providers), the
    // nearest deadline, or a second (answers registered meanwhile are
    // checked then too).
    EventFilter f;
    f.kind = EventKind::kValidationAnswered;
    f.after_block = cursor;
    auto left = std::chrono::duration_cast<Duration>(next - std::chrono::steady_clock::now());
    auto wait = std::clamp(left, Duration::zero(), Duration(std::chrono::seconds(1)));
    if (wait > Duration::zero()) (void)ledger_.WaitForEvents(f, wait);
  }
}

}  // namespace certme
