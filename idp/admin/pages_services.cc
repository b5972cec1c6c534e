// The service pages' handlers: list (with search), register, view, edit,
// promote, disable / enable / rotate a secret, delete. Every change answers
// 303 to the service's page or the list (POST/Redirect/GET, console.h);
// the rendering is pages_service_views.cc.
#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/error_text.h"
#include "idp/admin/page_util.h"

namespace certme::admin {
namespace {

using namespace page;

bool KnownEnv(std::string_view env) { return env == kEnvTest || env == kEnvProduction; }

// The one-time note of an action that issued a client secret.
nlohmann::json SecretNote(const std::optional<Secret>& s, std::string_view env) {
  if (!s) return nullptr;
  return {{"secret", s->reveal()}, {"env", std::string(env)}};
}

std::string ServiceUrl(const std::string& id) { return "/admin/services/" + PercentEncode(id); }

}  // namespace

HttpResponse AdminConsole::PageServices(const PageRequest& req) {
  auto list = services_.List();
  const std::string& lang = req.lang;
  if (!list.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(lang, "admin_err_store"));
  const ServiceQuery q = ServiceQuery::FromRequest(req.http);
  nlohmann::json d = Chrome(lang, req.session, Tr(lang, "admin_nav_services"), "services");
  auto state = [&](const std::optional<Registration>& reg, const char* none) {
    std::string s = reg ? reg->state : "";
    return std::pair{s, Tr(lang, reg ? "admin_state_" + s : std::string(none))};
  };
  nlohmann::json rows = nlohmann::json::array();
  size_t total = 0;
  for (const auto& r : *list) {
    ++total;
    if (!Matches(q, r)) continue;
    auto [test, test_label] = state(r.test, "admin_state_not_registered");
    auto [prod, prod_label] = state(r.production, "admin_state_not_promoted");
    rows.push_back({{"id", r.id},
                    {"href", ServiceUrl(r.id)},
                    {"name", r.DisplayName()},
                    {"protocol", r.protocol == kProtocolSaml ? "SAML 2.0" : "OpenID Connect"},
                    {"test", test},
                    {"test_label", test_label},
                    {"production", prod},
                    {"production_label", prod_label},
                    {"contract", r.contract_number},
                    {"dynamic", r.origin == kOriginDynamic},
                    {"msign", HasMsign(r)}});
  }
  for (const auto& f : o_.file_services) {
    ++total;
    if (!Matches(q, f)) continue;
    rows.push_back({{"id", f.id},
                    {"href", "/admin/file-services?protocol=" + f.protocol + "&id=" + PercentEncode(f.id)},
                    {"name", f.DisplayName(lang)},
                    {"protocol", f.protocol == kProtocolSaml ? "SAML 2.0" : "OpenID Connect"},
                    {"test", std::string(kStateActive)},
                    {"test_label", Tr(lang, "admin_state_active")},
                    {"production_label", "—"},
                    {"file", true},
                    {"msign", HasMsign(f.definition)}});
  }
  d["services"] = rows;
  d["empty"] = rows.empty();
  d["has_file"] = !o_.file_services.empty();
  d["filtered"] = q.active();
  d["q"] = req.http.Query("q").value_or("");
  d["msign_only"] = q.msign;
  d["count_text"] = Tr(lang, "admin_search_count", {{"count", std::to_string(rows.size())},
                                                    {"total", std::to_string(total)}});
  auto choices = [](std::vector<std::pair<std::string, std::string>> opts, const std::string& cur) {
    nlohmann::json arr = nlohmann::json::array();
    for (auto& [value, label] : opts) arr.push_back({{"value", value}, {"label", label}, {"selected", value == cur}});
    return arr;
  };
  d["env_choices"] = choices({{"", Tr(lang, "admin_env_any")},
                              {std::string(kEnvTest), EnvLabel(lang, kEnvTest)},
                              {std::string(kEnvProduction), EnvLabel(lang, kEnvProduction)}},
                             q.env);
  d["protocol_choices"] = choices({{"", Tr(lang, "admin_protocol_any")},
                                   {std::string(kProtocolSaml), "SAML 2.0"},
                                   {std::string(kProtocolOidc), "OpenID Connect"}},
                                  q.protocol);
  if (req.http.Query("done") == "deleted") d["done"] = Tr(lang, "admin_done_deleted");
  d["has_production"] = services_.has_production();
  d["test_url"] = services_.test().public_url;
  if (services_.production()) d["production_url"] = services_.production()->public_url;
  return Render(req.http, 200, "services", d);
}

HttpResponse AdminConsole::PageNewService(const PageRequest& req) {
  ServiceInput in;
  in.protocol = req.http.Query("protocol").value_or("saml") == "oidc" ? "oidc" : "saml";
  return ServiceFormPage(req, in, {}, 200);
}

HttpResponse AdminConsole::PageCreateService(const PageRequest& req) {
  ServiceInput in = ServiceInputFromForm(req.form);
  FieldErrors errors;
  auto r = services_.Create(req.session.user, in, &errors);
  if (!r.ok()) {
    if (r.status().code() != StatusCode::kInvalidArgument) errors["form"] = Tr(req.lang, "admin_err_save_failed");
    in.certificate.clear();
    in.metadata_xml.clear();
    return ServiceFormPage(req, in, errors, 400);
  }
  return AfterPost(req, ServiceUrl(r->record.id), "registered", "", SecretNote(r->client_secret, kEnvTest));
}

HttpResponse AdminConsole::PageService(const PageRequest& req) {
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  const std::string env = req.http.Query("env").value_or("");
  const std::string env_label = EnvLabel(req.lang, env == kEnvProduction ? kEnvProduction : kEnvTest);
  std::string done;
  const std::string code = req.http.Query("done").value_or("");
  // The codes AfterPost sends; anything else says nothing.
  for (const char* known : {"registered", "saved", "promoted", "promotion_requested", "approved", "withdrawn",
                            "rotated", "disabled", "enabled"})
    if (code == known) done = Tr(req.lang, "admin_done_" + code, {{"env", env_label}});
  return ServicePage(req, *r, 200, done, "", TakeNote(req));
}

HttpResponse AdminConsole::PageEditForm(const PageRequest& req) {
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  const std::string& env = req.http.path_params.at("env");
  if (!KnownEnv(env) || !r->In(env))
    return Message(req.http, 404, "admin_err_not_there_title", Tr(req.lang, "admin_err_not_there"));
  if (req.session.role < RoleFor(env)) return NeedsRole(req.http, req.session, RoleFor(env));
  EditContext ctx{&*r, env, r->version};
  return ServiceFormPage(req, FormOf(*r, env), {}, 200, &ctx);
}

HttpResponse AdminConsole::PageEdit(const PageRequest& req) {
  auto rec = services_.Get(req.http.path_params.at("id"));
  if (!rec.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  const std::string& env = req.http.path_params.at("env");
  if (!KnownEnv(env) || !rec->In(env))
    return Message(req.http, 404, "admin_err_not_there_title", Tr(req.lang, "admin_err_not_there"));
  if (req.session.role < RoleFor(env)) return NeedsRole(req.http, req.session, RoleFor(env));
  EditInput in;
  in.form = ServiceInputFromForm(req.form);
  in.form.protocol = rec->protocol;
  in.approved = req.form.Get("approved") == "yes";
  in.approval_note = req.form.Get("approval_note");
  const std::string version = req.form.Get("version");
  in.version = -1;
  if (!version.empty() && version.size() < 18 && version.find_first_not_of("0123456789") == std::string::npos)
    in.version = std::stoll(version);
  FieldErrors errors;
  auto r = services_.Edit(req.session.user, rec->id, env, in, &errors);
  if (!r.ok()) {
    int status = 400;
    if (r.status().code() != StatusCode::kInvalidArgument) {
      errors["form"] = r.status().message();
      status = 409;
    }
    in.form.certificate.clear();
    EditContext ctx{&*rec, env, in.version, in.approved, in.approval_note};
    return ServiceFormPage(req, in.form, errors, status, &ctx);
  }
  return AfterPost(req, ServiceUrl(rec->id), "saved", "&env=" + env, SecretNote(r->client_secret, env));
}

HttpResponse AdminConsole::PagePromoteForm(const PageRequest& req) {
  if (!o_.promotion_requires_second_person && req.session.role < Role::kApprover)
    return NeedsRole(req.http, req.session, Role::kApprover);
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  return PromotePage(req, *r, PromoteInput{}, {}, 200);
}

HttpResponse AdminConsole::PagePromote(const PageRequest& req) {
  auto rec = services_.Get(req.http.path_params.at("id"));
  if (!rec.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  PromoteInput in = PromoteInputFromForm(req.form);
  FieldErrors errors;
  if (o_.promotion_requires_second_person) {
    auto filed = promotions_.Request(req.session.user, req.session.user, rec->id, in, &errors);
    if (!filed.ok()) {
      if (filed.status().code() != StatusCode::kInvalidArgument) errors["form"] = filed.status().message();
      in.certificate.clear();
      return PromotePage(req, *rec, in, errors, filed.status().code() == StatusCode::kInvalidArgument ? 400 : 409);
    }
    return AfterPost(req, ServiceUrl(rec->id), "promotion_requested");
  }
  if (req.session.role < Role::kApprover) return NeedsRole(req.http, req.session, Role::kApprover);
  auto r = services_.Promote(req.session.user, rec->id, in, &errors);
  if (!r.ok()) {
    const bool invalid = r.status().code() == StatusCode::kInvalidArgument;
    if (!invalid) errors["form"] = r.status().message();
    in.certificate.clear();
    return PromotePage(req, *rec, in, errors, invalid ? 400 : 409);
  }
  return AfterPost(req, ServiceUrl(rec->id), "promoted", "", SecretNote(r->client_secret, kEnvProduction));
}

HttpResponse AdminConsole::PageEnvironmentAction(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  const std::string& env = req.http.path_params.at("env");
  const std::string& action = req.http.path_params.at("action");
  if (!KnownEnv(env)) return Message(req.http, 404, "admin_err_no_env_title", Tr(req.lang, "admin_err_no_env"));
  if (req.session.role < RoleFor(env)) return NeedsRole(req.http, req.session, RoleFor(env));
  if (action == "rotate-secret") {
    auto s = services_.RotateSecret(req.session.user, id, env);
    if (!s.ok()) return Message(req.http, 409, "admin_err_not_rotated_title", LocalizeError(req.lang, s.status().message()));
    return AfterPost(req, ServiceUrl(id), "rotated", "&env=" + env, SecretNote(*s, env));
  }
  if (action != "disable" && action != "enable")
    return Message(req.http, 404, "admin_err_unknown_action_title", Tr(req.lang, "admin_err_unknown_action"));
  Status st = services_.SetEnabled(req.session.user, id, env, action == "enable");
  if (!st.ok()) return Message(req.http, 409, "admin_err_not_changed_title", LocalizeError(req.lang, st.message()));
  return AfterPost(req, ServiceUrl(id), action == "enable" ? "enabled" : "disabled", "&env=" + env);
}

HttpResponse AdminConsole::PageDelete(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  if (req.http.Form("confirm").value_or("") != id) {
    auto rec = services_.Get(id);
    if (!rec.ok()) return SeeOther("/admin/services");
    return ServicePage(req, *rec, 400, "", Tr(req.lang, "admin_err_delete_confirm", {{"id", id}}));
  }
  if (auto rec = services_.Get(id); rec.ok() && rec->production && req.session.role < Role::kApprover)
    return NeedsRole(req.http, req.session, Role::kApprover);
  Status st = services_.Delete(req.session.user, id);
  if (!st.ok()) return Message(req.http, 409, "admin_err_not_deleted_title", LocalizeError(req.lang, st.message()));
  return AfterPost(req, "/admin/services", "deleted");
}

HttpResponse AdminConsole::PageApprovePromotion(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  FieldErrors errors;
  auto r = promotions_.Approve(req.session.user, req.session.user, req.session.role, id, req.form.Get("approval_note"),
                               &errors);
  auto rec = services_.Get(id);
  if (!rec.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  if (!r.ok()) {
    std::string why = LocalizeError(req.lang, r.status().message());
    for (const auto& [field, text] : errors) why += "; " + field + ": " + LocalizeError(req.lang, text);
    return ServicePage(req, *rec, r.status().code() == StatusCode::kPermissionDenied ? 403 : 409, "",
                       Tr(req.lang, "admin_err_not_promoted", {{"why", why}}));
  }
  return AfterPost(req, ServiceUrl(id), "approved", "", SecretNote(r->client_secret, kEnvProduction));
}

HttpResponse AdminConsole::PageCancelPromotion(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  Status st = promotions_.Cancel(req.session.user, req.session.user, req.session.role, id);
  auto rec = services_.Get(id);
  if (!rec.ok()) return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
  if (!st.ok()) return ServicePage(req, *rec, st.code() == StatusCode::kPermissionDenied ? 403 : 409, "", LocalizeError(req.lang, st.message()));
  return AfterPost(req, ServiceUrl(id), "withdrawn");
}

HttpResponse AdminConsole::PageFileService(const PageRequest& req) {
  const std::string protocol = req.http.Query("protocol").value_or("");
  const std::string id = req.http.Query("id").value_or("");
  for (const auto& f : o_.file_services)
    if (f.protocol == protocol && f.id == id) return FileServicePage(req, f);
  return Message(req.http, 404, "admin_err_no_service_title", Tr(req.lang, "admin_err_no_service"));
}

}  // namespace certme::admin
