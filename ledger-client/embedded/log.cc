#include "ledger-client/embedded/log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ledger-client/abi.h"

namespace certme::embedded {
namespace {

// 'cmLG': marks a sqlite file as a certME ledger (PRAGMA application_id).
constexpr int32_t kApplicationId = 0x636d4c47;
// 1: entries only; 2: entries and their sequencer signatures.
constexpr int kFormatVersion = 2;

constexpr char kSigsSchema[] =
    "CREATE TABLE IF NOT EXISTS entry_sigs(seq INTEGER PRIMARY KEY, sig BLOB NOT NULL);";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void BindBlob(int i, std::string_view b) {
    sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(s_); }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(s_, col);
    int n = sqlite3_column_bytes(s_, col);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

Status SqlError(sqlite3* db, const std::string& what) {
  return Unavailable("ledger storage error", what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Unavailable("ledger storage error", std::string(sql).substr(0, 40) + ": " + msg);
  }
  return Status::Ok();
}

StatusOr<int64_t> QueryInt(sqlite3* db, const char* sql) {
  Stmt st(db, sql);
  if (!st.ok() || st.Step() != SQLITE_ROW) return SqlError(db, sql);
  return st.Int(0);
}

}  // namespace

Bytes32 EntryHash(const Bytes32& prev, uint64_t seq, int64_t time, std::string_view tx) {
  std::string buf(abi::AsView(prev));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(seq >> (8 * i)));
  for (int i = 7; i >= 0; --i) buf.push_back(static_cast<char>(static_cast<uint64_t>(time) >> (8 * i)));
  buf.append(tx);
  return Keccak256(buf);
}

Bytes32 EntrySigningDigest(std::string_view entry_hash) {
  std::string buf = "certME ledger entry v2";
  buf.append(entry_hash);
  return Keccak256(buf);
}

Status Damaged(uint64_t seq, const std::string& why) {
  return Internal("LedgerDamaged: entry " + std::to_string(seq) + ": " + why +
                  "; the ledger file was altered and cannot be trusted");
}

EntryLog::~EntryLog() {
  if (db_) sqlite3_close_v2(db_);
}

Status EntryLog::Open(const std::string& path, bool create, bool upgrade, Duration busy_timeout, bool sync_full) {
  if (!create && !std::filesystem::exists(path))
    return NotFound("no ledger at " + path + " (create one with `certme ledger init`)");
  if (create) {
    // sqlite would create the file with the umask's mode (often 0644); its
    // -wal and -shm files take the mode of the database file.
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      close(fd);
    } else if (errno != EEXIST) {
      return Unavailable("ledger storage error", "create " + path + ": " + std::strerror(errno));
    }
  }
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) return SqlError(db_, "open " + path);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
  auto app_id_or = QueryInt(db_, "PRAGMA application_id");
  auto tables_or = QueryInt(db_, "SELECT count(*) FROM sqlite_master");
  if (!app_id_or.ok() || !tables_or.ok()) {
    const Status& st = app_id_or.ok() ? tables_or.status() : app_id_or.status();
    return FailedPrecondition(path + " is not a certME ledger file", st.detail());
  }
  const int64_t app_id = *app_id_or, tables = *tables_or;
  if (app_id != kApplicationId) {
    if (!create || tables != 0) return FailedPrecondition(path + " is not a certME ledger file");
    // A fresh file: lay out the schema once. Triggers make the table
    // append-only for every writer that does not drop them on purpose.
    CERTME_RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL"));
    CERTME_RETURN_IF_ERROR(Exec(db_,
                                "BEGIN IMMEDIATE;"
                                "CREATE TABLE IF NOT EXISTS ledger_entries("
                                "  seq INTEGER PRIMARY KEY, prev_hash BLOB NOT NULL, time INTEGER NOT NULL,"
                                "  tx BLOB NOT NULL, hash BLOB NOT NULL);"
                                "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries"
                                "  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
                                "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries"
                                "  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;"
                                "CREATE TABLE IF NOT EXISTS entry_sigs(seq INTEGER PRIMARY KEY, sig BLOB NOT NULL);"
                                "PRAGMA application_id=1668107335;"
                                "PRAGMA user_version=2;"
                                "COMMIT;"));
  } else {
    CERTME_ASSIGN_OR_RETURN(int64_t version, QueryInt(db_, "PRAGMA user_version"));
    if (version == 1 && upgrade) {
      CERTME_RETURN_IF_ERROR(Exec(db_, (std::string("BEGIN IMMEDIATE;") + kSigsSchema +
                                        "PRAGMA user_version=2; COMMIT;").c_str()));
    } else if (version == 1) {
      return FailedPrecondition("LedgerUnanchored: " + path +
                                " is a ledger from before signed anchors (format 1); after checking it, accept it "
                                "once with `certme ledger reanchor`");
    } else if (version != kFormatVersion) {
      return FailedPrecondition("ledger file format " + std::to_string(version) + " is not supported");
    }
  }
  CERTME_RETURN_IF_ERROR(Exec(db_, "PRAGMA journal_mode=WAL"));
  CERTME_RETURN_IF_ERROR(Exec(db_, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  return Status::Ok();
}

Status EntryLog::Begin() { return Exec(db_, "BEGIN IMMEDIATE"); }

void EntryLog::Rollback() { (void)Exec(db_, "ROLLBACK"); }

Status EntryLog::AppendAndCommit(const LogEntry& e) {
  {
    Stmt ins(db_, "INSERT INTO ledger_entries(seq, prev_hash, time, tx, hash) VALUES(?,?,?,?,?)");
    if (!ins.ok()) {
      Rollback();
      return SqlError(db_, "prepare insert");
    }
    ins.BindInt(1, static_cast<int64_t>(e.seq));
    ins.BindBlob(2, e.prev_hash);
    ins.BindInt(3, e.time);
    ins.BindBlob(4, e.tx);
    ins.BindBlob(5, e.hash);
    if (ins.Step() != SQLITE_DONE) {
      Status st = SqlError(db_, "append entry");
      Rollback();
      return st;
    }
    Stmt sig(db_, "INSERT OR REPLACE INTO entry_sigs(seq, sig) VALUES(?,?)");
    if (!sig.ok()) {
      Rollback();
      return SqlError(db_, "prepare insert");
    }
    sig.BindInt(1, static_cast<int64_t>(e.seq));
    sig.BindBlob(2, e.sig);
    if (sig.Step() != SQLITE_DONE) {
      Status st = SqlError(db_, "append entry signature");
      Rollback();
      return st;
    }
  }
  if (Status st = Exec(db_, "COMMIT"); !st.ok()) {
    Rollback();
    return st;
  }
  return Status::Ok();
}

Status EntryLog::ForEachAfter(uint64_t seq, const std::function<Status(const LogEntry&)>& fn) {
  Stmt q(db_,
         "SELECT e.seq, e.prev_hash, e.time, e.tx, e.hash, s.sig FROM ledger_entries e"
         " LEFT JOIN entry_sigs s ON s.seq = e.seq WHERE e.seq > ? ORDER BY e.seq");
  if (!q.ok()) return SqlError(db_, "read entries");
  q.BindInt(1, static_cast<int64_t>(seq));
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    LogEntry e;
    e.seq = static_cast<uint64_t>(q.Int(0));
    e.prev_hash = q.Blob(1);
    e.time = q.Int(2);
    e.tx = q.Blob(3);
    e.hash = q.Blob(4);
    e.sig = q.Blob(5);
    CERTME_RETURN_IF_ERROR(fn(e));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "read entries");
  return Status::Ok();
}

StatusOr<std::string> EntryLog::HashAt(uint64_t seq) {
  if (seq == 0) return std::string(32, '\0');
  Stmt q(db_, "SELECT hash FROM ledger_entries WHERE seq = ?");
  if (!q.ok()) return SqlError(db_, "read entry");
  q.BindInt(1, static_cast<int64_t>(seq));
  if (q.Step() != SQLITE_ROW) return SqlError(db_, "read entry");
  return q.Blob(0);
}

StatusOr<int64_t> EntryLog::DataVersion() { return QueryInt(db_, "PRAGMA data_version"); }

}  // namespace certme::embedded
