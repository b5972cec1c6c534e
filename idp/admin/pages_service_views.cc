// The service pages' rendering: the registration / edit form, a service's
// page, the promotion form.
#include <algorithm>

#include "idp/admin/console.h"
#include "idp/admin/page_util.h"

namespace certme::admin {

using namespace page;

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
            {"require_pushed_authorization_requests", in.require_pushed_authorization_requests},
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
    if (e && e->provider_account) {
      auto account = e->provider_account(r.ProtocolId(env), /*create=*/false);
      if (account) {
        x["provider_address"] = account->address;
        x["provider_authorized"] = account->authorized == "yes";
        x["provider_unknown"] = account->authorized == "unknown";
      }
    }
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
      x["can_rotate"] = NeedsSecret(def.value("token_endpoint_auth_method", ""));
    }
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
  d["promote_label"] = two ? "Request promotion to production…" : "Promote to production…";
  if (pending.ok() && !r.production) {
    d["pending"] = {{"requested_by", pending->requested_by},
                    {"requested", pending->requested},
                    {"note", pending->input.approval_note},
                    {"can_approve", s.role >= Role::kApprover && s.user != pending->requester},
                    {"own", s.user == pending->requester},
                    {"can_cancel", s.user == pending->requester || s.role >= Role::kApprover}};
  }
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
