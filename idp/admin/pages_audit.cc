// The audit log's page and its download.
#include "idp/admin/console.h"
#include "idp/admin/page_util.h"
#include "idp/admin/util.h"

namespace certme::admin {
namespace {

using namespace page;

constexpr size_t kAuditPageEntries = 200;
constexpr size_t kAuditCellBytes = 4000;

std::string Cell(const nlohmann::json& j) {
  return j.is_null() ? std::string("—")
                     : TruncateUtf8(j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace), kAuditCellBytes);
}

}  // namespace

HttpResponse AuditDownload(const std::vector<AuditEntry>& entries, bool csv) {
  if (csv) {
    HttpResponse r = HttpResponse::Text(200, AuditLog::ToCsv(entries), "text/csv; charset=utf-8");
    r.headers.Set("Content-Disposition", "attachment; filename=\"certme-audit.csv\"");
    return r;
  }
  HttpResponse r = HttpResponse::Text(200, AuditLog::ToJsonLines(entries), "application/x-ndjson");
  r.headers.Set("Content-Disposition", "attachment; filename=\"certme-audit.jsonl\"");
  return r;
}

HttpResponse AdminConsole::PageAudit(const PageRequest& req) {
  auto entries = audit_.List(kAuditPageEntries, true);
  if (!entries.ok()) return Message(503, "Unavailable", "The store is unavailable.");
  nlohmann::json d = Chrome(req.session, "Audit log", "audit");
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : *entries) {
    rows.push_back({{"seq", e.seq}, {"time", e.time}, {"actor", e.actor}, {"action", e.action},
                    {"target", e.target}, {"environment", e.environment}, {"before", Cell(e.before)},
                    {"after", Cell(e.after)}});
  }
  d["entries"] = rows;
  d["limit"] = kAuditPageEntries;
  d["verified"] = audit_.Verify().ok();
  return Render(200, "audit", d);
}

HttpResponse AdminConsole::PageAuditExport(const PageRequest& req) {
  auto entries = audit_.List();
  if (!entries.ok()) return Message(503, "Unavailable", "The store is unavailable.");
  return AuditDownload(*entries, req.http.Query("format").value_or("") == "csv");
}

}  // namespace certme::admin
