#include "tools/wallet_history.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <set>

#include "common/encoding.h"
#include "common/files.h"
#include "ledger-client/abi.h"
#include "ledger-client/access_record.h"
#include "ledger-client/signature_history.h"
#include "tools/command_helpers.h"

namespace certme {
namespace {

using tools::Addr;
using tools::TimeText;

using nlohmann::json;

constexpr size_t kMaxDirectoryBytes = 4 << 20;

std::string KeyNames(const std::vector<Bytes32>& keys, const std::map<Bytes32, std::string>& names) {
  std::string out;
  for (const auto& k : keys) {
    auto it = names.find(k);
    out += (out.empty() ? "" : ", ") +
           (it == names.end() ? "0x" + HexEncode(abi::AsView(k)).substr(0, 8) + "…" : it->second);
  }
  return out.empty() ? "-" : out;
}

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxDirectoryBytes) return 0;
  out->append(data, size * n);
  return size * n;
}

StatusOr<std::string> HttpGet(const std::string& url, const std::string& ca_file) {
  static const bool kInit = (curl_global_init(CURL_GLOBAL_DEFAULT), true);
  (void)kInit;
  CURL* c = curl_easy_init();
  if (!c) return Internal("curl_easy_init failed");
  std::string body;
  long status = 0;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return Unavailable(std::string("cannot read the provider directory: ") + curl_easy_strerror(rc));
  if (status != 200) return Unavailable("the provider directory answered HTTP " + std::to_string(status));
  return body;
}

const char* UnknownService(const std::string& lang) {
  if (lang == "ro") return "serviciu necunoscut";
  if (lang == "ru") return "неизвестный сервис";
  return "unknown service";
}

}  // namespace

StatusOr<ProviderDirectoryMap> ParseProviderDirectory(std::string_view text) {
  if (text.size() > kMaxDirectoryBytes) return InvalidArgument("provider directory too large");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("providers") || !j["providers"].is_array())
    return InvalidArgument("not a provider directory (no \"providers\" list)");
  if (j["providers"].size() > kMaxDirectoryEntries) return InvalidArgument("provider directory has too many entries");
  ProviderDirectoryMap out;
  for (const auto& p : j["providers"]) {
    if (!p.is_object()) continue;
    auto str = [&](const char* k) { return p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : ""; };
    auto address = ParseAddress(str("address"));
    std::string pub_hex = str("public_key");
    if (pub_hex.rfind("0x", 0) == 0) pub_hex = pub_hex.substr(2);
    auto pub = HexDecode(pub_hex);
    if (!address.ok() || !pub || pub->size() != 65) continue;
    auto derived = AddressFromPublicKey(*pub);
    if (!derived.ok() || *derived != *address) continue;  // a key that is not the address's
    DirectoryEntry& e = out[*address];
    e.address = *address;
    e.public_key = *pub;
    e.protocol = str("protocol");
    if (p.contains("names") && p["names"].is_object()) {
      for (const char* lang : {"ro", "ru", "en"}) {
        if (!p["names"].contains(lang) || !p["names"][lang].is_string()) continue;
        std::string name = p["names"][lang].get<std::string>().substr(0, 200);
        std::string& have = e.names[lang];
        if (have.find(name) == std::string::npos) have += (have.empty() ? "" : " / ") + name;
      }
    }
  }
  return out;
}

StatusOr<ProviderDirectoryMap> LoadProviderDirectory(const std::string& where, const std::string& ca_file) {
  std::string text;
  if (where.rfind("http://", 0) == 0 || where.rfind("https://", 0) == 0) {
    CERTME_ASSIGN_OR_RETURN(text, HttpGet(where, ca_file));
  } else {
    CERTME_ASSIGN_OR_RETURN(text, ReadSmallFile(where, kMaxDirectoryBytes));
  }
  return ParseProviderDirectory(text);
}

std::string ServiceName(const ProviderDirectoryMap& dir, std::string_view address, const std::string& lang) {
  auto it = dir.find(std::string(address));
  if (it != dir.end()) {
    for (const std::string& l : {lang, std::string("ro"), std::string("en"), std::string("ru")}) {
      auto n = it->second.names.find(l);
      if (n != it->second.names.end() && !n->second.empty()) return n->second + " (" + Addr(address) + ")";
    }
  }
  return std::string(UnknownService(lang)) + " " + Addr(address);
}

StatusOr<std::vector<HistoryLine>> WalletHistory(Ledger& ledger, const EthKey& user, const ProviderDirectoryMap& dir,
                                                 const std::string& lang,
                                                 const std::map<Bytes32, std::string>& names) {
  std::vector<HistoryLine> lines;
  CERTME_ASSIGN_OR_RETURN(auto requests, UserAccessHistory(ledger, user.address()));
  for (const auto& r : requests) {
    std::string text = "request " + std::to_string(r.request_id) + "  " + TimeText(r.requested_at) + "  " +
                       ServiceName(dir, r.provider, lang) + " asked for " + KeyNames(r.attr_keys, names) + ": " +
                       r.outcome;
    if (r.outcome == "answered")
      text += " by validator " + Addr(r.validator) + " at " + TimeText(r.answered_at) + " (level of assurance " +
              (r.loa == 1 ? "low" : r.loa == 2 ? "substantial" : r.loa == 3 ? "high" : std::to_string(r.loa)) + ")";
    lines.push_back({r.requested_at, std::move(text)});
  }
  CERTME_ASSIGN_OR_RETURN(auto signatures, UserSignatureHistory(ledger, user.address()));
  for (const auto& r : signatures)
    lines.push_back({r.recorded_at, "signature " + TimeText(r.recorded_at) + "  " + ServiceName(dir, r.provider, lang) +
                                        " recorded your signature " + "0x" + HexEncode(abi::AsView(r.digest)) +
                                        " for sign request " + "0x" + HexEncode(abi::AsView(r.sign_request)) +
                                        " (signed at " + TimeText(r.signed_at) + ")"});
  for (const auto& [address, entry] : dir) {
    auto keys = AccessRecordKeys::Derive(user, entry.public_key);
    if (!keys.ok()) continue;
    EventFilter f;
    f.kind = EventKind::kAccessRecorded;
    f.provider = address;
    CERTME_ASSIGN_OR_RETURN(auto events, ledger.Events(f));
    std::set<Bytes32> seen;  // a record resubmitted after a lost lease is shown once
    for (const auto& e : events) {
      auto c = keys->Open(address, e.tag, e.sealed);
      if (!c.ok()) {
        if (c.status().code() != StatusCode::kNotFound)
          lines.push_back({e.time, "access record " + TimeText(e.time) + "  " + ServiceName(dir, address, lang) +
                                       ": a record with your tag that does not open (" + c.status().message() +
                                       ")"});
        continue;
      }
      if (!seen.insert(e.tag).second) continue;
      std::string how = c->kind == "validated" ? "after validation request " + std::to_string(c->request_id)
                                               : "re-login from the bridge's cache";
      lines.push_back({c->time, "access record " + TimeText(c->time) + "  " + ServiceName(dir, address, lang) +
                                    " received " + KeyNames(c->attr_keys, names) + " (" + c->protocol + ", " + how +
                                    "; on the ledger at " + TimeText(e.time) + ")"});
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const HistoryLine& a, const HistoryLine& b) { return a.time < b.time; });
  return lines;
}

}  // namespace certme
