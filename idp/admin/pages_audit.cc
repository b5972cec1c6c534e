// The audit log's page and its download.
#include <map>

#include "common/encoding.h"
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

// The name a service entry's record carries (after, else before), in
// `lang` where it has one: the audit log names services, not only ids.
std::string TargetName(const AuditEntry& e, const std::string& lang) {
  for (const nlohmann::json* j : {&e.after, &e.before}) {
    if (!j->is_object()) continue;
    auto names = j->find("names");
    if (names == j->end() || !names->is_object()) continue;
    for (const std::string l : {lang, std::string("en"), std::string("ro"), std::string("ru")})
      if (auto n = names->find(l); n != names->end() && n->is_string() && !n->get_ref<const std::string&>().empty())
        return TruncateUtf8(n->get<std::string>(), 200);
  }
  return "";
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
  const std::string& lang = req.lang;
  auto entries = audit_.List(kAuditPageEntries, true);
  if (!entries.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(lang, "admin_err_store"));
  nlohmann::json d = Chrome(lang, req.session, Tr(lang, "admin_nav_audit"), "audit");
  // Services that still exist link to their page; the name comes from the
  // entry itself, so a deleted service keeps its name here.
  std::map<std::string, std::string> live;  // id → name
  if (auto list = services_.List(); list.ok())
    for (const auto& r : *list) live[r.id] = r.DisplayName();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : *entries) {
    const bool service = e.action.rfind("service.", 0) == 0 || e.action.rfind("promotion.", 0) == 0;
    auto now = live.find(e.target);
    std::string name = service ? TargetName(e, lang) : "";
    if (service && name.empty() && now != live.end()) name = now->second;
    rows.push_back({{"seq", e.seq}, {"time", e.time}, {"actor", e.actor}, {"action", e.action},
                    {"target", e.target}, {"target_name", name},
                    {"target_href", service && now != live.end() ? "/admin/services/" + PercentEncode(e.target) : ""},
                    {"environment", e.environment}, {"before", Cell(e.before)}, {"after", Cell(e.after)}});
  }
  d["entries"] = rows;
  d["lead"] = Tr(lang, "admin_audit_lead", {{"limit", std::to_string(kAuditPageEntries)}});
  d["verified"] = audit_.Verify().ok();
  return Render(req.http, 200, "audit", d);
}

HttpResponse AdminConsole::PageAuditExport(const PageRequest& req) {
  auto entries = audit_.List();
  if (!entries.ok()) return Message(req.http, 503, "admin_err_unavailable_title", Tr(req.lang, "admin_err_store"));
  return AuditDownload(*entries, req.http.Query("format").value_or("") == "csv");
}

}  // namespace certme::admin
