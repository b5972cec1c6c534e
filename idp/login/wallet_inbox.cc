#include "idp/login/wallet_inbox.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "idp/login/wallet_pages.h"
#include "ledger-client/abi.h"
#include "protocols/login.h"
#include "protocols/wallet/inbox.h"
#include "protocols/wallet/vocabulary.h"

namespace certme {

using nlohmann::json;

namespace {

constexpr char kNsInbox[] = "wallet_inbox";
constexpr char kNsChallenge[] = "wallet_inbox_challenge";
// Logins per eID kept in its inbox; a service cannot flood it beyond this
// (the oldest are dropped from the listing, not ended).
constexpr size_t kMaxInboxEntries = 16;

std::string InboxKey(const std::string& eid_raw) { return Sha256Hex(HexEncode(eid_raw)); }

struct Entry {
  std::string txn;
  int64_t expires_at = 0;
};

std::vector<Entry> ParseEntries(std::string_view raw) {
  std::vector<Entry> out;
  json j = json::parse(raw, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("txn") || !e["txn"].is_string() || !e.contains("exp") ||
        !e["exp"].is_number_integer())
      continue;
    out.push_back({e["txn"].get<std::string>(), e["exp"].get<int64_t>()});
  }
  return out;
}

std::string DumpEntries(const std::vector<Entry>& entries) {
  json j = json::array();
  for (const auto& e : entries) j.push_back({{"txn", e.txn}, {"exp", e.expires_at}});
  return j.dump();
}

// Rewrites the eID's entries with `mutate` (compare-and-swap retries); an
// empty list deletes the record.
Status UpdateEntries(Store& store, const std::string& key, int64_t now,
                     const std::function<void(std::vector<Entry>&)>& mutate) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto raw = store.Get(kNsInbox, key);
    if (!raw.ok() && raw.status().code() != StatusCode::kNotFound) return raw.status();
    std::vector<Entry> entries = raw.ok() ? ParseEntries(*raw) : std::vector<Entry>{};
    std::erase_if(entries, [&](const Entry& e) { return e.expires_at <= now; });
    mutate(entries);
    if (entries.size() > kMaxInboxEntries) entries.erase(entries.begin(), entries.end() - kMaxInboxEntries);
    if (entries.empty()) {
      if (!raw.ok()) return Status::Ok();
      // Deleting what another replica just extended would lose its entry:
      // only an unchanged record is removed (CAS to an instantly expiring one).
      Status st = store.CompareAndSwap(kNsInbox, key, *raw, "[]", std::chrono::seconds(1));
      if (st.ok() || st.code() == StatusCode::kNotFound) return Status::Ok();
      if (st.code() != StatusCode::kFailedPrecondition) return st;
      continue;
    }
    int64_t last = 0;
    for (const auto& e : entries) last = std::max(last, e.expires_at);
    const auto ttl = std::chrono::seconds(std::max<int64_t>(last - now, 1));
    Status st = raw.ok() ? store.CompareAndSwap(kNsInbox, key, *raw, DumpEntries(entries), ttl)
                         : store.PutIfAbsent(kNsInbox, key, DumpEntries(entries), ttl);
    if (st.ok()) return st;
    if (st.code() != StatusCode::kFailedPrecondition && st.code() != StatusCode::kAlreadyExists &&
        st.code() != StatusCode::kNotFound)
      return st;
  }
  return Unavailable("wallet inbox busy");
}

HttpResponse Error(const wallet::WalletError& e) {
  HttpResponse r = HttpResponse::Json(e.http_status, wallet::ErrorBody(e));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

HttpResponse Unavailable503() {
  HttpResponse r = Error(wallet::WalletError::Make(503, wallet::kErrUnavailable, "try again shortly"));
  r.headers.Set("Retry-After", "1");
  return r;
}

}  // namespace

Status AddInboxEntry(Store& store, const std::string& eid, const std::string& txn, int64_t expires_at, int64_t now) {
  auto raw = ParseAddress(eid);
  if (!raw.ok()) return InvalidArgument("the login's eID is not an address");
  return UpdateEntries(store, InboxKey(*raw), now, [&](std::vector<Entry>& entries) {
    entries.push_back({txn, expires_at});
  });
}

WalletInbox::WalletInbox(WalletInboxOptions options, WalletAuthenticator& wallet, Store& store, Ledger& ledger,
                         Clock& clock, Random& random)
    : options_(options),
      wallet_(wallet),
      store_(store),
      ledger_(ledger),
      clock_(clock),
      random_(random),
      challenges_by_ip_({.per_second = static_cast<double>(std::max(1, options.challenges_per_second)),
                         .burst = static_cast<double>(std::max(1, options.challenge_burst))},
                        clock) {
  thread_ = std::thread([this] { WaiterLoop(); });
}

WalletInbox::~WalletInbox() { Drain(); }

void WalletInbox::Drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> once(drain_mu_);
  if (thread_.joinable()) thread_.join();
}

HttpResponse WalletInbox::Challenge(const HttpRequest& req) {
  const std::string addr = req.client_ip.empty() ? req.remote_addr : req.client_ip;
  if (auto wait = challenges_by_ip_.Take(addr)) {
    HttpResponse r = Error(wallet::WalletError::Make(429, wallet::kErrTooManyRequests, "too many challenges; try again later"));
    r.headers.Set("Retry-After", std::to_string(*wait));
    return r;
  }
  const std::string challenge = random_.Bytes(32);
  Status st = store_.Put(kNsChallenge, Sha256Hex(challenge), "1",
                         std::chrono::seconds(wallet::kInboxChallengeTtlSeconds));
  if (!st.ok()) {
    LogError("wallet inbox challenge not saved", {{"detail", st.ToString()}});
    return Unavailable503();
  }
  HttpResponse r =
      HttpResponse::Json(200, wallet::BuildInboxChallenge(abi::ToBytes32(challenge), ledger_.Domain()));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

StatusOr<json> WalletInbox::Pending(const std::string& eid) {
  const std::string key = InboxKey(eid);
  auto raw = store_.Get(kNsInbox, key);
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound) return json::array();
    return raw.status();
  }
  const int64_t now = clock_.NowUnixSeconds();
  json out = json::array();
  std::vector<std::string> ended;
  for (const Entry& e : ParseEntries(*raw)) {
    if (e.expires_at <= now) continue;
    auto status = wallet_.LoginStatusOf(e.txn);
    if (status.state == wallet_login::kStateCodeExpired) status = wallet_.RenewCode(e.txn);
    if (status.terminal) {
      ended.push_back(e.txn);
      continue;
    }
    // Answered (approved, validating): nothing for the wallet to do.
    if (status.state != wallet_login::kStateWaiting && status.state != wallet_login::kStateOpened) continue;
    auto links = wallet_.CurrentLinks(e.txn);
    auto request = LoadLoginRequest(store_, e.txn);
    if (!links.ok() || !request.ok()) continue;
    HttpRequest doc_req;
    doc_req.method = "GET";
    doc_req.path_params["code"] = links->code;
    HttpResponse doc = wallet_.GetRequestDocument(doc_req);
    if (doc.status != 200) continue;
    json item = {{wallet::kFieldDocument, json::parse(doc.body, nullptr, false)}};
    if (item[wallet::kFieldDocument].is_discarded()) continue;
    if (!request->binding_message.empty()) item[wallet::kFieldBindingMessage] = request->binding_message;
    out.push_back(std::move(item));
  }
  if (!ended.empty()) {
    Status st = UpdateEntries(store_, key, now, [&](std::vector<Entry>& entries) {
      std::erase_if(entries, [&](const Entry& x) {
        return std::find(ended.begin(), ended.end(), x.txn) != ended.end();
      });
    });
    if (!st.ok()) LogWarn("wallet inbox not pruned", {{"detail", st.ToString()}});
  }
  return out;
}

HttpResponse WalletInbox::Listing(const json& requests) const {
  HttpResponse r = HttpResponse::Json(200, json{{wallet::kFieldRequests, requests}}.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

void WalletInbox::Poll(HttpRequest req, std::function<void(HttpResponse)> respond) {
  if (MediaTypeOf(req.headers) != "application/json") {
    respond(Error(wallet::WalletError::Make(415, wallet::kErrUnsupportedMediaType, "the access must be application/json")));
    return;
  }
  auto access = wallet::ParseInboxAccess(req.body);
  if (!access.ok()) return respond(Error(access.error()));
  if (auto e = wallet::CheckInboxAccess(ledger_.Domain(), *access, clock_.NowUnixSeconds()))
    return respond(Error(*e));
  // Single use: of two requests with one challenge only the first goes on.
  auto taken = store_.Consume(kNsChallenge, Sha256Hex(abi::AsView(access->challenge)));
  if (!taken.ok()) {
    if (taken.status().code() != StatusCode::kNotFound) {
      LogError("wallet inbox challenge not read", {{"detail", taken.status().ToString()}});
      return respond(Unavailable503());
    }
    return respond(Error(wallet::WalletError::Make(401, wallet::kErrBadChallenge,
                                                   "the challenge is unknown, used or stale; ask for a new one")));
  }
  auto pending = Pending(access->eid);
  if (!pending.ok()) {
    LogError("wallet inbox not read", {{"detail", pending.status().ToString()}});
    return respond(Unavailable503());
  }
  if (!pending->empty() || access->wait == 0) return respond(Listing(*pending));
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) {
    lock.unlock();
    return respond(Unavailable503());
  }
  waiters_.push_back({access->eid, std::chrono::steady_clock::now() + std::chrono::seconds(access->wait),
                      std::move(respond)});
  cv_.notify_all();
}

void WalletInbox::WaiterLoop() {
  for (;;) {
    std::vector<Waiter> check;
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.recheck, [&] { return stop_; });
      stopping = stop_;
      check = std::move(waiters_);
      waiters_.clear();
    }
    std::vector<Waiter> keep;
    const auto now = std::chrono::steady_clock::now();
    for (auto& w : check) {
      if (stopping) {
        w.respond(Unavailable503());
        continue;
      }
      auto pending = Pending(w.eid);
      if (!pending.ok()) w.respond(Unavailable503());
      else if (!pending->empty() || now >= w.deadline) w.respond(Listing(*pending));
      else keep.push_back(std::move(w));
    }
    if (stopping) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : keep) waiters_.push_back(std::move(w));
  }
}

}  // namespace certme
