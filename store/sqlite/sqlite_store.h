// The SQLite Store: one file, WAL, group commit; the default for a single
// machine.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace certme {

struct SqliteStoreOptions {
  // Database file; created with its parent directory if missing.
  std::string path = "var/certme.db";
  // true: synchronous=FULL, every commit batch is fsynced, so an acknowledged
  // write survives power loss and kernel crashes too. false:
  // synchronous=NORMAL (WAL mode): an acknowledged write survives a crash or
  // kill -9 of the process, because the WAL is already in the OS cache, but
  // the last commits before a power loss may roll back; several times faster
  // when few requests write at once.
  bool sync_full = true;
  // Time source for TTLs; SystemClock() when null.
  Clock* clock = nullptr;
  // How often expired rows are purged and the WAL is checkpointed and
  // emptied (lazy expiry makes expired rows invisible at once; the purge
  // removes them from the files, so personal data leaves the disk within
  // this interval), and once more at a clean shutdown. Zero or negative
  // disables both.
  Duration purge_interval = std::chrono::seconds(30);
  // Read-only connections serving Get/List/Ping beside the single writer
  // (WAL lets them read while a write transaction is open). At least 1.
  int read_connections = 4;
  // How long a connection waits for a lock held by another process (another
  // instance pointed at the same file by mistake, or the sqlite3 shell).
  Duration busy_timeout = std::chrono::seconds(5);
  // Runs PRAGMA quick_check when opening, so a damaged file is refused at
  // start-up instead of failing requests later. It reads the whole file:
  // cheap for the state the bridge keeps (megabytes), turn it off for
  // multi-gigabyte files.
  bool check_integrity_on_open = true;
};
// Opens (creating if needed) a WAL-mode database with synchronous=FULL so
// that an acknowledged write survives a crash of the process (and, with
// fsync per commit, of the machine). Writes go through one writer thread
// that commits every queued write in one transaction (group commit): each
// caller blocks until the transaction holding its write has committed, so
// concurrent requests share one fsync. Errors: Unavailable when the path
// cannot be created or written, Internal when the file is not a database or
// is corrupt. Destroying the store finishes queued writes first. Atomicity
// holds even if two processes share a file (every write runs inside a
// BEGIN IMMEDIATE transaction), but only one should, for throughput.
StatusOr<std::unique_ptr<Store>> NewSqliteStore(const SqliteStoreOptions& options);

}  // namespace certme
