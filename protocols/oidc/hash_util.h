// Hashes the provider needs beyond JWS: store keys for tokens (so a leaked
// store does not leak usable tokens), PKCE S256, at_hash and pairwise
// subjects. Thin OpenSSL wrappers; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

namespace certme::oidc_internal {

std::string Sha256(std::string_view data);     // 32 raw bytes
std::string Sha256Hex(std::string_view data);  // lowercase hex
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

}  // namespace certme::oidc_internal
