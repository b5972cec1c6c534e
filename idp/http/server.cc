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
#include <sys/resource.h>
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
#include "idp/http/connection.h"
#include "idp/http/cookies.h"
#include "idp/http/proxy.h"
#include "idp/http/request_parser.h"
#include "idp/http/response.h"

namespace certme {

using namespace http_internal;  // the connection engine (connection.h)

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
  if (max_connections < 0) errors.push_back("max_connections must be ≥ 0");
  if (max_connections_per_address < 0) errors.push_back("max_connections_per_address must be ≥ 0");
  if (requests_per_second_per_address < 0) errors.push_back("requests_per_second_per_address must be ≥ 0");
  if (request_burst_per_address < 1) errors.push_back("request_burst_per_address must be ≥ 1");
  if (errors.empty()) return Status::Ok();
  std::string msg = "invalid HTTP server options: ";
  for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return InvalidArgument(msg);
}

// The descriptor limit minus what the rest of the process needs.
int DefaultMaxConnections() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 10000;
  return std::max<int>(16, static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 1 << 20)) - 128);
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
      if (!Admit(*ip, text, fd)) continue;
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

  // Connection caps (HttpServerOptions::max_connections*). False when the
  // connection was answered and closed here. Runs on the acceptor thread.
  bool Admit(const IpAddress& ip, const std::string& text, int fd) {
    const auto& o = core->opts;
    if (o.max_connections_per_address > 0 && !core->trusted.Contains(ip) &&
        core->ConnectionsFrom(text) >= o.max_connections_per_address) {
      // Counted before the answer: whoever sees the refusal sees it counted.
      core->metrics->http_refused_connections().Inc({"per_address"});
      RefuseConnection(fd, "429 Too Many Requests");
      return false;
    }
    if (core->ConnectionCount() < max_connections) return true;
    // At the cap: the connection waiting longest for a request makes room.
    std::shared_ptr<Conn> victim;
    SteadyTime oldest = SteadyTime::max();
    for (const auto& c : core->Snapshot()) {
      std::lock_guard<std::mutex> l(c->mu);
      if (c->st == Conn::St::kReading && c->last_activity < oldest) {
        oldest = c->last_activity;
        victim = c;
      }
    }
    if (!victim) {
      // Counted before the answer: whoever sees the refusal sees it counted.
      core->metrics->http_refused_connections().Inc({"busy"});
      RefuseConnection(fd, "503 Service Unavailable");
      return false;
    }
    {
      std::lock_guard<std::mutex> l(victim->mu);
      ShutdownLocked(*victim, SHUT_RDWR);
      victim->SetState(Conn::St::kLingering);
    }
    core->metrics->http_refused_connections().Inc({"evicted"});
    return true;
  }

  // One short answer without reading anything, then close. Non-blocking: a
  // client that does not read gets nothing rather than holding us.
  static void RefuseConnection(int fd, const char* status_line) {
    std::string answer = std::string("HTTP/1.1 ") + status_line +
                         "\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t n = ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    ::close(fd);
  }

  int max_connections = 0;

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
  impl->max_connections = o.max_connections > 0 ? o.max_connections : DefaultMaxConnections();
  if (o.requests_per_second_per_address > 0) {
    core->per_address = std::make_unique<RateLimiter>(RateLimit{
        .per_second = o.requests_per_second_per_address, .burst = o.request_burst_per_address});
  }

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
    auto key = impl->reactor->addHandler(std::make_shared<Pistache::Tcp::Transport>(NewTcpHandler()));
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
