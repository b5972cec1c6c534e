// The embedded ledger's anchor: `<log>.head` records how long the log was
// after the newest durable append, "certme-ledger-head 1\n<count>\n0x<hash
// of entry count>\n". It catches the one change the hash chain cannot (the
// newest entries cut off the end). It is replaced atomically (temp file,
// fsync, rename, fsync of the directory) by the process that appended, under
// an exclusive flock of `<log>.head.lock`, and only ever moves forward. See
// docs/ledger.md §4 for what it proves.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace certme::embedded {

struct Anchor {
  uint64_t count = 0;
  std::string hash;  // 32 bytes
};

// An flock held on a file (created if absent) until destruction.
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
StatusOr<Anchor> ReadAnchor(const std::string& log);

// Replaces the anchor; `durable` fsyncs the file and its directory.
// REQUIRES: the exclusive anchor lock.
Status WriteAnchor(const std::string& log, const Anchor& a, bool durable);

// Moves the anchor forward to (count, hash) unless another process already
// recorded as much or more. Takes the anchor lock.
Status AdvanceAnchor(const std::string& log, const Anchor& a, bool durable);

}  // namespace certme::embedded
