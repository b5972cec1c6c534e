// Benchmark users for the wallet login (docs/wallet-protocol.md): many
// enrolled eIDs without a wallet file each. User i of seed S is derived, so
// the enrolment step (`oidc_load --enroll`) and every later load run agree
// on keys, values and salts without exchanging files:
//
//   private key(i) = keccak256("certme-bench-user|" ‖ S ‖ "|" ‖ i)
//   salt(i, name)  = keccak256("certme-bench-salt|" ‖ private key(i) ‖ name)
//   values         = fixed test data with i in the name, e-mail and IDNP
//
// Benchmark keys are public by construction: the seed is on the command line.
// They only ever exist on a throw-away ledger created for the run.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "ledger-client/ledger.h"

namespace certme::bench {

// The attributes every benchmark user is enrolled with (catalogue keys,
// config/claims.yaml), in enrolment order.
const std::vector<std::string>& BenchAttributeNames();

struct BenchUser {
  uint64_t index = 0;
  EthKey key = EthKey::Generate();
  std::vector<DisclosedAttribute> attributes;  // BenchAttributeNames() order

  // The held attribute called `name`, or null.
  const DisclosedAttribute* Find(std::string_view name) const;
};

// User `index` of `seed` (deterministic; costs one scalar multiplication).
BenchUser MakeBenchUser(std::string_view seed, uint64_t index);

// Issues an eID (level of assurance substantial) to users [begin, end) of
// `seed`, signed by `validator` (an authorized validator of `ledger`).
// Users that already hold an eID are skipped (EidExists), so an interrupted
// enrolment can be resumed. Returns how many were issued now.
StatusOr<uint64_t> EnrollBenchUsers(Ledger& ledger, const EthKey& validator, std::string_view seed,
                                    uint64_t begin, uint64_t end);

// Which user answers the next login. Safe for concurrent use.
//  fresh: every user of [begin, end) logs in once (the first login of each,
//         with its validation on the ledger); nullopt once all are used.
//  cycle: users of [begin, end) in turn, for ever (re-authentication).
class UserPicker {
 public:
  UserPicker(uint64_t begin, uint64_t end, bool fresh) : begin_(begin), end_(end), fresh_(fresh) {}
  std::optional<uint64_t> Next();
  // How many users were handed out (fresh mode: the next index is begin + used).
  uint64_t used() const { return next_.load(); }
  bool fresh() const { return fresh_; }

 private:
  const uint64_t begin_, end_;
  const bool fresh_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace certme::bench
