#include "idp/admin/audit_log.h"

#include <algorithm>
#include <cstdio>

#include "crypto/hash.h"
#include "idp/admin/util.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kAuditNs = "admin_audit";
constexpr std::string_view kAuditHeadNs = "admin_audit_head";
constexpr std::string_view kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::string SeqKey(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(seq));
  return buf;
}

// The hashed form: every member but `hash`, keys sorted (nlohmann::json
// objects are ordered maps), compact.
std::string Canonical(const AuditEntry& e) {
  nlohmann::json j = AuditEntryToJson(e);
  j.erase("hash");
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

StatusOr<AuditEntry> FromJson(const std::string& raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Internal("audit entry is not JSON");
  AuditEntry e;
  try {
    e.seq = j.at("seq").get<uint64_t>();
    e.time = j.at("time").get<std::string>();
    e.actor = j.at("actor").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.target = j.at("target").get<std::string>();
    e.environment = j.at("environment").get<std::string>();
    e.before = j.at("before");
    e.after = j.at("after");
    e.prev_hash = j.at("prev_hash").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
  } catch (const nlohmann::json::exception& ex) {
    return Internal("audit entry is malformed", ex.what());
  }
  return e;
}

std::string CsvCell(std::string s) {
  if (!s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos) s = "'" + s;
  bool quote = s.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonText(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

nlohmann::json AuditEntryToJson(const AuditEntry& e) {
  return {{"seq", e.seq},       {"time", e.time},       {"actor", e.actor},
          {"action", e.action}, {"target", e.target},   {"environment", e.environment},
          {"before", e.before}, {"after", e.after},     {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

StatusOr<std::vector<AuditEntry>> AuditLog::ReadAll() {
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kAuditNs));
  std::vector<AuditEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    CERTME_ASSIGN_OR_RETURN(AuditEntry e, FromJson(r.value));
    out.push_back(std::move(e));
  }
  return out;
}

// The head record {"seq", "hash"} names the last entry, so an append reads
// one key instead of listing the log (List scans the whole keyspace on
// Redis). It is only a hint: entries are the truth. A writer that finds the
// next number taken (another replica, or a writer that died between its
// entry and the head) moves the head onto that entry and tries again.
StatusOr<std::pair<uint64_t, std::string>> AuditLog::Head(std::string* raw) {
  auto got = store_.Get(kAuditHeadNs, "head");
  if (got.ok()) {
    auto j = nlohmann::json::parse(*got, nullptr, false);
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned() && j.contains("hash") &&
        j["hash"].is_string()) {
      *raw = *got;
      return std::make_pair(j["seq"].get<uint64_t>(), j["hash"].get<std::string>());
    }
    return Internal("audit log head is malformed");
  }
  if (got.status().code() != StatusCode::kNotFound) return got.status();
  raw->clear();
  // No head yet (a new log, or one written before heads existed): the last
  // entry, found once by listing.
  CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kAuditNs));
  if (rows.empty()) return std::make_pair(uint64_t{0}, std::string(kGenesis));
  CERTME_ASSIGN_OR_RETURN(AuditEntry last, FromJson(rows.back().value));
  return std::make_pair(last.seq, last.hash);
}

Status AuditLog::MoveHead(const std::string& old_raw, uint64_t seq, const std::string& hash) {
  std::string next = nlohmann::json{{"seq", seq}, {"hash", hash}}.dump();
  Status st = old_raw.empty() ? store_.PutIfAbsent(kAuditHeadNs, "head", next, kNoExpiry)
                              : store_.CompareAndSwap(kAuditHeadNs, "head", old_raw, next, kNoExpiry);
  // Lost a race: someone else moved it, and the next append re-reads it.
  if (st.code() == StatusCode::kAlreadyExists || st.code() == StatusCode::kFailedPrecondition ||
      st.code() == StatusCode::kNotFound)
    return Status::Ok();
  return st;
}

StatusOr<AuditEntry> AuditLog::Append(std::string actor, std::string action, std::string target,
                                      std::string environment, nlohmann::json before, nlohmann::json after) {
  std::lock_guard<std::mutex> lock(mu_);
  AuditEntry e;
  e.time = Rfc3339(clock_.NowUnixMillis());
  e.actor = std::move(actor);
  e.action = std::move(action);
  e.target = std::move(target);
  e.environment = std::move(environment);
  e.before = std::move(before);
  e.after = std::move(after);
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::string head_raw;
    CERTME_ASSIGN_OR_RETURN(auto head, Head(&head_raw));
    e.seq = head.first + 1;
    e.prev_hash = head.second;
    e.hash = Sha256Hex(Canonical(e));
    std::string value = JsonText(AuditEntryToJson(e));
    Status st = store_.PutIfAbsent(kAuditNs, SeqKey(e.seq), value, kNoExpiry);
    if (st.ok()) {
      CERTME_RETURN_IF_ERROR(MoveHead(head_raw, e.seq, e.hash));
      return e;
    }
    if (st.code() != StatusCode::kAlreadyExists) return st;
    // The number is taken: move the head onto the entry that holds it.
    CERTME_ASSIGN_OR_RETURN(std::string taken, store_.Get(kAuditNs, SeqKey(e.seq)));
    CERTME_ASSIGN_OR_RETURN(AuditEntry other, FromJson(taken));
    CERTME_RETURN_IF_ERROR(MoveHead(head_raw, other.seq, other.hash));
  }
  return Unavailable("the audit log is busy; try again");
}

StatusOr<std::vector<AuditEntry>> AuditLog::List(size_t limit, bool newest_first) {
  CERTME_ASSIGN_OR_RETURN(auto all, ReadAll());
  if (newest_first) std::reverse(all.begin(), all.end());
  if (limit > 0 && all.size() > limit) {
    if (newest_first) {
      all.resize(limit);
    } else {
      all.erase(all.begin(), all.end() - static_cast<long>(limit));
    }
  }
  return all;
}

Status AuditLog::Verify() {
  CERTME_ASSIGN_OR_RETURN(auto all, ReadAll());
  std::string prev(kGenesis);
  uint64_t want = 1;
  for (const auto& e : all) {
    if (e.seq != want) return Internal("audit log: entry " + std::to_string(want) + " is missing");
    if (e.prev_hash != prev) return Internal("audit log: entry " + std::to_string(e.seq) + " does not chain");
    if (Sha256Hex(Canonical(e)) != e.hash)
      return Internal("audit log: entry " + std::to_string(e.seq) + " was altered");
    prev = e.hash;
    ++want;
  }
  // The head names the last entry written: a missing tail shows too.
  if (auto head = store_.Get(kAuditHeadNs, "head"); head.ok()) {
    auto j = nlohmann::json::parse(*head, nullptr, false);
    if (j.is_object() && j.value("seq", uint64_t{0}) >= want)
      return Internal("audit log: entry " + std::to_string(want) + " is missing");
  }
  return Status::Ok();
}

std::string AuditLog::ToJsonLines(const std::vector<AuditEntry>& entries) {
  std::string out;
  for (const auto& e : entries) out += JsonText(AuditEntryToJson(e)) + "\n";
  return out;
}

std::string AuditLog::ToCsv(const std::vector<AuditEntry>& entries) {
  std::string out = "seq,time,actor,action,target,environment,before,after,prev_hash,hash\r\n";
  for (const auto& e : entries) {
    out += std::to_string(e.seq) + "," + CsvCell(e.time) + "," + CsvCell(e.actor) + "," + CsvCell(e.action) + "," +
           CsvCell(e.target) + "," + CsvCell(e.environment) + "," + CsvCell(JsonText(e.before)) + "," +
           CsvCell(JsonText(e.after)) + "," + e.prev_hash + "," + e.hash + "\r\n";
  }
  return out;
}

}  // namespace certme::admin
