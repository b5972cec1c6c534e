// The live eID status for the protocol fronts (protocols/eid_status.h),
// read from the ledger, cached, and kept fresh by the ledger's
// EidStatusChanged events; and the trigger that ends every live session of
// an eID the ledger suspends or revokes.
//
// Cache: one entry per eID (EidStatus read with Ledger::GetEidStatus). A
// watcher thread waits on the ledger for EidStatusChanged events
// (WaitForEvents: woken by new blocks, never polling) and drops the entry of
// every eID an event names before anything else happens. The cache is used
// only while the watcher is keeping up (its last wait ended well within
// `stale_after`); otherwise every check reads the ledger, and a ledger that
// cannot be read makes the check fail (Unavailable: the fronts refuse with a
// temporary error, never allow). Entries also expire after `max_age`, in
// case the chain delivers an event late. A read that raced with an
// invalidation is not cached (an epoch counter), so a stale "active" never
// outlives the event that changed it.
//
// Trigger: for every event whose eID is not active (re-read on the ledger;
// the event's own status when the ledger cannot be read), the watcher calls
// each handler given to OnInactive (the OIDC provider's and the SAML IdP's
// EndEidSessions), on its own thread, in ledger order. Events are taken from
// the block after the one current at Start(): nothing older is replayed.
// The handlers use the fronts' existing logout delivery (LogoutNotifier,
// the SAML SOAP sender), so how delivery is made durable is theirs.
//
// Thread-safety: Status() may be called from any number of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "ledger-client/ledger.h"
#include "protocols/eid_status.h"

namespace certme {

struct EidWatchOptions {
  // Longest wait of one WaitForEvents call (the watcher's heartbeat).
  Duration wait = std::chrono::seconds(1);
  // The cache is bypassed when the watcher's last successful wait ended
  // longer ago than this (a watcher that stalls cannot keep it fresh).
  Duration stale_after = std::chrono::seconds(5);
  // An entry is read again after this long whatever the events say.
  Duration max_age = std::chrono::seconds(300);
  // Beyond this many entries the cache starts afresh.
  size_t max_entries = 100000;
  // Pause after a failed ledger call before the watcher tries again.
  Duration retry = std::chrono::milliseconds(500);
};

class LedgerEidStatus : public EidStatusSource {
 public:
  // `ledger` and `clock` must outlive this object.
  LedgerEidStatus(Ledger& ledger, Clock& clock, EidWatchOptions options = {});
  ~LedgerEidStatus() override;  // stops the watcher
  LedgerEidStatus(const LedgerEidStatus&) = delete;
  LedgerEidStatus& operator=(const LedgerEidStatus&) = delete;

  // REQUIRES: before Start(). `handler` gets the eID's EIP-55 address.
  void OnInactive(std::function<void(const std::string& eid)> handler);
  // Starts the watcher thread. Idempotent.
  void Start();

  StatusOr<EidLiveStatus> Status(std::string_view eid) override;

  // For tests and metrics.
  struct Counters {
    uint64_t hits = 0, misses = 0, invalidations = 0, ended = 0;
  };
  Counters counters() const;
  // True while the watcher is keeping up (the cache is in use).
  bool Watching() const;

 private:
  struct Entry {
    EidLiveStatus status;
    int64_t read_at_ms;
  };
  void Run();
  // One event: invalidate, then the trigger.
  void Handle(const LedgerEvent& e);
  void Invalidate(const std::string& eid20);
  StatusOr<EidLiveStatus> Read(const std::string& eid20);

  Ledger& ledger_;
  Clock& clock_;
  EidWatchOptions options_;
  std::vector<std::function<void(const std::string&)>> handlers_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // lowercase 0x-address → entry; GUARDED_BY(mu_)
  uint64_t epoch_ = 0;                            // GUARDED_BY(mu_)
  Counters counters_;                             // GUARDED_BY(mu_)
  std::atomic<int64_t> watched_at_ms_{0};  // end of the watcher's last successful wait
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace certme
