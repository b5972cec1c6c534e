// Registered SAML service providers (MPass calls them "services") and where
// they live: the Store (namespace "saml_sp"), loaded from a development YAML
// file or imported from SP metadata.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace certme {
class Store;
}

namespace certme::saml {

// How the NameID of a service's assertions is formed.
inline constexpr std::string_view kNameIdKindIdnp = "idnp";            // the IDNP (MPass default)
inline constexpr std::string_view kNameIdKindPersistent = "persistent";  // pairwise, stable per service
inline constexpr std::string_view kNameIdKindTransient = "transient";    // random per session

struct SamlService {
  std::string entity_id;  // the SP's Issuer / entityID
  // Display names by language (ro, ru, en) and a one-sentence description,
  // shown on the login page (MPass registration asks for all three).
  std::map<std::string, std::string> names;
  std::string description;
  std::string technical_contact;  // e-mail
  // AssertionConsumerService URLs (HTTP-POST); the first is the default.
  std::vector<std::string> acs_urls;
  // Single Logout: where LogoutRequests go and where LogoutResponses go
  // (MPass registers both; the response URL defaults to slo_url).
  std::string slo_url;
  std::string slo_response_url;
  std::string slo_binding = "post";  // post | redirect (how we send to the SP)
  // SingleLogoutService with the SOAP binding: where LogoutRequests go when
  // there is no browser (a suspended eID ends the session). Optional.
  std::string slo_soap_url;
  // The SP's signing certificate (PEM; public key only, never a .pfx).
  std::string certificate_pem;
  // Encryption certificate; empty: the signing certificate.
  std::string encryption_certificate_pem;
  // MPass verifies every request signature; a service may opt out (dev only).
  bool require_signed_requests = true;
  bool sign_assertion = false;     // sign the Assertion too (the Response always is)
  bool encrypt_assertion = false;  // EncryptedAssertion (AES-256-GCM + RSA-OAEP)
  bool allow_sha1 = false;         // accept rsa-sha1 / sha1 from this SP
  std::string name_id = std::string(kNameIdKindIdnp);  // idnp | persistent | transient
  // Catalogue keys of the attributes the service registered for.
  std::vector<std::string> attributes;

  // Name in `lang`, falling back to ro, en, then the entity ID.
  std::string DisplayName(std::string_view lang) const;
  const std::string& SloResponseUrl() const { return slo_response_url.empty() ? slo_url : slo_response_url; }
  const std::string& EncryptionCertificatePem() const {
    return encryption_certificate_pem.empty() ? certificate_pem : encryption_certificate_pem;
  }
};

// Every problem with a definition, in one InvalidArgument (certificates are
// parsed, URLs must be absolute http(s)).
Status ValidateService(const SamlService& s);

nlohmann::json ServiceToJson(const SamlService& s);
StatusOr<SamlService> ServiceFromJson(const nlohmann::json& j);  // validates

// Safe for concurrent use.
class ServiceRegistry {
 public:
  virtual ~ServiceRegistry() = default;
  virtual StatusOr<SamlService> Get(std::string_view entity_id) = 0;  // NotFound when unknown
  virtual Status Put(const SamlService& s) = 0;                      // validates
  virtual StatusOr<std::vector<SamlService>> List() = 0;
  virtual Status Delete(std::string_view entity_id) = 0;             // OK when absent
};
std::unique_ptr<ServiceRegistry> NewStoreServiceRegistry(Store& store);

// Development/test services file:
//   services:
//     - entity_id: https://sp.example/metadata
//       names: {ro: …, ru: …, en: …}
//       acs_urls: [https://sp.example/acs]
//       certificate_file: sp.crt     # relative to the YAML file; or certificate_pem
//       metadata_file: sp.xml        # alternatively: import from SP metadata,
//                                    # other keys then override what it says
//       …                            # any SamlService field by its name
StatusOr<std::vector<SamlService>> ParseServicesYaml(std::string_view yaml,
                                                     const std::string& base_dir = ".");
StatusOr<std::vector<SamlService>> LoadServicesFromYaml(const std::string& path);

// SAML Metadata §2.4.4 SPSSODescriptor → SamlService: entityID, POST ACS
// endpoints (isDefault / lowest index first), SingleLogoutService (POST
// preferred), signing / encryption certificates, AuthnRequestsSigned,
// WantAssertionsSigned, mdui:DisplayName per language, the technical contact,
// a NameIDFormat (persistent / transient; otherwise idnp). The metadata's own
// signature is not checked: importing is an administrator's act on a file
// they obtained from the service; attributes must still be chosen.
StatusOr<SamlService> ServiceFromMetadata(std::string_view metadata_xml);

}  // namespace certme::saml
