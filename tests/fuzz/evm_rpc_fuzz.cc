// Fuzzes what the EVM ledger backend reads from a node (ledger-client/
// json_rpc.h, rlp.h, evm_transaction.h, evm_ledger.h): a JSON-RPC answer,
// the registry logs and revert data inside it, and raw transactions. No
// input may crash; accepted RLP must re-encode to the same bytes; a revert
// always becomes an error.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/evm_transaction.h"
#include "ledger-client/json_rpc.h"
#include "ledger-client/rlp.h"

namespace {

std::string Reencode(const certme::rlp::Item& i) {
  if (!i.is_list) return certme::rlp::EncodeBytes(i.bytes);
  std::vector<std::string> parts;
  for (const auto& c : i.items) parts.push_back(Reencode(c));
  return certme::rlp::EncodeList(parts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto answer = certme::ParseJsonRpcAnswer(in, 1);
  if (answer.ok()) {
    if (answer->error) {
      if (answer->error->data.size() > 2) {
        auto bytes = certme::HexDecode(std::string_view(answer->error->data).substr(2));
        if (bytes && certme::DecodeRegistryRevert(*bytes).ok()) std::abort();
      }
    } else {
      const auto& r = answer->result;
      (void)certme::ParseHexQuantity(r);
      (void)certme::ParseHexData(r, 1 << 20);
      if (r.is_array()) {
        for (const auto& log : r) (void)certme::DecodeRegistryLog(log);
      } else {
        (void)certme::DecodeRegistryLog(r);
      }
    }
  }
  if (certme::DecodeRegistryRevert(in).ok()) std::abort();
  auto item = certme::rlp::Decode(in);
  if (item.ok() && Reencode(*item) != in) std::abort();
  (void)certme::DecodeRawTransaction(in);
  return 0;
}
