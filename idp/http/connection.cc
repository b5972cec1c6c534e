// The HTTP/1.1 exchange on one connection (see connection.h).
#include "idp/http/connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <optional>

#include "common/encoding.h"
#include "common/log.h"
#include "common/random.h"
#include "common/request_scope.h"
#include "common/wait_budget.h"
#include "idp/http/cookies.h"
#include "idp/http/response.h"

namespace certme::http_internal {
namespace {

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// A request id only correlates log lines (a client may send its own): it
// must be unique, not secret. A random per-process prefix and a counter cost
// a few dozen instructions; RAND_bytes per request cost ~6,700 (callgrind,
// ~2 % of a code flow's instructions; docs/PERFORMANCE.md). 24 hex digits.
std::string NewRequestId() {
  static const std::string prefix = HexEncode(SystemRandom().Bytes(6));
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed) & 0xffffffffffffULL;
  char digits[13];
  std::snprintf(digits, sizeof digits, "%012llx", static_cast<unsigned long long>(n));
  return prefix + digits;
}

}  // namespace

sigset_t ServerBlockedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGPIPE);
  return set;
}

void ShutdownLocked(Conn& c, int how) {
  if (c.st == Conn::St::kClosed) return;
  ::shutdown(c.fd, how);
}

namespace {

using WritePromise = Pistache::Async::Promise<ssize_t>;

// Queues `bytes` on the connection. Queuing under c.mu keeps answers in
// request order even when they come from different threads.
// REQUIRES: c.mu held and c.core->life_mu held shared.
std::optional<WritePromise> QueueLocked(Conn& c, std::string bytes) {
  if (c.core->stopped || c.st == Conn::St::kClosed) return std::nullopt;
  auto peer = c.peer.lock();
  if (!peer) return std::nullopt;
  const size_t n = bytes.size();
  std::optional<WritePromise> p;
  p.emplace(peer->send(Pistache::RawBuffer(std::move(bytes), n), MSG_NOSIGNAL));
  ++c.pending_writes;
  return p;
}

// When the bytes are on the wire: with `close_after`, shut the write side
// and linger. REQUIRES: c->mu NOT held — Pistache runs completions under its
// promise lock, and they take c->mu.
void OnWritten(const std::shared_ptr<Conn>& c, std::optional<WritePromise> promise, bool close_after) {
  if (!promise) return;
  promise->then(
      [c, close_after](ssize_t) {
        std::lock_guard<std::mutex> l(c->mu);
        --c->pending_writes;
        if (close_after && c->st != Conn::St::kClosed) {
          ShutdownLocked(*c, SHUT_WR);
          c->SetState(Conn::St::kLingering);
        }
      },
      [c](std::exception_ptr) {
        std::lock_guard<std::mutex> l(c->mu);
        --c->pending_writes;
        ShutdownLocked(*c, SHUT_RDWR);
        if (c->st != Conn::St::kClosed) c->SetState(Conn::St::kLingering);
      });
}

void Send(const std::shared_ptr<Conn>& c, std::string bytes, bool close_after) {
  std::optional<WritePromise> p;
  {
    std::shared_lock<std::shared_mutex> life(c->core->life_mu);
    std::lock_guard<std::mutex> l(c->mu);
    p = QueueLocked(*c, std::move(bytes));
  }
  OnWritten(c, std::move(p), close_after);
}

// Everything about one request that outlives the handler call.
struct Exchange {
  std::shared_ptr<Conn> conn;
  SteadyTime started;
  std::string method;
  std::string route;  // "" until routed
  std::string raw_path;
  std::string client_ip;
  std::string request_id;
  ResponseContext ctx;
  std::atomic<bool> answered{false};
  bool counted_in_flight = false;
};


// Finishes an exchange exactly once: policy, metrics, access log, write.
void Finish(const std::shared_ptr<Exchange>& x, HttpResponse resp, std::string detail) {
  if (x->answered.exchange(true)) return;
  Core& core = *x->conn->core;
  if (core.draining.load()) x->ctx.keep_alive = false;
  if (resp.status == 500 && core.opts.backend_unavailable && core.opts.backend_unavailable()) {
    resp.status = 503;
    resp.headers.Set("Retry-After", "5");
    detail = detail.empty() ? "state backend unavailable" : detail + "; state backend unavailable";
  }
  std::string policy_detail = ApplyResponsePolicy(resp, x->ctx);
  if (!policy_detail.empty()) detail = detail.empty() ? policy_detail : detail + "; " + policy_detail;
  const size_t body_bytes = x->ctx.head ? 0 : resp.body.size();
  std::string wire = SerializeResponse(resp, x->ctx);

  const double seconds = std::chrono::duration<double>(steady_clock::now() - x->started).count();
  const std::string route = x->route.empty() ? "unmatched" : x->route;
  core.metrics->http_requests().Inc({route, Metrics::MethodLabel(x->method), std::to_string(resp.status)});
  core.metrics->http_request_duration().Observe(seconds, {route});

  if (core.opts.access_log_enabled || !detail.empty()) {
    nlohmann::ordered_json line = {
        {"time", Rfc3339Now()},        {"method", x->method},       {"route", route},
        {"path", x->raw_path},         {"status", resp.status},     {"bytes", body_bytes},
        {"duration_ms", seconds * 1e3}, {"client_ip", x->client_ip}, {"request_id", x->request_id}};
    if (!detail.empty()) line["error"] = detail;
    core.Log(line);
  }

  const bool close = !x->ctx.keep_alive;
  bool pump_here = false;
  std::optional<WritePromise> promise;
  {
    std::shared_lock<std::shared_mutex> life(core.life_mu);
    std::lock_guard<std::mutex> l(x->conn->mu);
    Conn& c = *x->conn;
    if (c.st == Conn::St::kBusy) {
      promise = QueueLocked(c, std::move(wire));
      c.SetState(close ? Conn::St::kClosing : Conn::St::kReading);
      c.last_activity = steady_clock::now();
      if (!c.parser.Idle()) c.request_started = c.last_activity;
      // An answer from another thread must pick up pipelined requests
      // itself; on the dispatching thread Pump's loop does.
      pump_here = !close && !c.dispatching;
    }
  }
  OnWritten(x->conn, std::move(promise), close);
  if (x->counted_in_flight) core.InFlight(-1);
  if (pump_here) Pump(x->conn);
}

// The `respond` callback handed to async handlers. If every copy is dropped
// without being called the client still gets an answer (500), not a hang.
struct Responder {
  explicit Responder(std::shared_ptr<Exchange> e) : x(std::move(e)) {}
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  std::shared_ptr<Exchange> x;
  ~Responder() {
    if (!x->answered.load()) Finish(x, HttpResponse::Text(500, ""), "async handler dropped its respond callback");
  }
};

std::string RunSafely(const std::function<void()>& f) {
  try {
    f();
    return "";
  } catch (const std::exception& e) {
    return std::string("handler threw: ") + e.what();
  } catch (...) {
    return "handler threw a non-std exception";
  }
}

// Liveness, readiness and metrics answer whatever a client address did.
bool IsOpsRoute(std::string_view route) {
  return route == "/healthz" || route == "/readyz" || route == "/metrics";
}

// Builds the HttpRequest, routes it and runs the handler.
void Dispatch(const std::shared_ptr<Conn>& c, ParsedHttpRequest p) {
  Core& core = *c->core;
  auto x = std::make_shared<Exchange>();
  x->conn = c;
  x->started = steady_clock::now();
  x->method = p.method;
  x->ctx.head = p.method == "HEAD";
  x->ctx.http10 = p.minor_version == 0;
  x->ctx.keep_alive = p.keep_alive;
  x->ctx.dev_mode = core.opts.dev_mode;

  HttpRequest req;
  req.method = std::move(p.method);
  const size_t q = p.target.find('?');
  req.raw_path = p.target.substr(0, q);
  if (q != std::string::npos) req.raw_query = p.target.substr(q + 1);
  x->raw_path = req.raw_path;
  req.headers = std::move(p.headers);
  req.body = std::move(p.body);
  req.remote_addr = c->peer_ip_text;

  // Request id: the caller's if it is sane (log-safe), else a fresh one.
  auto rid = req.headers.Get("x-request-id");
  x->request_id = rid && ValidRequestId(*rid) ? *rid : NewRequestId();
  req.headers.Set("X-Request-Id", x->request_id);
  x->ctx.request_id = x->request_id;

  const bool trusted = core.trusted.Contains(c->peer_ip);
  std::string bad_request;
  if (trusted) {
    req.client_ip = ClientIpFromForwardedFor(req.headers.GetAll("x-forwarded-for"), c->peer_ip, core.trusted);
    auto protos = req.headers.GetAll("x-forwarded-proto");
    if (!protos.empty()) {
      // The nearest proxy's word counts: it is the last value it appended or set.
      auto parts = SplitTrimmed(protos.back(), ',');
      req.secure = !parts.empty() && EqualsIgnoreCase(parts.back(), "https");
    }
    if (auto cert = req.headers.Get(core.opts.client_cert_header); cert && !cert->empty()) {
      auto pem = PercentDecode(*cert, /*plus_is_space=*/false);
      if (pem) req.client_cert_pem = std::move(*pem);
      else bad_request = "undecodable client certificate header";
    }
  } else {
    req.client_ip = c->peer_ip_text;
    // Anyone could send it; make sure nothing downstream reads it by accident.
    req.headers.Remove(core.opts.client_cert_header);
  }
  x->client_ip = req.client_ip;
  x->ctx.secure = req.secure;

  auto path = PercentDecode(req.raw_path, /*plus_is_space=*/false);
  if (!path) bad_request = "bad percent-encoding in path";
  else req.path = std::move(*path);
  if (auto query = ParseUrlEncoded(req.raw_query)) req.query = std::move(*query);
  else bad_request = "bad query string";
  if (MediaTypeOf(req.headers) == "application/x-www-form-urlencoded") {
    if (auto form = ParseUrlEncoded(req.body)) req.form = std::move(*form);
    else bad_request = "bad form body";
  }
  req.cookies = ParseCookieHeaders(req.headers.GetAll("cookie"));

  if (!bad_request.empty()) {
    Finish(x, PlainResponse(400, "bad request"), bad_request);
    return;
  }

  RouteMatch m = core.router->Match(req.method, req.raw_path);
  if (m.status == 404 && (req.method == "GET" || req.method == "HEAD") && core.router->not_found()) {
    // A page for people who typed or followed a wrong address (the
    // router's fallback), in their language; API clients get the same.
    HttpResponse resp;
    std::string err = RunSafely([&] {
      RequestScope scope(req);
      resp = (*core.router->not_found())(req);
    });
    if (!err.empty()) resp = PlainResponse(404, "not found");
    resp.status = 404;
    Finish(x, std::move(resp), err);
    return;
  }
  if (m.status != 0) {
    HttpResponse r = m.status == 405 ? PlainResponse(405, "method not allowed")
                     : m.status == 400 ? PlainResponse(400, "bad request")
                                       : PlainResponse(404, "not found");
    if (m.status == 405) r.headers.Set("Allow", m.allow);  // RFC 9110 §15.5.6
    Finish(x, std::move(r), "");
    return;
  }
  x->route = m.route;
  x->ctx.expose_server_errors = m.options.expose_server_errors;
  if (core.per_address && !IsOpsRoute(m.route)) {
    if (auto wait = core.per_address->Take(req.client_ip)) {
      core.metrics->http_rate_limited().Inc({"address"});
      HttpResponse r = PlainResponse(429, "too many requests");
      r.headers.Set("Retry-After", std::to_string(*wait));
      Finish(x, std::move(r), "");
      return;
    }
  }
  req.path_params = std::move(m.path_params);

  core.InFlight(+1);
  x->counted_in_flight = true;
  if (m.handler) {
    HttpResponse resp;
    std::string err = RunSafely([&] {
      std::optional<ScopedWaitBudget> budget;
      if (core.opts.backend_wait_budget > Duration::zero()) budget.emplace(core.opts.backend_wait_budget);
      RequestScope scope(req);
      resp = (*m.handler)(req);
    });
    if (!err.empty()) resp = HttpResponse::Text(500, "");
    Finish(x, std::move(resp), err);
    return;
  }
  auto responder = std::make_shared<Responder>(x);
  std::function<void(HttpResponse)> respond = [responder](HttpResponse r) {
    Finish(responder->x, std::move(r), "");
  };
  std::string err = RunSafely([&] {
    std::optional<ScopedWaitBudget> budget;
    if (core.opts.backend_wait_budget > Duration::zero()) budget.emplace(core.opts.backend_wait_budget);
    RequestScope scope(req);
    (*m.async_handler)(req, std::move(respond));
  });
  if (!err.empty()) Finish(x, HttpResponse::Text(500, ""), err);
}

// Answers a request that never became one (framing error) and closes.
}  // namespace

void RejectAndClose(const std::shared_ptr<Conn>& c, int status, const std::string& reason) {
  auto x = std::make_shared<Exchange>();
  x->conn = c;
  x->started = steady_clock::now();
  x->method = "-";
  x->client_ip = c->peer_ip_text;
  x->request_id = NewRequestId();
  x->ctx.keep_alive = false;
  x->ctx.request_id = x->request_id;
  Finish(x, PlainResponse(status, ReasonPhrase(status)), reason);
}

// Parses and dispatches whatever requests are buffered, one at a time.
void Pump(const std::shared_ptr<Conn>& c) {
  for (;;) {
    std::unique_lock<std::mutex> l(c->mu);
    if (c->st != Conn::St::kReading) return;
    HttpRequestParser::State s = c->parser.Parse();
    if (s == HttpRequestParser::State::kNeedMore) {
      // RFC 9110 §10.1.1: tell a waiting client to send the body. Limits
      // were checked on the head already (an oversized one got its 413).
      if (c->parser.AwaitingBody() && c->parser.current().expects_continue && !c->continue_sent) {
        c->continue_sent = true;
        l.unlock();
        Send(c, "HTTP/1.1 100 Continue\r\n\r\n", false);
      }
      return;
    }
    c->SetState(Conn::St::kBusy);
    c->continue_sent = false;
    if (s == HttpRequestParser::State::kError) {
      const int status = c->parser.error_status();
      const std::string reason = c->parser.error_reason();
      l.unlock();
      RejectAndClose(c, status, reason);
      return;
    }
    ParsedHttpRequest p = c->parser.TakeRequest();
    c->dispatching = true;
    l.unlock();
    Dispatch(c, std::move(p));
    l.lock();
    c->dispatching = false;
  }
}

namespace {

std::shared_ptr<Conn> ConnOf(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  return std::static_pointer_cast<Conn>(peer->tryGetData(kConnKey));
}



class TcpHandler final : public Pistache::Tcp::Handler {
 public:
  PROTOTYPE_OF(Pistache::Tcp::Handler, TcpHandler)

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto c = ConnOf(peer);
    if (!c) return;
    try {
      {
        std::lock_guard<std::mutex> l(c->mu);
        auto now = steady_clock::now();
        switch (c->st) {
          case Conn::St::kClosing:
          case Conn::St::kLingering:
          case Conn::St::kClosed:
            return;  // our last answer is out or going out; the rest is noise
          case Conn::St::kReading:
            if (c->parser.Idle()) c->request_started = now;
            break;
          case Conn::St::kBusy:
            break;
        }
        c->last_activity = now;
        c->parser.Append(std::string_view(buffer, len));
        if (c->st == Conn::St::kBusy) {
          // Pipelined bytes wait for the current answer; bound what we hold.
          const auto& o = c->core->opts;
          if (c->parser.buffered() > o.max_header_bytes + o.max_body_bytes + (64 << 10)) {
            ShutdownLocked(*c, SHUT_RDWR);
          }
          return;
        }
      }
      Pump(c);
    } catch (...) {
      // Out of memory or a bug: drop this connection, keep the worker.
      std::lock_guard<std::mutex> l(c->mu);
      ShutdownLocked(*c, SHUT_RDWR);
    }
  }

  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto c = ConnOf(peer);
    if (!c) return;
    bool taint;
    {
      std::lock_guard<std::mutex> l(c->mu);
      c->SetState(Conn::St::kClosed);
      taint = c->pending_writes > 0;
    }
    c->core->Unregister(c.get(), taint, c->fd);
  }
};

}  // namespace

std::shared_ptr<Pistache::Tcp::Handler> NewTcpHandler() { return std::make_shared<TcpHandler>(); }

}  // namespace certme::http_internal
