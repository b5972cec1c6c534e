// Fuzzes the wallet's reader of the bridge's provider directory
// (tools/wallet_history.h, ParseProviderDirectory): a document from any
// server. Nothing may crash; a document is either refused as a client error
// or yields entries whose public key belongs to their address.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/ethereum.h"
#include "tools/wallet_history.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto dir = certme::ParseProviderDirectory(in);
  if (!dir.ok()) {
    if (dir.status().code() != certme::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  for (const auto& [address, e] : *dir) {
    auto derived = certme::AddressFromPublicKey(e.public_key);
    if (!derived.ok() || *derived != address || e.address != address) std::abort();
    (void)certme::ServiceName(*dir, address, "ru");
  }
  return 0;
}
