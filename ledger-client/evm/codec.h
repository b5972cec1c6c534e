// The EVM backend's codec: the CertMeRegistry's ABI as the backend speaks
// it, with no I/O. Calldata of the views, decoding of their results, of the
// registry's events (logs) and of its custom-error reverts, and of the block
// headers the node sends. Every decoder reads untrusted bytes and bounds
// what it accepts. The public decoders (DecodeRegistryRevert,
// DecodeRegistryLog) are declared in ledger-client/evm_ledger.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ledger-client/ledger.h"

namespace certme::evm {

// Arrays the registry returns grow by updates; bound what we accept.
inline constexpr size_t kMaxReturnedItems = 4096;

// "0x" + hex; an address in its checksummed form (hex when not 20 bytes).
std::string Hex(std::string_view b);
std::string Addr(std::string_view a);

// Calldata of a view without arguments, and of one taking an address.
std::string Call0(const char* signature);
std::string CallAddress(const char* signature, std::string_view a);

// Results of the registry's views (eth_call return data).
StatusOr<bool> DecodeBool(const std::string& r);
// getEid(user); an eID with status none comes back empty but for `user`.
StatusOr<EidRecord> DecodeEid(std::string_view user, const std::string& r);
// eidStatus(user).
StatusOr<EidStatus> DecodeEidStatus(const std::string& r);
// getRequest(id).
StatusOr<ValidationRequest> DecodeRequest(uint64_t id, const std::string& r);
// openRequestIds(validator, start, count): at most max_items entries.
StatusOr<std::vector<OpenRequestEntry>> DecodeOpenRequestPage(const std::string& r, size_t max_items);

// The fields of a block (eth_getBlockByNumber) the backend uses.
struct BlockHeader {
  uint64_t number = 0;
  std::string hash;  // 32 bytes
  int64_t timestamp = 0;
  std::optional<uint64_t> base_fee;
};
StatusOr<BlockHeader> ParseHeader(const nlohmann::json& b);

}  // namespace certme::evm
