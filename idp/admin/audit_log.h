// The console's audit log: every change an administrator makes (who, when,
// what, the record before and after), append-only and hash-chained.
//
// Entries live in the Store (namespace "admin_audit", key = zero-padded
// sequence number, no expiry) and are only ever created with PutIfAbsent, so
// no code path can overwrite one, and two writers (replicas, or the CLI
// beside a running server) never share a number: the loser of a race takes
// the next one. A head record ("admin_audit_head") names the last entry so
// that appending reads one key, not the whole log. Each entry carries the SHA-256 of its predecessor, so
// Verify() notices an entry edited or removed behind the bridge's back.
//
// Secrets never reach the log: callers pass records whose secrets are already
// hashed or redacted (see ServiceAdmin).
//
// Safe for concurrent use.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace certme {
class Store;
}

namespace certme::admin {

struct AuditEntry {
  uint64_t seq = 0;
  std::string time;         // RFC 3339, UTC
  std::string actor;        // administrator user name, or "cli:<user>"
  std::string action;       // "service.create", "service.promote", "user.login_failed"…
  std::string target;       // service id or user name
  std::string environment;  // "test" | "production" | ""
  nlohmann::json before;    // null when the thing did not exist
  nlohmann::json after;     // null when it no longer exists
  std::string prev_hash;    // hex SHA-256 of the previous entry's canonical JSON
  std::string hash;         // hex SHA-256 of this entry's canonical JSON (without `hash`)
};

nlohmann::json AuditEntryToJson(const AuditEntry& e);

class AuditLog {
 public:
  AuditLog(Store& store, Clock& clock) : store_(store), clock_(clock) {}

  // Appends one entry; returns it with its sequence number and hashes.
  StatusOr<AuditEntry> Append(std::string actor, std::string action, std::string target,
                              std::string environment, nlohmann::json before, nlohmann::json after);

  // Entries in sequence order, oldest first; `limit` 0 = all. `newest_first`
  // returns the last `limit` entries, newest first (the page's view).
  StatusOr<std::vector<AuditEntry>> List(size_t limit = 0, bool newest_first = false);

  // OK when every entry's hash and chain link hold; Internal naming the first
  // broken sequence number otherwise.
  Status Verify();

  // Export formats: one JSON object per line, or RFC 4180 CSV with the
  // header seq,time,actor,action,target,environment,before,after,prev_hash,hash
  // (before/after as JSON text). CSV cells that a spreadsheet would run as a
  // formula (=, +, -, @ first) get a leading apostrophe (OWASP CSV injection).
  static std::string ToJsonLines(const std::vector<AuditEntry>& entries);
  static std::string ToCsv(const std::vector<AuditEntry>& entries);

 private:
  StatusOr<std::vector<AuditEntry>> ReadAll();
  // The last entry's {seq, hash} and the head record's bytes ("" when absent).
  StatusOr<std::pair<uint64_t, std::string>> Head(std::string* raw);
  Status MoveHead(const std::string& old_raw, uint64_t seq, const std::string& hash);

  Store& store_;
  Clock& clock_;
  std::mutex mu_;  // serialises this process's appends (others are handled by PutIfAbsent)
};

}  // namespace certme::admin
