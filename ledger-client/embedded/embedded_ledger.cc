// The embedded backend: the registry's rules (rules.h) over the hash-chained
// log (log.h), with its anchor (anchor.h) and the watcher that applies other
// processes' entries (watcher.h). The contract is in
// ledger-client/embedded_ledger.h.
#include "ledger-client/embedded_ledger.h"

#include <sys/file.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <shared_mutex>

#include "common/log.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded/anchor.h"
#include "ledger-client/embedded/log.h"
#include "ledger-client/embedded/rules.h"
#include "ledger-client/embedded/watcher.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

using embedded::AdvanceAnchor;
using embedded::AnchorPath;
using embedded::AnchorSigner;
using embedded::AppendCheckpoint;
using embedded::SignAnchor;
using embedded::Damaged;
using embedded::EntryHash;
using embedded::FileLock;
using embedded::LogEntry;
using embedded::Plan;
using embedded::ReadAnchor;
using embedded::WriteAnchor;

class EmbeddedLedgerImpl final : public EmbeddedLedger {
 public:
  explicit EmbeddedLedgerImpl(const EmbeddedLedgerOptions& o)
      : options_(o), clock_(o.clock ? o.clock : &SystemClock()) {}

  ~EmbeddedLedgerImpl() override { watcher_.Stop(); }

  Status OpenFile(bool create, bool upgrade = false) {
    if (!options_.sequencer)
      return FailedPrecondition("the embedded ledger needs its sequencer key (ledger.embedded.sequencer_key_file)");
    return log_.Open(options_.path, create, upgrade, options_.busy_timeout, options_.sync_full);
  }

  // Verifies the whole log against its signed anchor (and the checkpoint
  // file) and records it. `reanchor`: the anchor and the entries'
  // signatures are not checked; the log as it is gets a new anchor, and
  // `report` says what was accepted.
  Status Replay(bool reanchor = false, ReanchorReport* report = nullptr) {
    std::lock_guard<std::mutex> w(write_mu_);
    // The anchor is read before the log: whatever it records was committed
    // before it was written, so the replay below sees at least that much
    // even while other processes keep appending.
    auto anchor = ReadAnchor(options_.path);
    if (reanchor) {
      if (report) report->previous = DescribeAnchor(anchor);
      signed_through_ = UINT64_MAX;  // entry signatures are not checked
    } else {
      CERTME_RETURN_IF_ERROR(CheckAnchorSignature(anchor));
      signed_through_ = anchor->count;
    }
    CERTME_RETURN_IF_ERROR(CatchUpLocked());
    if (!state_.initialized) return FailedPrecondition(options_.path + " holds no registry (no genesis entry)");
    if (!reanchor) {
      const std::string counts = "the log holds " + std::to_string(state_.head) + " entries, its anchor " +
                                 AnchorPath(options_.path) + " records " + std::to_string(anchor->count);
      if (anchor->count > state_.head)
        return Truncated(counts + ": the newest entries were cut off the log");
      CERTME_ASSIGN_OR_RETURN(std::string hash, log_.HashAt(anchor->count));
      if (hash != anchor->hash)
        return Truncated(counts + ", and entry " + std::to_string(anchor->count) +
                         " differs from the one the anchor records: the log was cut and rewritten");
      // Longer than the anchor: a writer stopped between its commit and the
      // anchor update. The extra entries carry the sequencer's signatures.
    }
    CERTME_RETURN_IF_ERROR(CheckExportedCheckpoint());
    signed_through_ = 0;  // from now on every entry another process appends is checked
    opened_ = true;
    const embedded::Anchor head = SignAnchor(*options_.sequencer, state_.head, abi::AsView(state_.head_hash));
    if (reanchor) {
      if (report) {
        report->entries = state_.head;
        report->head = state_.head_hash;
        report->head_time = state_.head_time;
      }
      FileLock lock;
      CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(options_.path) + ".lock", LOCK_EX));
      CERTME_RETURN_IF_ERROR(WriteAnchor(options_.path, head, options_.sync_full));
      if (!options_.checkpoint_file.empty())
        CERTME_RETURN_IF_ERROR(AppendCheckpoint(options_.checkpoint_file, head, options_.sync_full));
      return Status::Ok();
    }
    if (anchor->count == state_.head) return Status::Ok();
    return AdvanceAnchor(options_.path, head, options_.sync_full, options_.checkpoint_file);
  }

  // OK when `anchor` is a readable anchor signed by this ledger's sequencer.
  Status CheckAnchorSignature(const StatusOr<embedded::Anchor>& anchor) {
    const std::string path = AnchorPath(options_.path);
    const std::string fix = "; if the log is known to be complete, accept it with `certme ledger reanchor`";
    if (!anchor.ok() && anchor.status().code() == StatusCode::kNotFound)
      return Unanchored("the ledger's anchor " + path + " is missing, so the log's length cannot be confirmed" + fix);
    if (!anchor.ok()) return anchor.status();
    if (anchor->sig.empty())
      return Unanchored("the ledger's anchor " + path + " is unsigned (written before signed anchors)" + fix);
    auto signer = AnchorSigner(*anchor);
    if (!signer.ok() || *signer != options_.sequencer->address())
      return Unanchored("the ledger's anchor " + path + " is not signed by the sequencer key " +
                        options_.sequencer->AddressHex() + fix);
    return Status::Ok();
  }

  // The newest line of the checkpoint file, when one is configured, must be
  // signed by the sequencer and name an entry the log holds.
  Status CheckExportedCheckpoint() {
    const std::string& file = options_.checkpoint_file;
    if (file.empty()) return Status::Ok();
    auto cp = embedded::ReadLastCheckpoint(file);
    if (!cp.ok() && cp.status().code() == StatusCode::kNotFound) {
      if (state_.head <= 1) return Status::Ok();  // a new ledger: the first anchor creates it
      return RolledBack("the checkpoint file " + file + " is missing");
    }
    if (!cp.ok()) return RolledBack(cp.status().message());
    auto signer = AnchorSigner(*cp);
    if (!signer.ok() || *signer != options_.sequencer->address())
      return RolledBack("the newest checkpoint in " + file + " is not signed by the sequencer key " +
                        options_.sequencer->AddressHex());
    if (cp->count > state_.head)
      return RolledBack("the log holds " + std::to_string(state_.head) + " entries, the checkpoint file " + file +
                        " records " + std::to_string(cp->count) + ": the log was rolled back");
    CERTME_ASSIGN_OR_RETURN(std::string hash, log_.HashAt(cp->count));
    if (hash != cp->hash)
      return RolledBack("entry " + std::to_string(cp->count) + " differs from the one the checkpoint file " + file +
                        " records: the log was rewritten");
    return Status::Ok();
  }

  static std::string DescribeAnchor(const StatusOr<embedded::Anchor>& a) {
    if (!a.ok()) return a.status().code() == StatusCode::kNotFound ? "none (missing)" : "unreadable";
    std::string what = "covering " + std::to_string(a->count) + " entries, ";
    if (a->sig.empty()) return what + "unsigned";
    auto signer = AnchorSigner(*a);
    return what + (signer.ok() ? "signed by " + ChecksumAddress(*signer) : "with an invalid signature");
  }

  // Open's refusals are returned, not logged: the opener reports them (one
  // line from `certme ledger verify`, the bridge's start error).
  static Status Failure(const std::string& kind, const std::string& why) {
    return kind == "LedgerUnanchored" ? FailedPrecondition(kind + ": " + why)
                                      : Internal(kind + ": " + why + "; the ledger file cannot be trusted");
  }
  Status Truncated(const std::string& why) { return Failure("LedgerTruncated", why); }
  Status Unanchored(const std::string& why) { return Failure("LedgerUnanchored", why); }
  Status RolledBack(const std::string& why) { return Failure("LedgerRolledBack", why); }

  Status Genesis(const EthKey& admin, uint64_t chain_id) {
    std::lock_guard<std::mutex> w(write_mu_);
    // A new log: an anchor left by a removed one does not apply to it.
    FileLock lock;
    CERTME_RETURN_IF_ERROR(lock.Acquire(AnchorPath(options_.path) + ".lock", LOCK_EX));
    CERTME_RETURN_IF_ERROR(log_.Begin());
    Status st = CatchUpLocked();
    if (st.ok() && state_.head != 0) st = AlreadyExists("a ledger already exists at " + options_.path);
    if (!st.ok()) {
      log_.Rollback();
      return st;
    }
    auto r = AppendLocked(
        SignTransaction(admin, chain_id, EmbeddedRegistryAddress(admin.address(), chain_id), 0,
                        InitializeCall(admin.address())),
        /*update_anchor=*/false);
    if (!r.ok()) return r.status();
    const embedded::Anchor a = SignAnchor(*options_.sequencer, state_.head, abi::AsView(state_.head_hash));
    CERTME_RETURN_IF_ERROR(WriteAnchor(options_.path, a, options_.sync_full));
    if (!options_.checkpoint_file.empty())
      CERTME_RETURN_IF_ERROR(AppendCheckpoint(options_.checkpoint_file, a, options_.sync_full));
    opened_ = true;
    return Status::Ok();
  }

  void StartWatcher() {
    if (!options_.watch_file) return;
    watcher_.Watch(options_.path);
    {
      std::lock_guard<std::mutex> w(write_mu_);
      auto v = log_.DataVersion();
      data_version_ = v.ok() ? *v : 0;
    }
    watcher_.Run([this] { ApplyForeignEntries(); });
  }

  // ---- Ledger ----

  uint64_t ChainId() const override { return chain_id_; }
  std::string RegistryAddress() const override { return registry_; }

  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    if (calldata.size() > kMaxCalldataBytes) return LedgerError(LedgerErrorCode::kBadCalldata, "calldata too large");
    std::lock_guard<std::mutex> w(write_mu_);
    CERTME_RETURN_IF_ERROR(BeginLocked());
    auto it = state_.tx_nonces.find(sender.address());
    const uint64_t nonce = it == state_.tx_nonces.end() ? 0 : it->second;
    return AppendLocked(SignTransaction(sender, chain_id_, registry_, nonce, std::string(calldata)));
  }

  StatusOr<TxReceipt> Submit(const SignedTransaction& tx) override {
    if (tx.calldata.size() > kMaxCalldataBytes) return LedgerError(LedgerErrorCode::kBadCalldata, "calldata too large");
    std::lock_guard<std::mutex> w(write_mu_);
    CERTME_RETURN_IF_ERROR(BeginLocked());
    return AppendLocked(tx);
  }

  StatusOr<uint64_t> NextNonce(std::string_view account) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.tx_nonces.find(std::string(account));
    return it == state_.tx_nonces.end() ? 0 : it->second;
  }

  Bytes32 HeadHash() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    return state_.head_hash;
  }

  Status Sync() override {
    std::lock_guard<std::mutex> w(write_mu_);
    return CatchUpLocked();
  }

  StatusOr<std::string> Admin() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.admin;
  }

  StatusOr<std::string> PendingAdmin() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.pending_admin;
  }

  StatusOr<bool> IsValidator(std::string_view a) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.validators.count(std::string(a)) > 0;
  }

  StatusOr<bool> IsProvider(std::string_view a) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.providers.count(std::string(a)) > 0;
  }

  StatusOr<EidRecord> GetEid(std::string_view user) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.eids.find(std::string(user));
    if (it == state_.eids.end()) {
      EidRecord none;
      none.user = std::string(user);
      return none;
    }
    return it->second;
  }

  StatusOr<EidStatus> GetEidStatus(std::string_view user) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.eids.find(std::string(user));
    return it == state_.eids.end() ? EidStatus::kNone : it->second.status;
  }

  StatusOr<ValidationRequest> GetRequest(uint64_t id) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    if (id == 0 || id > state_.requests.size())
      return LedgerError(LedgerErrorCode::kUnknownRequest, "no validation request " + std::to_string(id));
    return state_.requests[id - 1];
  }

  StatusOr<bool> IsConsentNonceUsed(std::string_view user, std::string_view provider, const Bytes32& nonce) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.used_consents.count(std::string(user) + std::string(provider) + std::string(abi::AsView(nonce))) > 0;
  }

  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) override {
    const int64_t now = Now();
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    std::vector<ValidationRequest> out;
    auto it = state_.open_ids.find(std::string(validator));
    if (it == state_.open_ids.end()) return out;
    for (uint64_t id : it->second) {
      const auto& req = state_.requests[id - 1];
      if (now < req.expiry) out.push_back(req);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  StatusOr<uint64_t> OpenRequestCount(std::string_view validator) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    auto it = state_.open_ids.find(std::string(validator));
    return it == state_.open_ids.end() ? 0 : it->second.size();
  }

  StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view validator, uint64_t start,
                                                         uint64_t count) override {
    if (count > kMaxOpenPage)
      return LedgerError(LedgerErrorCode::kBadCalldata,
                         "a page of the open set holds at most " + std::to_string(kMaxOpenPage) + " ids");
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    std::vector<OpenRequestEntry> out;
    auto it = state_.open_ids.find(std::string(validator));
    if (it == state_.open_ids.end()) return out;
    const auto& ids = it->second;
    for (uint64_t i = start; i < ids.size() && i - start < count; ++i)
      out.push_back({ids[i], state_.requests[ids[i] - 1].expiry});
    return out;
  }

  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& f) override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return MatchingLocked(f);
  }

  StatusOr<uint64_t> BlockNumber() override {
    std::shared_lock<std::shared_mutex> r(state_mu_);
    CERTME_RETURN_IF_ERROR(damaged_);
    return state_.head;
  }

  int64_t Now() const override { return std::max(clock_->NowUnixSeconds(), head_time_.load()); }

  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& f, Duration timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::shared_lock<std::shared_mutex> r(state_mu_);
    for (;;) {
      CERTME_RETURN_IF_ERROR(damaged_);
      auto found = MatchingLocked(f);
      if (!found.empty()) return found;
      if (cv_.wait_until(r, deadline) == std::cv_status::timeout) {
        CERTME_RETURN_IF_ERROR(damaged_);
        return MatchingLocked(f);
      }
    }
  }

 private:
  // REQUIRES: state_mu_ held (shared or unique).
  std::vector<LedgerEvent> MatchingLocked(const EventFilter& f) const { return embedded::MatchingEvents(state_, f); }

  // REQUIRES: write_mu_. Opens a write transaction and applies foreign entries.
  Status BeginLocked() {
    CERTME_RETURN_IF_ERROR(damaged_);
    CERTME_RETURN_IF_ERROR(log_.Begin());
    Status st = CatchUpLocked();
    if (!st.ok()) log_.Rollback();
    return st;
  }

  // REQUIRES: write_mu_ and an open write transaction (BeginLocked).
  // Commits or rolls back before returning.
  StatusOr<TxReceipt> AppendLocked(const SignedTransaction& tx, bool update_anchor = true) {
    // Ledger time never goes backwards. A clock a little behind the newest
    // entry (another process's clock, a small step back) stamps the newest
    // entry's time; one further behind than the tolerance is wrong, and
    // stamping entries from it would hide that for as long as it lasts.
    const int64_t clock_now = clock_->NowUnixSeconds();
    if (clock_now + SkewSeconds() < state_.head_time) {
      log_.Rollback();
      Status st = FailedPrecondition("LedgerClockBehind: this machine's clock is " +
                                     std::to_string(state_.head_time - clock_now) +
                                     " s behind the ledger's newest entry (tolerance " +
                                     std::to_string(SkewSeconds()) + " s); nothing is appended until it is right");
      LogError("ledger append refused", {{"path", options_.path}, {"error", st.message()}});
      return st;
    }
    const int64_t now = std::max(clock_now, state_.head_time);
    // Reading state_ without state_mu_ is safe here: only holders of
    // write_mu_ change it.
    auto plan = embedded::PlanTransaction(state_, tx, now);
    if (!plan.ok()) {
      log_.Rollback();
      return plan.status();
    }
    const std::string bytes = EncodeTransaction(tx);
    const uint64_t seq = state_.head + 1;
    const Bytes32 hash = EntryHash(state_.head_hash, seq, now, bytes);
    const EthSignature sig = options_.sequencer->SignDigest(embedded::EntrySigningDigest(abi::AsView(hash)));
    CERTME_RETURN_IF_ERROR(log_.AppendAndCommit({seq, std::string(abi::AsView(state_.head_hash)), now, bytes,
                                                 std::string(abi::AsView(hash)),
                                                 std::string(reinterpret_cast<const char*>(sig.rsv.data()), 65)}));
    TxReceipt receipt;
    receipt.block = seq;
    receipt.tx_hash = Keccak256(bytes);
    receipt.events = ApplyPlan(std::move(*plan), tx, seq, now, hash);
    cv_.notify_all();
    if (options_.before_anchor_update) options_.before_anchor_update(seq);
    if (update_anchor) {
      // The entry is committed whatever happens here; a missed update only
      // leaves the anchor behind, which the next append or open repairs.
      if (Status st = AdvanceAnchor(options_.path, SignAnchor(*options_.sequencer, seq, abi::AsView(hash)),
                                    options_.sync_full, options_.checkpoint_file);
          !st.ok())
        LogError("ledger anchor not updated", {{"path", options_.path}, {"error", st.message()}});
    }
    return receipt;
  }

  // REQUIRES: write_mu_. Mutates state_ under the exclusive lock.
  std::vector<LedgerEvent> ApplyPlan(Plan plan, const SignedTransaction& tx, uint64_t seq, int64_t time,
                                     const Bytes32& hash) {
    std::unique_lock<std::shared_mutex> lk(state_mu_);
    std::vector<LedgerEvent> events = embedded::ApplyPlan(state_, std::move(plan), tx, seq, time, hash);
    head_time_.store(time);
    if (chain_id_ == 0) {
      chain_id_ = state_.chain_id;
      registry_ = state_.registry;
    }
    return events;
  }

  // REQUIRES: write_mu_. Verifies and applies every entry after the head.
  Status CatchUpLocked() {
    CERTME_RETURN_IF_ERROR(damaged_);
    bool applied = false;
    CERTME_RETURN_IF_ERROR(log_.ForEachAfter(state_.head, [&](const LogEntry& e) {
      Status st = VerifyAndApply(e);
      if (!st.ok()) {
        if (opened_) LogError("ledger verification failed", {{"path", options_.path}, {"error", st.message()}});
        {
          std::unique_lock<std::shared_mutex> lk(state_mu_);
          damaged_ = st;
        }
        cv_.notify_all();
        return st;
      }
      applied = true;
      return Status::Ok();
    }));
    if (applied) cv_.notify_all();
    return Status::Ok();
  }

  // REQUIRES: write_mu_. The chain link, hash, time order and execution of
  // the entry after the head.
  Status VerifyAndApply(const LogEntry& e) {
    const uint64_t seq = e.seq;
    const int64_t time = e.time;
    const std::string &prev = e.prev_hash, &bytes = e.tx, &hash = e.hash;
    const uint64_t want = state_.head + 1;
    if (seq != want)
      return Damaged(want, "missing (the next entry found is " + std::to_string(seq) + ")");
    if (prev.size() != 32 || prev != std::string(abi::AsView(state_.head_hash)))
      return Damaged(seq, "does not link to entry " + std::to_string(state_.head) +
                              " (an earlier entry was changed or removed)");
    if (hash.size() != 32 || hash != std::string(abi::AsView(EntryHash(state_.head_hash, seq, time, bytes))))
      return Damaged(seq, "its hash does not match its contents (the entry was modified)");
    if (time < state_.head_time) return Damaged(seq, "its time is before the previous entry's");
    const int64_t ahead = time - clock_->NowUnixSeconds();
    if (ahead > SkewSeconds())
      return Damaged(seq, "it is dated " + std::to_string(ahead) + " s ahead of this machine's clock (tolerance " +
                              std::to_string(SkewSeconds()) + " s)");
    auto tx = DecodeTransaction(bytes);
    if (!tx.ok()) return Damaged(seq, tx.status().message());
    auto plan = embedded::PlanTransaction(state_, *tx, time);
    if (!plan.ok()) return Damaged(seq, "its transaction does not execute: " + plan.status().message());
    if (seq > signed_through_) {
      // Past the signed anchor: the entry's own signature vouches for it.
      EthSignature s;
      if (e.sig.size() != 65) return Damaged(seq, "it carries no sequencer signature");
      std::memcpy(s.rsv.data(), e.sig.data(), 65);
      auto who = RecoverAddress(embedded::EntrySigningDigest(hash), s);
      if (!who.ok() || *who != options_.sequencer->address())
        return Damaged(seq, "it is not signed by the sequencer key " + options_.sequencer->AddressHex());
    }
    ApplyPlan(std::move(*plan), *tx, seq, time, abi::ToBytes32(hash));
    return Status::Ok();
  }

  // On the watcher's thread: applies the entries other processes committed.
  void ApplyForeignEntries() {
    std::lock_guard<std::mutex> w(write_mu_);
    if (!damaged_.ok()) return;
    auto v = log_.DataVersion();
    if (!v.ok() || *v == data_version_) return;
    data_version_ = *v;
    (void)CatchUpLocked();
  }

  int64_t SkewSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options_.max_clock_skew).count();
  }

  const EmbeddedLedgerOptions options_;
  Clock* const clock_;
  // Entries up to here are vouched for by the signed anchor read at open;
  // later ones must carry their own sequencer signature. GUARDED_BY(write_mu_)
  uint64_t signed_through_ = 0;
  // Replay succeeded: later verification failures are logged (they are
  // found while running, by the watcher or a writer).
  bool opened_ = false;  // GUARDED_BY(write_mu_)

  std::mutex write_mu_;  // serializes sqlite use and state changes
  embedded::EntryLog log_;  // GUARDED_BY(write_mu_)
  int64_t data_version_ = 0;  // GUARDED_BY(write_mu_)

  mutable std::shared_mutex state_mu_;
  std::condition_variable_any cv_;  // new blocks, or damage found
  embedded::State state_;                     // written under write_mu_ + unique state_mu_
  Status damaged_;                  // set once verification fails; sticky
  std::atomic<int64_t> head_time_{0};

  // Fixed once the genesis entry is applied (before the object is shared).
  uint64_t chain_id_ = 0;
  std::string registry_;

  // Last: stopped first (the destructor stops it explicitly too).
  embedded::LogWatcher watcher_;
};

}  // namespace

StatusOr<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Create(const EmbeddedLedgerOptions& options,
                                                                  const EthKey& admin, uint64_t chain_id) {
  if (chain_id == 0) return InvalidArgument("chain id must be positive");
  auto l = std::make_unique<EmbeddedLedgerImpl>(options);
  CERTME_RETURN_IF_ERROR(l->OpenFile(/*create=*/true));
  CERTME_RETURN_IF_ERROR(l->Genesis(admin, chain_id));
  l->StartWatcher();
  return std::unique_ptr<EmbeddedLedger>(std::move(l));
}

StatusOr<EmbeddedLedger::ReanchorReport> EmbeddedLedger::Reanchor(const EmbeddedLedgerOptions& options) {
  EmbeddedLedgerOptions o = options;
  o.watch_file = false;
  auto l = std::make_unique<EmbeddedLedgerImpl>(o);
  CERTME_RETURN_IF_ERROR(l->OpenFile(/*create=*/false, /*upgrade=*/true));
  ReanchorReport report;
  CERTME_RETURN_IF_ERROR(l->Replay(/*reanchor=*/true, &report));
  return report;
}

StatusOr<std::unique_ptr<EmbeddedLedger>> EmbeddedLedger::Open(const EmbeddedLedgerOptions& options) {
  auto l = std::make_unique<EmbeddedLedgerImpl>(options);
  CERTME_RETURN_IF_ERROR(l->OpenFile(/*create=*/false));
  CERTME_RETURN_IF_ERROR(l->Replay());
  l->StartWatcher();
  return std::unique_ptr<EmbeddedLedger>(std::move(l));
}

}  // namespace certme
