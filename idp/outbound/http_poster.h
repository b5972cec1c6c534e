// Fire-and-forget outbound POSTs with retries (back-channel logout tokens,
// later SAML SLO over SOAP-less HTTP). libcurl does the transport: Pistache's
// client cannot speak https (docs/ARCHITECTURE.md, dependencies).
//
// Contracts:
//  - Post() never blocks on the network: it enqueues and returns.
//  - Each delivery is independent: a receiver that hangs or fails costs only
//    its own attempts (bounded by `timeout` × `max_attempts`), never delays
//    another receiver beyond the worker pool's width.
//  - Retries only on transport errors and 5xx/429 answers; a 4xx is final.
//  - Thread-safe. The destructor stops accepting, gives queued deliveries up
//    to `drain_timeout`, and drops the rest (they are logged).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace certme {

struct HttpPosterOptions {
  // Parallel deliveries; each worker owns one in-flight request.
  int workers = 4;
  // Attempts per delivery, first one included.
  int max_attempts = 3;
  // Whole-request timeout of one attempt (connect included).
  Duration timeout = std::chrono::seconds(5);
  // Delay before the 2nd attempt; doubled for each later one.
  Duration backoff = std::chrono::milliseconds(500);
  // Deliveries waiting beyond this are refused (and logged) instead of
  // growing memory without bound.
  size_t max_queue = 10000;
  // On destruction, how long queued deliveries may still run.
  Duration drain_timeout = std::chrono::seconds(5);
  // Called once per delivery with its final outcome (tests, metrics, logs).
  std::function<void(const std::string& url, bool delivered, int attempts, long status)> on_done;
};

class HttpPoster {
 public:
  explicit HttpPoster(HttpPosterOptions options);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // Queues a POST of `body` with `content_type` to `url` (http or https
  // only). Returns false when the queue is full or the URL scheme is refused.
  bool Post(std::string url, std::string body,
            std::string content_type = "application/x-www-form-urlencoded");

  // Blocks until every queued delivery has finished (tests).
  void WaitIdle();

 private:
  struct Job {
    std::string url, body, content_type;
    int attempt = 0;
    std::chrono::steady_clock::time_point not_before;
  };
  void Run();
  // One attempt: HTTP status, or 0 on a transport error.
  long Attempt(const Job& job);

  HttpPosterOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;        // jobs available / stopping
  std::condition_variable idle_cv_;   // queue drained and nothing in flight
  std::deque<Job> queue_;             // guarded by mu_
  int in_flight_ = 0;                 // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  std::chrono::steady_clock::time_point drain_deadline_;  // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace certme
