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
#include <openssl/sha.h>
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

#include "store/redis/redis_store.h"
#include "store/store_checks.h"

namespace certme {
namespace {

// Replaces the value only if it equals ARGV[1]; ARGV[3] is the ttl in ms
// ("0": none). Returns 0 absent, 1 mismatch, 2 swapped. Lua strings are
// byte strings, so binary values compare whole.
constexpr char kCasScript[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return 0 end\n"
    "if v ~= ARGV[1] then return 1 end\n"
    "if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])\n"
    "else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end\n"
    "return 2\n";

// SCAN batch size and MGET batch size for List.
constexpr int kScanCount = 1000;
constexpr size_t kMgetBatch = 256;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct Conn {
  Context ctx;
  uint64_t epoch = 0;  // the pool's epoch when it was opened
};

timeval ToTimeval(Duration d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

std::string Sha1Hex(std::string_view s) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return Hex(md, sizeof md);
}

// Escapes the glob characters of Redis's MATCH (stringmatchlen).
std::string GlobEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Work queues: per queue a sorted set of ids scored by due time (ms), a
// hash id -> value and a hash id -> attempts. Times are the server's (TIME),
// so replicas with different clocks agree on what is due. KEYS[1..3] are
// the sorted set and the two hashes throughout.
constexpr char kQueueNowLua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n";
// ARGV: id, value, delay ms. Returns 0 when the id is queued already.
const std::string kEnqueueScript = std::string(kQueueNowLua) +
    "if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
    "redis.call('HSET', KEYS[3], ARGV[1], 0)\n"
    "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])\n"
    "return 1\n";
// ARGV: max, lease ms. Returns id, value, attempts for each claimed item.
const std::string kClaimScript = std::string(kQueueNowLua) +
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)\n"
    "  local n = redis.call('HINCRBY', KEYS[3], id, 1)\n"
    "  out[#out + 1] = id\n"
    "  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''\n"
    "  out[#out + 1] = n\n"
    "end\n"
    "return out\n";
// ARGV: id, delay ms. Returns 0 when the id is not queued.
const std::string kRescheduleScript = std::string(kQueueNowLua) +
    "if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end\n"
    "redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])\n"
    "return 1\n";
// ARGV: id.
constexpr char kDequeueScript[] =
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "redis.call('HDEL', KEYS[3], ARGV[1])\n"
    "return 1\n";

// A Lua script run by its SHA-1 (EVALSHA), sent whole once per server.
struct Script {
  explicit Script(std::string t) : text(std::move(t)), sha(Sha1Hex(text)) {}
  std::string text, sha;
};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// One command, arguments as bytes. Null when the connection failed (then
// ctx->err says why and the connection is unusable).
Reply Command(redisContext* ctx, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

Reply CommandV(redisContext* ctx, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

std::string ReplyText(const redisReply* r) { return std::string(r->str, r->len); }

// How a call may be retried after its connection broke.
enum class Retry { kSafe, kNever };

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
                            ? Run(Retry::kSafe, {"SET", k, value})
                            : Run(Retry::kSafe, {"SET", k, value, "PX", std::to_string(ttl.count())});
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
            ? Run(Retry::kNever, {"SET", k, value, "NX"})
            : Run(Retry::kNever, {"SET", k, value, "NX", "PX", std::to_string(ttl.count())});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_NIL) return AlreadyExists("store key exists");
    return ExpectOk(r->get(), "SET NX");
  }

  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Retry::kSafe, {"GET", FullKey(ns, key)}));
    return StringOrNotFound(r.get(), "GET");
  }

  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Retry::kNever, {"GETDEL", FullKey(ns, key)}));
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
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Retry::kSafe, {"DEL", FullKey(ns, key)}));
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
          Reply r, Run(Retry::kSafe, {"SCAN", cursor, "MATCH", pattern, "COUNT", count}));
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
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Retry::kSafe, {"ZCARD", QueueKeys(queue)[0]}));
    if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) return Unexpected(r.get(), "ZCARD");
    return static_cast<size_t>(r->integer);
  }

  Status Ping() override {
    CERTME_ASSIGN_OR_RETURN(Reply r, Run(Retry::kSafe, {"PING"}));
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
    CERTME_ASSIGN_OR_RETURN(Reply r, RunWith(Retry::kNever, send));
    if (r->type == REDIS_REPLY_ERROR && StartsWith(ReplyText(r.get()), "NOSCRIPT")) {
      argv[0] = "EVAL";
      argv[1] = script.text;
      CERTME_ASSIGN_OR_RETURN(r, RunWith(Retry::kNever, send));
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

  StatusOr<Reply> Run(Retry retry, std::initializer_list<std::string_view> args) {
    return RunWith(retry, [&](redisContext* ctx) { return Command(ctx, args); });
  }
  StatusOr<Reply> RunV(const std::vector<std::string>& args) {
    return RunWith(Retry::kSafe, [&](redisContext* ctx) { return CommandV(ctx, args); });
  }

  // Sends on a pooled connection. Error replies that mean "this server cannot
  // take the command now" (LOADING, READONLY after a failover, MASTERDOWN,
  // BUSY) become Unavailable and drop the connection; other error replies
  // are returned to the caller as replies (NOSCRIPT is handled there).
  template <typename F>
  StatusOr<Reply> RunWith(Retry retry, F send) {
    for (int attempt = 0;; ++attempt) {
      CERTME_ASSIGN_OR_RETURN(std::unique_ptr<Conn> c, Acquire());
      Reply r = send(c->ctx.get());
      if (!r) {
        std::string detail = std::string("redis: ") + c->ctx->errstr;
        ConnectionBroke();
        Release(std::move(c), false);
        if (retry == Retry::kSafe && attempt == 0) continue;
        return Unavailable("store is unavailable", detail);
      }
      if (r->type == REDIS_REPLY_ERROR) {
        std::string text = ReplyText(r.get());
        for (const char* code : {"LOADING", "READONLY", "MASTERDOWN", "BUSY", "NOAUTH"}) {
          if (StartsWith(text, code) &&
              (text.size() == std::string_view(code).size() || text[std::string_view(code).size()] == ' ')) {
            ConnectionBroke();
            Release(std::move(c), false);
            return Unavailable("store is unavailable", "redis: " + text);
          }
        }
      }
      Release(std::move(c), true);
      return r;
    }
  }

  // ---------------------------------------------------------------- pool

  StatusOr<std::unique_ptr<Conn>> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + o_.command_timeout;
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
        StatusOr<Context> ctx = Connect();
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

  StatusOr<Context> Connect() {
    const timeval ctv = ToTimeval(o_.connect_timeout);
    Context ctx;
    std::string where;
    if (!o_.unix_socket.empty()) {
      where = o_.unix_socket;
      ctx.reset(redisConnectUnixWithTimeout(o_.unix_socket.c_str(), ctv));
    } else {
      Address a{o_.host, o_.port};
      if (!o_.sentinels.empty()) {
        CERTME_ASSIGN_OR_RETURN(a, Primary());
      }
      where = a.host + ":" + std::to_string(a.port);
      ctx.reset(redisConnectWithTimeout(a.host.c_str(), a.port, ctv));
    }
    if (!ctx) return Unavailable("store is unavailable", "redis: cannot allocate a context");
    if (ctx->err) {
      ForgetPrimary();
      return Unavailable("store is unavailable", "redis " + where + ": " + ctx->errstr);
    }
    redisSetTimeout(ctx.get(), ToTimeval(o_.command_timeout));
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
  StatusOr<Address> Primary() {
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
      Context sc(redisConnectWithTimeout(host.c_str(), port, ToTimeval(o_.connect_timeout)));
      if (!sc || sc->err) {
        problems += s + ": " + (sc ? sc->errstr : "no context") + "; ";
        continue;
      }
      redisSetTimeout(sc.get(), ToTimeval(o_.command_timeout));
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
  if (o.connect_timeout <= Duration::zero() || o.command_timeout <= Duration::zero())
    return InvalidArgument("redis store: timeouts must be positive");
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
