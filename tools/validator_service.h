// The validator service behind `certme validator serve`: answers every
// consented validation request addressed to this validator, first those
// that arrived while it was down (the open set, read in bounded pages),
// then each new one as its block lands. It never gives up silently: a
// failed read of the open set is logged with its reason and retried with a
// growing back-off while new requests keep being answered, and once caught
// up it prunes the expired entries of its open set a batch at a time when
// idle, so that reading it stays cheap.
#pragma once

#include <atomic>
#include <cstdint>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/ledger.h"

namespace certme {

struct ValidatorServiceOptions {
  // Answer what is pending and return (`serve --once`): a failed read of
  // the open set is then the result, not retried.
  bool once = false;
  // How long one wait for new requests lasts (the stop flag is checked in
  // between).
  Duration wait_slice = std::chrono::milliseconds(500);
  // Back-off after a failed read: doubles from min to max.
  Duration retry_min = std::chrono::milliseconds(500);
  Duration retry_max = std::chrono::seconds(30);
  // Entries examined per pruning transaction (1 to kMaxPruneCount); 0
  // disables pruning.
  uint64_t prune_batch = 256;
};

// Answers request `id` if it is `me`'s, open and unexpired, and its
// provider is still authorized, with the commitments the ledger holds for
// the user; logs the outcome.
void AnswerIfMine(Ledger& l, const EthKey& me, uint64_t id);

// Runs until *stop is set (OK), or the ledger becomes unusable (its error,
// e.g. a damaged embedded log). Logs every failure it recovers from.
Status ServeValidationRequests(Ledger& l, const EthKey& me, const std::atomic<bool>& stop,
                               const ValidatorServiceOptions& options = {});

}  // namespace certme
