// Access records on the ledger (docs/ledger.md "Access records",
// docs/privacy.md): at every successful wallet login the bridge seals a
// record for the user and the service's provider
// (ledger-client/access_record.h) and queues it; a background submitter
// sends the queued records to the ledger, one recordAccess per provider
// batch, with that provider's key.
//
// Contracts:
//  - Record() never touches the ledger: it seals (one ECDH, microseconds)
//    and writes one item to the Store work queue `ledger_records`
//    (durable to the backend's degree: sqlite and Redis keep it across a
//    restart). The login never waits for a confirmation.
//  - The queue holds the sealed record, its tag, the service id and the time
//    it was queued; never the user's address or key, nor attribute values.
//  - Every replica runs one submitter that claims due items with a lease
//    (an item whose replica dies comes back when the lease lapses; at worst
//    a record is written twice, which the wallet shows once: same tag).
//    Items are grouped per service, at most kMaxRecordsPerCall per
//    transaction; a refused or failed batch is retried with a backoff that
//    doubles per attempt, up to `max_attempts`, then dropped with a log line
//    (no personal data in it). A record whose service has no key any more
//    (deleted) is dropped at once.
//  - Thread-safe. The destructor stops the submitter after the batch in
//    flight; whatever remains stays queued for the next start.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "ledger-client/access_record.h"
#include "ledger-client/ledger.h"
#include "protocols/provider_keys.h"
#include "store/store.h"

namespace certme {

struct AccessRecordsOptions {
  // The Store queue; every replica of one deployment uses the same.
  std::string queue = "ledger_records";
  // Items claimed per pass (grouped per service, then cut into batches).
  size_t claim = 256;
  // A claimed item comes back after this long if its replica neither
  // submitted nor rescheduled it. Longer than a ledger confirmation.
  Duration lease = std::chrono::minutes(2);
  // Delay before the 2nd attempt of a batch; doubled for each later one.
  Duration backoff = std::chrono::seconds(2);
  Duration max_backoff = std::chrono::minutes(10);
  // Attempts per record, the first one included, before it is dropped.
  int max_attempts = 60;
  // How often the idle submitter looks for due items, and how often the
  // metrics are reported (by their own thread, so that a ledger that hangs
  // shows as a growing lag); a Record() wakes the submitter at once.
  Duration poll = std::chrono::seconds(1);
  // After each pass: the items in the queue (every replica's) and the age,
  // in seconds, of the oldest record this replica holds (claimed, not yet
  // on the ledger; 0 when none). For the metrics.
  std::function<void(size_t queued, double oldest_age_seconds)> on_pass;
  // Called for each batch this replica finished: records written, or
  // dropped (tests, logs).
  std::function<void(std::string_view service_id, size_t records, bool written)> on_batch;
};

class AccessRecords {
 public:
  // All references must outlive this object. The submitter starts at once.
  AccessRecords(Store& store, Ledger& ledger, ProviderKeys& provider_keys, Clock& clock, Random& random,
                AccessRecordsOptions options);
  ~AccessRecords();
  AccessRecords(const AccessRecords&) = delete;
  AccessRecords& operator=(const AccessRecords&) = delete;

  // Seals `content` for the user whose 65-byte public key is
  // `user_public_key` and service `service_id`'s provider, and queues it.
  // Errors: the provider key's (NotFound, Unauthenticated), InvalidArgument
  // for a malformed key or content, the Store's.
  Status Record(std::string_view service_id, std::string_view user_public_key, const AccessRecordContent& content);

  // Items in the queue, due or not, from every replica.
  StatusOr<size_t> Queued();

  // Blocks until the queue is empty, or `timeout` passes (tests).
  bool WaitIdle(Duration timeout);

 private:
  void Run();
  void RunMetrics();
  // One pass: claim, group, submit. False when nothing was due.
  bool Pass();
  void ReportMetrics();

  Store& store_;
  Ledger& ledger_;
  ProviderKeys& keys_;
  Clock& clock_;
  Random& random_;
  const AccessRecordsOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool recorded_ = false;  // a Record() since the submitter last looked; guarded by mu_
  // The records this replica holds (claimed, or rescheduled by it), by item
  // id: their queue time (unix ms) for the lag metric, and until when
  // (unix ms) this replica may still hold them: an entry not claimed again
  // by then was taken by another replica and is forgotten. Guarded by mu_.
  struct Held {
    int64_t queued_ms = 0;
    int64_t until_ms = 0;
  };
  std::map<std::string, Held> held_;
  std::thread thread_;
  std::thread metrics_thread_;
};

}  // namespace certme
