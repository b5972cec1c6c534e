// In-memory Store: for tests and single-process development only (nothing
// survives a restart).
//
// Entries live in kShards hash tables, each behind its own mutex, so that requests
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
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/memory/memory_store.h"
#include "store/store_checks.h"

namespace certme {
namespace {

constexpr size_t kShards = 16;
// Expired entries removed per write: bounds the latency a sweep adds.
constexpr int kSweepPerWrite = 16;

using KeyView = std::pair<std::string_view, std::string_view>;  // (namespace, key)

// Transparent hashing so that lookups by string_view do not allocate.
struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
struct BytesEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

struct Entry;
// Hash tables, not ordered maps: with the OIDC provider's keys (long random
// tokens, a few hundred thousand live entries after a minute of load) the
// ordered map's comparisons were most of the store's cost. Only List needs
// order, and it sorts what it collects.
using Table = std::unordered_map<std::string, Entry, BytesHash, BytesEqual>;
using Namespaces = std::unordered_map<std::string, Table, BytesHash, BytesEqual>;

// Where an entry lives. Node-based containers keep element addresses stable
// (rehashing included) until the element is erased, which erases the index
// entry pointing at it too.
struct Slot {
  Table* table;
  const std::string* key;
};
// expires_at (Unix ms) -> the entry's slot.
using ExpiryIndex = std::multimap<int64_t, Slot>;

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
    Table* t = FindTable(k.first);
    if (t == nullptr) return nullptr;
    auto it = t->find(k.second);
    if (it == t->end()) return nullptr;
    if (Expired(it->second, now)) {
      Erase(*t, it);
      return nullptr;
    }
    return &it->second;
  }

  // Moves the live value of k into *out and erases k; false if absent.
  bool Take(const KeyView& k, int64_t now, std::string* out) {
    Table* t = FindTable(k.first);
    if (t == nullptr) return false;
    auto it = t->find(k.second);
    if (it == t->end()) return false;
    bool live = !Expired(it->second, now);
    if (live) *out = std::move(it->second.value);
    Erase(*t, it);
    return live;
  }

  void EraseIfPresent(const KeyView& k) {
    Table* t = FindTable(k.first);
    if (t == nullptr) return;
    auto it = t->find(k.second);
    if (it != t->end()) Erase(*t, it);
  }

  // Creates or replaces.
  void Set(const KeyView& k, std::string_view value, int64_t expires_ms) {
    auto ns = namespaces_.find(k.first);
    if (ns == namespaces_.end()) ns = namespaces_.emplace(std::string(k.first), Table()).first;
    Table& t = ns->second;
    auto it = t.find(k.second);
    if (it == t.end()) {
      it = t.emplace(std::string(k.second), Entry{}).first;
    } else if (it->second.expires_ms != 0) {
      index_.erase(it->second.in_index);
    }
    it->second.value.assign(value);
    it->second.expires_ms = expires_ms;
    if (expires_ms != 0) it->second.in_index = index_.emplace(expires_ms, Slot{&t, &it->first});
  }

  // Erases up to kSweepPerWrite entries that expired at or before now.
  void Sweep(int64_t now) {
    for (int n = 0; n < kSweepPerWrite && !index_.empty(); ++n) {
      auto first = index_.begin();
      if (first->first > now) break;
      Table& t = *first->second.table;
      Erase(t, t.find(*first->second.key));
    }
  }

  // Appends every live entry of ns (unordered; List sorts).
  void Collect(std::string_view ns, int64_t now, std::vector<StoreEntry>* out) const {
    auto t = namespaces_.find(ns);
    if (t == namespaces_.end()) return;
    for (const auto& [key, e] : t->second)
      if (!Expired(e, now)) out->push_back(StoreEntry{key, e.value});
  }

 private:
  static bool Expired(const Entry& e, int64_t now) {
    return e.expires_ms != 0 && e.expires_ms <= now;
  }

  Table* FindTable(std::string_view ns) {
    auto it = namespaces_.find(ns);
    return it == namespaces_.end() ? nullptr : &it->second;
  }

  // Namespaces are never erased: there are a handful, named in code, and
  // their tables' addresses must stay valid for the expiry index.
  void Erase(Table& t, Table::iterator it) {
    if (it->second.expires_ms != 0) index_.erase(it->second.in_index);
    t.erase(it);
  }

  Namespaces namespaces_;
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

  Status Enqueue(std::string_view queue, std::string_view id, std::string_view value,
                 Duration delay) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
    std::lock_guard<std::mutex> lock(queues_mu_);
    auto& q = queues_[std::string(queue)];
    auto [it, inserted] = q.try_emplace(std::string(id));
    if (!inserted) return AlreadyExists("queue item already exists");
    it->second.value = std::string(value);
    it->second.due_ms = clock_->NowUnixMillis() + delay.count();
    return Status::Ok();
  }

  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max,
                                            Duration lease) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
    CERTME_RETURN_IF_ERROR(CheckQueueClaim(max, lease));
    std::lock_guard<std::mutex> lock(queues_mu_);
    std::vector<QueueItem> out;
    auto qit = queues_.find(std::string(queue));
    if (qit == queues_.end()) return out;
    const int64_t now = clock_->NowUnixMillis();
    std::vector<std::pair<int64_t, const std::string*>> due;
    for (const auto& [id, item] : qit->second) {
      if (item.due_ms <= now) due.emplace_back(item.due_ms, &id);
    }
    std::sort(due.begin(), due.end(),
              [](const auto& a, const auto& b) { return std::tie(a.first, *a.second) < std::tie(b.first, *b.second); });
    if (due.size() > max) due.resize(max);
    for (const auto& [when, id] : due) {
      QueuedItem& item = qit->second[*id];
      item.due_ms = now + lease.count();
      ++item.attempts;
      out.push_back(QueueItem{*id, item.value, item.attempts});
    }
    return out;
  }

  Status Reschedule(std::string_view queue, std::string_view id, Duration delay) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
    std::lock_guard<std::mutex> lock(queues_mu_);
    auto qit = queues_.find(std::string(queue));
    if (qit == queues_.end()) return NotFound("queue item not found");
    auto it = qit->second.find(std::string(id));
    if (it == qit->second.end()) return NotFound("queue item not found");
    it->second.due_ms = clock_->NowUnixMillis() + delay.count();
    return Status::Ok();
  }

  Status Dequeue(std::string_view queue, std::string_view id) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
    std::lock_guard<std::mutex> lock(queues_mu_);
    auto qit = queues_.find(std::string(queue));
    if (qit != queues_.end()) {
      qit->second.erase(std::string(id));
      if (qit->second.empty()) queues_.erase(qit);
    }
    return Status::Ok();
  }

  StatusOr<size_t> QueueSize(std::string_view queue) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
    std::lock_guard<std::mutex> lock(queues_mu_);
    auto qit = queues_.find(std::string(queue));
    return qit == queues_.end() ? 0 : qit->second.size();
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

  struct QueuedItem {
    std::string value;
    int64_t due_ms = 0;
    int attempts = 0;
  };

  Clock* const clock_;
  std::array<Shard, kShards> shards_;
  // Queues are few and small (deliveries in flight): one lock for all.
  std::mutex queues_mu_;
  std::map<std::string, std::map<std::string, QueuedItem>> queues_;  // guarded by queues_mu_
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(options.clock ? options.clock : &SystemClock());
}

}  // namespace certme
