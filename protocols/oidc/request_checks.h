// Checks of an authorization request that the device authorization
// endpoint (device.cc, RFC 8628 §3.1) shares with /authorize (defined in
// authorize.cc). Internal to protocols/oidc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/http_message.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/claims_request.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/errors.h"

namespace certme::oidc_internal {

// OIDC Core §3.1.2.1: scope must contain openid; unknown scopes are
// ignored, scopes the client may not have are dropped (RFC 6749 §3.3).
OidcOr<std::vector<std::string>> GrantedScopes(const Params& p, const OidcClient& client,
                                               const ClaimsCatalogue& catalogue);
// Bounds on state, nonce, login_hint, id_token_hint, ui_locales, acr_values.
CheckResult CheckLengths(const Params& p);
// Catalogue keys the client asks for (scopes and the claims parameter) and
// may receive.
std::vector<std::string> RequestedAttributes(const std::vector<std::string>& scopes,
                                             const ClaimsRequest& claims, const OidcClient& client,
                                             const ClaimsCatalogue& catalogue);
// The levels of assurance the client accepts (acr_values, or the acr
// claim's value / values); empty when it names none.
OidcOr<std::vector<std::string>> RequestedAcr(const Params& p, const ClaimsRequest& claims);
// The acr reported for a login at level `have` against what was asked;
// nullopt when it meets none of them.
std::optional<std::string> AcrFor(const std::string& have, const std::vector<std::string>& wanted);
// How a login that ended without an authentication (LoginResult::error) is
// told to the client (access_denied, temporarily_unavailable).
OidcError LoginFailure(const std::string& error);

}  // namespace certme::oidc_internal
