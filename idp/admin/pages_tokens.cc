// The API tokens page (a signed-in user's own tokens; an administrator's
// view has everyone's) and the users page (administrators: roles, disable,
// enable). Tokens are made here or by `certme admin create-token`, never
// through the API. Changes answer 303 (POST/Redirect/GET, console.h); a new
// token reaches the page once through a one-time note.
#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/error_text.h"
#include "idp/admin/page_util.h"
#include "idp/admin/util.h"

namespace certme::admin {
namespace {

using namespace page;

// "30d" for a whole number of days, else seconds.
std::string TtlText(int64_t seconds) {
  return seconds % 86400 == 0 ? std::to_string(seconds / 86400) + "d" : std::to_string(seconds) + "s";
}

}  // namespace

HttpResponse AdminConsole::TokensPage(const PageRequest& req, int status, const std::string& done,
                                      const std::string& error, const std::string& new_token) {
  const AdminSession& s = req.session;
  const std::string& lang = req.lang;
  const bool admin = s.role == Role::kAdministrator;
  auto tokens = accounts_.ListTokens(admin ? std::nullopt : std::optional<std::string>(s.user));
  if (!tokens.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(lang, "admin_err_store"));
  nlohmann::json d = Chrome(lang, s, Tr(lang, "admin_nav_tokens"), "tokens");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : *tokens) {
    std::string scopes;
    for (const auto& sc : t.scopes) scopes += (scopes.empty() ? "" : ", ") + sc;
    rows.push_back({{"id", t.id}, {"name", t.name}, {"user", t.user}, {"scopes", scopes.empty() ? "—" : scopes},
                    {"created", t.created}, {"created_by_text", Tr(lang, "admin_created_by", {{"user", t.created_by}})},
                    {"expires", t.expires}, {"revoke_label", Tr(lang, "admin_revoke_label", {{"name", t.name}})}});
  }
  d["tokens"] = rows;
  d["empty"] = rows.empty();
  d["scopes_allowed"] = RoleScopes(s.role);
  d["default_ttl"] = TtlText(accounts_.options().api_token_default_ttl_seconds);
  d["ttl_label"] = Tr(lang, "admin_ttl_label", {{"max", TtlText(accounts_.options().api_token_max_ttl_seconds)}});
  d["done"] = done;
  d["error"] = error;
  d["new_token"] = new_token;
  return Render(req.http, status, "tokens", d);
}

HttpResponse AdminConsole::PageTokens(const PageRequest& req) {
  const std::string code = req.http.Query("done").value_or("");
  std::string done;
  if (code == "token_created" || code == "token_revoked") done = Tr(req.lang, "admin_done_" + code);
  std::string token, error;
  nlohmann::json note = TakeNote(req);
  if (note.is_object() && note["token"].is_string()) token = note["token"].get<std::string>();
  else if (req.http.Query("flash")) error = Tr(req.lang, "admin_flash_gone");
  return TokensPage(req, 200, done, error, token);
}

HttpResponse AdminConsole::PageCreateToken(const PageRequest& req) {
  TokenRequest t;
  for (const auto& [k, v] : req.http.form)
    if (k == "scopes") t.scopes.push_back(v);
  if (t.scopes.empty()) return TokensPage(req, 400, "", Tr(req.lang, "admin_err_tick_scope"));
  const std::string ttl = req.http.Form("ttl").value_or("");
  if (!ttl.empty()) {
    auto parsed = ParseTtl(ttl);
    if (!parsed.ok()) return TokensPage(req, 400, "", LocalizeError(req.lang, parsed.status().message()));
    if (*parsed == 0) return TokensPage(req, 400, "", Tr(req.lang, "admin_err_token_expire"));
    t.ttl_seconds = *parsed;
  }
  // For the signed-in user only: nobody makes tokens for someone else.
  auto token = accounts_.CreateToken(req.session.user, req.session.user, req.http.Form("name").value_or(""), t);
  if (!token.ok()) {
    int status = token.status().code() == StatusCode::kInvalidArgument ? 400 : 409;
    return TokensPage(req, status, "", LocalizeError(req.lang, token.status().message()));
  }
  return AfterPost(req, "/admin/tokens", "token_created", "", {{"token", token->reveal()}});
}

HttpResponse AdminConsole::PageRevokeToken(const PageRequest& req) {
  Status st = accounts_.RevokeToken(req.session.user, req.session.user, req.session.role,
                                    req.http.path_params.at("token_id"));
  if (!st.ok()) {
    int status = st.code() == StatusCode::kPermissionDenied ? 403 : st.code() == StatusCode::kNotFound ? 404 : 503;
    return TokensPage(req, status, "", LocalizeError(req.lang, st.message()));
  }
  return AfterPost(req, "/admin/tokens", "token_revoked");
}

HttpResponse AdminConsole::PageUsers(const PageRequest& req) {
  const std::string& lang = req.lang;
  auto users = accounts_.ListUserDetails();
  if (!users.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(lang, "admin_err_store"));
  nlohmann::json d = Chrome(lang, req.session, Tr(lang, "admin_nav_users"), "users");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& u : *users) {
    nlohmann::json roles = nlohmann::json::array();
    for (Role r : {Role::kViewer, Role::kOperator, Role::kApprover, Role::kAdministrator})
      roles.push_back({{"value", RoleName(r)}, {"label", RoleLabel(lang, r)}, {"selected", r == u.role}});
    const char* state = u.disabled ? "admin_user_disabled" : u.locked ? "admin_user_locked" : "admin_user_active";
    rows.push_back({{"name", u.name}, {"role_label", RoleLabel(lang, u.role)}, {"roles", roles},
                    {"role_aria", Tr(lang, "admin_role_of", {{"name", u.name}})}, {"disabled", u.disabled},
                    {"state_label", Tr(lang, state)}, {"self", u.name == req.session.user}});
  }
  d["users"] = rows;
  d["done"] = req.http.Query("done").has_value() ? Tr(lang, "admin_done_user_saved") : "";
  return Render(req.http, 200, "users", d);
}

HttpResponse AdminConsole::PageUserAction(const PageRequest& req) {
  const std::string& user = req.http.path_params.at("user");
  const std::string& action = req.http.path_params.at("action");
  const std::string& lang = req.lang;
  // An administrator cannot demote or disable themself: the console is never
  // left without one by mistake.
  if (user == req.session.user)
    return Message(req.http, 403, "admin_err_not_allowed_title", Tr(lang, "admin_err_own_account"));
  Status st;
  if (action == "role") {
    auto role = ParseRole(req.http.Form("role").value_or(""));
    if (!role.ok())
      return Message(req.http, 400, "admin_err_unknown_role_title", LocalizeError(lang, role.status().message()));
    st = accounts_.SetRole(req.session.user, user, *role);
  } else if (action == "disable" || action == "enable") {
    st = accounts_.SetDisabled(req.session.user, user, action == "disable");
  } else {
    return Message(req.http, 404, "admin_err_unknown_action_title", Tr(lang, "admin_err_unknown_action"));
  }
  if (st.code() == StatusCode::kNotFound)
    return Message(req.http, 404, "admin_err_no_user_title", LocalizeError(lang, st.message()));
  if (!st.ok()) return Message(req.http, 503, "admin_err_not_changed_title", Tr(lang, "admin_err_store"));
  return SeeOther("/admin/users?done=1");
}

}  // namespace certme::admin
