// The SQLite Store's work queues (Store::Enqueue … QueueSize): one table
// queue(name, id, value, due_at, attempts) in the Store's file, written
// through a connection of its own. Queue operations are rare (a logout
// delivery now and then), so they take a BEGIN IMMEDIATE transaction each
// instead of joining the key-value writer's group commit; SQLite's file lock
// and busy timeout order them against that writer.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace certme::sqlite_internal {

class SqliteQueues {
 public:
  // Opens `path` (already a WAL database) read-write and creates the table.
  static StatusOr<std::unique_ptr<SqliteQueues>> Open(const std::string& path, Duration busy_timeout,
                                                      bool sync_full, Clock& clock);

  Status Enqueue(std::string_view queue, std::string_view id, std::string_view value, Duration delay);
  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max, Duration lease);
  Status Reschedule(std::string_view queue, std::string_view id, Duration delay);
  Status Dequeue(std::string_view queue, std::string_view id);
  StatusOr<size_t> QueueSize(std::string_view queue);

 private:
  SqliteQueues(std::unique_ptr<Connection> conn, Clock& clock) : conn_(std::move(conn)), clock_(clock) {}
  Status Prepare();
  // Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on error.
  template <typename Body>
  Status InTransaction(Body&& body);

  std::mutex mu_;  // one caller at a time on conn_
  std::unique_ptr<Connection> conn_;
  Clock& clock_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* select_due_ = nullptr;
  sqlite3_stmt* claim_ = nullptr;
  sqlite3_stmt* reschedule_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* count_ = nullptr;
};

}  // namespace certme::sqlite_internal
