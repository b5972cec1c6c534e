// Store throughput: Put / Get / Consume for the memory, sqlite and redis
// backends, one thread and several. With several threads sqlite's group
// commit lets concurrent writers share one fsync, which is what the
// multi-thread Put and Consume rows show. Run: store_bench
// [--benchmark_filter=sqlite]. The sqlite file lives in a fresh directory
// under the system temp dir, so the figures depend on that disk's fsync
// latency. Redis: a redis-server the bench starts on a free loopback port
// with the recommended durability (appendonly yes, appendfsync always), over
// TCP; every operation is one round trip on a pooled connection.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

#include "store/store.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/redis/redis_store.h"
#ifdef CERTME_BENCH_REDIS
#include "tests/store/redis_test_server.h"
#endif

namespace certme {
namespace {

constexpr int kGetKeys = 10000;
const std::string kValue(200, 'v');  // about a session record

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certme-store-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const char* name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

Store& Memory() {
  static auto store = NewMemoryStore();
  return *store;
}

Store& Sqlite() {
  // Declared first, destroyed last: the store closes before its directory goes.
  static BenchDir dir;
  static auto store = [] {
    auto s = NewSqliteStore({.path = dir.File("bench.db")});
    if (!s.ok()) {
      std::fprintf(stderr, "sqlite store: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    return std::move(s).value();
  }();
  return *store;
}

#ifdef CERTME_BENCH_REDIS
Store& Redis() {
  static std::unique_ptr<RedisTestServer> server = [] {
    auto s = RedisTestServer::Start({.append_only = true});
    if (!s.ok()) {
      std::fprintf(stderr, "redis-server: %s %s\n", s.status().ToString().c_str(), s.status().detail().c_str());
      std::abort();
    }
    return std::move(s).value();
  }();
  static auto store = [] {
    RedisStoreOptions o;
    o.port = server->port();
    o.prefix = "bench:";
    o.max_connections = 16;
    auto s = NewRedisStore(o);
    if (!s.ok()) {
      std::fprintf(stderr, "redis store: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    return std::move(s).value();
  }();
  return *store;
}
#endif

using StoreFn = Store& (*)();

std::string Key(const char* op, int thread, int64_t i) {
  return std::string(op) + "-" + std::to_string(thread) + "-" + std::to_string(i);
}

void BM_Put(benchmark::State& state, StoreFn store_fn) {
  Store& store = store_fn();
  int64_t i = 0;
  for (auto _ : state) {
    Status s = store.Put("bench", Key("put", state.thread_index(), i++), kValue, std::chrono::hours(1));
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Get(benchmark::State& state, StoreFn store_fn) {
  Store& store = store_fn();
  static std::once_flag memory_once, sqlite_once, redis_once;
  // Other threads wait here until the keys exist.
  std::once_flag& once = store_fn == &Memory ? memory_once : store_fn == &Sqlite ? sqlite_once : redis_once;
  std::call_once(once, [&] {
    for (int k = 0; k < kGetKeys; ++k) {
      (void)store.Put("get", "k" + std::to_string(k), kValue, kNoExpiry);
    }
  });
  int64_t i = state.thread_index() * 7919;
  for (auto _ : state) {
    auto v = store.Get("get", "k" + std::to_string(i++ % kGetKeys));
    if (!v.ok()) state.SkipWithError(v.status().ToString().c_str());
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

// Fixed iteration counts: each thread first writes exactly the keys it
// will consume (outside the timed loop).
void BM_Consume(benchmark::State& state, StoreFn store_fn) {
  Store& store = store_fn();
  static std::atomic<int> run{0};
  const std::string ns = "consume" + std::to_string(run.fetch_add(1) / state.threads());
  for (int64_t k = 0; k < state.max_iterations; ++k) {
    (void)store.Put(ns, Key("c", state.thread_index(), k), kValue, std::chrono::hours(1));
  }
  int64_t i = 0;
  for (auto _ : state) {
    auto v = store.Consume(ns, Key("c", state.thread_index(), i++));
    if (!v.ok()) state.SkipWithError(v.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

#define CERTME_STORE_BENCH(fn, backend) \
  BENCHMARK_CAPTURE(fn, backend, &backend)->UseRealTime()->Threads(1)->Threads(4)->Threads(16)

CERTME_STORE_BENCH(BM_Put, Memory);
CERTME_STORE_BENCH(BM_Get, Memory);
CERTME_STORE_BENCH(BM_Consume, Memory)->Iterations(200000);
CERTME_STORE_BENCH(BM_Put, Sqlite);
CERTME_STORE_BENCH(BM_Get, Sqlite);
CERTME_STORE_BENCH(BM_Consume, Sqlite)->Iterations(1000);
#ifdef CERTME_BENCH_REDIS
CERTME_STORE_BENCH(BM_Put, Redis);
CERTME_STORE_BENCH(BM_Get, Redis);
CERTME_STORE_BENCH(BM_Consume, Redis)->Iterations(300);
#endif

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
