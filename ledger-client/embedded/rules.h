// The embedded ledger's rules: the CertMeRegistry state machine (roles,
// eIDs, validation requests, consent checks) executed in-process. Pure: no
// file, no lock, no clock; the caller passes the time and owns the State.
// The same rules as contracts/CertMeRegistry.sol, checked by the shared
// conformance suite (tests/ledger_conformance).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "ledger-client/ledger.h"
#include "ledger-client/transaction.h"

namespace certme::embedded {

// Everything derived from the log's entries.
struct State {
  bool initialized = false;
  uint64_t chain_id = 0;
  std::string registry, admin;
  std::string pending_admin;  // proposed next administrator; empty = none
  std::unordered_set<std::string> validators, providers;
  std::unordered_map<std::string, EidRecord> eids;
  std::unordered_map<std::string, uint64_t> tx_nonces;
  std::unordered_set<std::string> used_consents;  // user ‖ provider ‖ nonce
  std::unordered_set<std::string> signed_digests;  // user ‖ provider ‖ digest (recordSignatures)
  std::vector<ValidationRequest> requests;         // id = index + 1
  // The open set per validator, kept exactly as the contract keeps it (a
  // removal moves the last id into the freed slot) so that counts, pages
  // and pruning agree on both backends: ids, each id's index + 1 there,
  // and where the next pruning pass starts.
  std::unordered_map<std::string, std::vector<uint64_t>> open_ids;
  std::unordered_map<uint64_t, size_t> open_position;
  std::unordered_map<std::string, size_t> prune_cursor;
  std::vector<LedgerEvent> events;  // block order
  std::unordered_map<std::string, std::vector<size_t>> events_by_user;
  std::unordered_map<std::string, std::vector<size_t>> events_by_digest;  // SignatureRecorded
  uint64_t head = 0;
  Bytes32 head_hash{};
  int64_t head_time = 0;
};

// A checked call: the events it will emit and the state change, which
// cannot fail (checks first, effects after, as a contract is written).
struct Plan {
  std::vector<LedgerEvent> events;
  std::function<void(State&, int64_t time)> apply;
};

// Everything a transaction must pass at time `now`, in the order the EVM
// would check it (signature, calldata, chain, sender nonce, the method's
// rules). The refusal is the named LedgerError the contract would revert with.
StatusOr<Plan> PlanTransaction(const State& s, const SignedTransaction& tx, int64_t now);

// Applies a plan from PlanTransaction(s, tx, time) as entry `seq` with hash
// `hash`: the state change, the sender's nonce, the events (block, index and
// time filled in) and the head. Returns the events as recorded.
std::vector<LedgerEvent> ApplyPlan(State& s, Plan plan, const SignedTransaction& tx, uint64_t seq, int64_t time,
                                   const Bytes32& hash);

// Removes request `id` from its validator's open set.
void CloseRequest(State& s, const std::string& validator, uint64_t id);
// Examines up to `max` entries of `validator`'s open set from the prune
// cursor and removes those expired at `now` (CertMeRegistry._pruneExpired).
uint64_t PruneExpired(State& s, const std::string& validator, uint64_t max, int64_t now);

// The recorded events `f` selects, in block order.
std::vector<LedgerEvent> MatchingEvents(const State& s, const EventFilter& f);

}  // namespace certme::embedded
