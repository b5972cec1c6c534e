#include "idp/admin/page_util.h"

#include "common/encoding.h"
#include "common/random.h"
#include "templates/page_lang.h"
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

// The switcher's links: this address with `lang` set; a one-time `flash`
// is left out (it was consumed by this view).
nlohmann::json Switcher(const HttpRequest& req, const std::string& lang) {
  std::string base = PercentEncodePath(req.path) + "?";
  for (const auto& [k, v] : req.query)
    if (k != kLangParam && k != "flash") base += PercentEncode(k) + "=" + PercentEncode(v) + "&";
  nlohmann::json links = nlohmann::json::array();
  for (const char* code : {"ro", "ru", "en"}) {
    std::string label = code;
    for (auto& c : label) c = static_cast<char>(c - 'a' + 'A');
    links.push_back({{"code", code}, {"label", label}, {"href", base + kLangParam + "=" + code},
                     {"current", lang == code}});
  }
  return {{"links", links}};
}

}  // namespace

std::string ConsoleLang(const HttpRequest& req) { return NegotiateLang(&req); }

std::string Tr(std::string_view lang, std::string_view key, TextArgs args) {
  std::string text = Templates()->Text(lang, key);
  for (const auto& [name, value] : args) {
    const std::string mark = "{" + std::string(name) + "}";
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + value.size()))
      text.replace(at, mark.size(), value);
  }
  return text;
}

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

HttpResponse Render(const HttpRequest& req, int status, const std::string& name, nlohmann::json data) {
  DropEmptyStrings(data);
  const std::string lang = ConsoleLang(req);
  data["wide"] = true;
  data["admin"] = true;
  if (req.method == "GET" && !data.contains("switcher")) data["switcher"] = Switcher(req, lang);
  // The copy buttons' script (admin/copy) runs by this nonce; nothing else.
  const std::string nonce = SystemRandom().Token(18);
  data["nonce"] = nonce;
  const auto& t = Templates();
  HttpResponse r = HtmlPage(status, t->RenderPage("admin/" + name, lang, data),
                            t->PageCsp("script-src 'nonce-" + nonce + "'"));
  // A switcher choice is remembered as on the login pages (HtmlPage sets it
  // when the adapter's request scope is open; a direct call sets it here).
  bool has = false;
  for (const auto& c : r.cookies) has = has || c.name == kLangCookie;
  if (!has)
    if (auto c = LangCookieFor(req)) r.cookies.push_back(std::move(*c));
  return r;
}

HttpResponse Message(const HttpRequest& req, int status, std::string_view title_key, const std::string& message) {
  const std::string lang = ConsoleLang(req);
  return Render(req, status, "message",
                {{"title", Tr(lang, title_key) + Tr(lang, "admin_title_suffix")},
                 {"heading", Tr(lang, title_key)},
                 {"message", message}});
}

HttpResponse SeeOther(const std::string& where) { return HttpResponse::Redirect(where, 303); }

HttpResponse Forbidden(const HttpRequest& req) {
  const std::string lang = ConsoleLang(req);
  nlohmann::json d = {{"title", Tr(lang, "admin_form_expired_title") + Tr(lang, "admin_title_suffix")},
                      {"heading", Tr(lang, "admin_form_expired_heading")},
                      {"message", Tr(lang, "admin_form_expired")}};
  return Render(req, 403, "message", d);
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

std::string EnvLabel(std::string_view lang, std::string_view env) {
  return Tr(lang, env == kEnvProduction ? "admin_env_production" : "admin_env_test");
}

std::string RoleLabel(std::string_view lang, Role r) { return Tr(lang, "admin_role_" + std::string(RoleName(r))); }

nlohmann::json ErrorsJson(const FieldErrors& e) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : e) j[k] = v;
  return j;
}

nlohmann::json Chrome(std::string_view lang, const AdminSession& s, const std::string& title,
                      const std::string& section) {
  return {{"title", title + Tr(lang, "admin_title_suffix")},
          {"heading", title},
          {"user", s.user},
          {"role", RoleLabel(lang, s.role)},
          {"can_write", s.role >= Role::kOperator},
          {"can_approve", s.role >= Role::kApprover},
          {"is_admin", s.role == Role::kAdministrator},
          {"csrf", s.csrf},
          {"nav_services", section == "services"},
          {"nav_tokens", section == "tokens"},
          {"nav_initial_tokens", section == "initial_tokens"},
          {"nav_users", section == "users"},
          {"nav_audit", section == "audit"}};
}

HttpResponse NeedsRole(const HttpRequest& req, const AdminSession& s, Role needed) {
  const std::string lang = ConsoleLang(req);
  return Message(req, 403, "admin_err_not_allowed_title",
                 Tr(lang, "admin_err_needs_role", {{"needed", RoleLabel(lang, needed)}, {"role", RoleLabel(lang, s.role)}}));
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
