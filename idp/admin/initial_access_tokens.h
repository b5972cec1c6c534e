// Initial access tokens (RFC 7591 §3: "an OAuth 2.0 access token optionally
// issued by an authorization server to a developer or client and used to
// authorize calls to the client registration endpoint"). The console, its
// API and `certme admin` issue them; /register spends them
// (dynamic_registration.h).
//
// A token allows `uses` registrations (1: one-time) until it expires, under
// a RegistrationPolicy (grant types, authentication methods, redirect URI
// prefixes). It is shown once and kept only as its SHA-256 (256 random
// bits: a fast hash is enough, as for client secrets), in the console's
// Store, namespace "admin_initial_token". Every issue and revocation is
// audited. Safe for concurrent use: a use is a compare-and-swap, so two
// registrations racing for a token's last use cannot both get it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "idp/admin/audit_log.h"
#include "protocols/oidc/registration.h"

namespace certme {
class Store;
}

namespace certme::admin {

inline constexpr int64_t kMaxInitialTokenUses = 1000;
inline constexpr int64_t kMaxInitialTokenTtlSeconds = 90 * 86400;

struct InitialTokenRequest {
  std::string name;      // what it is for, 1..100 characters
  int64_t uses = 1;      // 1..kMaxInitialTokenUses
  int64_t ttl_seconds = 7 * 86400;  // 60..kMaxInitialTokenTtlSeconds
  RegistrationPolicy policy;
};

struct InitialToken {
  std::string id;  // the first 12 hex digits of its hash: how lists and the audit log name it
  std::string name, created_by, created;  // created: RFC 3339
  int64_t expires = 0;                    // unix seconds
  int64_t uses = 0, uses_left = 0;
  RegistrationPolicy policy;
  nlohmann::json ToJson() const;
};

class InitialAccessTokens {
 public:
  InitialAccessTokens(Store& store, AuditLog& audit, Clock& clock, Random& random)
      : store_(store), audit_(audit), clock_(clock), random_(random) {}

  // InvalidArgument for a bad name, count or lifetime. The token text is
  // returned once.
  StatusOr<std::pair<InitialToken, Secret>> Issue(const std::string& actor, const InitialTokenRequest& request);
  // Live tokens (unexpired, uses left or not), newest first.
  StatusOr<std::vector<InitialToken>> List();
  // NotFound for an unknown id.
  Status Revoke(const std::string& actor, std::string_view id);

  // The token a bearer value names, if it may still register: Unauthenticated
  // when unknown, expired or used up (one message for all: the caller learns
  // nothing about which).
  StatusOr<InitialToken> Check(std::string_view token);
  // Spends one use; Unauthenticated when none is left (another request took
  // the last one meanwhile).
  Status Spend(std::string_view token);

 private:
  Store& store_;
  AuditLog& audit_;
  Clock& clock_;
  Random& random_;
};

}  // namespace certme::admin
