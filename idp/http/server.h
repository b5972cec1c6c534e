// The bridge's HTTP server: the one adapter between Pistache 0.0.5 and the
// plain HttpRequest/HttpResponse values protocol code speaks
// (common/http_message.h). Nothing outside idp/http includes Pistache.
//
// Pistache supplies the epoll reactor and its worker threads; the HTTP/1.1
// framing, limits, keep-alive, error answers and timeouts are ours
// (request_parser.h says why). Serve plain HTTP on loopback or behind a TLS
// terminator (docs/ARCHITECTURE.md, shape and dependencies).
//
//   auto router = std::make_shared<Router>();
//   auto metrics = std::make_shared<Metrics>();
//   InstallOpsRoutes(*router, [&] { return store->Ping(); }, metrics);
//   router->Get("/authorize", …);
//   auto server = HttpServer::Start(options, router, metrics);   // StatusOr
//   WaitForTerminationSignal();
//   (*server)->Shutdown();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/rate_limiter.h"
#include "common/status.h"
#include "idp/http/metrics.h"
#include "idp/http/proxy.h"
#include "idp/http/router.h"

namespace certme {

struct HttpServerOptions {
  // IPv4 or IPv6 literal to listen on. Default: loopback only.
  std::string address = "127.0.0.1";
  // TCP port; 0 = pick a free port (read it back with HttpServer::port()).
  uint16_t port = 8080;
  // Reactor worker threads. Synchronous handlers run on them, so a slow
  // handler holds one worker; long waits belong in HandleAsync handlers.
  int threads = 2;
  // Largest request body (Content-Length or de-chunked); over it → 413.
  // 1 MiB fits SAML HTTP-POST messages.
  size_t max_body_bytes = 1 << 20;
  // Largest request line + header section; over it → 431 (414 for the line).
  size_t max_header_bytes = 16 << 10;
  // IPs/CIDRs allowed to set X-Forwarded-For/-Proto and the client-cert
  // header. Empty: nobody; the TCP peer is the client.
  std::vector<std::string> trusted_proxies;
  // PEM, url-encoded as nginx's $ssl_client_escaped_cert. Honoured only from
  // trusted proxies and removed from the request otherwise.
  std::string client_cert_header = "X-SSL-Client-Cert";
  // Cookies lose Secure over plain HTTP only in dev mode. Default false.
  bool dev_mode = false;
  // Shutdown(): how long in-flight requests may take to finish.
  Duration shutdown_grace = std::chrono::seconds(10);
  // One JSON object per request; null = stderr. Called from worker threads,
  // possibly concurrently.
  std::function<void(const std::string& json_line)> access_log;
  // false: only requests that carry an internal error detail are logged
  // (5xx causes stay visible); the per-request line is not even built.
  bool access_log_enabled = true;
  // A keep-alive connection with no request for this long is closed.
  Duration idle_timeout = std::chrono::seconds(60);
  // From a request's first byte to its last; slower → 408 and close
  // (slow-loris clients cannot pin connections forever).
  Duration request_timeout = std::chrono::seconds(30);
  // listen(2) backlog.
  int backlog = 511;
  // Open connections at most. At the cap, a new connection evicts the one
  // that has been waiting longest for (the rest of) a request — an idle
  // keep-alive or a slow sender — so a slow-connection flood cannot lock
  // everyone out; if every connection is busy it is refused (503). 0: the
  // process's descriptor limit minus 128 (for the store, the ledger, logs
  // and outbound calls), so accept(2) never runs out of descriptors.
  int max_connections = 0;
  // Open connections per client address (the TCP peer; trusted proxies are
  // exempt); over it the new connection gets 429 and is closed. 0: no cap.
  int max_connections_per_address = 256;
  // Requests per second per client address (after the trusted-proxy rules),
  // with this burst; over it 429 with Retry-After. /healthz, /readyz and
  // /metrics are exempt. 0: no limit.
  double requests_per_second_per_address = 0;
  double request_burst_per_address = 100;
  // Asked when a handler answers 500: true when the shared state cannot be
  // reached (a Redis that is down or stalled). The answer then becomes 503
  // with Retry-After, a temporary outage rather than a bug, for clients and
  // for the proxy in front. Null: never asked.
  std::function<bool()> backend_unavailable;
  // The time one request's handler may spend waiting for the shared state,
  // all its store calls together (common/wait_budget.h): installed around
  // each handler call, so a stalled Redis fails the request within it
  // instead of costing one timeout per store call. Zero: no budget.
  Duration backend_wait_budget{0};

  // Every problem at once (InvalidArgument), or OK.
  Status Validate() const;
};

class HttpServer {
 public:
  // Binds, starts the workers and returns once connections are accepted.
  // The router must be fully registered: it is read concurrently from now on.
  static StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, std::shared_ptr<Router> router,
                                                     std::shared_ptr<Metrics> metrics);
  ~HttpServer();  // Shutdown() if not done yet
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;

  // Graceful: stop accepting (new connections are refused), close idle
  // keep-alive connections, let in-flight requests finish and their answers
  // go out with "Connection: close" (up to shutdown_grace), then stop the
  // workers and close what is left. A synchronous handler still running at
  // the deadline is waited for (a worker cannot be interrupted); async
  // answers arriving later are dropped. Idempotent; safe from any thread
  // except a worker (i.e. not from inside a synchronous handler).
  void Shutdown();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Who may read /metrics on a listener.
struct OpsOptions {
  // false: no /metrics route here (it is served on another listener).
  bool serve_metrics = true;
  // Set: only clients in it may scrape (the client address after the
  // trusted-proxy rules, HttpRequest::client_ip); anyone else gets 403 and
  // the page says nothing more. Unset: everyone.
  std::optional<IpMatcher> metrics_allow;
};

// Installs GET /healthz (always 200 "ok" while the process serves),
// GET /readyz (runs `ready`: 200 {"status":"ready"}, or 503
// {"status":"unavailable"} with the Status in the access log only) and
// GET /metrics (Prometheus text 0.0.4; see OpsOptions).
void InstallOpsRoutes(Router& router, std::function<Status()> ready, std::shared_ptr<Metrics> metrics,
                      OpsOptions options = {});


}  // namespace certme
