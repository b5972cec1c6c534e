// Fuzzes the embedded ledger's log decoding (ledger-client/transaction.h,
// registry_abi.h): a log entry's bytes and a transaction's calldata are
// untrusted when a ledger file is opened. No input may crash the decoders,
// and whatever they accept must re-encode to exactly the same bytes (one
// byte string per transaction and per call).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ledger-client/registry_abi.h"
#include "ledger-client/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto tx = certme::DecodeTransaction(in);
  if (tx.ok()) {
    if (certme::EncodeTransaction(*tx) != in) std::abort();
    (void)certme::VerifyTransactionSignature(*tx);
    auto call = certme::DecodeCall(tx->calldata);
    if (call.ok() && certme::EncodeCall(*call) != tx->calldata) std::abort();
  }
  auto call = certme::DecodeCall(in);
  if (call.ok() && certme::EncodeCall(*call) != in) std::abort();
  return 0;
}
