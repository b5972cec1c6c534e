// Fuzz target: the load generator's wallet reads the request document the
// server under test sends (docs/wallet-protocol.md §3) and answers it. Any
// bytes: no crash, no exception escaping; an answer only for a document that
// names this code, an unexpired expiry and attributes the user holds.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/wallet_flow.h"
#include "bench/oidc_load/wallet_user.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const certme::bench::BenchUser user = certme::bench::MakeBenchUser("fuzz", 1);
  auto doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  auto answer = certme::bench::BuildWalletAnswer(doc, "CODE_fuzz", user, 1'700'000'000);
  if (answer.ok()) {
    auto a = nlohmann::json::parse(*answer, nullptr, false);
    if (!a.is_object() || a.value("code", "") != "CODE_fuzz") __builtin_trap();
  }
  return 0;
}
