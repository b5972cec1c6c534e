#include "idp/admin/password.h"

#include <argon2.h>

#include <vector>

namespace certme::admin {

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() > kMaxPasswordBytes)
    return InvalidArgument("the password must be at most " + std::to_string(kMaxPasswordBytes) + " bytes");
  // Characters, not bytes: count UTF-8 lead bytes.
  size_t chars = 0;
  for (unsigned char c : password)
    if ((c & 0xC0) != 0x80) ++chars;
  if (chars < kMinPasswordChars)
    return InvalidArgument("the password must have at least " + std::to_string(kMinPasswordChars) +
                           " characters");
  return Status::Ok();
}

StatusOr<std::string> HashPassword(std::string_view password, Random& random,
                                   const PasswordHashParams& p) {
  CERTME_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  std::string salt = random.Bytes(16);
  constexpr uint32_t kHashLen = 32;
  size_t len = argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism,
                                 static_cast<uint32_t>(salt.size()), kHashLen, Argon2_id);
  std::vector<char> out(len);
  int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(), password.size(),
                                 salt.data(), salt.size(), kHashLen, out.data(), out.size());
  if (rc != ARGON2_OK) return Internal("password hashing failed", argon2_error_message(rc));
  return std::string(out.data());
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  // argon2 reads a C string; refuse embedded NULs and absurd lengths first.
  if (encoded.empty() || encoded.size() > 512 || encoded.find('\0') != std::string_view::npos) return false;
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  if (password.size() > kMaxPasswordBytes) return false;
  std::string enc(encoded);
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace certme::admin
