// eIDAS vocabulary shared by the protocol fronts and the login step.
//
// Levels of assurance (Commission Implementing Regulation (EU) 2015/1502),
// as the eIDAS SAML profile names them: the OIDC `acr` values and the SAML
// AuthnContextClassRef (as MPass uses them). A certME wallet login reports
// the level its eID was enrolled at on the ledger (EidRecord::loa: 1 low,
// 2 substantial, 3 high); the development login reports substantial.
#pragma once

#include <string_view>

namespace certme::eidas {

inline constexpr std::string_view kLoaLow = "http://eidas.europa.eu/LoA/low";
inline constexpr std::string_view kLoaSubstantial = "http://eidas.europa.eu/LoA/substantial";
inline constexpr std::string_view kLoaHigh = "http://eidas.europa.eu/LoA/high";

// Every level, lowest first (OIDC discovery acr_values_supported).
inline constexpr std::string_view kLoaAll[] = {kLoaLow, kLoaSubstantial, kLoaHigh};

// The ledger's level number (1..3) of a level URI; 0 for anything else.
constexpr int LoaRank(std::string_view loa) {
  if (loa == kLoaLow) return 1;
  if (loa == kLoaSubstantial) return 2;
  if (loa == kLoaHigh) return 3;
  return 0;
}

// The level URI of a ledger level number; empty when not 1..3.
constexpr std::string_view LoaForLevel(int level) {
  return level >= 1 && level <= 3 ? kLoaAll[level - 1] : std::string_view();
}

}  // namespace certme::eidas
