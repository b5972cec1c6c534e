// The embedded ledger: the registry's rules executed in-process over an
// append-only, hash-chained log of signed transactions kept in a sqlite
// file. No external process; the default for one machine.
//
//   entry n = (n, prev_hash = hash of entry n-1 (zeros for n = 1),
//              time (unix seconds), tx = EncodeTransaction(signed tx))
//   hash    = keccak256(prev_hash ‖ uint64be(n) ‖ int64be(time) ‖ tx)
//
// State (roles, eIDs, requests, events) is derived from the log only: on
// open every entry is re-verified (chain link, hash, signature, sender
// nonce) and re-executed with its own timestamp, so a modified, reordered or
// removed entry, or a transaction nobody signed, stops the open with an
// error naming the entry. Only transactions that succeed are appended (a
// refused call leaves no trace, like a reverted call).
//
// Every entry is also signed by the ledger's sequencer key (a key file of
// its own, kept apart from the log), and so is the anchor `<path>.head`
// (entry count and head hash, replaced atomically after every append). The
// anchor catches what the chain cannot: newest entries cut off the end, and
// a log rewritten and rehashed by someone without the key. Open refuses a
// log shorter than its anchor or not holding the anchor's entry
// ("LedgerTruncated: …"), a missing, unsigned or foreign-signed anchor
// ("LedgerUnanchored: …"; `certme ledger reanchor` → Reanchor() accepts the
// log as it is, on purpose), an entry past the anchor without a valid
// sequencer signature, and an entry dated more than max_clock_skew ahead of
// this machine's clock ("LedgerDamaged: …"). A log longer than its anchor
// whose extra entries are signed (a writer stopped between its commit and
// the anchor update) is accepted and the anchor catches up. With
// checkpoint_file, every anchor is also appended there, and a log that is
// behind the file's newest checkpoint is refused ("LedgerRolledBack: …").
// docs/ledger.md §4 states the threat model.
//
// Several processes may open one file (the validator daemon, the admin CLI,
// the bridge): writes are serialized by sqlite's write lock, each writer
// first applies the entries others appended, and a watcher thread (inotify
// on the file's directory, PRAGMA data_version to confirm) applies foreign
// entries as they land, waking WaitForEvents callers.
//
// Thread-safety: all methods may be called from many threads. Readers share
// a std::shared_mutex over the derived state and never touch sqlite.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "ledger-client/ledger.h"
#include "ledger-client/transaction.h"

namespace certme {

// The chain id of an embedded registry created without one (`certme ledger
// init` without --chain-id or ledger.chain_id): 2^52 - 1. That is above
// 4503599627370476, the largest chain id MetaMask-style wallets accept, so
// no chain such a wallet can use has this id, and it is still an exact
// integer in JavaScript (the wallet's consent documents carry it as a JSON
// number). EIP-2294 allows larger ids; the registry address, which no
// contract can have, keeps consents apart whatever the chain id.
inline constexpr uint64_t kEmbeddedDefaultChainId = 4503599627370495;

struct EmbeddedLedgerOptions {
  // The sqlite file. Create() makes it (and nothing else: the directory must
  // exist); Open() requires it.
  std::string path;
  // Ledger time source; null means SystemClock(). Entry times never go
  // backwards even if this clock does: an entry is stamped with the newest
  // entry's time while the clock is behind it by at most max_clock_skew;
  // further behind, appends are refused (FailedPrecondition
  // "LedgerClockBehind: …") until the clock is right again.
  Clock* clock = nullptr;
  // true: every appended entry is fsynced (survives power loss).
  bool sync_full = true;
  // Apply entries appended by other processes as they land (inotify). Off:
  // they are seen at the next write or Sync().
  bool watch_file = true;
  // How long a writer waits for another process's write lock.
  Duration busy_timeout = std::chrono::seconds(10);
  // The sequencer key: signs every entry and the anchor, and the signatures
  // found must be its own. Required (FailedPrecondition without).
  std::optional<EthKey> sequencer;
  // Entries dated further than this ahead of `clock` are refused, and a
  // writer whose clock is further than this behind the newest entry does
  // not append.
  Duration max_clock_skew = std::chrono::minutes(5);
  // Optional second place for the anchors (docs/ledger.md §4): every anchor
  // is appended to this file, and a log behind its newest line is refused.
  std::string checkpoint_file;
  // Tests only: called after an entry is committed, before the anchor
  // (`<path>.head`) records it.
  std::function<void(uint64_t entry)> before_anchor_update;
};

class EmbeddedLedger : public Ledger {
 public:
  // Creates a new registry file: its first entry is initialize(admin)
  // signed by `admin`, which fixes the chain id and the registry address
  // (EmbeddedRegistryAddress(admin, chain_id), never a contract's address).
  // AlreadyExists if the file holds entries.
  static StatusOr<std::unique_ptr<EmbeddedLedger>> Create(const EmbeddedLedgerOptions& options,
                                                          const EthKey& admin, uint64_t chain_id);
  // Opens and replays an existing file. NotFound when absent; Internal
  // ("LedgerDamaged: entry N: …") when verification fails, Internal
  // ("LedgerTruncated: …") when the log is shorter than its anchor.
  static StatusOr<std::unique_ptr<EmbeddedLedger>> Open(const EmbeddedLedgerOptions& options);

  // What Reanchor() accepted.
  struct ReanchorReport {
    uint64_t entries = 0;   // the log's length, now anchored
    Bytes32 head{};         // its newest entry's hash
    int64_t head_time = 0;  // and time
    std::string previous;   // the anchor it replaced, in words
  };
  // Accepts the log at options.path as it is: replays it verifying
  // everything except the anchor and the entries' sequencer signatures,
  // upgrades a format-1 file, and writes an anchor (and checkpoint) signed
  // by options.sequencer. Still refuses a damaged log, a future-dated entry,
  // and a log behind the checkpoint file. Not for use while other processes
  // have the file open.
  static StatusOr<ReanchorReport> Reanchor(const EmbeddedLedgerOptions& options);

  // Submits a transaction signed elsewhere (a relay; tests of forged ones).
  virtual StatusOr<TxReceipt> Submit(const SignedTransaction& tx) = 0;
  // The sender's next transaction nonce.
  virtual StatusOr<uint64_t> NextNonce(std::string_view account) = 0;
  // Hash of the newest entry (zeros before the first).
  virtual Bytes32 HeadHash() = 0;
  // Applies entries other processes appended since the last look.
  virtual Status Sync() = 0;
};

}  // namespace certme
