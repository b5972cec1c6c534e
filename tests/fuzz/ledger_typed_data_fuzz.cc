// Fuzzes EIP-712 typed-data hashing (ledger-client/eip712.h) on arbitrary
// JSON: wallets send eth_signTypedData_v4 documents. No input may crash or
// recurse without bound; the result must not depend on the spelling of the
// document (hashing the re-serialized JSON gives the same digest).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger-client/eip712.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  auto d = certme::TypedDataDigest(j);
  if (d.ok()) {
    auto again = certme::TypedDataDigest(nlohmann::json::parse(j.dump()));
    if (!again.ok() || *again != *d) std::abort();
  }
  if (j.is_object() && j.contains("types") && j.contains("primaryType") && j["primaryType"].is_string()) {
    (void)certme::Eip712EncodeType(j["types"], j["primaryType"].get<std::string>());
  }
  return 0;
}
