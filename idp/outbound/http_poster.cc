#include "idp/outbound/http_poster.h"

#include <curl/curl.h>

#include <algorithm>
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

}  // namespace

HttpPoster::HttpPoster(HttpPosterOptions options) : options_(std::move(options)) {
  CurlGlobalInitOnce();
  int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
}

HttpPoster::~HttpPoster() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  for (const auto& job : queue_) {
    LogWarn("outbound POST dropped at shutdown", {{"url", job.url}});
    if (options_.on_done) options_.on_done(job.url, false, job.attempt, 0);
  }
}

bool HttpPoster::Post(std::string url, std::string body, std::string content_type) {
  if (!SchemeAllowed(url)) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(Job{std::move(url), std::move(body), std::move(content_type), 0,
                         std::chrono::steady_clock::now()});
  }
  cv_.notify_one();
  return true;
}

void HttpPoster::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && in_flight_ == 0; });
}

void HttpPoster::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (stopping_ && (queue_.empty() || std::chrono::steady_clock::now() >= drain_deadline_)) return;
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // Take the first job that is due; otherwise sleep until the earliest is.
    auto now = std::chrono::steady_clock::now();
    auto due = std::find_if(queue_.begin(), queue_.end(),
                            [&](const Job& j) { return j.not_before <= now; });
    if (due == queue_.end()) {
      auto earliest = std::min_element(queue_.begin(), queue_.end(), [](const Job& a, const Job& b) {
                        return a.not_before < b.not_before;
                      })->not_before;
      if (stopping_) earliest = std::min(earliest, drain_deadline_);
      cv_.wait_until(lock, earliest);
      continue;
    }
    Job job = std::move(*due);
    queue_.erase(due);
    ++in_flight_;
    lock.unlock();

    ++job.attempt;
    long status = Attempt(job);
    bool ok = status >= 200 && status < 300;
    bool retryable = status == 0 || status == 429 || status >= 500;

    lock.lock();
    --in_flight_;
    if (!ok && retryable && job.attempt < options_.max_attempts && !stopping_) {
      job.not_before = std::chrono::steady_clock::now() + options_.backoff * (1 << (job.attempt - 1));
      queue_.push_back(std::move(job));
      cv_.notify_one();
    } else {
      std::string url = job.url;
      int attempts = job.attempt;
      lock.unlock();
      if (!ok)
        LogWarn("outbound POST failed", {{"url", url}, {"attempts", attempts}, {"status", status}});
      if (options_.on_done) options_.on_done(url, ok, attempts, status);
      lock.lock();
    }
    if (queue_.empty() && in_flight_ == 0) idle_cv_.notify_all();
  }
}

long HttpPoster::Attempt(const Job& job) {
  CURL* curl = curl_easy_init();
  if (!curl) return 0;
  struct curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, ("Content-Type: " + job.content_type).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, job.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(job.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
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

}  // namespace certme
