// The embedded ledger's log: an append-only table of hash-chained entries in
// a sqlite file (WAL mode).
//
//   entry n = (n, prev_hash = hash of entry n-1 (zeros for n = 1),
//              time (unix seconds), tx = EncodeTransaction(signed tx))
//   hash    = keccak256(prev_hash ‖ uint64be(n) ‖ int64be(time) ‖ tx)
//   sig     = the sequencer key's signature of EntrySigningDigest(hash)
//
// The signature sits in a second table (entry_sigs), written in the same
// transaction as the entry. This layer stores and reads entries; checking that they link up and
// execute is the replay's job (embedded_ledger.cc, with rules.h). Triggers
// make the table refuse UPDATE and DELETE.
//
// Not thread-safe: the owner serializes every call (one connection).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"

struct sqlite3;

namespace certme::embedded {

struct LogEntry {
  uint64_t seq = 0;
  std::string prev_hash;  // 32 bytes as stored (unchecked when read)
  int64_t time = 0;
  std::string tx;    // EncodeTransaction bytes
  std::string hash;  // 32 bytes as stored (unchecked when read)
  std::string sig;   // 65 bytes as stored (empty when the entry has none)
};

// The entry hash defined above.
Bytes32 EntryHash(const Bytes32& prev, uint64_t seq, int64_t time, std::string_view tx);

// keccak256("certME ledger entry v2" ‖ hash): what the sequencer signs for
// an entry.
Bytes32 EntrySigningDigest(std::string_view entry_hash);

// Internal("LedgerDamaged: entry <seq>: <why>; …"): the error every
// verification failure of an entry is reported as.
Status Damaged(uint64_t seq, const std::string& why);

class EntryLog {
 public:
  EntryLog() = default;
  EntryLog(const EntryLog&) = delete;
  EntryLog& operator=(const EntryLog&) = delete;
  ~EntryLog();

  // Opens `path` (NotFound when absent unless `create`, which makes it with
  // mode 0600); a fresh file gets the schema, an existing one must carry
  // the ledger's application id and format version 2 (FailedPrecondition
  // otherwise; format 1, from before signed entries, is brought to 2 when
  // `upgrade`). `sync_full`: fsync every commit.
  Status Open(const std::string& path, bool create, bool upgrade, Duration busy_timeout, bool sync_full);

  // BEGIN IMMEDIATE: takes sqlite's write lock (waiting up to the busy
  // timeout for other processes).
  Status Begin();
  // Ends the open write transaction without writing.
  void Rollback();
  // REQUIRES: Begin(). Inserts `e` (and its signature) and commits; rolls
  // back on any failure.
  Status AppendAndCommit(const LogEntry& e);

  // Calls `fn` for every entry after `seq`, in order, and stops at the first
  // error it returns (which is returned). Unavailable for storage errors.
  Status ForEachAfter(uint64_t seq, const std::function<Status(const LogEntry&)>& fn);
  // The stored hash of entry `seq` (zeros for 0). REQUIRES: seq <= the
  // newest entry.
  StatusOr<std::string> HashAt(uint64_t seq);
  // PRAGMA data_version: changes when another connection commits.
  StatusOr<int64_t> DataVersion();

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace certme::embedded
