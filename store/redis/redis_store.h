// The Redis Store (hiredis), shared by every replica of the bridge.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/secret.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace certme {

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
  // Replicas that must have a write before it is acknowledged (Redis WAIT
  // after every write, on the connection that made it); 0: none, the
  // primary's answer is enough (a single Redis). With a replica and
  // Sentinel, 1: a failover then never loses an acknowledged write, nor
  // brings back a consumed code or a rotated refresh token. When fewer
  // replicas answer within `wait_timeout` the call is Unavailable (the
  // request fails closed with 503).
  int replicas_to_wait = 0;
  Duration wait_timeout = std::chrono::milliseconds(500);
};
// A Store kept in Redis (hiredis), shared by every replica of the bridge.
// TTLs are Redis's own (PX), so the injected clock plays no part; Consume is
// GETDEL, PutIfAbsent is SET NX, CompareAndSwap is a Lua script, so each is
// one atomic step on the server. List scans the keyspace (SCAN MATCH): fine
// for the small namespaces it serves, its cost grows with all keys.
// Durability is the server's: with `appendonly yes` + `appendfsync always`
// an acknowledged write survives a restart of Redis; with replicas_to_wait
// it is also on that many replicas, so it survives a failover.
// Each call's waiting is bounded by the timeouts and, on a request thread,
// by the request's wait budget (common/wait_budget.h).
// Errors: Unavailable when Redis cannot be reached, times out, is loading or
// is a read-only replica (the connection is dropped and the next call
// reconnects, asking the sentinels again); Internal for unexpected replies.
// Fails with Unavailable when no connection can be made at start.
StatusOr<std::unique_ptr<Store>> NewRedisStore(const RedisStoreOptions& options);

}  // namespace certme
