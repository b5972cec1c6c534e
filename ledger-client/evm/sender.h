// The EVM backend's sender: transactions to the registry over JSON-RPC.
// A call is simulated (eth_estimateGas) so a refusal names its reason,
// priced (EIP-1559, or EIP-155 legacy on chains without a base fee),
// numbered from the node's pending count under a per-sender lock, signed,
// sent, and waited for until mined and buried under `confirmations` blocks;
// a transaction not seen is resent as the same bytes. Also the node helpers
// the backend shares with it (call objects, refusals, chain id).
//
// Thread-safe: one Sender may send for many threads (the per-sender locks
// are process-wide).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/evm_transaction.h"
#include "ledger-client/json_rpc.h"

namespace certme::evm {

// The `params[0]` of eth_call / eth_estimateGas; empty from/to are left out.
nlohmann::json CallObject(std::string_view from, std::string_view to, std::string_view data);

// The registry's refusal (its custom error), or the node's own
// (insufficient funds, …).
Status NodeRefusal(const std::string& what, const RpcError& e);

JsonRpcOptions RpcOptions(const EvmLedgerOptions& o);

// The node's chain id; FailedPrecondition when `expected` (non-zero) differs.
StatusOr<uint64_t> NodeChainId(JsonRpcClient& rpc, uint64_t expected);

// A one-ledger-independent sender of transactions (used by Deploy too).
// REQUIRES: `rpc` and `o` outlive it.
class Sender {
 public:
  Sender(JsonRpcClient& rpc, const EvmLedgerOptions& o, uint64_t chain_id) : rpc_(rpc), o_(o), chain_id_(chain_id) {}

  struct Mined {
    nlohmann::json receipt;
    uint64_t block = 0;
    std::string block_hash;
    Bytes32 tx_hash{};
    bool success = false;
  };

  // Simulates, signs, sends and waits for the receipt. `to` empty = create.
  StatusOr<Mined> Send(const EthKey& key, std::string_view to, std::string_view data);
  StatusOr<Mined> WaitForReceipt(const SignedEvmTransaction& signed_tx);

 private:
  bool IsKnown(const Bytes32& hash);
  Status SetFees(EvmTransaction* tx);
  static std::mutex& SenderLock(const std::string& address);

  JsonRpcClient& rpc_;
  const EvmLedgerOptions& o_;
  uint64_t chain_id_;
};

}  // namespace certme::evm
