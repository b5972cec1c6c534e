// eIDAS vocabulary shared by the protocol fronts and the login step.
//
// Levels of assurance (Commission Implementing Regulation (EU) 2015/1502),
// as the eIDAS SAML profile names them: the OIDC `acr` values and the SAML
// AuthnContextClassRef (as MPass uses them). A certME wallet login reaches
// "substantial"; the others are only compared against (SAML
// RequestedAuthnContext).
#pragma once

#include <string_view>

namespace certme::eidas {

inline constexpr std::string_view kLoaLow = "http://eidas.europa.eu/LoA/low";
inline constexpr std::string_view kLoaSubstantial = "http://eidas.europa.eu/LoA/substantial";
inline constexpr std::string_view kLoaHigh = "http://eidas.europa.eu/LoA/high";

}  // namespace certme::eidas
