// Set-up shared by the ledger benchmarks (ledger_bench.cc on the embedded
// ledger, ledger_evm_bench.cc on anvil): a registry with a validator, a
// provider and enrolled users, and the validator's answer to a request.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
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
    Must(ledger.IssueEid(validator, u.key.address(), keys, cs, kLoaSubstantial), "issue");
  }
}

// Answers request `r` as an honest validator does: with the commitments it
// enrolled for the attributes asked.
inline void AnswerRequest(Ledger& ledger, const EthKey& validator, const ValidationRequest& r) {
  auto eid = Must(ledger.GetEid(r.user), "eid");
  std::vector<Bytes32> cs;
  for (const auto& k : r.attr_keys)
    for (size_t i = 0; i < eid.attr_keys.size(); ++i)
      if (eid.attr_keys[i] == k) cs.push_back(eid.commitments[i]);
  Must(ledger.AnswerValidation(validator, r.id, cs, eid.loa), "answer");
}

}  // namespace certme::bench
