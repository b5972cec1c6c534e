// Wire helpers of the Redis Store: commands as byte arguments, the Lua
// scripts and small encodings (store/redis/redis_wire.h).
#include "store/redis/redis_wire.h"

#include <openssl/sha.h>

#include <string>
#include <vector>

namespace certme::redis_wire {

// Replaces the value only if it equals ARGV[1]; ARGV[3] is the ttl in ms
// ("0": none). Returns 0 absent, 1 mismatch, 2 swapped. Lua strings are
// byte strings, so binary values compare whole.
const char kCasScript[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return 0 end\n"
    "if v ~= ARGV[1] then return 1 end\n"
    "if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2])\n"
    "else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end\n"
    "return 2\n";

timeval ToTimeval(Duration d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

static std::string Hex(const unsigned char* p, size_t n) {
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
const char kDequeueScript[] =
    "redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "redis.call('HDEL', KEYS[2], ARGV[1])\n"
    "redis.call('HDEL', KEYS[3], ARGV[1])\n"
    "return 1\n";

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

}  // namespace certme::redis_wire
