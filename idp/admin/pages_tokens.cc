// The API tokens page (a signed-in user's own tokens; an administrator's
// view has everyone's) and the users page (administrators: roles, disable,
// enable). Tokens are made here or by `certme admin create-token`, never
// through the API.
#include "common/encoding.h"
#include "idp/admin/console.h"
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

HttpResponse AdminConsole::TokensPage(const AdminSession& s, int status, const std::string& done,
                                      const std::string& error, const std::string& new_token) {
  const bool admin = s.role == Role::kAdministrator;
  auto tokens = accounts_.ListTokens(admin ? std::nullopt : std::optional<std::string>(s.user));
  if (!tokens.ok()) return Message(503, "Unavailable", "The store is unavailable.");
  nlohmann::json d = Chrome(s, "API tokens", "tokens");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : *tokens) {
    std::string scopes;
    for (const auto& sc : t.scopes) scopes += (scopes.empty() ? "" : ", ") + sc;
    rows.push_back({{"id", t.id}, {"name", t.name}, {"user", t.user}, {"scopes", scopes.empty() ? "—" : scopes},
                    {"created", t.created}, {"created_by", t.created_by}, {"expires", t.expires}});
  }
  d["tokens"] = rows;
  d["empty"] = rows.empty();
  d["scopes_allowed"] = RoleScopes(s.role);
  d["default_ttl"] = TtlText(accounts_.options().api_token_default_ttl_seconds);
  d["max_ttl"] = TtlText(accounts_.options().api_token_max_ttl_seconds);
  d["done"] = done;
  d["error"] = error;
  d["new_token"] = new_token;
  return Render(status, "tokens", d);
}

HttpResponse AdminConsole::PageTokens(const PageRequest& req) { return TokensPage(req.session, 200, "", ""); }

HttpResponse AdminConsole::PageCreateToken(const PageRequest& req) {
  TokenRequest t;
  for (const auto& [k, v] : req.http.form)
    if (k == "scopes") t.scopes.push_back(v);
  if (t.scopes.empty()) return TokensPage(req.session, 400, "", "Tick at least one scope.");
  const std::string ttl = req.http.Form("ttl").value_or("");
  if (!ttl.empty()) {
    auto parsed = ParseTtl(ttl);
    if (!parsed.ok()) return TokensPage(req.session, 400, "", parsed.status().message());
    if (*parsed == 0) return TokensPage(req.session, 400, "", "A token must expire: give a lifetime.");
    t.ttl_seconds = *parsed;
  }
  // For the signed-in user only: nobody makes tokens for someone else.
  auto token = accounts_.CreateToken(req.session.user, req.session.user, req.http.Form("name").value_or(""), t);
  if (!token.ok()) {
    int status = token.status().code() == StatusCode::kInvalidArgument ? 400 : 409;
    return TokensPage(req.session, status, "", token.status().message());
  }
  return TokensPage(req.session, 201, "Token created.", "", token->reveal());
}

HttpResponse AdminConsole::PageRevokeToken(const PageRequest& req) {
  Status st = accounts_.RevokeToken(req.session.user, req.session.user, req.session.role,
                                    req.http.path_params.at("token_id"));
  if (!st.ok()) {
    int status = st.code() == StatusCode::kPermissionDenied ? 403 : st.code() == StatusCode::kNotFound ? 404 : 503;
    return TokensPage(req.session, status, "", st.message());
  }
  return TokensPage(req.session, 200, "Token revoked: it no longer works.", "");
}

HttpResponse AdminConsole::PageUsers(const PageRequest& req) {
  auto users = accounts_.ListUserDetails();
  if (!users.ok()) return Message(503, "Unavailable", "The store is unavailable.");
  nlohmann::json d = Chrome(req.session, "Users", "users");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& u : *users) {
    nlohmann::json roles = nlohmann::json::array();
    for (Role r : {Role::kViewer, Role::kOperator, Role::kApprover, Role::kAdministrator})
      roles.push_back({{"value", RoleName(r)}, {"selected", r == u.role}});
    rows.push_back({{"name", u.name}, {"role", RoleName(u.role)}, {"roles", roles}, {"disabled", u.disabled},
                    {"locked", u.locked}, {"self", u.name == req.session.user}});
  }
  d["users"] = rows;
  d["done"] = req.http.Query("done").has_value() ? "Saved." : "";
  return Render(200, "users", d);
}

HttpResponse AdminConsole::PageUserAction(const PageRequest& req) {
  const std::string& user = req.http.path_params.at("user");
  const std::string& action = req.http.path_params.at("action");
  // An administrator cannot demote or disable themself: the console is never
  // left without one by mistake.
  if (user == req.session.user)
    return Message(403, "Not allowed", "Another administrator must change your own account.");
  Status st;
  if (action == "role") {
    auto role = ParseRole(req.http.Form("role").value_or(""));
    if (!role.ok()) return Message(400, "Unknown role", role.status().message());
    st = accounts_.SetRole(req.session.user, user, *role);
  } else if (action == "disable" || action == "enable") {
    st = accounts_.SetDisabled(req.session.user, user, action == "disable");
  } else {
    return Message(404, "Unknown action", "Actions are role, disable and enable.");
  }
  if (st.code() == StatusCode::kNotFound) return Message(404, "No such user", st.message());
  if (!st.ok()) return Message(503, "Not changed", "The store is unavailable; try again.");
  return SeeOther("/admin/users?done=1");
}

}  // namespace certme::admin
