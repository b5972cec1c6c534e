#include "idp/login/validation_index.h"

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "ledger-client/abi.h"

namespace certme {
namespace {

using json = nlohmann::json;

constexpr char kFormat[] = "vi2";

std::string EntryKey(const std::string& eid, const std::string& provider) {
  return Sha256Hex(std::string(kFormat) + '\0' + eid + provider);
}

std::string Hex(const Bytes32& b) { return HexEncode(abi::AsView(b)); }

std::optional<Bytes32> ParseHex(const json& x) {
  if (!x.is_string()) return std::nullopt;
  auto raw = HexDecode(x.get<std::string>());
  if (!raw || raw->size() != 32) return std::nullopt;
  return abi::ToBytes32(*raw);
}

// What the re-login check needs of a history: for each attribute key, the
// commitment and level of the latest answer (wallet::AlreadyValidated reads
// nothing else). Its size is bounded by the catalogue, not the history.
struct Entry {
  uint64_t block = 0;  // every answer in blocks <= block is folded in
  std::map<Bytes32, std::pair<Bytes32, uint8_t>> latest;

  void Fold(const wallet::PastValidation& v) {
    for (size_t i = 0; i < v.attr_keys.size() && i < v.commitments.size(); ++i)
      latest[v.attr_keys[i]] = {v.commitments[i], v.loa};
  }
  std::vector<wallet::PastValidation> Answers() const {
    std::vector<wallet::PastValidation> out;
    for (const auto& [key, c] : latest) out.push_back({{key}, {c.first}, c.second});
    return out;
  }
};

// nullopt for a damaged entry (rebuilt from the ledger).
std::optional<Entry> ParseEntry(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("f", "") != kFormat) return std::nullopt;
  auto b = j.find("b");
  auto a = j.find("a");
  if (b == j.end() || !b->is_number_unsigned() || a == j.end() || !a->is_array()) return std::nullopt;
  Entry e;
  e.block = b->get<uint64_t>();
  for (const auto& x : *a) {
    if (!x.is_array() || x.size() != 3 || !x[2].is_number_unsigned() || x[2].get<unsigned>() > 255) return std::nullopt;
    auto key = ParseHex(x[0]);
    auto commitment = ParseHex(x[1]);
    if (!key || !commitment) return std::nullopt;
    e.latest[*key] = {*commitment, static_cast<uint8_t>(x[2].get<unsigned>())};
  }
  return e;
}

std::string SerializeEntry(const Entry& e) {
  json a = json::array();
  for (const auto& [key, c] : e.latest) a.push_back({Hex(key), Hex(c.first), c.second});
  return json{{"f", kFormat}, {"b", e.block}, {"a", std::move(a)}}.dump();
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
  std::vector<wallet::PastValidation> fresh;
  uint64_t last = entry.block;
  CERTME_RETURN_IF_ERROR(ReadAnswers(ledger_, eid, provider, entry.block, fresh, last));
  if (!fresh.empty()) {
    for (const auto& v : fresh) entry.Fold(v);  // oldest first: the latest wins
    entry.block = last;
    Status st = store_.Put(kValidationIndexNamespace, key, SerializeEntry(entry), kNoExpiry);
    if (!st.ok()) LogWarn("validation index not updated", {{"detail", st.ToString()}});
  }
  return entry.Answers();
}

}  // namespace certme
