// The EVM backend: views, transactions and the event log of the
// CertMeRegistry contract, with reorg handling, the waiters' poller and the
// eID status cache. The codec (codec.h) and the sender (sender.h) do the
// encoding and the sending; the contract is in ledger-client/evm_ledger.h.
#include "ledger-client/evm_ledger.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ledger-client/abi.h"
#include "ledger-client/evm/codec.h"
#include "ledger-client/evm/sender.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

using evm::Addr;
using evm::BlockHeader;
using evm::Call0;
using evm::CallAddress;
using evm::CallObject;
using evm::DecodeBool;
using evm::Hex;
using evm::NodeChainId;
using evm::NodeRefusal;
using evm::ParseHeader;
using evm::RpcOptions;
using evm::Sender;
using nlohmann::json;
using std::chrono::milliseconds;

// Memory bound of the status cache (about 100 bytes an entry).
constexpr size_t kMaxCachedStatuses = 1000000;

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
        if (ChangesEidStatus(e.kind)) status_cache_.erase(e.user);
      ++cache_epoch_;
    }
    NotifyWaiters();
    return out;
  }

  // ---- views ----
  // Read live: the administrator can change (proposeAdmin/acceptAdmin).
  StatusOr<std::string> Admin() override { return AddressView("admin()"); }
  StatusOr<std::string> PendingAdmin() override {
    CERTME_ASSIGN_OR_RETURN(std::string a, AddressView("pendingAdmin()"));
    return a == std::string(20, '\0') ? std::string() : a;
  }

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
    return evm::DecodeEid(user, r);
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
    CERTME_ASSIGN_OR_RETURN(EidStatus s, evm::DecodeEidStatus(r));
    if (fresh) {
      // Only if nothing was invalidated while the node was asked: the
      // answer could predate an event the watcher has just applied.
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (epoch == cache_epoch_ && status_cache_.size() < kMaxCachedStatuses)
        status_cache_[std::string(user)] = s;
    }
    return s;
  }

  StatusOr<ValidationRequest> GetRequest(uint64_t id) override {
    CERTME_ASSIGN_OR_RETURN(std::string r,
                            View(abi::Selector("getRequest(uint256)") + abi::Encoder().Uint(id).Encode()));
    return evm::DecodeRequest(id, r);
  }

  StatusOr<bool> IsConsentNonceUsed(std::string_view user, std::string_view provider, const Bytes32& nonce) override {
    CERTME_ASSIGN_OR_RETURN(std::string r,
                            View(abi::Selector("isConsentNonceUsed(address,address,bytes32)") +
                                 abi::Encoder().Address(user).Address(provider).Fixed(nonce).Encode()));
    return DecodeBool(r);
  }

  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) override {
    // Every page at one block: between blocks a removal moves the last
    // entry into an earlier slot, which a reader paging at "latest" could
    // miss. The count bounds the pages; each page is one bounded eth_call.
    CERTME_ASSIGN_OR_RETURN(BlockHeader at, Header("latest"));
    const std::string block = HexQuantity(at.number);
    CERTME_ASSIGN_OR_RETURN(std::string c, View(CallAddress("openRequestCount(address)", validator), block));
    CERTME_ASSIGN_OR_RETURN(uint64_t count, DecodeCount(c));
    std::vector<ValidationRequest> out;
    for (uint64_t start = 0; start < count; start += kMaxOpenPage) {
      CERTME_ASSIGN_OR_RETURN(auto page, Page(validator, start, kMaxOpenPage, block));
      for (const auto& e : page) {
        if (at.timestamp >= e.expiry) continue;  // expired: no read of the request
        CERTME_ASSIGN_OR_RETURN(ValidationRequest q, GetRequest(e.id));
        if (q.status == RequestStatus::kOpen && at.timestamp < q.expiry) out.push_back(std::move(q));
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  StatusOr<uint64_t> OpenRequestCount(std::string_view validator) override {
    CERTME_ASSIGN_OR_RETURN(std::string c, View(CallAddress("openRequestCount(address)", validator)));
    return DecodeCount(c);
  }

  StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view validator, uint64_t start,
                                                         uint64_t count) override {
    return Page(validator, start, count, "latest");
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
    // Version 2 views; a version 1 registry lacks them (docs/ledger-evm.md
    // "Contract versions": migrate it with `certme ledger migrate`).
    if (!View(Call0("pendingAdmin()")).ok())
      return FailedPrecondition("the registry at " + Addr(o_.registry) +
                                " is an earlier contract version; migrate it to the current one (certme ledger migrate)");
    return Status::Ok();
  }

 private:
  StatusOr<std::string> AddressView(const char* signature) {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(Call0(signature)));
    abi::Decoder d(r);
    auto a = d.Address();
    if (!a.ok()) return Internal("the registry returned a malformed address");
    return *a;
  }

  // `block`: a block number (hex quantity) or tag; reads of several calls
  // at one block see one state.
  StatusOr<std::string> View(const std::string& calldata, const std::string& block = "latest") {
    CERTME_ASSIGN_OR_RETURN(RpcAnswer a, rpc_.Call("eth_call", json::array({CallObject("", o_.registry, calldata), block})));
    if (a.error) return NodeRefusal("a registry read", *a.error);
    auto r = ParseHexData(a.result, 1 << 20);
    if (!r.ok()) return Internal("the ledger node sent a malformed answer", r.status().message());
    return r;
  }

  StatusOr<std::vector<OpenRequestEntry>> Page(std::string_view validator, uint64_t start, uint64_t count,
                                                const std::string& block) {
    CERTME_ASSIGN_OR_RETURN(std::string r, View(abi::Selector("openRequestIds(address,uint256,uint256)") +
                                                    abi::Encoder().Address(validator).Uint(start).Uint(count).Encode(),
                                                block));
    return evm::DecodeOpenRequestPage(r, kMaxOpenPage);
  }

  static StatusOr<uint64_t> DecodeCount(const std::string& r) {
    abi::Decoder d(r);
    auto n = d.Uint64();
    if (!n.ok()) return Internal("the registry returned a malformed count");
    return *n;
  }

  bool IsOurs(const json& log) const {
    auto a = ParseHexData(log.value("address", json()), 20);
    return a.ok() && *a == o_.registry;
  }

  StatusOr<BlockHeader> Header(uint64_t number) { return Header(HexQuantity(number)); }
  StatusOr<BlockHeader> Header(const std::string& block) {
    CERTME_ASSIGN_OR_RETURN(json b, rpc_.Result("eth_getBlockByNumber", json::array({block, false})));
    if (b.is_null()) return NotFound("block " + block + " is not (or no longer) on the chain");
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
        ApplyEventsToCache();
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
      ApplyEventsToCache();  // statuses read on the dropped blocks go too
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
      ApplyEventsToCache();
    }
    MarkCacheFresh();
  }

  // REQUIRES: events_mu_ held. Drops the cached status of every user an
  // event not yet applied names (all of them after a reorg). SyncEvents
  // calls it as it appends, so an event is never readable (Events,
  // WaitForEvents) while the status from before it is still cached.
  void ApplyEventsToCache() {
    if (!o_.cache_eid_status) return;
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (retracted_.load() != cache_retracted_seen_ || events_.size() < cache_applied_) {
      status_cache_.clear();
      cache_retracted_seen_ = retracted_.load();
      cache_applied_ = events_.size();
      ++cache_epoch_;
    }
    for (; cache_applied_ < events_.size(); ++cache_applied_) {
      const LedgerEvent& e = events_[cache_applied_];
      if (ChangesEidStatus(e.kind)) {
        status_cache_.erase(e.user);
        ++cache_epoch_;
      }
    }
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

StatusOr<std::unique_ptr<EvmLedger>> EvmLedger::Connect(const EvmLedgerOptions& options) {
  if (options.registry.size() != 20) return InvalidArgument("the EVM ledger needs the registry's address");
  if (options.log_block_range == 0) return InvalidArgument("log_block_range must be at least 1");
  JsonRpcClient probe(RpcOptions(options));
  CERTME_ASSIGN_OR_RETURN(uint64_t chain_id, NodeChainId(probe, options.chain_id));
  auto l = std::make_unique<EvmLedgerImpl>(options, chain_id, std::string());
  CERTME_RETURN_IF_ERROR(l->Load());
  return std::unique_ptr<EvmLedger>(std::move(l));
}

StatusOr<Deployment> DeployRegistry(const EvmLedgerOptions& options, const EthKey& deployer, std::string_view admin,
                                    std::string_view source) {
  if (admin.size() != 20) return InvalidArgument("the administrator's address is required");
  if (!source.empty() && source.size() != 20) return InvalidArgument("the migration source must be an address");
  const std::string from = source.empty() ? std::string(20, '\0') : std::string(source);
  return DeployContract(options, deployer,
                        RegistryCreationCode() + abi::Encoder().Address(admin).Address(from).Encode());
}

StatusOr<Deployment> DeployContract(const EvmLedgerOptions& options, const EthKey& deployer,
                                    std::string_view code) {
  JsonRpcClient rpc(RpcOptions(options));
  CERTME_ASSIGN_OR_RETURN(uint64_t chain_id, NodeChainId(rpc, options.chain_id));
  Sender sender(rpc, options, chain_id);
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
