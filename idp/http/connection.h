// The connection engine of HttpServer (internal to idp/http/): one Conn per
// TCP connection on Pistache's reactor, the server-wide Core they share, and
// the HTTP/1.1 exchange on a connection (parse, dispatch to the router,
// answer in order, keep-alive, linger). server.cc owns the listener, the
// acceptor/housekeeping thread and the lifetime; see its file comment for
// how a connection's fd is kept safe.
#pragma once

#include <signal.h>
#include <sys/socket.h>

#include <pistache/async.h>
#include <pistache/peer.h>
#include <pistache/tcp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/rate_limiter.h"
#include "idp/http/proxy.h"
#include "idp/http/request_parser.h"
#include "idp/http/server.h"

namespace certme::http_internal {


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

// Signals the server's threads must never take: termination goes to the
// sigwait()ing main thread, SIGPIPE is replaced by MSG_NOSIGNAL/EPIPE.
sigset_t ServerBlockedSignals();

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
  std::unordered_map<std::string, int> conns_per_address;  // peer address → open connections
  std::unordered_map<int, SteadyTime> tainted;  // fd → until
  int in_flight = 0;

  // Requests per client address; null when unlimited. Set before start.
  std::unique_ptr<RateLimiter> per_address;

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
    if (conns.emplace(c.get(), c).second) ++conns_per_address[c->peer_ip_text];
  }
  void Unregister(Conn* c, bool taint_fd, int fd) {
    std::lock_guard<std::mutex> l(mu);
    if (conns.erase(c) > 0) {
      auto it = conns_per_address.find(c->peer_ip_text);
      if (it != conns_per_address.end() && --it->second <= 0) conns_per_address.erase(it);
    }
    if (taint_fd) tainted[fd] = steady_clock::now() + kTaint;
    cv.notify_all();
  }
  int ConnectionCount() {
    std::lock_guard<std::mutex> l(mu);
    return static_cast<int>(conns.size());
  }
  int ConnectionsFrom(const std::string& address) {
    std::lock_guard<std::mutex> l(mu);
    auto it = conns_per_address.find(address);
    return it == conns_per_address.end() ? 0 : it->second;
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
void ShutdownLocked(Conn& c, int how);
// Parses and serves what the connection has buffered, one request at a time.
void Pump(const std::shared_ptr<Conn>& c);
// Answers `status` with `reason` and closes (a request that cannot be read).
void RejectAndClose(const std::shared_ptr<Conn>& c, int status, const std::string& reason);
// The Pistache handler feeding every connection's bytes to Pump.
std::shared_ptr<Pistache::Tcp::Handler> NewTcpHandler();

}  // namespace certme::http_internal
