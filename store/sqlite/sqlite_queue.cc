#include "store/sqlite/sqlite_queue.h"

#include <utility>

#include "store/store_checks.h"

namespace certme::sqlite_internal {
namespace {

constexpr const char* kQueueSchema[] = {
    "CREATE TABLE IF NOT EXISTS queue ("
    "  name BLOB NOT NULL,"
    "  id BLOB NOT NULL,"
    "  value BLOB NOT NULL,"
    "  due_at INTEGER NOT NULL,"  // Unix ms
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (name, id))",
    // A claim reads the earliest due items of one queue.
    "CREATE INDEX IF NOT EXISTS queue_due ON queue(name, due_at, id)",
};

constexpr const char* kInsertSql =
    "INSERT INTO queue(name, id, value, due_at) VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";
constexpr const char* kSelectDueSql =
    "SELECT id, value, attempts FROM queue WHERE name = ?1 AND due_at <= ?2 "
    "ORDER BY due_at, id LIMIT ?3";
constexpr const char* kClaimSql =
    "UPDATE queue SET due_at = ?3, attempts = attempts + 1 WHERE name = ?1 AND id = ?2";
constexpr const char* kRescheduleSql = "UPDATE queue SET due_at = ?3 WHERE name = ?1 AND id = ?2";
constexpr const char* kDeleteSql = "DELETE FROM queue WHERE name = ?1 AND id = ?2";
constexpr const char* kCountSql = "SELECT COUNT(*) FROM queue WHERE name = ?1";

}  // namespace

StatusOr<std::unique_ptr<SqliteQueues>> SqliteQueues::Open(const std::string& path,
                                                           Duration busy_timeout, bool sync_full,
                                                           Clock& clock) {
  CERTME_ASSIGN_OR_RETURN(auto conn, Connection::Open(path, SQLITE_OPEN_READWRITE, busy_timeout));
  CERTME_RETURN_IF_ERROR(
      conn->Exec(sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  CERTME_RETURN_IF_ERROR(conn->Exec("PRAGMA secure_delete=ON"));
  for (const char* sql : kQueueSchema) CERTME_RETURN_IF_ERROR(conn->Exec(sql));
  auto q = std::unique_ptr<SqliteQueues>(new SqliteQueues(std::move(conn), clock));
  CERTME_RETURN_IF_ERROR(q->Prepare());
  return q;
}

Status SqliteQueues::Prepare() {
  Connection& c = *conn_;
  CERTME_ASSIGN_OR_RETURN(begin_, c.Prepare("BEGIN IMMEDIATE"));
  CERTME_ASSIGN_OR_RETURN(commit_, c.Prepare("COMMIT"));
  CERTME_ASSIGN_OR_RETURN(insert_, c.Prepare(kInsertSql));
  CERTME_ASSIGN_OR_RETURN(select_due_, c.Prepare(kSelectDueSql));
  CERTME_ASSIGN_OR_RETURN(claim_, c.Prepare(kClaimSql));
  CERTME_ASSIGN_OR_RETURN(reschedule_, c.Prepare(kRescheduleSql));
  CERTME_ASSIGN_OR_RETURN(delete_, c.Prepare(kDeleteSql));
  CERTME_ASSIGN_OR_RETURN(count_, c.Prepare(kCountSql));
  return Status::Ok();
}

template <typename Body>
Status SqliteQueues::InTransaction(Body&& body) {
  sqlite3* db = conn_->db();
  {
    StmtScope scope(begin_);
    CERTME_RETURN_IF_ERROR(conn_->StepDone(begin_, "queue begin"));
  }
  Status st = body();
  if (st.ok()) {
    StmtScope scope(commit_);
    st = conn_->StepDone(commit_, "queue commit");
  }
  if (!st.ok() && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return st;
}

Status SqliteQueues::Enqueue(std::string_view queue, std::string_view id, std::string_view value,
                             Duration delay) {
  CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
  CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
  CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
  std::lock_guard<std::mutex> lock(mu_);
  bool inserted = false;
  CERTME_RETURN_IF_ERROR(InTransaction([&]() -> Status {
    StmtScope scope(insert_);
    BindBytes(insert_, 1, queue);
    BindBytes(insert_, 2, id);
    BindBytes(insert_, 3, value);
    sqlite3_bind_int64(insert_, 4, clock_.NowUnixMillis() + delay.count());
    CERTME_RETURN_IF_ERROR(conn_->StepDone(insert_, "enqueue"));
    inserted = sqlite3_changes(conn_->db()) == 1;
    return Status::Ok();
  }));
  if (!inserted) return AlreadyExists("queue item already exists");
  return Status::Ok();
}

StatusOr<std::vector<QueueItem>> SqliteQueues::ClaimDue(std::string_view queue, size_t max,
                                                        Duration lease) {
  CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
  CERTME_RETURN_IF_ERROR(CheckQueueClaim(max, lease));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<QueueItem> out;
  CERTME_RETURN_IF_ERROR(InTransaction([&]() -> Status {
    out.clear();
    const int64_t now = clock_.NowUnixMillis();
    {
      StmtScope scope(select_due_);
      BindBytes(select_due_, 1, queue);
      sqlite3_bind_int64(select_due_, 2, now);
      sqlite3_bind_int64(select_due_, 3, static_cast<int64_t>(max));
      int rc;
      while ((rc = sqlite3_step(select_due_)) == SQLITE_ROW) {
        out.push_back(QueueItem{ColumnBytes(select_due_, 0), ColumnBytes(select_due_, 1),
                                sqlite3_column_int(select_due_, 2) + 1});
      }
      if (rc != SQLITE_DONE) return FromSqlite(rc, conn_->db(), "claim");
    }
    for (const QueueItem& item : out) {
      StmtScope scope(claim_);
      BindBytes(claim_, 1, queue);
      BindBytes(claim_, 2, item.id);
      sqlite3_bind_int64(claim_, 3, now + lease.count());
      CERTME_RETURN_IF_ERROR(conn_->StepDone(claim_, "claim"));
    }
    return Status::Ok();
  }));
  return out;
}

Status SqliteQueues::Reschedule(std::string_view queue, std::string_view id, Duration delay) {
  CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
  CERTME_RETURN_IF_ERROR(CheckQueueDelay(delay));
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(reschedule_);
  BindBytes(reschedule_, 1, queue);
  BindBytes(reschedule_, 2, id);
  sqlite3_bind_int64(reschedule_, 3, clock_.NowUnixMillis() + delay.count());
  CERTME_RETURN_IF_ERROR(conn_->StepDone(reschedule_, "reschedule"));
  if (sqlite3_changes(conn_->db()) == 0) return NotFound("queue item not found");
  return Status::Ok();
}

Status SqliteQueues::Dequeue(std::string_view queue, std::string_view id) {
  CERTME_RETURN_IF_ERROR(CheckStoreKey(queue, id));
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(delete_);
  BindBytes(delete_, 1, queue);
  BindBytes(delete_, 2, id);
  return conn_->StepDone(delete_, "dequeue");
}

StatusOr<size_t> SqliteQueues::QueueSize(std::string_view queue) {
  CERTME_RETURN_IF_ERROR(CheckStoreNamespace(queue));
  std::lock_guard<std::mutex> lock(mu_);
  StmtScope scope(count_);
  BindBytes(count_, 1, queue);
  int rc = sqlite3_step(count_);
  if (rc != SQLITE_ROW) return FromSqlite(rc, conn_->db(), "queue size");
  return static_cast<size_t>(sqlite3_column_int64(count_, 0));
}

}  // namespace certme::sqlite_internal
