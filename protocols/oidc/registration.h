// OAuth 2.0 Dynamic Client Registration (RFC 7591) and its management
// protocol (RFC 7592): the client metadata as a client sends it, read into
// an OidcClient under a registration policy, and written back in the
// registration responses. Transport- and storage-free: the endpoint that
// stores registrations (initial access tokens, the console's records, the
// provider accounts) is idp/admin/dynamic_registration.h.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"

namespace certme {

// RFC 7591 §3.2.2 error codes.
inline constexpr std::string_view kErrInvalidRedirectUri = "invalid_redirect_uri";
inline constexpr std::string_view kErrInvalidClientMetadata = "invalid_client_metadata";

// Bounds on what one registration may hold (an unauthenticated-looking
// request must stay cheap, and a registration must not fill the Store).
inline constexpr size_t kMaxRegistrationBodyBytes = 32 * 1024;
inline constexpr size_t kMaxRegisteredRedirectUris = 10;
inline constexpr size_t kMaxRegisteredUriBytes = 1024;
inline constexpr size_t kMaxClientNameChars = 200;

// What an initial access token lets its holder register. Empty lists take
// the defaults named beside them.
struct RegistrationPolicy {
  // Default: authorization_code, refresh_token.
  std::vector<std::string> grant_types;
  // Default: client_secret_basic, client_secret_post, private_key_jwt, none.
  std::vector<std::string> auth_methods;
  // Each redirect URI (and post-logout redirect URI) must start with one of
  // these; empty: any https URI.
  std::vector<std::string> redirect_uri_prefixes;
  // Plain http redirect URIs on a loopback host (127.0.0.1, [::1],
  // localhost, RFC 8252 §7.3): set by the endpoint in development mode
  // only, never stored with a token.
  bool allow_loopback_http = false;

  nlohmann::json ToJson() const;
  // InvalidArgument naming the member; checks the values are known ones.
  static StatusOr<RegistrationPolicy> FromJson(const nlohmann::json& j);
};

struct RegistrationError {
  std::string code;         // kErrInvalidRedirectUri | kErrInvalidClientMetadata
  std::string description;  // for the client: names the member, no internals
};

// RFC 7591 §2 metadata → client definition, without client_id and secret.
// Unknown members are ignored (§2); members we cannot honour
// (jwks_uri, sector_identifier_uri, response types other than code) are
// refused rather than silently dropped. The scopes asked for (`scope`)
// become the client's scopes and the catalogue attributes they release;
// then the whole definition passes ValidateClient (with a placeholder
// client_id and secret hash where the caller will set real ones).
Result<OidcClient, RegistrationError> ClientFromRegistrationMetadata(const nlohmann::json& metadata,
                                                                     const RegistrationPolicy& policy,
                                                                     const ClaimsCatalogue& catalogue);

// The registered metadata as RFC 7591 §3.2.1 returns it (no secret, no
// registration access token: the caller adds what applies).
nlohmann::json RegistrationMetadataOf(const OidcClient& client);

// Whether the token endpoint authentication method uses a client secret.
bool RegistrationNeedsSecret(std::string_view method);

}  // namespace certme
