// The Redis store's replication guarantee and per-request bound: with
// replicas_to_wait a write is acknowledged only once a replica has it, and
// fails closed (Unavailable) when the replica lags; a request's store calls
// on a stalled primary give up together within its wait budget.
#include <gtest/gtest.h>
#include <hiredis.h>

#include <chrono>
#include <thread>

#include "common/wait_budget.h"
#include "store/redis/redis_store.h"
#include "store/store.h"
#include "tests/store/redis_test_server.h"

namespace certme {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

double SecondsSince(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

// A primary and one replica in sync, or a skip when redis-server is absent.
struct Pair {
  std::unique_ptr<RedisTestServer> primary, replica;
};

StatusOr<Pair> StartPair() {
  Pair p;
  CERTME_ASSIGN_OR_RETURN(p.primary, RedisTestServer::Start({}));
  RedisTestServerOptions ro;
  ro.extra_config = "replicaof 127.0.0.1 " + std::to_string(p.primary->port());
  CERTME_ASSIGN_OR_RETURN(p.replica, RedisTestServer::Start(ro));
  // In sync when a WAIT for one replica succeeds.
  redisContext* c = redisConnect("127.0.0.1", p.primary->port());
  if (!c || c->err) return Internal("cannot reach the primary");
  bool synced = false;
  for (int i = 0; i < 100 && !synced; ++i) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "WAIT 1 200"));
    synced = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    if (r) freeReplyObject(r);
  }
  redisFree(c);
  if (!synced) return Internal("the replica did not sync within 20 s");
  return p;
}

#define START_PAIR_OR_SKIP(var)                                                   \
  auto var##_made = StartPair();                                                  \
  if (!var##_made.ok()) {                                                         \
    if (var##_made.status().code() == StatusCode::kUnavailable)                  \
      GTEST_SKIP() << "redis-server is not installed";                            \
    FAIL() << var##_made.status().ToString() << " " << var##_made.status().detail(); \
  }                                                                               \
  Pair& var = *var##_made;

std::unique_ptr<Store> Open(int port, int replicas_to_wait) {
  RedisStoreOptions o;
  o.port = port;
  o.prefix = "repl:";
  o.replicas_to_wait = replicas_to_wait;
  o.wait_timeout = milliseconds(200);
  o.command_timeout = seconds(5);
  auto s = NewRedisStore(o);
  if (!s.ok()) {
    ADD_FAILURE() << s.status().ToString() << " " << s.status().detail();
    return nullptr;
  }
  return std::move(s).value();
}

TEST(RedisReplicationTest, WritesWaitForTheReplicaAndFailClosedWhenItLags) {
  START_PAIR_OR_SKIP(p);
  auto store = Open(p.primary->port(), 1);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put("oidc_code", "c1", "code", seconds(60)).ok());
  ASSERT_TRUE(store->Put("oidc_code", "c2", "code", seconds(60)).ok());
  ASSERT_TRUE(store->Put("oidc_rt", "r1", "gen0", seconds(60)).ok());
  ASSERT_TRUE(store->Enqueue("outbox", "d1", "delivery", milliseconds(0)).ok());

  // Acknowledged means on the replica: read it there.
  redisContext* rc = redisConnect("127.0.0.1", p.replica->port());
  ASSERT_TRUE(rc && !rc->err);
  auto* got = static_cast<redisReply*>(redisCommand(rc, "GET %s", "repl:7:oidc_rt:r1"));
  ASSERT_TRUE(got && got->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(got->str, got->len), "gen0");
  freeReplyObject(got);
  redisFree(rc);

  p.replica->Pause();  // the replication link is cut
  auto t = steady_clock::now();
  auto consumed = store->Consume("oidc_code", "c1");
  EXPECT_EQ(consumed.status().code(), StatusCode::kUnavailable) << consumed.status().ToString();
  EXPECT_NE(consumed.status().detail().find("replicas acknowledged"), std::string::npos)
      << consumed.status().detail();
  EXPECT_EQ(store->CompareAndSwap("oidc_rt", "r1", "gen0", "gen1", seconds(60)).code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(store->PutIfAbsent("oidc_jti", "j1", "", seconds(60)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Put("oidc_grant", "g1", "grant", seconds(60)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Delete("oidc_grant", "g0").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Dequeue("outbox", "d1").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->ClaimDue("outbox", 1, seconds(30)).status().code(), StatusCode::kUnavailable);
  // Six writes, each bounded by the 200 ms wait; reads do not wait.
  EXPECT_LT(SecondsSince(t), 5);
  auto read = store->Get("oidc_code", "c2");
  ASSERT_TRUE(read.ok()) << read.status().ToString();

  p.replica->Resume();
  // Once the replica is back, writes are acknowledged again.
  Status put = Unavailable("not tried");
  for (int i = 0; i < 50 && !put.ok(); ++i) {
    put = store->Put("oidc_grant", "g2", "grant", seconds(60));
    if (!put.ok()) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(put.ok()) << put.ToString() << " " << put.detail();
  auto c2 = store->Consume("oidc_code", "c2");
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(*c2, "code");
}

TEST(RedisReplicationTest, WithoutWaitTheSameWritesAreAcknowledgedByThePrimaryAlone) {
  START_PAIR_OR_SKIP(p);
  auto store = Open(p.primary->port(), 0);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put("oidc_code", "c1", "code", seconds(60)).ok());
  p.replica->Pause();
  // replicas_to_wait 0: the primary's answer is the acknowledgement, so
  // this consume exists nowhere else and a failover now would undo it.
  EXPECT_TRUE(store->Consume("oidc_code", "c1").ok());
  EXPECT_TRUE(store->Put("oidc_grant", "g1", "grant", seconds(60)).ok());
  p.replica->Resume();
}

TEST(RedisReplicationTest, MoreReplicasThanExistIsUnavailableNotAHang) {
  START_PAIR_OR_SKIP(p);
  auto store = Open(p.primary->port(), 2);
  ASSERT_TRUE(store);
  auto t = steady_clock::now();
  Status s = store->Put("ns", "k", "v", kNoExpiry);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.detail().find("1 of 2 replicas"), std::string::npos) << s.detail();
  EXPECT_LT(SecondsSince(t), 3);
}

TEST(RedisReplicationTest, MinReplicasToWriteRefusalIsUnavailable) {
  auto primary = RedisTestServer::Start(
      {.extra_config = "min-replicas-to-write 1\nmin-replicas-max-lag 10\n"});
  if (!primary.ok() && primary.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << "redis-server is not installed";
  ASSERT_TRUE(primary.ok()) << primary.status().ToString();
  auto store = Open((*primary)->port(), 0);
  ASSERT_TRUE(store);
  Status s = store->PutIfAbsent("oidc_jti", "j", "", seconds(60));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString() << " " << s.detail();
  EXPECT_EQ(s.message(), "store is unavailable");
}

// A request that makes several store calls against a stalled primary gives
// up after its budget in total, not after one command timeout per call.
TEST(RedisReplicationTest, AStalledPrimaryCostsARequestAtMostItsWaitBudget) {
  auto server = RedisTestServer::Start({});
  if (!server.ok() && server.status().code() == StatusCode::kUnavailable)
    GTEST_SKIP() << "redis-server is not installed";
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  RedisStoreOptions o;
  o.port = (*server)->port();
  o.command_timeout = milliseconds(600);
  o.connect_timeout = milliseconds(600);
  auto made = NewRedisStore(o);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto& store = *made;
  ASSERT_TRUE(store->Put("ns", "k", "v", kNoExpiry).ok());
  (*server)->Pause();
  auto t = steady_clock::now();
  {
    ScopedWaitBudget budget(milliseconds(700));
    // Without the budget: Get (tried twice), Put (twice), Consume: about
    // five command timeouts, 3 s.
    EXPECT_EQ(store->Get("ns", "k").status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(store->Put("ns", "k2", "v", kNoExpiry).code(), StatusCode::kUnavailable);
    auto spent = store->Consume("ns", "k");
    EXPECT_EQ(spent.status().code(), StatusCode::kUnavailable);
  }
  double took = SecondsSince(t);
  EXPECT_LT(took, 1.2) << "the budget is 0.7 s";
  EXPECT_GE(took, 0.6);
  (*server)->Resume();
  auto again = store->Get("ns", "k");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "v");
}

}  // namespace
}  // namespace certme
