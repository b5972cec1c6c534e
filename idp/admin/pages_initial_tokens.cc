// The initial access tokens page (/admin/initial-tokens): the tokens that
// let a provider register its OpenID Connect client itself (RFC 7591,
// dynamic_registration.h), their uses left and policy; operators issue and
// revoke them. A new token reaches the page once through a one-time note.
#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/error_text.h"
#include "idp/admin/page_util.h"
#include "idp/admin/util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

using namespace page;

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "—" : out;
}

}  // namespace

HttpResponse AdminConsole::InitialTokensPage(const PageRequest& req, int status, const std::string& done,
                                             const std::string& error, const std::string& new_token) {
  const std::string& lang = req.lang;
  auto tokens = initial_tokens_.List();
  if (!tokens.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(lang, "admin_err_store"));
  nlohmann::json d = Chrome(lang, req.session, Tr(lang, "admin_nav_initial_tokens"), "initial_tokens");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& t : *tokens) {
    rows.push_back({{"id", t.id},
                    {"name", t.name},
                    {"created", t.created},
                    {"created_by_text", Tr(lang, "admin_created_by", {{"user", t.created_by}})},
                    {"expires", Rfc3339(t.expires * 1000)},
                    {"uses_text", Tr(lang, "admin_itok_uses", {{"left", std::to_string(t.uses_left)},
                                                               {"total", std::to_string(t.uses)}})},
                    {"grants", Joined(t.policy.grant_types)},
                    {"methods", Joined(t.policy.auth_methods)},
                    {"prefixes", Joined(t.policy.redirect_uri_prefixes)},
                    {"revoke_label", Tr(lang, "admin_revoke_label", {{"name", t.name}})}});
  }
  d["tokens"] = rows;
  d["empty"] = rows.empty();
  d["can_issue"] = req.session.role >= Role::kOperator;
  d["done"] = done;
  d["error"] = error;
  d["new_token"] = new_token;
  d["grant_choices"] = {oidc::kGrantAuthorizationCode, oidc::kGrantRefreshToken, oidc::kGrantClientCredentials,
                        oidc::kGrantDeviceCode};
  d["method_choices"] = {oidc::kAuthClientSecretBasic, oidc::kAuthClientSecretPost, oidc::kAuthPrivateKeyJwt,
                         oidc::kAuthTlsClientAuth, oidc::kAuthNone};
  return Render(req.http, status, "initial_tokens", d);
}

HttpResponse AdminConsole::PageInitialTokens(const PageRequest& req) {
  const std::string code = req.http.Query("done").value_or("");
  std::string done;
  if (code == "itok_created" || code == "itok_revoked") done = Tr(req.lang, "admin_done_" + code);
  std::string token, error;
  nlohmann::json note = TakeNote(req);
  if (note.is_object() && note["initial_token"].is_string()) token = note["initial_token"].get<std::string>();
  else if (req.http.Query("flash")) error = Tr(req.lang, "admin_flash_gone");
  return InitialTokensPage(req, 200, done, error, token);
}

HttpResponse AdminConsole::PageCreateInitialToken(const PageRequest& req) {
  nlohmann::json body = {{"name", req.http.Form("name").value_or("")}};
  const std::string uses = req.http.Form("uses").value_or("1");
  if (uses.empty() || uses.size() > 6 || uses.find_first_not_of("0123456789") != std::string::npos)
    return InitialTokensPage(req, 400, "", Tr(req.lang, "admin_err_itok_uses"));
  body["uses"] = std::stoll(uses);
  if (auto ttl = req.http.Form("ttl"); ttl && !ttl->empty()) body["ttl"] = *ttl;
  nlohmann::json policy = {{"grant_types", nlohmann::json::array()}, {"auth_methods", nlohmann::json::array()},
                           {"redirect_uri_prefixes", nlohmann::json::array()}};
  for (const auto& [k, v] : req.http.form) {
    if (k == "grant_types") policy["grant_types"].push_back(v);
    if (k == "auth_methods") policy["auth_methods"].push_back(v);
  }
  // The textarea: one prefix per line, blank lines dropped.
  const std::string text = req.http.Form("redirect_uri_prefixes").value_or("");
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    at = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(0, 1);
    if (!line.empty()) policy["redirect_uri_prefixes"].push_back(line);
  }
  body["policy"] = policy;
  auto request = InitialTokenRequestFromJson(body);
  if (!request.ok()) return InitialTokensPage(req, 400, "", LocalizeError(req.lang, request.status().message()));
  auto made = initial_tokens_.Issue(req.session.user, *request);
  if (!made.ok()) {
    int status = made.status().code() == StatusCode::kInvalidArgument ? 400 : 503;
    return InitialTokensPage(req, status, "", LocalizeError(req.lang, made.status().message()));
  }
  return AfterPost(req, "/admin/initial-tokens", "itok_created", "", {{"initial_token", made->second.reveal()}});
}

HttpResponse AdminConsole::PageRevokeInitialToken(const PageRequest& req) {
  Status st = initial_tokens_.Revoke(req.session.user, req.http.path_params.at("token_id"));
  if (!st.ok()) {
    int status = st.code() == StatusCode::kNotFound ? 404 : 503;
    return InitialTokensPage(req, status, "", LocalizeError(req.lang, st.message()));
  }
  return AfterPost(req, "/admin/initial-tokens", "itok_revoked");
}

}  // namespace certme::admin
