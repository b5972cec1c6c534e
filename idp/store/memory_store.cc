// In-memory Store: for tests and single-process development only (nothing
// survives a restart).
//
// Entries live in kShards maps, each behind its own mutex, so that requests
// touching different keys rarely contend. Expiry is lazy (an expired entry is
// treated as absent and erased when touched) plus a bounded sweep on every
// write that pops already-expired entries off the front of the shard's
// expiry index, so abandoned keys cannot pile up while the store is in use.
#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "idp/store/store.h"
#include "idp/store/store_checks.h"

namespace certme {
namespace {

constexpr size_t kShards = 16;
// Expired entries removed per write: bounds the latency a sweep adds.
constexpr int kSweepPerWrite = 16;

using Key = std::pair<std::string, std::string>;  // (namespace, key)
using KeyView = std::pair<std::string_view, std::string_view>;

// Orders by namespace then key, byte-wise; transparent so that lookups by
// string_view do not allocate.
struct KeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    int c = std::string_view(a.first).compare(std::string_view(b.first));
    if (c != 0) return c < 0;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};

struct Entry;
using Map = std::map<Key, Entry, KeyLess>;
// expires_at (Unix ms) -> key of the entry; map nodes are stable, so the
// pointer stays valid until the entry is erased (which erases this too).
using ExpiryIndex = std::multimap<int64_t, const Key*>;

struct Entry {
  std::string value;
  int64_t expires_ms = 0;  // 0: never
  ExpiryIndex::iterator in_index;  // valid iff expires_ms != 0
};

// One slice of the key space. Every method REQUIRES mu held.
class Shard {
 public:
  std::mutex mu;

  // The live entry for k, or nullptr. Erases k if it has expired.
  Entry* FindLive(const KeyView& k, int64_t now) {
    auto it = map_.find(k);
    if (it == map_.end()) return nullptr;
    if (Expired(it->second, now)) {
      Erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // Moves the live value of k into *out and erases k; false if absent.
  bool Take(const KeyView& k, int64_t now, std::string* out) {
    auto it = map_.find(k);
    if (it == map_.end()) return false;
    bool live = !Expired(it->second, now);
    if (live) *out = std::move(it->second.value);
    Erase(it);
    return live;
  }

  void EraseIfPresent(const KeyView& k) {
    auto it = map_.find(k);
    if (it != map_.end()) Erase(it);
  }

  // Creates or replaces.
  void Set(const KeyView& k, std::string_view value, int64_t expires_ms) {
    auto it = map_.find(k);
    if (it == map_.end()) {
      it = map_.emplace(Key(k.first, k.second), Entry{}).first;
    } else if (it->second.expires_ms != 0) {
      index_.erase(it->second.in_index);
    }
    it->second.value.assign(value);
    it->second.expires_ms = expires_ms;
    if (expires_ms != 0) it->second.in_index = index_.emplace(expires_ms, &it->first);
  }

  // Erases up to kSweepPerWrite entries that expired at or before now.
  void Sweep(int64_t now) {
    for (int n = 0; n < kSweepPerWrite && !index_.empty(); ++n) {
      auto first = index_.begin();
      if (first->first > now) break;
      Erase(map_.find(*first->second));
    }
  }

  // Appends every live entry of ns (in key order within this shard).
  void Collect(std::string_view ns, int64_t now, std::vector<StoreEntry>* out) const {
    for (auto it = map_.lower_bound(KeyView(ns, std::string_view()));
         it != map_.end() && it->first.first == ns; ++it) {
      if (!Expired(it->second, now)) out->push_back(StoreEntry{it->first.second, it->second.value});
    }
  }

 private:
  static bool Expired(const Entry& e, int64_t now) {
    return e.expires_ms != 0 && e.expires_ms <= now;
  }

  void Erase(Map::iterator it) {
    if (it->second.expires_ms != 0) index_.erase(it->second.in_index);
    map_.erase(it);
  }

  Map map_;
  ExpiryIndex index_;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(Clock* clock) : clock_(clock) {}

  Status Put(std::string_view ns, std::string_view key, std::string_view value,
             Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = clock_->NowUnixMillis();
    s.Sweep(now);
    s.Set(KeyView(ns, key), value, StoreExpiryMillis(now, ttl));
    return Status::Ok();
  }

  Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value,
                     Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = clock_->NowUnixMillis();
    s.Sweep(now);
    KeyView k(ns, key);
    if (s.FindLive(k, now) != nullptr) return AlreadyExists("key already exists");
    s.Set(k, value, StoreExpiryMillis(now, ttl));
    return Status::Ok();
  }

  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    const Entry* e = s.FindLive(KeyView(ns, key), clock_->NowUnixMillis());
    if (e == nullptr) return NotFound("key not found");
    return e->value;
  }

  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = clock_->NowUnixMillis();
    s.Sweep(now);
    std::string value;
    if (!s.Take(KeyView(ns, key), now, &value)) return NotFound("key not found");
    return value;
  }

  Status CompareAndSwap(std::string_view ns, std::string_view key, std::string_view expected,
                        std::string_view value, Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(expected));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = clock_->NowUnixMillis();
    s.Sweep(now);
    KeyView k(ns, key);
    const Entry* e = s.FindLive(k, now);
    if (e == nullptr) return NotFound("key not found");
    if (e->value != expected) return FailedPrecondition("value changed");
    s.Set(k, value, StoreExpiryMillis(now, ttl));
    return Status::Ok();
  }

  Status Delete(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    Shard& s = ShardFor(ns, key);
    std::lock_guard<std::mutex> lock(s.mu);
    int64_t now = clock_->NowUnixMillis();
    s.Sweep(now);
    s.EraseIfPresent(KeyView(ns, key));
    return Status::Ok();
  }

  StatusOr<std::vector<StoreEntry>> List(std::string_view ns) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(ns));
    std::vector<StoreEntry> out;
    int64_t now = clock_->NowUnixMillis();
    for (Shard& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      s.Collect(ns, now, &out);
    }
    std::sort(out.begin(), out.end(),
              [](const StoreEntry& a, const StoreEntry& b) { return a.key < b.key; });
    return out;
  }

  Status Ping() override { return Status::Ok(); }
  std::string_view Name() const override { return "memory"; }

 private:
  static Status CheckWrite(std::string_view ns, std::string_view key, std::string_view value,
                           Duration ttl) {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    return CheckStoreTtl(ttl);
  }

  Shard& ShardFor(std::string_view ns, std::string_view key) {
    size_t h = std::hash<std::string_view>()(ns) * 31 + std::hash<std::string_view>()(key);
    return shards_[h % kShards];
  }

  Clock* const clock_;
  std::array<Shard, kShards> shards_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(options.clock ? options.clock : &SystemClock());
}

}  // namespace certme
