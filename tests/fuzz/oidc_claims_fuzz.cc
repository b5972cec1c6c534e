// Fuzzes the OIDC `claims` request parameter parser (OIDC Core §5.5): no
// input may crash it, and whatever parses must survive a round trip through
// its canonical JSON unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocols/oidc/claims_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto parsed = certme::ParseClaimsRequest(in);
  if (!parsed.ok()) return 0;
  nlohmann::json canonical = certme::ClaimsRequestToJson(*parsed);
  auto again = certme::ParseClaimsRequest(canonical.dump());
  if (!again.ok()) std::abort();
  if (certme::ClaimsRequestToJson(*again) != canonical) std::abort();
  return 0;
}
