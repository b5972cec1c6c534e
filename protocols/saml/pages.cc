#include "protocols/saml/pages.h"

#include "common/encoding.h"
#include "templates/page_lang.h"
#include "templates/templates.h"

namespace certme::saml {
namespace {

const char* PageKey(SamlPage page) {
  switch (page) {
    case SamlPage::kBadRequest: return "saml_bad_request";
    case SamlPage::kUnknownService: return "saml_unknown_service";
    case SamlPage::kBadAcs: return "saml_bad_acs";
    case SamlPage::kLoginExpired: return "saml_login_expired";
    case SamlPage::kWrongBrowser: return "saml_wrong_browser";
    case SamlPage::kServerError: return "saml_server_error";
    case SamlPage::kLoggedOut: return "saml_logged_out";
  }
  return "saml_bad_request";
}

// Single Logout steps run in hidden frames of our own pages.
std::string AllowSelfFraming(std::string csp) {
  size_t at = csp.find("frame-ancestors 'none'");
  if (at != std::string::npos) csp.replace(at, 22, "frame-ancestors 'self'");
  return csp;
}

}  // namespace

std::string PickLang(std::string_view lang) { return PageLang(lang); }

HttpResponse SamlErrorPage(int status, std::string_view requested, SamlPage page) {
  auto tp = Templates();
  const std::string lang = PickLang(requested);
  if (page == SamlPage::kLoggedOut) {
    std::string title = tp->Text(lang, "saml_logout_title");
    return HtmlPage(status, tp->RenderPage("message", lang, {{"title", title}, {"message", tp->Text(lang, PageKey(page))}}),
                    tp->PageCsp());
  }
  // The error layout: what happened, what to do, the request id. The
  // service is not known here (or cannot be trusted with an answer).
  auto html = tp->RenderPage("error", lang,
                             {{"title", tp->Text(lang, PageKey(page)) + " — " + tp->Text(lang, "saml_title")},
                              {"heading", tp->Text(lang, "saml_title")},
                              {"message", tp->Text(lang, PageKey(page))},
                              {"todo", tp->Text(lang, "error_todo_back")},
                              {"bad", true},
                              {"home_url", "/"}});
  return HtmlPage(status, std::move(html), tp->PageCsp());
}

HttpResponse SamlPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view nonce, bool framed) {
  auto tp = Templates();
  const std::string lang = PageLang();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [k, v] : fields) list.push_back({{"name", k}, {"value", v}});
  auto html = tp->RenderPage("form_post", lang,
                             {{"title", tp->Text(lang, "form_post_title")},
                              {"action", action},
                              {"fields", std::move(list)},
                              {"nonce", nonce}});
  // No form-action directive: it would also govern the redirects after the
  // submission. The target is a registered endpoint and every value is escaped.
  std::string csp = tp->PageCsp("script-src 'nonce-" + std::string(nonce) + "'");
  if (framed) csp = AllowSelfFraming(std::move(csp));
  return HtmlPage(200, std::move(html), std::move(csp));
}

HttpResponse SamlFramedDonePage() {
  auto tp = Templates();
  const std::string lang = PageLang();
  auto html = tp->RenderPage("message", lang, {{"title", "SAML"}, {"message", tp->Text(lang, "saml_framed_done")}});
  return HtmlPage(200, std::move(html), AllowSelfFraming(tp->PageCsp()));
}

HttpResponse SamlLogoutConfirmPage(std::string_view lang, std::string_view action,
                                   std::string_view csrf) {
  auto tp = Templates();
  auto html = tp->RenderPage("saml/logout_confirm", lang,
                             {{"title", tp->Text(lang, "saml_logout_title")}, {"action", action}, {"csrf", csrf}});
  return HtmlPage(200, std::move(html), tp->PageCsp("form-action 'self'"));
}

HttpResponse SamlLogoutProgressPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                                    std::string_view status_url, std::string_view finish_url,
                                    int64_t timeout_seconds, std::string_view nonce) {
  auto tp = Templates();
  // The script reads its URLs from the page's attributes: no value is ever
  // written into script text.
  auto html = tp->RenderPage("saml/logout_progress", lang,
                             {{"title", tp->Text(lang, "saml_logout_title")},
                              {"frames", frame_urls},
                              {"status_url", status_url},
                              {"finish_url", finish_url},
                              {"timeout_ms", timeout_seconds * 1000},
                              {"nonce", nonce}});
  // Frames go to our own /saml/slo/frame page, which posts to the services.
  return HtmlPage(200, std::move(html),
                  tp->PageCsp("script-src 'nonce-" + std::string(nonce) + "'; connect-src 'self'; frame-src 'self'"));
}

}  // namespace certme::saml
