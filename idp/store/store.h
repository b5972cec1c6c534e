// Store: everything the bridge must remember — registered services,
// sessions, one-time codes, replay caches, refresh tokens, login
// transactions — as namespaced keys with optional TTL and the atomic
// operations the protocols need (consume-once, insert-if-absent,
// compare-and-swap).
//
// Values are opaque bytes (callers keep JSON); typed repositories sit above
// this interface so that every backend (memory, sqlite, later redis) only has
// to implement these primitives and pass tests/store_conformance.
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

  // Cheap liveness check for /readyz.
  virtual Status Ping() = 0;

  // Backend name for logs and metrics ("memory", "sqlite", "redis").
  virtual std::string_view Name() const = 0;
};

struct MemoryStoreOptions {
  // Time source for TTLs; SystemClock() when null.
  Clock* clock = nullptr;
};
std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options = {});

struct SqliteStoreOptions {
  // Database file; created with its parent directory if missing.
  std::string path = "var/certme.db";
  // true: synchronous=FULL, every commit batch is fsynced, so an acknowledged
  // write survives power loss and kernel crashes too. false:
  // synchronous=NORMAL (WAL mode): an acknowledged write survives a crash or
  // kill -9 of the process, because the WAL is already in the OS cache, but
  // the last commits before a power loss may roll back; several times faster
  // when few requests write at once.
  bool sync_full = true;
  // Time source for TTLs; SystemClock() when null.
  Clock* clock = nullptr;
  // How often expired rows are purged (lazy expiry makes them invisible
  // earlier; this only reclaims space). Zero or negative disables purging.
  Duration purge_interval = std::chrono::minutes(5);
  // Read-only connections serving Get/List/Ping beside the single writer
  // (WAL lets them read while a write transaction is open). At least 1.
  int read_connections = 4;
  // How long a connection waits for a lock held by another process (another
  // instance pointed at the same file by mistake, or the sqlite3 shell).
  Duration busy_timeout = std::chrono::seconds(5);
  // Runs PRAGMA quick_check when opening, so a damaged file is refused at
  // start-up instead of failing requests later. It reads the whole file:
  // cheap for the state the bridge keeps (megabytes), turn it off for
  // multi-gigabyte files.
  bool check_integrity_on_open = true;
};
// Opens (creating if needed) a WAL-mode database with synchronous=FULL so
// that an acknowledged write survives a crash of the process (and, with
// fsync per commit, of the machine). Writes go through one writer thread
// that commits every queued write in one transaction (group commit): each
// caller blocks until the transaction holding its write has committed, so
// concurrent requests share one fsync. Errors: Unavailable when the path
// cannot be created or written, Internal when the file is not a database or
// is corrupt. Destroying the store finishes queued writes first. Atomicity
// holds even if two processes share a file (every write runs inside a
// BEGIN IMMEDIATE transaction), but only one should, for throughput.
StatusOr<std::unique_ptr<Store>> NewSqliteStore(const SqliteStoreOptions& options);

struct RedisStoreOptions {
  // Where the primary is, in order of precedence: `unix_socket` (a path),
  // else `sentinels` (the primary's address is asked from them, again after
  // every connection failure, so a Sentinel failover is followed), else
  // `host`:`port`.
  std::string unix_socket;
  std::vector<std::string> sentinels;  // "host:port" each; asked without AUTH
  // The name the sentinels monitor the primary under.
  std::string sentinel_master = "certme";
  std::string host = "127.0.0.1";
  int port = 6379;
  // AUTH credentials; an empty password sends no AUTH. `username` is for
  // Redis 6 ACLs (empty: the default user).
  std::string username;
  Secret password;
  // SELECT'ed database number.
  int db = 0;
  // Prepended to every Redis key, so that several deployments (or tests) can
  // share one Redis. Keys are `prefix + len(ns) + ":" + ns + ":" + key`.
  std::string prefix = "certme:";
  // Connections kept open and shared by all threads; a caller waits at most
  // `command_timeout` for a free one, then gets Unavailable.
  int max_connections = 16;
  // Bounds on connecting and on each command's round trip: a Redis that is
  // down or stalled gives Unavailable after at most about this long.
  Duration connect_timeout = std::chrono::seconds(2);
  Duration command_timeout = std::chrono::seconds(2);
};
// A Store kept in Redis (hiredis), shared by every replica of the bridge.
// TTLs are Redis's own (PX), so the injected clock plays no part; Consume is
// GETDEL, PutIfAbsent is SET NX, CompareAndSwap is a Lua script, so each is
// one atomic step on the server. List scans the keyspace (SCAN MATCH): fine
// for the small namespaces it serves, its cost grows with all keys.
// Durability is the server's: with `appendonly yes` + `appendfsync always`
// an acknowledged write survives a restart of Redis.
// Errors: Unavailable when Redis cannot be reached, times out, is loading or
// is a read-only replica (the connection is dropped and the next call
// reconnects, asking the sentinels again); Internal for unexpected replies.
// Fails with Unavailable when no connection can be made at start.
StatusOr<std::unique_ptr<Store>> NewRedisStore(const RedisStoreOptions& options);

}  // namespace certme
