// The FAPI 2.0 Security Profile (OpenID FAPI 2.0 Security Profile, §5.3 and
// §5.4): the rules a client registered with `profile: fapi2` is held to, as
// small named checks the endpoints call. Internal to protocols/oidc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/http_message.h"
#include "crypto/jose.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/errors.h"
#include "protocols/oidc/internal.h"

namespace certme::oidc_internal {

// §5.4 item 1.2: the only algorithms of a FAPI 2.0 client's signed objects
// (request objects, client assertions, DPoP proofs); never RS256 or none.
std::vector<JwsAlg> Fapi2Algs();
// The algorithms the client's request objects and client assertions may
// use: Fapi2Algs() for a FAPI 2.0 client, else RS256, PS256, ES256, EdDSA.
std::vector<JwsAlg> SignedObjectAlgs(const OidcClient& client);

// The registration rules (§5.3.2.1, §5.3.2.2, §5.4), each problem appended
// to `problems` (ValidateClient reports them all at once).
void AddFapi2RegistrationProblems(const OidcClient& client, std::vector<std::string>& problems);

// §5.3.2.2 items 3 and 5: an authorization request of a FAPI 2.0 client
// comes through /par and carries a PKCE challenge (its method, S256, is
// checked for every client). invalid_request otherwise.
CheckResult CheckFapi2Pushed(const OidcClient& client, bool pushed);
CheckResult CheckFapi2Pkce(const Params& p, const OidcClient& client);

// §5.3.2.1 items 4-5: every token of a FAPI 2.0 client is sender-constrained
// (DPoP or the client certificate); invalid_request otherwise.
CheckResult CheckFapi2Binding(const OidcClient& client, const TokenBinding& binding);

// §5.3.2.1 item 12: a FAPI 2.0 client's authorization codes live at most
// 60 s, whatever oidc.code_ttl_seconds says.
int64_t CodeTtlFor(const OidcClient& client, int64_t configured);
// §5.3.2.2 item 12: its pushed request_uri values live under 600 s.
int64_t ParTtlFor(const OidcClient& client, int64_t configured);

}  // namespace certme::oidc_internal
