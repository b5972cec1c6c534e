// Outbound POSTs that survive the replica sending them: back-channel logout
// tokens and SAML LogoutRequests over SOAP. Each delivery is an item of a
// Store work queue (store/store.h), so whichever replica is alive carries it
// out; libcurl does the transport (Pistache's client cannot speak https:
// docs/ARCHITECTURE.md, dependencies).
//
// Contracts:
//  - Post() never waits on the network: it writes the item to the Store
//    (durable to the backend's degree: sqlite and Redis keep it across a
//    crash of this process) and returns.
//  - Every replica runs workers that claim due items with a lease. A worker
//    that dies mid-delivery leaves its item leased; when the lease lapses
//    another replica delivers it. So a receiver may see a delivery twice
//    (logout tokens carry a jti; SOAP logouts name the session), never none
//    while the deadline allows.
//  - Retries only on transport errors and 5xx/429 answers, after a backoff
//    that doubles per attempt; a 4xx is final. An item past its deadline or
//    its last attempt is dropped with a log line.
//  - A receiver that hangs costs only its own attempts (bounded by
//    `attempt_timeout`), never another delivery beyond the workers' width.
//  - Thread-safe. The destructor stops claiming, lets in-flight attempts
//    finish and gives due items up to `drain_timeout`; whatever remains
//    stays queued in the Store for the next start or another replica.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "store/store.h"

namespace certme {

struct OutboxOptions {
  // The Store queue; every replica of one deployment must use the same.
  std::string queue = "outbox";
  // Parallel deliveries per replica; each worker owns one in-flight request.
  int workers = 4;
  // Attempts per delivery, first one included.
  int max_attempts = 6;
  // Whole-request timeout of one attempt (connect included).
  Duration attempt_timeout = std::chrono::seconds(5);
  // Delay before the 2nd attempt; doubled for each later one, at most
  // `max_backoff`.
  Duration backoff = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::minutes(1);
  // A claimed item comes back to the queue after this long if its replica
  // neither finished nor rescheduled it (it died). Longer than an attempt.
  Duration lease = std::chrono::seconds(30);
  // A delivery not done within this long of its Post() is dropped.
  Duration deadline = std::chrono::minutes(10);
  // How often an idle worker looks for items due (others' and retries).
  Duration poll = std::chrono::milliseconds(500);
  // On destruction, how long due items may still be delivered.
  Duration drain_timeout = std::chrono::seconds(5);
  // Called once per delivery this replica finished, with its outcome
  // (tests, metrics). `status` is the HTTP status, 0 for a transport error.
  std::function<void(const std::string& url, bool delivered, int attempts, long status)> on_done;
  // Called after every attempt this replica made, with its HTTP status (0:
  // a transport error or timeout) — the failures the retries hide (metrics).
  std::function<void(long status)> on_attempt;
};

struct OutboundPost {
  std::string url;  // http or https only
  std::string body;
  std::string content_type = "application/x-www-form-urlencoded";
  std::string soap_action;  // sent as SOAPAction when not empty
  std::string authorization;  // sent as Authorization when not empty (a CIBA ping's bearer)
};

class Outbox {
 public:
  // `store`, `clock` and `random` must outlive the Outbox.
  Outbox(Store& store, Clock& clock, Random& random, OutboxOptions options);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Queues a delivery. InvalidArgument for a URL that is not http(s); the
  // Store's error when it cannot take the item (the caller logs it).
  Status Post(OutboundPost post);

  // Items waiting in the queue, due or not, from every replica (metrics).
  StatusOr<size_t> Pending();

  // Blocks until the queue is empty and nothing is in flight here, or
  // `timeout` passes (tests). True when idle.
  bool WaitIdle(Duration timeout);

 private:
  void Run();
  // Delivers one claimed item and records the outcome in the Store.
  void Deliver(const QueueItem& item);
  // Sleeps until woken by Post, the poll interval, or stop.
  void Idle();

  Store& store_;
  Clock& clock_;
  Random& random_;
  const OutboxOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;   // guarded by mu_
  int in_flight_ = 0;       // guarded by mu_
  int posted_ = 0;          // Posts not yet looked at by a worker; guarded by mu_
  std::chrono::steady_clock::time_point drain_deadline_;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace certme
