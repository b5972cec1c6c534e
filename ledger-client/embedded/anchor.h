// The embedded ledger's anchor: `<log>.head` records how long the log was
// after the newest durable append, signed by the ledger's sequencer key:
//
//   certme-ledger-head 2\n<count>\n0x<hash of entry count>\n0x<signature>\n
//
// signature = the sequencer's secp256k1 signature (r‖s‖v) of
// AnchorDigest(count, hash). The hash chain covers every entry up to
// `count`, times included, so the signature vouches for all of them. It
// catches what the chain alone cannot: the newest entries cut off the end
// (the anchor names a longer log) and a log rewritten and rehashed by
// someone without the key (no valid anchor for it). It is replaced
// atomically (temp file 0600, fsync, rename, fsync of the directory) by the
// process that appended, under an exclusive flock of `<log>.head.lock`, and
// only ever moves forward. An optional checkpoint file receives a copy of
// every anchor as one appended line, for a second place to compare with. See
// docs/ledger.md §4 for the threat model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme::embedded {

struct Anchor {
  uint64_t count = 0;
  std::string hash;  // 32 bytes
  std::string sig;   // 65 bytes (r‖s‖v); empty in a format-1 (unsigned) anchor
};

// keccak256("certME ledger anchor v2" ‖ uint64be(count) ‖ hash): what the
// sequencer signs for an anchor (a different domain from an entry's
// signature, so an entry's signature is never a valid anchor).
Bytes32 AnchorDigest(uint64_t count, std::string_view hash);
// The anchor for (count, hash) signed by `key`.
Anchor SignAnchor(const EthKey& key, uint64_t count, std::string_view hash);
// The 20-byte address that signed `a`; FailedPrecondition when unsigned or
// the signature does not recover.
StatusOr<std::string> AnchorSigner(const Anchor& a);

// An flock held on a file (created 0600 if absent) until destruction.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();
  // `op` is LOCK_SH or LOCK_EX; waits for the lock.
  Status Acquire(const std::string& path, int op);

 private:
  int fd_ = -1;
};

// `<log>.head`; its lock file is AnchorPath(log) + ".lock".
std::string AnchorPath(const std::string& log);

// NotFound when there is no anchor; FailedPrecondition when it is unreadable.
// A format-1 anchor is returned with an empty `sig`.
StatusOr<Anchor> ReadAnchor(const std::string& log);

// Replaces the anchor (0600); `durable` fsyncs the file and its directory.
// REQUIRES: the exclusive anchor lock; a signed `a`.
Status WriteAnchor(const std::string& log, const Anchor& a, bool durable);

// Moves the anchor forward to `a` unless another process already recorded
// as much or more, and appends `a` to `checkpoint_file` (when not empty)
// whenever the anchor moves. Takes the anchor lock.
Status AdvanceAnchor(const std::string& log, const Anchor& a, bool durable, const std::string& checkpoint_file);

// Appends `a` to the checkpoint file (created 0600) as
// "certme-ledger-checkpoint 2 <count> 0x<hash> 0x<signature>\n".
Status AppendCheckpoint(const std::string& file, const Anchor& a, bool durable);
// The newest complete line of the checkpoint file. NotFound when the file
// does not exist, FailedPrecondition when its last line is unreadable.
StatusOr<Anchor> ReadLastCheckpoint(const std::string& file);

}  // namespace certme::embedded
