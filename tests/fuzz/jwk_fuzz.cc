// Fuzzes JWK / JWKS import (crypto/jose.h) on arbitrary JSON text. No input
// may crash the parser, and whatever it accepts must export to a JWK that
// imports again as the same key (same RFC 7638 thumbprint, same kid).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/jose.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  auto key = certme::ParsePublicKeyJwk(j);
  if (key.ok()) {
    auto again = certme::ParsePublicKeyJwk((*key)->ToJwk());
    if (!again.ok()) std::abort();
    if (certme::JwkThumbprint(**again) != certme::JwkThumbprint(**key)) std::abort();
    if ((*again)->kid() != (*key)->kid()) std::abort();
    if ((*key)->ToJwk().contains("d")) std::abort();
  }
  (void)certme::ParsePublicKeyJwks(j);
  return 0;
}
