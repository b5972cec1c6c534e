#include "protocols/saml/pages.h"

#include "common/encoding.h"

namespace certme::saml {
namespace {

struct Texts {
  const char* ro;
  const char* ru;
  const char* en;
  const char* In(std::string_view lang) const { return lang == "ru" ? ru : lang == "en" ? en : ro; }
};

constexpr Texts kTitle = {"Conectare cu certME", "Вход через certME", "Sign in with certME"};
constexpr Texts kTitleLogout = {"Deconectare", "Выход", "Sign out"};
constexpr Texts kBadRequest = {"Cererea nu a putut fi procesată.", "Запрос не может быть обработан.",
                               "The request could not be processed."};
constexpr Texts kUnknownService = {"Serviciul nu este înregistrat.", "Сервис не зарегистрирован.",
                                   "The service is not registered."};
constexpr Texts kBadAcs = {"Adresa de revenire a serviciului nu este înregistrată.",
                           "Адрес возврата сервиса не зарегистрирован.",
                           "The service's return address is not registered."};
constexpr Texts kLoginExpired = {"Autentificarea a expirat. Reveniți la serviciu și încercați din nou.",
                                 "Время входа истекло. Вернитесь к сервису и попробуйте снова.",
                                 "The sign-in expired. Go back to the service and try again."};
constexpr Texts kWrongBrowser = {"Autentificarea a fost începută în alt browser.",
                                 "Вход был начат в другом браузере.",
                                 "The sign-in was started in another browser."};
constexpr Texts kServerError = {"Eroare temporară. Încercați mai târziu.",
                                "Временная ошибка. Попробуйте позже.",
                                "Temporary error. Please try again later."};
constexpr Texts kLoggedOut = {"V-ați deconectat.", "Вы вышли из системы.", "You have been signed out."};
constexpr Texts kConfirm = {"Doriți să vă deconectați de la toate serviciile?",
                            "Выйти из всех сервисов?", "Sign out of every service?"};
constexpr Texts kButtonLogout = {"Deconectare", "Выйти", "Sign out"};
constexpr Texts kInProgress = {"Deconectare de la servicii…", "Выход из сервисов…",
                               "Signing out of the services…"};
constexpr Texts kContinue = {"Continuare", "Продолжить", "Continue"};

std::string Csp(std::string_view extra) {
  std::string csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  if (!extra.empty()) csp += "; " + std::string(extra);
  return csp;
}

HttpResponse Page(int status, std::string_view lang, std::string_view title, std::string_view body,
                  std::string csp) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + HtmlEscape(lang) +
                     "\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
                     HtmlEscape(title) + "</title></head><body>" + std::string(body) +
                     "</body></html>\n";
  HttpResponse r = HttpResponse::Html(status, std::move(html));
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  r.csp = std::move(csp);
  return r;
}

}  // namespace

std::string PickLang(std::string_view lang) {
  std::string l = AsciiLower(lang.substr(0, 2));
  return l == "ru" || l == "en" ? l : "ro";
}

HttpResponse SamlErrorPage(int status, std::string_view lang, SamlPage page) {
  const Texts* t = &kBadRequest;
  switch (page) {
    case SamlPage::kBadRequest: t = &kBadRequest; break;
    case SamlPage::kUnknownService: t = &kUnknownService; break;
    case SamlPage::kBadAcs: t = &kBadAcs; break;
    case SamlPage::kLoginExpired: t = &kLoginExpired; break;
    case SamlPage::kWrongBrowser: t = &kWrongBrowser; break;
    case SamlPage::kServerError: t = &kServerError; break;
    case SamlPage::kLoggedOut: t = &kLoggedOut; break;
  }
  std::string body = "<main><h1>" + HtmlEscape(kTitle.In(lang)) + "</h1><p>" +
                     HtmlEscape(t->In(lang)) + "</p></main>";
  return Page(status, lang, kTitle.In(lang), body, Csp(""));
}

HttpResponse SamlPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view nonce, bool framed) {
  std::string body = "<form method=\"post\" action=\"" + HtmlEscape(action) + "\">";
  for (const auto& [k, v] : fields)
    body += "<input type=\"hidden\" name=\"" + HtmlEscape(k) + "\" value=\"" + HtmlEscape(v) + "\">";
  body += "<noscript><button type=\"submit\">Continue</button></noscript></form>";
  body += "<script nonce=\"" + HtmlEscape(nonce) + "\">document.forms[0].submit();</script>";
  // No form-action directive: it would also govern the redirects after the
  // submission. The target is a registered endpoint and every value is escaped.
  std::string csp = Csp("script-src 'nonce-" + std::string(nonce) + "'");
  // Single Logout posts to each service from a hidden frame of our own page.
  if (framed) csp.replace(csp.find("frame-ancestors 'none'"), 22, "frame-ancestors 'self'");
  return Page(200, "en", "SAML", body, std::move(csp));
}

HttpResponse SamlFramedDonePage() {
  std::string csp = Csp("");
  csp.replace(csp.find("frame-ancestors 'none'"), 22, "frame-ancestors 'self'");
  return Page(200, "en", "SAML", "<p>OK</p>", std::move(csp));
}

HttpResponse SamlLogoutConfirmPage(std::string_view lang, std::string_view action,
                                   std::string_view csrf) {
  std::string body = "<main><h1>" + HtmlEscape(kTitleLogout.In(lang)) + "</h1><p>" +
                     HtmlEscape(kConfirm.In(lang)) + "</p><form method=\"post\" action=\"" +
                     HtmlEscape(action) + "\"><input type=\"hidden\" name=\"csrf\" value=\"" +
                     HtmlEscape(csrf) + "\"><input type=\"hidden\" name=\"lang\" value=\"" +
                     HtmlEscape(lang) + "\"><button type=\"submit\">" +
                     HtmlEscape(kButtonLogout.In(lang)) + "</button></form></main>";
  return Page(200, lang, kTitleLogout.In(lang), body, Csp("form-action 'self'"));
}

HttpResponse SamlLogoutProgressPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                                    std::string_view status_url, std::string_view finish_url,
                                    int64_t timeout_seconds, std::string_view nonce) {
  std::string body = "<main><h1>" + HtmlEscape(kTitleLogout.In(lang)) + "</h1><p>" +
                     HtmlEscape(kInProgress.In(lang)) + "</p>";
  for (const auto& u : frame_urls)
    body += "<iframe class=\"slo\" hidden width=\"0\" height=\"0\" src=\"" + HtmlEscape(u) + "\"></iframe>";
  body += "<p><a id=\"finish\" href=\"" + HtmlEscape(finish_url) + "\">" +
          HtmlEscape(kContinue.In(lang)) + "</a></p></main>";
  body += "<script nonce=\"" + HtmlEscape(nonce) + "\">(function(){var end=Date.now()+" +
          std::to_string(timeout_seconds * 1000) +
          ";var done=function(){location.href=document.getElementById('finish').href;};"
          "var poll=function(){if(Date.now()>end){done();return;}"
          "fetch('" + HtmlEscape(status_url) + "',{credentials:'same-origin'}).then(function(r){return r.json();})"
          ".then(function(j){if(j.pending===0){done();}else{setTimeout(poll,500);}})"
          ".catch(function(){setTimeout(poll,500);});};setTimeout(poll,300);})();</script>";
  // Frames go to our own /saml/slo/frame page, which posts to the services.
  std::string csp = Csp("script-src 'nonce-" + std::string(nonce) + "'; connect-src 'self'; frame-src 'self'");
  return Page(200, lang, kTitleLogout.In(lang), body, std::move(csp));
}

}  // namespace certme::saml
