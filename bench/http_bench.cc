// Requests/s through the whole HTTP adapter on a trivial route (GET /healthz):
// parse, route, handler, response policy, metrics, access log (to a no-op
// sink), write. The client is in the same process: raw sockets to
// 127.0.0.1, one connection per benchmark thread, so client and server share
// the machine's cores — compare runs on the same machine only.
//
//   http_bench [--benchmark_filter=…]    (server: 2 worker threads)
//
// KeepAlive: each thread reuses one HTTP/1.1 connection (what a front proxy
// does). NoKeepAlive: connect, one request with "Connection: close", read to
// EOF — the cost Pistache's default of answering "Connection: Close" imposed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "idp/http/server.h"

namespace {

std::unique_ptr<certme::HttpServer> g_server;
uint16_t g_port = 0;

int Connect() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(g_port);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response framed by Content-Length; returns its status or -1.
int ReadResponse(int fd, std::string& buf) {
  size_t end;
  char tmp[4096];
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
  size_t cl = buf.find("ontent-Length: ");
  size_t length = cl != std::string::npos && cl < end ? std::strtoul(buf.c_str() + cl + 15, nullptr, 10) : 0;
  while (buf.size() < end + 4 + length) {
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
  int status = std::atoi(buf.c_str() + 9);
  buf.erase(0, end + 4 + length);
  return status;
}

void BM_HealthzKeepAlive(benchmark::State& state) {
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n";
  int fd = Connect();
  if (fd < 0) {
    state.SkipWithError("connect failed");
    return;
  }
  std::string buf;
  for (auto _ : state) {
    if (!SendAll(fd, req) || ReadResponse(fd, buf) != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HealthzKeepAlive)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

void BM_HealthzNoKeepAlive(benchmark::State& state) {
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
  for (auto _ : state) {
    int fd = Connect();
    std::string buf;
    if (fd < 0 || !SendAll(fd, req) || ReadResponse(fd, buf) != 200) {
      if (fd >= 0) ::close(fd);
      state.SkipWithError("request failed");
      break;
    }
    char tmp[256];
    while (::recv(fd, tmp, sizeof tmp, 0) > 0) {
    }  // the server closes after the answer
    ::close(fd);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HealthzNoKeepAlive)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  certme::HttpServerOptions o;
  o.port = 0;
  o.threads = 2;
  o.access_log = [](const std::string&) {};
  auto router = std::make_shared<certme::Router>();
  auto metrics = std::make_shared<certme::Metrics>();
  certme::InstallOpsRoutes(*router, [] { return certme::Status::Ok(); }, metrics);
  auto s = certme::HttpServer::Start(o, router, metrics);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    return 1;
  }
  g_server = std::move(*s);
  g_port = g_server->port();

  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_server->Shutdown();
  return 0;
}
