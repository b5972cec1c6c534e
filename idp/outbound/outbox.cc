#include "idp/outbound/outbox.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "common/log.h"

namespace certme {
namespace {

// curl_global_init is not thread-safe; do it once before any worker runs.
void CurlGlobalInitOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

bool SchemeAllowed(const std::string& url) {
  return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

// One POST: the HTTP status, or 0 on a transport error.
long Attempt(const OutboundPost& job, Duration timeout) {
  CURL* curl = curl_easy_init();
  if (!curl) return 0;
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + job.content_type).c_str());
  if (!job.soap_action.empty())
    headers = curl_slist_append(headers, ("SOAPAction: \"" + job.soap_action + "\"").c_str());
  if (!job.authorization.empty())
    headers = curl_slist_append(headers, ("Authorization: " + job.authorization).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a threaded server
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "certme-bridge");
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

std::string Encode(const OutboundPost& p, int64_t deadline_ms) {
  nlohmann::json j = {{"url", p.url},         {"body", p.body},
                      {"type", p.content_type}, {"deadline", deadline_ms}};
  if (!p.soap_action.empty()) j["soap_action"] = p.soap_action;
  if (!p.authorization.empty()) j["auth"] = p.authorization;
  return j.dump();
}

// False for an item this version cannot read (it is dropped, not retried).
bool Decode(const std::string& value, OutboundPost* p, int64_t* deadline_ms) {
  auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto str = [&](const char* k, std::string* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto deadline = j.find("deadline");
  if (!str("url", &p->url) || !str("body", &p->body) || !str("type", &p->content_type) ||
      deadline == j.end() || !deadline->is_number_integer())
    return false;
  if (j.contains("soap_action") && !str("soap_action", &p->soap_action)) return false;
  if (j.contains("auth") && !str("auth", &p->authorization)) return false;
  *deadline_ms = deadline->get<int64_t>();
  return true;
}

}  // namespace

Outbox::Outbox(Store& store, Clock& clock, Random& random, OutboxOptions options)
    : store_(store), clock_(clock), random_(random), options_(std::move(options)) {
  CurlGlobalInitOnce();
  int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

Outbox::~Outbox() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

Status Outbox::Post(OutboundPost post) {
  if (!SchemeAllowed(post.url)) return InvalidArgument("outbound URL must be http or https");
  const std::string id = random_.Token(16);
  const int64_t deadline = clock_.NowUnixMillis() + options_.deadline.count();
  Status st = store_.Enqueue(options_.queue, id, Encode(post, deadline), Duration::zero());
  if (!st.ok()) return st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++posted_;
  }
  wake_.notify_one();
  return Status::Ok();
}

StatusOr<size_t> Outbox::Pending() { return store_.QueueSize(options_.queue); }

bool Outbox::WaitIdle(Duration timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto pending = Pending();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending.ok() && *pending == 0 && in_flight_ == 0) return true;
    }
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Outbox::Idle() {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return;
  wake_.wait_for(lock, options_.poll, [this] { return posted_ > 0 || stopping_; });
  if (posted_ > 0) --posted_;
}

void Outbox::Run() {
  bool store_down = false;  // log an outage once, not once per poll
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && std::chrono::steady_clock::now() >= drain_deadline_) return;
    }
    auto claimed = store_.ClaimDue(options_.queue, 1, options_.lease);
    if (!claimed.ok()) {
      if (!store_down) LogWarn("outbound queue unavailable", {{"error", claimed.status().ToString()}});
      store_down = true;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
      }
      Idle();
      continue;
    }
    store_down = false;
    if (claimed->empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;  // nothing due: what remains waits in the Store
      }
      Idle();
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++in_flight_;
    }
    Deliver(claimed->front());
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
    }
  }
}

void Outbox::Deliver(const QueueItem& item) {
  OutboundPost post;
  int64_t deadline_ms = 0;
  auto finish = [&](bool delivered, long status, const char* why) {
    if (Status st = store_.Dequeue(options_.queue, item.id); !st.ok()) {
      // It comes back when the lease lapses: at worst one more delivery.
      LogWarn("outbound queue: could not remove a finished item", {{"error", st.ToString()}});
    }
    if (!delivered) {
      LogWarn(why, {{"url", post.url}, {"attempts", item.attempts}, {"status", status}});
    }
    if (options_.on_done) options_.on_done(post.url, delivered, item.attempts, status);
  };
  if (!Decode(item.value, &post, &deadline_ms)) {
    finish(false, 0, "outbound item unreadable: dropped");
    return;
  }
  if (clock_.NowUnixMillis() >= deadline_ms) {
    finish(false, 0, "outbound POST past its deadline: dropped");
    return;
  }
  if (item.attempts > options_.max_attempts) {
    finish(false, 0, "outbound POST out of attempts: dropped");
    return;
  }
  const long status = Attempt(post, options_.attempt_timeout);
  if (options_.on_attempt) options_.on_attempt(status);
  const bool ok = status >= 200 && status < 300;
  const bool retryable = status == 0 || status == 429 || status >= 500;
  if (ok) return finish(true, status, "");
  if (!retryable) return finish(false, status, "outbound POST refused by the receiver");
  if (item.attempts >= options_.max_attempts) return finish(false, status, "outbound POST failed");
  Duration delay = options_.backoff * (int64_t{1} << std::min(item.attempts - 1, 20));
  delay = std::min(delay, options_.max_backoff);
  if (Status st = store_.Reschedule(options_.queue, item.id, delay); !st.ok()) {
    LogWarn("outbound queue: could not reschedule; retried after the lease",
            {{"error", st.ToString()}});
  }
}

}  // namespace certme
