// The certME attribute catalogue: for each attribute a wallet holder can
// share, its OIDC claim name, the scope that releases it, its MPass SAML
// attribute name and its value type. Loaded once from config/claims.yaml;
// both protocol fronts read it, so the mapping lives in one place.
//
// A loaded catalogue is immutable: safe for concurrent readers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace certme {

enum class ClaimType { kString, kBoolean, kDate, kGender, kEmail, kPhone, kLocale, kAddress };

// "string" → kString …; nullopt for an unknown name.
std::optional<ClaimType> ParseClaimType(std::string_view name);
const char* ClaimTypeName(ClaimType type);

struct ClaimDefinition {
  std::string key;         // certME attribute key (wallet, ledger)
  std::string oidc_claim;  // claim name in ID tokens / UserInfo
  std::string scope;       // OIDC scope that releases it
  std::string saml_name;   // MPass attribute name; empty when MPass has none
  ClaimType type = ClaimType::kString;
  std::string format;      // human description of the stored format
};

class ClaimsCatalogue {
 public:
  ClaimsCatalogue() = default;

  // Parses the YAML document (see config/claims.yaml). Reports every problem
  // at once (duplicate keys / claim names / SAML names, unknown types, empty
  // fields) in one InvalidArgument.
  static StatusOr<ClaimsCatalogue> FromYaml(std::string_view yaml);
  static StatusOr<ClaimsCatalogue> LoadFile(const std::string& path);
  // The catalogue compiled into the binary (config/claims.yaml at build time).
  static StatusOr<ClaimsCatalogue> BuiltIn();
  // `path` when it is not empty, else the built-in catalogue.
  static StatusOr<ClaimsCatalogue> FileOrBuiltIn(const std::string& path);
  // Builds a catalogue from definitions, with the same checks as FromYaml.
  static StatusOr<ClaimsCatalogue> FromDefinitions(std::vector<ClaimDefinition> defs);

  const std::vector<ClaimDefinition>& all() const { return defs_; }
  // nullptr when absent.
  const ClaimDefinition* ByKey(std::string_view key) const;
  const ClaimDefinition* ByOidcClaim(std::string_view claim) const;
  const ClaimDefinition* BySamlName(std::string_view saml_name) const;
  // Definitions released by `scope`, in catalogue order (empty for unknown scopes).
  std::vector<const ClaimDefinition*> ForScope(std::string_view scope) const;
  // Scopes that release at least one claim, in catalogue order, no duplicates.
  std::vector<std::string> Scopes() const;

  // The OIDC JSON value of a stored attribute value (OIDC Core §5.1):
  // boolean → true/false, gender 1/2 → "male"/"female", address → {"formatted": …}.
  // nullopt when the value does not fit the type (including gender 0,
  // which OIDC expresses by omitting the claim).
  static std::optional<nlohmann::json> ToOidcValue(const ClaimDefinition& def,
                                                   std::string_view value);
  // The MPass SAML text of a stored value (docs/ARCHITECTURE.md, the world it serves): boolean "true"/"false",
  // gender "0"/"1"/"2", date yyyy-MM-dd. nullopt when the value does not fit.
  static std::optional<std::string> ToSamlValue(const ClaimDefinition& def,
                                                std::string_view value);

 private:
  std::vector<ClaimDefinition> defs_;
};

}  // namespace certme
