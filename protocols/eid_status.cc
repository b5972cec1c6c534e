#include "protocols/eid_status.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "store/store.h"

namespace certme {
namespace {

// {"<id>": [kind, expires_at], …}
EidIndex ParseIndex(std::string_view raw, int64_t now) {
  EidIndex out;
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_object()) return out;  // unreadable: start afresh (entries are still status-checked)
  for (const auto& [id, v] : j.items()) {
    if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer()) continue;
    int64_t exp = v[1].get<int64_t>();
    if (exp > now) out.entries[id] = {v[0].get<std::string>(), exp};
  }
  return out;
}

std::string Serialize(const EidIndex& index, int64_t* longest) {
  nlohmann::json j = nlohmann::json::object();
  *longest = 0;
  for (const auto& [id, e] : index.entries) {
    j[id] = nlohmann::json::array({e.kind, e.expires_at});
    *longest = std::max(*longest, e.expires_at);
  }
  return j.dump();
}

}  // namespace

std::string EidIndexKey(std::string_view eid) { return AsciiLower(eid); }

Status AddToEidIndex(Store& store, std::string_view ns, std::string_view eid, std::string_view kind,
                     std::string_view id, int64_t expires_at, int64_t now) {
  if (eid.empty()) return Status::Ok();
  if (expires_at <= now) return Status::Ok();
  const std::string key = EidIndexKey(eid);
  // Compare-and-swap loop: several logins of one eID may add at once.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto raw = store.Get(ns, key);
    if (!raw.ok() && raw.status().code() != StatusCode::kNotFound) return raw.status();
    EidIndex index = raw.ok() ? ParseIndex(*raw, now) : EidIndex{};
    auto& e = index.entries[std::string(id)];
    e.kind = std::string(kind);
    e.expires_at = std::max(e.expires_at, expires_at);
    while (index.entries.size() > kMaxEidIndexEntries) {
      auto soonest = std::min_element(index.entries.begin(), index.entries.end(), [](const auto& a, const auto& b) {
        return a.second.expires_at < b.second.expires_at;
      });
      index.entries.erase(soonest);
    }
    int64_t longest = 0;
    std::string value = Serialize(index, &longest);
    auto ttl = std::chrono::seconds(std::max<int64_t>(longest - now, 1));
    Status st = raw.ok() ? store.CompareAndSwap(ns, key, *raw, value, ttl) : store.PutIfAbsent(ns, key, value, ttl);
    if (st.ok()) return st;
    if (st.code() != StatusCode::kFailedPrecondition && st.code() != StatusCode::kAlreadyExists &&
        st.code() != StatusCode::kNotFound)
      return st;
  }
  return Unavailable("eID index kept conflicting");
}

StatusOr<EidIndex> TakeEidIndex(Store& store, std::string_view ns, std::string_view eid, int64_t now) {
  if (eid.empty()) return EidIndex{};
  auto raw = store.Consume(ns, EidIndexKey(eid));
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound) return EidIndex{};
    return raw.status();
  }
  return ParseIndex(*raw, now);
}

}  // namespace certme
