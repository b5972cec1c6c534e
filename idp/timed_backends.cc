#include "idp/timed_backends.h"

#include <chrono>

namespace certme {
namespace {

using Steady = std::chrono::steady_clock;

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// A store call takes microseconds in memory, a millisecond or so on sqlite
// and Redis, more when an fsync or a stalled server is in the way.
std::vector<double> StoreBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

// A ledger read is local (embedded) or one JSON-RPC round trip; a
// transaction waits for the log's fsync or for a block.
std::vector<double> LedgerBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

// One operation's bound series plus the family its errors go to.
class Op {
 public:
  Op(Histogram& latency, Counter& errors, const char* name)
      : name_(name), latency_(latency.Bind({name})), errors_(errors) {}
  Steady::time_point Start() const { return Steady::now(); }
  // Records one call that returned `code`; `is_error` decides whether it counts as an error.
  void Done(Steady::time_point start, StatusCode code, bool is_error) {
    latency_->Observe(SecondsSince(start));
    if (is_error) errors_.Inc({name_, StatusCodeName(code)});
  }

 private:
  const char* name_;
  Histogram::Series* latency_;
  Counter& errors_;
};

StatusCode CodeOf(const Status& s) { return s.code(); }
template <typename T>
StatusCode CodeOf(const StatusOr<T>& s) {
  return s.status().code();
}

// ---------------------------------------------------------------- store

bool StoreError(StatusCode c) {
  return c != StatusCode::kOk && c != StatusCode::kNotFound && c != StatusCode::kAlreadyExists &&
         c != StatusCode::kFailedPrecondition;
}

template <typename F>
auto StoreTimed(Op& op, F&& call) {
  auto start = op.Start();
  auto r = call();
  op.Done(start, CodeOf(r), StoreError(CodeOf(r)));
  return r;
}

class TimedStore final : public Store {
 public:
  TimedStore(std::unique_ptr<Store> inner, Metrics& m)
      : inner_(std::move(inner)),
        latency_(m.NewHistogram("certme_store_operation_duration_seconds",
                                "Time one Store call took, by operation.", {"op"}, StoreBuckets())),
        errors_(m.NewCounter("certme_store_errors_total",
                             "Store calls that failed (backend trouble; not-found and lost races are answers), "
                             "by operation and status code.",
                             {"op", "code"})),
        put_(latency_, errors_, "put"),
        put_if_absent_(latency_, errors_, "put_if_absent"),
        get_(latency_, errors_, "get"),
        consume_(latency_, errors_, "consume"),
        cas_(latency_, errors_, "compare_and_swap"),
        delete_(latency_, errors_, "delete"),
        list_(latency_, errors_, "list"),
        enqueue_(latency_, errors_, "enqueue"),
        claim_due_(latency_, errors_, "claim_due"),
        reschedule_(latency_, errors_, "reschedule"),
        dequeue_(latency_, errors_, "dequeue"),
        queue_size_(latency_, errors_, "queue_size"),
        ping_(latency_, errors_, "ping") {}

  Status Put(std::string_view ns, std::string_view key, std::string_view value, Duration ttl) override {
    return StoreTimed(put_, [&] { return inner_->Put(ns, key, value, ttl); });
  }
  Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value, Duration ttl) override {
    return StoreTimed(put_if_absent_, [&] { return inner_->PutIfAbsent(ns, key, value, ttl); });
  }
  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    return StoreTimed(get_, [&] { return inner_->Get(ns, key); });
  }
  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    return StoreTimed(consume_, [&] { return inner_->Consume(ns, key); });
  }
  Status CompareAndSwap(std::string_view ns, std::string_view key, std::string_view expected,
                        std::string_view value, Duration ttl) override {
    return StoreTimed(cas_, [&] { return inner_->CompareAndSwap(ns, key, expected, value, ttl); });
  }
  Status Delete(std::string_view ns, std::string_view key) override {
    return StoreTimed(delete_, [&] { return inner_->Delete(ns, key); });
  }
  StatusOr<std::vector<StoreEntry>> List(std::string_view ns) override {
    return StoreTimed(list_, [&] { return inner_->List(ns); });
  }
  Status Enqueue(std::string_view queue, std::string_view id, std::string_view value, Duration delay) override {
    return StoreTimed(enqueue_, [&] { return inner_->Enqueue(queue, id, value, delay); });
  }
  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max, Duration lease) override {
    return StoreTimed(claim_due_, [&] { return inner_->ClaimDue(queue, max, lease); });
  }
  Status Reschedule(std::string_view queue, std::string_view id, Duration delay) override {
    return StoreTimed(reschedule_, [&] { return inner_->Reschedule(queue, id, delay); });
  }
  Status Dequeue(std::string_view queue, std::string_view id) override {
    return StoreTimed(dequeue_, [&] { return inner_->Dequeue(queue, id); });
  }
  StatusOr<size_t> QueueSize(std::string_view queue) override {
    return StoreTimed(queue_size_, [&] { return inner_->QueueSize(queue); });
  }
  Status Ping() override {
    return StoreTimed(ping_, [&] { return inner_->Ping(); });
  }
  std::string_view Name() const override { return inner_->Name(); }

 private:
  std::unique_ptr<Store> inner_;
  Histogram& latency_;
  Counter& errors_;
  Op put_, put_if_absent_, get_, consume_, cas_, delete_, list_, enqueue_, claim_due_, reschedule_, dequeue_,
      queue_size_, ping_;
};

// ---------------------------------------------------------------- ledger

template <typename F>
auto LedgerTimed(Op& op, F&& call) {
  auto start = op.Start();
  auto r = call();
  op.Done(start, CodeOf(r), CodeOf(r) != StatusCode::kOk);
  return r;
}

class TimedLedger final : public Ledger {
 public:
  TimedLedger(std::unique_ptr<Ledger> inner, Metrics& m)
      : inner_(std::move(inner)),
        latency_(m.NewHistogram("certme_ledger_call_duration_seconds",
                                "Time one ledger call took, by operation (waits for events excluded).", {"op"},
                                LedgerBuckets())),
        errors_(m.NewCounter("certme_ledger_errors_total",
                             "Ledger calls that did not succeed (refused transactions included), by operation "
                             "and status code.",
                             {"op", "code"})),
        transact_(latency_, errors_, "transact"),
        admin_(latency_, errors_, "admin"),
        pending_admin_(latency_, errors_, "pending_admin"),
        is_validator_(latency_, errors_, "is_validator"),
        is_provider_(latency_, errors_, "is_provider"),
        get_eid_(latency_, errors_, "get_eid"),
        get_eid_status_(latency_, errors_, "get_eid_status"),
        get_request_(latency_, errors_, "get_request"),
        nonce_used_(latency_, errors_, "is_consent_nonce_used"),
        open_requests_(latency_, errors_, "open_requests"),
        open_request_count_(latency_, errors_, "open_request_count"),
        open_request_ids_(latency_, errors_, "open_request_ids"),
        events_(latency_, errors_, "events"),
        block_number_(latency_, errors_, "block_number") {}

  uint64_t ChainId() const override { return inner_->ChainId(); }
  std::string RegistryAddress() const override { return inner_->RegistryAddress(); }
  StatusOr<TxReceipt> Transact(const EthKey& sender, std::string_view calldata) override {
    return LedgerTimed(transact_, [&] { return inner_->Transact(sender, calldata); });
  }
  StatusOr<std::string> Admin() override {
    return LedgerTimed(admin_, [&] { return inner_->Admin(); });
  }
  StatusOr<std::string> PendingAdmin() override {
    return LedgerTimed(pending_admin_, [&] { return inner_->PendingAdmin(); });
  }
  StatusOr<bool> IsValidator(std::string_view account) override {
    return LedgerTimed(is_validator_, [&] { return inner_->IsValidator(account); });
  }
  StatusOr<bool> IsProvider(std::string_view account) override {
    return LedgerTimed(is_provider_, [&] { return inner_->IsProvider(account); });
  }
  StatusOr<EidRecord> GetEid(std::string_view user) override {
    return LedgerTimed(get_eid_, [&] { return inner_->GetEid(user); });
  }
  StatusOr<EidStatus> GetEidStatus(std::string_view user) override {
    return LedgerTimed(get_eid_status_, [&] { return inner_->GetEidStatus(user); });
  }
  StatusOr<ValidationRequest> GetRequest(uint64_t id) override {
    return LedgerTimed(get_request_, [&] { return inner_->GetRequest(id); });
  }
  StatusOr<bool> IsConsentNonceUsed(std::string_view user, std::string_view provider, const Bytes32& nonce) override {
    return LedgerTimed(nonce_used_, [&] { return inner_->IsConsentNonceUsed(user, provider, nonce); });
  }
  StatusOr<std::vector<ValidationRequest>> OpenRequests(std::string_view validator) override {
    return LedgerTimed(open_requests_, [&] { return inner_->OpenRequests(validator); });
  }
  StatusOr<uint64_t> OpenRequestCount(std::string_view validator) override {
    return LedgerTimed(open_request_count_, [&] { return inner_->OpenRequestCount(validator); });
  }
  StatusOr<std::vector<OpenRequestEntry>> OpenRequestIds(std::string_view validator, uint64_t start,
                                                         uint64_t count) override {
    return LedgerTimed(open_request_ids_, [&] { return inner_->OpenRequestIds(validator, start, count); });
  }
  StatusOr<std::vector<LedgerEvent>> Events(const EventFilter& filter) override {
    return LedgerTimed(events_, [&] { return inner_->Events(filter); });
  }
  StatusOr<uint64_t> BlockNumber() override {
    return LedgerTimed(block_number_, [&] { return inner_->BlockNumber(); });
  }
  int64_t Now() const override { return inner_->Now(); }
  StatusOr<std::vector<LedgerEvent>> WaitForEvents(const EventFilter& filter, Duration timeout) override {
    auto r = inner_->WaitForEvents(filter, timeout);
    if (!r.ok()) errors_.Inc({"wait_for_events", StatusCodeName(r.status().code())});
    return r;
  }

 private:
  std::unique_ptr<Ledger> inner_;
  Histogram& latency_;
  Counter& errors_;
  Op transact_, admin_, pending_admin_, is_validator_, is_provider_, get_eid_, get_eid_status_, get_request_,
      nonce_used_, open_requests_, open_request_count_, open_request_ids_, events_, block_number_;
};

}  // namespace

std::unique_ptr<Store> NewTimedStore(std::unique_ptr<Store> inner, Metrics& metrics) {
  return std::make_unique<TimedStore>(std::move(inner), metrics);
}

std::unique_ptr<Ledger> NewTimedLedger(std::unique_ptr<Ledger> inner, Metrics& metrics) {
  return std::make_unique<TimedLedger>(std::move(inner), metrics);
}

}  // namespace certme
