// Registered OpenID Connect clients (relying parties) and where they live.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "protocols/oidc/msign.h"

namespace certme {

class Store;

struct OidcClient {
  std::string client_id;
  // Display names by language ("ro", "ru", "en"), shown on the login page.
  std::map<std::string, std::string> names;
  // Lowercase hex SHA-256 of the client secret. The secret is issued by us
  // as 256 random bits, so a single fast hash is enough: nobody can
  // enumerate a 2^256 space, with or without a slow KDF. A slow, salted
  // password hash (Argon2, scrypt) is only needed for low-entropy,
  // human-chosen secrets, which clients never have here — and it would make
  // every token request cost tens of milliseconds of CPU.
  std::string client_secret_sha256;
  std::vector<std::string> redirect_uris;              // exact match (OIDC Core §3.1.2.1)
  std::vector<std::string> post_logout_redirect_uris;  // exact match (RP-Initiated Logout §3)
  std::vector<std::string> grant_types = {"authorization_code"};
  std::vector<std::string> response_types = {"code"};
  // client_secret_basic | client_secret_post | private_key_jwt |
  // tls_client_auth | none (public client: PKCE required).
  std::string token_endpoint_auth_method = "client_secret_basic";
  // private_key_jwt: the client's public keys as a JWKS JSON text, and/or a
  // PEM certificate whose key signs the assertions.
  std::string jwks;
  std::string certificate_pem;
  // tls_client_auth (RFC 8705 §2.1): the expected subject DN of the client
  // certificate (RFC 4514 string) and/or the SHA-256 thumbprint of the
  // registered certificate (hex or base64url).
  std::string tls_client_auth_subject_dn;
  std::string tls_client_certificate_sha256;
  std::string id_token_signed_response_alg = "RS256";  // RS256 | ES256 | PS256
  // pairwise | public; empty: the provider's default_subject_type.
  std::string subject_type;
  // Host used as the pairwise sector (OIDC Core §8.1); empty: the host of
  // the redirect URIs, which must then all share one host.
  std::string sector_identifier;
  std::string backchannel_logout_uri;
  bool backchannel_logout_session_required = true;
  std::string frontchannel_logout_uri;
  bool frontchannel_logout_session_required = true;
  // Scopes the client may obtain (openid is always allowed) and certME
  // attribute keys it may receive; requests beyond these are narrowed.
  std::vector<std::string> scopes = {"openid"};
  std::vector<std::string> attributes;
  // RFC 9207 `iss` parameter on this client's authorization responses
  // (success and error). Leave it on: it lets the client detect mix-up
  // attacks. Off only for clients that misread it — mod_auth_openidc up to
  // at least 2.4.12 (Debian 12) takes any request to its redirect URI that
  // carries `iss` and no `code` for a third-party-initiated login, so an
  // error response (access_denied) with `iss` ends on "Invalid Request"
  // instead of the error. Discovery still advertises
  // authorization_response_iss_parameter_supported: it describes the
  // provider, and a client that registered without `iss` does not check it.
  bool authorization_response_iss = true;
  // RFC 9126 §5: the client's authorization requests must come through the
  // pushed authorization request endpoint (/authorize only with a
  // request_uri it got there).
  bool require_pushed_authorization_requests = false;
  // RFC 9101 §10.5: every authorization request of the client comes as a
  // request object signed with one of its registered keys (jwks or
  // certificate_pem), at /authorize or pushed to /par.
  bool require_signed_request_object = false;
  // The one algorithm its request objects must use (RS256 | ES256 | PS256);
  // empty: any of them.
  std::string request_object_signing_alg;
  // Sender-constrained tokens (docs/oidc.md "Sender-constrained tokens").
  // RFC 9449 §5.2: every token request of the client carries a DPoP proof,
  // so its access tokens are always DPoP-bound.
  bool dpop_bound_access_tokens = false;
  // RFC 8705 §3.4: the client's access tokens are bound to the client
  // certificate the TLS proxy forwarded at the token request (cnf.x5t#S256);
  // a token request without one is refused.
  bool tls_client_certificate_bound_access_tokens = false;
  // MSign (protocols/oidc/msign.h): the service may ask for signatures
  // through the signing API; nullopt: MSign not enabled. Needs
  // private_key_jwt or tls_client_auth.
  std::optional<MsignSettings> msign;

  bool IsPublic() const { return token_endpoint_auth_method == "none"; }
  bool AllowsGrant(std::string_view grant) const;
  bool AllowsScope(std::string_view scope) const;
  bool AllowsAttribute(std::string_view key) const;
  // The pairwise sector host (see sector_identifier).
  std::string SectorHost() const;
  // Name in `lang`, falling back to en, ro, then client_id.
  std::string DisplayName(std::string_view lang) const;
};

// Every problem with a client definition, in one InvalidArgument.
Status ValidateClient(const OidcClient& client);

// JSON form used in the Store and produced for admin tools.
nlohmann::json ClientToJson(const OidcClient& client);
// Accepts the ClientToJson form. A plain `client_secret` member is hashed
// (and never kept); `jwks` may be a JSON object or its text. Validates.
StatusOr<OidcClient> ClientFromJson(const nlohmann::json& j);

// Lowercase hex SHA-256 of a client secret (see OidcClient::client_secret_sha256).
std::string HashClientSecret(std::string_view secret);

// The registry of clients. Implementations are safe for concurrent use.
class ClientRegistry {
 public:
  virtual ~ClientRegistry() = default;
  // NotFound for an unknown client.
  virtual StatusOr<OidcClient> Get(std::string_view client_id) = 0;
  // Creates or replaces; InvalidArgument when ValidateClient fails.
  virtual Status Put(const OidcClient& client) = 0;
  virtual StatusOr<std::vector<OidcClient>> List() = 0;
  // Removes a client (OK when absent): it is refused from then on.
  virtual Status Delete(std::string_view client_id) = 0;
};

// Clients kept in the Store (namespace "oidc_client", JSON values), so every
// replica sees the same registry.
std::unique_ptr<ClientRegistry> NewStoreClientRegistry(Store& store);

// Development/test client files:
//   clients:
//     - client_id: demo
//       client_secret: "…"        # plain, hashed on load; or client_secret_sha256
//       redirect_uris: [https://rp.example/cb]
//       …                         # any OidcClient field by its name
// Configuration load: YAML errors become InvalidArgument.
StatusOr<std::vector<OidcClient>> ParseClientsYaml(std::string_view yaml);
StatusOr<std::vector<OidcClient>> LoadClientsFromYaml(const std::string& path);

}  // namespace certme
