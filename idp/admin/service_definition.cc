#include "idp/admin/service_definition.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "idp/admin/input_checks.h"
#include "idp/admin/service_msign.h"
#include "idp/admin/util.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

// The choices the console offers; the protocols' validators accept the same.
constexpr std::string_view kNameIdKinds[] = {saml::kNameIdKindIdnp, saml::kNameIdKindPersistent,
                                             saml::kNameIdKindTransient};
constexpr std::string_view kSloBindings[] = {"post", "redirect"};  // saml::SamlService::slo_binding
constexpr std::string_view kAuthMethods[] = {oidc::kAuthClientSecretBasic, oidc::kAuthClientSecretPost,
                                             oidc::kAuthPrivateKeyJwt, oidc::kAuthTlsClientAuth, oidc::kAuthNone};
constexpr std::string_view kIdTokenAlgs[] = {"RS256", "ES256", "PS256"};  // OidcClient::id_token_signed_response_alg
constexpr std::string_view kProfiles[] = {"", "fapi2"};                     // OidcClient::profile
constexpr std::string_view kSubjectTypes[] = {oidc::kSubjectPairwise, oidc::kSubjectPublic};

constexpr size_t kMaxJsonListItems = 100;
constexpr size_t kMaxEntityIdBytes = 256;

// "a, b or c".
std::string JoinChoices(std::span<const std::string_view> choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

bool Contains(std::span<const std::string_view> choices, std::string_view v) {
  return std::find(choices.begin(), choices.end(), v) != choices.end();
}

// --- The table's checks -----------------------------------------------------

void CheckTextField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  CheckText(e, std::string(f.name), v.*f.input.text, f.max_chars, f.label);
}

void CheckEmailField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (!IsEmail(v.*f.input.text)) (*e)[std::string(f.name)] = "an e-mail address is required";
}

void CheckDateField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  const std::string& d = v.*f.input.text;
  if (d.empty()) (*e)[std::string(f.name)] = "the contract date is required";
  else if (!IsDate(d)) (*e)[std::string(f.name)] = "a date as yyyy-mm-dd";
}

void CheckAttributesField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext& ctx,
                          FieldErrors* e) {
  const std::vector<std::string>& attrs = v.*f.input.list;
  const std::string field(f.name);
  if (attrs.empty()) {
    (*e)[field] = "tick at least one attribute";
    return;
  }
  std::set<std::string> seen;
  for (const auto& a : attrs) {
    if (!ctx.catalogue.ByKey(a)) {
      (*e)[field] = "\"" + TruncateUtf8(a, 64) + "\" is not in the attribute catalogue";
      return;
    }
    if (!seen.insert(a).second) {
      (*e)[field] = "\"" + a + "\" is ticked twice";
      return;
    }
  }
}

void CheckEntityIdField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  const std::string& id = v.*f.input.text;
  if (id.empty()) (*e)[std::string(f.name)] = "the service's entity ID (Issuer) is required";
  else if (id.size() > kMaxEntityIdBytes || HasControl(id) || !ValidUtf8(id))
    (*e)[std::string(f.name)] = "at most 256 bytes of one-line text";
}

// One URL (text field) or a list of distinct URLs (list field).
void CheckUrlField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  const std::string field(f.name);
  if (f.input.text) {
    const std::string& u = v.*f.input.text;
    if (u.empty()) {
      if (f.required) (*e)[field] = "required";
    } else if (!IsHttpUrl(u, kMaxUrlBytes)) {
      (*e)[field] = "must be an absolute http(s) URL without fragment, at most " + std::to_string(kMaxUrlBytes) +
                    " bytes";
    }
    return;
  }
  const std::vector<std::string>& urls = v.*f.input.list;
  if (urls.empty()) {
    if (f.required) (*e)[field] = "at least one URL is required";
    return;
  }
  if (urls.size() > kMaxUrls) {
    (*e)[field] = "at most " + std::to_string(kMaxUrls) + " URLs";
    return;
  }
  std::set<std::string> seen;
  for (const auto& u : urls) {
    if (!IsHttpUrl(u, kMaxUrlBytes)) {
      (*e)[field] = "\"" + TruncateUtf8(u, 100) + "\" is not an absolute http(s) URL without fragment";
      return;
    }
    if (!seen.insert(u).second) {
      (*e)[field] = "\"" + TruncateUtf8(u, 100) + "\" is listed twice";
      return;
    }
  }
}

void CheckChoiceField(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (!Contains(f.choices, v.*f.input.text)) (*e)[std::string(f.name)] = JoinChoices(f.choices);
}

// Pairwise subjects (OIDC Core §8.1), as ValidateClient checks them: a
// sector host only for pairwise, and without one the redirect URIs must
// share one host. `hosts_field` names the field to blame for the latter:
// the one the operation lets the administrator change.
void CheckSubjectRule(const ServiceInput& v, const std::string& hosts_field, FieldErrors* errors) {
  if (!v.subject_type.empty() && !Contains(kSubjectTypes, v.subject_type))
    (*errors)["subject_type"] = JoinChoices(kSubjectTypes);
  if (!v.sector_identifier.empty()) {
    if (!IsHostName(v.sector_identifier))
      (*errors)["sector_identifier"] = "a host name such as example.org (no scheme, port or path)";
    else if (v.subject_type == oidc::kSubjectPublic)
      (*errors)["sector_identifier"] = "a sector host is only for pairwise subjects: leave it empty for public";
    return;
  }
  if (v.subject_type == oidc::kSubjectPublic) return;
  std::set<std::string> hosts;
  for (const auto& u : v.redirect_uris)
    if (auto p = oidc_internal::ParseUrl(u)) hosts.insert(p->host);
  if (hosts.size() > 1 && !errors->count(hosts_field)) {
    std::string list;
    for (const auto& h : hosts) list += (list.empty() ? "" : ", ") + h;
    (*errors)[hosts_field] = "the redirect URIs span several hosts (" + TruncateUtf8(list, 300) +
                             "): pairwise subjects need a sector host (sector_identifier) or a single host";
  }
}

// --- Slots -------------------------------------------------------------------

template <class T>
Slot<T> At(std::string T::*m) {
  Slot<T> s;
  s.text = m;
  return s;
}
template <class T>
Slot<T> At(std::vector<std::string> T::*m) {
  Slot<T> s;
  s.list = m;
  return s;
}
template <class T>
Slot<T> At(bool T::*m) {
  Slot<T> s;
  s.flag = m;
  return s;
}

// Copies the value of one slot into another of the same kind.
template <class A, class B>
void Copy(const Slot<A>& from, const A& a, const Slot<B>& to, B& b) {
  if (from.text && to.text) b.*to.text = a.*from.text;
  else if (from.list && to.list) b.*to.list = a.*from.list;
  else if (from.flag && to.flag) b.*to.flag = a.*from.flag;
}

template <class T>
bool IsEmpty(const Slot<T>& s, const T& x) {
  if (s.text) return (x.*s.text).empty();
  if (s.list) return (x.*s.list).empty();
  return !(x.*s.flag);
}

std::vector<ServiceField> BuildTable() {
  using I = ServiceInput;
  using P = PromoteInput;
  using S = saml::SamlService;
  using C = OidcClient;
  auto text = [](std::string_view name, FieldScope scope, std::string I::*m) {
    ServiceField f{.name = name, .scope = scope};
    f.input = At(m);
    return f;
  };
  std::vector<ServiceField> t;
  t.push_back(text("protocol", FieldScope::kInput, &I::protocol));

  ServiceField contact = text("technical_contact", FieldScope::kShared, &I::technical_contact);
  contact.when_empty = WhenEmpty::kMetadataKeeps;
  contact.check = CheckEmailField;
  t.push_back(contact);
  for (auto [name, key, label, member] :
       {std::tuple{"name_ro", "ro", "the Romanian name", &I::name_ro},
        std::tuple{"name_ru", "ru", "the Russian name", &I::name_ru},
        std::tuple{"name_en", "en", "the English name", &I::name_en}}) {
    ServiceField f = text(name, FieldScope::kShared, member);
    f.json_parent = "names";
    f.json_key = key;
    f.when_empty = WhenEmpty::kMetadataKeeps;
    f.check = CheckTextField;
    f.max_chars = kMaxNameChars;
    f.label = label;
    t.push_back(f);
  }
  ServiceField description = text("description", FieldScope::kShared, &I::description);
  description.check = CheckTextField;
  description.max_chars = kMaxDescriptionChars;
  description.label = "the description";
  t.push_back(description);
  t.push_back(text("certificate", FieldScope::kInput, &I::certificate));
  t.push_back({.name = "attributes", .scope = FieldScope::kShared, .form = FormEncoding::kRepeated,
               .input = At(&I::attributes), .check = CheckAttributesField});
  ServiceField contract = text("contract_number", FieldScope::kShared, &I::contract_number);
  contract.check = CheckTextField;
  contract.max_chars = kMaxContractNumberChars;
  contract.label = "the contract number";
  t.push_back(contract);
  ServiceField date = text("contract_date", FieldScope::kShared, &I::contract_date);
  date.check = CheckDateField;
  t.push_back(date);

  // SAML.
  t.push_back({.name = "entity_id", .scope = FieldScope::kSaml, .input = At(&I::entity_id),
               .promote = At(&P::entity_id), .saml_slot = At(&S::entity_id),
               .when_empty = WhenEmpty::kMetadataKeeps, .check = CheckEntityIdField, .required = true});
  t.push_back({.name = "acs_urls", .scope = FieldScope::kSaml, .form = FormEncoding::kLines,
               .input = At(&I::acs_urls), .promote = At(&P::acs_urls), .saml_slot = At(&S::acs_urls),
               .when_empty = WhenEmpty::kMetadataKeeps, .check = CheckUrlField, .required = true});
  t.push_back({.name = "slo_url", .scope = FieldScope::kSaml, .input = At(&I::slo_url),
               .promote = At(&P::slo_url), .saml_slot = At(&S::slo_url),
               .when_empty = WhenEmpty::kMetadataKeeps, .check = CheckUrlField});
  t.push_back({.name = "slo_response_url", .scope = FieldScope::kSaml, .input = At(&I::slo_response_url),
               .promote = At(&P::slo_response_url), .saml_slot = At(&S::slo_response_url),
               .when_empty = WhenEmpty::kMetadataKeeps, .check = CheckUrlField});
  t.push_back({.name = "slo_binding", .scope = FieldScope::kSaml, .input = At(&I::slo_binding),
               .saml_slot = At(&S::slo_binding), .when_empty = WhenEmpty::kKeeps, .check = CheckChoiceField,
               .choices = kSloBindings});
  t.push_back({.name = "name_id", .scope = FieldScope::kSaml, .input = At(&I::name_id),
               .saml_slot = At(&S::name_id), .when_empty = WhenEmpty::kDefault,
               .empty_default = saml::kNameIdKindIdnp, .check = CheckChoiceField, .choices = kNameIdKinds});
  // Metadata's WantAssertionsSigned stays unless the form asks for more.
  t.push_back({.name = "sign_assertion", .scope = FieldScope::kSaml, .form = FormEncoding::kCheckbox,
               .input = At(&I::sign_assertion), .saml_slot = At(&S::sign_assertion),
               .when_empty = WhenEmpty::kMetadataKeeps});
  t.push_back({.name = "encrypt_assertion", .scope = FieldScope::kSaml, .form = FormEncoding::kCheckbox,
               .input = At(&I::encrypt_assertion), .saml_slot = At(&S::encrypt_assertion)});
  t.push_back({.name = "allow_sha1", .scope = FieldScope::kSaml, .form = FormEncoding::kCheckbox,
               .input = At(&I::allow_sha1), .saml_slot = At(&S::allow_sha1)});
  t.push_back(text("metadata_xml", FieldScope::kInput, &I::metadata_xml));

  // OIDC.
  t.push_back({.name = "redirect_uris", .scope = FieldScope::kOidc, .form = FormEncoding::kLines,
               .input = At(&I::redirect_uris), .promote = At(&P::redirect_uris),
               .oidc_slot = At(&C::redirect_uris), .check = CheckUrlField, .required = true});
  t.push_back({.name = "post_logout_redirect_uris", .scope = FieldScope::kOidc, .form = FormEncoding::kLines,
               .input = At(&I::post_logout_redirect_uris), .promote = At(&P::post_logout_redirect_uris),
               .oidc_slot = At(&C::post_logout_redirect_uris), .check = CheckUrlField});
  t.push_back({.name = "backchannel_logout_uri", .scope = FieldScope::kOidc, .input = At(&I::backchannel_logout_uri),
               .promote = At(&P::backchannel_logout_uri), .oidc_slot = At(&C::backchannel_logout_uri),
               .check = CheckUrlField});
  t.push_back({.name = "frontchannel_logout_uri", .scope = FieldScope::kOidc,
               .input = At(&I::frontchannel_logout_uri), .promote = At(&P::frontchannel_logout_uri),
               .oidc_slot = At(&C::frontchannel_logout_uri), .check = CheckUrlField});
  t.push_back({.name = "token_endpoint_auth_method", .scope = FieldScope::kOidc,
               .input = At(&I::token_endpoint_auth_method), .oidc_slot = At(&C::token_endpoint_auth_method),
               .check = CheckChoiceField, .choices = kAuthMethods});
  t.push_back({.name = "id_token_signed_response_alg", .scope = FieldScope::kOidc,
               .input = At(&I::id_token_signed_response_alg), .oidc_slot = At(&C::id_token_signed_response_alg),
               .check = CheckChoiceField, .choices = kIdTokenAlgs});
  // A checkbox sends nothing when unticked: the form says it showed it.
  t.push_back({.name = "authorization_response_iss", .scope = FieldScope::kOidc,
               .form = FormEncoding::kYesWhenShown, .shown_marker = "iss_shown",
               .input = At(&I::authorization_response_iss), .oidc_slot = At(&C::authorization_response_iss)});
  t.push_back({.name = "require_pushed_authorization_requests", .scope = FieldScope::kOidc,
               .form = FormEncoding::kYesWhenShown, .shown_marker = "par_shown",
               .input = At(&I::require_pushed_authorization_requests),
               .oidc_slot = At(&C::require_pushed_authorization_requests)});
  t.push_back({.name = "require_signed_request_object", .scope = FieldScope::kOidc,
               .form = FormEncoding::kYesWhenShown, .shown_marker = "jar_shown",
               .input = At(&I::require_signed_request_object),
               .oidc_slot = At(&C::require_signed_request_object)});
  t.push_back({.name = "dpop_bound_access_tokens", .scope = FieldScope::kOidc,
               .form = FormEncoding::kYesWhenShown, .shown_marker = "dpop_shown",
               .input = At(&I::dpop_bound_access_tokens), .oidc_slot = At(&C::dpop_bound_access_tokens)});
  t.push_back({.name = "tls_client_certificate_bound_access_tokens", .scope = FieldScope::kOidc,
               .form = FormEncoding::kYesWhenShown, .shown_marker = "mtls_bound_shown",
               .input = At(&I::tls_client_certificate_bound_access_tokens),
               .oidc_slot = At(&C::tls_client_certificate_bound_access_tokens)});
  t.push_back({.name = "profile", .scope = FieldScope::kOidc, .input = At(&I::profile),
               .oidc_slot = At(&C::profile), .check = CheckChoiceField, .choices = kProfiles});
  // subject_type and sector_identifier: CheckSubjectRule (they depend on
  // each other and on the redirect URIs).
  t.push_back({.name = "subject_type", .scope = FieldScope::kOidc, .input = At(&I::subject_type),
               .oidc_slot = At(&C::subject_type)});
  t.push_back({.name = "sector_identifier", .scope = FieldScope::kOidc, .input = At(&I::sector_identifier),
               .oidc_slot = At(&C::sector_identifier), .lowercase = true});

  AddMsignFields(&t);  // service_msign.cc
  return t;
}

// --- JSON readers ------------------------------------------------------------

void JStr(const nlohmann::json& j, const std::string& k, std::string* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (it->is_string()) *out = it->get<std::string>();
  else (*e)[k] = "must be a string";
}
void JBool(const nlohmann::json& j, const std::string& k, bool* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (it->is_boolean()) *out = it->get<bool>();
  else (*e)[k] = "must be true or false";
}
void JList(const nlohmann::json& j, const std::string& k, std::vector<std::string>* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array() || it->size() > kMaxJsonListItems) {
    (*e)[k] = "must be a list of at most 100 strings";
    return;
  }
  out->clear();
  for (const auto& v : *it) {
    if (!v.is_string()) {
      (*e)[k] = "must be a list of strings";
      return;
    }
    out->push_back(v.get<std::string>());
  }
}

// Reads the field at `slot` of `out` from the JSON object `j`.
template <class T>
void ReadJson(const ServiceField& f, const Slot<T>& slot, const nlohmann::json& body, T* out, FieldErrors* e) {
  if (f.json_object_flag) {
    auto it = body.find(f.JsonKey());
    bool on = it != body.end() && it->is_object();
    if (it != body.end() && !it->is_null() && !on)
      (*e)[std::string(f.JsonKey())] = "must be an object, or null for none";
    if (slot.flag) out->*slot.flag = on;
    return;
  }
  const nlohmann::json* j = &body;
  // In an object flag's object ("msign": {…}) a type error names the field
  // ("msign_ip_allow"), as its checks do.
  bool in_flag_object = false;
  if (!f.json_parent.empty()) {
    const ServiceField* parent = FindServiceField(f.json_parent);
    in_flag_object = parent && parent->json_object_flag;
    auto it = body.find(f.json_parent);
    if (it == body.end() || it->is_null()) return;
    if (!it->is_object()) {
      // An object flag's own reader reports its member when it is no object.
      if (!in_flag_object) (*e)[std::string(f.json_parent)] = "must be an object with ro, ru and en";
      return;
    }
    j = &*it;
  }
  const std::string key(f.JsonKey());
  FieldErrors local;
  if (slot.text) JStr(*j, key, &(out->*slot.text), &local);
  else if (slot.list) JList(*j, key, &(out->*slot.list), &local);
  else if (slot.flag) JBool(*j, key, &(out->*slot.flag), &local);
  for (auto& [k, v] : local) (*e)[in_flag_object ? std::string(f.name) : k] = std::move(v);
}

template <class T>
void ReadForm(const ServiceField& f, const Slot<T>& slot, const FormFields& form, T* out) {
  const std::string name(f.name);
  switch (f.form) {
    case FormEncoding::kValue: out->*slot.text = form.Get(name); break;
    case FormEncoding::kRepeated: out->*slot.list = form.All(name); break;
    case FormEncoding::kLines: out->*slot.list = form.Lines(name); break;
    case FormEncoding::kCheckbox: out->*slot.flag = !form.Get(name).empty(); break;
    case FormEncoding::kYesWhenShown:
      if (!form.Get(std::string(f.shown_marker)).empty()) out->*slot.flag = form.Get(name) == "yes";
      break;
  }
}

}  // namespace

bool ServiceField::AppliesTo(std::string_view protocol) const {
  switch (scope) {
    case FieldScope::kShared: return true;
    case FieldScope::kSaml: return protocol == kProtocolSaml;
    case FieldScope::kOidc: return protocol == kProtocolOidc;
    case FieldScope::kInput: return false;
  }
  return false;
}

bool ServiceField::In(Operation op, std::string_view protocol) const {
  if (!AppliesTo(protocol)) return false;
  return op != Operation::kPromote || promote.set();
}

std::span<const ServiceField> ServiceFields() {
  static const std::vector<ServiceField> kTable = BuildTable();
  return kTable;
}

const ServiceField* FindServiceField(std::string_view name) {
  for (const auto& f : ServiceFields())
    if (f.name == name) return &f;
  return nullptr;
}

std::string FormFields::Get(const std::string& k) const {
  auto it = fields.find(k);
  return it == fields.end() ? std::string() : it->second;
}

std::vector<std::string> FormFields::All(const std::string& k) const {
  std::vector<std::string> out;
  auto [a, b] = fields.equal_range(k);
  for (auto it = a; it != b; ++it) out.push_back(it->second);
  return out;
}

std::vector<std::string> FormFields::Lines(const std::string& k) const {
  std::vector<std::string> out;
  for (auto& line : SplitTrimmed(Get(k), '\n')) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

ServiceInput ServiceInputFromJson(const nlohmann::json& j, FieldErrors* e) {
  ServiceInput in;
  if (!j.is_object()) {
    (*e)["body"] = "must be a JSON object";
    return in;
  }
  for (const auto& f : ServiceFields()) ReadJson(f, f.input, j, &in, e);
  return in;
}

EditInput EditInputFromJson(const nlohmann::json& j, FieldErrors* e) {
  EditInput in;
  in.form = ServiceInputFromJson(j, e);
  if (!j.is_object()) return in;
  if (auto it = j.find("version"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) (*e)["version"] = "must be an integer (the service's version you edited)";
    else in.version = it->get<int64_t>();
  }
  JBool(j, "approved", &in.approved, e);
  JStr(j, "approval_note", &in.approval_note, e);
  return in;
}

PromoteInput PromoteInputFromJson(const nlohmann::json& j, FieldErrors* e) {
  PromoteInput in;
  if (!j.is_object()) {
    (*e)["body"] = "must be a JSON object";
    return in;
  }
  JStr(j, "certificate", &in.certificate, e);
  JBool(j, "approved", &in.approved, e);
  JStr(j, "approval_note", &in.approval_note, e);
  for (const auto& f : ServiceFields())
    if (f.promote.set()) ReadJson(f, f.promote, j, &in, e);
  return in;
}

ServiceInput ServiceInputFromForm(const FormFields& form) {
  ServiceInput in;
  for (const auto& f : ServiceFields()) ReadForm(f, f.input, form, &in);
  return in;
}

PromoteInput PromoteInputFromForm(const FormFields& form) {
  PromoteInput in;
  in.certificate = form.Get("certificate");
  in.approved = form.Get("approved") == "yes";
  in.approval_note = form.Get("approval_note");
  for (const auto& f : ServiceFields())
    if (f.promote.set()) ReadForm(f, f.promote, form, &in);
  return in;
}

nlohmann::json ServiceDefinition::ToJson() const {
  return is_saml() ? saml::ServiceToJson(service) : ClientToJson(client);
}

StatusOr<ServiceDefinition> ServiceDefinition::FromJson(std::string_view protocol, const nlohmann::json& j,
                                                        std::string_view what) {
  ServiceDefinition d;
  d.protocol = std::string(protocol);
  if (d.is_saml()) {
    auto s = saml::ServiceFromJson(j);
    if (!s.ok()) return Internal(std::string(what), s.status().ToString());
    d.service = std::move(*s);
  } else {
    auto c = ClientFromJson(j);
    if (!c.ok()) return Internal(std::string(what), c.status().ToString());
    d.client = std::move(*c);
  }
  return d;
}

ServiceInput InputOf(const ServiceDefinition& d) {
  ServiceInput in;
  in.protocol = d.protocol;
  for (const auto& f : ServiceFields()) {
    if (!f.AppliesTo(d.protocol)) continue;
    if (f.saml_slot.set()) Copy(f.saml_slot, d.service, f.input, in);
    if (f.oidc_slot.set()) Copy(f.oidc_slot, d.client, f.input, in);
  }
  const auto& names = d.is_saml() ? d.service.names : d.client.names;
  auto name = [&](const char* lang) {
    auto it = names.find(lang);
    return it == names.end() ? std::string() : it->second;
  };
  in.name_ro = name("ro");
  in.name_ru = name("ru");
  in.name_en = name("en");
  if (d.is_saml()) {
    in.technical_contact = d.service.technical_contact;
    in.description = d.service.description;
    in.attributes = d.service.attributes;
  } else {
    in.attributes = d.client.attributes;
    MsignInputOf(d.client, &in);
  }
  return in;
}

ServiceInput MergeInput(const ServiceInput& current, const ServiceInput& in, bool from_metadata) {
  ServiceInput v = current;
  for (const auto& f : ServiceFields()) {
    if (f.scope == FieldScope::kInput) continue;
    if (IsEmpty(f.input, in)) {
      if (f.when_empty == WhenEmpty::kKeeps) continue;
      if (f.when_empty == WhenEmpty::kMetadataKeeps && from_metadata) continue;
      if (f.when_empty == WhenEmpty::kDefault) {
        v.*f.input.text = std::string(f.empty_default);
        continue;
      }
    }
    Copy(f.input, in, f.input, v);
    if (f.lowercase) v.*f.input.text = AsciiLower(v.*f.input.text);
  }
  return v;
}

ServiceInput MergePromote(const ServiceInput& current, const PromoteInput& in) {
  ServiceInput v = current;
  for (const auto& f : ServiceFields())
    if (f.promote.set() && !IsEmpty(f.promote, in)) Copy(f.promote, in, f.input, v);
  return v;
}

void CheckFields(const ServiceInput& v, std::string_view protocol, Operation op, const ClaimsCatalogue& catalogue,
                 FieldErrors* errors) {
  const FieldCheckContext ctx{catalogue, op};
  for (const auto& f : ServiceFields())
    if (f.check && f.In(op, protocol)) f.check(f, v, ctx, errors);
  if (protocol == kProtocolOidc)
    CheckSubjectRule(v, op == Operation::kPromote ? "redirect_uris" : "sector_identifier", errors);
  CheckMsignRules(v, protocol, op, errors);
}

void ApplyFields(const ServiceInput& v, Operation op, ServiceDefinition* d) {
  for (const auto& f : ServiceFields()) {
    if (!f.In(op, d->protocol)) continue;
    if (f.saml_slot.set()) Copy(f.input, v, f.saml_slot, d->service);
    if (f.oidc_slot.set()) Copy(f.input, v, f.oidc_slot, d->client);
  }
  if (!d->is_saml()) ApplyMsign(v, op, &d->client);
}

void ShareFields(const std::map<std::string, std::string>& names, const std::string& description,
                 const std::string& technical_contact, const std::vector<std::string>& attributes,
                 const ClaimsCatalogue& catalogue, ServiceDefinition* d) {
  if (d->is_saml()) {
    d->service.names = names;
    d->service.description = description;
    d->service.technical_contact = technical_contact;
    d->service.attributes = attributes;
    return;
  }
  d->client.names = names;
  d->client.attributes = attributes;
  // openid, then each attribute's scope once, in the attributes' order.
  std::vector<std::string> scopes = {"openid"};
  for (const auto& a : attributes)
    if (const auto* c = catalogue.ByKey(a); c && std::find(scopes.begin(), scopes.end(), c->scope) == scopes.end())
      scopes.push_back(c->scope);
  d->client.scopes = std::move(scopes);
}

void ValidateDefinition(const ServiceDefinition& d, FieldErrors* errors) {
  Status v = d.is_saml() ? saml::ValidateService(d.service) : ValidateClient(d.client);
  if (!v.ok()) (*errors)["registration"] = TruncateUtf8(v.message(), 500);
}

std::optional<saml::SamlService> ReadMetadata(const std::string& metadata_xml, FieldErrors* errors) {
  if (metadata_xml.empty()) return std::nullopt;
  if (metadata_xml.size() > kMaxMetadataBytes) {
    (*errors)["metadata_xml"] = "the metadata file is larger than 512 KiB";
    return std::nullopt;
  }
  auto parsed = saml::ServiceFromMetadata(metadata_xml);
  if (!parsed.ok()) {
    (*errors)["metadata_xml"] = "not usable SP metadata: " + TruncateUtf8(parsed.status().message(), 300);
    return std::nullopt;
  }
  return std::move(*parsed);
}

void CheckText(FieldErrors* e, const std::string& field, std::string_view v, size_t max_chars,
               std::string_view what) {
  if (v.empty()) {
    (*e)[field] = std::string(what) + " is required";
  } else if (!ValidUtf8(v) || HasControl(v)) {
    (*e)[field] = std::string(what) + " must be one line of text";
  } else if (Utf8Chars(v) > max_chars) {
    (*e)[field] = std::string(what) + " must be at most " + std::to_string(max_chars) + " characters";
  }
}

bool NeedsSecret(std::string_view method) {
  return method == oidc::kAuthClientSecretBasic || method == oidc::kAuthClientSecretPost;
}

}  // namespace certme::admin
