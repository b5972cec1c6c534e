#include "idp/login/dev_authenticator.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "templates/templates.h"
#include "protocols/eidas.h"

namespace certme {
namespace {

constexpr char kLoginPath[] = "/login/dev";

// Nothing loads, nothing frames the page (TemplateSet::PageCsp). No
// form-action: the submission ends in redirects to the relying party, which
// form-action would govern.
HttpResponse Render(int status, const std::string& lang, const char* name, nlohmann::json data) {
  auto tp = Templates();
  data["title"] = tp->Text(lang, "dev_title");
  return HtmlPage(status, tp->RenderPage(name, lang, data), tp->PageCsp());
}

}  // namespace

const std::vector<DevIdentity>& DevIdentities() {
  static const std::vector<DevIdentity> kIdentities = {
      {"ion",
       "Ion Popescu",
       "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
       {{"idnp", "2001234567890"},
        {"first_name", "Ion"},
        {"last_name", "Popescu"},
        {"birth_date", "1985-04-12"},
        {"gender", "1"},
        {"email", "ion.popescu@example.md"},
        {"mobile_phone", "+37369123456"},
        {"language", "ro"}}},
      {"maria",
       "Maria Rusu",
       "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
       {{"idnp", "2009876543210"},
        {"first_name", "Maria"},
        {"last_name", "Rusu"},
        {"birth_date", "1992-11-03"},
        {"gender", "2"},
        {"email", "maria.rusu@example.md"},
        {"mobile_phone", "+37378111222"},
        {"language", "ru"}}},
  };
  return kIdentities;
}

DevAuthenticator::DevAuthenticator(Store& store, std::string public_url, Clock& clock)
    : store_(store), public_url_(std::move(public_url)), clock_(clock) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
}

std::vector<DevAuthenticator::Route> DevAuthenticator::Routes() {
  return {{"GET", kLoginPath, &DevAuthenticator::LoginPage},
          {"POST", kLoginPath, &DevAuthenticator::LoginSubmit}};
}

HttpResponse DevAuthenticator::ErrorPage(int status, const std::string& message_key,
                                         const std::string& lang) const {
  return Render(status, lang, "message", {{"message", Templates()->Text(lang, message_key)}});
}

// A store that failed is an outage, not the user's mistake: 503 with
// Retry-After and "please try again" (never "unknown or expired login"),
// the cause in the log only.
HttpResponse DevAuthenticator::StoreFailurePage(const Status& st, const char* what,
                                                const std::string& message_key,
                                                const std::string& ui_locale) const {
  LogError(what, {{"detail", st.ToString()}});
  HttpResponse r = ErrorPage(503, message_key, TemplateLang(ui_locale));
  r.headers.Set("Retry-After", "5");  // RFC 9110 §10.2.3
  return r;
}

HttpResponse DevAuthenticator::Begin(const LoginRequest& request) {
  Status st = SaveLoginRequest(store_, request, clock_.NowUnixSeconds());
  if (!st.ok()) return StoreFailurePage(st, "dev login request not saved", "dev_not_started", request.ui_locale);
  return HttpResponse::Redirect(public_url_ + kLoginPath + "?txn=" + PercentEncode(request.txn));
}

HttpResponse DevAuthenticator::LoginPage(const HttpRequest& req) {
  auto txn = req.Query("txn");
  if (!txn || ParamCount(req.query, "txn") != 1 || txn->empty() || txn->size() > 256)
    return ErrorPage(400, "dev_unknown");
  auto request = LoadLoginRequest(store_, *txn);
  if (!request.ok() && request.status().code() != StatusCode::kNotFound)
    return StoreFailurePage(request.status(), "dev login request not read");
  if (!request.ok() || request->expires_at <= clock_.NowUnixSeconds())
    return ErrorPage(400, "dev_unknown");

  const std::string lang = TemplateLang(request->ui_locale);
  std::string service = request->service_id;
  if (auto it = request->service_names.find(lang); it != request->service_names.end() && !it->second.empty())
    service = it->second;
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& a : request->attributes) attributes.push_back({{"key", a}});
  nlohmann::json identities = nlohmann::json::array();
  for (const auto& id : DevIdentities())
    identities.push_back({{"id", id.id}, {"label", id.label}, {"subject", id.subject}, {"checked", identities.empty()}});
  return Render(200, lang, "login/dev",
                {{"service", service},
                 {"has_attributes", !attributes.empty()},
                 {"attributes", attributes},
                 {"action", public_url_ + kLoginPath},
                 {"txn", *txn},
                 {"identities", identities}});
}

HttpResponse DevAuthenticator::LoginSubmit(const HttpRequest& req) {
  auto txn = req.Form("txn");
  if (!txn || ParamCount(req.form, "txn") != 1 || txn->empty() || txn->size() > 256)
    return ErrorPage(400, "dev_unknown");
  auto request = LoadLoginRequest(store_, *txn);
  if (!request.ok() && request.status().code() != StatusCode::kNotFound)
    return StoreFailurePage(request.status(), "dev login request not read");
  int64_t now = clock_.NowUnixSeconds();
  if (!request.ok() || request->expires_at <= now) return ErrorPage(400, "dev_unknown");
  int64_t ttl = std::max<int64_t>(request->expires_at - now, 1);

  LoginResult result;
  result.txn = *txn;
  if (req.Form("action").value_or("") == "refuse") {
    result.error = kLoginErrorRefused;
  } else {
    std::string wanted = req.Form("identity").value_or("");
    const auto& ids = DevIdentities();
    auto it = std::find_if(ids.begin(), ids.end(), [&](const DevIdentity& i) { return i.id == wanted; });
    if (it == ids.end()) return ErrorPage(400, "dev_choose", TemplateLang(request->ui_locale));
    result.subject = it->subject;
    // Like the wallet, share only what the service asked for.
    for (const auto& key : request->attributes)
      if (auto a = it->attributes.find(key); a != it->attributes.end()) result.attributes[key] = a->second;
    // What a real wallet login reaches and uses: eIDAS substantial, with a
    // hardware-bound key and user presence (RFC 8176 "hwk", "user").
    result.acr = std::string(eidas::kLoaSubstantial);
    result.amr = {"hwk", "user"};
    result.auth_time = now;
  }
  Status st = SaveLoginResult(store_, result, ttl);
  if (!st.ok()) return StoreFailurePage(st, "dev login result not saved", "dev_not_completed", request->ui_locale);
  if (metrics_) metrics_->LoginEnded(request->protocol, request->service_id, result.error.empty() ? "ok" : result.error);
  return HttpResponse::Redirect(request->resume_url);
}

}  // namespace certme
