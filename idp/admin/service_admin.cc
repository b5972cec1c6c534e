#include "idp/admin/service_admin.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "idp/admin/certificate.h"
#include "idp/admin/util.h"
#include "store/store.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

constexpr std::string_view kRecordNs = "admin_service";
constexpr const char kRedacted[] = "[redacted]";

bool HasControl(std::string_view s, bool allow_newline = false) {
  for (unsigned char c : s)
    if ((c < 0x20 && !(allow_newline && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f) return true;
  return false;
}

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

// A short human text: required, UTF-8, bounded, one line.
void CheckText(FieldErrors* e, const std::string& field, std::string_view v, size_t max_chars,
               const char* what) {
  if (v.empty()) {
    (*e)[field] = std::string(what) + " is required";
  } else if (!ValidUtf8(v) || HasControl(v)) {
    (*e)[field] = std::string(what) + " must be one line of text";
  } else if (Utf8Chars(v) > max_chars) {
    (*e)[field] = std::string(what) + " must be at most " + std::to_string(max_chars) + " characters";
  }
}

bool IsEmail(std::string_view s) {
  if (s.size() < 3 || s.size() > 254 || HasControl(s)) return false;
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  for (char c : s)
    if (c == ' ' || c == '<' || c == '>' || c == '"' || c == ',' || c == ';') return false;
  return true;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int y = std::stoi(std::string(s.substr(0, 4))), m = std::stoi(std::string(s.substr(5, 2))),
      d = std::stoi(std::string(s.substr(8, 2)));
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return true;
}

// Absolute http(s) URL with a host, no fragment, no spaces, bounded.
bool IsHttpUrl(std::string_view u) {
  if (u.size() > kMaxUrlBytes || HasControl(u) || u.find(' ') != std::string_view::npos) return false;
  if (u.find('#') != std::string_view::npos) return false;
  std::string_view rest;
  if (u.rfind("https://", 0) == 0) {
    rest = u.substr(8);
  } else if (u.rfind("http://", 0) == 0) {
    rest = u.substr(7);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?");
  std::string_view host = rest.substr(0, end);
  return !host.empty() && host.find('@') == std::string_view::npos && host.find('<') == std::string_view::npos &&
         host.find('>') == std::string_view::npos && host.find('"') == std::string_view::npos;
}

void CheckUrl(FieldErrors* e, const std::string& field, std::string_view v, bool required) {
  if (v.empty()) {
    if (required) (*e)[field] = "required";
    return;
  }
  if (!IsHttpUrl(v))
    (*e)[field] = "must be an absolute http(s) URL without fragment, at most " + std::to_string(kMaxUrlBytes) +
                  " bytes";
}

void CheckUrls(FieldErrors* e, const std::string& field, const std::vector<std::string>& v, bool required) {
  if (v.empty()) {
    if (required) (*e)[field] = "at least one URL is required";
    return;
  }
  if (v.size() > kMaxUrls) {
    (*e)[field] = "at most " + std::to_string(kMaxUrls) + " URLs";
    return;
  }
  std::set<std::string> seen;
  for (const auto& u : v) {
    if (!IsHttpUrl(u)) {
      (*e)[field] = "\"" + TruncateUtf8(u, 100) + "\" is not an absolute http(s) URL without fragment";
      return;
    }
    if (!seen.insert(u).second) {
      (*e)[field] = "\"" + TruncateUtf8(u, 100) + "\" is listed twice";
      return;
    }
  }
}

std::string NowText(Clock& clock) { return Rfc3339(clock.NowUnixMillis()); }

nlohmann::json RegistrationToJson(const Registration& r, bool with_secrets) {
  nlohmann::json def = r.definition;
  if (!with_secrets && def.is_object() && def.contains("client_secret_sha256") &&
      !def["client_secret_sha256"].get<std::string>().empty())
    def["client_secret_sha256"] = kRedacted;
  return {{"state", r.state},
          {"definition", def},
          {"certificate_sha256", r.certificate_sha256},
          {"certificate_subject", r.certificate_subject},
          {"certificate_not_after", r.certificate_not_after},
          {"created", r.created},
          {"updated", r.updated},
          {"approved_by", r.approved_by},
          {"approval_note", r.approval_note}};
}

Registration RegistrationFromJson(const nlohmann::json& j) {
  Registration r;
  r.state = j.value("state", std::string(kStateActive));
  r.definition = j.value("definition", nlohmann::json::object());
  r.certificate_sha256 = j.value("certificate_sha256", "");
  r.certificate_subject = j.value("certificate_subject", "");
  r.certificate_not_after = j.value("certificate_not_after", int64_t{0});
  r.created = j.value("created", "");
  r.updated = j.value("updated", "");
  r.approved_by = j.value("approved_by", "");
  r.approval_note = j.value("approval_note", "");
  return r;
}

// JSON body helpers: a member of the wrong type is a field error.
void JStr(const nlohmann::json& j, const char* k, std::string* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (it->is_string()) *out = it->get<std::string>();
  else (*e)[k] = "must be a string";
}
void JBool(const nlohmann::json& j, const char* k, bool* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (it->is_boolean()) *out = it->get<bool>();
  else (*e)[k] = "must be true or false";
}
void JList(const nlohmann::json& j, const char* k, std::vector<std::string>* out, FieldErrors* e) {
  auto it = j.find(k);
  if (it == j.end() || it->is_null()) return;
  if (!it->is_array() || it->size() > 100) {
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

std::string NewServiceId(Random& random) { return "svc-" + HexEncode(random.Bytes(6)); }

std::vector<std::string> ScopesFor(const ClaimsCatalogue& cat, const std::vector<std::string>& attrs) {
  std::vector<std::string> scopes = {"openid"};
  for (const auto& a : attrs)
    if (const auto* d = cat.ByKey(a); d && std::find(scopes.begin(), scopes.end(), d->scope) == scopes.end())
      scopes.push_back(d->scope);
  return scopes;
}

bool NeedsSecret(std::string_view method) {
  return method == "client_secret_basic" || method == "client_secret_post";
}

std::string Name(const ServiceRecord& r, const char* lang) {
  auto it = r.names.find(lang);
  return it == r.names.end() ? std::string() : it->second;
}

// The MPass form's fields shared by both protocols.
void CheckRecordFields(const ClaimsCatalogue& catalogue, const ServiceRecord& r, FieldErrors* errors) {
  if (!IsEmail(r.technical_contact)) (*errors)["technical_contact"] = "an e-mail address is required";
  CheckText(errors, "name_ro", Name(r, "ro"), kMaxNameChars, "the Romanian name");
  CheckText(errors, "name_ru", Name(r, "ru"), kMaxNameChars, "the Russian name");
  CheckText(errors, "name_en", Name(r, "en"), kMaxNameChars, "the English name");
  CheckText(errors, "description", r.description, kMaxDescriptionChars, "the description");
  CheckText(errors, "contract_number", r.contract_number, kMaxContractNumberChars, "the contract number");
  if (r.contract_date.empty()) (*errors)["contract_date"] = "the contract date is required";
  else if (!IsDate(r.contract_date)) (*errors)["contract_date"] = "a date as yyyy-mm-dd";
  if (r.attributes.empty()) {
    (*errors)["attributes"] = "tick at least one attribute";
  } else {
    std::set<std::string> seen;
    for (const auto& a : r.attributes) {
      if (!catalogue.ByKey(a)) {
        (*errors)["attributes"] = "\"" + TruncateUtf8(a, 64) + "\" is not in the attribute catalogue";
        break;
      }
      if (!seen.insert(a).second) {
        (*errors)["attributes"] = "\"" + a + "\" is ticked twice";
        break;
      }
    }
  }
}

void CheckSamlFields(const saml::SamlService& s, FieldErrors* errors) {
  if (s.entity_id.empty()) (*errors)["entity_id"] = "the service's entity ID (Issuer) is required";
  else if (s.entity_id.size() > 256 || HasControl(s.entity_id) || !ValidUtf8(s.entity_id))
    (*errors)["entity_id"] = "at most 256 bytes of one-line text";
  CheckUrls(errors, "acs_urls", s.acs_urls, true);
  CheckUrl(errors, "slo_url", s.slo_url, false);
  CheckUrl(errors, "slo_response_url", s.slo_response_url, false);
  if (s.name_id != saml::kNameIdKindIdnp && s.name_id != saml::kNameIdKindPersistent &&
      s.name_id != saml::kNameIdKindTransient)
    (*errors)["name_id"] = "idnp, persistent or transient";
  if (s.slo_binding != "post" && s.slo_binding != "redirect") (*errors)["slo_binding"] = "post or redirect";
}

// A DNS host name: dot-separated labels of letters, digits and hyphens.
bool IsHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char ch : h) {
    if (ch == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = ch;
  }
  return label > 0 && prev != '-';
}

// Pairwise subjects (OIDC Core §8.1), as ValidateClient checks them: a
// sector host only for pairwise, and without one the redirect URIs must
// share one host. `hosts_field` names the field to blame for the latter.
void CheckSubjectFields(const OidcClient& c, FieldErrors* errors, const std::string& hosts_field) {
  if (!c.subject_type.empty() && c.subject_type != oidc::kSubjectPairwise &&
      c.subject_type != oidc::kSubjectPublic)
    (*errors)["subject_type"] = "pairwise or public";
  if (!c.sector_identifier.empty()) {
    if (!IsHostName(c.sector_identifier))
      (*errors)["sector_identifier"] = "a host name such as example.org (no scheme, port or path)";
    else if (c.subject_type == oidc::kSubjectPublic)
      (*errors)["sector_identifier"] = "a sector host is only for pairwise subjects: leave it empty for public";
    return;
  }
  if (c.subject_type == oidc::kSubjectPublic) return;
  std::set<std::string> hosts;
  for (const auto& u : c.redirect_uris)
    if (auto p = oidc_internal::ParseUrl(u)) hosts.insert(p->host);
  if (hosts.size() > 1 && !errors->count(hosts_field)) {
    std::string list;
    for (const auto& h : hosts) list += (list.empty() ? "" : ", ") + h;
    (*errors)[hosts_field] = "the redirect URIs span several hosts (" + TruncateUtf8(list, 300) +
                             "): pairwise subjects need a sector host (sector_identifier) or a single host";
  }
}

void CheckOidcFields(const OidcClient& c, FieldErrors* errors) {
  CheckUrls(errors, "redirect_uris", c.redirect_uris, true);
  CheckUrls(errors, "post_logout_redirect_uris", c.post_logout_redirect_uris, false);
  CheckUrl(errors, "backchannel_logout_uri", c.backchannel_logout_uri, false);
  CheckUrl(errors, "frontchannel_logout_uri", c.frontchannel_logout_uri, false);
  static const std::set<std::string, std::less<>> kMethods = {"client_secret_basic", "client_secret_post",
                                                              "private_key_jwt", "tls_client_auth", "none"};
  if (!kMethods.contains(c.token_endpoint_auth_method))
    (*errors)["token_endpoint_auth_method"] =
        "client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or none";
  if (c.id_token_signed_response_alg != "RS256" && c.id_token_signed_response_alg != "ES256" &&
      c.id_token_signed_response_alg != "PS256")
    (*errors)["id_token_signed_response_alg"] = "RS256, ES256 or PS256";
  CheckSubjectFields(c, errors, "sector_identifier");
}

}  // namespace

std::string ServiceRecord::ProtocolId(std::string_view env) const {
  const auto& reg = In(env);
  if (!reg) return {};
  const char* key = protocol == kProtocolOidc ? "client_id" : "entity_id";
  return reg->definition.value(key, "");
}

std::string ServiceRecord::DisplayName() const {
  for (const char* l : {"en", "ro", "ru"})
    if (auto it = names.find(l); it != names.end() && !it->second.empty()) return it->second;
  return id;
}

nlohmann::json RecordToJson(const ServiceRecord& r, bool with_secrets) {
  nlohmann::json j = {{"id", r.id},
                      {"protocol", r.protocol},
                      {"names", r.names},
                      {"description", r.description},
                      {"technical_contact", r.technical_contact},
                      {"contract_number", r.contract_number},
                      {"contract_date", r.contract_date},
                      {"attributes", r.attributes},
                      {"version", r.version},
                      {"test", nullptr},
                      {"production", nullptr}};
  if (r.test) j["test"] = RegistrationToJson(*r.test, with_secrets);
  if (r.production) j["production"] = RegistrationToJson(*r.production, with_secrets);
  return j;
}

StatusOr<ServiceRecord> RecordFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Internal("stored service record is malformed");
  ServiceRecord r;
  try {
    r.id = j.at("id").get<std::string>();
    r.protocol = j.at("protocol").get<std::string>();
    r.names = j.value("names", std::map<std::string, std::string>{});
    r.description = j.value("description", "");
    r.technical_contact = j.value("technical_contact", "");
    r.contract_number = j.value("contract_number", "");
    r.contract_date = j.value("contract_date", "");
    r.attributes = j.value("attributes", std::vector<std::string>{});
    r.version = j.value("version", int64_t{1});  // records from before versions
    if (j.contains("test") && j["test"].is_object()) r.test = RegistrationFromJson(j["test"]);
    if (j.contains("production") && j["production"].is_object()) r.production = RegistrationFromJson(j["production"]);
  } catch (const nlohmann::json::exception& ex) {
    return Internal("stored service record is malformed", ex.what());
  }
  return r;
}

ServiceInput ServiceInputFromJson(const nlohmann::json& j, FieldErrors* e) {
  ServiceInput in;
  if (!j.is_object()) {
    (*e)["body"] = "must be a JSON object";
    return in;
  }
  JStr(j, "protocol", &in.protocol, e);
  JStr(j, "technical_contact", &in.technical_contact, e);
  if (auto it = j.find("names"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      (*e)["names"] = "must be an object with ro, ru and en";
    } else {
      JStr(*it, "ro", &in.name_ro, e);
      JStr(*it, "ru", &in.name_ru, e);
      JStr(*it, "en", &in.name_en, e);
    }
  }
  JStr(j, "description", &in.description, e);
  JStr(j, "certificate", &in.certificate, e);
  JList(j, "attributes", &in.attributes, e);
  JStr(j, "contract_number", &in.contract_number, e);
  JStr(j, "contract_date", &in.contract_date, e);
  JStr(j, "entity_id", &in.entity_id, e);
  JList(j, "acs_urls", &in.acs_urls, e);
  JStr(j, "slo_url", &in.slo_url, e);
  JStr(j, "slo_response_url", &in.slo_response_url, e);
  JStr(j, "slo_binding", &in.slo_binding, e);
  JStr(j, "name_id", &in.name_id, e);
  JBool(j, "sign_assertion", &in.sign_assertion, e);
  JBool(j, "encrypt_assertion", &in.encrypt_assertion, e);
  JBool(j, "allow_sha1", &in.allow_sha1, e);
  JStr(j, "metadata_xml", &in.metadata_xml, e);
  JList(j, "redirect_uris", &in.redirect_uris, e);
  JList(j, "post_logout_redirect_uris", &in.post_logout_redirect_uris, e);
  JStr(j, "backchannel_logout_uri", &in.backchannel_logout_uri, e);
  JStr(j, "frontchannel_logout_uri", &in.frontchannel_logout_uri, e);
  JStr(j, "token_endpoint_auth_method", &in.token_endpoint_auth_method, e);
  JStr(j, "id_token_signed_response_alg", &in.id_token_signed_response_alg, e);
  JBool(j, "authorization_response_iss", &in.authorization_response_iss, e);
  JStr(j, "subject_type", &in.subject_type, e);
  JStr(j, "sector_identifier", &in.sector_identifier, e);
  return in;
}

ServiceInput FormOf(const ServiceRecord& r, std::string_view env) {
  ServiceInput in;
  in.protocol = r.protocol;
  in.technical_contact = r.technical_contact;
  in.name_ro = Name(r, "ro");
  in.name_ru = Name(r, "ru");
  in.name_en = Name(r, "en");
  in.description = r.description;
  in.attributes = r.attributes;
  in.contract_number = r.contract_number;
  in.contract_date = r.contract_date;
  const auto& reg = r.In(env);
  if (!reg) return in;
  if (r.protocol == kProtocolSaml) {
    if (auto s = saml::ServiceFromJson(reg->definition); s.ok()) {
      in.entity_id = s->entity_id;
      in.acs_urls = s->acs_urls;
      in.slo_url = s->slo_url;
      in.slo_response_url = s->slo_response_url;
      in.slo_binding = s->slo_binding;
      in.name_id = s->name_id;
      in.sign_assertion = s->sign_assertion;
      in.encrypt_assertion = s->encrypt_assertion;
      in.allow_sha1 = s->allow_sha1;
    }
  } else if (auto c = ClientFromJson(reg->definition); c.ok()) {
    in.redirect_uris = c->redirect_uris;
    in.post_logout_redirect_uris = c->post_logout_redirect_uris;
    in.backchannel_logout_uri = c->backchannel_logout_uri;
    in.frontchannel_logout_uri = c->frontchannel_logout_uri;
    in.token_endpoint_auth_method = c->token_endpoint_auth_method;
    in.id_token_signed_response_alg = c->id_token_signed_response_alg;
    in.authorization_response_iss = c->authorization_response_iss;
    in.subject_type = c->subject_type;
    in.sector_identifier = c->sector_identifier;
  }
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
  JStr(j, "entity_id", &in.entity_id, e);
  JList(j, "acs_urls", &in.acs_urls, e);
  JStr(j, "slo_url", &in.slo_url, e);
  JStr(j, "slo_response_url", &in.slo_response_url, e);
  JList(j, "redirect_uris", &in.redirect_uris, e);
  JList(j, "post_logout_redirect_uris", &in.post_logout_redirect_uris, e);
  JStr(j, "backchannel_logout_uri", &in.backchannel_logout_uri, e);
  JStr(j, "frontchannel_logout_uri", &in.frontchannel_logout_uri, e);
  return in;
}

ServiceAdmin::ServiceAdmin(Store& console_store, Environment test, std::optional<Environment> production,
                           const ClaimsCatalogue& catalogue, AuditLog& audit, Clock& clock, Random& random)
    : console_(console_store),
      test_(std::move(test)),
      production_(std::move(production)),
      catalogue_(catalogue),
      audit_(audit),
      clock_(clock),
      random_(random) {}

const Environment* ServiceAdmin::Env(std::string_view name) const {
  if (name == kEnvTest) return &test_;
  if (name == kEnvProduction && production_) return &*production_;
  return nullptr;
}

Status ServiceAdmin::WriteLive(const Environment& env, const ServiceRecord& r, const Registration& reg) {
  if (r.protocol == kProtocolOidc) {
    CERTME_ASSIGN_OR_RETURN(OidcClient c, ClientFromJson(reg.definition));
    return NewStoreClientRegistry(*env.store)->Put(c);
  }
  CERTME_ASSIGN_OR_RETURN(saml::SamlService s, saml::ServiceFromJson(reg.definition));
  return saml::NewStoreServiceRegistry(*env.store)->Put(s);
}

Status ServiceAdmin::RemoveLive(const Environment& env, const ServiceRecord& r, const Registration& reg) {
  if (r.protocol == kProtocolOidc)
    return NewStoreClientRegistry(*env.store)->Delete(reg.definition.value("client_id", ""));
  return saml::NewStoreServiceRegistry(*env.store)->Delete(reg.definition.value("entity_id", ""));
}

Status ServiceAdmin::SaveRecord(ServiceRecord& r) {
  ++r.version;
  return console_.Put(kRecordNs, r.id, RecordToJson(r, true).dump(), kNoExpiry);
}

StatusOr<ServiceRecord> ServiceAdmin::Load(std::string_view id) {
  if (id.empty() || id.size() > 64) return NotFound("no such service");
  auto raw = console_.Get(kRecordNs, id);
  if (!raw.ok()) return raw.status().code() == StatusCode::kNotFound ? NotFound("no such service") : raw.status();
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (j.is_discarded()) return Internal("stored service record is malformed");
  return RecordFromJson(j);
}

StatusOr<ServiceRecord> ServiceAdmin::Get(std::string_view id) { return Load(id); }

StatusOr<std::vector<ServiceRecord>> ServiceAdmin::List() {
  CERTME_ASSIGN_OR_RETURN(auto rows, console_.List(kRecordNs));
  std::vector<ServiceRecord> out;
  for (const auto& row : rows) {
    auto j = nlohmann::json::parse(row.value, nullptr, false);
    if (j.is_discarded()) continue;
    auto r = RecordFromJson(j);
    if (r.ok()) out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const ServiceRecord& a, const ServiceRecord& b) {
    const std::string& ca = a.test ? a.test->created : "";
    const std::string& cb = b.test ? b.test->created : "";
    return ca != cb ? ca > cb : a.id < b.id;  // newest first
  });
  return out;
}

StatusOr<bool> ServiceAdmin::Taken(const Environment& env, std::string_view protocol, std::string_view protocol_id,
                                   std::string_view except_id) {
  // Registered by another service of the console (enabled or not)…
  CERTME_ASSIGN_OR_RETURN(auto all, List());
  for (const auto& r : all) {
    if (r.id == except_id || r.protocol != protocol) continue;
    if (r.ProtocolId(env.name) == protocol_id) return true;
  }
  // …or by other means (a development file) in the live registry.
  if (protocol == kProtocolOidc) {
    auto got = NewStoreClientRegistry(*env.store)->Get(protocol_id);
    if (got.ok()) {
      // Our own registration of this very service is not a conflict.
      auto mine = Load(except_id);
      return !(mine.ok() && mine->ProtocolId(env.name) == protocol_id);
    }
    if (got.status().code() != StatusCode::kNotFound) return got.status();
    return false;
  }
  auto got = saml::NewStoreServiceRegistry(*env.store)->Get(protocol_id);
  if (got.ok()) {
    auto mine = Load(except_id);
    return !(mine.ok() && mine->ProtocolId(env.name) == protocol_id);
  }
  if (got.status().code() != StatusCode::kNotFound) return got.status();
  return false;
}

StatusOr<ChangeResult> ServiceAdmin::Create(const std::string& actor, const ServiceInput& in, FieldErrors* errors) {
  FieldErrors& e = *errors;
  std::lock_guard<std::mutex> lock(mu_);

  if (in.protocol != kProtocolOidc && in.protocol != kProtocolSaml) e["protocol"] = "choose OpenID Connect or SAML";
  const bool saml = in.protocol == kProtocolSaml;

  // SAML metadata first: it may supply what the fields leave empty.
  std::optional<saml::SamlService> md;
  if (saml && !in.metadata_xml.empty()) {
    if (in.metadata_xml.size() > kMaxMetadataBytes) {
      e["metadata_xml"] = "the metadata file is larger than 512 KiB";
    } else {
      auto parsed = saml::ServiceFromMetadata(in.metadata_xml);
      if (parsed.ok()) {
        md = std::move(*parsed);
      } else {
        e["metadata_xml"] = "not usable SP metadata: " + TruncateUtf8(parsed.status().message(), 300);
      }
    }
  }
  auto pick = [&](const std::string& field, const std::string& from_md) { return !field.empty() ? field : from_md; };

  ServiceRecord r;
  r.protocol = in.protocol;
  r.technical_contact = pick(in.technical_contact, md ? md->technical_contact : "");
  r.names = {{"ro", in.name_ro}, {"ru", in.name_ru}, {"en", in.name_en}};
  if (md)
    for (auto& [lang, v] : r.names)
      if (v.empty() && md->names.count(lang)) v = md->names.at(lang);
  r.description = in.description;
  r.contract_number = in.contract_number;
  r.contract_date = in.contract_date;
  r.attributes = in.attributes;

  CheckRecordFields(catalogue_, r, &e);

  std::optional<UploadedCertificate> cert;
  if (!in.certificate.empty()) {
    auto c = ParseUploadedCertificate(in.certificate);
    if (c.ok()) cert = std::move(*c);
    else e["certificate"] = c.status().message();
  } else if (md && !md->certificate_pem.empty()) {
    auto c = ParseUploadedCertificate(md->certificate_pem);
    if (c.ok()) cert = std::move(*c);
    else e["metadata_xml"] = "the metadata's certificate: " + c.status().message();
  } else {
    e["certificate"] = "upload the service's certificate (.cer, PEM or DER)";
  }

  r.id = NewServiceId(random_);
  Registration reg;
  reg.state = std::string(kStateActive);
  reg.created = reg.updated = NowText(clock_);
  if (cert) {
    reg.certificate_sha256 = cert->sha256_hex;
    reg.certificate_subject = cert->subject;
    reg.certificate_not_after = cert->not_after;
  }
  std::optional<Secret> secret;

  if (saml) {
    saml::SamlService s = md ? *md : saml::SamlService{};
    s.entity_id = pick(in.entity_id, s.entity_id);
    if (!in.acs_urls.empty()) s.acs_urls = in.acs_urls;
    s.slo_url = pick(in.slo_url, s.slo_url);
    s.slo_response_url = pick(in.slo_response_url, s.slo_response_url);
    if (!in.slo_binding.empty()) s.slo_binding = in.slo_binding;
    s.names = r.names;
    s.description = r.description;
    s.technical_contact = r.technical_contact;
    s.name_id = in.name_id.empty() ? std::string(saml::kNameIdKindIdnp) : in.name_id;
    s.sign_assertion = in.sign_assertion || (md && md->sign_assertion);
    s.encrypt_assertion = in.encrypt_assertion;
    s.allow_sha1 = in.allow_sha1;
    s.require_signed_requests = true;
    s.attributes = r.attributes;
    if (cert) s.certificate_pem = cert->pem;
    if (md && !md->encryption_certificate_pem.empty()) {
      auto enc = ParseUploadedCertificate(md->encryption_certificate_pem);
      s.encryption_certificate_pem = enc.ok() ? enc->pem : "";
    }
    CheckSamlFields(s, &e);
    if (e.empty()) {
      if (Status v = saml::ValidateService(s); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    }
    reg.definition = saml::ServiceToJson(s);
  } else if (in.protocol == kProtocolOidc) {
    OidcClient c;
    c.client_id = r.id;
    c.names = r.names;
    c.redirect_uris = in.redirect_uris;
    c.post_logout_redirect_uris = in.post_logout_redirect_uris;
    c.backchannel_logout_uri = in.backchannel_logout_uri;
    c.frontchannel_logout_uri = in.frontchannel_logout_uri;
    c.token_endpoint_auth_method = in.token_endpoint_auth_method;
    c.id_token_signed_response_alg = in.id_token_signed_response_alg;
    c.authorization_response_iss = in.authorization_response_iss;
    c.subject_type = in.subject_type;
    c.sector_identifier = AsciiLower(in.sector_identifier);
    c.grant_types = {"authorization_code", "refresh_token"};
    c.attributes = r.attributes;
    c.scopes = ScopesFor(catalogue_, r.attributes);
    if (cert) c.certificate_pem = cert->pem;
    CheckOidcFields(c, &e);
    if (c.token_endpoint_auth_method == "tls_client_auth" && cert) c.tls_client_certificate_sha256 = cert->sha256_hex;
    if (NeedsSecret(c.token_endpoint_auth_method)) {
      secret = Secret(random_.Token(32));
      c.client_secret_sha256 = HashClientSecret(secret->reveal());
    }
    if (e.empty()) {
      if (Status v = ValidateClient(c); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    }
    reg.definition = ClientToJson(c);
  }
  if (!e.empty()) return InvalidArgument("the registration has errors");

  std::string pid = saml ? reg.definition.value("entity_id", "") : r.id;
  CERTME_ASSIGN_OR_RETURN(bool taken, Taken(test_, r.protocol, pid, r.id));
  if (taken) {
    e[saml ? "entity_id" : "registration"] = "already registered on the test environment";
    return InvalidArgument("the registration has errors");
  }
  r.test = reg;
  CERTME_RETURN_IF_ERROR(WriteLive(test_, r, reg));
  if (Status st = SaveRecord(r); !st.ok()) {
    (void)RemoveLive(test_, r, reg);
    return st;
  }
  CERTME_RETURN_IF_ERROR(
      audit_.Append(actor, "service.create", r.id, std::string(kEnvTest), nullptr, RecordToJson(r)).status());
  return ChangeResult{std::move(r), std::move(secret)};
}

StatusOr<ChangeResult> ServiceAdmin::Promote(const std::string& actor, std::string_view id, const PromoteInput& in,
                                             FieldErrors* errors) {
  FieldErrors& e = *errors;
  std::lock_guard<std::mutex> lock(mu_);
  if (!production_)
    return FailedPrecondition("this console has no production environment (admin.production_store_path)");
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  if (!r.test) return FailedPrecondition("the service is not registered on test");
  if (r.production) return FailedPrecondition("the service is already in production");
  if (r.test->state != kStateActive) return FailedPrecondition("enable the test registration first");

  std::optional<UploadedCertificate> cert;
  if (in.certificate.empty()) {
    e["certificate"] = "upload the production certificate (.cer): it must differ from the test one";
  } else {
    auto c = ParseUploadedCertificate(in.certificate);
    if (!c.ok()) e["certificate"] = c.status().message();
    else if (c->sha256_hex == r.test->certificate_sha256)
      e["certificate"] =
          "this is the test certificate: production needs its own key pair and certificate";
    else cert = std::move(*c);
  }
  if (!in.approved)
    e["approved"] = "confirm that the provider has tested on the test environment and production is approved";
  if (!in.approval_note.empty()) CheckText(&e, "approval_note", in.approval_note, 300, "the note");

  Registration reg;
  reg.state = std::string(kStateActive);
  reg.created = reg.updated = NowText(clock_);
  reg.approved_by = actor;
  reg.approval_note = in.approval_note;
  if (cert) {
    reg.certificate_sha256 = cert->sha256_hex;
    reg.certificate_subject = cert->subject;
    reg.certificate_not_after = cert->not_after;
  }
  std::optional<Secret> secret;
  if (r.protocol == kProtocolSaml) {
    auto s = saml::ServiceFromJson(r.test->definition);
    if (!s.ok()) return Internal("stored test registration is malformed", s.status().ToString());
    if (!in.entity_id.empty()) s->entity_id = in.entity_id;
    if (!in.acs_urls.empty()) s->acs_urls = in.acs_urls;
    if (!in.slo_url.empty()) s->slo_url = in.slo_url;
    if (!in.slo_response_url.empty()) s->slo_response_url = in.slo_response_url;
    if (cert) s->certificate_pem = cert->pem;
    s->encryption_certificate_pem.clear();
    if (s->entity_id.size() > 256 || HasControl(s->entity_id) || !ValidUtf8(s->entity_id))
      e["entity_id"] = "at most 256 bytes of one-line text";
    CheckUrls(&e, "acs_urls", s->acs_urls, true);
    CheckUrl(&e, "slo_url", s->slo_url, false);
    CheckUrl(&e, "slo_response_url", s->slo_response_url, false);
    if (e.empty())
      if (Status v = saml::ValidateService(*s); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    reg.definition = saml::ServiceToJson(*s);
  } else {
    auto c = ClientFromJson(r.test->definition);
    if (!c.ok()) return Internal("stored test registration is malformed", c.status().ToString());
    if (!in.redirect_uris.empty()) c->redirect_uris = in.redirect_uris;
    if (!in.post_logout_redirect_uris.empty()) c->post_logout_redirect_uris = in.post_logout_redirect_uris;
    if (!in.backchannel_logout_uri.empty()) c->backchannel_logout_uri = in.backchannel_logout_uri;
    if (!in.frontchannel_logout_uri.empty()) c->frontchannel_logout_uri = in.frontchannel_logout_uri;
    if (cert) {
      c->certificate_pem = cert->pem;
      if (c->token_endpoint_auth_method == "tls_client_auth") c->tls_client_certificate_sha256 = cert->sha256_hex;
    }
    CheckUrls(&e, "redirect_uris", c->redirect_uris, true);
    CheckUrls(&e, "post_logout_redirect_uris", c->post_logout_redirect_uris, false);
    CheckUrl(&e, "backchannel_logout_uri", c->backchannel_logout_uri, false);
    CheckUrl(&e, "frontchannel_logout_uri", c->frontchannel_logout_uri, false);
    CheckSubjectFields(*c, &e, "redirect_uris");
    // Production gets its own secret: the test one must not open production.
    if (NeedsSecret(c->token_endpoint_auth_method)) {
      secret = Secret(random_.Token(32));
      c->client_secret_sha256 = HashClientSecret(secret->reveal());
    }
    if (e.empty())
      if (Status v = ValidateClient(*c); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    reg.definition = ClientToJson(*c);
  }
  if (!e.empty()) return InvalidArgument("the promotion has errors");
  std::string pid = r.protocol == kProtocolSaml ? reg.definition.value("entity_id", "") : r.id;
  CERTME_ASSIGN_OR_RETURN(bool taken, Taken(*production_, r.protocol, pid, r.id));
  if (taken) {
    e[r.protocol == kProtocolSaml ? "entity_id" : "registration"] = "already registered in production";
    return InvalidArgument("the promotion has errors");
  }
  nlohmann::json before = RecordToJson(r);
  r.production = reg;
  CERTME_RETURN_IF_ERROR(WriteLive(*production_, r, reg));
  if (Status st = SaveRecord(r); !st.ok()) {
    (void)RemoveLive(*production_, r, reg);
    return st;
  }
  CERTME_RETURN_IF_ERROR(
      audit_.Append(actor, "service.promote", r.id, std::string(kEnvProduction), before, RecordToJson(r)).status());
  return ChangeResult{std::move(r), std::move(secret)};
}

StatusOr<ChangeResult> ServiceAdmin::Edit(const std::string& actor, std::string_view id, std::string_view env_name,
                                          const EditInput& edit, FieldErrors* errors) {
  FieldErrors& e = *errors;
  const ServiceInput& in = edit.form;
  std::lock_guard<std::mutex> lock(mu_);
  const Environment* env = Env(env_name);
  if (!env) return NotFound("no such environment");
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  if (edit.version != r.version)
    return FailedPrecondition("the service was changed since you opened it (your version " +
                              std::to_string(edit.version) + ", now " + std::to_string(r.version) +
                              "): reload it and make your edit again");
  const bool prod = env_name == kEnvProduction;
  if (!r.In(env_name)) return FailedPrecondition("the service is not registered on " + env->name);
  if (!in.protocol.empty() && in.protocol != r.protocol)
    e["protocol"] = "the protocol cannot change: register a new service";
  if (!in.metadata_xml.empty()) e["metadata_xml"] = "metadata is imported at registration only: edit the fields";
  const nlohmann::json before = RecordToJson(r);

  r.technical_contact = in.technical_contact;
  r.names = {{"ro", in.name_ro}, {"ru", in.name_ru}, {"en", in.name_en}};
  r.description = in.description;
  r.contract_number = in.contract_number;
  r.contract_date = in.contract_date;
  r.attributes = in.attributes;
  CheckRecordFields(catalogue_, r, &e);

  Registration& reg = prod ? *r.production : *r.test;
  const std::optional<Registration>& other = prod ? r.test : r.production;
  std::optional<UploadedCertificate> cert;
  if (!in.certificate.empty()) {
    auto c = ParseUploadedCertificate(in.certificate);
    if (!c.ok()) {
      e["certificate"] = c.status().message();
    } else if (c->sha256_hex != reg.certificate_sha256) {
      if (other && c->sha256_hex == other->certificate_sha256)
        e["certificate"] = prod ? "this is the test certificate: production needs its own key pair and certificate"
                                : "this is the production certificate: test needs its own key pair and certificate";
      else cert = std::move(*c);
    }
  }
  if (prod && cert) {
    if (!edit.approved)
      e["approved"] = "a new production certificate needs the same approval as promotion: confirm it";
    if (!edit.approval_note.empty()) CheckText(&e, "approval_note", edit.approval_note, 300, "the note");
  }

  const bool saml = r.protocol == kProtocolSaml;
  std::string old_pid = r.ProtocolId(env_name);
  std::optional<Secret> secret;
  nlohmann::json definition;
  if (saml) {
    auto s = saml::ServiceFromJson(reg.definition);
    if (!s.ok()) return Internal("stored registration is malformed", s.status().ToString());
    s->entity_id = in.entity_id;
    s->acs_urls = in.acs_urls;
    s->slo_url = in.slo_url;
    s->slo_response_url = in.slo_response_url;
    if (!in.slo_binding.empty()) s->slo_binding = in.slo_binding;
    s->name_id = in.name_id.empty() ? std::string(saml::kNameIdKindIdnp) : in.name_id;
    s->sign_assertion = in.sign_assertion;
    s->encrypt_assertion = in.encrypt_assertion;
    s->allow_sha1 = in.allow_sha1;
    s->names = r.names;
    s->description = r.description;
    s->technical_contact = r.technical_contact;
    s->attributes = r.attributes;
    if (cert) s->certificate_pem = cert->pem;
    CheckSamlFields(*s, &e);
    if (e.empty())
      if (Status v = saml::ValidateService(*s); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    definition = saml::ServiceToJson(*s);
  } else {
    auto c = ClientFromJson(reg.definition);
    if (!c.ok()) return Internal("stored registration is malformed", c.status().ToString());
    c->names = r.names;
    c->redirect_uris = in.redirect_uris;
    c->post_logout_redirect_uris = in.post_logout_redirect_uris;
    c->backchannel_logout_uri = in.backchannel_logout_uri;
    c->frontchannel_logout_uri = in.frontchannel_logout_uri;
    c->token_endpoint_auth_method = in.token_endpoint_auth_method;
    c->id_token_signed_response_alg = in.id_token_signed_response_alg;
    c->authorization_response_iss = in.authorization_response_iss;
    c->subject_type = in.subject_type;
    c->sector_identifier = AsciiLower(in.sector_identifier);
    c->attributes = r.attributes;
    c->scopes = ScopesFor(catalogue_, r.attributes);
    if (cert) c->certificate_pem = cert->pem;
    if (c->token_endpoint_auth_method == "tls_client_auth")
      c->tls_client_certificate_sha256 = cert ? cert->sha256_hex : reg.certificate_sha256;
    CheckOidcFields(*c, &e);
    // The secret stays as it is (rotation is its own action); a client that
    // had none and now authenticates with one gets its first.
    if (e.empty() && NeedsSecret(c->token_endpoint_auth_method) && c->client_secret_sha256.empty()) {
      secret = Secret(random_.Token(32));
      c->client_secret_sha256 = HashClientSecret(secret->reveal());
    }
    if (e.empty())
      if (Status v = ValidateClient(*c); !v.ok()) e["registration"] = TruncateUtf8(v.message(), 500);
    definition = ClientToJson(*c);
  }
  if (!e.empty()) return InvalidArgument("the edit has errors");
  std::string pid = saml ? definition.value("entity_id", "") : r.id;
  if (pid != old_pid) {
    CERTME_ASSIGN_OR_RETURN(bool taken, Taken(*env, r.protocol, pid, r.id));
    if (taken) {
      e["entity_id"] = "already registered on the " + env->name + " environment";
      return InvalidArgument("the edit has errors");
    }
  }

  Registration old_reg = reg;
  reg.definition = std::move(definition);
  reg.updated = NowText(clock_);
  if (cert) {
    reg.certificate_sha256 = cert->sha256_hex;
    reg.certificate_subject = cert->subject;
    reg.certificate_not_after = cert->not_after;
    if (prod) {
      reg.approved_by = actor;
      reg.approval_note = edit.approval_note;
    }
  }
  // The shared fields reach the other environment's registration too.
  std::optional<Registration> old_other = other;
  std::optional<Registration>& other_mut = prod ? r.test : r.production;
  if (other_mut) {
    if (saml) {
      auto s = saml::ServiceFromJson(other_mut->definition);
      if (!s.ok()) return Internal("stored registration is malformed", s.status().ToString());
      s->names = r.names;
      s->description = r.description;
      s->technical_contact = r.technical_contact;
      s->attributes = r.attributes;
      other_mut->definition = saml::ServiceToJson(*s);
    } else {
      auto c = ClientFromJson(other_mut->definition);
      if (!c.ok()) return Internal("stored registration is malformed", c.status().ToString());
      c->names = r.names;
      c->attributes = r.attributes;
      c->scopes = ScopesFor(catalogue_, r.attributes);
      other_mut->definition = ClientToJson(*c);
    }
    if (other_mut->definition != old_other->definition) other_mut->updated = reg.updated;
  }

  if (reg.state == kStateActive) {
    CERTME_RETURN_IF_ERROR(WriteLive(*env, r, reg));
    if (pid != old_pid) CERTME_RETURN_IF_ERROR(RemoveLive(*env, r, old_reg));
  }
  const Environment* other_env = Env(prod ? kEnvTest : kEnvProduction);
  if (other_mut && other_env && other_mut->state == kStateActive &&
      other_mut->definition != old_other->definition)
    CERTME_RETURN_IF_ERROR(WriteLive(*other_env, r, *other_mut));
  CERTME_RETURN_IF_ERROR(SaveRecord(r));
  CERTME_RETURN_IF_ERROR(audit_.Append(actor, "service.edit", r.id, env->name, before, RecordToJson(r)).status());
  return ChangeResult{std::move(r), std::move(secret)};
}

StatusOr<Secret> ServiceAdmin::RotateSecret(const std::string& actor, std::string_view id, std::string_view env_name) {
  std::lock_guard<std::mutex> lock(mu_);
  const Environment* env = Env(env_name);
  if (!env) return NotFound("no such environment");
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  auto& reg = env_name == kEnvProduction ? r.production : r.test;
  if (!reg) return FailedPrecondition("the service is not registered on " + env->name);
  if (r.protocol != kProtocolOidc) return FailedPrecondition("SAML services have no client secret");
  auto c = ClientFromJson(reg->definition);
  if (!c.ok()) return Internal("stored registration is malformed", c.status().ToString());
  if (!NeedsSecret(c->token_endpoint_auth_method))
    return FailedPrecondition("this client authenticates with " + c->token_endpoint_auth_method +
                              ", not with a client secret");
  nlohmann::json before = RecordToJson(r);
  Secret secret(random_.Token(32));
  c->client_secret_sha256 = HashClientSecret(secret.reveal());
  reg->definition = ClientToJson(*c);
  reg->updated = NowText(clock_);
  if (reg->state == kStateActive) CERTME_RETURN_IF_ERROR(WriteLive(*env, r, *reg));
  CERTME_RETURN_IF_ERROR(SaveRecord(r));
  // The hashes differ, but both show as [redacted]: say what changed.
  nlohmann::json after = RecordToJson(r);
  after["change"] = "client secret rotated";
  CERTME_RETURN_IF_ERROR(audit_.Append(actor, "service.rotate_secret", r.id, env->name, before, after).status());
  return secret;
}

Status ServiceAdmin::SetEnabled(const std::string& actor, std::string_view id, std::string_view env_name,
                                bool enabled) {
  std::lock_guard<std::mutex> lock(mu_);
  const Environment* env = Env(env_name);
  if (!env) return NotFound("no such environment");
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  auto& reg = env_name == kEnvProduction ? r.production : r.test;
  if (!reg) return FailedPrecondition("the service is not registered on " + env->name);
  std::string want(enabled ? kStateActive : kStateDisabled);
  if (reg->state == want) return Status::Ok();  // nothing to change, nothing to audit
  nlohmann::json before = RecordToJson(r);
  reg->state = want;
  reg->updated = NowText(clock_);
  if (enabled) {
    std::string pid = r.ProtocolId(env_name);
    CERTME_ASSIGN_OR_RETURN(bool taken, Taken(*env, r.protocol, pid, r.id));
    if (taken) return FailedPrecondition("another service now uses " + pid + " on " + env->name);
    CERTME_RETURN_IF_ERROR(WriteLive(*env, r, *reg));
  } else {
    CERTME_RETURN_IF_ERROR(RemoveLive(*env, r, *reg));
  }
  CERTME_RETURN_IF_ERROR(SaveRecord(r));
  return audit_
      .Append(actor, enabled ? "service.enable" : "service.disable", r.id, env->name, before, RecordToJson(r))
      .status();
}

Status ServiceAdmin::Delete(const std::string& actor, std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  nlohmann::json before = RecordToJson(r);
  // A disabled registration is not in its live registry (and its id may
  // since have been taken by someone else): leave that registry alone.
  if (r.production && production_ && r.production->state == kStateActive)
    CERTME_RETURN_IF_ERROR(RemoveLive(*production_, r, *r.production));
  if (r.test && r.test->state == kStateActive) CERTME_RETURN_IF_ERROR(RemoveLive(test_, r, *r.test));
  CERTME_RETURN_IF_ERROR(console_.Delete(kRecordNs, r.id));
  return audit_.Append(actor, "service.delete", r.id, "", before, nullptr).status();
}

}  // namespace certme::admin
