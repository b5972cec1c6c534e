// FailingStore: a Store that forwards to another one and, once told to,
// fails chosen operations on chosen namespaces with Unavailable, as a
// backend outage would. For tests of the paths that handle store failures.
// Not thread-safe: arm it from the test thread between requests.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/store.h"

namespace certme::testing {

class FailingStore : public Store {
 public:
  enum class Op { kPut, kPutIfAbsent, kGet, kConsume, kCompareAndSwap, kDelete, kList, kEnqueue, kClaimDue,
                  kReschedule, kDequeue };

  explicit FailingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  // From now on `op` on namespace `ns` fails (and does not reach the inner store).
  void Fail(Op op, std::string_view ns) { failing_.insert({op, std::string(ns)}); }
  void Heal() { failing_.clear(); }
  Store& inner() { return *inner_; }

  Status Put(std::string_view ns, std::string_view key, std::string_view value, Duration ttl) override {
    if (Fails(Op::kPut, ns)) return Outage();
    return inner_->Put(ns, key, value, ttl);
  }
  Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value, Duration ttl) override {
    if (Fails(Op::kPutIfAbsent, ns)) return Outage();
    return inner_->PutIfAbsent(ns, key, value, ttl);
  }
  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    if (Fails(Op::kGet, ns)) return Outage();
    return inner_->Get(ns, key);
  }
  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    if (Fails(Op::kConsume, ns)) return Outage();
    return inner_->Consume(ns, key);
  }
  Status CompareAndSwap(std::string_view ns, std::string_view key, std::string_view expected,
                        std::string_view value, Duration ttl) override {
    if (Fails(Op::kCompareAndSwap, ns)) return Outage();
    return inner_->CompareAndSwap(ns, key, expected, value, ttl);
  }
  Status Delete(std::string_view ns, std::string_view key) override {
    if (Fails(Op::kDelete, ns)) return Outage();
    return inner_->Delete(ns, key);
  }
  StatusOr<std::vector<StoreEntry>> List(std::string_view ns) override {
    if (Fails(Op::kList, ns)) return Outage();
    return inner_->List(ns);
  }
  Status Enqueue(std::string_view q, std::string_view id, std::string_view value, Duration delay) override {
    if (Fails(Op::kEnqueue, q)) return Outage();
    return inner_->Enqueue(q, id, value, delay);
  }
  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view q, size_t max, Duration lease) override {
    if (Fails(Op::kClaimDue, q)) return Outage();
    return inner_->ClaimDue(q, max, lease);
  }
  Status Reschedule(std::string_view q, std::string_view id, Duration delay) override {
    if (Fails(Op::kReschedule, q)) return Outage();
    return inner_->Reschedule(q, id, delay);
  }
  Status Dequeue(std::string_view q, std::string_view id) override {
    if (Fails(Op::kDequeue, q)) return Outage();
    return inner_->Dequeue(q, id);
  }
  StatusOr<size_t> QueueSize(std::string_view q) override { return inner_->QueueSize(q); }
  Status Ping() override { return inner_->Ping(); }
  std::string_view Name() const override { return inner_->Name(); }

 private:
  bool Fails(Op op, std::string_view ns) const { return failing_.count({op, std::string(ns)}) > 0; }
  static Status Outage() { return Unavailable("store unavailable", "injected by FailingStore"); }

  std::unique_ptr<Store> inner_;
  std::set<std::pair<Op, std::string>> failing_;
};

}  // namespace certme::testing
