#include "protocols/oidc/pages.h"

#include <set>

#include "common/encoding.h"
#include "templates/page_lang.h"
#include "templates/templates.h"
#include "protocols/oidc/url_util.h"

namespace certme::oidc_internal {
namespace {

const char* MessageKey(PageMessage message) {
  switch (message) {
    case PageMessage::kBadRequest: return "oidc_bad_request";
    case PageMessage::kUnknownClient: return "oidc_unknown_client";
    case PageMessage::kBadRedirectUri: return "oidc_bad_redirect_uri";
    case PageMessage::kLoginExpired: return "oidc_login_expired";
    case PageMessage::kLoginUnfinished: return "oidc_login_unfinished";
    case PageMessage::kWrongBrowser: return "oidc_wrong_browser";
    case PageMessage::kServerError: return "oidc_server_error";
  }
  return "oidc_bad_request";
}

nlohmann::json Fields(const std::vector<std::pair<std::string, std::string>>& params) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, v] : params) out.push_back({{"name", k}, {"value", v}});
  return out;
}

}  // namespace

std::string PickLocale(std::string_view ui_locales) { return PageLang(ui_locales); }

HttpResponse ErrorPage(int status, std::string_view requested, PageMessage message) {
  auto tp = Templates();
  const std::string lang = PickLocale(requested);
  std::string heading = tp->Text(lang, "oidc_error_title");
  // The error layout: what happened, what to do, the request id (added by
  // the renderer). No link back: the client's address is unknown or not
  // to be trusted with an answer here.
  return HtmlPage(status,
                  tp->RenderPage("error", lang,
                                 {{"title", tp->Text(lang, MessageKey(message)) + " — certME"},
                                  {"heading", heading},
                                  {"message", tp->Text(lang, MessageKey(message))},
                                  {"todo", tp->Text(lang, "error_todo_back")},
                                  {"bad", true},
                                  {"home_url", "/"}}),
                  tp->PageCsp());
}

HttpResponse FormPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          std::string_view csp_nonce) {
  auto tp = Templates();
  const std::string lang = PageLang();
  auto html = tp->RenderPage("form_post", lang,
                             {{"title", tp->Text(lang, "form_post_title")},
                              {"action", action},
                              {"fields", Fields(params)},
                              {"nonce", csp_nonce}});
  // No form-action directive: browsers apply it to the redirects that follow
  // the submission too, and the client may legitimately redirect anywhere.
  // Every value on the page is escaped, so there is no form to inject.
  return HtmlPage(200, std::move(html), tp->PageCsp("script-src 'nonce-" + std::string(csp_nonce) + "'"));
}

HttpResponse LogoutConfirmPage(std::string_view lang, std::string_view confirm_url,
                               std::string_view logout_txn, std::string_view client_name) {
  auto tp = Templates();
  auto html = tp->RenderPage(
      "oidc/logout_confirm", lang,
      {{"title", tp->Text(lang, "oidc_logout_title")},
       {"confirm_url", confirm_url},
       {"txn", logout_txn},
       {"client_name", client_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(client_name)}});
  // No form-action: the confirmation ends in a redirect to the RP, which
  // form-action would also govern.
  return HtmlPage(200, std::move(html), tp->PageCsp());
}

HttpResponse LoggedOutPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                           std::string_view redirect, std::string_view csp_nonce) {
  auto tp = Templates();
  std::set<std::string> origins;
  for (const auto& u : frame_urls)
    if (auto p = ParseUrl(u)) origins.insert(p->Origin());
  std::string extra;
  if (!origins.empty()) {
    extra = "frame-src";
    for (const auto& o : origins) extra += " " + o;
  }
  nlohmann::json data = {{"title", tp->Text(lang, "oidc_logout_title")},
                         {"frames", frame_urls},
                         {"redirect", redirect.empty() ? nlohmann::json(nullptr) : nlohmann::json(redirect)}};
  if (!redirect.empty()) {
    if (frame_urls.empty()) {
      data["refresh"] = {{"delay", 0}, {"url", redirect}};
    } else {
      // Leave once every RP iframe has loaded (window load waits for
      // iframes), or after 5 s if one hangs; meta refresh without script.
      // The script reads the target from the page's own link, so no URL
      // is ever written into script text.
      data["script"] = true;
      data["nonce"] = csp_nonce;
      data["noscript_refresh"] = {{"delay", 3}, {"url", redirect}};
      if (!extra.empty()) extra += "; ";
      extra += "script-src 'nonce-" + std::string(csp_nonce) + "'";
    }
  }
  return HtmlPage(200, tp->RenderPage("oidc/logged_out", lang, data), tp->PageCsp(extra));
}

HttpResponse DevicePage(int status, std::string_view lang, DeviceMessage message, std::string_view action,
                        std::string_view service) {
  auto tp = Templates();
  const char* key = nullptr;
  bool form = false, bad = true;
  switch (message) {
    case DeviceMessage::kNone: form = true; break;
    case DeviceMessage::kUnknownCode: key = "oidc_device_unknown_code", form = true; break;
    case DeviceMessage::kTooManyAttempts: key = "oidc_device_too_many", form = true; break;
    case DeviceMessage::kUsed: key = "oidc_device_used"; break;
    case DeviceMessage::kDone: key = "oidc_device_done", bad = false; break;
    case DeviceMessage::kDenied: key = "oidc_device_denied"; break;
    case DeviceMessage::kExpired: key = "oidc_device_expired"; break;
    case DeviceMessage::kUnfinished: key = "oidc_device_unfinished"; break;
    case DeviceMessage::kServerError: key = "oidc_server_error"; break;
  }
  static constexpr const char* kOutcomes[] = {"form", "unknown_code", "too_many_attempts", "used", "done",
                                              "denied", "expired", "unfinished", "server_error"};
  nlohmann::json data = {{"title", tp->Text(lang, "oidc_device_title")},
                         {"outcome", kOutcomes[static_cast<int>(message)]},
                         {"bad", bad},
                         {"form", form},
                         {"action", action}};
  if (key) data["message"] = tp->Text(lang, key);
  if (!service.empty()) data["service"] = service;
  HttpResponse r = HtmlPage(status, tp->RenderPage("oidc/device", lang, data), tp->PageCsp());
  return r;
}

}  // namespace certme::oidc_internal
