// The console's pages (templates/admin/*.mustache in the shared layout).
// Every page but the sign-in needs a session; every form carries the
// session's CSRF token; cookies are HttpOnly, Secure (but in development
// mode over plain HTTP) and SameSite=Strict, limited to /admin.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/random.h"
#include "templates/templates.h"
#include "idp/admin/console.h"
#include "idp/admin/multipart.h"
#include "idp/admin/util.h"
#include "idp/http/router.h"

namespace certme::admin {
namespace {

constexpr char kSessionCookie[] = "certme_admin";
constexpr char kLoginCookie[] = "certme_admin_login";  // double-submit CSRF of the sign-in form
constexpr size_t kAuditPageEntries = 200;

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

HttpResponse Render(int status, const std::string& name, nlohmann::json data) {
  DropEmptyStrings(data);
  data["wide"] = true;
  data["admin"] = true;
  const auto& t = Templates();
  return HtmlPage(status, t->RenderPage("admin/" + name, "en", data), t->PageCsp());
}

HttpResponse SeeOther(const std::string& where) { return HttpResponse::Redirect(where, 303); }

// A form's fields, from either encoding; the first value of each name wins,
// except for the repeated ones (attributes), which are all kept.
struct Form {
  std::multimap<std::string, std::string> fields;
  std::string Get(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? std::string() : it->second;
  }
  std::vector<std::string> All(const std::string& k) const {
    std::vector<std::string> out;
    auto [a, b] = fields.equal_range(k);
    for (auto it = a; it != b; ++it) out.push_back(it->second);
    return out;
  }
  // A textarea with one value per line (URLs), blank lines dropped.
  std::vector<std::string> Lines(const std::string& k) const {
    std::vector<std::string> out;
    for (auto& line : SplitTrimmed(Get(k), '\n')) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }
};

StatusOr<Form> ReadForm(const HttpRequest& req, size_t max_bytes) {
  Form f;
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

ServiceInput FormInput(const Form& f) {
  ServiceInput in;
  in.protocol = f.Get("protocol");
  in.technical_contact = f.Get("technical_contact");
  in.name_ro = f.Get("name_ro");
  in.name_ru = f.Get("name_ru");
  in.name_en = f.Get("name_en");
  in.description = f.Get("description");
  in.certificate = f.Get("certificate");
  in.attributes = f.All("attributes");
  in.contract_number = f.Get("contract_number");
  in.contract_date = f.Get("contract_date");
  in.entity_id = f.Get("entity_id");
  in.acs_urls = f.Lines("acs_urls");
  in.slo_url = f.Get("slo_url");
  in.slo_response_url = f.Get("slo_response_url");
  in.slo_binding = f.Get("slo_binding");
  in.name_id = f.Get("name_id");
  in.sign_assertion = !f.Get("sign_assertion").empty();
  in.encrypt_assertion = !f.Get("encrypt_assertion").empty();
  in.allow_sha1 = !f.Get("allow_sha1").empty();
  in.metadata_xml = f.Get("metadata_xml");
  in.redirect_uris = f.Lines("redirect_uris");
  in.post_logout_redirect_uris = f.Lines("post_logout_redirect_uris");
  in.backchannel_logout_uri = f.Get("backchannel_logout_uri");
  in.frontchannel_logout_uri = f.Get("frontchannel_logout_uri");
  in.token_endpoint_auth_method = f.Get("token_endpoint_auth_method");
  in.id_token_signed_response_alg = f.Get("id_token_signed_response_alg");
  in.subject_type = f.Get("subject_type");
  in.sector_identifier = f.Get("sector_identifier");
  // A checkbox sends nothing when unticked: the form says it showed it.
  if (!f.Get("iss_shown").empty()) in.authorization_response_iss = f.Get("authorization_response_iss") == "yes";
  return in;
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

}  // namespace

// The session of a page request, or the answer that sends the browser to
// the sign-in page.
struct PageAuth {
  std::optional<AdminSession> session;
  HttpResponse redirect;
};

static PageAuth Authenticate(AdminAccounts& accounts, const HttpRequest& req) {
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

static bool CsrfOk(const AdminSession& s, const std::string& token) {
  return !token.empty() && ConstantTimeEquals(token, s.csrf);
}

static nlohmann::json Chrome(const AdminSession& s, const std::string& title, const std::string& section) {
  return {{"title", title + " — certME administration"},
          {"heading", title},
          {"user", s.user},
          {"csrf", s.csrf},
          {"nav_services", section == "services"},
          {"nav_audit", section == "audit"}};
}

static HttpResponse Forbidden() {
  nlohmann::json d = {{"title", "Form expired — certME administration"},
                      {"heading", "This form has expired"},
                      {"message", "The page was open too long or came from elsewhere. Go back, reload it and "
                                  "submit again."}};
  return Render(403, "message", d);
}

void AdminConsole::MountPages(Router& router) {
  router.Get("/admin", [this](const HttpRequest& req) {
    return SeeOther(req.Cookie(kSessionCookie) ? "/admin/services" : "/admin/login");
  });

  router.Get("/admin/login", [](const HttpRequest& req) {
    std::string token = SystemRandom().Token(24);
    HttpResponse r = Render(200, "login",
                            {{"title", "Sign in — certME administration"}, {"csrf", token},
                             {"expired", req.Query("expired").has_value()}});
    r.cookies.push_back(Cookie(kLoginCookie, token, 3600));
    return r;
  });

  router.Post("/admin/login", [this](const HttpRequest& req) {
    std::string user = TruncateUtf8(req.Form("user").value_or(""), 100);
    auto again = [&](int status, const std::string& error) {
      std::string token = SystemRandom().Token(24);
      HttpResponse r = Render(status, "login",
                              {{"title", "Sign in — certME administration"}, {"csrf", token}, {"user", user},
                               {"error", error}});
      r.cookies.push_back(Cookie(kLoginCookie, token, 3600));
      return r;
    };
    auto sent = req.Form("csrf").value_or("");
    auto cookie = req.Cookie(kLoginCookie).value_or("");
    if (sent.empty() || !ConstantTimeEquals(sent, cookie))
      return again(403, "The sign-in form expired; please sign in again.");
    auto session = accounts_.SignIn(user, Secret(req.Form("password").value_or("")), req.client_ip);
    if (!session.ok()) {
      StatusCode c = session.status().code();
      if (c == StatusCode::kUnauthenticated || c == StatusCode::kPermissionDenied)
        return again(c == StatusCode::kPermissionDenied ? 403 : 401, session.status().message());
      return again(503, "Signing in is not possible right now; try again in a moment.");
    }
    HttpResponse r = SeeOther("/admin/services");
    r.cookies.push_back(Cookie(kSessionCookie, session->reveal(), -1));
    r.cookies.push_back(Cookie(kLoginCookie, "", 0));
    return r;
  });

  router.Post("/admin/logout", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    if (!CsrfOk(*a.session, req.Form("csrf").value_or(""))) return Forbidden();
    (void)accounts_.SignOut(req.Cookie(kSessionCookie).value_or(""));
    HttpResponse r = SeeOther("/admin/login");
    r.cookies.push_back(Cookie(kSessionCookie, "", 0));
    return r;
  });

  router.Get("/admin/services", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto list = services_.List();
    if (!list.ok()) return Render(503, "message", {{"title", "Unavailable"}, {"message", "The store is unavailable."}});
    nlohmann::json d = Chrome(*a.session, "Services", "services");
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
  });

  router.Get("/admin/services/new", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    ServiceInput in;
    in.protocol = req.Query("protocol").value_or("saml") == "oidc" ? "oidc" : "saml";
    return ServiceFormPage(*a.session, in, {}, 200);
  });

  router.Post("/admin/services", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto form = ReadForm(req, o_.max_form_bytes);
    if (!form.ok()) return Render(400, "message", {{"title", "Form not readable"}, {"message", form.status().message()}});
    if (!CsrfOk(*a.session, form->Get("csrf"))) return Forbidden();
    ServiceInput in = FormInput(*form);
    FieldErrors errors;
    auto r = services_.Create(a.session->user, in, &errors);
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kInvalidArgument) errors["form"] = "The registration could not be saved; try again.";
      in.certificate.clear();
      in.metadata_xml.clear();
      return ServiceFormPage(*a.session, in, errors, 400);
    }
    return ServicePage(*a.session, r->record,
                       r->client_secret ? std::optional<std::string>(r->client_secret->reveal()) : std::nullopt,
                       std::string(kEnvTest), "Registered on the test environment.", 201);
  });

  router.Get("/admin/services/:id", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return Render(404, "message", {{"title", "No such service"}, {"message", "No service has this identifier; it may have been deleted."}});
    std::string done;
    if (auto d = req.Query("done")) {
      if (*d == "disabled") done = "Disabled.";
      else if (*d == "enabled") done = "Enabled again.";
    }
    return ServicePage(*a.session, *r, std::nullopt, "", done, 200);
  });

  router.Get("/admin/services/:id/edit/:env", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return Render(404, "message", {{"title", "No such service"}, {"message", "No service has this identifier."}});
    const std::string& env = req.path_params.at("env");
    if ((env != kEnvTest && env != kEnvProduction) || !r->In(env))
      return Render(404, "message", {{"title", "Not registered there"}, {"message", "The service has no registration on this environment."}});
    EditContext ctx{&*r, env, r->version};
    return ServiceFormPage(*a.session, FormOf(*r, env), {}, 200, &ctx);
  });

  router.Post("/admin/services/:id/edit/:env", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto form = ReadForm(req, o_.max_form_bytes);
    if (!form.ok()) return Render(400, "message", {{"title", "Form not readable"}, {"message", form.status().message()}});
    if (!CsrfOk(*a.session, form->Get("csrf"))) return Forbidden();
    auto rec = services_.Get(req.path_params.at("id"));
    if (!rec.ok()) return Render(404, "message", {{"title", "No such service"}, {"message", "No service has this identifier."}});
    const std::string& env = req.path_params.at("env");
    if ((env != kEnvTest && env != kEnvProduction) || !rec->In(env))
      return Render(404, "message", {{"title", "Not registered there"}, {"message", "The service has no registration on this environment."}});
    EditInput in;
    in.form = FormInput(*form);
    in.form.protocol = rec->protocol;
    in.approved = form->Get("approved") == "yes";
    in.approval_note = form->Get("approval_note");
    const std::string version = form->Get("version");
    in.version = -1;
    if (!version.empty() && version.size() < 18 &&
        version.find_first_not_of("0123456789") == std::string::npos)
      in.version = std::stoll(version);
    FieldErrors errors;
    auto r = services_.Edit(a.session->user, rec->id, env, in, &errors);
    if (!r.ok()) {
      int status = 400;
      if (r.status().code() != StatusCode::kInvalidArgument) {
        errors["form"] = r.status().message();
        status = 409;
      }
      in.form.certificate.clear();
      EditContext ctx{&*rec, env, in.version, in.approved, in.approval_note};
      return ServiceFormPage(*a.session, in.form, errors, status, &ctx);
    }
    return ServicePage(*a.session, r->record,
                       r->client_secret ? std::optional<std::string>(r->client_secret->reveal()) : std::nullopt,
                       env, "Saved: the " + std::string(env) + " registration is live as edited.", 200);
  });

  router.Get("/admin/services/:id/promote", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return Render(404, "message", {{"title", "No such service"}, {"message", "No service has this identifier."}});
    return PromotePage(*a.session, *r, PromoteInput{}, {}, 200);
  });

  router.Post("/admin/services/:id/promote", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto form = ReadForm(req, o_.max_form_bytes);
    if (!form.ok()) return Render(400, "message", {{"title", "Form not readable"}, {"message", form.status().message()}});
    if (!CsrfOk(*a.session, form->Get("csrf"))) return Forbidden();
    auto rec = services_.Get(req.path_params.at("id"));
    if (!rec.ok()) return Render(404, "message", {{"title", "No such service"}, {"message", "No service has this identifier."}});
    PromoteInput in;
    in.certificate = form->Get("certificate");
    in.approved = form->Get("approved") == "yes";
    in.approval_note = form->Get("approval_note");
    in.entity_id = form->Get("entity_id");
    in.acs_urls = form->Lines("acs_urls");
    in.slo_url = form->Get("slo_url");
    in.slo_response_url = form->Get("slo_response_url");
    in.redirect_uris = form->Lines("redirect_uris");
    in.post_logout_redirect_uris = form->Lines("post_logout_redirect_uris");
    in.backchannel_logout_uri = form->Get("backchannel_logout_uri");
    in.frontchannel_logout_uri = form->Get("frontchannel_logout_uri");
    FieldErrors errors;
    auto r = services_.Promote(a.session->user, rec->id, in, &errors);
    if (!r.ok()) {
      if (r.status().code() != StatusCode::kInvalidArgument) errors["form"] = r.status().message();
      in.certificate.clear();
      return PromotePage(*a.session, *rec, in, errors, r.status().code() == StatusCode::kInvalidArgument ? 400 : 409);
    }
    return ServicePage(*a.session, r->record,
                       r->client_secret ? std::optional<std::string>(r->client_secret->reveal()) : std::nullopt,
                       std::string(kEnvProduction), "Promoted to production.", 200);
  });

  router.Post("/admin/services/:id/environments/:env/:action", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    if (!CsrfOk(*a.session, req.Form("csrf").value_or(""))) return Forbidden();
    const std::string& id = req.path_params.at("id");
    const std::string& env = req.path_params.at("env");
    const std::string& action = req.path_params.at("action");
    if (env != kEnvTest && env != kEnvProduction)
      return Render(404, "message", {{"title", "No such environment"}, {"message", "Environments are test and production."}});
    if (action == "rotate-secret") {
      auto s = services_.RotateSecret(a.session->user, id, env);
      auto rec = services_.Get(id);
      if (!s.ok() || !rec.ok())
        return Render(409, "message", {{"title", "Not rotated"}, {"message", s.ok() ? rec.status().message() : s.status().message()}});
      return ServicePage(*a.session, *rec, s->reveal(), env,
                         "New client secret for " + EnvLabel(env) + "; the previous one no longer works.", 200);
    }
    if (action != "disable" && action != "enable")
      return Render(404, "message", {{"title", "Unknown action"}, {"message", "Actions are disable, enable and rotate-secret."}});
    Status st = services_.SetEnabled(a.session->user, id, env, action == "enable");
    if (!st.ok()) return Render(409, "message", {{"title", "Not changed"}, {"message", st.message()}});
    return SeeOther("/admin/services/" + PercentEncode(id) + "?done=" + (action == "enable" ? "enabled" : "disabled"));
  });

  router.Post("/admin/services/:id/delete", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    if (!CsrfOk(*a.session, req.Form("csrf").value_or(""))) return Forbidden();
    const std::string& id = req.path_params.at("id");
    if (req.Form("confirm").value_or("") != id) {
      auto rec = services_.Get(id);
      if (!rec.ok()) return SeeOther("/admin/services");
      return ServicePage(*a.session, *rec, std::nullopt, "", "", 400,
                         "To delete, type the service identifier " + id + " in the box.");
    }
    Status st = services_.Delete(a.session->user, id);
    if (!st.ok()) return Render(409, "message", {{"title", "Not deleted"}, {"message", st.message()}});
    return SeeOther("/admin/services");
  });

  router.Get("/admin/audit", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto entries = audit_.List(kAuditPageEntries, true);
    if (!entries.ok()) return Render(503, "message", {{"title", "Unavailable"}, {"message", "The store is unavailable."}});
    nlohmann::json d = Chrome(*a.session, "Audit log", "audit");
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& e : *entries) {
      auto text = [](const nlohmann::json& j) {
        return j.is_null() ? std::string("—") : TruncateUtf8(j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace), 4000);
      };
      rows.push_back({{"seq", e.seq}, {"time", e.time}, {"actor", e.actor}, {"action", e.action},
                      {"target", e.target}, {"environment", e.environment}, {"before", text(e.before)},
                      {"after", text(e.after)}});
    }
    d["entries"] = rows;
    d["limit"] = kAuditPageEntries;
    d["verified"] = audit_.Verify().ok();
    return Render(200, "audit", d);
  });

  router.Get("/admin/audit/export", [this](const HttpRequest& req) {
    auto a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    auto entries = audit_.List();
    if (!entries.ok()) return Render(503, "message", {{"title", "Unavailable"}, {"message", "The store is unavailable."}});
    if (req.Query("format").value_or("") == "csv") {
      HttpResponse r = HttpResponse::Text(200, AuditLog::ToCsv(*entries), "text/csv; charset=utf-8");
      r.headers.Set("Content-Disposition", "attachment; filename=\"certme-audit.csv\"");
      return r;
    }
    HttpResponse r = HttpResponse::Text(200, AuditLog::ToJsonLines(*entries), "application/x-ndjson");
    r.headers.Set("Content-Disposition", "attachment; filename=\"certme-audit.jsonl\"");
    return r;
  });
}

HttpResponse AdminConsole::ServiceFormPage(const AdminSession& s, const ServiceInput& in, const FieldErrors& errors,
                                           int status, const EditContext* edit) {
  bool saml = in.protocol == kProtocolSaml;
  nlohmann::json d =
      edit ? Chrome(s, "Edit " + edit->record->DisplayName() + " on " + EnvLabel(edit->env), "services")
           : Chrome(s, saml ? "Register a SAML service" : "Register an OpenID Connect service", "services");
  d["editing"] = edit != nullptr;
  d["form_action"] = "/admin/services";
  d["submit_label"] = "Register on test";
  if (edit) {
    const Registration& reg = *edit->record->In(edit->env);
    d["id"] = edit->record->id;
    d["env"] = edit->env;
    d["env_label"] = EnvLabel(edit->env);
    d["production"] = edit->env == kEnvProduction;
    d["version"] = edit->version;
    d["form_action"] = "/admin/services/" + edit->record->id + "/edit/" + edit->env;
    d["submit_label"] = "Save the " + EnvLabel(edit->env) + " registration";
    d["current_certificate"] = reg.certificate_subject + ", valid until " + Date(reg.certificate_not_after);
    d["current_certificate_sha256"] = reg.certificate_sha256;
    d["approved"] = edit->approved;
    d["approval_note"] = edit->approval_note;
    d["other_env"] = EnvLabel(edit->env == kEnvProduction ? kEnvTest : kEnvProduction);
    d["has_other"] = edit->record->In(edit->env == kEnvProduction ? kEnvTest : kEnvProduction).has_value();
  }
  d["saml"] = saml;
  d["oidc"] = !saml;
  d["protocol"] = in.protocol;
  d["v"] = {{"technical_contact", in.technical_contact},
            {"name_ro", in.name_ro},
            {"name_ru", in.name_ru},
            {"name_en", in.name_en},
            {"description", in.description},
            {"contract_number", in.contract_number},
            {"contract_date", in.contract_date},
            {"entity_id", in.entity_id},
            {"acs_urls", Lines(in.acs_urls)},
            {"slo_url", in.slo_url},
            {"slo_response_url", in.slo_response_url},
            {"sign_assertion", in.sign_assertion},
            {"encrypt_assertion", in.encrypt_assertion},
            {"allow_sha1", in.allow_sha1},
            {"redirect_uris", Lines(in.redirect_uris)},
            {"post_logout_redirect_uris", Lines(in.post_logout_redirect_uris)},
            {"backchannel_logout_uri", in.backchannel_logout_uri},
            {"frontchannel_logout_uri", in.frontchannel_logout_uri},
            {"authorization_response_iss", in.authorization_response_iss},
            {"sector_identifier", in.sector_identifier}};
  d["e"] = ErrorsJson(errors);
  d["has_errors"] = !errors.empty();
  d["resubmit_files"] = !errors.empty() && !edit;
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& c : services_.catalogue().all()) {
    bool on = std::find(in.attributes.begin(), in.attributes.end(), c.key) != in.attributes.end();
    attrs.push_back({{"key", c.key}, {"saml_name", c.saml_name.empty() ? c.key : c.saml_name},
                     {"oidc_claim", c.oidc_claim}, {"format", c.format}, {"checked", on}});
  }
  d["attributes"] = attrs;
  auto choice = [](std::vector<std::pair<std::string, std::string>> opts, const std::string& cur) {
    nlohmann::json arr = nlohmann::json::array();
    for (auto& [value, label] : opts) arr.push_back({{"value", value}, {"label", label}, {"selected", value == cur}});
    return arr;
  };
  d["slo_bindings"] = choice({{"post", "HTTP-POST"}, {"redirect", "HTTP-Redirect"}},
                             in.slo_binding.empty() ? "post" : in.slo_binding);
  d["name_ids"] = choice({{"idnp", "IDNP (MPass default)"}, {"persistent", "persistent (pairwise, stable)"},
                          {"transient", "transient (new each session)"}},
                         in.name_id.empty() ? "idnp" : in.name_id);
  d["auth_methods"] = choice({{"client_secret_basic", "client_secret_basic (secret, HTTP Basic)"},
                              {"client_secret_post", "client_secret_post (secret in the body)"},
                              {"private_key_jwt", "private_key_jwt (signed with the certificate's key)"},
                              {"tls_client_auth", "tls_client_auth (mutual TLS with the certificate)"},
                              {"none", "none (public client, PKCE)"}},
                             in.token_endpoint_auth_method.empty() ? "client_secret_basic" : in.token_endpoint_auth_method);
  d["algs"] = choice({{"RS256", "RS256"}, {"PS256", "PS256"}, {"ES256", "ES256"}},
                     in.id_token_signed_response_alg.empty() ? "RS256" : in.id_token_signed_response_alg);
  d["subject_types"] = choice({{"", "the bridge's default (oidc.default_subject_type)"},
                               {"pairwise", "pairwise (a different subject per sector host)"},
                               {"public", "public (the same subject for every service)"}},
                              in.subject_type);
  return Render(status, "service_form", d);
}

HttpResponse AdminConsole::ServicePage(const AdminSession& s, const ServiceRecord& r,
                                       std::optional<std::string> secret, const std::string& secret_env,
                                       const std::string& done, int status, const std::string& error) {
  bool saml = r.protocol == kProtocolSaml;
  nlohmann::json d = Chrome(s, r.DisplayName(), "services");
  d["id"] = r.id;
  d["saml"] = saml;
  d["protocol"] = saml ? "SAML 2.0" : "OpenID Connect";
  d["names"] = {{"ro", r.names.count("ro") ? r.names.at("ro") : ""},
                {"ru", r.names.count("ru") ? r.names.at("ru") : ""},
                {"en", r.names.count("en") ? r.names.at("en") : ""}};
  d["description"] = r.description;
  d["technical_contact"] = r.technical_contact;
  d["contract_number"] = r.contract_number;
  d["contract_date"] = r.contract_date;
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& k : r.attributes) {
    const auto* c = services_.catalogue().ByKey(k);
    attrs.push_back(saml ? (c && !c->saml_name.empty() ? c->saml_name : k) : (c ? c->oidc_claim : k));
  }
  d["attributes"] = attrs;
  if (secret) {
    d["secret"] = *secret;
    d["secret_env"] = EnvLabel(secret_env);
  }
  d["done"] = done;
  d["error"] = error;
  nlohmann::json envs = nlohmann::json::array();
  for (std::string_view env : {kEnvTest, kEnvProduction}) {
    const auto& reg = r.In(env);
    const Environment* e = env == kEnvTest ? &services_.test() : (services_.production() ? &*services_.production() : nullptr);
    if (!reg) continue;
    nlohmann::json x = {{"env", std::string(env)},
                        {"label", EnvLabel(env)},
                        {"state", reg->state},
                        {"active", reg->state == kStateActive},
                        {"protocol_id", r.ProtocolId(env)},
                        {"certificate_subject", reg->certificate_subject},
                        {"certificate_sha256", reg->certificate_sha256},
                        {"certificate_not_after", Date(reg->certificate_not_after)},
                        {"created", reg->created},
                        {"updated", reg->updated},
                        {"approved_by", reg->approved_by},
                        {"approval_note", reg->approval_note},
                        {"bridge_url", e ? e->public_url : ""}};
    const auto& def = reg->definition;
    if (saml) {
      x["metadata_url"] = (e ? e->public_url : "") + "/saml/metadata";
      x["urls"] = def.value("acs_urls", std::vector<std::string>{});
      x["slo_url"] = def.value("slo_url", "");
      x["slo_response_url"] = def.value("slo_response_url", "");
      x["name_id"] = def.value("name_id", "");
      x["sign_assertion"] = def.value("sign_assertion", false);
      x["encrypt_assertion"] = def.value("encrypt_assertion", false);
      x["allow_sha1"] = def.value("allow_sha1", false);
    } else {
      x["issuer"] = e ? e->public_url : "";
      x["urls"] = def.value("redirect_uris", std::vector<std::string>{});
      x["post_logout"] = def.value("post_logout_redirect_uris", std::vector<std::string>{});
      x["auth_method"] = def.value("token_endpoint_auth_method", "");
      x["alg"] = def.value("id_token_signed_response_alg", "");
      x["subject_type"] = def.value("subject_type", "");
      x["sector_identifier"] = def.value("sector_identifier", "");
      std::string m = def.value("token_endpoint_auth_method", "");
      x["can_rotate"] = m == "client_secret_basic" || m == "client_secret_post";
    }
    envs.push_back(x);
  }
  d["environments"] = envs;
  d["can_promote"] = r.test && !r.production && services_.has_production();
  d["no_production"] = r.test && !r.production && !services_.has_production();
  return Render(status, "service", d);
}

HttpResponse AdminConsole::PromotePage(const AdminSession& s, const ServiceRecord& r, const PromoteInput& in,
                                       const FieldErrors& errors, int status) {
  bool saml = r.protocol == kProtocolSaml;
  nlohmann::json d = Chrome(s, "Promote to production", "services");
  d["id"] = r.id;
  d["name"] = r.DisplayName();
  d["saml"] = saml;
  d["has_production"] = services_.has_production();
  if (services_.production()) d["production_url"] = services_.production()->public_url;
  const nlohmann::json def = r.test ? r.test->definition : nlohmann::json::object();
  auto or_test = [&](const std::string& v, const char* key) { return v.empty() ? def.value(key, "") : v; };
  auto lines_or_test = [&](const std::vector<std::string>& v, const char* key) {
    return v.empty() ? Lines(def.value(key, std::vector<std::string>{})) : Lines(v);
  };
  d["v"] = {{"entity_id", or_test(in.entity_id, "entity_id")},
            {"acs_urls", lines_or_test(in.acs_urls, "acs_urls")},
            {"slo_url", or_test(in.slo_url, "slo_url")},
            {"slo_response_url", or_test(in.slo_response_url, "slo_response_url")},
            {"redirect_uris", lines_or_test(in.redirect_uris, "redirect_uris")},
            {"post_logout_redirect_uris", lines_or_test(in.post_logout_redirect_uris, "post_logout_redirect_uris")},
            {"backchannel_logout_uri", or_test(in.backchannel_logout_uri, "backchannel_logout_uri")},
            {"frontchannel_logout_uri", or_test(in.frontchannel_logout_uri, "frontchannel_logout_uri")},
            {"approval_note", in.approval_note}};
  d["test_certificate_sha256"] = r.test ? r.test->certificate_sha256 : "";
  d["e"] = ErrorsJson(errors);
  d["has_errors"] = !errors.empty();
  return Render(status, "promote", d);
}

}  // namespace certme::admin
