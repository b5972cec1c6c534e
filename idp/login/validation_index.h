// The validators' earlier answers to one provider about one eID, for the
// re-login without a validator (docs/wallet-protocol.md §7 step 11). The
// ledger holds them as ValidationAnswered events; reading them all (and the
// request behind each) at every login costs time in the length of the
// user's history. This index keeps, per (eID, provider), what the re-login
// check needs of the answers already read — for each attribute key the
// commitment and level of the latest answer — and the ledger block they
// were read up to, in the Store (namespace "validation_index"); a login
// reads that entry (its size bounded by the attribute catalogue) and only
// the events after its block.
//
// The entry's key is SHA-256 of the eID and provider addresses, and its value
// holds the attribute keys, commitments (salted hashes) and levels the
// ledger already publishes — never an address or an attribute value. It is
// derived from the immutable ledger: a lost or stale entry is rebuilt or
// caught up at the next login, and concurrent replicas may write it in any
// order (an older write only makes the next reader fetch a few events again).
//
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "ledger-client/ledger.h"
#include "protocols/wallet/checks.h"
#include "store/store.h"

namespace certme {

inline constexpr char kValidationIndexNamespace[] = "validation_index";

class ValidationIndex {
 public:
  ValidationIndex(Store& store, Ledger& ledger) : store_(store), ledger_(ledger) {}

  // The latest answer of validators to `provider` about `eid` (20 bytes
  // each) for each attribute key, one PastValidation per key, caught up
  // with the ledger: wallet::AlreadyValidated decides on it exactly as on
  // the whole history.
  StatusOr<std::vector<wallet::PastValidation>> Answers(const std::string& eid, const std::string& provider);

  // Every answer, oldest first, read from the ledger's whole history without
  // the index (what a login did before; the fallback when the Store is down;
  // the benchmark compares the two).
  static StatusOr<std::vector<wallet::PastValidation>> ScanLedger(Ledger& ledger, const std::string& eid,
                                                                 const std::string& provider);

 private:
  Store& store_;
  Ledger& ledger_;
};

}  // namespace certme
