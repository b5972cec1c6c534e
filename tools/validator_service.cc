#include "tools/validator_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "ledger-client/attributes.h"
#include "ledger-client/registry_abi.h"
#include "tools/command_helpers.h"

namespace certme {
namespace {

using std::chrono::steady_clock;

long long Ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// A node that is down or slow: worth waiting for. Anything else (a damaged
// embedded log, a registry that is not one) stops the service.
bool Transient(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

class Backoff {
 public:
  explicit Backoff(const ValidatorServiceOptions& o) : o_(o), next_(o.retry_min) {}
  // The delay before the next attempt; the one after doubles (up to max).
  Duration Next() {
    const Duration d = next_;
    next_ = std::min(o_.retry_max, next_ * 2);
    return d;
  }
  void Reset() { next_ = o_.retry_min; }

 private:
  const ValidatorServiceOptions& o_;
  Duration next_;
};

// Sleeps `d` in short steps; false when *stop was set meanwhile.
bool SleepUnlessStopped(Duration d, const std::atomic<bool>& stop) {
  const auto until = steady_clock::now() + d;
  while (!stop) {
    const auto now = steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace

void AnswerIfMine(Ledger& l, const EthKey& me, uint64_t id) {
  auto r = l.GetRequest(id);
  if (!r.ok()) {
    LogWarn("validation request not readable", {{"request", id}, {"error", r.status().message()}});
    return;
  }
  if (r->validator != me.address() || r->status != RequestStatus::kOpen || l.Now() >= r->expiry) return;
  // The ledger takes an answer for a provider the administrator removed
  // after the request; the user's data is not confirmed to it.
  auto authorized = l.IsProvider(r->provider);
  if (!authorized.ok() || !*authorized) {
    LogWarn("validation not answered: the request's provider is not authorized",
            {{"request", id},
             {"provider", tools::Addr(r->provider)},
             {"error", authorized.ok() ? "ProviderNotAuthorized" : authorized.status().message()}});
    return;
  }
  auto eid = l.GetEid(r->user);
  if (!eid.ok()) {
    LogWarn("eID not readable; request not answered", {{"request", id}, {"error", eid.status().message()}});
    return;
  }
  std::vector<Bytes32> commitments;
  for (const auto& k : r->attr_keys) {
    auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
    if (it == eid->attr_keys.end()) {
      LogWarn("request names an attribute this validator never committed", {{"request", id}});
      return;
    }
    commitments.push_back(eid->commitments[it - eid->attr_keys.begin()]);
  }
  auto done = l.AnswerValidation(me, id, commitments, eid->loa);
  if (!done.ok()) {
    LogWarn("validation not answered", {{"request", id}, {"error", done.status().message()}});
    return;
  }
  LogInfo("validation answered", {{"request", id},
                                   {"provider", tools::Addr(r->provider)},
                                   {"user", tools::Addr(r->user)},
                                   {"attributes", r->attr_keys.size()},
                                   {"loa", LoaName(eid->loa)},
                                   {"entry", done->block}});
}

Status ServeValidationRequests(Ledger& l, const EthKey& me, const std::atomic<bool>& stop,
                               const ValidatorServiceOptions& o) {
  if (o.prune_batch > kMaxPruneCount) return InvalidArgument("prune_batch is above kMaxPruneCount");
  Backoff backoff(o);
  EventFilter f;
  f.kind = EventKind::kValidationRequested;
  f.validator = me.address();
  // The head first: every request in a later block arrives as an event,
  // whatever happens to the catch-up read below.
  for (;;) {
    auto b = l.BlockNumber();
    if (b.ok()) {
      f.after_block = *b;
      break;
    }
    if (o.once || !Transient(b.status())) return b.status();
    const Duration wait = backoff.Next();
    LogError("ledger head not readable; retrying",
             {{"error", b.status().message()}, {"retry_in_ms", Ms(wait)}});
    if (!SleepUnlessStopped(wait, stop)) return Status::Ok();
  }
  backoff.Reset();

  bool caught_up = false;
  auto next_catch_up = steady_clock::now();
  uint64_t prune_rounds = 0;  // pruning passes still to make while idle
  while (!stop) {
    // Whatever arrived while the service was down.
    if (!caught_up && steady_clock::now() >= next_catch_up) {
      auto open = l.OpenRequests(me.address());
      if (!open.ok()) {
        if (o.once) return open.status();
        const Duration wait = backoff.Next();
        LogError("open validation requests not readable; answering new ones meanwhile and retrying",
                 {{"error", open.status().message()}, {"retry_in_ms", Ms(wait)}});
        next_catch_up = steady_clock::now() + wait;
      } else {
        caught_up = true;
        backoff.Reset();
        for (const auto& r : *open) AnswerIfMine(l, me, r.id);
        auto count = l.OpenRequestCount(me.address());
        if (count.ok() && *count > open->size() && o.prune_batch > 0) {
          prune_rounds = *count / o.prune_batch + 1;  // one full turn of the registry's prune cursor
          LogInfo("expired requests in the open set; pruning them while idle",
                  {{"open_set", *count}, {"unexpired", open->size()}});
        }
        if (o.once) return Status::Ok();
      }
    }
    auto events = l.WaitForEvents(f, caught_up ? o.wait_slice : std::min(o.wait_slice, o.retry_min));
    if (!events.ok()) {
      if (!Transient(events.status())) return events.status();
      const Duration wait = backoff.Next();
      LogError("ledger events not readable; retrying",
               {{"error", events.status().message()}, {"retry_in_ms", Ms(wait)}});
      if (!SleepUnlessStopped(wait, stop)) return Status::Ok();
      continue;
    }
    for (const auto& e : *events) {
      f.after_block = std::max(f.after_block, e.block);
      AnswerIfMine(l, me, e.request_id);
    }
    if (events->empty() && prune_rounds > 0) {
      --prune_rounds;
      auto pruned = l.PruneExpired(me, me.address(), o.prune_batch);
      if (!pruned.ok()) {
        LogWarn("expired requests not pruned", {{"error", pruned.status().message()}});
        prune_rounds = 0;
      }
    }
  }
  return Status::Ok();
}

}  // namespace certme
