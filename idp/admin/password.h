// Administrator passwords: Argon2id (RFC 9106) in the PHC string encoding
// ("$argon2id$v=19$m=…,t=…,p=…$salt$hash"), so the parameters travel with
// each hash and can be raised later without invalidating old ones.
//
// Administrator passwords are chosen by people (low entropy), which is why
// they get a slow, salted, memory-hard hash — unlike client secrets and API
// tokens, which we generate with 256 bits and hash with one SHA-256.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"

namespace certme::admin {

struct PasswordHashParams {
  // OWASP's Argon2id baseline (2023): 19 MiB, 2 passes, 1 lane; about 30 ms
  // on one core, which also bounds how fast a stolen database can be attacked.
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
};

inline constexpr size_t kMinPasswordChars = 12;
inline constexpr size_t kMaxPasswordBytes = 256;

// InvalidArgument naming the rule when `password` is too short or too long.
Status CheckPasswordPolicy(std::string_view password);

// The encoded Argon2id hash of `password` with a fresh 16-byte salt.
StatusOr<std::string> HashPassword(std::string_view password, Random& random,
                                   const PasswordHashParams& params = {});

// True when `password` matches `encoded`. False for any malformed hash
// (never throws, never crashes on stored garbage).
bool VerifyPassword(std::string_view encoded, std::string_view password);

}  // namespace certme::admin
