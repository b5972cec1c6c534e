// SQLite Store: the embedded, durable default (docs/ARCHITECTURE.md, shape).
//
// Layout: one table kv(ns, key, value, expires_at) keyed by (ns, key); ns and
// key are BLOBs so that arbitrary bytes round-trip and ORDER BY key compares
// bytes exactly like std::string (memcmp), matching the memory backend.
// expires_at is Unix milliseconds, NULL for "never"; every statement filters
// expired rows, so they are invisible long before the periodic purge removes
// them.
//
// Concurrency: WAL mode, so readers never wait for the writer. All writes go
// through ONE writer thread and connection that does group commit: callers
// enqueue an op and block; the writer takes everything queued, applies it in
// one BEGIN IMMEDIATE … COMMIT (one fsync with synchronous=FULL) and only
// then wakes each caller with its own result. An acknowledged write is
// therefore on disk, and N concurrent writers pay for one fsync instead of N.
// Because the writer is the only one applying ops, select-then-update
// sequences (Consume, CompareAndSwap, PutIfAbsent) are atomic. Reads use a
// small pool of read-only connections. Every connection is used by one
// thread at a time, so they are opened with SQLITE_OPEN_NOMUTEX.
#include <sqlite3.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_queue.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_checks.h"

namespace certme {
namespace {

using sqlite_internal::BindBytes;
using sqlite_internal::BindExpiry;
using sqlite_internal::ColumnBytes;
using sqlite_internal::Connection;
using sqlite_internal::FromSqlite;
using sqlite_internal::StmtScope;

constexpr const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS kv ("
    "  ns BLOB NOT NULL,"
    "  key BLOB NOT NULL,"
    "  value BLOB NOT NULL,"
    "  expires_at INTEGER,"  // Unix ms; NULL = never
    "  PRIMARY KEY (ns, key))",
    // Lets the purge find expired rows without a full scan.
    "CREATE INDEX IF NOT EXISTS kv_expires_at ON kv(expires_at) WHERE expires_at IS NOT NULL",
};

// "Live" predicate shared by every statement; ?N is the current time (ms).
#define CERTME_LIVE(n) "(expires_at IS NULL OR expires_at > ?" #n ")"

constexpr const char* kPutSql =
    "INSERT INTO kv(ns, key, value, expires_at) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at";
// Replaces an existing row only when it has expired; changes() tells which.
constexpr const char* kPutIfAbsentSql =
    "INSERT INTO kv(ns, key, value, expires_at) VALUES(?1, ?2, ?3, ?4) "
    "ON CONFLICT(ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at "
    "WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?5";
// RETURNING needs SQLite >= 3.35.
constexpr const char* kConsumeSql =
    "DELETE FROM kv WHERE ns = ?1 AND key = ?2 AND " CERTME_LIVE(3) " RETURNING value";
constexpr const char* kGetSql =
    "SELECT value FROM kv WHERE ns = ?1 AND key = ?2 AND " CERTME_LIVE(3);
constexpr const char* kUpdateSql = "UPDATE kv SET value = ?3, expires_at = ?4 WHERE ns = ?1 AND key = ?2";
constexpr const char* kDeleteSql = "DELETE FROM kv WHERE ns = ?1 AND key = ?2";
constexpr const char* kPurgeSql = "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?1";
constexpr const char* kListSql =
    "SELECT key, value FROM kv WHERE ns = ?1 AND " CERTME_LIVE(2) " ORDER BY key";
constexpr const char* kPingSql = "SELECT 1 FROM kv LIMIT 1";

#undef CERTME_LIVE

enum class OpKind { kPut, kPutIfAbsent, kConsume, kCompareAndSwap, kDelete };

// Set once by the writer; the caller sleeps until then. Not a
// std::binary_semaphore: libstdc++'s acquire() spins with sched_yield before
// it sleeps, and with eight server threads on one core those yields were
// ~19 % of the bridge's CPU in a code flow (docs/PERFORMANCE.md, sqlite).
// Signal() notifies under the lock, so a waiter that returns (and destroys
// the op) finds the writer already done with it.
class DoneSignal {
 public:
  void Signal() {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_one();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A write waiting for the writer. Lives on the caller's stack; the views
// stay valid because the caller blocks on `done` until the writer is
// finished with the op.
struct WriteOp {
  WriteOp(OpKind k, std::string_view n, std::string_view ky, std::string_view v = {},
          std::string_view e = {}, Duration t = kNoExpiry)
      : kind(k), ns(n), key(ky), value(v), expected(e), ttl(t) {}

  OpKind kind;
  std::string_view ns, key, value, expected;
  Duration ttl;
  // Outputs, written by the writer before done.Signal().
  Status status;
  std::string out;  // Consume's value
  DoneSignal done;
};

class SqliteStore final : public Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const SqliteStoreOptions& options);

  ~SqliteStore() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_writer_.notify_one();
    const bool started = writer_thread_.joinable();
    if (started) writer_thread_.join();
    // Statements before handles: Connection's destructor does both. The
    // readers and the queues' connection close first, so that the last
    // purge's checkpoint can empty the WAL: a clean shutdown leaves no
    // expired or deleted value in the files (docs/privacy.md).
    readers_.clear();
    queues_.reset();
    // Only a store that opened (its writer ran) has statements to purge with.
    if (started && purge_ != nullptr && options_.purge_interval > Duration::zero()) Purge();
    writer_.reset();
  }

  Status Put(std::string_view ns, std::string_view key, std::string_view value,
             Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    WriteOp op(OpKind::kPut, ns, key, value, {}, ttl);
    Submit(op);
    return op.status;
  }

  Status PutIfAbsent(std::string_view ns, std::string_view key, std::string_view value,
                     Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    WriteOp op(OpKind::kPutIfAbsent, ns, key, value, {}, ttl);
    Submit(op);
    return op.status;
  }

  StatusOr<std::string> Get(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    ReaderLease r(this);
    sqlite3_stmt* s = r->get;
    StmtScope scope(s);
    BindBytes(s, 1, ns);
    BindBytes(s, 2, key);
    sqlite3_bind_int64(s, 3, clock_->NowUnixMillis());
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return ColumnBytes(s, 0);
    if (rc == SQLITE_DONE) return NotFound("key not found");
    return FromSqlite(rc, r->conn->db(), "get");
  }

  StatusOr<std::string> Consume(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    WriteOp op(OpKind::kConsume, ns, key);
    Submit(op);
    if (!op.status.ok()) return op.status;
    return std::move(op.out);
  }

  Status CompareAndSwap(std::string_view ns, std::string_view key, std::string_view expected,
                        std::string_view value, Duration ttl) override {
    CERTME_RETURN_IF_ERROR(CheckWrite(ns, key, value, ttl));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(expected));
    WriteOp op(OpKind::kCompareAndSwap, ns, key, value, expected, ttl);
    Submit(op);
    return op.status;
  }

  Status Delete(std::string_view ns, std::string_view key) override {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    WriteOp op(OpKind::kDelete, ns, key);
    Submit(op);
    return op.status;
  }

  StatusOr<std::vector<StoreEntry>> List(std::string_view ns) override {
    CERTME_RETURN_IF_ERROR(CheckStoreNamespace(ns));
    ReaderLease r(this);
    sqlite3_stmt* s = r->list;
    StmtScope scope(s);
    BindBytes(s, 1, ns);
    sqlite3_bind_int64(s, 2, clock_->NowUnixMillis());
    std::vector<StoreEntry> out;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      out.push_back(StoreEntry{ColumnBytes(s, 0), ColumnBytes(s, 1)});
    }
    if (rc != SQLITE_DONE) return FromSqlite(rc, r->conn->db(), "list");
    return out;
  }

  Status Ping() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return Unavailable("store is closing");
    }
    ReaderLease r(this);
    StmtScope scope(r->ping);
    int rc = sqlite3_step(r->ping);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return Status::Ok();
    return FromSqlite(rc, r->conn->db(), "ping");
  }

  std::string_view Name() const override { return "sqlite"; }

  Status Enqueue(std::string_view queue, std::string_view id, std::string_view value,
                 Duration delay) override {
    return queues_->Enqueue(queue, id, value, delay);
  }
  StatusOr<std::vector<QueueItem>> ClaimDue(std::string_view queue, size_t max,
                                            Duration lease) override {
    return queues_->ClaimDue(queue, max, lease);
  }
  Status Reschedule(std::string_view queue, std::string_view id, Duration delay) override {
    return queues_->Reschedule(queue, id, delay);
  }
  Status Dequeue(std::string_view queue, std::string_view id) override {
    return queues_->Dequeue(queue, id);
  }
  StatusOr<size_t> QueueSize(std::string_view queue) override { return queues_->QueueSize(queue); }

 private:
  struct Reader {
    std::unique_ptr<Connection> conn;
    sqlite3_stmt* get = nullptr;
    sqlite3_stmt* list = nullptr;
    sqlite3_stmt* ping = nullptr;
  };

  // Borrows a read connection for one call; blocks while all are in use.
  class ReaderLease {
   public:
    explicit ReaderLease(SqliteStore* store) : store_(store) {
      std::unique_lock<std::mutex> lock(store_->readers_mu_);
      store_->reader_free_.wait(lock, [&] { return !store_->idle_readers_.empty(); });
      reader_ = store_->idle_readers_.back();
      store_->idle_readers_.pop_back();
    }
    ~ReaderLease() {
      {
        std::lock_guard<std::mutex> lock(store_->readers_mu_);
        store_->idle_readers_.push_back(reader_);
      }
      store_->reader_free_.notify_one();
    }
    Reader* operator->() const { return reader_; }

   private:
    SqliteStore* store_;
    Reader* reader_;
  };

  explicit SqliteStore(const SqliteStoreOptions& options)
      : options_(options), clock_(options.clock ? options.clock : &SystemClock()) {}

  Status Init();
  Status PrepareWriter();
  Status OpenReader();

  static Status CheckWrite(std::string_view ns, std::string_view key, std::string_view value,
                           Duration ttl) {
    CERTME_RETURN_IF_ERROR(CheckStoreKey(ns, key));
    CERTME_RETURN_IF_ERROR(CheckStoreValue(value));
    return CheckStoreTtl(ttl);
  }

  // Queues op and blocks until the transaction holding it has committed (or
  // failed); op.status / op.out then hold the outcome.
  void Submit(WriteOp& op) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        op.status = Unavailable("store is closing");
        return;
      }
      queue_.push_back(&op);
    }
    wake_writer_.notify_one();
    op.done.Wait();
  }

  void WriterLoop();
  void RunBatch(std::vector<WriteOp*>& batch);
  Status RunTransaction(WriteOp* const* ops, size_t n);
  // Applies one op inside the open transaction. A non-OK return is an SQLite
  // failure (the transaction must be rolled back); the op's own outcome
  // (NotFound, AlreadyExists, …) goes to op.status.
  Status Apply(WriteOp& op);
  void Purge();

  const SqliteStoreOptions options_;
  Clock* const clock_;

  // Writer side. writer_ and its statements are used only by writer_thread_
  // once it has started.
  std::unique_ptr<Connection> writer_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* put_if_absent_ = nullptr;
  sqlite3_stmt* consume_ = nullptr;
  sqlite3_stmt* select_live_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
  sqlite3_stmt* delete_ = nullptr;
  sqlite3_stmt* purge_ = nullptr;
  std::thread writer_thread_;

  std::mutex mu_;
  std::condition_variable wake_writer_;
  std::vector<WriteOp*> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;        // GUARDED_BY(mu_)

  std::unique_ptr<sqlite_internal::SqliteQueues> queues_;

  // Reader pool.
  std::vector<std::unique_ptr<Reader>> readers_;
  std::mutex readers_mu_;
  std::condition_variable reader_free_;
  std::vector<Reader*> idle_readers_;  // GUARDED_BY(readers_mu_)
};

StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const SqliteStoreOptions& options) {
  if (options.path.empty()) return InvalidArgument("sqlite store path is empty");
  if (options.path == ":memory:" || options.path.rfind("file:", 0) == 0) {
    // Readers open their own connections, so the data must live in a file.
    return InvalidArgument("sqlite store path must name a file");
  }
  if (options.read_connections < 1) return InvalidArgument("sqlite read_connections must be >= 1");
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(options));
  CERTME_RETURN_IF_ERROR(store->Init());
  store->writer_thread_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::Init() {
  const std::string& path = options_.path;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Unavailable("cannot create the store directory",
                         parent.string() + ": " + ec.message());
    }
  }

  CERTME_ASSIGN_OR_RETURN(writer_, Connection::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                                    options_.busy_timeout));
  // SQLITE_OPEN_READWRITE silently falls back to read-only for a file the
  // process may not write; refuse rather than fail every write later.
  if (sqlite3_db_readonly(writer_->db(), "main") == 1) {
    return Unavailable("store file is not writable", path);
  }
  // The first statement that reads the file is where a non-database file is
  // detected (SQLITE_NOTADB), so this is the corrupt-file check for free.
  CERTME_ASSIGN_OR_RETURN(std::string mode, writer_->QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") return Unavailable("store cannot use WAL mode", path + ": journal_mode=" + mode);
  // FULL: the WAL is fsynced on every commit, so a committed batch survives
  // power loss, not only a process crash.
  CERTME_RETURN_IF_ERROR(
      writer_->Exec(options_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  // Deleted rows (ended sessions, consumed codes) are overwritten with zeros
  // instead of lingering in free space of the file (docs/privacy.md).
  // Debian builds SQLite with this on; other builds may not.
  CERTME_RETURN_IF_ERROR(writer_->Exec("PRAGMA secure_delete=ON"));
  if (options_.check_integrity_on_open) {
    CERTME_ASSIGN_OR_RETURN(std::string check, writer_->QueryText("PRAGMA quick_check"));
    if (check != "ok") return Internal("store file is corrupt or not a database", path + ": " + check);
  }
  for (const char* sql : kSchema) CERTME_RETURN_IF_ERROR(writer_->Exec(sql));
  CERTME_RETURN_IF_ERROR(PrepareWriter());
  CERTME_ASSIGN_OR_RETURN(queues_, sqlite_internal::SqliteQueues::Open(
                                       path, options_.busy_timeout, options_.sync_full, *clock_));
  for (int i = 0; i < options_.read_connections; ++i) CERTME_RETURN_IF_ERROR(OpenReader());
  return Status::Ok();
}

Status SqliteStore::PrepareWriter() {
  Connection& c = *writer_;
  CERTME_ASSIGN_OR_RETURN(begin_, c.Prepare("BEGIN IMMEDIATE"));
  CERTME_ASSIGN_OR_RETURN(commit_, c.Prepare("COMMIT"));
  CERTME_ASSIGN_OR_RETURN(put_, c.Prepare(kPutSql));
  CERTME_ASSIGN_OR_RETURN(put_if_absent_, c.Prepare(kPutIfAbsentSql));
  CERTME_ASSIGN_OR_RETURN(consume_, c.Prepare(kConsumeSql));
  CERTME_ASSIGN_OR_RETURN(select_live_, c.Prepare(kGetSql));
  CERTME_ASSIGN_OR_RETURN(update_, c.Prepare(kUpdateSql));
  CERTME_ASSIGN_OR_RETURN(delete_, c.Prepare(kDeleteSql));
  CERTME_ASSIGN_OR_RETURN(purge_, c.Prepare(kPurgeSql));
  return Status::Ok();
}

Status SqliteStore::OpenReader() {
  auto r = std::make_unique<Reader>();
  CERTME_ASSIGN_OR_RETURN(r->conn,
                          Connection::Open(options_.path, SQLITE_OPEN_READONLY, options_.busy_timeout));
  CERTME_ASSIGN_OR_RETURN(r->get, r->conn->Prepare(kGetSql));
  CERTME_ASSIGN_OR_RETURN(r->list, r->conn->Prepare(kListSql));
  CERTME_ASSIGN_OR_RETURN(r->ping, r->conn->Prepare(kPingSql));
  idle_readers_.push_back(r.get());
  readers_.push_back(std::move(r));
  return Status::Ok();
}

void SqliteStore::WriterLoop() {
  pthread_setname_np(pthread_self(), "store-writer");
  const bool purging = options_.purge_interval > Duration::zero();
  auto next_purge = std::chrono::steady_clock::now() + options_.purge_interval;
  std::vector<WriteOp*> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto ready = [&] { return !queue_.empty() || stopping_; };
      if (purging) {
        wake_writer_.wait_until(lock, next_purge, ready);
      } else {
        wake_writer_.wait(lock, ready);
      }
      // Drain before honouring stop: callers already queued get an answer.
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
    }
    if (!batch.empty()) {
      RunBatch(batch);
      batch.clear();
    }
    if (purging && std::chrono::steady_clock::now() >= next_purge) {
      Purge();
      next_purge = std::chrono::steady_clock::now() + options_.purge_interval;
    }
  }
}

void SqliteStore::RunBatch(std::vector<WriteOp*>& batch) {
  Status st = RunTransaction(batch.data(), batch.size());
  if (!st.ok()) {
    if (batch.size() == 1) {
      batch[0]->status = st;
    } else {
      // Nothing of the batch committed. Retry each op alone so that one
      // failing op (or a transient error) does not fail its neighbours.
      for (WriteOp* op : batch) {
        Status one = RunTransaction(&op, 1);
        if (!one.ok()) op->status = one;
      }
    }
  }
  // After Signal() the op may be gone: touch nothing afterwards.
  for (WriteOp* op : batch) op->done.Signal();
}

Status SqliteStore::RunTransaction(WriteOp* const* ops, size_t n) {
  sqlite3* db = writer_->db();
  auto rollback = [&] {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  };
  {
    StmtScope scope(begin_);
    CERTME_RETURN_IF_ERROR(writer_->StepDone(begin_, "begin"));
  }
  for (size_t i = 0; i < n; ++i) {
    Status st = Apply(*ops[i]);
    if (!st.ok()) {
      rollback();
      return st;
    }
  }
  StmtScope scope(commit_);
  Status st = writer_->StepDone(commit_, "commit");
  if (!st.ok()) rollback();
  return st;
}

Status SqliteStore::Apply(WriteOp& op) {
  sqlite3* db = writer_->db();
  const int64_t now = clock_->NowUnixMillis();
  const int64_t expires = StoreExpiryMillis(now, op.ttl);
  op.status = Status::Ok();
  op.out.clear();
  switch (op.kind) {
    case OpKind::kPut: {
      StmtScope scope(put_);
      BindBytes(put_, 1, op.ns);
      BindBytes(put_, 2, op.key);
      BindBytes(put_, 3, op.value);
      BindExpiry(put_, 4, expires);
      return writer_->StepDone(put_, "put");
    }
    case OpKind::kPutIfAbsent: {
      StmtScope scope(put_if_absent_);
      BindBytes(put_if_absent_, 1, op.ns);
      BindBytes(put_if_absent_, 2, op.key);
      BindBytes(put_if_absent_, 3, op.value);
      BindExpiry(put_if_absent_, 4, expires);
      sqlite3_bind_int64(put_if_absent_, 5, now);
      CERTME_RETURN_IF_ERROR(writer_->StepDone(put_if_absent_, "put if absent"));
      // A live row makes the upsert's WHERE false: nothing changes.
      if (sqlite3_changes(db) == 0) op.status = AlreadyExists("key already exists");
      return Status::Ok();
    }
    case OpKind::kConsume: {
      StmtScope scope(consume_);
      BindBytes(consume_, 1, op.ns);
      BindBytes(consume_, 2, op.key);
      sqlite3_bind_int64(consume_, 3, now);
      int rc = sqlite3_step(consume_);
      if (rc == SQLITE_DONE) {
        op.status = NotFound("key not found");
        return Status::Ok();
      }
      if (rc != SQLITE_ROW) return FromSqlite(rc, db, "consume");
      op.out = ColumnBytes(consume_, 0);
      // RETURNING: the statement is finished only once it reports DONE.
      rc = sqlite3_step(consume_);
      if (rc != SQLITE_DONE) return FromSqlite(rc, db, "consume");
      return Status::Ok();
    }
    case OpKind::kCompareAndSwap: {
      {
        StmtScope scope(select_live_);
        BindBytes(select_live_, 1, op.ns);
        BindBytes(select_live_, 2, op.key);
        sqlite3_bind_int64(select_live_, 3, now);
        int rc = sqlite3_step(select_live_);
        if (rc == SQLITE_DONE) {
          op.status = NotFound("key not found");
          return Status::Ok();
        }
        if (rc != SQLITE_ROW) return FromSqlite(rc, db, "compare and swap");
        const void* p = sqlite3_column_blob(select_live_, 0);
        size_t n = static_cast<size_t>(sqlite3_column_bytes(select_live_, 0));
        std::string_view current = p ? std::string_view(static_cast<const char*>(p), n) : "";
        if (current != op.expected) {
          op.status = FailedPrecondition("value changed");
          return Status::Ok();
        }
      }
      StmtScope scope(update_);
      BindBytes(update_, 1, op.ns);
      BindBytes(update_, 2, op.key);
      BindBytes(update_, 3, op.value);
      BindExpiry(update_, 4, expires);
      return writer_->StepDone(update_, "compare and swap");
    }
    case OpKind::kDelete: {
      StmtScope scope(delete_);
      BindBytes(delete_, 1, op.ns);
      BindBytes(delete_, 2, op.key);
      return writer_->StepDone(delete_, "delete");
    }
  }
  return Internal("store error", "unknown write op");
}

void SqliteStore::Purge() {
  // Autocommit statement: its own (small) transaction. A failure is not
  // fatal: expired rows are already invisible, the next purge retries.
  {
    StmtScope scope(purge_);
    sqlite3_bind_int64(purge_, 1, clock_->NowUnixMillis());
    (void)writer_->StepDone(purge_, "purge");
  }
  // secure_delete zeroes deleted content in the database pages, but the WAL
  // still holds the pages as they were until it is checkpointed and reset:
  // TRUNCATE copies it into the database and empties the file. A reader in
  // the middle of a transaction makes it partial (BUSY); the next purge
  // finishes it.
  (void)writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace

StatusOr<std::unique_ptr<Store>> NewSqliteStore(const SqliteStoreOptions& options) {
  return SqliteStore::Open(options);
}

}  // namespace certme
