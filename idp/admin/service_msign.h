// MSign (signing) in the service form (docs/admin.md "MSign"): its rows of
// the field table (service_definition.h), their checks, and the mapping
// between the form's msign_* fields and OidcClient::msign
// (protocols/oidc/msign.h). MSign is for OpenID Connect services whose
// client authenticates by key (private_key_jwt or tls_client_auth).
#pragma once

#include <string_view>
#include <vector>

#include "idp/admin/service_definition.h"
#include "protocols/oidc/client.h"

namespace certme::admin {

// Appends the rows msign, msign_contract_number, msign_contract_date,
// msign_ip_allow (production may set it on promotion), msign_signer_types.
// Their checks count only when `msign` is set.
void AddMsignFields(std::vector<ServiceField>* table);

// The rules across fields: MSign only for OIDC, and only with
// private_key_jwt or tls_client_auth (error on "msign"). Registration and
// edit only; promotion keeps the test registration's choice.
void CheckMsignRules(const ServiceInput& v, std::string_view protocol, Operation op, FieldErrors* errors);

// The form's MSign fields as the client stands.
void MsignInputOf(const OidcClient& client, ServiceInput* in);
// Writes the form's MSign fields into the client: registration and edit set
// or remove OidcClient::msign; promotion sets only the production
// addresses.
void ApplyMsign(const ServiceInput& v, Operation op, OidcClient* client);

}  // namespace certme::admin
