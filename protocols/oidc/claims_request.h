// The OIDC `claims` request parameter (OIDC Core §5.5): which individual
// claims the client asks for in the ID token and from UserInfo. Untrusted
// input: parsed strictly, size-limited, fuzzed (tests/fuzz/oidc_claims_fuzz.cc).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace certme {

// One member of `userinfo` / `id_token` (OIDC Core §5.5.1): null or an
// object with optional essential / value / values.
struct ClaimRequest {
  bool essential = false;
  nlohmann::json value;   // null when absent
  nlohmann::json values;  // null or array
};

struct ClaimsRequest {
  std::map<std::string, ClaimRequest> userinfo;
  std::map<std::string, ClaimRequest> id_token;
  bool empty() const { return userinfo.empty() && id_token.empty(); }
};

// Larger `claims` values are refused (nothing legitimate comes near it).
inline constexpr size_t kMaxClaimsParameterBytes = 8192;

// InvalidArgument for malformed JSON, a non-object top level, non-object
// `userinfo` / `id_token`, a member that is neither null nor an object, a
// non-boolean `essential`, a non-array `values`, or oversized input.
// Unknown top-level members and unknown fields inside a member are ignored
// (OIDC Core §5.5: "other members MAY be ignored").
StatusOr<ClaimsRequest> ParseClaimsRequest(std::string_view text);

// Canonical JSON of a parsed request (to keep it in a pending authorization).
nlohmann::json ClaimsRequestToJson(const ClaimsRequest& request);

}  // namespace certme
