// The service pages' rendering: the registration / edit form, a service's
// page (every registered URI and option of each environment), a
// file-registered service's page, the promotion form.
#include <algorithm>

#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/error_text.h"
#include "idp/admin/page_util.h"

namespace certme::admin {

using namespace page;

namespace {

std::vector<std::string> Strings(const nlohmann::json& def, const char* key) {
  std::vector<std::string> out;
  auto it = def.find(key);
  if (it != def.end() && it->is_array())
    for (const auto& v : *it)
      if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The rows of one registration's definition (ClientToJson / ServiceToJson)
// as the service page lists them: label, the values to copy (URIs, ids),
// or a text.
class Rows {
 public:
  Rows(std::string_view lang, const nlohmann::json& def) : lang_(lang), def_(def) {}

  void Values(const char* label_key, const std::vector<std::string>& values) {
    nlohmann::json vs = nlohmann::json::array();
    for (const auto& v : values) vs.push_back({{"v", v}, {"copy", true}});
    if (values.empty()) rows_.push_back({{"label", Tr(lang_, label_key)}, {"text", Tr(lang_, "admin_none")}});
    else rows_.push_back({{"label", Tr(lang_, label_key)}, {"values", vs}});
  }
  void List(const char* label_key, const char* key) { Values(label_key, Strings(def_, key)); }
  void Url(const char* label_key, const char* key) {
    std::string v = def_.value(key, "");
    Values(label_key, v.empty() ? std::vector<std::string>{} : std::vector<std::string>{v});
  }
  void Text(const char* label_key, const std::string& text) {
    rows_.push_back({{"label", Tr(lang_, label_key)}, {"text", text}});
  }
  void Flag(const char* label_key, const char* key, bool dflt) {
    Text(label_key, Tr(lang_, def_.value(key, dflt) ? "admin_yes" : "admin_no"));
  }
  nlohmann::json Take() { return std::move(rows_); }

 private:
  std::string lang_;
  const nlohmann::json& def_;
  nlohmann::json rows_ = nlohmann::json::array();
};

// MSign's settings as ClientToJson writes them (protocols/oidc/msign.h).
void MsignRows(std::string_view lang, const nlohmann::json& def, Rows* rows) {
  auto it = def.find("msign");
  if (it == def.end() || !it->is_object()) {
    rows->Text("admin_f_msign", Tr(lang, "admin_msign_off"));
    return;
  }
  const nlohmann::json& m = *it;
  rows->Text("admin_f_msign", Tr(lang, "admin_yes"));
  rows->Text("admin_f_msign_contract", Tr(lang, "admin_contract", {{"number", m.value("contract_number", "")},
                                                                  {"date", m.value("contract_date", "")}}));
  rows->Values("admin_f_msign_ip_allow", Strings(m, "ip_allow"));
  rows->Text("admin_f_msign_signer_types", Tr(lang, "admin_opt_signer_" + m.value("signer_types", "person")));
}

nlohmann::json DefinitionRows(std::string_view lang, bool saml, const nlohmann::json& def,
                              const std::string& bridge_url) {
  Rows rows(lang, def);
  if (saml) {
    rows.Url("admin_f_entity_id", "entity_id");
    rows.List("admin_f_acs_urls", "acs_urls");
    rows.Url("admin_f_slo_url", "slo_url");
    if (!def.value("slo_url", "").empty()) {
      if (def.value("slo_response_url", "").empty()) rows.Text("admin_f_slo_response_url", Tr(lang, "admin_slo_same"));
      else rows.Url("admin_f_slo_response_url", "slo_response_url");
      rows.Text("admin_f_slo_binding", def.value("slo_binding", "post") == "redirect" ? "HTTP-Redirect" : "HTTP-POST");
    }
    if (!def.value("slo_soap_url", "").empty()) rows.Url("admin_f_slo_soap_url", "slo_soap_url");
    rows.Text("admin_f_name_id", def.value("name_id", "idnp"));
    rows.Flag("admin_f_require_signed_requests", "require_signed_requests", true);
    rows.Flag("admin_f_sign_assertion", "sign_assertion", false);
    rows.Flag("admin_f_encrypt_assertion", "encrypt_assertion", false);
    if (def.value("allow_sha1", false)) rows.Text("admin_f_allow_sha1", Tr(lang, "admin_yes"));
    if (!bridge_url.empty()) rows.Values("admin_f_metadata_url", {bridge_url + "/saml/metadata"});
  } else {
    rows.Url("admin_f_client_id", "client_id");
    rows.List("admin_f_redirect_uris", "redirect_uris");
    rows.List("admin_f_post_logout_redirect_uris", "post_logout_redirect_uris");
    rows.Url("admin_f_backchannel_logout_uri", "backchannel_logout_uri");
    rows.Url("admin_f_frontchannel_logout_uri", "frontchannel_logout_uri");
    rows.Text("admin_f_grant_types", Joined(Strings(def, "grant_types")));
    rows.Text("admin_f_response_types", Joined(Strings(def, "response_types")));
    rows.Text("admin_f_token_endpoint_auth_method", def.value("token_endpoint_auth_method", ""));
    rows.Text("admin_f_id_token_signed_response_alg", def.value("id_token_signed_response_alg", ""));
    std::string subject = def.value("subject_type", "");
    if (subject.empty()) subject = Tr(lang, "admin_subject_default");
    rows.Text("admin_f_subject_type", subject);
    if (!def.value("sector_identifier", "").empty()) rows.Url("admin_f_sector_identifier", "sector_identifier");
    rows.Text("admin_f_scopes", Joined(Strings(def, "scopes")));
    rows.Flag("admin_f_iss", "authorization_response_iss", true);
    rows.Flag("admin_f_par", "require_pushed_authorization_requests", false);
    rows.Flag("admin_f_jar", "require_signed_request_object", false);
    rows.Flag("admin_f_dpop", "dpop_bound_access_tokens", false);
    rows.Flag("admin_f_mtls_bound", "tls_client_certificate_bound_access_tokens", false);
    rows.Text("admin_f_profile", Tr(lang, def.value("profile", "") == "fapi2" ? "admin_opt_profile_fapi2"
                                                                             : "admin_opt_profile_standard"));
    MsignRows(lang, def, &rows);
    if (!bridge_url.empty()) rows.Values("admin_f_issuer", {bridge_url});
  }
  return rows.Take();
}

nlohmann::json Choice(std::vector<std::pair<std::string, std::string>> opts, const std::string& cur) {
  nlohmann::json arr = nlohmann::json::array();
  for (auto& [value, label] : opts) arr.push_back({{"value", value}, {"label", label}, {"selected", value == cur}});
  return arr;
}

}  // namespace

HttpResponse AdminConsole::ServiceFormPage(const PageRequest& req, const ServiceInput& in, const FieldErrors& errors,
                                           int status, const EditContext* edit) {
  const std::string& lang = req.lang;
  bool saml = in.protocol == kProtocolSaml;
  nlohmann::json d =
      edit ? Chrome(lang, req.session,
                    Tr(lang, "admin_edit_title",
                       {{"name", edit->record->DisplayName()}, {"env", EnvLabel(lang, edit->env)}}),
                    "services")
           : Chrome(lang, req.session, Tr(lang, saml ? "admin_register_saml" : "admin_register_oidc"), "services");
  d["editing"] = edit != nullptr;
  d["form_action"] = "/admin/services";
  d["submit_label"] = Tr(lang, "admin_submit_register");
  if (edit) {
    const Registration& reg = *edit->record->In(edit->env);
    const std::string env_label = EnvLabel(lang, edit->env);
    const std::string_view other = edit->env == kEnvProduction ? kEnvTest : kEnvProduction;
    const bool has_other = edit->record->In(other).has_value();
    d["id"] = edit->record->id;
    d["env"] = edit->env;
    d["production"] = edit->env == kEnvProduction;
    d["version"] = edit->version;
    d["form_action"] = "/admin/services/" + edit->record->id + "/edit/" + edit->env;
    d["submit_label"] = Tr(lang, "admin_submit_save", {{"env", env_label}});
    d["edit_lead"] = Tr(lang, saml ? "admin_edit_lead" : "admin_edit_lead_oidc", {{"env", env_label}});
    d["edit_explain_live"] = Tr(lang, "admin_edit_explain_live", {{"env", env_label}});
    d["edit_explain_shared"] =
        has_other ? Tr(lang, "admin_edit_explain_shared_other", {{"other", EnvLabel(lang, other)}, {"env", env_label}})
                  : Tr(lang, "admin_edit_explain_shared_all", {{"env", env_label}});
    d["current_certificate"] = Tr(lang, "admin_certificate_until", {{"subject", reg.certificate_subject},
                                                                    {"date", Date(reg.certificate_not_after)}});
    d["current_certificate_sha256"] = reg.certificate_sha256;
    d["approved"] = edit->approved;
    d["approval_note"] = edit->approval_note;
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
            {"require_pushed_authorization_requests", in.require_pushed_authorization_requests},
            {"require_signed_request_object", in.require_signed_request_object},
            {"dpop_bound_access_tokens", in.dpop_bound_access_tokens},
            {"tls_client_certificate_bound_access_tokens", in.tls_client_certificate_bound_access_tokens},
            {"sector_identifier", in.sector_identifier},
            {"msign", in.msign},
            {"msign_contract_number", in.msign_contract_number},
            {"msign_contract_date", in.msign_contract_date},
            {"msign_ip_allow", Lines(in.msign_ip_allow)}};
  d["e"] = ErrorsJson(LocalizedErrors(lang, errors));
  d["has_errors"] = !errors.empty();
  d["resubmit_files"] = !errors.empty() && !edit;
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& c : services_.catalogue().all()) {
    bool on = std::find(in.attributes.begin(), in.attributes.end(), c.key) != in.attributes.end();
    attrs.push_back({{"key", c.key}, {"saml_name", c.saml_name.empty() ? c.key : c.saml_name},
                     {"oidc_claim", c.oidc_claim}, {"format", c.format}, {"checked", on}});
  }
  d["attributes"] = attrs;
  d["slo_bindings"] = Choice({{"post", "HTTP-POST"}, {"redirect", "HTTP-Redirect"}},
                             in.slo_binding.empty() ? "post" : in.slo_binding);
  d["name_ids"] = Choice({{"idnp", Tr(lang, "admin_opt_idnp")}, {"persistent", Tr(lang, "admin_opt_persistent")},
                          {"transient", Tr(lang, "admin_opt_transient")}},
                         in.name_id.empty() ? "idnp" : in.name_id);
  d["auth_methods"] = Choice({{"client_secret_basic", Tr(lang, "admin_opt_secret_basic")},
                              {"client_secret_post", Tr(lang, "admin_opt_secret_post")},
                              {"private_key_jwt", Tr(lang, "admin_opt_private_key_jwt")},
                              {"tls_client_auth", Tr(lang, "admin_opt_tls_client_auth")},
                              {"none", Tr(lang, "admin_opt_none")}},
                             in.token_endpoint_auth_method.empty() ? "client_secret_basic" : in.token_endpoint_auth_method);
  d["algs"] = Choice({{"RS256", "RS256"}, {"PS256", "PS256"}, {"ES256", "ES256"}},
                     in.id_token_signed_response_alg.empty() ? "RS256" : in.id_token_signed_response_alg);
  d["profiles"] = Choice({{"", Tr(lang, "admin_opt_profile_standard")}, {"fapi2", Tr(lang, "admin_opt_profile_fapi2")}},
                         in.profile);
  d["subject_types"] = Choice({{"", Tr(lang, "admin_opt_subject_default")},
                               {"pairwise", Tr(lang, "admin_opt_pairwise")},
                               {"public", Tr(lang, "admin_opt_public")}},
                              in.subject_type);
  d["signer_types"] = Choice({{"person", Tr(lang, "admin_opt_signer_person")},
                               {"organization", Tr(lang, "admin_opt_signer_organization")},
                               {"both", Tr(lang, "admin_opt_signer_both")}},
                              in.msign_signer_types.empty() ? "person" : in.msign_signer_types);
  return Render(req.http, status, "service_form", d);
}

HttpResponse AdminConsole::ServicePage(const PageRequest& req, const ServiceRecord& r, int status,
                                       const std::string& done, const std::string& error, const nlohmann::json& note) {
  const std::string& lang = req.lang;
  const AdminSession& s = req.session;
  bool saml = r.protocol == kProtocolSaml;
  nlohmann::json d = Chrome(lang, s, r.DisplayName(), "services");
  d["id"] = r.id;
  d["protocol"] = saml ? "SAML 2.0" : "OpenID Connect";
  d["names"] = {{"ro", r.names.count("ro") ? r.names.at("ro") : ""},
                {"ru", r.names.count("ru") ? r.names.at("ru") : ""},
                {"en", r.names.count("en") ? r.names.at("en") : ""}};
  d["description"] = r.description;
  d["technical_contact"] = r.technical_contact;
  d["contract_text"] = Tr(lang, "admin_contract", {{"number", r.contract_number}, {"date", r.contract_date}});
  if (r.origin == kOriginDynamic)
    d["dynamic_text"] = Tr(lang, "admin_dynamic_note", {{"token", r.initial_access_token_id}});
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& k : r.attributes) {
    const auto* c = services_.catalogue().ByKey(k);
    attrs.push_back(saml ? (c && !c->saml_name.empty() ? c->saml_name : k) : (c ? c->oidc_claim : k));
  }
  d["attributes"] = attrs;
  if (note.is_object() && note.contains("secret") && note["secret"].is_string()) {
    d["secret"] = note["secret"];
    d["secret_heading"] = Tr(lang, "admin_secret_heading", {{"env", EnvLabel(lang, note.value("env", ""))}});
  } else if (req.http.Query("flash")) {
    d["error"] = Tr(lang, "admin_flash_gone");
  }
  d["done"] = done;
  if (!error.empty()) d["error"] = error;
  nlohmann::json envs = nlohmann::json::array();
  for (std::string_view env : {kEnvTest, kEnvProduction}) {
    const auto& reg = r.In(env);
    const Environment* e = env == kEnvTest ? &services_.test() : (services_.production() ? &*services_.production() : nullptr);
    if (!reg) continue;
    const std::string label = EnvLabel(lang, env);
    nlohmann::json x = {{"env", std::string(env)},
                        {"label", label},
                        {"state", reg->state},
                        {"state_label", Tr(lang, "admin_state_" + reg->state)},
                        {"active", reg->state == kStateActive},
                        {"rows", DefinitionRows(lang, saml, reg->definition, e ? e->public_url : "")},
                        {"certificate_subject", reg->certificate_subject},
                        {"certificate_text", Tr(lang, "admin_certificate_until",
                                                {{"subject", reg->certificate_subject},
                                                 {"date", Date(reg->certificate_not_after)}})},
                        {"certificate_sha256", reg->certificate_sha256},
                        {"created", reg->created},
                        {"approved_text", reg->approved_by.empty() ? ""
                                                                   : Tr(lang, "admin_approved_by",
                                                                        {{"user", reg->approved_by}})},
                        {"approval_note", reg->approval_note},
                        {"edit_label", Tr(lang, "admin_edit_on", {{"env", label}})},
                        {"disable_label", Tr(lang, "admin_disable_on", {{"env", label}})},
                        {"enable_label", Tr(lang, "admin_enable_on", {{"env", label}})},
                        {"rotate_label", Tr(lang, "admin_rotate_on", {{"env", label}})}};
    if (e && e->provider_account) {
      auto account = e->provider_account(r.ProtocolId(env), /*create=*/false);
      if (account) {
        x["provider_address"] = account->address;
        x["provider_authorized"] = account->authorized == "yes";
        x["provider_unknown"] = account->authorized == "unknown";
      }
    }
    if (!saml) x["can_rotate"] = NeedsSecret(reg->definition.value("token_endpoint_auth_method", ""));
    envs.push_back(x);
  }
  // What the signed-in user's role lets the page offer (the handlers check
  // again).
  const bool two = o_.promotion_requires_second_person;
  auto pending = promotions_.Get(r.id);
  for (auto& x : envs) x["can_change"] = s.role >= RoleFor(x["env"].get<std::string>());
  d["environments"] = envs;
  d["can_delete"] = s.role >= (r.production ? Role::kApprover : Role::kOperator);
  d["can_promote"] = r.test && !r.production && services_.has_production() && !pending.ok() &&
                     s.role >= (two ? Role::kOperator : Role::kApprover);
  d["promote_label"] = Tr(lang, two ? "admin_request_promotion_label" : "admin_promote_label");
  if (pending.ok() && !r.production) {
    d["pending"] = {{"pending_text", Tr(lang, "admin_pending_text",
                                        {{"user", pending->requested_by}, {"date", pending->requested}})},
                    {"note", pending->input.approval_note},
                    {"can_approve", s.role >= Role::kApprover && s.user != pending->requester},
                    {"own", s.user == pending->requester},
                    {"can_cancel", s.user == pending->requester || s.role >= Role::kApprover}};
  }
  d["no_production"] = r.test && !r.production && !services_.has_production();
  return Render(req.http, status, "service", d);
}

HttpResponse AdminConsole::FileServicePage(const PageRequest& req, const FileService& f) {
  const std::string& lang = req.lang;
  const bool saml = f.protocol == kProtocolSaml;
  nlohmann::json d = Chrome(lang, req.session, f.DisplayName(lang), "services");
  d["file"] = true;
  d["file_text"] = Tr(lang, "admin_file_text", {{"file", f.source}});
  d["id"] = f.id;
  d["protocol"] = saml ? "SAML 2.0" : "OpenID Connect";
  auto name = [&](const char* l) { return f.names.count(l) ? f.names.at(l) : ""; };
  d["names"] = {{"ro", name("ro")}, {"ru", name("ru")}, {"en", name("en")}};
  d["description"] = f.definition.value("description", "");
  d["technical_contact"] = f.definition.value("technical_contact", "");
  d["attributes"] = Strings(f.definition, "attributes");
  const std::string env_label = EnvLabel(lang, kEnvTest);
  d["environments"] = nlohmann::json::array(
      {{{"env", std::string(kEnvTest)},
        {"label", env_label},
        {"state", std::string(kStateActive)},
        {"state_label", Tr(lang, "admin_state_active")},
        {"rows", DefinitionRows(lang, saml, f.definition, services_.test().public_url)}}});
  return Render(req.http, 200, "service", d);
}

HttpResponse AdminConsole::PromotePage(const PageRequest& req, const ServiceRecord& r, const PromoteInput& in,
                                       const FieldErrors& errors, int status) {
  const std::string& lang = req.lang;
  bool saml = r.protocol == kProtocolSaml;
  nlohmann::json d = Chrome(lang, req.session, Tr(lang, "admin_promote_title"), "services");
  d["id"] = r.id;
  d["name"] = r.DisplayName();
  d["saml"] = saml;
  d["has_production"] = services_.has_production();
  d["submit_label"] =
      Tr(lang, o_.promotion_requires_second_person ? "admin_request_promotion_submit" : "admin_promote_submit");
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
  if (auto m = def.find("msign"); m != def.end() && m->is_object()) {
    d["msign"] = true;
    d["v"]["msign_ip_allow"] = in.msign_ip_allow.empty() ? Lines(Strings(*m, "ip_allow")) : Lines(in.msign_ip_allow);
  }
  d["test_certificate_sha256"] = r.test ? r.test->certificate_sha256 : "";
  d["e"] = ErrorsJson(LocalizedErrors(lang, errors));
  d["has_errors"] = !errors.empty();
  return Render(req.http, status, "promote", d);
}

}  // namespace certme::admin
