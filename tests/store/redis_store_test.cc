// What the Redis backend adds to the shared suite: a Redis that is down,
// killed, stalled or restarted gives Unavailable within the configured
// timeouts and is used again once back (nothing acknowledged lost with AOF);
// AUTH; prefixes; Sentinel lookup and failover.
#include <gtest/gtest.h>
#include <hiredis.h>

#include <chrono>
#include <thread>

#include "store/store.h"
#include "store/redis/redis_store.h"
#include "tests/store/redis_test_server.h"

namespace certme {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::unique_ptr<RedisTestServer> StartOrSkip(const RedisTestServerOptions& o) {
  auto s = RedisTestServer::Start(o);
  if (!s.ok()) {
    if (s.status().code() == StatusCode::kUnavailable) return nullptr;
    ADD_FAILURE() << s.status().ToString() << " " << s.status().detail();
    return nullptr;
  }
  return std::move(*s);
}

#define START_OR_SKIP(var, opts)                                   \
  auto var = StartOrSkip(opts);                                    \
  if (!var) {                                                      \
    if (!HasFailure()) GTEST_SKIP() << "redis-server is not installed"; \
    return;                                                        \
  }

RedisStoreOptions Tcp(const RedisTestServer& s) {
  RedisStoreOptions o;
  o.port = s.port();
  o.prefix = "test:";
  return o;
}

// The store, or a test failure and a null pointer (callers ASSERT_TRUE it).
std::unique_ptr<Store> MustOpen(const RedisStoreOptions& o) {
  auto s = NewRedisStore(o);
  if (!s.ok()) {
    ADD_FAILURE() << s.status().ToString() << " " << s.status().detail();
    return nullptr;
  }
  return std::move(s).value();
}

double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

TEST(RedisStoreTest, NothingListeningIsUnavailableAtOnce) {
  RedisStoreOptions o;
  o.port = FreeLoopbackPort();
  auto t = steady_clock::now();
  auto s = NewRedisStore(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().ToString();
  EXPECT_EQ(s.status().message(), "store is unavailable");
  EXPECT_LT(SecondsSince(t), 5);
}

TEST(RedisStoreTest, BadOptionsAreInvalidArgument) {
  RedisStoreOptions o;
  o.port = 0;
  EXPECT_EQ(NewRedisStore(o).status().code(), StatusCode::kInvalidArgument);
  o.port = 6379;
  o.max_connections = 0;
  EXPECT_EQ(NewRedisStore(o).status().code(), StatusCode::kInvalidArgument);
  o.max_connections = 1;
  o.command_timeout = milliseconds(0);
  EXPECT_EQ(NewRedisStore(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(RedisStoreTest, KilledRedisIsUnavailableAndAcknowledgedWritesSurviveItsRestart) {
  START_OR_SKIP(server, {.append_only = true});
  auto made = NewRedisStore(Tcp(*server));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto& store = *made;
  ASSERT_TRUE(store->Put("clients", "c1", "registration", kNoExpiry).ok());
  ASSERT_TRUE(store->Put("sessions", "s1", "live", seconds(600)).ok());
  ASSERT_TRUE(store->Put("codes", "k1", "code", seconds(600)).ok());

  server->Kill();
  auto t = steady_clock::now();
  auto got = store->Get("clients", "c1");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
  EXPECT_EQ(store->Ping().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Consume("codes", "k1").status().code(), StatusCode::kUnavailable);
  EXPECT_LT(SecondsSince(t), 10) << "a dead Redis must fail fast";

  ASSERT_TRUE(server->Restart().ok());
  // The pool reconnects by itself; even a non-retried Consume on the first
  // call after the restart works (stale connections are noticed before use).
  auto consumed = store->Consume("codes", "k1");
  ASSERT_TRUE(consumed.ok()) << consumed.status().ToString();
  EXPECT_EQ(*consumed, "code");
  EXPECT_EQ(*store->Get("clients", "c1"), "registration");
  EXPECT_EQ(*store->Get("sessions", "s1"), "live");
  EXPECT_TRUE(store->Ping().ok());
}

TEST(RedisStoreTest, RestartedRedisNeedsNoRetryFromCallers) {
  START_OR_SKIP(server, {.append_only = true});
  RedisStoreOptions o = Tcp(*server);
  o.max_connections = 4;
  auto store = MustOpen(o);
  ASSERT_TRUE(store);
  // Fill the pool with idle connections.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { (void)store->Put("ns", "k" + std::to_string(i), "v", kNoExpiry); });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(server->Restart().ok());
  for (int i = 0; i < 4; ++i) {
    Status s = store->PutIfAbsent("ns", "new" + std::to_string(i), "v", kNoExpiry);
    EXPECT_TRUE(s.ok()) << "call " << i << ": " << s.ToString() << " " << s.detail();
  }
}

TEST(RedisStoreTest, StalledRedisTimesOutInsteadOfHanging) {
  START_OR_SKIP(server, {});
  RedisStoreOptions o = Tcp(*server);
  o.command_timeout = milliseconds(300);
  auto store = MustOpen(o);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put("ns", "k", "v", kNoExpiry).ok());
  server->Pause();
  auto t = steady_clock::now();
  auto got = store->Get("ns", "k");
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->PutIfAbsent("ns", "k2", "v", kNoExpiry).code(), StatusCode::kUnavailable);
  // Get may try twice (it is safe to repeat), PutIfAbsent once: ~0.9 s.
  EXPECT_LT(SecondsSince(t), 5);
  server->Resume();
  auto again = store->Get("ns", "k");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "v");
}

TEST(RedisStoreTest, PasswordIsRequiredAndNeverShown) {
  START_OR_SKIP(server, {.password = "s3cret-pass"});
  RedisStoreOptions o = Tcp(*server);
  auto none = NewRedisStore(o);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable);
  o.password = Secret("wrong-pass");
  auto wrong = NewRedisStore(o);
  ASSERT_EQ(wrong.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(wrong.status().detail().find("wrong-pass"), std::string::npos);
  o.password = Secret("s3cret-pass");
  auto right = NewRedisStore(o);
  ASSERT_TRUE(right.ok()) << right.status().ToString() << " " << right.status().detail();
  EXPECT_TRUE((*right)->Put("ns", "k", "v", kNoExpiry).ok());
}

TEST(RedisStoreTest, PrefixesAndDatabasesSeparateDeployments) {
  START_OR_SKIP(server, {});
  RedisStoreOptions a = Tcp(*server), b = Tcp(*server), c = Tcp(*server);
  a.prefix = "blue:";
  b.prefix = "green:";
  c.prefix = "blue:";
  c.db = 3;
  auto sa = MustOpen(a);
  ASSERT_TRUE(sa);
  auto sb = MustOpen(b);
  ASSERT_TRUE(sb);
  auto sc = MustOpen(c);
  ASSERT_TRUE(sc);
  ASSERT_TRUE(sa->Put("reg", "x", "blue", kNoExpiry).ok());
  ASSERT_TRUE(sb->Put("reg", "x", "green", kNoExpiry).ok());
  EXPECT_EQ(*sa->Get("reg", "x"), "blue");
  EXPECT_EQ(*sb->Get("reg", "x"), "green");
  EXPECT_EQ(sc->Get("reg", "x").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(sa->List("reg")->size(), 1u);
  // A prefix with glob characters matches only itself in List.
  RedisStoreOptions g = Tcp(*server);
  g.prefix = "b*:";
  auto sg = MustOpen(g);
  ASSERT_TRUE(sg);
  EXPECT_TRUE(sg->List("reg")->empty());
}

TEST(RedisStoreTest, PoolBoundsConnectionsAndServesManyThreads) {
  START_OR_SKIP(server, {});
  RedisStoreOptions o = Tcp(*server);
  o.max_connections = 2;
  o.command_timeout = seconds(10);
  auto store = MustOpen(o);
  ASSERT_TRUE(store);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string k = std::to_string(t) + "-" + std::to_string(i);
        if (!store->Put("ns", k, k, kNoExpiry).ok() || *store->Get("ns", k) != k) errors++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  // The server saw at most two clients from this store (plus none other).
  redisContext* c = redisConnect("127.0.0.1", server->port());
  ASSERT_TRUE(c && !c->err);
  auto* r = static_cast<redisReply*>(redisCommand(c, "CLIENT LIST"));
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STRING);
  std::string list(r->str, r->len);
  int clients = 0;
  for (size_t p = 0; (p = list.find("id=", p)) != std::string::npos; ++p) ++clients;
  EXPECT_LE(clients, 3) << list;  // two pooled + this one
  freeReplyObject(r);
  redisFree(c);
}

// A primary, a replica and one Sentinel: the store finds the primary through
// the Sentinel and, after a failover, writes to the promoted replica.
TEST(RedisStoreTest, SentinelLookupFollowsAFailover) {
  START_OR_SKIP(primary, {});
  RedisTestServerOptions ro;
  ro.extra_config = "replicaof 127.0.0.1 " + std::to_string(primary->port());
  START_OR_SKIP(replica, ro);
  RedisTestServerOptions so;
  so.sentinel = true;
  so.extra_config = "sentinel monitor certme 127.0.0.1 " + std::to_string(primary->port()) +
                    " 1\nsentinel down-after-milliseconds certme 1000\n"
                    "sentinel failover-timeout certme 10000\n";
  START_OR_SKIP(sentinel, so);

  RedisStoreOptions o;
  o.sentinels = {"127.0.0.1:" + std::to_string(FreeLoopbackPort()),  // a dead one is skipped
                 "127.0.0.1:" + std::to_string(sentinel->port())};
  o.sentinel_master = "certme";
  o.prefix = "sentinel:";
  auto made = NewRedisStore(o);
  ASSERT_TRUE(made.ok()) << made.status().ToString() << " " << made.status().detail();
  auto store = std::move(*made);
  ASSERT_TRUE(store->Put("clients", "c1", "registration", kNoExpiry).ok());

  // Wait until the replica has the write and the Sentinel knows the replica.
  redisContext* p = redisConnect("127.0.0.1", primary->port());
  ASSERT_TRUE(p && !p->err);
  auto* w = static_cast<redisReply*>(redisCommand(p, "WAIT 1 10000"));
  ASSERT_TRUE(w && w->type == REDIS_REPLY_INTEGER && w->integer == 1);
  freeReplyObject(w);
  redisFree(p);
  redisContext* s = redisConnect("127.0.0.1", sentinel->port());
  ASSERT_TRUE(s && !s->err);
  redisSetTimeout(s, timeval{5, 0});
  auto deadline = steady_clock::now() + seconds(30);
  bool failed_over = false;
  while (steady_clock::now() < deadline && !failed_over) {
    auto* r = static_cast<redisReply*>(redisCommand(s, "SENTINEL FAILOVER certme"));
    bool accepted = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (accepted) {
      // Done when the Sentinel names the replica as primary.
      auto until = steady_clock::now() + seconds(20);
      while (steady_clock::now() < until) {
        auto* a = static_cast<redisReply*>(
            redisCommand(s, "SENTINEL get-master-addr-by-name certme"));
        bool moved = a && a->type == REDIS_REPLY_ARRAY && a->elements == 2 &&
                     std::atoi(a->element[1]->str) == replica->port();
        if (a) freeReplyObject(a);
        if (moved) {
          failed_over = true;
          break;
        }
        std::this_thread::sleep_for(milliseconds(100));
      }
    } else {
      // "NOGOODSLAVE" until the Sentinel has discovered the replica.
      std::this_thread::sleep_for(milliseconds(200));
    }
  }
  redisFree(s);
  ASSERT_TRUE(failed_over) << "the Sentinel did not fail over within 30 s";

  // The old primary is now a replica (read-only) or being reconfigured;
  // within a few attempts the store must be writing to the new primary.
  Status put = Unavailable("not tried");
  auto until = steady_clock::now() + seconds(20);
  while (steady_clock::now() < until) {
    put = store->Put("clients", "c2", "after-failover", kNoExpiry);
    if (put.ok()) break;
    EXPECT_EQ(put.code(), StatusCode::kUnavailable) << put.ToString();
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(put.ok()) << put.ToString() << " " << put.detail();
  EXPECT_EQ(*store->Get("clients", "c1"), "registration");
  redisContext* n = redisConnect("127.0.0.1", replica->port());
  ASSERT_TRUE(n && !n->err);
  auto* role = static_cast<redisReply*>(redisCommand(n, "ROLE"));
  ASSERT_TRUE(role && role->type == REDIS_REPLY_ARRAY);
  EXPECT_EQ(std::string(role->element[0]->str), "master");
  freeReplyObject(role);
  redisFree(n);
}

}  // namespace
}  // namespace certme
