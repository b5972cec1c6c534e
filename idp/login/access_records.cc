#include "idp/login/access_records.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/log.h"
#include "ledger-client/abi.h"
#include "ledger-client/registry_abi.h"

namespace certme {
namespace {

struct QueuedRecord {
  std::string id;  // the queue item's
  int attempts = 0;
  std::string service;
  AccessRecordEntry entry;
  int64_t queued_ms = 0;
};

std::string Encode(std::string_view service, const AccessRecordEntry& e, int64_t queued_ms) {
  nlohmann::json j = {{"service", service},
                      {"tag", HexEncode(abi::AsView(e.tag))},
                      {"sealed", HexEncode(e.sealed)},
                      {"queued", queued_ms}};
  return j.dump();
}

// False for an item this version cannot read (dropped, not retried).
bool Decode(const QueueItem& item, QueuedRecord* r) {
  auto j = nlohmann::json::parse(item.value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto service = j.find("service"), tag = j.find("tag"), sealed = j.find("sealed"), queued = j.find("queued");
  if (service == j.end() || !service->is_string() || tag == j.end() || !tag->is_string() || sealed == j.end() ||
      !sealed->is_string() || queued == j.end() || !queued->is_number_integer())
    return false;
  auto t = HexDecode(tag->get<std::string>());
  auto s = HexDecode(sealed->get<std::string>());
  if (!t || t->size() != 32 || !s || s->empty() || s->size() > kMaxSealedBytes) return false;
  r->id = item.id;
  r->attempts = item.attempts;
  r->service = service->get<std::string>();
  r->entry.tag = abi::ToBytes32(*t);
  r->entry.sealed = std::move(*s);
  r->queued_ms = queued->get<int64_t>();
  return true;
}

}  // namespace

AccessRecords::AccessRecords(Store& store, Ledger& ledger, ProviderKeys& provider_keys, Clock& clock,
                             Random& random, AccessRecordsOptions options)
    : store_(store), ledger_(ledger), keys_(provider_keys), clock_(clock), random_(random),
      options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
  if (options_.on_pass) metrics_thread_ = std::thread([this] { RunMetrics(); });
}

AccessRecords::~AccessRecords() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (metrics_thread_.joinable()) metrics_thread_.join();
}

Status AccessRecords::Record(std::string_view service_id, std::string_view user_public_key,
                             const AccessRecordContent& content) {
  CERTME_ASSIGN_OR_RETURN(EthKey provider, keys_.Key(service_id));
  CERTME_ASSIGN_OR_RETURN(AccessRecordKeys pair, AccessRecordKeys::Derive(provider, user_public_key));
  CERTME_ASSIGN_OR_RETURN(AccessRecordEntry entry, pair.Seal(provider.address(), content, random_));
  // The tag is random-looking and unique: a fine item id (a retried login
  // seals a new record with a new tag).
  const std::string id = HexEncode(abi::AsView(entry.tag));
  CERTME_RETURN_IF_ERROR(
      store_.Enqueue(options_.queue, id, Encode(service_id, entry, clock_.NowUnixMillis()), Duration::zero()));
  {
    std::lock_guard<std::mutex> lock(mu_);
    recorded_ = true;
  }
  wake_.notify_all();
  return Status::Ok();
}

StatusOr<size_t> AccessRecords::Queued() { return store_.QueueSize(options_.queue); }

bool AccessRecords::WaitIdle(Duration timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto n = Queued();
    if (n.ok() && *n == 0) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void AccessRecords::Run() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    const bool busy = Pass();
    if (busy) continue;  // more may be due at once
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, options_.poll, [this] { return recorded_ || stopping_; });
    recorded_ = false;
  }
}

void AccessRecords::RunMetrics() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ReportMetrics();
    lock.lock();
    wake_.wait_for(lock, options_.poll, [this] { return stopping_; });
  }
}

void AccessRecords::ReportMetrics() {
  if (!options_.on_pass) return;
  auto queued = Queued();
  double age = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_.NowUnixMillis();
    for (auto it = held_.begin(); it != held_.end();) it = it->second.until_ms < now ? held_.erase(it) : std::next(it);
    if (!held_.empty()) {
      int64_t oldest = INT64_MAX;
      for (const auto& [id, h] : held_) oldest = std::min(oldest, h.queued_ms);
      age = std::max<double>(0, (now - oldest) / 1000.0);
    }
  }
  options_.on_pass(queued.ok() ? *queued : 0, age);
}

bool AccessRecords::Pass() {
  auto claimed = store_.ClaimDue(options_.queue, options_.claim, options_.lease);
  if (!claimed.ok()) {
    LogWarn("access record queue unavailable", {{"error", claimed.status().ToString()}});
    return false;
  }
  if (claimed->empty()) return false;
  // Per service, in claim order (earliest due first).
  std::map<std::string, std::vector<QueuedRecord>> by_service;
  for (const auto& item : *claimed) {
    QueuedRecord r;
    if (!Decode(item, &r)) {
      LogWarn("access record unreadable: dropped", {{"item", item.id}});
      (void)store_.Dequeue(options_.queue, item.id);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_[r.id] = {r.queued_ms, clock_.NowUnixMillis() + options_.lease.count()};
    }
    by_service[r.service].push_back(std::move(r));
  }
  auto forget = [&](const QueuedRecord& r) {
    if (Status st = store_.Dequeue(options_.queue, r.id); !st.ok())
      LogWarn("access record queue: could not remove a finished item", {{"error", st.ToString()}});
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(r.id);
  };
  for (auto& [service, records] : by_service) {
    auto key = keys_.Key(service);
    if (!key.ok()) {
      const bool gone = key.status().code() == StatusCode::kNotFound;
      size_t dropped = 0;
      for (const auto& r : records) {
        if (gone || r.attempts >= options_.max_attempts) {
          forget(r);
          ++dropped;
        } else {
          (void)store_.Reschedule(options_.queue, r.id, options_.max_backoff);
          std::lock_guard<std::mutex> lock(mu_);
          held_[r.id].until_ms = clock_.NowUnixMillis() + (options_.max_backoff + options_.lease).count();
        }
      }
      LogWarn(gone ? "access records of a deleted service: dropped" : "provider key unavailable for access records",
              {{"service", service}, {"records", records.size()}, {"dropped", dropped},
               {"error", key.status().ToString()}});
      if (dropped && options_.on_batch) options_.on_batch(service, dropped, false);
      continue;
    }
    for (size_t at = 0; at < records.size(); at += kMaxRecordsPerCall) {
      const size_t end = std::min(records.size(), at + kMaxRecordsPerCall);
      std::vector<AccessRecordEntry> batch;
      int attempts = 0;
      for (size_t i = at; i < end; ++i) {
        batch.push_back(records[i].entry);
        attempts = std::max(attempts, records[i].attempts);
      }
      auto receipt = ledger_.RecordAccess(*key, batch);
      if (receipt.ok()) {
        for (size_t i = at; i < end; ++i) forget(records[i]);
        if (options_.on_batch) options_.on_batch(service, batch.size(), true);
        continue;
      }
      if (attempts >= options_.max_attempts) {
        LogError("access records out of attempts: dropped",
                 {{"service", service}, {"records", batch.size()}, {"error", receipt.status().ToString()}});
        for (size_t i = at; i < end; ++i) forget(records[i]);
        if (options_.on_batch) options_.on_batch(service, batch.size(), false);
        continue;
      }
      LogWarn("access records not written; retrying",
              {{"service", service}, {"records", batch.size()}, {"attempt", attempts},
               {"error", receipt.status().ToString()}});
      Duration delay = options_.backoff * (int64_t{1} << std::min(std::max(attempts, 1) - 1, 20));
      delay = std::min(delay, options_.max_backoff);
      for (size_t i = at; i < end; ++i) {
        if (Status st = store_.Reschedule(options_.queue, records[i].id, delay); !st.ok())
          LogWarn("access record queue: could not reschedule; retried after the lease", {{"error", st.ToString()}});
        std::lock_guard<std::mutex> lock(mu_);
        auto h = held_.find(records[i].id);
        if (h != held_.end()) h->second.until_ms = clock_.NowUnixMillis() + (delay + options_.lease).count();
      }
    }
  }
  return true;
}

}  // namespace certme
