// The shared Store suite against a real redis-server, once over TCP and once
// over a Unix socket. TTLs are Redis's own, so time passes for real: the
// suite's ttl unit is short and "advancing" sleeps.
#include <atomic>
#include <thread>

#include "store/store.h"
#include "store/redis/redis_store.h"
#include "tests/store/redis_test_server.h"
#include "tests/store/conformance/store_conformance.h"

namespace certme {

namespace {

// One server per test process and transport; each test gets a fresh prefix,
// so it sees an empty store.
StatusOr<RedisTestServer*> Server(bool unix_socket) {
  static std::unique_ptr<RedisTestServer> servers[2];
  static Status failed[2] = {Status::Ok(), Status::Ok()};
  int i = unix_socket ? 1 : 0;
  if (!servers[i] && failed[i].ok()) {
    auto s = RedisTestServer::Start({.unix_socket = unix_socket});
    if (!s.ok()) {
      failed[i] = s.status();
    } else {
      servers[i] = std::move(*s);
    }
  }
  if (!failed[i].ok()) return failed[i];
  return servers[i].get();
}

std::string FreshPrefix() {
  static std::atomic<int> n{0};
  return "conformance:" + std::to_string(++n) + ":";
}

StoreOrStatus MakeRedis(bool unix_socket) {
  CERTME_ASSIGN_OR_RETURN(RedisTestServer * server, Server(unix_socket));
  RedisStoreOptions o;
  if (unix_socket) {
    o.unix_socket = server->socket_path();
  } else {
    o.port = server->port();
  }
  o.prefix = FreshPrefix();
  // Generous: the suite runs while other tests load the machine.
  o.command_timeout = std::chrono::seconds(10);
  return NewRedisStore(o);
}

// A primary with one replica, every write waiting for it (replicas_to_wait
// 1): the suite's answers must not change when writes wait for WAIT.
StoreOrStatus MakeRedisReplicated() {
  static std::unique_ptr<RedisTestServer> primary, replica;
  static Status failed = Status::Ok();
  if (!primary && failed.ok()) {
    auto p = RedisTestServer::Start({});
    if (!p.ok()) {
      failed = p.status();
    } else {
      primary = std::move(*p);
      RedisTestServerOptions ro;
      ro.extra_config = "replicaof 127.0.0.1 " + std::to_string(primary->port());
      auto r = RedisTestServer::Start(ro);
      if (!r.ok()) failed = r.status();
      else replica = std::move(*r);
    }
    if (failed.ok()) {
      // One write that waits for the replica's first full sync (seconds),
      // so that no test's TTL runs out during it.
      RedisStoreOptions o;
      o.port = primary->port();
      o.prefix = "sync:";
      o.replicas_to_wait = 1;
      o.wait_timeout = std::chrono::seconds(30);
      o.command_timeout = std::chrono::seconds(10);
      auto s = NewRedisStore(o);
      failed = s.ok() ? (*s)->Put("sync", "sync", "", kNoExpiry) : s.status();
    }
  }
  if (!failed.ok()) return failed;
  RedisStoreOptions o;
  o.port = primary->port();
  o.prefix = FreshPrefix();
  o.command_timeout = std::chrono::seconds(10);
  o.replicas_to_wait = 1;
  o.wait_timeout = std::chrono::seconds(5);
  return NewRedisStore(o);
}

void Sleep(FakeClock*, Duration d) { std::this_thread::sleep_for(d); }

// 400 ms units: expiry is checked 200 ms away from every boundary, room
// for a test process descheduled on a busy machine between two calls.
constexpr Duration kUnit = std::chrono::milliseconds(400);

}  // namespace

INSTANTIATE_TEST_SUITE_P(
    Redis, StoreConformanceTest,
    ::testing::Values(StoreBackend{.name = "redis_tcp",
                                   .make = [](FakeClock*) { return MakeRedis(false); },
                                   .advance = Sleep,
                                   .ttl_unit = kUnit},
                      StoreBackend{.name = "redis_unix",
                                   .make = [](FakeClock*) { return MakeRedis(true); },
                                   .advance = Sleep,
                                   .ttl_unit = kUnit},
                      StoreBackend{.name = "redis_replicated",
                                   .make = [](FakeClock*) { return MakeRedisReplicated(); },
                                   .advance = Sleep,
                                   .ttl_unit = kUnit}),
    StoreBackendName);

}  // namespace certme
