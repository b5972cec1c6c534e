// The service registry as the scheme administrator sees it: each provider's
// service, registered from the MPass integration form's fields, first on the
// test environment, promoted to production after the provider has tested and
// an administrator approved it. The console's pages and its JSON API are two
// faces of this one class.
//
// Environments. Test and production are two bridge deployments, each with
// its own configuration (issuer / entity ID, signing keys) and its own Store;
// the OIDC provider and the SAML IdP of each read their registries
// (ClientRegistry "oidc_client", ServiceRegistry "saml_sp") from their
// Store. The console runs inside the test deployment; it writes test
// registrations into its own Store and production registrations into the
// production deployment's Store (admin.production_store_path). Its own
// records — the form as submitted, both registrations, their state — and the
// audit log stay in the test deployment's Store.
//
// A registration that is disabled is removed from its environment's live
// registry (the protocol code then refuses the service at once) and kept in
// the console's record, from which "enable" writes it back.
//
// Every change is audited (AuditLog) with the record before and after;
// client secrets appear there only as "[redacted]".
//
// What the form and the API send, and how it becomes a definition, is
// service_definition.h; this class keeps the store, the audit log, the
// versions, the secrets and the promotion rules.
//
// Safe for concurrent use; changes are serialised per process.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/service_definition.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/saml/service.h"

namespace certme {
class Store;
}

namespace certme::admin {

inline constexpr std::string_view kEnvTest = "test";
inline constexpr std::string_view kEnvProduction = "production";
inline constexpr std::string_view kStateActive = "active";
inline constexpr std::string_view kStateDisabled = "disabled";
inline constexpr std::string_view kOriginDynamic = "dynamic";

// A service's ledger account in one environment (docs/ledger.md, hub mode).
struct ProviderAccount {
  std::string address;     // 0x… (checksummed); empty: no key yet
  std::string authorized;  // "yes" | "no" | "unknown" (the ledger could not be read)
};

struct Environment {
  std::string name;        // kEnvTest | kEnvProduction
  std::string public_url;  // that deployment's issuer / SAML base URL
  Store* store = nullptr;  // that deployment's Store (not owned)
  // Hub mode: the account of the service registered as `protocol_id`
  // (client_id / entity ID); with `create`, a key is made when there is none
  // and this bridge can make one. Unset (dedicated mode): nothing shown.
  std::function<std::optional<ProviderAccount>(std::string_view protocol_id, bool create)> provider_account;
};

struct Registration {
  std::string state;          // kStateActive | kStateDisabled
  nlohmann::json definition;  // ClientToJson / ServiceToJson: what the live registry holds
  std::string certificate_sha256;
  std::string certificate_subject;
  int64_t certificate_not_after = 0;
  std::string created, updated;  // RFC 3339
  std::string approved_by, approval_note;  // production only
};

struct ServiceRecord {
  std::string id;        // "svc-…", the console's name for the service
  std::string protocol;  // kProtocolOidc | kProtocolSaml
  std::map<std::string, std::string> names;  // ro, ru, en
  std::string description;
  std::string technical_contact;
  std::string contract_number, contract_date;
  std::vector<std::string> attributes;
  std::optional<Registration> test, production;
  // Bumped by every change; an edit names the version it started from.
  int64_t version = 0;
  // Dynamic registration (RFC 7591, dynamic_registration.h): kOriginDynamic,
  // the hash of the registration access token (RFC 7592) and the initial
  // access token it came with. Empty for the console's own registrations.
  std::string origin;
  std::string registration_access_token_sha256;
  std::string initial_access_token_id;
  int64_t client_id_issued_at = 0;
  nlohmann::json registration_policy;  // RegistrationPolicy::ToJson of that token: RFC 7592 updates stay within it

  const std::optional<Registration>& In(std::string_view env) const {
    return env == kEnvProduction ? production : test;
  }
  // The client_id or entity ID in `env` ("" when not registered there).
  std::string ProtocolId(std::string_view env) const;
  std::string DisplayName() const;
};

// `with_secrets` false (audit log, API answers): the client secret hash is
// replaced by "[redacted]".
nlohmann::json RecordToJson(const ServiceRecord& r, bool with_secrets = false);
StatusOr<ServiceRecord> RecordFromJson(const nlohmann::json& j);

// The form as it stands for `env`'s registration (what an edit starts from;
// no certificate: an edit without one keeps it).
ServiceInput FormOf(const ServiceRecord& r, std::string_view env);

struct ChangeResult {
  ServiceRecord record;
  // Set when a client secret was issued: shown once, stored only hashed.
  std::optional<Secret> client_secret;
};

class ServiceAdmin {
 public:
  // `production` absent: promotion is refused (FailedPrecondition).
  ServiceAdmin(Store& console_store, Environment test, std::optional<Environment> production,
               const ClaimsCatalogue& catalogue, AuditLog& audit, Clock& clock, Random& random);

  // Registers on test. InvalidArgument with `errors` filled for form problems.
  StatusOr<ChangeResult> Create(const std::string& actor, const ServiceInput& in, FieldErrors* errors);
  // NotFound for an unknown id.
  StatusOr<ServiceRecord> Get(std::string_view id);
  StatusOr<std::vector<ServiceRecord>> List();
  // Creates the production registration. FailedPrecondition when there is
  // no production environment, the service is not on test, is already in
  // production, or approval is missing; InvalidArgument (errors) for the
  // certificate (it must differ from the test one) and the endpoints.
  StatusOr<ChangeResult> Promote(const std::string& actor, std::string_view id, const PromoteInput& in,
                                 FieldErrors* errors);
  // Edits the registration in `env` in place: the record's shared fields
  // (names, description, contact, contract, attributes: they reach both
  // environments' registrations) and `env`'s protocol fields. The client
  // secret is kept (a secret is issued only when the new authentication
  // method needs one and there is none yet). FailedPrecondition "conflict"
  // when `in.version` is not the record's version (someone else changed it
  // meanwhile); InvalidArgument with `errors` as for Create; a new production
  // certificate must differ from the test one and needs `approved`.
  StatusOr<ChangeResult> Edit(const std::string& actor, std::string_view id, std::string_view env,
                              const EditInput& in, FieldErrors* errors);
  // A new client secret for an OIDC registration that uses one; the old one
  // stops working at once.
  StatusOr<Secret> RotateSecret(const std::string& actor, std::string_view id, std::string_view env);
  // Disable: removed from the environment's live registry; enable: written back.
  Status SetEnabled(const std::string& actor, std::string_view id, std::string_view env, bool enabled);
  // Removes both registrations and the record (the audit log keeps it).
  Status Delete(const std::string& actor, std::string_view id);

  // Dynamic registration (RFC 7591): `client` as ClientFromRegistrationMetadata
  // read it becomes a new service on test, exactly as Create would leave an
  // OIDC service (its id is the client_id; the provider account is made in
  // hub mode), with origin "dynamic" and `rat_sha256` as its registration
  // access token's hash. A secret is issued when the method needs one.
  StatusOr<ChangeResult> CreateDynamic(const std::string& actor, OidcClient client, const std::string& rat_sha256,
                                       const std::string& initial_token_id, const nlohmann::json& policy);
  // RFC 7592 §2.2: the test registration's metadata replaced by `client`;
  // client_id, secret (issued if the new method needs one and there is
  // none), certificate, the MSign settings the console gave it and the
  // production registration stay. NotFound unless `id` is a dynamically
  // registered service; InvalidArgument when the kept settings refuse the
  // new metadata (MSign with a secret-based method).
  StatusOr<ChangeResult> ReplaceDynamic(const std::string& actor, std::string_view id, OidcClient client);

  // {"test": {"address", "authorized"}, "production": {…}} for the
  // environments where `r` is registered and accounts are known.
  nlohmann::json ProviderAccounts(const ServiceRecord& r) const;

  bool has_production() const { return production_.has_value(); }
  const Environment& test() const { return test_; }
  const std::optional<Environment>& production() const { return production_; }
  const ClaimsCatalogue& catalogue() const { return catalogue_; }

 private:
  const Environment* Env(std::string_view name) const;
  Status WriteLive(const Environment& env, const ServiceRecord& r, const Registration& reg);
  Status RemoveLive(const Environment& env, const ServiceRecord& r, const Registration& reg);
  // Bumps r.version, then stores the record.
  Status SaveRecord(ServiceRecord& r);
  StatusOr<ServiceRecord> Load(std::string_view id);
  // Whether `protocol_id` is already used in `env` by another service.
  StatusOr<bool> Taken(const Environment& env, std::string_view protocol, std::string_view protocol_id,
                       std::string_view except_id);

  Store& console_;
  Environment test_;
  std::optional<Environment> production_;
  const ClaimsCatalogue& catalogue_;
  AuditLog& audit_;
  Clock& clock_;
  Random& random_;
  std::mutex mu_;
};

}  // namespace certme::admin
