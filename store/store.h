// Store: everything the bridge must remember — registered services,
// sessions, one-time codes, replay caches, refresh tokens, login
// transactions — as namespaced keys with optional TTL and the atomic
// operations the protocols need (consume-once, insert-if-absent,
// compare-and-swap).
//
// Values are opaque bytes (callers keep JSON); typed repositories sit above
// this interface so that every backend (store/memory, store/sqlite,
// store/redis, each with its factory header) only has to implement these
// primitives and pass tests/store_conformance.
//
// Contracts shared by all backends:
//  - Thread-safe: any method may be called from many threads at once.
//  - An expired key behaves exactly like an absent one, for every method.
//  - Consume: among concurrent callers for one key exactly one gets the
//    value; the rest get NotFound.
//  - A method that returned OK has made its write durable to the degree the
//    backend promises (sqlite: survives kill -9 of the process).
//  - Namespaces and keys are non-empty, at most 256 bytes; values at most
//    1 MiB (empty values are allowed); a ttl is zero or positive. Violations
//    return InvalidArgument. All of them are arbitrary bytes (NUL included).
//  - A key written with ttl t at time T is live while Now() < T + t and
//    expired from T + t on (suites avoid the exact boundary so that backends
//    with native TTLs, whose boundary rounding differs, can pass them).
//  - Backend trouble (disk, connection, corruption) is Unavailable or
//    Internal; the message is client-safe, the detail names the cause.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"

namespace certme {

// ttl of zero means "never expires".
inline constexpr Duration kNoExpiry{0};

// Bounds from the contract above; exported so that callers can check early.
inline constexpr size_t kMaxStoreKeyBytes = 256;
inline constexpr size_t kMaxStoreValueBytes = 1 << 20;

struct StoreEntry {
  std::string key;
  std::string value;
};

// One claimed item of a work queue (Enqueue / ClaimDue).
struct QueueItem {
  std::string id;
  std::string value;
  int attempts = 0;  // claims so far, this one included
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or replaces.
  virtual Status Put(std::string_view ns, std::string_view key, std::string_view value,
                     Duration ttl) = 0;

  // Creates only if absent (or expired); otherwise AlreadyExists.
  // The replay-cache primitive: "have I seen this jti / AuthnRequest ID?".
  virtual Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value,
                             Duration ttl) = 0;

  // NotFound when absent or expired.
  virtual StatusOr<std::string> Get(std::string_view ns, std::string_view key) = 0;

  // Atomically returns and deletes. One winner among concurrent callers;
  // the others get NotFound. Authorization codes and login codes use it.
  virtual StatusOr<std::string> Consume(std::string_view ns, std::string_view key) = 0;

  // Replaces the value only if the current value equals `expected`
  // (FailedPrecondition if it differs, NotFound if absent). `ttl` applies to
  // the new value. Refresh-token rotation uses it.
  virtual Status CompareAndSwap(std::string_view ns, std::string_view key,
                                std::string_view expected, std::string_view value,
                                Duration ttl) = 0;

  // OK whether or not the key existed.
  virtual Status Delete(std::string_view ns, std::string_view key) = 0;

  // Every live entry of a namespace, ordered by key. For small namespaces
  // (the service registry), not for sessions.
  virtual StatusOr<std::vector<StoreEntry>> List(std::string_view ns) = 0;

  // ---- work queues: durable deliveries that any replica may carry out ----
  // A queue is a namespace of its own (queues and keys never collide). Its
  // items are due at a time; a claim moves the item's due time one lease
  // ahead, so an item whose claimer dies before it calls Dequeue or
  // Reschedule becomes due again when the lease lapses. Queue times follow
  // the backend's clock (the injected clock; Redis: the server's).

  // Adds item `id`, due after `delay` (zero: now). AlreadyExists when the
  // queue holds that id.
  virtual Status Enqueue(std::string_view queue, std::string_view id, std::string_view value,
                         Duration delay) = 0;

  // Claims up to `max` (≥ 1) due items, earliest due first: each one's due
  // time becomes now + `lease` (> 0) and its attempt count grows by one.
  // Among concurrent claimers each due item goes to exactly one.
  virtual StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max,
                                                    Duration lease) = 0;

  // Makes the item due at now + `delay` (a retry with backoff). NotFound
  // when the queue does not hold it.
  virtual Status Reschedule(std::string_view queue, std::string_view id, Duration delay) = 0;

  // Removes the item (delivered, or given up). OK whether or not present.
  virtual Status Dequeue(std::string_view queue, std::string_view id) = 0;

  // Items in the queue, due or not (metrics).
  virtual StatusOr<size_t> QueueSize(std::string_view queue) = 0;

  // Cheap liveness check for /readyz.
  virtual Status Ping() = 0;

  // Backend name for logs and metrics ("memory", "sqlite", "redis").
  virtual std::string_view Name() const = 0;
};

}  // namespace certme
