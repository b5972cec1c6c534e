// A service definition from input: the MPass integration form's fields as
// one table (ServiceFields), shared by registration, edit and promotion.
//
// Each field says once what it is (text, list, flag), which protocol it
// belongs to, how the form and the JSON body send it, where it lands in the
// protocol's definition (saml::SamlService / OidcClient), what an empty
// value means for each operation and how it is checked. The readers (form,
// JSON), the merge of the input into the definition it starts from, the
// per-field checks and FormOf all walk that table; ServiceAdmin only
// orchestrates (store, audit, versions, secrets, promotion rules).
//
// Checks come in two layers. The table's checks are the console's: they are
// stricter than the protocols' (http(s) URLs only, bounded texts, required
// fields) and give the form its message next to each field. Then the whole
// definition goes through the protocol's own ValidateClient /
// ValidateService; what that still refuses is reported on "registration".
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/saml/service.h"

namespace certme::admin {

inline constexpr std::string_view kProtocolOidc = "oidc";
inline constexpr std::string_view kProtocolSaml = "saml";

// Bounds on what the form and the API accept.
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxDescriptionChars = 300;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxUrls = 20;
inline constexpr size_t kMaxMetadataBytes = 512 * 1024;
inline constexpr size_t kMaxContractNumberChars = 64;
inline constexpr size_t kMaxApprovalNoteChars = 300;

// The MPass integration form (and the JSON API's body), protocol fields for
// both kinds; the ones of the other protocol are ignored.
struct ServiceInput {
  std::string protocol;  // kProtocolOidc | kProtocolSaml
  std::string technical_contact;  // e-mail
  std::string name_ro, name_ru, name_en;
  std::string description;  // one sentence
  std::string certificate;  // the uploaded .cer: PEM or DER bytes
  std::vector<std::string> attributes;  // catalogue keys
  std::string contract_number;
  std::string contract_date;  // yyyy-mm-dd
  // SAML: either the fields or metadata_xml (its values are taken where a
  // field is left empty).
  std::string entity_id;
  std::vector<std::string> acs_urls;
  std::string slo_url;           // where our LogoutRequests go
  std::string slo_response_url;  // where our LogoutResponses go
  std::string slo_binding;       // post | redirect (empty: post, or the metadata's)
  std::string name_id = "idnp";  // idnp | persistent | transient
  bool sign_assertion = false;
  bool encrypt_assertion = false;
  // Accept rsa-sha1 / sha1 signatures from this SP: weak, legacy SPs only.
  bool allow_sha1 = false;
  std::string metadata_xml;
  // OIDC.
  std::vector<std::string> redirect_uris;
  std::vector<std::string> post_logout_redirect_uris;
  std::string backchannel_logout_uri;
  std::string frontchannel_logout_uri;
  std::string token_endpoint_auth_method = "client_secret_basic";
  std::string id_token_signed_response_alg = "RS256";
  // RFC 9207 `iss` in authorization responses; off for mod_auth_openidc
  // <= 2.4.12 (docs/oidc.md).
  bool authorization_response_iss = true;
  // RFC 9126 §5: authorization requests only through /par.
  bool require_pushed_authorization_requests = false;
  // RFC 9101 §10.5: authorization requests only as signed request objects
  // (needs the service's keys: jwks or its certificate).
  bool require_signed_request_object = false;
  // Sender-constrained tokens: RFC 9449 §5.2 (every token request with a
  // DPoP proof) and RFC 8705 §3.4 (access tokens bound to the client
  // certificate the TLS proxy forwards).
  bool dpop_bound_access_tokens = false;
  bool tls_client_certificate_bound_access_tokens = false;
  // The security profile (OidcClient::profile): empty, or "fapi2" for the
  // FAPI 2.0 Security Profile (docs/oidc.md).
  std::string profile;
  std::string subject_type;  // pairwise | public (empty: oidc.default_subject_type)
  // The pairwise sector host (OIDC Core §8.1), e.g. "example.org"; empty:
  // the redirect URIs' host, which they must then share. Pairwise only.
  std::string sector_identifier;
  // MSign (signing, protocols/oidc/msign.h) beside MPass (login): OIDC
  // services whose client authenticates with private_key_jwt or
  // tls_client_auth. The msign_* fields count only when `msign` is set; the
  // JSON body nests them in an "msign" object (absent or null: off).
  bool msign = false;
  std::string msign_contract_number;
  std::string msign_contract_date;  // yyyy-mm-dd
  std::vector<std::string> msign_ip_allow;  // addresses and CIDR blocks (IpAllowlist)
  std::string msign_signer_types = "person";  // person | organization | both
};

// An edit of one environment's registration: the whole form again (an empty
// certificate keeps the current one; metadata import is for registration
// only), the record's version the editor started from, and for a new
// production certificate the same approval as promotion.
struct EditInput {
  ServiceInput form;
  int64_t version = 0;
  bool approved = false;
  std::string approval_note;
};

// Promotion to production: a new certificate (never the test one), the
// explicit approval, and the production endpoints where they differ from
// test (empty: the test registration's value).
struct PromoteInput {
  std::string certificate;
  bool approved = false;
  std::string approval_note;
  std::string entity_id;
  std::vector<std::string> acs_urls;
  std::string slo_url, slo_response_url;
  std::vector<std::string> redirect_uris, post_logout_redirect_uris;
  std::string backchannel_logout_uri, frontchannel_logout_uri;
  // MSign: production's addresses where they differ from test's.
  std::vector<std::string> msign_ip_allow;
};

// Field name (as in the form and the JSON body) → what is wrong with it.
using FieldErrors = std::map<std::string, std::string>;

// What is being done with the input.
enum class Operation { kCreate, kEdit, kPromote };

// Where a value lives in T: exactly one member is set, by the field's kind.
template <class T>
struct Slot {
  std::string T::*text = nullptr;
  std::vector<std::string> T::*list = nullptr;
  bool T::*flag = nullptr;
  bool set() const { return text || list || flag; }
};

// Which part of the service a field belongs to.
enum class FieldScope {
  kInput,   // read only, used by ServiceAdmin itself (protocol, certificate, metadata)
  kShared,  // the record's fields, for both protocols and both environments
  kSaml,
  kOidc,
};

// How the HTML form sends a field.
enum class FormEncoding {
  kValue,     // one value
  kRepeated,  // every value of the name (checkboxes of one group)
  kLines,     // a textarea, one value per line, blank lines dropped
  kCheckbox,  // set when sent at all
  kYesWhenShown,  // "yes" when ticked; unticked counts only when `shown_marker` came too
};

// What an empty value does to the definition it is merged into at
// registration and edit (promotion always keeps the test value for an empty
// field).
enum class WhenEmpty {
  kClears,        // the field becomes empty (or false)
  kKeeps,         // the current value stays
  kMetadataKeeps, // at registration from SAML metadata, the metadata's value stays; otherwise kClears
  kDefault,       // `empty_default`
};

struct ServiceField;
struct FieldCheckContext {
  const ClaimsCatalogue& catalogue;
  Operation op;
};
using FieldCheck = void (*)(const ServiceField& f, const ServiceInput& v, const FieldCheckContext& ctx,
                            FieldErrors* errors);

struct ServiceField {
  std::string_view name;  // in the form and the JSON body
  FieldScope scope;
  FormEncoding form = FormEncoding::kValue;
  std::string_view shown_marker;  // kYesWhenShown only
  // The JSON body nests it: {"names": {"ro": …}} ("" : top level).
  std::string_view json_parent;
  std::string_view json_key;  // "" : `name`
  Slot<ServiceInput> input;
  // Set: production may differ from test and promotion may set it.
  Slot<PromoteInput> promote;
  Slot<saml::SamlService> saml_slot;  // FieldScope::kSaml
  Slot<OidcClient> oidc_slot;         // FieldScope::kOidc
  WhenEmpty when_empty = WhenEmpty::kClears;
  std::string_view empty_default;
  bool lowercase = false;  // stored lowercased (host names)
  // The console's check of the merged value (nullptr: none of its own).
  FieldCheck check = nullptr;
  bool required = false;
  size_t max_chars = 0;        // text checks
  std::string_view label;      // text checks: "the Romanian name"
  std::span<const std::string_view> choices;  // choice checks
  // A flag whose JSON form is the presence of an object member `JsonKey()`
  // (the object holds the fields whose json_parent it is): absent or null is
  // false, an object true, anything else an error.
  bool json_object_flag = false;

  std::string_view JsonKey() const { return json_key.empty() ? name : json_key; }
  bool AppliesTo(std::string_view protocol) const;
  // Whether `op` reads and checks this field.
  bool In(Operation op, std::string_view protocol) const;
};

// The table, in the form's order.
std::span<const ServiceField> ServiceFields();
// nullptr for a name not in the table.
const ServiceField* FindServiceField(std::string_view name);

// A submitted form's fields, from either encoding; the first value of each
// name wins, except for the repeated ones, which are all kept.
struct FormFields {
  std::multimap<std::string, std::string> fields;
  std::string Get(const std::string& k) const;
  std::vector<std::string> All(const std::string& k) const;
  // A textarea with one value per line (URLs), blank lines dropped.
  std::vector<std::string> Lines(const std::string& k) const;
};

// The readers. JSON: a member of the wrong type is a field error.
ServiceInput ServiceInputFromJson(const nlohmann::json& j, FieldErrors* errors);
PromoteInput PromoteInputFromJson(const nlohmann::json& j, FieldErrors* errors);
// The form's fields plus "version", "approved", "approval_note".
EditInput EditInputFromJson(const nlohmann::json& j, FieldErrors* errors);
ServiceInput ServiceInputFromForm(const FormFields& f);
PromoteInput PromoteInputFromForm(const FormFields& f);

// One protocol's definition: what the live registry holds.
struct ServiceDefinition {
  std::string protocol;  // kProtocolOidc | kProtocolSaml
  saml::SamlService service;  // SAML
  OidcClient client;          // OIDC

  bool is_saml() const { return protocol == kProtocolSaml; }
  // ClientToJson / ServiceToJson.
  nlohmann::json ToJson() const;
  // Internal (with `what`) when the stored JSON does not parse.
  static StatusOr<ServiceDefinition> FromJson(std::string_view protocol, const nlohmann::json& j,
                                              std::string_view what);
};

// The form as `d` stands (protocol fields; for SAML also the names, contact,
// description and attributes it carries).
ServiceInput InputOf(const ServiceDefinition& d);
// Registration and edit: `in` merged into `current` by each field's
// WhenEmpty; `from_metadata`: `current` came from uploaded SAML metadata.
ServiceInput MergeInput(const ServiceInput& current, const ServiceInput& in, bool from_metadata);
// Promotion: the fields production may set, where `in` sets them.
ServiceInput MergePromote(const ServiceInput& current, const PromoteInput& in);
// The table's checks of every field `op` reads for `protocol`, and the
// pairwise-subject rule (OIDC Core §8.1).
void CheckFields(const ServiceInput& v, std::string_view protocol, Operation op, const ClaimsCatalogue& catalogue,
                 FieldErrors* errors);
// Writes the protocol fields `op` changes into `d`.
void ApplyFields(const ServiceInput& v, Operation op, ServiceDefinition* d);
// The record's shared fields as the definition carries them (names,
// attributes; SAML also description and contact; OIDC also the scopes the
// attributes need).
void ShareFields(const std::map<std::string, std::string>& names, const std::string& description,
                 const std::string& technical_contact, const std::vector<std::string>& attributes,
                 const ClaimsCatalogue& catalogue, ServiceDefinition* d);
// The protocol's own validation of the whole definition; its refusal lands
// on "registration".
void ValidateDefinition(const ServiceDefinition& d, FieldErrors* errors);

// SAML metadata uploaded at registration: the parsed service, or an error
// on "metadata_xml". Empty text: nullopt, no error.
std::optional<saml::SamlService> ReadMetadata(const std::string& metadata_xml, FieldErrors* errors);

// A short human text: required, UTF-8, bounded, one line.
void CheckText(FieldErrors* e, const std::string& field, std::string_view v, size_t max_chars, std::string_view what);

// Whether the OIDC token endpoint authentication method uses a client secret.
bool NeedsSecret(std::string_view method);

}  // namespace certme::admin
