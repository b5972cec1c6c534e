#include "ledger-client/evm_ledger.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/evm_transaction.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// Arrays the registry returns grow by updates; bound what we accept.
constexpr size_t kMaxReturnedItems = 4096;
// Memory bound of the status cache (about 100 bytes an entry).
constexpr size_t kMaxCachedStatuses = 1000000;

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }
std::string Addr(std::string_view a) { return a.size() == 20 ? ChecksumAddress(a) : Hex(a); }

// ---------------------------------------------------------------- errors

struct ErrorInfo {
  const char* signature;
  LedgerErrorCode code;
};

constexpr ErrorInfo kErrors[] = {
    {"NotAuthorized()", LedgerErrorCode::kNotAuthorized},
    {"NotEnrollingValidator()", LedgerErrorCode::kNotEnrollingValidator},
    {"NoConsent()", LedgerErrorCode::kNoConsent},
    {"BadSignature()", LedgerErrorCode::kBadSignature},
    {"EidNotActive(uint8)", LedgerErrorCode::kEidNotActive},
    {"NoEid(address)", LedgerErrorCode::kNoEid},
    {"EidExists(address)", LedgerErrorCode::kEidExists},
    {"NotSuspended(uint8)", LedgerErrorCode::kNotSuspended},
    {"Expired()", LedgerErrorCode::kExpired},
    {"AlreadyAnswered(uint256)", LedgerErrorCode::kAlreadyAnswered},
    {"NonceUsed()", LedgerErrorCode::kNonceUsed},
    {"UnknownRequest(uint256)", LedgerErrorCode::kUnknownRequest},
    {"UnknownAttribute(bytes32)", LedgerErrorCode::kUnknownAttribute},
    {"DuplicateAttribute()", LedgerErrorCode::kDuplicateAttribute},
    {"EmptyAttributes()", LedgerErrorCode::kEmptyAttributes},
    {"LengthMismatch()", LedgerErrorCode::kLengthMismatch},
    {"InvalidLoa()", LedgerErrorCode::kInvalidLoa},
    {"CommitmentMismatch(bytes32)", LedgerErrorCode::kCommitmentMismatch},
    {"AlreadyAuthorized(address)", LedgerErrorCode::kAlreadyAuthorized},
    {"NotListed(address)", LedgerErrorCode::kNotListed},
    {"ZeroAddress()", LedgerErrorCode::kZeroAddress},
    {"BadCalldata()", LedgerErrorCode::kBadCalldata},
};

std::string StatusText(uint64_t s) {
  return s <= 3 ? EidStatusName(static_cast<EidStatus>(s)) : "in an unknown state";
}

// The human half of the error, built from its arguments.
std::string ErrorDetail(LedgerErrorCode code, abi::Decoder& d) {
  auto addr = [&] {
    auto a = d.Address();
    return a.ok() ? Addr(*a) : std::string("the account");
  };
  auto word = [&] {
    auto w = d.Fixed();
    return w.ok() ? Hex(abi::AsView(*w)) : std::string("?");
  };
  auto number = [&] {
    auto n = d.Uint64();
    return n.ok() ? std::to_string(*n) : std::string("?");
  };
  switch (code) {
    case LedgerErrorCode::kNotAuthorized: return "the sender lacks the role this call needs";
    case LedgerErrorCode::kNotEnrollingValidator: return "this eID was enrolled by another validator";
    case LedgerErrorCode::kNoConsent: return "no consent signature";
    case LedgerErrorCode::kBadSignature:
      return "consent is not signed by the user for this provider, attributes, nonce, expiry and registry";
    case LedgerErrorCode::kEidNotActive: {
      auto s = d.Uint8();
      return "the eID is " + (s.ok() ? StatusText(*s) : std::string("not active"));
    }
    case LedgerErrorCode::kNoEid: return addr() + " has no eID";
    case LedgerErrorCode::kEidExists: return addr() + " already holds an eID";
    case LedgerErrorCode::kNotSuspended: {
      auto s = d.Uint8();
      return "the eID is " + (s.ok() ? StatusText(*s) : std::string("not suspended"));
    }
    case LedgerErrorCode::kExpired: return "the consent or request expired";
    case LedgerErrorCode::kAlreadyAnswered: return "request " + number() + " was already answered";
    case LedgerErrorCode::kNonceUsed: return "this consent was already used";
    case LedgerErrorCode::kUnknownRequest: return "no validation request " + number();
    case LedgerErrorCode::kUnknownAttribute: return "the eID holds no commitment for attribute key " + word();
    case LedgerErrorCode::kDuplicateAttribute: return "an attribute key repeats";
    case LedgerErrorCode::kEmptyAttributes: return "no attributes given";
    case LedgerErrorCode::kLengthMismatch: return "one commitment per attribute";
    case LedgerErrorCode::kInvalidLoa: return "level of assurance out of range";
    case LedgerErrorCode::kCommitmentMismatch:
      return "answer for attribute key " + word() + " differs from the eID's commitment";
    case LedgerErrorCode::kAlreadyAuthorized: return addr() + " is already authorized";
    case LedgerErrorCode::kNotListed: return addr() + " is not authorized";
    case LedgerErrorCode::kZeroAddress: return "account is the zero address";
    case LedgerErrorCode::kBadCalldata: return "malformed call (too many attributes or a signature over 65 bytes)";
    default: return "refused";
  }
}

// ---------------------------------------------------------------- events

struct EventInfo {
  const char* signature;
  EventKind kind;
};

constexpr EventInfo kEvents[] = {
    {"RegistryCreated(address)", EventKind::kRegistryCreated},
    {"ValidatorAdded(address,address)", EventKind::kValidatorAdded},
    {"ValidatorRemoved(address,address)", EventKind::kValidatorRemoved},
    {"ProviderAdded(address,address)", EventKind::kProviderAdded},
    {"ProviderRemoved(address,address)", EventKind::kProviderRemoved},
    {"EidIssued(address,address,uint8,bytes32[],bytes32[])", EventKind::kEidIssued},
    {"AttributesUpdated(address,address,bytes32[],bytes32[])", EventKind::kAttributesUpdated},
    {"EidStatusChanged(address,address,address,uint8)", EventKind::kEidStatusChanged},
    {"ValidationRequested(address,address,address,uint256,bytes32[],uint256)", EventKind::kValidationRequested},
    {"ValidationAnswered(address,address,address,uint256,bytes32[],bytes32[],uint8,uint256)",
     EventKind::kValidationAnswered},
};

const std::vector<std::pair<Bytes32, EventKind>>& EventTopics() {
  static const auto* kTopics = [] {
    auto* v = new std::vector<std::pair<Bytes32, EventKind>>();
    for (const auto& e : kEvents) v->push_back({Keccak256(e.signature), e.kind});
    return v;
  }();
  return *kTopics;
}

StatusOr<std::string> TopicAddress(const json& topics, size_t i) {
  if (!topics.is_array() || topics.size() <= i) return InvalidArgument("registry log lacks a topic");
  CERTME_ASSIGN_OR_RETURN(std::string w, ParseHexData(topics[i], 32));
  if (w.size() != 32 || w.find_first_not_of('\0') < 12) return InvalidArgument("registry log topic is not an address");
  return w.substr(12);
}

#define CERTME_SET(lhs, expr)                     \
  do {                                            \
    auto _v = (expr);                             \
    if (!_v.ok()) return _v.status();             \
    lhs = std::move(_v).value();                  \
  } while (0)

// ---------------------------------------------------------------- views

std::string Call0(const char* signature) { return abi::Selector(signature); }
std::string CallAddress(const char* signature, std::string_view a) {
  return abi::Selector(signature) + abi::Encoder().Address(a).Encode();
}

// ---------------------------------------------------------------- node helpers

json CallObject(std::string_view from, std::string_view to, std::string_view data) {
  json o = {{"data", HexData(data)}};
  if (!from.empty()) o["from"] = HexData(from);
  if (!to.empty()) o["to"] = HexData(to);
  return o;
}

struct BlockHeader {
  uint64_t number = 0;
  std::string hash;  // 32 bytes
  int64_t timestamp = 0;
  std::optional<uint64_t> base_fee;
};

StatusOr<BlockHeader> ParseHeader(const json& b) {
  if (!b.is_object()) return InvalidArgument("ledger node sent no block");
  BlockHeader h;
  CERTME_ASSIGN_OR_RETURN(h.number, ParseHexQuantity(b.value("number", json())));
  CERTME_ASSIGN_OR_RETURN(h.hash, ParseHexData(b.value("hash", json()), 32));
  CERTME_ASSIGN_OR_RETURN(uint64_t t, ParseHexQuantity(b.value("timestamp", json())));
  h.timestamp = static_cast<int64_t>(std::min<uint64_t>(t, INT64_MAX));
  if (b.contains("baseFeePerGas") && !b["baseFeePerGas"].is_null()) {
    CERTME_ASSIGN_OR_RETURN(uint64_t f, ParseHexQuantity(b["baseFeePerGas"]));
    h.base_fee = f;
  }
  return h;
}

// The registry's refusal, or the node's own (insufficient funds, …).
Status NodeRefusal(const std::string& what, const RpcError& e) {
  if (!e.data.empty() && e.data.size() > 2) {
    auto bytes = HexDecode(std::string_view(e.data).substr(2));
    if (bytes && bytes->size() >= 4) return DecodeRegistryRevert(*bytes);
  }
  if (e.message.find("revert") != std::string::npos)
    return Internal("the registry refused the call without a reason", e.message);
  return FailedPrecondition("the ledger node refused " + what + ": " + e.message.substr(0, 200),
                            "code " + std::to_string(e.code));
}

bool Contains(const std::string& s, const char* needle) {
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(needle) != std::string::npos;
}

// A one-ledger-independent sender of transactions (used by Deploy too).
class Sender {
 public:
  Sender(JsonRpcClient& rpc, const EvmLedgerOptions& o, uint64_t chain_id) : rpc_(rpc), o_(o), chain_id_(chain_id) {}

  struct Mined {
    json receipt;
    uint64_t block = 0;
    std::string block_hash;
    Bytes32 tx_hash{};
    bool success = false;
  };

  // Simulates, signs, sends and waits for the receipt. `to` empty = create.
  StatusOr<Mined> Send(const EthKey& key, std::string_view to, std::string_view data) {
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

  StatusOr<Mined> WaitForReceipt(const SignedEvmTransaction& signed_tx) {
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

 private:
  bool IsKnown(const Bytes32& hash) {
    auto t = rpc_.Call("eth_getTransactionByHash", json::array({Hex(abi::AsView(hash))}));
    return t.ok() && !t->error && t->result.is_object();
  }

  Status SetFees(EvmTransaction* tx) {
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

  static std::mutex& SenderLock(const std::string& address) {
    static std::mutex map_mu;
    static std::unordered_map<std::string, std::unique_ptr<std::mutex>> locks;
    std::lock_guard<std::mutex> lock(map_mu);
    auto& m = locks[address];
    if (!m) m = std::make_unique<std::mutex>();
    return *m;
  }

  JsonRpcClient& rpc_;
  const EvmLedgerOptions& o_;
  uint64_t chain_id_;
};

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

// ---------------------------------------------------------------- the backend

class EvmLedgerImpl final : public EvmLedger {
 public:
  EvmLedgerImpl(EvmLedgerOptions o, uint64_t chain_id, std::string admin)
      : o_(std::move(o)), rpc_(RpcOptions(o_)), sender_(rpc_, o_, chain_id), chain_id_(chain_id),
        admin_(std::move(admin)) {
    synced_to_ = o_.from_block == 0 ? 0 : o_.from_block - 1;
  }

  ~EvmLedgerImpl() override {
    {
      std::lock_guard<std::mutex> lock(wait_mu_);
      stopping_ = true;
    }
    wait_cv_.notify_all();
    if (poller_.joinable()) poller_.join();
  }

  uint64_t ChainId() const override { return chain_id_; }
  std::string RegistryAddress() const override { return o_.registry; }
  uint64_t RetractedEvents() override { return retracted_.load(); }

  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    CERTME_ASSIGN_OR_RETURN(Sender::Mined m, sender_.Send(sender, o_.registry, calldata));
    if (!m.success) {
      // Lost a race after the simulation: replay it at its block to name why.
      auto replay = rpc_.Call("eth_call", json::array({CallObject(sender.address(), o_.registry, calldata),
                                                       HexQuantity(m.block)}));
      if (replay.ok() && replay->error) return NodeRefusal("the transaction", *replay->error);
      return Internal("the transaction reverted on chain", Hex(abi::AsView(m.tx_hash)));
    }
    TxReceipt out;
    out.block = m.block;
    out.tx_hash = m.tx_hash;
    CERTME_ASSIGN_OR_RETURN(BlockHeader h, Header(m.block));
    const json& logs = m.receipt.value("logs", json::array());
    uint32_t index = 0;
    for (const auto& log : logs) {
      if (!IsOurs(log)) continue;
      CERTME_ASSIGN_OR_RETURN(LedgerEvent e, DecodeRegistryLog(log));
      e.block = m.block;
      e.index = index++;
      e.time = h.timestamp;
      out.events.push_back(std::move(e));
    }
    if (o_.cache_eid_status) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      for (const auto& e : out.events)
        if (e.kind == EventKind::kEidIssued || e.kind == EventKind::kEidStatusChanged) status_cache_.erase(e.user);
      ++cache_epoch_;
    }
    NotifyWaiters();
    return out;
  }

  // ---- views ----
  StatusOr<std::string> Admin() override { return admin_; }

  StatusOr<bool> IsValidator(std::string_view account) override {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(CallAddress("isValidator(address)", account)));
    return DecodeBool(r);
  }
  StatusOr<bool> IsProvider(std::string_view account) override {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(CallAddress("isProvider(address)", account)));
    return DecodeBool(r);
  }

  StatusOr<EidRecord> GetEid(std::string_view user) override {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(CallAddress("getEid(address)", user)));
    abi::Decoder d(r);
    EidRecord e;
    e.user = std::string(user);
    CERTME_SET(e.validator, d.Address());
    uint8_t status = 0;
    CERTME_SET(status, d.Uint8());
    if (status > 3) return Internal("the registry returned an unknown eID status");
    e.status = static_cast<EidStatus>(status);
    CERTME_SET(e.loa, d.Uint8());
    uint64_t t = 0;
    CERTME_SET(t, d.Uint64());
    e.issued_at = static_cast<int64_t>(t);
    CERTME_SET(t, d.Uint64());
    e.updated_at = static_cast<int64_t>(t);
    CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxReturnedItems));
    CERTME_SET(e.commitments, d.Bytes32Array(kMaxReturnedItems));
    if (e.status == EidStatus::kNone) {
      EidRecord none;
      none.user = e.user;
      return none;
    }
    return e;
  }

  StatusOr<EidStatus> GetEidStatus(std::string_view user) override {
    uint64_t epoch = 0;
    bool fresh = false;
    if (o_.cache_eid_status) {
      StartPoller();
      fresh = SteadyMs() < cache_fresh_until_ms_.load();
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (fresh) {
        auto it = status_cache_.find(std::string(user));
        if (it != status_cache_.end()) return it->second;
      }
      epoch = cache_epoch_;
    }
    CERTME_ASSIGN_OR_RETURN(std::string r, View(CallAddress("eidStatus(address)", user)));
    abi::Decoder d(r);
    CERTME_ASSIGN_OR_RETURN(uint8_t s, d.Uint8());
    if (s > 3) return Internal("the registry returned an unknown eID status");
    if (fresh) {
      // Only if nothing was invalidated while the node was asked: the
      // answer could predate an event the watcher has just applied.
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (epoch == cache_epoch_ && status_cache_.size() < kMaxCachedStatuses)
        status_cache_[std::string(user)] = static_cast<EidStatus>(s);
    }
    return static_cast<EidStatus>(s);
  }

  StatusOr<ValidationRequest> GetRequest(uint64_t id) override {
    CERTME_ASSIGN_OR_RETURN(std::string r,
                            View(abi::Selector("getRequest(uint256)") + abi::Encoder().Uint(id).Encode()));
    abi::Decoder d(r);
    ValidationRequest q;
    q.id = id;
    CERTME_SET(q.provider, d.Address());
    CERTME_SET(q.user, d.Address());
    CERTME_SET(q.validator, d.Address());
    uint8_t status = 0;
    CERTME_SET(status, d.Uint8());
    if (status != 1 && status != 2) return Internal("the registry returned an unknown request status");
    q.status = static_cast<RequestStatus>(status);
    CERTME_SET(q.loa, d.Uint8());
    CERTME_SET(q.nonce, d.Fixed());
    uint64_t t = 0;
    CERTME_SET(t, d.Uint64());
    q.expiry = static_cast<int64_t>(t);
    CERTME_SET(t, d.Uint64());
    q.requested_at = static_cast<int64_t>(t);
    CERTME_SET(t, d.Uint64());
    q.answered_at = static_cast<int64_t>(t);
    CERTME_SET(q.attr_keys, d.Bytes32Array(kMaxReturnedItems));
    CERTME_SET(q.commitments, d.Bytes32Array(kMaxReturnedItems));
    return q;
  }

  StatusOr<bool> IsConsentNonceUsed(std::string_view user, const Bytes32& nonce) override {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(abi::Selector("isConsentNonceUsed(address,bytes32)") +
                                                abi::Encoder().Address(user).Fixed(nonce).Encode()));
    return DecodeBool(r);
  }

  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) override {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(CallAddress("openRequestIds(address)", validator)));
    abi::Decoder d(r);
    std::vector<Bytes32> words;
    CERTME_SET(words, d.Bytes32Array(kMaxReturnedItems));
    const int64_t now = Now();
    std::vector<ValidationRequest> out;
    for (const auto& w : words) {
      abi::Decoder one(abi::AsView(w));
      CERTME_ASSIGN_OR_RETURN(uint64_t id, one.Uint64());
      CERTME_ASSIGN_OR_RETURN(ValidationRequest q, GetRequest(id));
      if (q.status == RequestStatus::kOpen && now < q.expiry) out.push_back(std::move(q));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& filter) override {
    CERTME_RETURN_IF_ERROR(SyncEvents());
    std::lock_guard<std::mutex> lock(events_mu_);
    std::vector<LedgerEvent> out;
    // events_ is in block order: skip straight past filter.after_block
    // (waiters ask for what is new; the log only grows).
    auto it = std::upper_bound(events_.begin(), events_.end(), filter.after_block,
                               [](uint64_t block, const LedgerEvent& e) { return block < e.block; });
    for (; it != events_.end(); ++it)
      if (EventMatches(filter, *it)) out.push_back(*it);
    return out;
  }

  StatusOr<uint64_t> BlockNumber() override {
    CERTME_ASSIGN_OR_RETURN(json n, rpc_.Result("eth_blockNumber", json::array()));
    return ParseHexQuantity(n);
  }

  int64_t Now() const override {
    auto b = const_cast<JsonRpcClient&>(rpc_).Result("eth_getBlockByNumber", json::array({"latest", false}));
    if (b.ok()) {
      auto h = ParseHeader(*b);
      if (h.ok()) {
        last_time_.store(h->timestamp);
        return h->timestamp;
      }
    }
    return last_time_.load();
  }

  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& filter, Duration timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    StartPoller();
    for (;;) {
      uint64_t seen;
      {
        std::lock_guard<std::mutex> lock(wait_mu_);
        seen = wake_count_;
      }
      CERTME_ASSIGN_OR_RETURN(auto events, Events(filter));
      if (!events.empty()) return events;
      std::unique_lock<std::mutex> lock(wait_mu_);
      ++waiters_;
      const bool woken = wait_cv_.wait_until(lock, deadline, [&] { return wake_count_ != seen || stopping_; });
      --waiters_;
      if (!woken || stopping_) return std::vector<LedgerEvent>{};
    }
  }

  // Reads the registry's first events to learn its admin; checks the code.
  Status Load() {
    CERTME_ASSIGN_OR_RETURN(json code, rpc_.Result("eth_getCode", json::array({HexData(o_.registry), "latest"})));
    CERTME_ASSIGN_OR_RETURN(std::string bytes, ParseHexData(code, 1 << 20));
    if (bytes.empty())
      return FailedPrecondition("no contract at " + Addr(o_.registry) + " on chain " + std::to_string(chain_id_) +
                                " (wrong registry address, or not deployed yet)");
    CERTME_ASSIGN_OR_RETURN(std::string r, View(Call0("admin()")));
    abi::Decoder d(r);
    auto admin = d.Address();
    if (!admin.ok()) return FailedPrecondition("the contract at " + Addr(o_.registry) + " is not a certME registry");
    admin_ = *admin;
    return Status::Ok();
  }

 private:
  StatusOr<std::string> View(const std::string& calldata) {
    CERTME_ASSIGN_OR_RETURN(RpcAnswer a, rpc_.Call("eth_call", json::array({CallObject("", o_.registry, calldata), "latest"})));
    if (a.error) return NodeRefusal("a registry read", *a.error);
    auto r = ParseHexData(a.result, 1 << 20);
    if (!r.ok()) return Internal("the ledger node sent a malformed answer", r.status().message());
    return r;
  }

  static StatusOr<bool> DecodeBool(const std::string& r) {
    abi::Decoder d(r);
    CERTME_ASSIGN_OR_RETURN(uint8_t b, d.Uint8());
    if (b > 1) return Internal("the registry returned a malformed boolean");
    return b == 1;
  }

  bool IsOurs(const json& log) const {
    auto a = ParseHexData(log.value("address", json()), 20);
    return a.ok() && *a == o_.registry;
  }

  StatusOr<BlockHeader> Header(uint64_t number) {
    CERTME_ASSIGN_OR_RETURN(json b, rpc_.Result("eth_getBlockByNumber", json::array({HexQuantity(number), false})));
    if (b.is_null()) return NotFound("block " + std::to_string(number) + " is not (or no longer) on the chain");
    return ParseHeader(b);
  }

  // Brings events_ up to the head minus the confirmations, retracting the
  // events of blocks a reorg dropped. One sync at a time.
  Status SyncEvents() {
    std::lock_guard<std::mutex> sync_lock(sync_mu_);
    CERTME_ASSIGN_OR_RETURN(uint64_t head, BlockNumber());
    const uint64_t target = head >= o_.confirmations ? head - o_.confirmations : 0;
    CERTME_RETURN_IF_ERROR(CheckForReorg(target));
    while (synced_to_ < target) {
      const uint64_t from = synced_to_ + 1;
      const uint64_t to = std::min(target, from + o_.log_block_range - 1);
      json filter = {{"address", HexData(o_.registry)}, {"fromBlock", HexQuantity(from)}, {"toBlock", HexQuantity(to)}};
      CERTME_ASSIGN_OR_RETURN(json logs, rpc_.Result("eth_getLogs", json::array({filter})));
      if (!logs.is_array()) return Internal("the ledger node sent malformed logs");
      std::vector<LedgerEvent> batch;
      std::map<uint64_t, std::string> hashes;  // block → hash the logs came from
      std::map<std::string, uint32_t> per_tx;
      for (const auto& log : logs) {
        if (log.value("removed", false) || !IsOurs(log)) continue;
        CERTME_ASSIGN_OR_RETURN(LedgerEvent e, DecodeRegistryLog(log));
        CERTME_ASSIGN_OR_RETURN(e.block, ParseHexQuantity(log.value("blockNumber", json())));
        CERTME_ASSIGN_OR_RETURN(std::string bh, ParseHexData(log.value("blockHash", json()), 32));
        auto [it, fresh] = hashes.emplace(e.block, bh);
        if (!fresh && it->second != bh) return Unavailable("the chain changed while reading events; retry");
        e.index = per_tx[log.value("transactionHash", std::string())]++;
        batch.push_back(std::move(e));
      }
      // Timestamps and the canonical hash of every block with events, and
      // of the range's last block (the reorg check's anchor).
      hashes.emplace(to, std::string());
      std::map<uint64_t, BlockHeader> headers;
      for (auto& [number, hash] : hashes) {
        CERTME_ASSIGN_OR_RETURN(BlockHeader h, Header(number));
        if (!hash.empty() && h.hash != hash) return Unavailable("the chain changed while reading events; retry");
        headers[number] = h;
      }
      for (auto& e : batch) e.time = headers[e.block].timestamp;
      {
        std::lock_guard<std::mutex> lock(events_mu_);
        for (auto& e : batch) events_.push_back(std::move(e));
        for (auto& [number, h] : headers) block_hashes_[number] = h.hash;
        // Keep the anchors of the last 1,024 blocks: deeper reorgs than
        // that are not something a registry can follow.
        while (block_hashes_.size() > 1024) block_hashes_.erase(block_hashes_.begin());
      }
      synced_to_ = to;
    }
    return Status::Ok();
  }

  // REQUIRES: sync_mu_ held.
  Status CheckForReorg(uint64_t target) {
    for (;;) {
      uint64_t number;
      std::string hash;
      {
        std::lock_guard<std::mutex> lock(events_mu_);
        if (block_hashes_.empty()) return Status::Ok();
        auto last = std::prev(block_hashes_.end());
        number = last->first;
        hash = last->second;
      }
      if (number <= target) {
        auto h = Header(number);
        if (h.ok() && h->hash == hash) return Status::Ok();
        if (!h.ok() && h.status().code() != StatusCode::kNotFound) return h.status();
      }
      // The anchor was dropped (or the chain is now shorter): retract its
      // events and everything after, and look one anchor further back.
      std::lock_guard<std::mutex> lock(events_mu_);
      const uint64_t before = events_.size();
      events_.erase(std::remove_if(events_.begin(), events_.end(), [&](const LedgerEvent& e) { return e.block >= number; }),
                    events_.end());
      retracted_ += before - events_.size();
      block_hashes_.erase(number);
      synced_to_ = number == 0 ? 0 : number - 1;
      if (block_hashes_.empty()) synced_to_ = std::min(synced_to_, o_.from_block == 0 ? 0 : o_.from_block - 1);
    }
  }

  void NotifyWaiters() {
    {
      std::lock_guard<std::mutex> lock(wait_mu_);
      ++wake_count_;
    }
    wait_cv_.notify_all();
  }

  void StartPoller() {
    std::lock_guard<std::mutex> lock(wait_mu_);
    if (poller_started_) return;
    poller_started_ = true;
    poller_ = std::thread([this] { Poll(); });
  }

  static int64_t SteadyMs() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  // Applies the events read since the last call to the status cache: the
  // users whose status may have changed are dropped; after a reorg, all.
  void RefreshCache() {
    if (!SyncEvents().ok()) return;  // reads go to the node until it answers again
    {
      std::lock_guard<std::mutex> events_lock(events_mu_);
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (retracted_.load() != cache_retracted_seen_ || events_.size() < cache_applied_) {
        status_cache_.clear();
        cache_retracted_seen_ = retracted_.load();
        cache_applied_ = events_.size();
        ++cache_epoch_;
      }
      for (; cache_applied_ < events_.size(); ++cache_applied_) {
        const LedgerEvent& e = events_[cache_applied_];
        if (e.kind == EventKind::kEidIssued || e.kind == EventKind::kEidStatusChanged) {
          status_cache_.erase(e.user);
          ++cache_epoch_;
        }
      }
    }
    MarkCacheFresh();
  }

  void MarkCacheFresh() {
    const auto interval = std::chrono::duration_cast<milliseconds>(o_.poll_interval).count();
    cache_fresh_until_ms_.store(SteadyMs() + 2 * interval + 50);
  }

  // Wakes waiters when the head moves (the node pushes nothing over HTTP),
  // and keeps the status cache current.
  void Poll() {
    uint64_t last = 0;
    bool first = true;
    std::unique_lock<std::mutex> lock(wait_mu_);
    while (!stopping_) {
      if (waiters_ > 0 || o_.cache_eid_status) {
        lock.unlock();
        auto n = BlockNumber();
        const bool moved = n.ok() && (*n != last || first);
        if (n.ok() && o_.cache_eid_status) {
          if (moved) {
            RefreshCache();
          } else {
            MarkCacheFresh();
          }
        }
        lock.lock();
        if (moved) {
          last = *n;
          first = false;
          ++wake_count_;
          wait_cv_.notify_all();
        }
      }
      wait_cv_.wait_for(lock, o_.poll_interval, [&] { return stopping_; });
    }
  }

  const EvmLedgerOptions o_;
  JsonRpcClient rpc_;
  Sender sender_;
  const uint64_t chain_id_;
  std::string admin_;
  mutable std::atomic<int64_t> last_time_{0};
  std::atomic<uint64_t> retracted_{0};

  std::mutex sync_mu_;
  uint64_t synced_to_ = 0;  // GUARDED_BY(sync_mu_)
  std::mutex events_mu_;
  std::vector<LedgerEvent> events_;              // GUARDED_BY(events_mu_), chain order
  std::map<uint64_t, std::string> block_hashes_;  // GUARDED_BY(events_mu_)

  std::mutex cache_mu_;
  std::unordered_map<std::string, EidStatus> status_cache_;  // GUARDED_BY(cache_mu_)
  uint64_t cache_epoch_ = 0;           // GUARDED_BY(cache_mu_): bumps on every invalidation
  size_t cache_applied_ = 0;           // GUARDED_BY(cache_mu_): events_ applied so far
  uint64_t cache_retracted_seen_ = 0;  // GUARDED_BY(cache_mu_)
  std::atomic<int64_t> cache_fresh_until_ms_{0};

  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  uint64_t wake_count_ = 0;  // GUARDED_BY(wait_mu_)
  int waiters_ = 0;          // GUARDED_BY(wait_mu_)
  bool stopping_ = false;    // GUARDED_BY(wait_mu_)
  bool poller_started_ = false;
  std::thread poller_;
};

}  // namespace

Status DecodeRegistryRevert(std::string_view data) {
  static const auto* kSelectors = [] {
    auto* m = new std::unordered_map<std::string, LedgerErrorCode>();
    for (const auto& e : kErrors) (*m)[abi::Selector(e.signature)] = e.code;
    return m;
  }();
  if (data.size() < 4) return Internal("the registry refused the call without a reason");
  auto it = kSelectors->find(std::string(data.substr(0, 4)));
  if (it == kSelectors->end()) {
    // Error(string) from a require, Panic(uint256): not the registry's words.
    return Internal("the registry refused the call for an unexpected reason", Hex(data.substr(0, 4)));
  }
  abi::Decoder d(data.substr(4));
  return LedgerError(it->second, ErrorDetail(it->second, d));
}

StatusOr<LedgerEvent> DecodeRegistryLog(const json& log) {
  if (!log.is_object()) return InvalidArgument("registry log is not an object");
  const json topics = log.value("topics", json());
  if (!topics.is_array() || topics.empty() || topics.size() > 4) return InvalidArgument("registry log without topics");
  CERTME_ASSIGN_OR_RETURN(std::string t0, ParseHexData(topics[0], 32));
  std::optional<EventKind> kind;
  for (const auto& [topic, k] : EventTopics())
    if (abi::AsView(topic) == t0) kind = k;
  if (!kind) return InvalidArgument("not a registry event");
  CERTME_ASSIGN_OR_RETURN(std::string data, ParseHexData(log.value("data", json()), 1 << 20));
  abi::Decoder d(data);
  LedgerEvent e;
  e.kind = *kind;
  switch (*kind) {
    case EventKind::kRegistryCreated:
      CERTME_SET(e.actor, TopicAddress(topics, 1));
      break;
    case EventKind::kValidatorAdded:
    case EventKind::kValidatorRemoved:
      CERTME_SET(e.validator, TopicAddress(topics, 1));
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kProviderAdded:
    case EventKind::kProviderRemoved:
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.actor, d.Address());
      break;
    case EventKind::kEidIssued:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      e.actor = e.validator;
      CERTME_SET(e.loa, d.Uint8());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      break;
    case EventKind::kAttributesUpdated:
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      e.actor = e.validator;
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      break;
    case EventKind::kEidStatusChanged: {
      CERTME_SET(e.user, TopicAddress(topics, 1));
      CERTME_SET(e.validator, TopicAddress(topics, 2));
      CERTME_SET(e.actor, d.Address());
      uint8_t s = 0;
      CERTME_SET(s, d.Uint8());
      if (s > 3) return InvalidArgument("registry event with an unknown status");
      e.status = static_cast<EidStatus>(s);
      break;
    }
    case EventKind::kValidationRequested: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.user, TopicAddress(topics, 2));
      CERTME_SET(e.validator, TopicAddress(topics, 3));
      e.actor = e.provider;
      CERTME_SET(e.request_id, d.Uint64());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      uint64_t exp = 0;
      CERTME_SET(exp, d.Uint64());
      e.expiry = static_cast<int64_t>(exp);
      break;
    }
    case EventKind::kValidationAnswered: {
      CERTME_SET(e.provider, TopicAddress(topics, 1));
      CERTME_SET(e.user, TopicAddress(topics, 2));
      CERTME_SET(e.validator, TopicAddress(topics, 3));
      e.actor = e.validator;
      CERTME_SET(e.request_id, d.Uint64());
      CERTME_SET(e.attr_keys, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.commitments, d.Bytes32Array(kMaxAttributesPerCall));
      CERTME_SET(e.loa, d.Uint8());
      uint64_t exp = 0;
      CERTME_SET(exp, d.Uint64());
      e.expiry = static_cast<int64_t>(exp);
      break;
    }
  }
  return e;
}

StatusOr<std::unique_ptr<EvmLedger>> EvmLedger::Connect(const EvmLedgerOptions& options) {
  if (options.registry.size() != 20) return InvalidArgument("the EVM ledger needs the registry's address");
  if (options.log_block_range == 0) return InvalidArgument("log_block_range must be at least 1");
  JsonRpcClient probe(RpcOptions(options));
  CERTME_ASSIGN_OR_RETURN(uint64_t chain_id, NodeChainId(probe, options.chain_id));
  auto l = std::make_unique<EvmLedgerImpl>(options, chain_id, std::string());
  CERTME_RETURN_IF_ERROR(l->Load());
  return std::unique_ptr<EvmLedger>(std::move(l));
}

StatusOr<Deployment> DeployRegistry(const EvmLedgerOptions& options, const EthKey& deployer, std::string_view admin) {
  if (admin.size() != 20) return InvalidArgument("the administrator's address is required");
  JsonRpcClient rpc(RpcOptions(options));
  CERTME_ASSIGN_OR_RETURN(uint64_t chain_id, NodeChainId(rpc, options.chain_id));
  Sender sender(rpc, options, chain_id);
  const std::string code = RegistryCreationCode() + abi::Encoder().Address(admin).Encode();
  CERTME_ASSIGN_OR_RETURN(Sender::Mined m, sender.Send(deployer, "", code));
  if (!m.success) return Internal("the registry's deployment reverted", Hex(abi::AsView(m.tx_hash)));
  Deployment d;
  CERTME_ASSIGN_OR_RETURN(d.address, ParseHexData(m.receipt.value("contractAddress", json()), 20));
  if (d.address.size() != 20) return Internal("the ledger node reported no contract address");
  d.block = m.block;
  d.tx_hash = m.tx_hash;
  return d;
}

}  // namespace certme
