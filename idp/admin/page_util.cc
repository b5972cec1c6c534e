#include "idp/admin/page_util.h"

#include "common/encoding.h"
#include "templates/templates.h"
#include "idp/admin/multipart.h"
#include "idp/admin/service_admin.h"
#include "idp/admin/util.h"

namespace certme::admin::page {
namespace {

// Mustache sections treat "" as true; the templates use {{#x}} to mean "x
// is set", so empty strings are dropped before rendering.
void DropEmptyStrings(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end();) {
      if (it->is_string() && it->get_ref<const std::string&>().empty()) {
        it = j.erase(it);
      } else {
        DropEmptyStrings(*it);
        ++it;
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) DropEmptyStrings(e);
  }
}

}  // namespace

SetCookie Cookie(std::string name, std::string value, int64_t max_age) {
  SetCookie c;
  c.name = std::move(name);
  c.value = std::move(value);
  c.path = "/admin";
  c.max_age_seconds = max_age;
  c.http_only = true;
  c.secure = true;  // the adapter drops it only in development mode over plain HTTP
  c.same_site = SameSite::kStrict;
  return c;
}

HttpResponse Render(int status, const std::string& name, nlohmann::json data) {
  DropEmptyStrings(data);
  data["wide"] = true;
  data["admin"] = true;
  const auto& t = Templates();
  return HtmlPage(status, t->RenderPage("admin/" + name, "en", data), t->PageCsp());
}

HttpResponse Message(int status, const std::string& title, const std::string& message) {
  return Render(status, "message", {{"title", title}, {"message", message}});
}

HttpResponse SeeOther(const std::string& where) { return HttpResponse::Redirect(where, 303); }

HttpResponse Forbidden() {
  nlohmann::json d = {{"title", "Form expired — certME administration"},
                      {"heading", "This form has expired"},
                      {"message", "The page was open too long or came from elsewhere. Go back, reload it and "
                                  "submit again."}};
  return Render(403, "message", d);
}

StatusOr<FormFields> ReadForm(const HttpRequest& req, size_t max_bytes) {
  FormFields f;
  if (req.body.size() > max_bytes) return InvalidArgument("the form is too large");
  std::string type = req.headers.Get("content-type").value_or("");
  if (AsciiLower(type).rfind("multipart/form-data", 0) == 0) {
    CERTME_ASSIGN_OR_RETURN(std::string boundary, MultipartBoundary(type));
    CERTME_ASSIGN_OR_RETURN(auto parts, ParseMultipart(req.body, boundary));
    for (auto& p : parts) f.fields.emplace(p.name, std::move(p.data));
    return f;
  }
  for (const auto& [k, v] : req.form) f.fields.emplace(k, v);
  return f;
}

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

std::string Date(int64_t unix_seconds) { return unix_seconds > 0 ? Rfc3339(unix_seconds * 1000).substr(0, 10) : ""; }

std::string EnvLabel(std::string_view env) { return env == kEnvProduction ? "Production" : "Test"; }

nlohmann::json ErrorsJson(const FieldErrors& e) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : e) j[k] = v;
  return j;
}

nlohmann::json Chrome(const AdminSession& s, const std::string& title, const std::string& section) {
  return {{"title", title + " — certME administration"},
          {"heading", title},
          {"user", s.user},
          {"role", RoleName(s.role)},
          {"can_write", s.role >= Role::kOperator},
          {"can_approve", s.role >= Role::kApprover},
          {"is_admin", s.role == Role::kAdministrator},
          {"csrf", s.csrf},
          {"nav_services", section == "services"},
          {"nav_tokens", section == "tokens"},
          {"nav_users", section == "users"},
          {"nav_audit", section == "audit"}};
}

HttpResponse NeedsRole(const AdminSession& s, Role needed) {
  return Message(403, "Not allowed",
                 "This needs the " + std::string(RoleName(needed)) + " role; your account is " +
                     std::string(RoleName(s.role)) + ". An administrator can change it.");
}

PageAuth Authenticate(AdminAccounts& accounts, const HttpRequest& req) {
  PageAuth a;
  auto cookie = req.Cookie(kSessionCookie);
  if (cookie) {
    auto s = accounts.Session(*cookie);
    if (s.ok()) {
      a.session = std::move(*s);
      return a;
    }
  }
  // A cookie that no longer names a session: idle or too old, or signed out
  // elsewhere. The sign-in page says so.
  a.redirect = SeeOther(cookie ? "/admin/login?expired=1" : "/admin/login");
  if (cookie) a.redirect.cookies.push_back(Cookie(kSessionCookie, "", 0));
  return a;
}

bool CsrfOk(const AdminSession& s, const std::string& token) {
  return !token.empty() && ConstantTimeEquals(token, s.csrf);
}

}  // namespace certme::admin::page
