// Set-up shared by the ledger benchmarks (ledger_bench.cc on the embedded
// ledger, ledger_evm_bench.cc on anvil): a registry with a validator, a
// provider and enrolled users, and the validator service answering.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/ledger.h"

namespace certme::bench {

// The value of `s`; aborts the benchmark with `what` when it failed.
template <typename T>
T Must(StatusOr<T> s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.status().ToString().c_str());
    std::abort();
  }
  return std::move(s).value();
}

struct Person {
  EthKey key = EthKey::Generate();
  std::vector<DisclosedAttribute> attrs;
};

// Authorizes `validator` and `provider` on `ledger` and enrolls `users`
// (each with a first name and an IDNP under random salts) by `validator`.
inline void SetUpRegistry(Ledger& ledger, const EthKey& admin, const EthKey& validator, const EthKey& provider,
                          std::vector<Person>& users) {
  Must(ledger.AddValidator(admin, validator.address()), "add validator");
  Must(ledger.AddProvider(admin, provider.address()), "add provider");
  for (auto& u : users) {
    u.attrs = {{"first_name", "Ion", abi::ToBytes32(SystemRandom().Bytes(32))},
               {"idnp", "2001234567890", abi::ToBytes32(SystemRandom().Bytes(32))}};
    std::vector<Bytes32> keys, cs;
    for (const auto& a : u.attrs) {
      keys.push_back(AttributeKey(a.name));
      cs.push_back(AttributeCommitment(u.key.address(), keys.back(), a.value, a.salt));
    }
    Must(ledger.IssueEid(validator, u.key, keys, cs, kLoaSubstantial), "issue");
  }
}

// The validator service as `certme validator serve` runs it, on `ledger`
// (which must outlive it): woken by the ledger's events, it answers each
// open request addressed to `validator` with the commitments it enrolled.
class ValidatorService {
 public:
  // The starting block is read before the thread starts, so a request made
  // right after construction is never skipped.
  ValidatorService(Ledger& ledger, const EthKey& validator)
      : ledger_(ledger), validator_(validator), after_(Must(ledger.BlockNumber(), "block")),
        thread_([this] { Run(); }) {}
  ~ValidatorService() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run() {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    f.validator = validator_.address();
    f.after_block = after_;
    while (!stop_) {
      auto events = Must(ledger_.WaitForEvents(f, std::chrono::milliseconds(100)), "wait");
      for (const auto& e : events) {
        f.after_block = std::max(f.after_block, e.block);
        auto r = Must(ledger_.GetRequest(e.request_id), "request");
        if (r.status != RequestStatus::kOpen) continue;
        auto eid = Must(ledger_.GetEid(r.user), "eid");
        std::vector<Bytes32> cs;
        for (const auto& k : r.attr_keys)
          for (size_t i = 0; i < eid.attr_keys.size(); ++i)
            if (eid.attr_keys[i] == k) cs.push_back(eid.commitments[i]);
        Must(ledger_.AnswerValidation(validator_, r.id, cs, eid.loa), "answer");
      }
    }
  }

  Ledger& ledger_;
  const EthKey& validator_;
  const uint64_t after_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace certme::bench
