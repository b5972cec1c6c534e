// HttpServer on Pistache's reactor. Pistache owns the epoll loops, the
// per-connection read path and the write queues; everything HTTP is here.
//
// Threads: `threads` Pistache workers (onInput, sync handlers, write
// completions), one acceptor/housekeeping thread (accept4, timeouts, drain),
// and whatever threads async handlers answer from.
//
// Lifetime of a connection's fd: Pistache closes it in Transport::removePeer,
// on the worker, right after calling our onDisconnection. Every ::shutdown()
// we issue happens under the Conn's mutex after checking that
// onDisconnection has not run, so we never touch a number that may already
// belong to another connection. The write queue is keyed by fd number too:
// a Conn that disconnects with writes still queued "taints" its fd number
// for a while and the acceptor moves a new connection that gets that number
// elsewhere (dup), so a stale queued answer cannot reach a new client.
#include "idp/http/server.h"

#include "common/log.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pistache/async.h>
#include <pistache/net.h>
#include <pistache/peer.h>
#include <pistache/reactor.h>
#include <pistache/tcp.h>
#include <pistache/transport.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/random.h"
#include "idp/http/cookies.h"
#include "idp/http/proxy.h"
#include "idp/http/request_parser.h"
#include "idp/http/response.h"

namespace certme {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::steady_clock;

constexpr char kConnKey[] = "certme.conn";
// After our last answer on a closing connection, how long we keep reading
// (and discarding) so the client sees the answer rather than a reset
// (RFC 9112 §9.6: close in stages).
constexpr auto kLinger = std::chrono::seconds(2);
// A closing connection whose client does not read our answer.
constexpr auto kWriteStall = std::chrono::seconds(10);
// How long a fd number stays tainted (see the file comment); the stale write
// entry is gone after one pass of the worker's loop.
constexpr auto kTaint = std::chrono::seconds(5);
constexpr auto kSweepEvery = std::chrono::milliseconds(200);


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

std::string MediaTypeOf(const HttpHeaders& h) {
  std::string t = AsciiLower(h.Get("content-type").value_or(""));
  size_t semi = t.find(';');
  if (semi != std::string::npos) t.resize(semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  return t;
}

// Signals the server's threads must never take: termination goes to the
// sigwait()ing main thread, SIGPIPE is replaced by MSG_NOSIGNAL/EPIPE.
sigset_t ServerBlockedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGPIPE);
  return set;
}

struct Core;

// One TCP connection. Owned by its Pistache Peer (peer data) and by any
// answer still being produced for it.
struct Conn {
  enum class St {
    kReading,    // waiting for / parsing a request
    kBusy,       // a handler owns the current request
    kClosing,    // last answer queued; shut down once written
    kLingering,  // write side shut; discarding input until the client closes
    kClosed,     // Pistache saw the disconnect; the fd is no longer ours
  };

  Conn(std::shared_ptr<Core> c, int f, IpAddress ip, HttpParserLimits limits)
      : core(std::move(c)), fd(f), peer_ip(ip), peer_ip_text(ip.ToString()), parser(limits) {}

  const std::shared_ptr<Core> core;
  const int fd;
  const IpAddress peer_ip;
  const std::string peer_ip_text;

  std::mutex mu;
  std::weak_ptr<Pistache::Tcp::Peer> peer;  // GUARDED_BY(mu)
  HttpRequestParser parser;                 // GUARDED_BY(mu)
  St st = St::kReading;                     // GUARDED_BY(mu)
  bool dispatching = false;  // the Pump() that started the current request is still on the stack
  bool continue_sent = false;
  int pending_writes = 0;    // queued in Pistache, completion not seen yet
  SteadyTime last_activity = steady_clock::now();
  SteadyTime request_started = last_activity;
  SteadyTime state_since = last_activity;

  // REQUIRES: mu held.
  void SetState(St s) {
    st = s;
    state_since = steady_clock::now();
  }
};

struct Core {
  HttpServerOptions opts;
  std::shared_ptr<Router> router;
  std::shared_ptr<Metrics> metrics;
  IpMatcher trusted;

  // Held shared while calling into Pistache from outside its workers; held
  // exclusively to flip `stopped` before the reactor goes away.
  std::shared_mutex life_mu;
  bool stopped = false;  // GUARDED_BY(life_mu)

  std::atomic<bool> draining{false};

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::unordered_map<Conn*, std::weak_ptr<Conn>> conns;
  std::unordered_map<int, SteadyTime> tainted;  // fd → until
  int in_flight = 0;

  std::mutex log_mu;

  void Log(const nlohmann::ordered_json& j) {
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (opts.access_log) {
      opts.access_log(line);
      return;
    }
    line += '\n';
    std::lock_guard<std::mutex> l(log_mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }

  void Register(const std::shared_ptr<Conn>& c) {
    std::lock_guard<std::mutex> l(mu);
    conns.emplace(c.get(), c);
  }
  void Unregister(Conn* c, bool taint_fd, int fd) {
    std::lock_guard<std::mutex> l(mu);
    conns.erase(c);
    if (taint_fd) tainted[fd] = steady_clock::now() + kTaint;
    cv.notify_all();
  }
  bool IsTainted(int fd) {
    std::lock_guard<std::mutex> l(mu);
    auto it = tainted.find(fd);
    if (it == tainted.end()) return false;
    if (it->second < steady_clock::now()) {
      tainted.erase(it);
      return false;
    }
    return true;
  }
  std::vector<std::shared_ptr<Conn>> Snapshot() {
    std::lock_guard<std::mutex> l(mu);
    std::vector<std::shared_ptr<Conn>> out;
    out.reserve(conns.size());
    for (auto& [k, w] : conns)
      if (auto c = w.lock()) out.push_back(std::move(c));
    return out;
  }
  void InFlight(int delta) {
    metrics->http_in_flight().Add(delta);
    std::lock_guard<std::mutex> l(mu);
    in_flight += delta;
    if (delta < 0) cv.notify_all();
  }
};

// Shuts the socket down so Pistache sees EOF and retires it.
// REQUIRES: c.mu held.
void ShutdownLocked(Conn& c, int how) {
  if (c.st == Conn::St::kClosed) return;
  ::shutdown(c.fd, how);
}

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

void Pump(const std::shared_ptr<Conn>& c);

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
  req.path_params = std::move(m.path_params);

  core.InFlight(+1);
  x->counted_in_flight = true;
  if (m.handler) {
    HttpResponse resp;
    std::string err = RunSafely([&] { resp = (*m.handler)(req); });
    if (!err.empty()) resp = HttpResponse::Text(500, "");
    Finish(x, std::move(resp), err);
    return;
  }
  auto responder = std::make_shared<Responder>(x);
  std::function<void(HttpResponse)> respond = [responder](HttpResponse r) {
    Finish(responder->x, std::move(r), "");
  };
  std::string err = RunSafely([&] { (*m.async_handler)(std::move(req), std::move(respond)); });
  if (!err.empty()) Finish(x, HttpResponse::Text(500, ""), err);
}

// Answers a request that never became one (framing error) and closes.
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

Status HttpServerOptions::Validate() const {
  std::vector<std::string> errors;
  in6_addr a6;
  in_addr a4;
  if (inet_pton(AF_INET, address.c_str(), &a4) != 1 && inet_pton(AF_INET6, address.c_str(), &a6) != 1)
    errors.push_back("address must be an IPv4 or IPv6 literal: \"" + address + "\"");
  if (threads < 1 || threads > 256) errors.push_back("threads must be in 1..256");
  if (max_body_bytes == 0) errors.push_back("max_body_bytes must be > 0");
  if (max_header_bytes < 256) errors.push_back("max_header_bytes must be ≥ 256");
  if (auto m = IpMatcher::Parse(trusted_proxies); !m.ok()) errors.push_back(m.status().message());
  if (client_cert_header.empty()) errors.push_back("client_cert_header must not be empty");
  if (shutdown_grace.count() < 0) errors.push_back("shutdown_grace must be ≥ 0");
  if (idle_timeout.count() <= 0) errors.push_back("idle_timeout must be > 0");
  if (request_timeout.count() <= 0) errors.push_back("request_timeout must be > 0");
  if (backlog < 1) errors.push_back("backlog must be ≥ 1");
  if (errors.empty()) return Status::Ok();
  std::string msg = "invalid HTTP server options: ";
  for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return InvalidArgument(msg);
}

class HttpServer::Impl {
 public:
  std::shared_ptr<Core> core;
  std::shared_ptr<Pistache::Aio::Reactor> reactor;
  std::vector<std::shared_ptr<Pistache::Tcp::Transport>> transports;
  int listen_fd = -1;
  int wake_fd = -1;
  uint16_t port = 0;
  std::thread acceptor;
  std::atomic<bool> stop_accepting{false};
  std::atomic<bool> stop_thread{false};
  std::mutex shutdown_mu;  // serialises Shutdown()
  bool shut_down = false;  // GUARDED_BY(shutdown_mu)
  size_t next_transport = 0;

  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void Wake() {
    uint64_t one = 1;
    ssize_t r = ::write(wake_fd, &one, sizeof one);
    (void)r;
  }

  void AcceptLoop() {
    SteadyTime next_sweep = steady_clock::now();
    while (!stop_thread.load()) {
      if (stop_accepting.load() && listen_fd >= 0) {
        // Closing the socket is what makes new connects fail fast (RST)
        // instead of queueing in a backlog nobody drains.
        ::close(listen_fd);
        listen_fd = -1;
      }
      pollfd fds[2] = {{wake_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
      int n = ::poll(fds, listen_fd >= 0 ? 2 : 1, static_cast<int>(kSweepEvery.count()));
      if (n > 0 && (fds[0].revents & POLLIN)) {
        uint64_t v;
        ssize_t r = ::read(wake_fd, &v, sizeof v);
        (void)r;
      }
      if (n > 0 && listen_fd >= 0 && (fds[1].revents & POLLIN)) AcceptSome();
      auto now = steady_clock::now();
      if (now >= next_sweep || core->draining.load()) {
        Sweep(now);
        next_sweep = now + kSweepEvery;
      }
    }
  }

  void AcceptSome() {
    for (int i = 0; i < 64; ++i) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          // Out of descriptors: back off instead of spinning on a ready socket.
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return;
      }
      for (int tries = 0; tries < 8 && core->IsTainted(fd); ++tries) {
        int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, fd + 1);
        ::close(fd);
        fd = moved;
        if (fd < 0) break;
      }
      if (fd < 0) continue;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::optional<IpAddress> ip;
      char text[INET6_ADDRSTRLEN] = {};
      if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, text, sizeof text);
      } else if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, text, sizeof text);
      }
      ip = IpAddress::Parse(text);
      if (!ip) {
        ::close(fd);
        continue;
      }
      HttpParserLimits limits;
      limits.max_body_bytes = core->opts.max_body_bytes;
      limits.max_header_bytes = core->opts.max_header_bytes;
      auto conn = std::make_shared<Conn>(core, fd, *ip, limits);
      try {
        auto peer = Pistache::Tcp::Peer::Create(fd, Pistache::Address::fromUnix(reinterpret_cast<sockaddr*>(&ss)));
        conn->peer = peer;
        peer->putData(kConnKey, conn);
        core->Register(conn);
        transports[next_transport++ % transports.size()]->handleNewPeer(peer);
      } catch (...) {
        core->Unregister(conn.get(), false, fd);
        ::close(fd);
      }
    }
  }

  // Timeouts and drain. Runs on the acceptor thread.
  void Sweep(SteadyTime now) {
    const bool draining = core->draining.load();
    const auto& o = core->opts;
    for (const auto& c : core->Snapshot()) {
      bool send_408 = false;
      {
        std::lock_guard<std::mutex> l(c->mu);
        switch (c->st) {
          case Conn::St::kReading:
            if (c->parser.Idle()) {
              if (draining || now - c->last_activity > o.idle_timeout) {
                ShutdownLocked(*c, SHUT_RDWR);
                c->SetState(Conn::St::kLingering);
              }
            } else if (now - c->request_started > o.request_timeout) {
              c->SetState(Conn::St::kBusy);
              send_408 = true;
            }
            break;
          case Conn::St::kClosing:
            if (now - c->state_since > kWriteStall) ShutdownLocked(*c, SHUT_RDWR);
            break;
          case Conn::St::kLingering:
            if (now - c->state_since > kLinger) ShutdownLocked(*c, SHUT_RDWR);
            break;
          case Conn::St::kBusy:
          case Conn::St::kClosed:
            break;
        }
      }
      if (send_408) RejectAndClose(c, 408, "request not received in time");
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, std::shared_ptr<Router> router,
                                                        std::shared_ptr<Metrics> metrics) {
  CERTME_RETURN_IF_ERROR(options.Validate());
  if (!router) return InvalidArgument("HttpServer: router is null");
  if (!metrics) metrics = std::make_shared<Metrics>();

  auto impl = std::make_unique<Impl>();
  auto core = std::make_shared<Core>();
  core->trusted = *IpMatcher::Parse(options.trusted_proxies);
  core->opts = std::move(options);
  core->router = std::move(router);
  core->metrics = std::move(metrics);
  impl->core = core;
  const HttpServerOptions& o = core->opts;

  // Socket setup: errors are values (a busy port is an expected failure).
  sockaddr_storage ss{};
  socklen_t ss_len;
  int family;
  if (inet_pton(AF_INET, o.address.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = family = AF_INET;
    a->sin_port = htons(o.port);
    ss_len = sizeof(sockaddr_in);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_pton(AF_INET6, o.address.c_str(), &a->sin6_addr);
    a->sin6_family = family = AF_INET6;
    a->sin6_port = htons(o.port);
    ss_len = sizeof(sockaddr_in6);
  }
  impl->listen_fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (impl->listen_fd < 0) return Unavailable("cannot create socket", std::strerror(errno));
  int one = 1;
  ::setsockopt(impl->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(impl->listen_fd, reinterpret_cast<sockaddr*>(&ss), ss_len) != 0) {
    return Unavailable("cannot bind " + o.address + ":" + std::to_string(o.port), std::strerror(errno));
  }
  if (::listen(impl->listen_fd, o.backlog) != 0) return Unavailable("cannot listen", std::strerror(errno));
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(impl->listen_fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  impl->port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  impl->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->wake_fd < 0) return Unavailable("cannot create eventfd", std::strerror(errno));

  // Threads created below inherit this mask: they never take SIGTERM/SIGINT
  // (left to WaitForTerminationSignal) nor SIGPIPE.
  sigset_t blocked = ServerBlockedSignals(), old;
  pthread_sigmask(SIG_BLOCK, &blocked, &old);
  try {
    impl->reactor = Pistache::Aio::Reactor::create();
    impl->reactor->init(Pistache::Aio::AsyncContext(static_cast<size_t>(o.threads), "certme-http"));
    auto key = impl->reactor->addHandler(std::make_shared<Pistache::Tcp::Transport>(std::make_shared<TcpHandler>()));
    for (auto& h : impl->reactor->handlers(key))
      impl->transports.push_back(std::static_pointer_cast<Pistache::Tcp::Transport>(h));
    impl->reactor->run();
  } catch (const std::exception& e) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return Internal("cannot start HTTP workers", e.what());
  }
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->AcceptLoop(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Shutdown() {
  std::lock_guard<std::mutex> guard(impl_->shutdown_mu);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  Core& core = *impl_->core;

  core.draining = true;
  impl_->stop_accepting = true;
  impl_->Wake();
  {
    // Wait for the answers in flight and for the connections to go.
    std::unique_lock<std::mutex> l(core.mu);
    auto deadline = steady_clock::now() + core.opts.shutdown_grace;
    core.cv.wait_until(l, deadline, [&] { return core.in_flight == 0 && core.conns.empty(); });
  }
  impl_->stop_thread = true;
  impl_->Wake();
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  {
    std::unique_lock<std::shared_mutex> life(core.life_mu);
    core.stopped = true;  // from now on nobody calls into Pistache
  }
  // Pistache never closes the fds of peers still open when it stops. Take
  // them now: destroying the reactor destroys the peers that own the Conns.
  const auto leftover = core.Snapshot();
  impl_->reactor->shutdown();
  // Destroying the reactor joins its workers; only then are these fds out
  // of every epoll set and safe to close.
  impl_->transports.clear();
  impl_->reactor.reset();
  for (const auto& c : leftover) {
    std::lock_guard<std::mutex> l(c->mu);
    if (c->st != Conn::St::kClosed) {
      ::close(c->fd);
      c->SetState(Conn::St::kClosed);
    }
  }
}

HttpServer::~HttpServer() { Shutdown(); }

}  // namespace certme
