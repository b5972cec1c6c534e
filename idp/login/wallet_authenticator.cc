#include "idp/login/wallet_authenticator.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "templates/templates.h"
#include "crypto/ecies.h"
#include "idp/login/qr_svg.h"
#include "ledger-client/abi.h"
#include "ledger-client/eip712.h"
#include "protocols/eidas.h"

namespace certme {

using nlohmann::json;

namespace {

constexpr char kPagePath[] = "/login/wallet";
constexpr char kNsTxn[] = "wallet_txn";
constexpr char kNsCode[] = "wallet_code";
constexpr char kNsAnswered[] = "wallet_answered";
constexpr char kNsOutcome[] = "wallet_outcome";
// §4: answers are small; a bound keeps a hostile POST cheap.
constexpr size_t kMaxAnswerBytes = 64 * 1024;
// Code records outlive the code's expiry by this much so that a late answer
// gets `expired` (410), not `unknown_code` (404).
constexpr int64_t kCodeGraceSeconds = 600;

// Outcomes (wallet_outcome values; never personal data).
constexpr char kOk[] = "ok";
constexpr char kRefused[] = "refused";
constexpr char kExpired[] = "expired";
constexpr char kSuspended[] = "eid_suspended";
constexpr char kRevoked[] = "eid_revoked";
constexpr char kTimeout[] = "validator_timeout";
// These outcomes reach the protocol as LoginResult::error (SetOutcome).
static_assert(std::string_view(kSuspended) == kLoginErrorEidSuspended &&
              std::string_view(kRevoked) == kLoginErrorEidRevoked &&
              std::string_view(kTimeout) == kLoginErrorValidatorTimeout);
constexpr char kFailed[] = "failed";

std::string Lang(const std::string& l) { return TemplateLang(l); }

// The attribute's name in `lang` from the catalogue (attr_<key>); the key
// itself for attributes the catalogue does not name.
std::string AttributeLabel(const TemplateSet& tp, const std::string& lang, const std::string& key) {
  std::string k = "attr_" + key;
  std::string label = tp.Text(lang, k);
  return label == k ? key : label;
}

std::string Hex32(const Bytes32& b) { return "0x" + HexEncode(abi::AsView(b)); }

std::optional<Bytes32> ParseHex32(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 66 || s.rfind("0x", 0) != 0) return std::nullopt;
  auto raw = HexDecode(s);
  if (!raw || raw->size() != 32) return std::nullopt;
  return abi::ToBytes32(*raw);
}

bool ValidCode(std::string_view code) {
  if (code.empty() || code.size() > 128) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

}  // namespace

// ---------------------------------------------------------------- EIP-712

Bytes32 WalletAttributesHash(const std::vector<Bytes32>& commitments) {
  std::string buf;
  for (const auto& c : commitments) buf.append(abi::AsView(c));
  return Keccak256(buf);
}

Bytes32 WalletLoginDigest(const Eip712Domain& domain, std::string_view code, const Bytes32& nonce,
                          std::string_view service, const Bytes32& attributes_hash, uint64_t expiry) {
  // hashStruct(Login) = keccak256(typeHash ‖ keccak(code) ‖ nonce ‖
  // keccak(service) ‖ attributesHash ‖ uint256(expiry)) (EIP-712 encodeData:
  // dynamic strings are hashed, atomic values are 32-byte words).
  std::string enc(abi::AsView(Keccak256(kWalletLoginType)));
  enc.append(abi::AsView(Keccak256(code)));
  enc.append(abi::AsView(nonce));
  enc.append(abi::AsView(Keccak256(service)));
  enc.append(abi::AsView(attributes_hash));
  std::string word(32, '\0');
  for (int i = 0; i < 8; ++i) word[31 - i] = static_cast<char>((expiry >> (8 * i)) & 0xff);
  enc.append(word);
  return Eip712Digest(DomainSeparator(domain), Keccak256(enc));
}

// ---------------------------------------------------------------- state

struct WalletAuthenticator::Txn {
  std::string code;
  Bytes32 nonce{};
  int64_t expiry = 0;          // the code's
  int64_t consent_expiry = 0;
};

WalletAuthenticator::WalletAuthenticator(WalletLoginOptions options, Store& store, Ledger& ledger,
                                         EthKey provider_key, EthKey ecies_key, Clock& clock, Random& random)
    : options_(std::move(options)),
      store_(store),
      ledger_(ledger),
      provider_key_(std::move(provider_key)),
      ecies_key_(std::move(ecies_key)),
      clock_(clock),
      random_(random) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') options_.public_url.pop_back();
  api_base_ = options_.public_url + "/wallet/v1";
  waiter_thread_ = std::thread([this] { WaiterLoop(); });
  validation_thread_ = std::thread([this] { ValidationLoop(); });
}

WalletAuthenticator::~WalletAuthenticator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  validation_cv_.notify_all();
  waiter_thread_.join();
  validation_thread_.join();
}

std::string WalletAuthenticator::QrPayload(std::string_view code) const {
  return "certme://login?u=" + PercentEncode(api_base_) + "&c=" + std::string(code);
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
  } catch (const json::exception&) {
    return Internal("damaged wallet login record");
  }
  return t;
}

Status WalletAuthenticator::NewCode(const std::string& txn, int64_t login_expires_at) {
  int64_t now = clock_.NowUnixSeconds();
  Txn t;
  t.code = random_.Token(32);  // §2: 32 bytes, base64url, 43 characters
  t.nonce = abi::ToBytes32(random_.Bytes(32));
  t.expiry = std::min(now + options_.code_ttl_seconds, login_expires_at);
  t.consent_expiry = now + options_.consent_ttl_seconds;
  if (t.expiry <= now) return FailedPrecondition("the login has expired");
  json j = {{"code", t.code}, {"nonce", Hex32(t.nonce)}, {"expiry", t.expiry}, {"consent_expiry", t.consent_expiry}};
  int64_t ttl = std::max<int64_t>(login_expires_at - now, 1) + kCodeGraceSeconds;
  CERTME_RETURN_IF_ERROR(store_.Put(kNsTxn, txn, j.dump(), std::chrono::seconds(ttl)));
  CERTME_RETURN_IF_ERROR(
      store_.Put(kNsCode, t.code, txn, std::chrono::seconds(t.expiry - now + kCodeGraceSeconds)));
  // A new code clears an earlier outcome (an expired code's).
  return store_.Delete(kNsOutcome, txn);
}

std::string WalletAuthenticator::Outcome(std::string_view txn) {
  auto o = store_.Get(kNsOutcome, txn);
  return o.ok() ? *o : "";
}

void WalletAuthenticator::SetOutcome(const std::string& txn, const std::string& outcome, int64_t ttl) {
  // The service hears about these when the user follows "back to the
  // service" from the outcome page (the refusal saves its own result): the
  // protocol answers its client with an error. Saved before the outcome, so
  // the page never offers a link that finds no result.
  if (outcome == kSuspended || outcome == kRevoked || outcome == kTimeout) {
    LoginResult failure;
    failure.txn = txn;
    failure.error = outcome;
    if (Status saved = SaveLoginResult(store_, failure, std::max<int64_t>(ttl, 1)); !saved.ok())
      LogError("wallet login failure not saved", {{"detail", saved.ToString()}});
  }
  Status st = store_.Put(kNsOutcome, txn, outcome, std::chrono::seconds(std::max<int64_t>(ttl, 1) + kCodeGraceSeconds));
  if (!st.ok()) LogError("wallet login outcome not saved", {{"detail", st.ToString()}});
  NotifyWaiters();
}

// ---------------------------------------------------------------- pages

HttpResponse WalletAuthenticator::Page(int status, const std::string& lang, const char* name, nlohmann::json data,
                                       const std::string& script_nonce) const {
  auto tp = Templates();
  data["title"] = tp->Text(lang, "login_title");
  // Nothing loads from elsewhere; the page's own script is allowed by
  // nonce and may only call back this origin.
  std::string extra;
  if (!script_nonce.empty()) extra = "script-src 'nonce-" + script_nonce + "'; connect-src 'self'";
  return HtmlPage(status, tp->RenderPage(name, lang, data), tp->PageCsp(extra));
}

HttpResponse WalletAuthenticator::OutcomePage(const std::string& outcome, const std::string& lang,
                                              const std::string& txn, const std::string& resume_url) const {
  auto tp = Templates();
  int status = 200;
  const char* key = "login_unknown";
  json data = {{"outcome", outcome.empty() ? "unknown" : outcome}, {"bad", true}};
  if (outcome == kRefused) {
    key = "login_refused";
    data["bad"] = false;
    // The protocol answers its client (access_denied / RequestDenied).
    data["back_url"] = resume_url;
  } else if (outcome == kExpired) {
    status = 410;
    key = "login_expired";
    data["retry"] = true;
    data["retry_action"] = options_.public_url + "/login/wallet/retry";
    data["txn"] = txn;
  } else if (outcome == kSuspended) {
    status = 403;
    key = "login_suspended";
    data["back_url"] = resume_url;  // access_denied (SetOutcome)
  } else if (outcome == kRevoked) {
    status = 403;
    key = "login_revoked";
    data["back_url"] = resume_url;  // access_denied
  } else if (outcome == kTimeout) {
    status = 504;
    key = "login_timeout";
    data["back_url"] = resume_url;  // temporarily_unavailable
  } else {
    status = 400;
    key = outcome == kFailed ? "login_failed" : "login_unknown";
  }
  data["message"] = tp->Text(lang, key);
  return Page(status, lang, "login/outcome", std::move(data));
}

HttpResponse WalletAuthenticator::Begin(const LoginRequest& request) {
  int64_t now = clock_.NowUnixSeconds();
  Status st = SaveLoginRequest(store_, request, now);
  if (st.ok()) st = NewCode(request.txn, request.expires_at);
  if (!st.ok()) {
    LogError("wallet login not started", {{"detail", st.ToString()}});
    return OutcomePage(kFailed, Lang(request.ui_locale), request.txn, request.resume_url);
  }
  return HttpResponse::Redirect(options_.public_url + kPagePath + "?txn=" + PercentEncode(request.txn));
}

HttpResponse WalletAuthenticator::LoginPage(const HttpRequest& req) {
  auto txn = req.Query("txn");
  if (!txn || txn->empty() || txn->size() > 256) return OutcomePage("unknown", "ro", "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return OutcomePage("unknown", "ro", "", "");
  std::string lang = Lang(request->ui_locale);
  if (auto l = req.Query("lang"); l && (*l == "ro" || *l == "ru" || *l == "en")) lang = *l;
  std::string outcome = Outcome(*txn);
  if (!outcome.empty()) return Continue(req);
  auto t = LoadTxn(*txn);
  if (!t.ok()) return OutcomePage("unknown", lang, "", "");
  if (t->expiry <= now) return OutcomePage(kExpired, lang, *txn, request->resume_url);

  auto tp = Templates();
  std::string service = request->service_id;
  if (auto it = request->service_names.find(lang); it != request->service_names.end() && !it->second.empty())
    service = it->second;
  auto svg = QrSvg(QrPayload(t->code), 4);
  if (!svg.ok()) LogError("QR code not drawn", {{"detail", svg.status().ToString()}});
  json attributes = json::array();
  for (const auto& a : request->attributes) attributes.push_back({{"key", a}, {"label", AttributeLabel(*tp, lang, a)}});
  const std::string page = options_.public_url + kPagePath + "?txn=" + PercentEncode(*txn);
  json links = json::array();
  for (const auto& [code, label] : {std::pair{"ro", "RO"}, std::pair{"ru", "RU"}, std::pair{"en", "EN"}})
    links.push_back({{"code", code}, {"label", label}, {"href", page + "&lang=" + code}, {"current", lang == code}});
  std::string nonce = random_.Token(16);
  json data = {
      {"service", service},
      {"has_attributes", !attributes.empty()},
      {"attributes", attributes},
      // Drawn by us from our own payload (no user text inside): raw.
      {"qr_svg", svg.ok() ? json(*svg) : json(nullptr)},
      {"deeplink", api_base_ + "/l/" + t->code},
      {"status_url", options_.public_url + "/login/wallet/status?txn=" + PercentEncode(*txn)},
      {"next_url", options_.public_url + "/login/wallet/continue?txn=" + PercentEncode(*txn) + "&lang=" + lang},
      {"continue_action", options_.public_url + "/login/wallet/continue"},
      {"txn", *txn},
      {"nonce", nonce},
      {"switcher", {{"links", links}}},
  };
  return Page(200, lang, "login/wallet", std::move(data), nonce);
}

HttpResponse WalletAuthenticator::Continue(const HttpRequest& req) {
  auto txn = req.Query("txn");
  if (!txn || txn->empty() || txn->size() > 256) return OutcomePage("unknown", "ro", "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return OutcomePage("unknown", "ro", "", "");
  std::string lang = Lang(request->ui_locale);
  if (auto l = req.Query("lang"); l && (*l == "ro" || *l == "ru" || *l == "en")) lang = *l;
  std::string outcome = Outcome(*txn);
  if (outcome == kOk) return HttpResponse::Redirect(request->resume_url);
  if (!outcome.empty()) return OutcomePage(outcome, lang, *txn, request->resume_url);
  auto t = LoadTxn(*txn);
  if (!t.ok()) return OutcomePage("unknown", lang, "", "");
  if (t->expiry <= now) return OutcomePage(kExpired, lang, *txn, request->resume_url);
  HttpRequest again = req;
  again.query = {{"txn", *txn}, {"lang", lang}};
  // Still pending: the page again (LoginPage finds no outcome).
  return LoginPage(again);
}

HttpResponse WalletAuthenticator::Retry(const HttpRequest& req) {
  auto txn = req.Form("txn");
  if (!txn || txn->empty() || txn->size() > 256) return OutcomePage("unknown", "ro", "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return OutcomePage("unknown", "ro", "", "");
  auto t = LoadTxn(*txn);
  std::string outcome = Outcome(*txn);
  // Only an expired, unanswered code may be replaced: an answered login
  // keeps its outcome.
  bool expired = t.ok() && t->expiry <= now && (outcome.empty() || outcome == kExpired);
  if (expired) {
    if (Status st = NewCode(*txn, request->expires_at); !st.ok())
      return OutcomePage("unknown", Lang(request->ui_locale), "", "");
  }
  return HttpResponse::Redirect(options_.public_url + kPagePath + "?txn=" + PercentEncode(*txn), 303);
}

// ---------------------------------------------------------------- long-poll

void WalletAuthenticator::StatusPoll(HttpRequest req, std::function<void(HttpResponse)> respond) {
  auto txn = req.Query("txn");
  if (!txn || txn->empty() || txn->size() > 256) {
    respond(WalletError(400, "invalid_request", "txn missing"));
    return;
  }
  if (!Outcome(*txn).empty()) {
    respond(HttpResponse::Json(200, R"({"state":"done"})"));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) {
    respond(HttpResponse::Json(200, R"({"state":"pending"})"));
    return;
  }
  waiters_.push_back({*txn, std::chrono::steady_clock::now() + options_.poll_timeout, std::move(respond)});
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
      // The store read runs without the lock; answers are sent outside it.
      bool done = !Outcome(w.txn).empty();
      if (done) {
        w.respond(HttpResponse::Json(200, R"({"state":"done"})"));
      } else if (stopping || now >= w.deadline) {
        w.respond(HttpResponse::Json(200, R"({"state":"pending"})"));
      } else {
        keep.push_back(std::move(w));
      }
    }
    lock.lock();
    for (auto& w : keep) waiters_.push_back(std::move(w));
    if (stopping) {
      for (auto& w : waiters_) w.respond(HttpResponse::Json(200, R"({"state":"pending"})"));
      waiters_.clear();
      return;
    }
  }
}

// ---------------------------------------------------------------- wallet API

HttpResponse WalletAuthenticator::WalletError(int http, const std::string& code,
                                              const std::string& description) const {
  HttpResponse r = HttpResponse::Json(http, json{{"error", code}, {"error_description", description}}.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

HttpResponse WalletAuthenticator::DeepLink(const HttpRequest& req) {
  auto it = req.path_params.find("code");
  if (it == req.path_params.end() || !ValidCode(it->second)) return OutcomePage("unknown", "ro", "", "");
  std::string lang = Lang(req.Query("lang").value_or("ro"));
  return Page(200, lang, "login/deeplink", {{"link", QrPayload(it->second)}});
}

HttpResponse WalletAuthenticator::GetRequestDocument(const HttpRequest& req) {
  auto it = req.path_params.find("code");
  if (it == req.path_params.end() || !ValidCode(it->second))
    return WalletError(404, "unknown_code", "unknown code");
  const std::string& code = it->second;
  auto txn = store_.Get(kNsCode, code);
  if (!txn.ok()) return WalletError(404, "unknown_code", "unknown code");
  auto t = LoadTxn(*txn);
  auto request = LoadLoginRequest(store_, *txn);
  if (!t.ok() || !request.ok() || t->code != code) return WalletError(404, "unknown_code", "unknown code");
  int64_t now = clock_.NowUnixSeconds();
  if (now >= t->expiry) return WalletError(410, "expired", "the request has expired");
  if (store_.Get(kNsAnswered, code).ok()) return WalletError(409, "replayed", "the request was already answered");
  auto domain = ledger_.Domain();
  json names = json::object();
  for (const auto& [lang, name] : request->service_names) names[lang] = name;
  json doc = {
      {"version", 1},
      {"code", code},
      {"nonce", Hex32(t->nonce)},
      {"expiry", t->expiry},
      {"service", {{"id", request->service_id}, {"names", names}}},
      {"attributes", request->attributes},
      {"purpose", {{"ro", "Autentificare"}, {"ru", "Аутентификация"}, {"en", "Sign-in"}}},
      {"bridgeKey", "0x" + HexEncode(ecies_key_.public_key())},
      {"domain",
       {{"name", domain.name},
        {"version", domain.version},
        {"chainId", domain.chain_id},
        {"verifyingContract", ChecksumAddress(domain.verifying_contract)}}},
      // Always present: the bridge learns who answers only from the answer,
      // so it asks for the consent up front and submits it only when a
      // validation is needed (an unused consent's nonce stays unused).
      {"consent", {{"provider", provider_key_.AddressHex()}, {"expiry", t->consent_expiry}}},
  };
  HttpResponse r = HttpResponse::Json(200, doc.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

std::optional<uint64_t> WalletAuthenticator::FindRequestByNonce(const std::string& eid, const Bytes32& nonce) {
  EventFilter f;
  f.kind = EventKind::kValidationRequested;
  f.provider = provider_key_.address();
  f.user = eid;
  auto events = ledger_.Events(f);
  if (!events.ok()) return std::nullopt;
  for (auto e = events->rbegin(); e != events->rend(); ++e) {
    auto r = ledger_.GetRequest(e->request_id);
    if (r.ok() && r->nonce == nonce) return r->id;
  }
  return std::nullopt;
}

HttpResponse WalletAuthenticator::PostAnswer(const HttpRequest& req) {
  std::optional<PendingAnswer> pending;
  HttpResponse r = AnswerUntilValidation(req, pending);
  if (!pending) return r;
  return FinishValidation(*pending, ledger_.WaitForAnswer(pending->request_id, pending->wait));
}

void WalletAuthenticator::PostAnswerAsync(HttpRequest req, std::function<void(HttpResponse)> respond) {
  std::optional<PendingAnswer> pending;
  HttpResponse r = AnswerUntilValidation(req, pending);
  if (!pending) {
    respond(std::move(r));
    return;
  }
  // The worker goes back to the pool; the validator thread answers.
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) {
    lock.unlock();
    respond(FinishValidation(*pending, DeadlineExceeded("shutting down")));
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + pending->wait;
  validations_.push_back({std::move(*pending), deadline, std::move(respond)});
  validation_cv_.notify_all();
}

HttpResponse WalletAuthenticator::AnswerUntilValidation(const HttpRequest& req,
                                                        std::optional<PendingAnswer>& pending) {
  auto it = req.path_params.find("code");
  if (it == req.path_params.end() || !ValidCode(it->second))
    return WalletError(404, "unknown_code", "unknown code");
  const std::string code = it->second;
  // §7 checks 1-3.
  auto txn_id = store_.Get(kNsCode, code);
  if (!txn_id.ok()) return WalletError(404, "unknown_code", "unknown code");
  const std::string txn = *txn_id;
  auto t = LoadTxn(txn);
  auto request = LoadLoginRequest(store_, txn);
  if (!t.ok() || !request.ok() || t->code != code) return WalletError(404, "unknown_code", "unknown code");
  int64_t now = clock_.NowUnixSeconds();
  int64_t login_ttl = std::max<int64_t>(request->expires_at - now, 1);
  if (now >= t->expiry) {
    SetOutcome(txn, kExpired, login_ttl);
    return WalletError(410, "expired", "the request has expired");
  }
  // The claim records a digest of the exact answer. A wallet whose POST got
  // no reply (the replica serving it died, the proxy answered 502) may send
  // the identical answer again, and any replica resumes it: until an outcome
  // exists the checks below run again, and a validation the first attempt
  // already submitted is found on the ledger by its nonce. Any other answer
  // to a claimed code is a replay.
  const std::string answer_digest = Hex32(Keccak256(req.body));
  Status first = store_.PutIfAbsent(kNsAnswered, code, answer_digest,
                                    std::chrono::seconds(t->expiry - now + kCodeGraceSeconds));
  if (first.code() == StatusCode::kAlreadyExists) {
    auto claimed = store_.Get(kNsAnswered, code);
    if (!claimed.ok() || *claimed != answer_digest)
      return WalletError(409, "replayed", "the request was already answered");
    std::string outcome = Outcome(txn);
    if (outcome == kOk) return HttpResponse::Json(200, R"({"status":"ok"})");
    if (!outcome.empty()) return WalletError(409, "replayed", "the request was already answered");
    LogInfo("wallet answer resent; resuming it", {{"service", request->service_id}});
  } else if (!first.ok()) {
    LogError("wallet answer not recorded", {{"detail", first.ToString()}});
    return WalletError(500, "server_error", "");
  }
  // From here the code is spent: every failure also ends the browser's wait.
  auto fail = [&](int http, const std::string& err, const std::string& desc, const char* outcome) {
    SetOutcome(txn, outcome, login_ttl);
    return WalletError(http, err, desc);
  };

  // 4: the answer document.
  if (req.body.size() > kMaxAnswerBytes) return fail(400, "invalid_request", "answer too large", kFailed);
  json a = json::parse(req.body, nullptr, false);
  if (a.is_discarded() || !a.is_object()) return fail(400, "invalid_request", "not a JSON object", kFailed);
  if (!a.contains("version") || a["version"] != 1) return fail(400, "invalid_request", "version must be 1", kFailed);
  if (!a.contains("code") || a["code"] != code) return fail(400, "invalid_request", "code differs", kFailed);
  // 5: refusal.
  if (a.contains("refused")) {
    if (a["refused"] != true) return fail(400, "invalid_request", "refused must be true", kFailed);
    LoginResult result;
    result.txn = txn;
    result.error = kLoginErrorRefused;
    if (Status st = SaveLoginResult(store_, result, login_ttl); !st.ok()) {
      LogError("wallet refusal not saved", {{"detail", st.ToString()}});
      return fail(500, "server_error", "", kFailed);
    }
    SetOutcome(txn, kRefused, login_ttl);
    return HttpResponse::Json(200, R"({"status":"ok"})");
  }
  if (!a.contains("eid") || !a["eid"].is_string() || !a.contains("loginSignature") ||
      !a["loginSignature"].is_string() || !a.contains("attributes") || !a["attributes"].is_string())
    return fail(400, "invalid_request", "eid, loginSignature and attributes are required", kFailed);
  auto eid = ParseAddress(a["eid"].get<std::string>());
  if (!eid.ok()) return fail(400, "invalid_request", "eid is not an address", kFailed);
  auto login_sig = EthSignature::FromHex(a["loginSignature"].get<std::string>());
  if (!login_sig) return fail(400, "invalid_request", "loginSignature is malformed", kFailed);
  std::optional<EthSignature> consent_sig;
  if (a.contains("consentSignature")) {
    if (!a["consentSignature"].is_string()) return fail(400, "invalid_request", "consentSignature", kFailed);
    consent_sig = EthSignature::FromHex(a["consentSignature"].get<std::string>());
    if (!consent_sig) return fail(400, "invalid_request", "consentSignature is malformed", kFailed);
  }
  auto payload = Base64UrlDecode(a["attributes"].get<std::string>());
  if (!payload) return fail(400, "invalid_request", "attributes is not base64url", kFailed);

  // 6: decrypt.
  auto plain = EciesDecrypt(ecies_key_, *payload);
  if (!plain.ok()) return fail(400, "bad_payload", "the attributes do not decrypt", kFailed);
  // 7: exactly the requested attributes, in order.
  json list = json::parse(*plain, nullptr, false);
  if (list.is_discarded() || !list.is_array() || list.size() != request->attributes.size())
    return fail(400, "attributes_mismatch", "attributes differ from the request", kFailed);
  std::vector<DisclosedAttribute> attrs;
  std::vector<Bytes32> keys, commitments;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& o = list[i];
    if (!o.is_object() || o.size() != 3 || !o.contains("key") || o["key"] != request->attributes[i] ||
        !o.contains("value") || !o["value"].is_string() ||
        o["value"].get_ref<const std::string&>().size() > kMaxAttributeValueBytes || !o.contains("salt"))
      return fail(400, "attributes_mismatch", "attributes differ from the request", kFailed);
    auto salt = ParseHex32(o["salt"]);
    if (!salt) return fail(400, "attributes_mismatch", "salt must be 32 bytes", kFailed);
    attrs.push_back({request->attributes[i], o["value"].get<std::string>(), *salt});
    keys.push_back(AttributeKey(attrs.back().name));
    commitments.push_back(AttributeCommitment(*eid, keys.back(), attrs.back().value, *salt));
  }

  // 8: Login signature.
  const Eip712Domain domain = ledger_.Domain();
  Bytes32 digest = WalletLoginDigest(domain, code, t->nonce, request->service_id, WalletAttributesHash(commitments),
                                     static_cast<uint64_t>(t->expiry));
  auto signer = RecoverAddress(digest, *login_sig);
  if (!signer.ok() || *signer != *eid) return fail(401, "bad_signature", "Login signature is not by eid", kFailed);
  // 9: consent (asked in every request document).
  Consent consent{*eid, provider_key_.address(), keys, t->nonce, static_cast<uint64_t>(t->consent_expiry)};
  if (!consent_sig) return fail(401, "bad_consent", "consentSignature missing", kFailed);
  auto consent_signer = RecoverConsentSigner(domain, consent, *consent_sig);
  if (!consent_signer.ok() || *consent_signer != *eid)
    return fail(401, "bad_consent", "Consent signature is not by eid", kFailed);

  // 10: eID Active.
  auto status = ledger_.GetEidStatus(*eid);
  if (!status.ok()) {
    LogError("ledger read failed", {{"detail", status.status().ToString()}});
    return fail(500, "server_error", "", kFailed);
  }
  if (*status != EidStatus::kActive) {
    const char* outcome = *status == EidStatus::kSuspended ? kSuspended : *status == EidStatus::kRevoked ? kRevoked : kFailed;
    return fail(403, "eid_not_active", std::string("the eID is ") + EidStatusName(*status), outcome);
  }

  // 11-12: commitments. Attributes this provider already had validated for
  // this eID need no validator when every disclosed commitment equals the
  // validator's latest answer; anything else goes through a consented
  // validation.
  EventFilter f;
  f.kind = EventKind::kValidationAnswered;
  f.provider = provider_key_.address();
  f.user = *eid;
  auto answered = ledger_.Events(f);
  if (!answered.ok()) {
    LogError("ledger read failed", {{"detail", answered.status().ToString()}});
    return fail(500, "server_error", "", kFailed);
  }
  std::map<Bytes32, std::pair<Bytes32, uint8_t>> latest;  // attrKey → (commitment, loa)
  for (const auto& e : *answered) {
    auto req_rec = ledger_.GetRequest(e.request_id);
    if (!req_rec.ok()) continue;
    for (size_t i = 0; i < req_rec->attr_keys.size() && i < e.commitments.size(); ++i)
      latest[req_rec->attr_keys[i]] = {e.commitments[i], e.loa};
  }
  bool known = true;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto l = latest.find(keys[i]);
    if (l == latest.end() || l->second.first != commitments[i] || l->second.second < kLoaSubstantial) known = false;
  }
  if (!known) {
    auto id = ledger_.RequestValidation(provider_key_, consent,
                                        std::string(reinterpret_cast<const char*>(consent_sig->rsv.data()), 65));
    if (!id.ok() && LedgerErrorOf(id.status()) == LedgerErrorCode::kNonceUsed) {
      // A resumed answer: an earlier attempt (perhaps on another replica)
      // already submitted this consent. Wait for that request instead.
      if (auto earlier = FindRequestByNonce(*eid, t->nonce)) id = *earlier;
    }
    if (!id.ok()) {
      auto le = LedgerErrorOf(id.status());
      if (le == LedgerErrorCode::kEidNotActive) return fail(403, "eid_not_active", "the eID is not active", kFailed);
      if (le == LedgerErrorCode::kUnknownAttribute)
        return fail(403, "commitment_mismatch", "the eID holds no commitment for an attribute", kFailed);
      LogWarn("validation request refused by the ledger", {{"detail", id.status().ToString()}});
      return fail(500, "server_error", "", kFailed);
    }
    LogInfo("validation requested; waiting for the validator", {{"request", *id}});
    Duration until_expiry = std::chrono::seconds(std::max<int64_t>(t->consent_expiry - now, 0));
    pending = PendingAnswer{txn, request->service_id, login_ttl, *eid, std::move(attrs), *id,
                            std::min(options_.answer_timeout, until_expiry)};
    return HttpResponse::Json(202, "{}");  // not sent: the caller waits for the validator
  }
  return CompleteLogin(PendingAnswer{txn, request->service_id, login_ttl, *eid, std::move(attrs), 0, {}}, false);
}

HttpResponse WalletAuthenticator::FinishValidation(const PendingAnswer& p, StatusOr<ValidationRequest> answer) {
  auto fail = [&](int http, const std::string& err, const std::string& desc, const char* outcome) {
    SetOutcome(p.txn, outcome, p.login_ttl);
    return WalletError(http, err, desc);
  };
  if (!answer.ok()) return fail(504, "validator_timeout", "the validator did not answer in time", kTimeout);
  if (answer->loa < kLoaSubstantial)
    return fail(403, "commitment_mismatch", "the eID's level of assurance is below substantial", kFailed);
  Status check = CheckDisclosure(p.eid, p.attrs, answer->attr_keys, answer->commitments);
  if (!check.ok()) return fail(403, "commitment_mismatch", "a value differs from its commitment", kFailed);
  return CompleteLogin(p, true);
}

HttpResponse WalletAuthenticator::CompleteLogin(const PendingAnswer& p, bool validated) {
  LoginResult result;
  result.txn = p.txn;
  result.subject = ChecksumAddress(p.eid);
  for (const auto& d : p.attrs) result.attributes[d.name] = d.value;
  result.acr = std::string(eidas::kLoaSubstantial);
  result.amr = {"hwk", "user"};
  result.auth_time = clock_.NowUnixSeconds();
  if (Status st = SaveLoginResult(store_, result, p.login_ttl); !st.ok()) {
    LogError("wallet login result not saved", {{"detail", st.ToString()}});
    SetOutcome(p.txn, kFailed, p.login_ttl);
    return WalletError(500, "server_error", "");
  }
  SetOutcome(p.txn, kOk, p.login_ttl);
  LogInfo("wallet login", {{"service", p.service_id}, {"validated", validated}});
  return HttpResponse::Json(200, R"({"status":"ok"})");
}

// One thread waits for the validator on behalf of every pending answer: it
// re-reads each open request when a ValidationAnswered event for this
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
      } else if (stopping || now >= v.deadline || ledger_.Now() >= r->expiry) {
        v.respond(FinishValidation(v.answer, DeadlineExceeded("no answer in time")));
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
    // Sleep until an answer for this provider lands, the nearest deadline,
    // or a second (answers registered meanwhile are checked then too).
    EventFilter f;
    f.kind = EventKind::kValidationAnswered;
    f.provider = provider_key_.address();
    f.after_block = cursor;
    auto left = std::chrono::duration_cast<Duration>(next - std::chrono::steady_clock::now());
    auto wait = std::clamp(left, Duration::zero(), Duration(std::chrono::seconds(1)));
    if (wait > Duration::zero()) (void)ledger_.WaitForEvents(f, wait);
  }
}

}  // namespace certme
