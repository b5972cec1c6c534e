// Helpers of the console's pages (pages*.cc): cookies, rendering in the
// shared layout, the submitted form, the session of a request.
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
// templates/admin/<name>.mustache in the shared layout.
HttpResponse Render(int status, const std::string& name, nlohmann::json data);
// The "message" page: a title and one sentence.
HttpResponse Message(int status, const std::string& title, const std::string& message);
HttpResponse SeeOther(const std::string& where);
// 403 for a form whose CSRF token is missing or wrong.
HttpResponse Forbidden();

// The form's fields from either encoding; InvalidArgument when larger than
// `max_bytes` or not parseable.
StatusOr<FormFields> ReadForm(const HttpRequest& req, size_t max_bytes);

// A list as a textarea's text, one value a line.
std::string Lines(const std::vector<std::string>& v);
// yyyy-mm-dd ("" for 0).
std::string Date(int64_t unix_seconds);
std::string EnvLabel(std::string_view env);
nlohmann::json ErrorsJson(const FieldErrors& e);
// The layout's data for a signed-in page: title, user, role, CSRF token, menu.
nlohmann::json Chrome(const AdminSession& s, const std::string& title, const std::string& section);
// 403: the signed-in user's role is below `needed`.
HttpResponse NeedsRole(const AdminSession& s, Role needed);

// The session of a page request, or the answer that sends the browser to
// the sign-in page.
struct PageAuth {
  std::optional<AdminSession> session;
  HttpResponse redirect;
};
PageAuth Authenticate(AdminAccounts& accounts, const HttpRequest& req);
bool CsrfOk(const AdminSession& s, const std::string& token);

}  // namespace certme::admin::page
