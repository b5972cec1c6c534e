// SHA-256 and HMAC-SHA-256, the digests every layer needs besides JWS: store
// keys of tokens and cookies (a leaked store then leaks no usable secret),
// PKCE S256, at_hash, pairwise subjects, certificate fingerprints, the CSP
// hash of the stylesheet. Thin OpenSSL 3 wrappers; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

namespace certme {

// 32 raw bytes.
std::string Sha256(std::string_view data);
// 48 raw bytes (JAdES sigD S384 digests).
std::string Sha384(std::string_view data);
// 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// RFC 2104 HMAC with SHA-256: 32 raw bytes. Any key length, empty included.
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace certme
