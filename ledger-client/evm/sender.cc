#include "ledger-client/evm/sender.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_map>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/evm/codec.h"

namespace certme::evm {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

bool Contains(const std::string& s, const char* needle) {
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(needle) != std::string::npos;
}

}  // namespace

json CallObject(std::string_view from, std::string_view to, std::string_view data) {
  json o = {{"data", HexData(data)}};
  if (!from.empty()) o["from"] = HexData(from);
  if (!to.empty()) o["to"] = HexData(to);
  return o;
}

Status NodeRefusal(const std::string& what, const RpcError& e) {
  if (!e.data.empty() && e.data.size() > 2) {
    auto bytes = HexDecode(std::string_view(e.data).substr(2));
    if (bytes && bytes->size() >= 4) return DecodeRegistryRevert(*bytes);
  }
  // The registry reverts with a reason on every rule; only Solidity's ABI
  // decoder (a dirty address or uint8, a broken offset, an unknown
  // selector) reverts without one: malformed calldata, as the embedded
  // ledger's decoder calls it.
  if (e.message.find("revert") != std::string::npos)
    return LedgerError(LedgerErrorCode::kBadCalldata, "the registry's ABI decoder refused the call's arguments");
  return FailedPrecondition("the ledger node refused " + what + ": " + e.message.substr(0, 200),
                            "code " + std::to_string(e.code));
}

JsonRpcOptions RpcOptions(const EvmLedgerOptions& o) {
  JsonRpcOptions r;
  r.url = o.rpc_url;
  r.timeout = o.rpc_timeout;
  r.retries = o.rpc_retries;
  return r;
}

StatusOr<uint64_t> NodeChainId(JsonRpcClient& rpc, uint64_t expected) {
  CERTME_ASSIGN_OR_RETURN(json c, rpc.Result("eth_chainId", json::array()));
  CERTME_ASSIGN_OR_RETURN(uint64_t id, ParseHexQuantity(c));
  if (expected != 0 && id != expected)
    return FailedPrecondition("the ledger node serves chain " + std::to_string(id) + ", configured is " +
                              std::to_string(expected));
  return id;
}

StatusOr<Sender::Mined> Sender::Send(const EthKey& key, std::string_view to, std::string_view data) {
  // 1. Simulate: a refusal costs nothing and names its reason.
  CERTME_ASSIGN_OR_RETURN(RpcAnswer est, rpc_.Call("eth_estimateGas", json::array({CallObject(key.address(), to, data)})));
  if (est.error) return NodeRefusal("the transaction", *est.error);
  CERTME_ASSIGN_OR_RETURN(uint64_t gas, ParseHexQuantity(est.result));
  // Storage refunds and calldata-dependent paths: keep a margin.
  gas = gas + gas / 4 + 10000;

  EvmTransaction tx;
  tx.chain_id = chain_id_;
  tx.gas_limit = gas;
  tx.to = std::string(to);
  tx.data = std::string(data);
  CERTME_RETURN_IF_ERROR(SetFees(&tx));

  // 2. Nonce, sign and send under the sender's lock: the node's pending
  // count already includes every transaction sent before, in this
  // process or another.
  SignedEvmTransaction signed_tx;
  {
    std::mutex& mu = SenderLock(key.address());
    std::lock_guard<std::mutex> lock(mu);
    for (int attempt = 0;; ++attempt) {
      CERTME_ASSIGN_OR_RETURN(json n, rpc_.Result("eth_getTransactionCount",
                                                  json::array({HexData(key.address()), "pending"})));
      CERTME_ASSIGN_OR_RETURN(tx.nonce, ParseHexQuantity(n));
      signed_tx = SignEvmTransaction(key, tx);
      auto sent = rpc_.Call("eth_sendRawTransaction", json::array({HexData(signed_tx.raw)}));
      if (!sent.ok()) break;  // transport: the node may have it; the receipt wait resends
      if (!sent->error) break;
      const std::string& m = sent->error->message;
      if (Contains(m, "already known") || Contains(m, "known transaction")) break;
      if (Contains(m, "nonce") || Contains(m, "underpriced")) {
        // Either our own send got through before a retry of it (the
        // answer was lost in transit: the node now has, or already
        // mined, these very bytes), or another sender (process) took
        // this nonce first: only then sign again with the next one.
        if (IsKnown(signed_tx.hash)) break;
        if (attempt < 5) continue;
      }
      return NodeRefusal("the transaction", *sent->error);
    }
  }
  return WaitForReceipt(signed_tx);
}

StatusOr<Sender::Mined> Sender::WaitForReceipt(const SignedEvmTransaction& signed_tx) {
  const auto deadline = std::chrono::steady_clock::now() + o_.receipt_timeout;
  const std::string hash = Hex(abi::AsView(signed_tx.hash));
  auto pause = milliseconds(1);
  auto last_send = std::chrono::steady_clock::now();
  Status last = Status::Ok();
  for (;;) {
    auto r = rpc_.Call("eth_getTransactionReceipt", json::array({hash}));
    if (r.ok() && !r->error && r->result.is_object()) {
      Mined m;
      m.receipt = r->result;
      m.tx_hash = signed_tx.hash;
      CERTME_ASSIGN_OR_RETURN(m.block, ParseHexQuantity(m.receipt.value("blockNumber", json())));
      CERTME_ASSIGN_OR_RETURN(m.block_hash, ParseHexData(m.receipt.value("blockHash", json()), 32));
      CERTME_ASSIGN_OR_RETURN(uint64_t status, ParseHexQuantity(m.receipt.value("status", json())));
      m.success = status == 1;
      if (o_.confirmations == 0) return m;
      // Buried deep enough, and still in the chain we read it from.
      auto head = rpc_.Result("eth_blockNumber", json::array());
      if (head.ok()) {
        auto h = ParseHexQuantity(*head);
        if (h.ok() && *h >= m.block + o_.confirmations) {
          auto again = rpc_.Call("eth_getTransactionReceipt", json::array({hash}));
          if (again.ok() && !again->error && again->result.is_object() &&
              again->result.value("blockHash", json()) == m.receipt.value("blockHash", json()))
            return m;
        }
      }
    } else if (!r.ok()) {
      last = r.status();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (!last.ok()) return last;
      return DeadlineExceeded("transaction " + hash + " was not mined in time; it may still be");
    }
    // Not seen yet: the node may have lost it (restart, transport error
    // at send). Resending the same bytes cannot duplicate it.
    if (std::chrono::steady_clock::now() - last_send > std::chrono::seconds(2)) {
      (void)rpc_.Call("eth_sendRawTransaction", json::array({HexData(signed_tx.raw)}));
      last_send = std::chrono::steady_clock::now();
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<milliseconds>(pause * 2, std::chrono::duration_cast<milliseconds>(o_.poll_interval));
  }
}

bool Sender::IsKnown(const Bytes32& hash) {
  auto t = rpc_.Call("eth_getTransactionByHash", json::array({Hex(abi::AsView(hash))}));
  return t.ok() && !t->error && t->result.is_object();
}

Status Sender::SetFees(EvmTransaction* tx) {
  if (!o_.legacy_transactions) {
    CERTME_ASSIGN_OR_RETURN(json b, rpc_.Result("eth_getBlockByNumber", json::array({"latest", false})));
    CERTME_ASSIGN_OR_RETURN(BlockHeader h, ParseHeader(b));
    if (h.base_fee) {
      uint64_t tip = 0;
      if (o_.priority_fee_wei) {
        tip = *o_.priority_fee_wei;
      } else {
        auto t = rpc_.Result("eth_maxPriorityFeePerGas", json::array());
        if (t.ok()) {
          auto v = ParseHexQuantity(*t);
          if (v.ok()) tip = *v;
        }
      }
      tx->max_priority_fee_per_gas = tip;
      tx->max_fee_per_gas = 2 * *h.base_fee + tip;  // room for two full blocks of base-fee rise
      return Status::Ok();
    }
  }
  // EIP-155 fallback: chains without a base fee.
  tx->legacy = true;
  if (o_.priority_fee_wei && *o_.priority_fee_wei == 0) {
    tx->max_fee_per_gas = 0;
    return Status::Ok();
  }
  CERTME_ASSIGN_OR_RETURN(json p, rpc_.Result("eth_gasPrice", json::array()));
  CERTME_ASSIGN_OR_RETURN(tx->max_fee_per_gas, ParseHexQuantity(p));
  return Status::Ok();
}

std::mutex& Sender::SenderLock(const std::string& address) {
  static std::mutex map_mu;
  static std::unordered_map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> lock(map_mu);
  auto& m = locks[address];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

}  // namespace certme::evm
