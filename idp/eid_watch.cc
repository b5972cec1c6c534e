#include "idp/eid_watch.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/ethereum.h"

namespace certme {
namespace {

EidLiveStatus LiveOf(EidStatus s) {
  switch (s) {
    case EidStatus::kActive:
      return EidLiveStatus::kActive;
    case EidStatus::kSuspended:
      return EidLiveStatus::kSuspended;
    case EidStatus::kRevoked:
    case EidStatus::kNone:
      break;
  }
  return EidLiveStatus::kRevoked;  // no eID (any more) is never usable
}

// The cache key of an address: "0x" + 40 lowercase hex digits, as an
// event's raw address gives it and as any spelling of a stored one lowers
// to (no checksum to compute on a hit).
std::string KeyOf20(std::string_view eid20) { return "0x" + HexEncode(eid20); }

}  // namespace

LedgerEidStatus::LedgerEidStatus(Ledger& ledger, Clock& clock, EidWatchOptions options)
    : ledger_(ledger), clock_(clock), options_(options) {}

LedgerEidStatus::~LedgerEidStatus() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LedgerEidStatus::OnInactive(std::function<void(const std::string& eid)> handler) {
  handlers_.push_back(std::move(handler));
}

void LedgerEidStatus::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

bool LedgerEidStatus::Watching() const {
  int64_t at = watched_at_ms_.load();
  return at > 0 && clock_.NowUnixMillis() - at <= options_.stale_after.count();
}

LedgerEidStatus::Counters LedgerEidStatus::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

StatusOr<EidLiveStatus> LedgerEidStatus::Status(std::string_view eid) {
  const std::string key = AsciiLower(eid);
  const bool watching = Watching();
  uint64_t epoch = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (watching) {
      auto it = cache_.find(key);
      if (it != cache_.end() && clock_.NowUnixMillis() - it->second.read_at_ms < options_.max_age.count()) {
        ++counters_.hits;
        return it->second.status;
      }
    }
    ++counters_.misses;
    epoch = epoch_;
  }
  auto eid20 = ParseAddress(eid);
  // An address we stored ourselves; anything else is corruption: refuse.
  if (!eid20.ok()) return Internal("eID address unreadable", eid20.status().ToString());
  auto status = Read(*eid20);
  if (!status.ok() || !watching) return status;
  std::lock_guard<std::mutex> lock(mu_);
  // An event landed while we read: what we read may be older than it.
  if (epoch != epoch_) return status;
  if (cache_.size() >= options_.max_entries) cache_.clear();
  cache_[key] = {*status, clock_.NowUnixMillis()};
  return status;
}

StatusOr<EidLiveStatus> LedgerEidStatus::Read(const std::string& eid20) {
  auto s = ledger_.GetEidStatus(eid20);
  if (!s.ok()) return Unavailable("the ledger cannot be read", s.status().ToString());
  return LiveOf(*s);
}

void LedgerEidStatus::Invalidate(const std::string& eid20) {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.erase(KeyOf20(eid20));
  ++epoch_;
  ++counters_.invalidations;
}

void LedgerEidStatus::Handle(const LedgerEvent& e) {
  if (e.user.size() != 20) return;
  Invalidate(e.user);
  // The state now, not the event's: a later reactivation in the same batch
  // must not end the sessions it allows.
  auto now = Read(e.user);
  EidLiveStatus status = now.ok() ? *now : LiveOf(e.status);
  if (status == EidLiveStatus::kActive) return;
  const std::string eid = ChecksumAddress(e.user);
  LogInfo("eID no longer active: ending its sessions", {{"status", EidStatusName(e.status)}, {"block", e.block}});
  for (const auto& h : handlers_) h(eid);
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.ended;
}

void LedgerEidStatus::Run() {
  auto pause = [&](Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return stop_cv_.wait_for(lock, d, [&] { return stop_; });
  };
  // Start after the current block: older events were handled (or not) by
  // whoever ran then, and the cache is empty anyway.
  uint64_t after = 0;
  for (;;) {
    auto block = ledger_.BlockNumber();
    if (block.ok()) {
      after = *block;
      break;
    }
    LogWarn("eID watcher: ledger unreachable", {{"detail", block.status().ToString()}});
    if (pause(options_.retry)) return;
  }
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    EventFilter f;
    f.after_block = after;
    f.kind = EventKind::kEidStatusChanged;
    auto events = ledger_.WaitForEvents(f, options_.wait);
    if (!events.ok()) {
      // The cache goes unused (Watching() turns false) until the watcher
      // catches up again; the missed events are still on the ledger.
      LogWarn("eID watcher: waiting for events failed", {{"detail", events.status().ToString()}});
      if (pause(options_.retry)) return;
      continue;
    }
    for (const auto& e : *events) {
      Handle(e);
      after = std::max(after, e.block);
    }
    watched_at_ms_ = clock_.NowUnixMillis();
  }
}

}  // namespace certme
