// The service pages' handlers: list, register, view, edit, promote,
// disable / enable / rotate a secret, delete. Their rendering is
// pages_service_views.cc.
#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/page_util.h"

namespace certme::admin {
namespace {

using namespace page;

bool KnownEnv(std::string_view env) { return env == kEnvTest || env == kEnvProduction; }

std::optional<std::string> Revealed(const std::optional<Secret>& s) {
  return s ? std::optional<std::string>(s->reveal()) : std::nullopt;
}

HttpResponse NoSuchService() { return Message(404, "No such service", "No service has this identifier."); }

HttpResponse NotRegisteredThere() {
  return Message(404, "Not registered there", "The service has no registration on this environment.");
}

}  // namespace

HttpResponse AdminConsole::PageServices(const PageRequest& req) {
  auto list = services_.List();
  if (!list.ok()) return Message(503, "Unavailable", "The store is unavailable.");
  nlohmann::json d = Chrome(req.session, "Services", "services");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : *list) {
    rows.push_back({{"id", r.id},
                    {"name", r.DisplayName()},
                    {"protocol", r.protocol == kProtocolSaml ? "SAML 2.0" : "OpenID Connect"},
                    {"test", r.test ? r.test->state : "—"},
                    {"production", r.production ? r.production->state : "not promoted"},
                    {"contract", r.contract_number}});
  }
  d["services"] = rows;
  d["empty"] = rows.empty();
  d["has_production"] = services_.has_production();
  d["test_url"] = services_.test().public_url;
  if (services_.production()) d["production_url"] = services_.production()->public_url;
  return Render(200, "services", d);
}

HttpResponse AdminConsole::PageNewService(const PageRequest& req) {
  ServiceInput in;
  in.protocol = req.http.Query("protocol").value_or("saml") == "oidc" ? "oidc" : "saml";
  return ServiceFormPage(req.session, in, {}, 200);
}

HttpResponse AdminConsole::PageCreateService(const PageRequest& req) {
  ServiceInput in = ServiceInputFromForm(req.form);
  FieldErrors errors;
  auto r = services_.Create(req.session.user, in, &errors);
  if (!r.ok()) {
    if (r.status().code() != StatusCode::kInvalidArgument) errors["form"] = "The registration could not be saved; try again.";
    in.certificate.clear();
    in.metadata_xml.clear();
    return ServiceFormPage(req.session, in, errors, 400);
  }
  return ServicePage(req.session, r->record, Revealed(r->client_secret), std::string(kEnvTest),
                     "Registered on the test environment.", 201);
}

HttpResponse AdminConsole::PageService(const PageRequest& req) {
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return Message(404, "No such service", "No service has this identifier; it may have been deleted.");
  std::string done;
  if (auto d = req.http.Query("done")) {
    if (*d == "disabled") done = "Disabled.";
    else if (*d == "enabled") done = "Enabled again.";
  }
  return ServicePage(req.session, *r, std::nullopt, "", done, 200);
}

HttpResponse AdminConsole::PageEditForm(const PageRequest& req) {
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return NoSuchService();
  const std::string& env = req.http.path_params.at("env");
  if (!KnownEnv(env) || !r->In(env)) return NotRegisteredThere();
  if (req.session.role < RoleFor(env)) return NeedsRole(req.session, RoleFor(env));
  EditContext ctx{&*r, env, r->version};
  return ServiceFormPage(req.session, FormOf(*r, env), {}, 200, &ctx);
}

HttpResponse AdminConsole::PageEdit(const PageRequest& req) {
  auto rec = services_.Get(req.http.path_params.at("id"));
  if (!rec.ok()) return NoSuchService();
  const std::string& env = req.http.path_params.at("env");
  if (!KnownEnv(env) || !rec->In(env)) return NotRegisteredThere();
  if (req.session.role < RoleFor(env)) return NeedsRole(req.session, RoleFor(env));
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
    return ServiceFormPage(req.session, in.form, errors, status, &ctx);
  }
  return ServicePage(req.session, r->record, Revealed(r->client_secret), env,
                     "Saved: the " + std::string(env) + " registration is live as edited.", 200);
}

HttpResponse AdminConsole::PagePromoteForm(const PageRequest& req) {
  if (!o_.promotion_requires_second_person && req.session.role < Role::kApprover)
    return NeedsRole(req.session, Role::kApprover);
  auto r = services_.Get(req.http.path_params.at("id"));
  if (!r.ok()) return NoSuchService();
  return PromotePage(req.session, *r, PromoteInput{}, {}, 200);
}

HttpResponse AdminConsole::PagePromote(const PageRequest& req) {
  auto rec = services_.Get(req.http.path_params.at("id"));
  if (!rec.ok()) return NoSuchService();
  PromoteInput in = PromoteInputFromForm(req.form);
  FieldErrors errors;
  if (o_.promotion_requires_second_person) {
    auto filed = promotions_.Request(req.session.user, req.session.user, rec->id, in, &errors);
    if (!filed.ok()) {
      if (filed.status().code() != StatusCode::kInvalidArgument) errors["form"] = filed.status().message();
      in.certificate.clear();
      return PromotePage(req.session, *rec, in, errors,
                         filed.status().code() == StatusCode::kInvalidArgument ? 400 : 409);
    }
    return ServicePage(req.session, *rec, std::nullopt, "",
                       "Promotion requested: another console user with the approver role must approve it.", 202);
  }
  if (req.session.role < Role::kApprover) return NeedsRole(req.session, Role::kApprover);
  auto r = services_.Promote(req.session.user, rec->id, in, &errors);
  if (!r.ok()) {
    const bool invalid = r.status().code() == StatusCode::kInvalidArgument;
    if (!invalid) errors["form"] = r.status().message();
    in.certificate.clear();
    return PromotePage(req.session, *rec, in, errors, invalid ? 400 : 409);
  }
  return ServicePage(req.session, r->record, Revealed(r->client_secret), std::string(kEnvProduction),
                     "Promoted to production.", 200);
}

HttpResponse AdminConsole::PageEnvironmentAction(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  const std::string& env = req.http.path_params.at("env");
  const std::string& action = req.http.path_params.at("action");
  if (!KnownEnv(env)) return Message(404, "No such environment", "Environments are test and production.");
  if (req.session.role < RoleFor(env)) return NeedsRole(req.session, RoleFor(env));
  if (action == "rotate-secret") {
    auto s = services_.RotateSecret(req.session.user, id, env);
    auto rec = services_.Get(id);
    if (!s.ok() || !rec.ok()) return Message(409, "Not rotated", s.ok() ? rec.status().message() : s.status().message());
    return ServicePage(req.session, *rec, s->reveal(), env,
                       "New client secret for " + EnvLabel(env) + "; the previous one no longer works.", 200);
  }
  if (action != "disable" && action != "enable")
    return Message(404, "Unknown action", "Actions are disable, enable and rotate-secret.");
  Status st = services_.SetEnabled(req.session.user, id, env, action == "enable");
  if (!st.ok()) return Message(409, "Not changed", st.message());
  return SeeOther("/admin/services/" + PercentEncode(id) + "?done=" + (action == "enable" ? "enabled" : "disabled"));
}

HttpResponse AdminConsole::PageDelete(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  if (req.http.Form("confirm").value_or("") != id) {
    auto rec = services_.Get(id);
    if (!rec.ok()) return SeeOther("/admin/services");
    return ServicePage(req.session, *rec, std::nullopt, "", "", 400,
                       "To delete, type the service identifier " + id + " in the box.");
  }
  if (auto rec = services_.Get(id); rec.ok() && rec->production && req.session.role < Role::kApprover)
    return NeedsRole(req.session, Role::kApprover);
  Status st = services_.Delete(req.session.user, id);
  if (!st.ok()) return Message(409, "Not deleted", st.message());
  return SeeOther("/admin/services");
}

HttpResponse AdminConsole::PageApprovePromotion(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  FieldErrors errors;
  auto r = promotions_.Approve(req.session.user, req.session.user, req.session.role, id, req.form.Get("approval_note"),
                               &errors);
  auto rec = services_.Get(id);
  if (!rec.ok()) return NoSuchService();
  if (!r.ok()) {
    std::string why = r.status().message();
    for (const auto& [field, text] : errors) why += "; " + field + ": " + text;
    return ServicePage(req.session, *rec, std::nullopt, "", "",
                       r.status().code() == StatusCode::kPermissionDenied ? 403 : 409, "Not promoted: " + why);
  }
  return ServicePage(req.session, r->record, Revealed(r->client_secret), std::string(kEnvProduction),
                     "Approved: promoted to production.", 200);
}

HttpResponse AdminConsole::PageCancelPromotion(const PageRequest& req) {
  const std::string& id = req.http.path_params.at("id");
  Status st = promotions_.Cancel(req.session.user, req.session.user, req.session.role, id);
  auto rec = services_.Get(id);
  if (!rec.ok()) return NoSuchService();
  if (!st.ok())
    return ServicePage(req.session, *rec, std::nullopt, "", "",
                       st.code() == StatusCode::kPermissionDenied ? 403 : 409, st.message());
  return ServicePage(req.session, *rec, std::nullopt, "", "The promotion request was withdrawn.", 200);
}

}  // namespace certme::admin
