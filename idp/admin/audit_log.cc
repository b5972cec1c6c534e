#include "idp/admin/audit_log.h"

#include <algorithm>
#include <cstdio>

#include "idp/admin/util.h"
#include "idp/store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kAuditNs = "admin_audit";
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
  // Another writer may append between our read and our insert: PutIfAbsent
  // then fails and we chain onto its entry instead.
  for (int attempt = 0; attempt < 20; ++attempt) {
    CERTME_ASSIGN_OR_RETURN(auto rows, store_.List(kAuditNs));
    if (rows.empty()) {
      e.seq = 1;
      e.prev_hash = std::string(kGenesis);
    } else {
      CERTME_ASSIGN_OR_RETURN(AuditEntry last, FromJson(rows.back().value));
      e.seq = last.seq + 1;
      e.prev_hash = last.hash;
    }
    e.hash = Sha256Hex(Canonical(e));
    std::string value = JsonText(AuditEntryToJson(e));
    Status st = store_.PutIfAbsent(kAuditNs, SeqKey(e.seq), value, kNoExpiry);
    if (st.ok()) return e;
    if (st.code() != StatusCode::kAlreadyExists) return st;
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
