// The wallet login's browser pages (WalletAuthenticator's members: the login
// page with the QR code, "continue", "try again" and the outcome pages of
// docs/wallet-protocol.md §8), apart from the wallet API.
#include "idp/login/wallet_authenticator.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "idp/login/qr_svg.h"
#include "idp/login/wallet_pages.h"
#include "protocols/wallet/link.h"
#include "protocols/wallet/vocabulary.h"
#include "templates/page_lang.h"
#include "templates/templates.h"

namespace certme {

using nlohmann::json;

namespace {

using wallet_login::kPagePath;
using wallet_login::Lang;
using wallet::kOutcomeExpired;
using wallet::kOutcomeFailed;
using wallet::kOutcomeOk;
using wallet::kOutcomeRefused;
using wallet::kOutcomeRevoked;
using wallet::kOutcomeServiceNotAuthorized;
using wallet::kOutcomeSuspended;
using wallet::kOutcomeTimeout;
namespace wl = wallet_login;

bool ValidTxn(const std::optional<std::string>& txn) { return txn && !txn->empty() && txn->size() <= 256; }

// m:ss for the countdown the page shows before its script takes over.
std::string MinSec(int64_t seconds) {
  seconds = std::max<int64_t>(seconds, 0);
  std::string s = std::to_string(seconds % 60);
  return std::to_string(seconds / 60) + ":" + (s.size() < 2 ? "0" + s : s);
}

// The attribute's name in `lang` from the catalogue (attr_<key>); the key
// itself for attributes the catalogue does not name.
std::string AttributeLabel(const TemplateSet& tp, const std::string& lang, const std::string& key) {
  std::string k = "attr_" + key;
  std::string label = tp.Text(lang, k);
  return label == k ? key : label;
}

}  // namespace

HttpResponse WalletAuthenticator::Page(int status, const std::string& lang, const char* name, nlohmann::json data,
                                       const std::string& script_nonce) const {
  auto tp = Templates();
  if (!data.contains("title")) data["title"] = tp->Text(lang, "login_title");
  // Nothing loads from elsewhere; the page's own script is allowed by
  // nonce and may only call back this origin.
  std::string extra;
  if (!script_nonce.empty()) extra = "script-src 'nonce-" + script_nonce + "'; connect-src 'self'";
  return HtmlPage(status, tp->RenderPage(name, lang, data), tp->PageCsp(extra));
}

// One page per way a login ends (§8), in the error layout: what happened,
// what to do, and the ways on. "Try again" (a new code for the same login,
// so the same service and authorization request, in the same language)
// where another attempt may succeed; "back to the service" wherever the
// protocol can answer its client (the failure was saved as the login's
// result: OIDC access_denied / temporarily_unavailable, SAML a non-success
// status).
HttpResponse WalletAuthenticator::OutcomePage(const std::string& outcome, const std::string& lang,
                                              const std::string& txn, const std::string& resume_url) const {
  auto tp = Templates();
  int status = 400;
  std::string key = "login_unknown", todo = "login_todo_unknown";
  bool retry = false, back = !resume_url.empty(), bad = true;
  if (outcome == kOutcomeRefused) {
    status = 200, key = "login_refused", todo = "login_todo_refused", retry = true, bad = false;
  } else if (outcome == kOutcomeExpired) {
    status = 410, key = "login_expired", todo = "login_todo_expired", retry = true;
  } else if (outcome == kOutcomeSuspended) {
    status = 403, key = "login_suspended", todo = "login_todo_suspended";
  } else if (outcome == kOutcomeRevoked) {
    status = 403, key = "login_revoked", todo = "login_todo_revoked";
  } else if (outcome == kOutcomeServiceNotAuthorized) {
    status = 403, key = "login_service_not_authorized", todo = "login_todo_not_authorized";
  } else if (outcome == kOutcomeTimeout) {
    status = 504, key = "login_timeout", todo = "login_todo_timeout", retry = true;
  } else if (outcome == kOutcomeFailed) {
    key = "login_failed", todo = "login_todo_failed", retry = true;
  } else {
    back = false;  // unknown: no service known
  }
  // Nothing to try again and no service to go back to: start over there.
  if (txn.empty() && !back) todo = "login_todo_unknown";
  json data = {{"outcome", outcome.empty() ? wl::kStateUnknown : outcome},
               {"bad", bad},
               {"heading", tp->Text(lang, "login_title")},
               {"message", tp->Text(lang, key)},
               {"todo", tp->Text(lang, todo)},
               {"home_url", options_.public_url + "/"}};
  data["title"] = data["message"].get<std::string>() + " — " + tp->Text(lang, "login_title");
  if (back) data["back_url"] = resume_url;
  if (retry && !txn.empty()) {
    data["retry_action"] = options_.public_url + "/login/wallet/retry";
    data["txn"] = txn;
  }
  return Page(status, lang, "error", std::move(data));
}

HttpResponse WalletAuthenticator::WaitingPage(const HttpRequest& req, const std::string& txn,
                                              const LoginRequest& request, const Txn& t, const std::string& lang,
                                              bool not_yet) {
  auto tp = Templates();
  LoginStatus st = LoginStatusOf(txn);
  std::string service = request.service_id;
  if (auto it = request.service_names.find(lang); it != request.service_names.end() && !it->second.empty())
    service = it->second;
  auto svg = QrSvg(QrPayload(t.code), 4);
  if (!svg.ok()) LogError("QR code not drawn", {{"detail", svg.status().ToString()}});
  json attributes = json::array();
  for (const auto& a : request.attributes) attributes.push_back({{"key", a}, {"label", AttributeLabel(*tp, lang, a)}});
  const std::string page = options_.public_url + kPagePath + "?txn=" + PercentEncode(txn);
  json links = json::array();
  for (const auto& [code, label] : {std::pair{"ro", "RO"}, std::pair{"ru", "RU"}, std::pair{"en", "EN"}})
    links.push_back({{"code", code}, {"label", label}, {"href", page + "&lang=" + code}, {"current", lang == code}});
  std::string nonce = random_.Token(16);
  std::string state = st.terminal || st.state == wl::kStateCodeExpired ? wl::kStateWaiting : st.state;
  (void)req;
  json data = {
      {"service", service},
      {"has_attributes", !attributes.empty()},
      {"attributes", attributes},
      // Drawn by us from our own payload (no user text inside): raw.
      {"qr_svg", svg.ok() ? json(*svg) : json(nullptr)},
      {"deeplink", wallet::BuildDeepLink(api_base_, t.code)},
      {"status_url", options_.public_url + "/login/wallet/status?txn=" + PercentEncode(txn)},
      {"renew_url", options_.public_url + "/login/wallet/renew"},
      {"next_url", options_.public_url + "/login/wallet/continue?txn=" + PercentEncode(txn) + "&lang=" + lang},
      {"continue_action", options_.public_url + "/login/wallet/continue"},
      {"txn", txn},
      {"nonce", nonce},
      {"state", state},
      {"state_text", tp->Text(lang, "login_state_" + state)},
      {"not_yet", not_yet},
      {"code_left", st.code_expires_in},
      {"code_left_text", MinSec(st.code_expires_in)},
      {"login_left", st.login_expires_in},
      {"login_left_text", MinSec(st.login_expires_in)},
      {"switcher", {{"links", links}}},
  };
  if (IsSign(request)) {
    // A signing login: the page says so and lists what is signed, as the
    // signing page before it did and the wallet will.
    json items = json::array();
    SignLogin sign;
    if (!SignLoginOf(txn, &sign)) {
      for (const auto& i : sign.details.items)
        items.push_back({{"name", i.name},
                         {"hash_alg", i.hash_alg == kJadesHashS384 ? "SHA-384" : "SHA-256"},
                         {"digest", HexEncode(i.digest)}});
    }
    data["signing"] = true;
    data["items"] = std::move(items);
    data["title"] = tp->Text(lang, "sign_title");
  }
  return Page(200, lang, "login/wallet", std::move(data), nonce);
}

HttpResponse WalletAuthenticator::LoginPage(const HttpRequest& req) {
  return Continue(req);
}

// The page and the "Continue" button are one handler: a login still open
// shows the page (pressed early: with a line saying the wallet has not
// answered yet), a finished one goes on.
HttpResponse WalletAuthenticator::Continue(const HttpRequest& req) {
  auto txn = req.Query("txn");
  if (!ValidTxn(txn)) return OutcomePage("unknown", NegotiateLang(&req), "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) {
    // The login's lifetime is over (its code record outlives it a while):
    // expired, with no way back to a service that no longer waits for it.
    bool existed = LoadTxn(*txn).ok();
    return OutcomePage(existed ? kOutcomeExpired : "unknown", NegotiateLang(&req), "", "");
  }
  const std::string lang = NegotiateLang(&req, request->ui_locale);
  std::string outcome = Outcome(*txn);
  if (outcome == kOutcomeOk) return HttpResponse::Redirect(request->resume_url);
  // A signing login's every outcome settled its sign request, with the
  // reason the provider reads: the browser goes back to the provider
  // (docs/signing.md), never to "try again" for a request that is over.
  if (!outcome.empty() && IsSign(*request)) return HttpResponse::Redirect(request->resume_url, 303);
  if (!outcome.empty()) return OutcomePage(outcome, lang, *txn, request->resume_url);
  auto t = LoadTxn(*txn);
  if (!t.ok()) return OutcomePage("unknown", lang, "", "");
  LoginStatus st = LoginStatusOf(*txn);
  if (st.state == wl::kStateCodeExpired) {
    // Without the page's script nobody renewed the code: the login ends
    // as expired (its result saved, so "back to the service" answers the
    // client); "Try again" makes a new code.
    SetOutcome(*txn, Who(*request), kOutcomeExpired, std::max<int64_t>(request->expires_at - now, 1));
    if (IsSign(*request)) return HttpResponse::Redirect(request->resume_url, 303);
    return OutcomePage(kOutcomeExpired, lang, *txn, request->resume_url);
  }
  bool pressed = req.path.ends_with("/continue");
  return WaitingPage(req, *txn, *request, *t, lang, pressed);
}

HttpResponse WalletAuthenticator::Retry(const HttpRequest& req) {
  auto txn = req.Form("txn");
  if (!ValidTxn(txn)) return OutcomePage("unknown", NegotiateLang(&req), "", "");
  auto request = LoadLoginRequest(store_, *txn);
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return OutcomePage("unknown", NegotiateLang(&req), "", "");
  std::string lang = SupportedLang(req.Form(kLangParam).value_or(""));
  if (lang.empty()) lang = NegotiateLang(&req, request->ui_locale);
  auto t = LoadTxn(*txn);
  std::string outcome = Outcome(*txn);
  // A signing login that ended settled its sign request: nothing to retry.
  if (!outcome.empty() && IsSign(*request)) return HttpResponse::Redirect(request->resume_url, 303);
  // A login that may succeed on another attempt gets a new code: expired
  // unanswered, refused, the validator silent, another failure. A
  // suspended or revoked eID, an unauthorized service or a success keep
  // their outcome.
  bool again = outcome == kOutcomeExpired || outcome == kOutcomeRefused || outcome == kOutcomeTimeout ||
               outcome == kOutcomeFailed || (outcome.empty() && t.ok() && t->expiry <= now);
  if (again && t.ok()) {
    std::string provider = t->provider;
    if (provider.empty()) {
      if (auto a = provider_keys_.Address(request->service_id); a.ok()) provider = *a;
    }
    // The earlier attempt's failure must not answer the service any more.
    (void)TakeLoginResult(store_, *txn);
    Status st = provider.empty() ? NotFound("no provider key") : NewCode(*txn, request->expires_at, provider);
    if (!st.ok()) {
      LogError("wallet login code not renewed", {{"detail", st.ToString()}});
      return OutcomePage(kOutcomeFailed, lang, *txn, request->resume_url);
    }
  }
  return HttpResponse::Redirect(options_.public_url + kPagePath + "?txn=" + PercentEncode(*txn) + "&lang=" + lang,
                                303);
}

}  // namespace certme
