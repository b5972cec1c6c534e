// Redis Store over hiredis 0.14 (Debian 12: no TLS, no RESP3, no cluster
// client — docs/ARCHITECTURE.md, dependencies): one primary, found directly, over a Unix socket or
// through Sentinel.
//
// Connections: a bounded pool shared by all threads. A hiredis context is not
// thread-safe, so each call borrows one for its whole round trip. A
// connection that saw an I/O error is closed, and so is every idle one opened
// before the error (they point at the same dead server); an idle connection
// whose socket is readable (EOF or RST after a Redis restart) is closed
// before use instead of failing a request. Calls that are safe to repeat
// (GET, SET, DEL, SCAN, PING) are retried once on a fresh connection; the
// others (GETDEL, SET NX, the CAS script) are not, since their first attempt
// may have been applied.
#include <hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/wait_budget.h"
#include "store/redis/redis_store.h"
#include "store/redis/redis_wire.h"
#include "store/store_checks.h"

namespace certme {
namespace {

using namespace redis_wire;  // NOLINT: the store's own wire helpers

// SCAN batch size and MGET batch size for List.
constexpr int kScanCount = 1000;
constexpr size_t kMgetBatch = 256;

struct Conn {
  Context ctx;
  uint64_t epoch = 0;  // the pool's epoch when it was opened
};

// What a call does, which says whether it may be repeated after its
// connection broke and whether it waits for replicas (replicas_to_wait):
// kRead (GET, SCAN, PING) repeats and never waits; kWrite (SET, DEL) is
// safe to repeat and waits; kWriteOnce (SET NX, GETDEL, the scripts) waits
// and is never repeated, since a first attempt may have been applied.
enum class Call { kRead, kWrite, kWriteOnce };

class RedisStore final : public Store {
 public:
  explicit RedisStore(RedisStoreOptions o) : o_(std::move(o)) {}

  ~RedisStore() override = default;

  // One round trip, so that a wrong address, password or db fails at start.
  Status Open() { return Ping(); }

  Status Put(std::string_view ns, std::string_view key, std::string_view value,
             Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    CERTME_RETURN_IF_ERROR(CheckStoreTtl(ttl));
    std::string k = FullKey(ns, key);
    StatusOr<Reply> r = ttl == kNoExpiry
                            ? Run(Call::kWrite, {"SET", k, value})
                            : Run(Call::kWrite, {"SET", k, value, "PX", std::to_string(ttl.count())});
    if (!r.ok()) return r.status();
    return ExpectOk(r->get(), "SET");
  }

  Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value,
                     Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    CERTME_RETURN_IF_ERROR(CheckStoreTtl(ttl));
    std::string k = FullKey(ns, key);
    StatusOr<Reply> r =
        ttl == kNoExpiry
            ? Run(Call::kWriteOnce, {"SET", k, value, "NX"})
            : Run(Call::kWriteOnce, {"SET", k, value, "NX", "PX", std::to_string(ttl.count())});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_NIL) return AlreadyExists("store key exists");
    return ExpectOk(r->get(), "SET NX");
  }

  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Call::kRead, {"GET", FullKey(ns, key)}));
    return StringOrNotFound(r.get(), "GET");
  }

  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Call::kWriteOnce, {"GETDEL", FullKey(ns, key)}));
    return StringOrNotFound(r.get(), "GETDEL");
  }

  Status CompareAndSwap(std::string_view ns, std::string_view key, std::string_view expected,
                        std::string_view value, Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    CERTME_RETURN_IF_ERROR(CheckStoreTtl(ttl));
    std::string k = FullKey(ns, key);
    CERTME_ASSIGN_OR_RETURN(
        Reply r, RunScript(cas_, {k}, {std::string(expected), std::string(value), std::to_string(ttl.count())}));
    if (r->type != REDIS_REPLY_INTEGER) return Unexpected(r.get(), "CAS script");
    switch (r->integer) {
      case 0:
        return NotFound("store key not found");
      case 1:
        return FailedPrecondition("store value changed");
      case 2:
        return Status::Ok();
      default:
        return Unexpected(r.get(), "CAS script");
    }
  }

  Status Delete(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Call::kWrite, {"DEL", FullKey(ns, key)}));
    if (r->type != REDIS_REPLY_INTEGER) return Unexpected(r.get(), "DEL");
    return Status::Ok();
  }

  StatusOr<std::vector<StoreEntry>> List(std::string_view ns) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(ns));
    const std::string head = NamespaceHead(ns);
    const std::string pattern = GlobEscape(head) + "*";
    const std::string count = std::to_string(kScanCount);
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      CERTME_ASSIGN_OR_RETURN(
          Reply r, Run(Call::kRead, {"SCAN", cursor, "MATCH", pattern, "COUNT", count}));
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
        return Unexpected(r.get(), "SCAN");
      cursor = ReplyText(r->element[0]);
      const redisReply* batch = r->element[1];
      for (size_t i = 0; i < batch->elements; ++i) {
        if (batch->element[i]->type != REDIS_REPLY_STRING) return Unexpected(r.get(), "SCAN");
        keys.push_back(ReplyText(batch->element[i]));
      }
    } while (cursor != "0");
    // SCAN may return a key more than once (rehashing during the scan).
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

    std::vector<StoreEntry> out;
    for (size_t start = 0; start < keys.size(); start += kMgetBatch) {
      size_t end = std::min(keys.size(), start + kMgetBatch);
      std::vector<std::string> args = {"MGET"};
      args.insert(args.end(), keys.begin() + start, keys.begin() + end);
      CERTME_ASSIGN_OR_RETURN(Reply r, RunV(args));
      if (r->type != REDIS_REPLY_ARRAY || r->elements != end - start) return Unexpected(r.get(), "MGET");
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* v = r->element[i];
        if (v->type == REDIS_REPLY_NIL) continue;  // expired or deleted since the scan
        if (v->type != REDIS_REPLY_STRING) return Unexpected(r.get(), "MGET");
        out.push_back({keys[start + i].substr(head.size()), ReplyText(v)});
      }
    }
    // The full keys share one head, so they already sort like the bare keys.
    return out;
  }

  Status Enqueue(std::string_view queue, std::string_view id, std::string_view value,
                 Duration delay) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
    CERTME_ASSIGN_OR_RETURN(Reply r, RunScript(enqueue_, QueueKeys(queue),
                                               {std::string(id), std::string(value),
                                                std::to_string(delay.count())}));
    if (r->type != REDIS_REPLY_INTEGER) return Unexpected(r.get(), "enqueue script");
    if (r->integer == 0) return AlreadyExists("queue item already exists");
    return Status::Ok();
  }

  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max,
                                            Duration lease) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
    CERTME_RETURN_IF_ERROR(CheckQueueClaim(max, lease));
    CERTME_ASSIGN_OR_RETURN(Reply r, RunScript(claim_, QueueKeys(queue),
                                               {std::to_string(max), std::to_string(lease.count())}));
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0) return Unexpected(r.get(), "claim script");
    std::vector<QueueItem> out;
    for (size_t i = 0; i < r->elements; i += 3) {
      const redisReply* id = r->element[i];
      const redisReply* value = r->element[i + 1];
      const redisReply* attempts = r->element[i + 2];
      if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
          attempts->type != REDIS_REPLY_INTEGER)
        return Unexpected(r.get(), "claim script");
      out.push_back(QueueItem{ReplyText(id), ReplyText(value), static_cast<int>(attempts->integer)});
    }
    return out;
  }

  Status Reschedule(std::string_view queue, std::string_view id, Duration delay) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
    CERTME_ASSIGN_OR_RETURN(Reply r, RunScript(reschedule_, QueueKeys(queue),
                                               {std::string(id), std::to_string(delay.count())}));
    if (r->type != REDIS_REPLY_INTEGER) return Unexpected(r.get(), "reschedule script");
    if (r->integer == 0) return NotFound("queue item not found");
    return Status::Ok();
  }

  Status Dequeue(std::string_view queue, std::string_view id) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    CERTME_ASSIGN_OR_RETURN(Reply r, RunScript(dequeue_, QueueKeys(queue), {std::string(id)}));
    if (r->type != REDIS_REPLY_INTEGER) return Unexpected(r.get(), "dequeue script");
    return Status::Ok();
  }

  StatusOr<size_t> QueueSize(std::string_view queue) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Call::kRead, {"ZCARD", QueueKeys(queue)[0]}));
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) return Unexpected(r.get(), "ZCARD");
    return static_cast<size_t>(r->integer);
  }

  Status Ping() override {
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Call::kRead, {"PING"}));
    if (r->type != REDIS_REPLY_STATUS) return Unexpected(r.get(), "PING");
    return Status::Ok();
  }

  std::string_view Name() const override { return "redis"; }

 private:
  // prefix + len(ns) + ":" + ns + ":" — the length keeps namespaces that are
  // prefixes of each other apart.
  std::string NamespaceHead(std::string_view ns) const {
    std::string h = o_.prefix;
    h += std::to_string(ns.size());
    h += ':';
    h.append(ns);
    h += ':';
    return h;
  }
  std::string FullKey(std::string_view ns, std::string_view key) const {
    std::string k = NamespaceHead(ns);
    k.append(key);
    return k;
  }

  // A queue's sorted set and hashes: `prefix + "q" + len(name) + ":" + name`
  // + ":due" / ":val" / ":att". Keys of the Store start with prefix + a
  // digit, so the two never collide.
  std::vector<std::string> QueueKeys(std::string_view queue) const {
    std::string head = o_.prefix + "q" + std::to_string(queue.size()) + ":" + std::string(queue);
    return {head + ":due", head + ":val", head + ":att"};
  }

  // EVALSHA, and EVAL when the server does not know the script yet (first
  // use, or after a restart). Never retried: a first attempt may have run.
  StatusOr<Reply> RunScript(const Script& script, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"EVALSHA", script.sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    auto send = [&](redisContext* ctx) { return CommandV(ctx, argv); };
    CERTME_ASSIGN_OR_RETURN(Reply r, RunWith(Call::kWriteOnce, send));
    if (r->type == REDIS_REPLY_ERROR && StartsWith(ReplyText(r.get()), "NOSCRIPT")) {
      argv[0] = "EVAL";
      argv[1] = script.text;
      CERTME_ASSIGN_OR_RETURN(r, RunWith(Call::kWriteOnce, send));
    }
    return r;
  }

  static Status Unexpected(const redisReply* r, const char* what) {
    std::string detail = std::string(what) + ": unexpected reply type " + std::to_string(r->type);
    if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
      detail += ": " + ReplyText(r);
    return Internal("store error", detail);
  }
  static Status ExpectOk(const redisReply* r, const char* what) {
    if (r->type == REDIS_REPLY_STATUS) return Status::Ok();
    return Unexpected(r, what);
  }
  static StatusOr<std::string> StringOrNotFound(const redisReply* r, const char* what) {
    if (r->type == REDIS_REPLY_NIL) return NotFound("store key not found");
    if (r->type != REDIS_REPLY_STRING) return Unexpected(r, what);
    return ReplyText(r);
  }

  // ------------------------------------------------------------ commands

  StatusOr<Reply> Run(Call call, std::initializer_list<std::string_view> args) {
    return RunWith(call, [&](redisContext* ctx) { return Command(ctx, args); });
  }
  StatusOr<Reply> RunV(const std::vector<std::string>& args) {
    return RunWith(Call::kRead, [&](redisContext* ctx) { return CommandV(ctx, args); });
  }

  // Sends on a pooled connection. Error replies that mean "this server cannot
  // take the command now" (LOADING, READONLY after a failover, MASTERDOWN,
  // BUSY, NOREPLICAS under min-replicas-to-write) become Unavailable and drop
  // the connection; other error replies are returned to the caller as
  // replies (NOSCRIPT is handled there). A write that the server applied is
  // acknowledged only once `replicas_to_wait` replicas have it (WAIT on the
  // same connection); otherwise the call is Unavailable, so that nothing a
  // caller was told is done can vanish in a failover. Each round trip is
  // bounded by the command timeout and by the request's wait budget.
  template <typename F>
  StatusOr<Reply> RunWith(Call call, F send) {
    BudgetCharge charge;
    for (int attempt = 0;; ++attempt) {
      charge.Settle();
      CERTME_ASSIGN_OR_RETURN(Duration limit, RoundTripLimit());
      CERTME_ASSIGN_OR_RETURN(std::unique_ptr<Conn> c, Acquire(limit));
      redisSetTimeout(c->ctx.get(), ToTimeval(limit));
      Reply r = send(c->ctx.get());
      if (!r) {
        std::string detail = std::string("redis: ") + c->ctx->errstr;
        ConnectionBroke();
        Release(std::move(c), false);
        if (call != Call::kWriteOnce && attempt == 0) continue;
        return Unavailable("store is unavailable", detail);
      }
      if (r->type == REDIS_REPLY_ERROR) {
        std::string text = ReplyText(r.get());
        for (const char* code :
             {"LOADING", "READONLY", "MASTERDOWN", "BUSY", "NOAUTH", "NOREPLICAS", "MISCONF"}) {
          if (StartsWith(text, code) &&
              (text.size() == std::string_view(code).size() || text[std::string_view(code).size()] == ' ')) {
            ConnectionBroke();
            Release(std::move(c), false);
            return Unavailable("store is unavailable", "redis: " + text);
          }
        }
      } else if (call != Call::kRead && o_.replicas_to_wait > 0) {
        charge.Settle();
        Status w = WaitForReplicas(c);
        if (!w.ok()) return w;
      }
      Release(std::move(c), true);
      return r;
    }
  }

  // WAIT on the connection that wrote: the number of replicas that have
  // every write made on it so far. Fewer than `replicas_to_wait` within the
  // wait timeout (capped by the request's budget) is Unavailable; the write
  // stays applied on the primary, but nobody was told it is done. Releases
  // the connection (leaving `c` null) when it fails.
  Status WaitForReplicas(std::unique_ptr<Conn>& c) {
    Duration server_wait = o_.wait_timeout;
    Duration socket_wait = o_.wait_timeout + o_.command_timeout;
    if (SteadyDuration* b = CurrentWaitBudget()) {
      auto left = std::chrono::duration_cast<Duration>(*b);
      server_wait = std::min(server_wait, left * 3 / 4);
      socket_wait = std::min(socket_wait, left);
    }
    // WAIT with a timeout of 0 blocks for ever.
    server_wait = std::max(server_wait, Duration(1));
    socket_wait = std::max(socket_wait, server_wait + Duration(1));
    redisSetTimeout(c->ctx.get(), ToTimeval(socket_wait));
    const std::string want = std::to_string(o_.replicas_to_wait);
    Reply w = Command(c->ctx.get(), {"WAIT", want, std::to_string(server_wait.count())});
    auto fail = [&](std::string detail) {
      ConnectionBroke();
      Release(std::move(c), false);
      return Unavailable("store is unavailable", std::move(detail));
    };
    if (!w) return fail(std::string("redis: WAIT: ") + c->ctx->errstr);
    if (w->type != REDIS_REPLY_INTEGER) return fail("redis: WAIT: " + Unexpected(w.get(), "WAIT").detail());
    if (w->integer < o_.replicas_to_wait) {
      // The connection is sound; the replicas are late or gone.
      Release(std::move(c), true);
      return Unavailable("store is unavailable",
                         "redis: " + std::to_string(w->integer) + " of " + want +
                             " replicas acknowledged the write within " +
                             std::to_string(server_wait.count()) + " ms");
    }
    return Status::Ok();
  }

  // The bound on the next round trip: the command timeout, capped by what is
  // left of the request's wait budget (Unavailable when nothing is).
  StatusOr<Duration> RoundTripLimit() const {
    Duration limit = o_.command_timeout;
    if (SteadyDuration* b = CurrentWaitBudget()) {
      auto left = std::chrono::duration_cast<Duration>(*b);
      if (left <= Duration::zero())
        return Unavailable("store is unavailable", "redis: the request's wait budget is spent");
      limit = std::min(limit, left);
    }
    return limit;
  }

  // Subtracts the time a call takes from the request's wait budget: at each
  // Settle (before every round trip, so a retry sees what is left) and at
  // the end.
  struct BudgetCharge {
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    void Settle() {
      auto now = std::chrono::steady_clock::now();
      if (SteadyDuration* b = CurrentWaitBudget()) *b -= now - since;
      since = now;
    }
    ~BudgetCharge() { Settle(); }
  };

  // ---------------------------------------------------------------- pool

  // A pooled connection, or a new one; waits at most `limit` for either.
  StatusOr<std::unique_ptr<Conn>> Acquire(Duration limit) {
    std::unique_lock<std::mutex> lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      while (!idle_.empty()) {
        std::unique_ptr<Conn> c = std::move(idle_.back());
        idle_.pop_back();
        if (c->epoch == epoch_ && !LooksClosed(c->ctx.get())) return c;
        --open_;  // stale: dropped here
      }
      if (open_ < o_.max_connections) {
        ++open_;
        uint64_t epoch = epoch_;
        lock.unlock();
        StatusOr<Context> ctx = Connect(limit);
        if (!ctx.ok()) {
          lock.lock();
          --open_;
          freed_.notify_one();
          return ctx.status();
        }
        auto c = std::make_unique<Conn>();
        c->ctx = std::move(*ctx);
        c->epoch = epoch;
        return c;
      }
      if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= o_.max_connections) {
        return Unavailable("store is busy", "redis: no free connection within the command timeout");
      }
    }
  }

  void Release(std::unique_ptr<Conn> c, bool healthy) {
    std::lock_guard<std::mutex> lock(mu_);
    if (healthy && c->epoch == epoch_) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
    freed_.notify_one();
  }

  // The server (or the path to it) failed: connections opened before now
  // are suspect, and Sentinel must be asked again where the primary is.
  void ConnectionBroke() {
    std::lock_guard<std::mutex> lock(mu_);
    ++epoch_;
    open_ -= static_cast<int>(idle_.size());
    idle_.clear();
    primary_.reset();
    // Room for new connections: wake every waiter, not one.
    freed_.notify_all();
  }

  // An idle connection has nothing to read; readable means EOF or RST (the
  // server restarted or closed it).
  static bool LooksClosed(redisContext* ctx) {
    pollfd p{};
    p.fd = ctx->fd;
    p.events = POLLIN | POLLRDHUP;
    return ::poll(&p, 1, 0) != 0;
  }

  // ------------------------------------------------------------- connect

  struct Address {
    std::string host;
    int port = 0;
  };

  StatusOr<Context> Connect(Duration limit) {
    const timeval ctv = ToTimeval(std::min(o_.connect_timeout, limit));
    Context ctx;
    std::string where;
    if (!o_.unix_socket.empty()) {
      where = o_.unix_socket;
      ctx.reset(redisConnectUnixWithTimeout(o_.unix_socket.c_str(), ctv));
    } else {
      Address a{o_.host, o_.port};
      if (!o_.sentinels.empty()) {
        CERTME_ASSIGN_OR_RETURN(a, Primary(limit));
      }
      where = a.host + ":" + std::to_string(a.port);
      ctx.reset(redisConnectWithTimeout(a.host.c_str(), a.port, ctv));
    }
    if (!ctx) return Unavailable("store is unavailable", "redis: cannot allocate a context");
    if (ctx->err) {
      ForgetPrimary();
      return Unavailable("store is unavailable", "redis " + where + ": " + ctx->errstr);
    }
    redisSetTimeout(ctx.get(), ToTimeval(limit));
    if (o_.unix_socket.empty()) redisEnableKeepAlive(ctx.get());

    if (!o_.password.empty()) {
      Reply r = o_.username.empty()
                    ? Command(ctx.get(), {"AUTH", o_.password.reveal()})
                    : Command(ctx.get(), {"AUTH", o_.username, o_.password.reveal()});
      CERTME_RETURN_IF_ERROR(SetupReply(ctx.get(), r.get(), where, "AUTH"));
    }
    if (o_.db != 0) {
      Reply r = Command(ctx.get(), {"SELECT", std::to_string(o_.db)});
      CERTME_RETURN_IF_ERROR(SetupReply(ctx.get(), r.get(), where, "SELECT"));
    }
    if (!o_.sentinels.empty()) {
      // Right after a failover Sentinel may still name the old primary,
      // now a replica: refuse it and ask again next time.
      Reply r = Command(ctx.get(), {"ROLE"});
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
          r->element[0]->type != REDIS_REPLY_STRING || ReplyText(r->element[0]) != "master") {
        ForgetPrimary();
        return Unavailable("store is unavailable", "redis " + where + " is not the primary");
      }
    }
    return ctx;
  }

  Status SetupReply(redisContext* ctx, const redisReply* r, const std::string& where,
                    const char* what) {
    if (!r) {
      ForgetPrimary();
      return Unavailable("store is unavailable",
                         "redis " + where + ": " + what + ": " + ctx->errstr);
    }
    if (r->type == REDIS_REPLY_ERROR) {
      // The server's text (e.g. WRONGPASS) never contains the password.
      return Unavailable("store is unavailable",
                         "redis " + where + ": " + what + ": " + ReplyText(r));
    }
    return Status::Ok();
  }

  void ForgetPrimary() {
    std::lock_guard<std::mutex> lock(mu_);
    primary_.reset();
  }

  // The primary's address: cached, or asked from the sentinels in order.
  StatusOr<Address> Primary(Duration limit) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (primary_) return *primary_;
    }
    std::string problems;
    for (const std::string& s : o_.sentinels) {
      auto colon = s.rfind(':');
      if (colon == std::string::npos) {
        problems += s + ": not host:port; ";
        continue;
      }
      std::string host = s.substr(0, colon);
      int port = std::atoi(s.c_str() + colon + 1);
      Context sc(redisConnectWithTimeout(host.c_str(), port,
                                         ToTimeval(std::min(o_.connect_timeout, limit))));
      if (!sc || sc->err) {
        problems += s + ": " + (sc ? sc->errstr : "no context") + "; ";
        continue;
      }
      redisSetTimeout(sc.get(), ToTimeval(limit));
      Reply r = Command(sc.get(), {"SENTINEL", "get-master-addr-by-name", o_.sentinel_master});
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        problems += s + ": no primary named " + o_.sentinel_master + "; ";
        continue;
      }
      Address a{ReplyText(r->element[0]), std::atoi(r->element[1]->str)};
      std::lock_guard<std::mutex> lock(mu_);
      primary_ = a;
      return a;
    }
    return Unavailable("store is unavailable", "redis sentinels: " + problems);
  }

  const RedisStoreOptions o_;
  const Script cas_{kCasScript};
  const Script enqueue_{kEnqueueScript};
  const Script claim_{kClaimScript};
  const Script reschedule_{kRescheduleScript};
  const Script dequeue_{kDequeueScript};

  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Conn>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                             // idle + borrowed; GUARDED_BY(mu_)
  uint64_t epoch_ = 0;                       // GUARDED_BY(mu_)
  std::optional<Address> primary_;           // GUARDED_BY(mu_); sentinel mode only
};

Status CheckOptions(const RedisStoreOptions& o) {
  if (o.unix_socket.empty() && o.sentinels.empty() && (o.host.empty() || o.port <= 0 || o.port > 65535))
    return InvalidArgument("redis store: no unix_socket, sentinels or valid host:port");
  if (!o.sentinels.empty() && o.sentinel_master.empty())
    return InvalidArgument("redis store: sentinel_master is empty");
  if (o.db < 0) return InvalidArgument("redis store: db is negative");
  if (o.max_connections < 1) return InvalidArgument("redis store: max_connections must be at least 1");
  if (o.connect_timeout <= Duration::zero() || o.command_timeout <= Duration::zero() ||
      o.wait_timeout <= Duration::zero())
    return InvalidArgument("redis store: timeouts must be positive");
  if (o.replicas_to_wait < 0) return InvalidArgument("redis store: replicas_to_wait is negative");
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> NewRedisStore(const RedisStoreOptions& options) {
  CERTME_RETURN_IF_ERROR(CheckOptions(options));
  auto store = std::make_unique<RedisStore>(options);
  CERTME_RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace certme
