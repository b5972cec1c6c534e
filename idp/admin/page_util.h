// Helpers of the console's pages (pages*.cc): cookies, rendering in the
// shared layout in the page's language, the submitted form, the session of
// a request.
//
// Language: every console text comes from the catalogues
// (templates/i18n/*.json, the admin_* keys). A page speaks ConsoleLang(req):
// `lang` in the query (the switcher, remembered in the cookie certme_lang
// like the login pages' choice) → that cookie → Accept-Language → ro.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_message.h"
#include "common/status.h"
#include "idp/admin/accounts.h"
#include "idp/admin/service_definition.h"

namespace certme::admin::page {

inline constexpr char kSessionCookie[] = "certme_admin";
inline constexpr char kLoginCookie[] = "certme_admin_login";  // double-submit CSRF of the sign-in form

// HttpOnly, Secure (dropped by the adapter only in development mode over
// plain HTTP), SameSite=Strict, limited to /admin.
SetCookie Cookie(std::string name, std::string value, int64_t max_age);
// The language of the console's page for `req` (ro | ru | en), by the order
// above (NegotiateLang without a flow's language).
std::string ConsoleLang(const HttpRequest& req);
// The catalogue text `key` in `lang`, each "{name}" replaced by its value
// (values are plain text; the templates escape them).
using TextArgs = std::initializer_list<std::pair<std::string_view, std::string>>;
std::string Tr(std::string_view lang, std::string_view key, TextArgs args = {});

// templates/admin/<name>.mustache in the shared layout, in ConsoleLang(req):
// a GET page gets the language switcher (links to the same address with
// `lang`, without a one-time `flash`), every page a fresh script nonce
// (`nonce`, allowed by the CSP) for the copy buttons' script.
HttpResponse Render(const HttpRequest& req, int status, const std::string& name, nlohmann::json data);
// The "message" page: a title (catalogue key) and one sentence.
HttpResponse Message(const HttpRequest& req, int status, std::string_view title_key, const std::string& message);
HttpResponse SeeOther(const std::string& where);
// 403 for a form whose CSRF token is missing or wrong.
HttpResponse Forbidden(const HttpRequest& req);

// The form's fields from either encoding; InvalidArgument when larger than
// `max_bytes` or not parseable.
StatusOr<FormFields> ReadForm(const HttpRequest& req, size_t max_bytes);

// A list as a textarea's text, one value a line.
std::string Lines(const std::vector<std::string>& v);
// yyyy-mm-dd ("" for 0).
std::string Date(int64_t unix_seconds);
// "Test" / "Production" in `lang`.
std::string EnvLabel(std::string_view lang, std::string_view env);
// A role's name in `lang`.
std::string RoleLabel(std::string_view lang, Role r);
nlohmann::json ErrorsJson(const FieldErrors& e);
// The layout's data for a signed-in page: title, user, role, CSRF token, menu.
nlohmann::json Chrome(std::string_view lang, const AdminSession& s, const std::string& title,
                      const std::string& section);
// 403: the signed-in user's role is below `needed`.
HttpResponse NeedsRole(const HttpRequest& req, const AdminSession& s, Role needed);

// The session of a page request, or the answer that sends the browser to
// the sign-in page.
struct PageAuth {
  std::optional<AdminSession> session;
  HttpResponse redirect;
};
PageAuth Authenticate(AdminAccounts& accounts, const HttpRequest& req);
bool CsrfOk(const AdminSession& s, const std::string& token);

}  // namespace certme::admin::page
