// Fuzzes the provider sign API's parser of a new sign request
// (idp/signing/sign_request.h, ParseNewSignRequest): a body from an
// authenticated provider, which must never crash the bridge. A body is
// either refused with a client error (400/413 and a message) or yields a
// request within every documented bound.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "idp/signing/sign_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace certme::signing;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ParseNewSignRequest(in);
  if (!r.ok()) {
    if ((r.error().http_status != 400 && r.error().http_status != 413) || r.error().message.empty()) std::abort();
    return 0;
  }
  if (r->items.empty() || r->items.size() > kMaxItems) std::abort();
  for (const auto& i : r->items) {
    size_t want = i.hash_alg == kHashS256 ? 32 : 48;
    if (i.digest.size() != want || i.name.empty() || i.name.size() > kMaxItemNameBytes) std::abort();
  }
  if (!IsThirteenDigits(r->signer_idnp) || r->description.empty()) std::abort();
  if (r->lifetime_seconds < kMinLifetimeSeconds || r->lifetime_seconds > kMaxLifetimeSeconds) std::abort();
  return 0;
}
