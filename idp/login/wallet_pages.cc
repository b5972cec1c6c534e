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
  if (outcome == kOutcomeRefused) {
    key = "login_refused";
    data["bad"] = false;
    // The protocol answers its client (access_denied / RequestDenied).
    data["back_url"] = resume_url;
  } else if (outcome == kOutcomeExpired) {
    status = 410;
    key = "login_expired";
    data["retry"] = true;
    data["retry_action"] = options_.public_url + "/login/wallet/retry";
    data["txn"] = txn;
  } else if (outcome == kOutcomeSuspended) {
    status = 403;
    key = "login_suspended";
    data["back_url"] = resume_url;  // access_denied (SetOutcome)
  } else if (outcome == kOutcomeRevoked) {
    status = 403;
    key = "login_revoked";
    data["back_url"] = resume_url;  // access_denied
  } else if (outcome == kOutcomeServiceNotAuthorized) {
    status = 403;
    key = "login_service_not_authorized";
    data["back_url"] = resume_url;  // access_denied / RequestDenied
  } else if (outcome == kOutcomeTimeout) {
    status = 504;
    key = "login_timeout";
    data["back_url"] = resume_url;  // temporarily_unavailable
  } else {
    status = 400;
    key = outcome == kOutcomeFailed ? "login_failed" : "login_unknown";
  }
  data["message"] = tp->Text(lang, key);
  return Page(status, lang, "login/outcome", std::move(data));
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
  if (t->expiry <= now) return OutcomePage(kOutcomeExpired, lang, *txn, request->resume_url);

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
      {"deeplink", wallet::BuildDeepLink(api_base_, t->code)},
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
  if (outcome == kOutcomeOk) return HttpResponse::Redirect(request->resume_url);
  if (!outcome.empty()) return OutcomePage(outcome, lang, *txn, request->resume_url);
  auto t = LoadTxn(*txn);
  if (!t.ok()) return OutcomePage("unknown", lang, "", "");
  if (t->expiry <= now) return OutcomePage(kOutcomeExpired, lang, *txn, request->resume_url);
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
  bool expired = t.ok() && t->expiry <= now && (outcome.empty() || outcome == kOutcomeExpired);
  if (expired) {
    std::string provider = t->provider;
    if (provider.empty()) {
      if (auto a = provider_keys_.Address(request->service_id); a.ok()) provider = *a;
    }
    Status st = provider.empty() ? NotFound("no provider key") : NewCode(*txn, request->expires_at, provider);
    if (!st.ok())
      return OutcomePage("unknown", Lang(request->ui_locale), "", "");
  }
  return HttpResponse::Redirect(options_.public_url + kPagePath + "?txn=" + PercentEncode(*txn), 303);
}

}  // namespace certme
