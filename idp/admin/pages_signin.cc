// Signing in and out of the console. The sign-in form has no session yet:
// its CSRF defence is a double-submit cookie (kLoginCookie).
#include "common/random.h"
#include "idp/admin/console.h"
#include "idp/admin/page_util.h"
#include "idp/admin/util.h"

namespace certme::admin {
namespace {

using namespace page;

constexpr int64_t kLoginFormSeconds = 3600;

// The sign-in form with a fresh double-submit token.
HttpResponse LoginForm(const HttpRequest& req, int status, nlohmann::json data) {
  std::string token = SystemRandom().Token(24);
  const std::string lang = ConsoleLang(req);
  data["title"] = Tr(lang, "admin_login_title") + Tr(lang, "admin_title_suffix");
  data["csrf"] = token;
  HttpResponse r = Render(req, status, "login", std::move(data));
  r.cookies.push_back(Cookie(kLoginCookie, token, kLoginFormSeconds));
  return r;
}

}  // namespace

HttpResponse AdminConsole::PageHome(const HttpRequest& req) {
  return SeeOther(req.Cookie(kSessionCookie) ? "/admin/services" : "/admin/login");
}

HttpResponse AdminConsole::PageLoginForm(const HttpRequest& req) {
  return LoginForm(req, 200, {{"expired", req.Query("expired").has_value()}});
}

HttpResponse AdminConsole::PageLogin(const HttpRequest& req) {
  std::string user = TruncateUtf8(req.Form("user").value_or(""), 100);
  const std::string lang = ConsoleLang(req);
  auto again = [&](int status, const std::string& error) {
    return LoginForm(req, status, {{"user", user}, {"error", error}});
  };
  auto sent = req.Form("csrf").value_or("");
  auto cookie = req.Cookie(kLoginCookie).value_or("");
  if (sent.empty() || !ConstantTimeEquals(sent, cookie)) return again(403, Tr(lang, "admin_login_form_expired"));
  auto session = accounts_.SignIn(user, Secret(req.Form("password").value_or("")), req.client_ip);
  if (!session.ok()) {
    StatusCode c = session.status().code();
    if (c == StatusCode::kUnauthenticated) {
      const auto& o = accounts_.options();
      return again(401, Tr(lang, "admin_login_refused", {{"count", std::to_string(o.lockout_failures)},
                                                         {"minutes", std::to_string((o.lockout_seconds + 59) / 60)}}));
    }
    if (c == StatusCode::kPermissionDenied) return again(403, Tr(lang, "admin_login_disabled"));
    if (c == StatusCode::kResourceExhausted) {
      // Too many password checks at once, or from this address (RFC 6585 §4).
      HttpResponse r = again(429, Tr(lang, "admin_login_too_many"));
      r.headers.Set("Retry-After", std::to_string(accounts_.RetryAfterSeconds()));
      return r;
    }
    return again(503, Tr(lang, "admin_login_unavailable"));
  }
  HttpResponse r = SeeOther("/admin/services");
  r.cookies.push_back(Cookie(kSessionCookie, session->reveal(), -1));
  r.cookies.push_back(Cookie(kLoginCookie, "", 0));
  return r;
}

HttpResponse AdminConsole::PageLogout(const PageRequest& req) {
  (void)accounts_.SignOut(req.http.Cookie(kSessionCookie).value_or(""));
  HttpResponse r = SeeOther("/admin/login");
  r.cookies.push_back(Cookie(kSessionCookie, "", 0));
  return r;
}

}  // namespace certme::admin
