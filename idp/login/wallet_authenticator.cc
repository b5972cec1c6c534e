#include "idp/login/wallet_authenticator.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/ecies.h"
#include "idp/login/qr_svg.h"
#include "ledger-client/abi.h"
#include "ledger-client/eip712.h"

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
constexpr char kAcr[] = "http://eidas.europa.eu/LoA/substantial";

// Outcomes (wallet_outcome values; never personal data).
constexpr char kOk[] = "ok";
constexpr char kRefused[] = "refused";
constexpr char kExpired[] = "expired";
constexpr char kSuspended[] = "eid_suspended";
constexpr char kRevoked[] = "eid_revoked";
constexpr char kTimeout[] = "validator_timeout";
constexpr char kFailed[] = "failed";

std::string Lang(const std::string& l) { return (l == "ru" || l == "en") ? l : "ro"; }

// Texts of the pages, per language (ro, ru, en).
struct Texts {
  const char* title;
  const char* intro;
  const char* asks;
  const char* scan;
  const char* same_device;
  const char* continue_btn;
  const char* waiting;
  const char* done;
  const char* refused;
  const char* expired;
  const char* retry;
  const char* suspended;
  const char* revoked;
  const char* timeout;
  const char* failed;
  const char* unknown;
  const char* back;
};

const Texts& T(const std::string& lang) {
  static const Texts kRo{"Conectare cu certME",
                         "Serviciul care vă cere autentificarea:",
                         "Atribute solicitate:",
                         "Scanați codul QR cu portofelul certME.",
                         "Deschide portofelul certME pe acest dispozitiv",
                         "Continuă",
                         "Așteptăm răspunsul portofelului…",
                         "Autentificare reușită.",
                         "Ați refuzat autentificarea.",
                         "Cererea a expirat.",
                         "Încearcă din nou",
                         "eID-ul dumneavoastră este suspendat.",
                         "eID-ul dumneavoastră este revocat.",
                         "Validatorul nu a răspuns la timp. Încercați mai târziu.",
                         "Autentificarea nu a reușit.",
                         "Cerere de autentificare necunoscută sau expirată.",
                         "Înapoi la serviciu"};
  static const Texts kRu{"Вход через certME",
                         "Сервис, запрашивающий вход:",
                         "Запрашиваемые атрибуты:",
                         "Отсканируйте QR-код кошельком certME.",
                         "Открыть кошелёк certME на этом устройстве",
                         "Продолжить",
                         "Ожидаем ответа кошелька…",
                         "Вход выполнен.",
                         "Вы отказались от входа.",
                         "Срок запроса истёк.",
                         "Повторить",
                         "Ваш eID приостановлен.",
                         "Ваш eID отозван.",
                         "Валидатор не ответил вовремя. Попробуйте позже.",
                         "Вход не удался.",
                         "Неизвестный или истёкший запрос входа.",
                         "Вернуться к сервису"};
  static const Texts kEn{"Sign in with certME",
                         "The service asking you to sign in:",
                         "Attributes requested:",
                         "Scan the QR code with the certME wallet.",
                         "Open the certME wallet on this device",
                         "Continue",
                         "Waiting for the wallet's answer…",
                         "Signed in.",
                         "You refused to sign in.",
                         "The request has expired.",
                         "Try again",
                         "Your eID is suspended.",
                         "Your eID is revoked.",
                         "The validator did not answer in time. Please try again later.",
                         "The sign-in did not succeed.",
                         "Unknown or expired sign-in request.",
                         "Back to the service"};
  if (lang == "ru") return kRu;
  if (lang == "en") return kEn;
  return kRo;
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
}

WalletAuthenticator::~WalletAuthenticator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  waiter_thread_.join();
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
  Status st = store_.Put(kNsOutcome, txn, outcome, std::chrono::seconds(std::max<int64_t>(ttl, 1) + kCodeGraceSeconds));
  if (!st.ok()) LogError("wallet login outcome not saved", {{"detail", st.ToString()}});
  NotifyWaiters();
}

// ---------------------------------------------------------------- pages

HttpResponse WalletAuthenticator::Page(int status, const std::string& lang, const std::string& title,
                                       const std::string& body_html, const std::string& script_nonce) const {
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + lang +
                     "\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<title>" +
                     HtmlEscape(title) + "</title>";
  std::string nonce = script_nonce.empty() ? "" : " nonce=\"" + script_nonce + "\"";
  html += "<style" + nonce +
          ">body{font-family:system-ui,sans-serif;margin:0;background:#f4f6fb;color:#14213d}"
          "main{max-width:28rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:12px;"
          "box-shadow:0 2px 8px rgba(0,0,0,.08)}h1{color:#0b3d91;font-size:1.4rem}"
          ".qr svg{width:100%;max-width:260px;height:auto}button,.btn{background:#0b3d91;color:#fff;"
          "border:0;border-radius:6px;padding:.6rem 1rem;font-size:1rem;text-decoration:none;"
          "display:inline-block}</style></head><body><main>";
  html += body_html + "</main></body></html>\n";
  HttpResponse r = HttpResponse::Html(status, std::move(html));
  r.headers.Set("Cache-Control", "no-store");
  // Nothing loads from elsewhere; the page's own script and style are
  // allowed by nonce, and the script may only call back this origin.
  if (script_nonce.empty()) {
    r.csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; style-src 'unsafe-inline'";
  } else {
    r.csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; script-src 'nonce-" + script_nonce +
            "'; style-src 'nonce-" + script_nonce + "'; connect-src 'self'";
  }
  return r;
}

HttpResponse WalletAuthenticator::OutcomePage(const std::string& outcome, const std::string& lang,
                                              const std::string& txn, const std::string& resume_url) const {
  const Texts& t = T(lang);
  std::string body = "<h1>" + HtmlEscape(t.title) + "</h1>";
  int status = 200;
  auto para = [](const char* s) { return "<p>" + HtmlEscape(s) + "</p>"; };
  if (outcome == kRefused) {
    body += para(t.refused);
    // The protocol answers its client (access_denied / RequestDenied).
    body += "<p><a class=\"btn\" href=\"" + HtmlEscape(resume_url) + "\">" + HtmlEscape(t.back) + "</a></p>";
  } else if (outcome == kExpired) {
    status = 410;
    body += para(t.expired);
    body += "<form method=\"post\" action=\"" + HtmlEscape(options_.public_url) + "/login/wallet/retry\">" +
            "<input type=\"hidden\" name=\"txn\" value=\"" + HtmlEscape(txn) + "\"><button type=\"submit\">" +
            HtmlEscape(t.retry) + "</button></form>";
  } else if (outcome == kSuspended) {
    status = 403;
    body += para(t.suspended);
  } else if (outcome == kRevoked) {
    status = 403;
    body += para(t.revoked);
  } else if (outcome == kTimeout) {
    status = 504;
    body += para(t.timeout);
  } else {
    status = 400;
    body += para(outcome == kFailed ? t.failed : t.unknown);
  }
  return Page(status, lang, t.title, body);
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

  const Texts& tx = T(lang);
  std::string service = request->service_id;
  if (auto it = request->service_names.find(lang); it != request->service_names.end() && !it->second.empty())
    service = it->second;
  std::string payload = QrPayload(t->code);
  auto svg = QrSvg(payload, 4);
  std::string nonce = random_.Token(16);
  std::string body = "<h1>" + HtmlEscape(tx.title) + "</h1>";
  body += "<p>" + HtmlEscape(tx.intro) + " <strong id=\"service\">" + HtmlEscape(service) + "</strong></p>";
  if (!request->attributes.empty()) {
    body += "<p>" + HtmlEscape(tx.asks) + "</p><ul id=\"attributes\">";
    for (const auto& a : request->attributes) body += "<li>" + HtmlEscape(a) + "</li>";
    body += "</ul>";
  }
  body += "<p>" + HtmlEscape(tx.scan) + "</p>";
  // The SVG is generated from our own payload (no user text inside).
  if (svg.ok()) body += "<div class=\"qr\" id=\"qr\">" + *svg + "</div>";
  body += "<p><a id=\"deeplink\" href=\"" + HtmlEscape(api_base_ + "/l/" + t->code) + "\">" +
          HtmlEscape(tx.same_device) + "</a></p>";
  body += "<p id=\"status\">" + HtmlEscape(tx.waiting) + "</p>";
  std::string cont = options_.public_url + "/login/wallet/continue?txn=" + PercentEncode(*txn);
  body += "<form method=\"get\" action=\"" + HtmlEscape(options_.public_url) +
          "/login/wallet/continue\"><input type=\"hidden\" name=\"txn\" value=\"" + HtmlEscape(*txn) +
          "\"><button type=\"submit\" id=\"continue\">" + HtmlEscape(tx.continue_btn) + "</button></form>";
  // Live status: long-poll until the outcome is known, then continue.
  json urls = {{"status", options_.public_url + "/login/wallet/status?txn=" + PercentEncode(*txn)},
               {"next", cont}};
  std::string urls_js = urls.dump(-1, ' ', true);  // ASCII only
  // Keep "</script>" out of the script body whatever the URLs hold.
  for (size_t p; (p = urls_js.find("</")) != std::string::npos;) urls_js.replace(p, 2, "<\\/");
  body += "<script nonce=\"" + nonce + "\">(function(){var u=" + urls_js +
          ";function poll(){fetch(u.status,{credentials:'same-origin',cache:'no-store'})"
          ".then(function(r){return r.json();}).then(function(s){if(s.state==='done'){location.href=u.next;}"
          "else{poll();}}).catch(function(){setTimeout(poll,3000);});}poll();})();</script>";
  return Page(200, lang, tx.title, body, nonce);
}

HttpResponse WalletAuthenticator::Continue(const HttpRequest& req) {
  auto txn = req.Query("txn");
  if (!txn || txn->empty() || txn->size() > 256) return OutcomePage("unknown", "ro", "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return OutcomePage("unknown", "ro", "", "");
  std::string lang = Lang(request->ui_locale);
  std::string outcome = Outcome(*txn);
  if (outcome == kOk) return HttpResponse::Redirect(request->resume_url);
  if (!outcome.empty()) return OutcomePage(outcome, lang, *txn, request->resume_url);
  auto t = LoadTxn(*txn);
  if (!t.ok()) return OutcomePage("unknown", lang, "", "");
  if (t->expiry <= now) return OutcomePage(kExpired, lang, *txn, request->resume_url);
  HttpRequest again = req;
  again.query = {{"txn", *txn}};
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
  std::string link = QrPayload(it->second);
  std::string body = "<h1>" + HtmlEscape(T("ro").title) + "</h1><p><a class=\"btn\" href=\"" + HtmlEscape(link) +
                     "\">" + HtmlEscape(T("ro").same_device) + "</a></p><p lang=\"en\">" +
                     HtmlEscape("Without the certME wallet installed, this link does nothing: install the wallet "
                                "from your phone's app store, then open this page again.") +
                     "</p>";
  return Page(200, "ro", T("ro").title, body);
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
  bool validated = false;
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
    Duration wait = options_.answer_timeout;
    Duration until_expiry = std::chrono::seconds(std::max<int64_t>(t->consent_expiry - now, 0));
    auto answer = ledger_.WaitForAnswer(*id, std::min(wait, until_expiry));
    if (!answer.ok()) return fail(504, "validator_timeout", "the validator did not answer in time", kTimeout);
    if (answer->loa < kLoaSubstantial)
      return fail(403, "commitment_mismatch", "the eID's level of assurance is below substantial", kFailed);
    Status check = CheckDisclosure(*eid, attrs, answer->attr_keys, answer->commitments);
    if (!check.ok()) return fail(403, "commitment_mismatch", "a value differs from its commitment", kFailed);
    validated = true;
  }

  LoginResult result;
  result.txn = txn;
  result.subject = ChecksumAddress(*eid);
  for (const auto& d : attrs) result.attributes[d.name] = d.value;
  result.acr = kAcr;
  result.amr = {"hwk", "user"};
  result.auth_time = clock_.NowUnixSeconds();
  if (Status st = SaveLoginResult(store_, result, login_ttl); !st.ok()) {
    LogError("wallet login result not saved", {{"detail", st.ToString()}});
    return fail(500, "server_error", "", kFailed);
  }
  SetOutcome(txn, kOk, login_ttl);
  LogInfo("wallet login", {{"service", request->service_id}, {"validated", validated}});
  return HttpResponse::Json(200, R"({"status":"ok"})");
}

}  // namespace certme
