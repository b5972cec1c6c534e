// MSign: a service's registration for electronic signing with the certME
// wallet (docs/admin.md "MSign"), carried by the OIDC client its service
// defines, so the signing API finds it once the client has authenticated.
// The signing API authenticates the provider as this OIDC client
// (private_key_jwt or tls_client_auth, as at the token endpoint) and then
// checks the caller's address against `ip_allow` (idp/http/ip_allowlist.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace certme {

struct MsignSettings {
  std::string contract_number, contract_date;  // date "YYYY-MM-DD"
  std::vector<std::string> ip_allow;            // as registered, parsed by IpAllowlist
  enum class SignerTypes { kPerson, kOrganization, kBoth } signer_types = SignerTypes::kPerson;

  // Whether a sign request for a natural person / for a legal person (with an
  // IDNO) is within the registration.
  bool AllowsPerson() const { return signer_types != SignerTypes::kOrganization; }
  bool AllowsOrganization() const { return signer_types != SignerTypes::kPerson; }
};

// Bounds of the registration (also the console's and the admin API's).
inline constexpr size_t kMaxMsignContractNumber = 64;
inline constexpr size_t kMaxMsignIpEntries = 32;

// "person" | "organization" | "both".
std::string_view SignerTypesName(MsignSettings::SignerTypes t);
std::optional<MsignSettings::SignerTypes> ParseSignerTypes(std::string_view name);

// Every problem with the settings, each a short sentence ("MSign contract
// date must be a date YYYY-MM-DD"), appended to `problems`. The client's
// authentication method is checked by ValidateClient, which calls this.
void CheckMsignSettings(const MsignSettings& m, std::vector<std::string>* problems);

// The JSON form inside a client's JSON ("msign" member):
//   {"contract_number","contract_date","ip_allow":[…],"signer_types":"person"}
nlohmann::json MsignToJson(const MsignSettings& m);
// Type errors appended to `problems` (nothing returned then); the values'
// rules are CheckMsignSettings'.
std::optional<MsignSettings> MsignFromJson(const nlohmann::json& j, std::vector<std::string>* problems);

}  // namespace certme
