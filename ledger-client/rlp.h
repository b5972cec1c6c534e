// Recursive Length Prefix encoding (Ethereum Yellow Paper, appendix B), the
// serialization of Ethereum transactions. The decoder reads untrusted bytes
// (raw transactions from a node): it is strict (canonical lengths only, no
// leading zeros in lengths, single bytes below 0x80 never wrapped), bounds
// nesting, and never reads past the input (fuzzed: tests/fuzz/evm_rpc_fuzz.cc).
//
// Stateless; safe for concurrent use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme::rlp {

// A byte string item.
std::string EncodeBytes(std::string_view bytes);
// An unsigned integer: big-endian, no leading zeros (0 is the empty string).
std::string EncodeUint(uint64_t v);
// A big-endian integer given as bytes: leading zeros are stripped first.
std::string EncodeBigEndian(std::string_view bytes);
// A list of already encoded items.
std::string EncodeList(const std::vector<std::string>& encoded_items);

struct Item {
  bool is_list = false;
  std::string bytes;        // when !is_list
  std::vector<Item> items;  // when is_list
};

inline constexpr size_t kMaxDepth = 16;

// Decodes exactly one item that spans all of `data`.
StatusOr<Item> Decode(std::string_view data);
// An integer item: at most 8 bytes, no leading zero.
StatusOr<uint64_t> ToUint(const Item& item);

}  // namespace certme::rlp
