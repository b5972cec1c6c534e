// Fuzzes compact JWS parsing and verification (crypto/jose.h) with fixed
// public keys of every supported type. No input may crash either function,
// and VerifyJwt may only accept what DecodeJwtUnverified also accepts, with
// the same header and claims.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/jose.h"

namespace {

// Public halves of throwaway keys; the seed corpus holds tokens they signed.
constexpr std::string_view kJwks = R"({"keys":[
{"e": "AQAB", "kid": "fuzz-rsa", "kty": "RSA", "n": "mDJQ2Jo5PXA5T93-GqKeKCHARj6UWKm2LU6YumHmeP9dXse73WH3VMm0bP2tNvztwb6m9Lw80be-y-N789kLYg2Rg9P5xbzIj9bX_fTmILSxzd8HRULqBh9aJZ9W-Mu9gttd6gQ0C7JkfBqosTKqGOoXyczeSO0TAAALXqS6ATYZ3UM5EkaIcZv7sXlL7H9cGl43I5DZEaXl-TsMEiIPxIVfgdRZbNJAeyu3EITA6NHSjZmfrsII58euIKxXdjCdPC2dFF_CQPhiTEaa3UdYYe92AzReLrKTfd1RmBQJRtL4FAwLSmxodQm5qyGHe0w9hH6VSl8XYpYeLHRH86qqVw", "use": "sig"},
{"alg": "ES256", "crv": "P-256", "kid": "fuzz-ec", "kty": "EC", "use": "sig", "x": "tU3_Nul-5M0T5EXw5uRlzNGuzlt3Fp47J5T-FKgQAcg", "y": "sXiD8gri_wO-Ebdxp7a-IombRyx3kVko9VFKmxCFygQ"},
{"alg": "EdDSA", "crv": "Ed25519", "kid": "fuzz-ed", "kty": "OKP", "use": "sig", "x": "1jCDgRZ3HW-TQrhNyqJSlCSevU_j2BfbhyBwD2oETIg"}]})";

const std::vector<std::shared_ptr<const certme::PublicKey>>& Keys() {
  static const auto keys = [] {
    auto parsed = certme::ParsePublicKeyJwks(nlohmann::json::parse(kJwks));
    if (!parsed.ok() || parsed->size() != 3) std::abort();
    return *parsed;
  }();
  return keys;
}

const std::vector<certme::JwsAlg> kAll = {certme::JwsAlg::kRS256, certme::JwsAlg::kPS256,
                                          certme::JwsAlg::kES256, certme::JwsAlg::kEdDSA};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto decoded = certme::DecodeJwtUnverified(in);
  auto verified = certme::VerifyJwt(in, Keys(), kAll);
  if (verified.ok()) {
    if (!decoded.ok()) std::abort();
    if (decoded->header != verified->header || decoded->payload != verified->payload) std::abort();
    if (!verified->payload.is_object()) std::abort();
  }
  if (size > certme::kMaxJwsSize && (decoded.ok() || verified.ok())) std::abort();
  return 0;
}
