// Ethereum transactions as the EVM ledger backend sends them: EIP-1559
// (type 2, the default) and EIP-155 legacy ones (for chains without a base
// fee), RLP-serialized and signed with the sender's secp256k1 key.
//
// Stateless; safe for concurrent use. DecodeRawTransaction reads untrusted
// bytes (fuzzed: tests/fuzz/evm_rpc_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

struct EvmTransaction {
  bool legacy = false;  // EIP-155 instead of EIP-1559
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  uint64_t max_priority_fee_per_gas = 0;  // EIP-1559
  uint64_t max_fee_per_gas = 0;           // EIP-1559; legacy: the gas price
  uint64_t gas_limit = 0;
  std::string to;  // 20 bytes; empty = contract creation
  uint64_t value = 0;
  std::string data;
};

struct SignedEvmTransaction {
  std::string raw;  // what eth_sendRawTransaction takes
  Bytes32 hash{};   // keccak256(raw): the transaction hash
};

SignedEvmTransaction SignEvmTransaction(const EthKey& sender, const EvmTransaction& tx);

struct DecodedEvmTransaction {
  EvmTransaction tx;
  std::string from;  // 20 bytes, recovered from the signature
  Bytes32 hash{};
};
// Parses a raw type-2 or legacy (EIP-155) transaction and recovers its
// sender. Refuses other types, non-canonical RLP and malformed signatures.
StatusOr<DecodedEvmTransaction> DecodeRawTransaction(std::string_view raw);

}  // namespace certme
