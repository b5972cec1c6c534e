// Fuzzes the provider sign API's parser of a verify request
// (idp/signing/sign_request.h, ParseVerifyRequest): a JAdES signature in
// flattened JSON and a digest or PDF. Nothing may crash; a request is
// refused with a client error or yields a 64-byte signature and a digest of
// its algorithm's length.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "idp/signing/sign_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace certme::signing;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto v = ParseVerifyRequest(in);
  if (!v.ok()) {
    if ((v.error().http_status != 400 && v.error().http_status != 413) || v.error().message.empty()) std::abort();
    return 0;
  }
  if (v->signature.size() != 64 || v->protected_b64.empty()) std::abort();
  if (v->digest.size() != (v->hash_alg == kHashS256 ? 32u : 48u)) std::abort();
  return 0;
}
