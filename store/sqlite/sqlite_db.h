// The SQLite handle and statement helpers that the Store and its queues
// share (store/sqlite only; not part of the Store interface).
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace certme::sqlite_internal {

// Maps an SQLite result code to a Status: client-safe message, the SQLite
// text in the detail.
inline Status FromSqlite(int rc, sqlite3* db, std::string_view during) {
  std::string detail = std::string(during) + ": " + sqlite3_errstr(rc);
  if (db != nullptr) detail += std::string(" (") + sqlite3_errmsg(db) + ")";
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Internal("store file is corrupt or not a database", std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("store is busy", std::move(detail));
    case SQLITE_FULL:
      return Unavailable("store disk is full", std::move(detail));
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_IOERR:
    case SQLITE_NOMEM:
      return Unavailable("store is unavailable", std::move(detail));
    default:
      return Internal("store error", std::move(detail));
  }
}

// Binds bytes without copying. SQLITE_STATIC is sound because every
// statement is reset (StmtScope) before the memory's owner can go away.
// A null pointer would bind NULL, so empty views point at a static "".
inline int BindBytes(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_blob(s, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                           SQLITE_STATIC);
}

inline int BindExpiry(sqlite3_stmt* s, int i, int64_t expires_ms) {
  return expires_ms == 0 ? sqlite3_bind_null(s, i) : sqlite3_bind_int64(s, i, expires_ms);
}

inline std::string ColumnBytes(sqlite3_stmt* s, int i) {
  // Documented order: fetch the pointer first, then the size.
  const void* p = sqlite3_column_blob(s, i);
  int n = sqlite3_column_bytes(s, i);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

// Resets and unbinds a statement on scope exit, so no statement keeps a read
// transaction open or points at caller memory after use.
class StmtScope {
 public:
  explicit StmtScope(sqlite3_stmt* s) : s_(s) {}
  ~StmtScope() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtScope(const StmtScope&) = delete;
  StmtScope& operator=(const StmtScope&) = delete;

 private:
  sqlite3_stmt* s_;
};

// One sqlite3 handle plus the statements prepared on it (prepared once,
// reused for the connection's lifetime). Not thread-safe: one user at a time.
class Connection {
 public:
  ~Connection() {
    for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
  }

  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int flags,
                                                    Duration busy_timeout) {
    auto c = std::unique_ptr<Connection>(new Connection());
    int rc = sqlite3_open_v2(path.c_str(), &c->db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return FromSqlite(rc, c->db_, "opening " + path);
    sqlite3_busy_timeout(c->db_, static_cast<int>(busy_timeout.count()));
    return c;
  }

  sqlite3* db() const { return db_; }

  Status Exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return FromSqlite(rc, db_, sql);
    return Status::Ok();
  }

  // Runs a PRAGMA (or any query) and returns the first column of its first
  // row as text ("" when there is no row).
  StatusOr<std::string> QueryText(const char* sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return FromSqlite(rc, db_, sql);
    }
    rc = sqlite3_step(s);
    std::string out;
    if (rc == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      if (t != nullptr) out = reinterpret_cast<const char*>(t);
    }
    Status st = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? Status::Ok() : FromSqlite(rc, db_, sql);
    sqlite3_finalize(s);
    if (!st.ok()) return st;
    return out;
  }

  StatusOr<sqlite3_stmt*> Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return FromSqlite(rc, db_, std::string("preparing ") + sql);
    }
    stmts_.push_back(s);
    return s;
  }

  // Steps a statement expected to return no row.
  Status StepDone(sqlite3_stmt* s, std::string_view what) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
    return FromSqlite(rc, db_, what);
  }

 private:
  Connection() = default;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

}  // namespace certme::sqlite_internal
