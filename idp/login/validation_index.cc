#include "idp/login/validation_index.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "ledger-client/abi.h"

namespace certme {
namespace {

using json = nlohmann::json;

constexpr char kFormat[] = "vi1";

std::string EntryKey(const std::string& eid, const std::string& provider) {
  return Sha256Hex(std::string(kFormat) + '\0' + eid + provider);
}

json HexList(const std::vector<Bytes32>& v) {
  json out = json::array();
  for (const auto& b : v) out.push_back(HexEncode(abi::AsView(b)));
  return out;
}

bool ParseHexList(const json& j, std::vector<Bytes32>& out) {
  if (!j.is_array()) return false;
  for (const auto& x : j) {
    if (!x.is_string()) return false;
    auto raw = HexDecode(x.get<std::string>());
    if (!raw || raw->size() != 32) return false;
    out.push_back(abi::ToBytes32(*raw));
  }
  return true;
}

struct Entry {
  uint64_t block = 0;  // every answer in blocks <= block is in `answers`
  std::vector<wallet::PastValidation> answers;
};

// nullopt for a damaged entry (rebuilt from the ledger).
std::optional<Entry> ParseEntry(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("f", "") != kFormat) return std::nullopt;
  auto b = j.find("b");
  auto v = j.find("v");
  if (b == j.end() || !b->is_number_unsigned() || v == j.end() || !v->is_array()) return std::nullopt;
  Entry e;
  e.block = b->get<uint64_t>();
  for (const auto& a : *v) {
    wallet::PastValidation p;
    if (!a.is_object() || !a.contains("k") || !a.contains("c") || !a.contains("l") || !a["l"].is_number_unsigned() ||
        !ParseHexList(a["k"], p.attr_keys) || !ParseHexList(a["c"], p.commitments))
      return std::nullopt;
    p.loa = static_cast<uint8_t>(a["l"].get<unsigned>());
    e.answers.push_back(std::move(p));
  }
  return e;
}

std::string SerializeEntry(const Entry& e) {
  json v = json::array();
  for (const auto& a : e.answers) v.push_back({{"k", HexList(a.attr_keys)}, {"c", HexList(a.commitments)}, {"l", a.loa}});
  return json{{"f", kFormat}, {"b", e.block}, {"v", std::move(v)}}.dump();
}

// The answers in blocks > after_block, oldest first; `last_block` is the
// highest block among them (unchanged when there is none).
Status ReadAnswers(Ledger& ledger, const std::string& eid, const std::string& provider, uint64_t after_block,
                   std::vector<wallet::PastValidation>& out, uint64_t& last_block) {
  EventFilter f;
  f.kind = EventKind::kValidationAnswered;
  f.provider = provider;
  f.user = eid;
  f.after_block = after_block;
  CERTME_ASSIGN_OR_RETURN(auto answered, ledger.Events(f));
  for (const auto& e : answered) {
    // The event carries the commitments; the attribute keys are the request's.
    auto request = ledger.GetRequest(e.request_id);
    if (!request.ok()) return request.status();
    out.push_back({request->attr_keys, e.commitments, e.loa});
    last_block = std::max(last_block, e.block);
  }
  return Status();
}

}  // namespace

StatusOr<std::vector<wallet::PastValidation>> ValidationIndex::ScanLedger(Ledger& ledger, const std::string& eid,
                                                                         const std::string& provider) {
  std::vector<wallet::PastValidation> out;
  uint64_t last = 0;
  CERTME_RETURN_IF_ERROR(ReadAnswers(ledger, eid, provider, 0, out, last));
  return out;
}

StatusOr<std::vector<wallet::PastValidation>> ValidationIndex::Answers(const std::string& eid,
                                                                      const std::string& provider) {
  const std::string key = EntryKey(eid, provider);
  Entry entry;
  if (auto stored = store_.Get(kValidationIndexNamespace, key); stored.ok()) {
    if (auto parsed = ParseEntry(*stored)) {
      entry = std::move(*parsed);
    } else {
      LogWarn("validation index entry damaged; rebuilding it from the ledger");
    }
  } else if (stored.status().code() != StatusCode::kNotFound) {
    // The store is down: the ledger alone still answers (slower).
    LogWarn("validation index unavailable; reading the ledger", {{"detail", stored.status().ToString()}});
    return ScanLedger(ledger_, eid, provider);
  }
  const uint64_t before = entry.block;
  const size_t known = entry.answers.size();
  CERTME_RETURN_IF_ERROR(ReadAnswers(ledger_, eid, provider, entry.block, entry.answers, entry.block));
  if (entry.answers.size() != known || entry.block != before) {
    Status st = store_.Put(kValidationIndexNamespace, key, SerializeEntry(entry), kNoExpiry);
    if (!st.ok()) LogWarn("validation index not updated", {{"detail", st.ToString()}});
  }
  return std::move(entry.answers);
}

}  // namespace certme
