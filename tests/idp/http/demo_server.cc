// A small server for load tools and manual checks:
//   http_demo_server [port] [threads]
// serves /healthz, /readyz and /metrics on 127.0.0.1 with the access log
// off, prints "listening on <port>" and stops on SIGTERM/SIGINT.
#include <cstdio>
#include <cstdlib>

#include "common/signals.h"
#include "idp/http/server.h"

int main(int argc, char** argv) {
  certme::BlockTerminationSignals();
  certme::HttpServerOptions o;
  o.port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 0;
  o.threads = argc > 2 ? std::atoi(argv[2]) : 2;
  o.access_log = [](const std::string&) {};
  auto router = std::make_shared<certme::Router>();
  auto metrics = std::make_shared<certme::Metrics>();
  certme::InstallOpsRoutes(*router, [] { return certme::Status::Ok(); }, metrics);
  auto server = certme::HttpServer::Start(o, router, metrics);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %u\n", (*server)->port());
  std::fflush(stdout);
  certme::WaitForTerminationSignal();
  (*server)->Shutdown();
  return 0;
}
