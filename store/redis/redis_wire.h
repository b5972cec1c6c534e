// Wire helpers of the Redis Store (store/redis/redis_store.cc): owning
// hiredis handles, commands sent as byte arguments, and the Lua scripts of
// the atomic steps. Internal to store/redis.
#pragma once

#include <hiredis.h>
#include <sys/time.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace certme::redis_wire {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

timeval ToTimeval(Duration d);
std::string Sha1Hex(std::string_view s);
// Escapes the glob characters of Redis's MATCH (stringmatchlen).
std::string GlobEscape(std::string_view s);
bool StartsWith(std::string_view s, std::string_view p);

// One command, arguments as bytes. Null when the connection failed (then
// ctx->err says why and the connection is unusable).
Reply Command(redisContext* ctx, std::initializer_list<std::string_view> args);
Reply CommandV(redisContext* ctx, const std::vector<std::string>& args);
std::string ReplyText(const redisReply* r);

// Compare-and-swap: KEYS[1]; ARGV expected, new value, ttl ms ("0": none).
// Returns 0 absent, 1 mismatch, 2 swapped.
extern const char kCasScript[];
// Work queues: KEYS are the sorted set of due times and the value and
// attempt hashes; times are the server's (TIME).
extern const std::string kEnqueueScript;     // ARGV id, value, delay ms → 0 exists / 1
extern const std::string kClaimScript;       // ARGV max, lease ms → id, value, attempts…
extern const std::string kRescheduleScript;  // ARGV id, delay ms → 0 absent / 1
extern const char kDequeueScript[];          // ARGV id → 1

// A Lua script run by its SHA-1 (EVALSHA), sent whole once per server.
struct Script {
  explicit Script(std::string t) : text(std::move(t)), sha(Sha1Hex(text)) {}
  std::string text, sha;
};

}  // namespace certme::redis_wire
