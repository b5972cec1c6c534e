#include "idp/admin/service_admin.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "idp/admin/certificate.h"
#include "idp/admin/util.h"
#include "store/store.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

constexpr std::string_view kRecordNs = "admin_service";
constexpr const char kRedacted[] = "[redacted]";

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

std::string NewServiceId(Random& random) { return "svc-" + HexEncode(random.Bytes(6)); }

std::string Name(const ServiceRecord& r, const char* lang) {
  auto it = r.names.find(lang);
  return it == r.names.end() ? std::string() : it->second;
}

// The record's shared fields from the (merged) form.
void SetSharedFields(const ServiceInput& v, ServiceRecord* r) {
  r->technical_contact = v.technical_contact;
  r->names = {{"ro", v.name_ro}, {"ru", v.name_ru}, {"en", v.name_en}};
  r->description = v.description;
  r->contract_number = v.contract_number;
  r->contract_date = v.contract_date;
  r->attributes = v.attributes;
}

void ShareRecord(const ServiceRecord& r, const ClaimsCatalogue& catalogue, ServiceDefinition* d) {
  ShareFields(r.names, r.description, r.technical_contact, r.attributes, catalogue, d);
}

void SetCertificate(const UploadedCertificate& cert, Registration* reg) {
  reg->certificate_sha256 = cert.sha256_hex;
  reg->certificate_subject = cert.subject;
  reg->certificate_not_after = cert.not_after;
}

// A new client secret: returned once, kept only hashed.
Secret IssueSecret(Random& random, OidcClient* c) {
  Secret secret(random.Token(32));
  c->client_secret_sha256 = HashClientSecret(secret.reveal());
  return secret;
}

// The approval that promotion, and a new production certificate, need.
void CheckApproval(bool approved, const std::string& note, const char* missing, FieldErrors* e) {
  if (!approved) (*e)["approved"] = missing;
  if (!note.empty()) CheckText(e, "approval_note", note, kMaxApprovalNoteChars, "the note");
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
  if (!r.origin.empty()) {
    j["origin"] = r.origin;
    j["registration_access_token_sha256"] =
        with_secrets || r.registration_access_token_sha256.empty() ? r.registration_access_token_sha256 : kRedacted;
    j["initial_access_token_id"] = r.initial_access_token_id;
    j["client_id_issued_at"] = r.client_id_issued_at;
    j["registration_policy"] = r.registration_policy;
  }
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
    r.origin = j.value("origin", "");
    r.registration_access_token_sha256 = j.value("registration_access_token_sha256", "");
    r.initial_access_token_id = j.value("initial_access_token_id", "");
    r.client_id_issued_at = j.value("client_id_issued_at", int64_t{0});
    r.registration_policy = j.value("registration_policy", nlohmann::json());
    if (j.contains("test") && j["test"].is_object()) r.test = RegistrationFromJson(j["test"]);
    if (j.contains("production") && j["production"].is_object()) r.production = RegistrationFromJson(j["production"]);
  } catch (const nlohmann::json::exception& ex) {
    return Internal("stored service record is malformed", ex.what());
  }
  return r;
}

ServiceInput FormOf(const ServiceRecord& r, std::string_view env) {
  ServiceInput in;
  if (const auto& reg = r.In(env))
    if (auto d = ServiceDefinition::FromJson(r.protocol, reg->definition, ""); d.ok()) in = InputOf(*d);
  in.protocol = r.protocol;
  in.technical_contact = r.technical_contact;
  in.name_ro = Name(r, "ro");
  in.name_ru = Name(r, "ru");
  in.name_en = Name(r, "en");
  in.description = r.description;
  in.attributes = r.attributes;
  in.contract_number = r.contract_number;
  in.contract_date = r.contract_date;
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
  std::string protocol_id;
  if (r.protocol == kProtocolOidc) {
    CERTME_ASSIGN_OR_RETURN(OidcClient c, ClientFromJson(reg.definition));
    CERTME_RETURN_IF_ERROR(NewStoreClientRegistry(*env.store)->Put(c));
    protocol_id = c.client_id;
  } else {
    CERTME_ASSIGN_OR_RETURN(saml::SamlService s, saml::ServiceFromJson(reg.definition));
    CERTME_RETURN_IF_ERROR(saml::NewStoreServiceRegistry(*env.store)->Put(s));
    protocol_id = s.entity_id;
  }
  // Hub mode: the service's provider account exists from its registration
  // on, so the scheme administrator can authorize it before the first login.
  // Where this bridge cannot make the key (another environment's KEK), that
  // bridge makes it at its next start or at the service's first login.
  if (env.provider_account) {
    auto account = env.provider_account(protocol_id, /*create=*/true);
    if (account && !account->address.empty())
      LogInfo("service provider account", {{"env", env.name}, {"service", protocol_id}, {"provider", account->address}});
  }
  return Status();
}

nlohmann::json ServiceAdmin::ProviderAccounts(const ServiceRecord& r) const {
  nlohmann::json out = nlohmann::json::object();
  for (const Environment* env : {&test_, production_ ? &*production_ : nullptr}) {
    if (!env || !env->provider_account || !r.In(env->name)) continue;
    auto account = env->provider_account(r.ProtocolId(env->name), /*create=*/false);
    if (!account) continue;
    out[env->name] = {{"address", account->address}, {"authorized", account->authorized}};
  }
  return out;
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
  Status live = protocol == kProtocolOidc ? NewStoreClientRegistry(*env.store)->Get(protocol_id).status()
                                          : saml::NewStoreServiceRegistry(*env.store)->Get(protocol_id).status();
  if (live.ok()) {
    // Our own registration of this very service is not a conflict.
    auto mine = Load(except_id);
    return !(mine.ok() && mine->ProtocolId(env.name) == protocol_id);
  }
  if (live.code() != StatusCode::kNotFound) return live;
  return false;
}

StatusOr<ChangeResult> ServiceAdmin::Create(const std::string& actor, const ServiceInput& in, FieldErrors* errors) {
  FieldErrors& e = *errors;
  std::lock_guard<std::mutex> lock(mu_);

  const bool known_protocol = in.protocol == kProtocolOidc || in.protocol == kProtocolSaml;
  if (!known_protocol) e["protocol"] = "choose OpenID Connect or SAML";
  // SAML metadata first: it may supply what the fields leave empty.
  std::optional<saml::SamlService> md;
  if (in.protocol == kProtocolSaml) md = ReadMetadata(in.metadata_xml, &e);
  ServiceDefinition def;
  def.protocol = in.protocol;
  if (md) def.service = *md;
  const ServiceInput v = MergeInput(InputOf(def), in, md.has_value());

  ServiceRecord r;
  r.protocol = in.protocol;
  SetSharedFields(v, &r);
  CheckFields(v, r.protocol, Operation::kCreate, catalogue_, &e);

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
  if (cert) SetCertificate(*cert, &reg);
  std::optional<Secret> secret;

  if (known_protocol) {
    ApplyFields(v, Operation::kCreate, &def);
    ShareRecord(r, catalogue_, &def);
    if (def.is_saml()) {
      saml::SamlService& s = def.service;
      s.require_signed_requests = true;
      if (cert) s.certificate_pem = cert->pem;
      if (md && !md->encryption_certificate_pem.empty()) {
        auto enc = ParseUploadedCertificate(md->encryption_certificate_pem);
        s.encryption_certificate_pem = enc.ok() ? enc->pem : "";
      }
    } else {
      OidcClient& c = def.client;
      c.client_id = r.id;
      c.grant_types = {std::string(oidc::kGrantAuthorizationCode), std::string(oidc::kGrantRefreshToken)};
      if (cert) c.certificate_pem = cert->pem;
      if (c.token_endpoint_auth_method == oidc::kAuthTlsClientAuth && cert)
        c.tls_client_certificate_sha256 = cert->sha256_hex;
      if (NeedsSecret(c.token_endpoint_auth_method)) secret = IssueSecret(random_, &c);
    }
    if (e.empty()) ValidateDefinition(def, &e);
    reg.definition = def.ToJson();
  }
  if (!e.empty()) return InvalidArgument("the registration has errors");

  const bool saml = def.is_saml();
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
  CheckApproval(in.approved, in.approval_note,
                "confirm that the provider has tested on the test environment and production is approved", &e);

  Registration reg;
  reg.state = std::string(kStateActive);
  reg.created = reg.updated = NowText(clock_);
  reg.approved_by = actor;
  reg.approval_note = in.approval_note;
  if (cert) SetCertificate(*cert, &reg);

  // Production starts from the test registration, with its own endpoints
  // where the promotion names them.
  CERTME_ASSIGN_OR_RETURN(ServiceDefinition def, ServiceDefinition::FromJson(r.protocol, r.test->definition,
                                                                            "stored test registration is malformed"));
  const ServiceInput v = MergePromote(InputOf(def), in);
  CheckFields(v, r.protocol, Operation::kPromote, catalogue_, &e);
  ApplyFields(v, Operation::kPromote, &def);
  std::optional<Secret> secret;
  if (def.is_saml()) {
    if (cert) def.service.certificate_pem = cert->pem;
    def.service.encryption_certificate_pem.clear();
  } else {
    OidcClient& c = def.client;
    if (cert) {
      c.certificate_pem = cert->pem;
      if (c.token_endpoint_auth_method == oidc::kAuthTlsClientAuth) c.tls_client_certificate_sha256 = cert->sha256_hex;
    }
    // Production gets its own secret: the test one must not open production.
    if (NeedsSecret(c.token_endpoint_auth_method)) secret = IssueSecret(random_, &c);
  }
  if (e.empty()) ValidateDefinition(def, &e);
  reg.definition = def.ToJson();
  if (!e.empty()) return InvalidArgument("the promotion has errors");

  std::string pid = def.is_saml() ? reg.definition.value("entity_id", "") : r.id;
  CERTME_ASSIGN_OR_RETURN(bool taken, Taken(*production_, r.protocol, pid, r.id));
  if (taken) {
    e[def.is_saml() ? "entity_id" : "registration"] = "already registered in production";
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

  Registration& reg = prod ? *r.production : *r.test;
  CERTME_ASSIGN_OR_RETURN(ServiceDefinition def,
                          ServiceDefinition::FromJson(r.protocol, reg.definition, "stored registration is malformed"));
  const ServiceInput v = MergeInput(InputOf(def), in, false);
  SetSharedFields(v, &r);
  CheckFields(v, r.protocol, Operation::kEdit, catalogue_, &e);

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
  if (prod && cert)
    CheckApproval(edit.approved, edit.approval_note,
                  "a new production certificate needs the same approval as promotion: confirm it", &e);

  const bool saml = def.is_saml();
  std::string old_pid = r.ProtocolId(env_name);
  std::optional<Secret> secret;
  ApplyFields(v, Operation::kEdit, &def);
  ShareRecord(r, catalogue_, &def);
  if (saml) {
    if (cert) def.service.certificate_pem = cert->pem;
  } else {
    OidcClient& c = def.client;
    if (cert) c.certificate_pem = cert->pem;
    if (c.token_endpoint_auth_method == oidc::kAuthTlsClientAuth)
      c.tls_client_certificate_sha256 = cert ? cert->sha256_hex : reg.certificate_sha256;
    // The secret stays as it is (rotation is its own action); a client that
    // had none and now authenticates with one gets its first.
    if (e.empty() && NeedsSecret(c.token_endpoint_auth_method) && c.client_secret_sha256.empty())
      secret = IssueSecret(random_, &c);
  }
  if (e.empty()) ValidateDefinition(def, &e);
  nlohmann::json definition = def.ToJson();
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
    SetCertificate(*cert, &reg);
    if (prod) {
      reg.approved_by = actor;
      reg.approval_note = edit.approval_note;
    }
  }
  // The shared fields reach the other environment's registration too.
  std::optional<Registration> old_other = other;
  std::optional<Registration>& other_mut = prod ? r.test : r.production;
  if (other_mut) {
    CERTME_ASSIGN_OR_RETURN(ServiceDefinition od, ServiceDefinition::FromJson(r.protocol, other_mut->definition,
                                                                             "stored registration is malformed"));
    ShareRecord(r, catalogue_, &od);
    other_mut->definition = od.ToJson();
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

StatusOr<ChangeResult> ServiceAdmin::CreateDynamic(const std::string& actor, OidcClient c,
                                                   const std::string& rat_sha256,
                                                   const std::string& initial_token_id,
                                                   const nlohmann::json& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  ServiceRecord r;
  r.id = NewServiceId(random_);
  r.protocol = std::string(kProtocolOidc);
  r.origin = std::string(kOriginDynamic);
  r.registration_access_token_sha256 = rat_sha256;
  r.initial_access_token_id = initial_token_id;
  r.registration_policy = policy;
  r.client_id_issued_at = clock_.NowUnixSeconds();
  r.names = c.names;
  r.attributes = c.attributes;
  c.client_id = r.id;
  std::optional<Secret> secret;
  if (NeedsSecret(c.token_endpoint_auth_method)) secret = IssueSecret(random_, &c);
  CERTME_RETURN_IF_ERROR(ValidateClient(c));
  Registration reg;
  reg.state = std::string(kStateActive);
  reg.created = reg.updated = NowText(clock_);
  reg.definition = ClientToJson(c);
  CERTME_ASSIGN_OR_RETURN(bool taken, Taken(test_, r.protocol, r.id, r.id));
  if (taken) return Internal("a new service id is already in use");
  r.test = reg;
  CERTME_RETURN_IF_ERROR(WriteLive(test_, r, reg));
  if (Status st = SaveRecord(r); !st.ok()) {
    (void)RemoveLive(test_, r, reg);
    return st;
  }
  CERTME_RETURN_IF_ERROR(
      audit_.Append(actor, "service.register", r.id, std::string(kEnvTest), nullptr, RecordToJson(r)).status());
  return ChangeResult{std::move(r), std::move(secret)};
}

StatusOr<ChangeResult> ServiceAdmin::ReplaceDynamic(const std::string& actor, std::string_view id, OidcClient c) {
  std::lock_guard<std::mutex> lock(mu_);
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, Load(id));
  if (r.origin != kOriginDynamic || !r.test) return NotFound("no such service");
  CERTME_ASSIGN_OR_RETURN(OidcClient old, ClientFromJson(r.test->definition));
  const nlohmann::json before = RecordToJson(r);
  c.client_id = old.client_id;
  c.certificate_pem = old.certificate_pem;
  c.msign = old.msign;  // granted by the console, not by the client's metadata
  c.client_secret_sha256 = NeedsSecret(c.token_endpoint_auth_method) ? old.client_secret_sha256 : "";
  std::optional<Secret> secret;
  if (NeedsSecret(c.token_endpoint_auth_method) && c.client_secret_sha256.empty()) secret = IssueSecret(random_, &c);
  CERTME_RETURN_IF_ERROR(ValidateClient(c));
  r.names = c.names;
  r.attributes = c.attributes;
  r.test->definition = ClientToJson(c);
  r.test->updated = NowText(clock_);
  if (r.test->state == kStateActive) CERTME_RETURN_IF_ERROR(WriteLive(test_, r, *r.test));
  CERTME_RETURN_IF_ERROR(SaveRecord(r));
  CERTME_RETURN_IF_ERROR(
      audit_.Append(actor, "service.edit", r.id, std::string(kEnvTest), before, RecordToJson(r)).status());
  return ChangeResult{std::move(r), std::move(secret)};
}

}  // namespace certme::admin
