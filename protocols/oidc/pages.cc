#include "protocols/oidc/pages.h"

#include <set>

#include "common/encoding.h"
#include "protocols/oidc/url_util.h"

namespace certme::oidc_internal {
namespace {

struct Texts {
  const char* ro;
  const char* ru;
  const char* en;
  const char* In(std::string_view lang) const {
    if (lang == "ru") return ru;
    if (lang == "en") return en;
    return ro;
  }
};

constexpr Texts kTitleError = {"Cererea nu poate fi procesată", "Запрос не может быть обработан",
                               "The request cannot be processed"};
constexpr Texts kMsgBadRequest = {"Cererea de autentificare este invalidă.",
                                  "Запрос на аутентификацию недействителен.",
                                  "The authentication request is invalid."};
constexpr Texts kMsgUnknownClient = {
    "Serviciul care v-a trimis aici nu este înregistrat.",
    "Сервис, который направил вас сюда, не зарегистрирован.",
    "The service that sent you here is not registered."};
constexpr Texts kMsgBadRedirect = {
    "Adresa de revenire a serviciului nu este înregistrată.",
    "Адрес возврата сервиса не зарегистрирован.",
    "The service's return address is not registered."};
constexpr Texts kMsgLoginExpired = {
    "Autentificarea a expirat sau a fost deja folosită. Reveniți la serviciu și încercați din nou.",
    "Срок аутентификации истёк или она уже использована. Вернитесь в сервис и попробуйте снова.",
    "The login expired or was already used. Go back to the service and try again."};
constexpr Texts kMsgLoginUnfinished = {"Autentificarea nu a fost finalizată.",
                                       "Аутентификация не завершена.",
                                       "The login has not been completed."};
constexpr Texts kMsgWrongBrowser = {
    "Autentificarea a fost începută în alt browser. Reveniți la serviciu și încercați din nou.",
    "Аутентификация была начата в другом браузере. Вернитесь в сервис и попробуйте снова.",
    "The login was started in another browser. Go back to the service and try again."};
constexpr Texts kMsgServerError = {"A apărut o eroare internă. Încercați mai târziu.",
                                   "Произошла внутренняя ошибка. Попробуйте позже.",
                                   "An internal error occurred. Please try again later."};
constexpr Texts kTitleLogout = {"Deconectare", "Выход", "Log out"};
constexpr Texts kMsgLogoutConfirm = {"Doriți să vă deconectați de la certME?",
                                     "Вы хотите выйти из certME?",
                                     "Do you want to log out of certME?"};
constexpr Texts kMsgLogoutRequestedBy = {"Cerere de la: ", "Запрос от: ", "Requested by: "};
constexpr Texts kButtonLogout = {"Deconectare", "Выйти", "Log out"};
constexpr Texts kMsgLoggedOut = {"V-ați deconectat.", "Вы вышли из системы.",
                                 "You have been logged out."};
constexpr Texts kButtonContinue = {"Continuare", "Продолжить", "Continue"};

// Policy for our pages: nothing loads unless `extra` allows it.
std::string Csp(std::string_view extra) {
  std::string csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  if (!extra.empty()) csp += "; " + std::string(extra);
  return csp;
}

HttpResponse Page(int status, std::string_view lang, std::string_view title,
                  std::string_view body, std::string csp, std::string_view head_extra = {}) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + HtmlEscape(lang) +
                     "\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<meta name=\"referrer\" content=\"no-referrer\">" +
                     std::string(head_extra) + "<title>" + HtmlEscape(title) +
                     "</title></head><body>" + std::string(body) + "</body></html>\n";
  HttpResponse r = HttpResponse::Html(status, std::move(html));
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  r.csp = std::move(csp);
  return r;
}

}  // namespace

std::string PickLocale(std::string_view ui_locales) {
  for (const auto& tag : SplitTrimmed(ui_locales, ' ')) {
    std::string lower = AsciiLower(tag.substr(0, tag.find('-')));
    if (lower == "ro" || lower == "ru" || lower == "en") return lower;
  }
  return "ro";
}

HttpResponse ErrorPage(int status, std::string_view lang, PageMessage message) {
  const Texts* msg = &kMsgBadRequest;
  switch (message) {
    case PageMessage::kBadRequest: msg = &kMsgBadRequest; break;
    case PageMessage::kUnknownClient: msg = &kMsgUnknownClient; break;
    case PageMessage::kBadRedirectUri: msg = &kMsgBadRedirect; break;
    case PageMessage::kLoginExpired: msg = &kMsgLoginExpired; break;
    case PageMessage::kLoginUnfinished: msg = &kMsgLoginUnfinished; break;
    case PageMessage::kWrongBrowser: msg = &kMsgWrongBrowser; break;
    case PageMessage::kServerError: msg = &kMsgServerError; break;
  }
  std::string body = "<main><h1>" + HtmlEscape(kTitleError.In(lang)) + "</h1><p>" +
                     HtmlEscape(msg->In(lang)) + "</p></main>";
  return Page(status, lang, kTitleError.In(lang), body, Csp(""));
}

HttpResponse FormPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          std::string_view csp_nonce) {
  std::string body = "<form method=\"post\" action=\"" + HtmlEscape(action) + "\">";
  for (const auto& [k, v] : params)
    body += "<input type=\"hidden\" name=\"" + HtmlEscape(k) + "\" value=\"" + HtmlEscape(v) + "\">";
  body += "<noscript><button type=\"submit\">Continue</button></noscript></form>";
  body += "<script nonce=\"" + HtmlEscape(csp_nonce) +
          "\">document.forms[0].submit();</script>";
  // No form-action directive: browsers apply it to the redirects that follow
  // the submission too, and the client may legitimately redirect anywhere.
  // Every value on the page is escaped, so there is no form to inject.
  std::string csp = Csp("script-src 'nonce-" + std::string(csp_nonce) + "'");
  return Page(200, "en", "Submit", body, std::move(csp));
}

HttpResponse LogoutConfirmPage(std::string_view lang, std::string_view confirm_url,
                               std::string_view logout_txn, std::string_view client_name) {
  std::string body = "<main><h1>" + HtmlEscape(kTitleLogout.In(lang)) + "</h1><p>" +
                     HtmlEscape(kMsgLogoutConfirm.In(lang)) + "</p>";
  if (!client_name.empty())
    body += "<p>" + HtmlEscape(kMsgLogoutRequestedBy.In(lang)) + HtmlEscape(client_name) + "</p>";
  body += "<form method=\"post\" action=\"" + HtmlEscape(confirm_url) +
          "\"><input type=\"hidden\" name=\"txn\" value=\"" + HtmlEscape(logout_txn) +
          "\"><button type=\"submit\" name=\"action\" value=\"logout\">" +
          HtmlEscape(kButtonLogout.In(lang)) + "</button></form></main>";
  // No form-action: the confirmation ends in a redirect to the RP, which
  // form-action would also govern.
  return Page(200, lang, kTitleLogout.In(lang), body, Csp(""));
}

HttpResponse LoggedOutPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                           std::string_view redirect, std::string_view csp_nonce) {
  std::string body = "<main><h1>" + HtmlEscape(kTitleLogout.In(lang)) + "</h1><p>" +
                     HtmlEscape(kMsgLoggedOut.In(lang)) + "</p>";
  std::set<std::string> origins;
  for (const auto& u : frame_urls) {
    if (auto p = ParseUrl(u)) origins.insert(p->Origin());
    body += "<iframe src=\"" + HtmlEscape(u) +
            "\" hidden width=\"0\" height=\"0\" title=\"logout\"></iframe>";
  }
  std::string extra;
  if (!origins.empty()) {
    extra = "frame-src";
    for (const auto& o : origins) extra += " " + o;
  }
  std::string head;
  if (!redirect.empty()) {
    body += "<p><a href=\"" + HtmlEscape(redirect) + "\">" + HtmlEscape(kButtonContinue.In(lang)) +
            "</a></p>";
    if (frame_urls.empty()) {
      head = "<meta http-equiv=\"refresh\" content=\"0;url=" + HtmlEscape(redirect) + "\">";
    } else {
      // Leave once every RP iframe has loaded (window load waits for
      // iframes), or after 5 s if one hangs; meta refresh without script.
      body += "<script nonce=\"" + HtmlEscape(csp_nonce) + "\">(function(){var u=" +
              [&] {
                // JSON-style string literal; '<' escaped so "</script>" cannot end it.
                std::string s = "\"";
                for (char c : redirect) {
                  if (c == '"' || c == '\\') { s += '\\'; s += c; }
                  else if (c == '<') s += "\\u003c";
                  else s += c;
                }
                return s + "\"";
              }() +
              ";var go=function(){window.location.replace(u);};"
              "window.addEventListener('load',go);setTimeout(go,5000);})();</script>";
      head = "<noscript><meta http-equiv=\"refresh\" content=\"3;url=" + HtmlEscape(redirect) +
             "\"></noscript>";
      if (!extra.empty()) extra += "; ";
      extra += "script-src 'nonce-" + std::string(csp_nonce) + "'";
    }
  }
  body += "</main>";
  return Page(200, lang, kTitleLogout.In(lang), body, Csp(extra), head);
}

}  // namespace certme::oidc_internal
