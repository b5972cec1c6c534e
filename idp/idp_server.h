// Assembles a running bridge from a Config: store, keys, claim catalogue,
// client registry, login, OpenID Connect provider, HTTP server and the ops
// routes. The CLI (`certme idp`) and in-process end-to-end tests both use it.
#pragma once

#include <memory>

#include "common/status.h"
#include "config/config.h"

namespace certme {

class Store;

// The Store a configuration names (sqlite, redis or memory), opened as the
// server opens it; for the commands that share the server's state
// (`certme admin create-user`).
StatusOr<std::unique_ptr<Store>> OpenConfiguredStore(const Config& config);

class IdpServer {
 public:
  // Builds and starts everything; the server is listening when this returns.
  // Errors name what failed (file, field) and are meant for the operator.
  static StatusOr<std::unique_ptr<IdpServer>> Start(const Config& config);
  ~IdpServer();

  // The bound port (useful with server.port 0).
  uint16_t port() const;
  // The metrics listener's bound port (server.metrics_address); 0 when none.
  uint16_t metrics_port() const;
  // The issuer / public base URL in force.
  const std::string& public_url() const;
  // Graceful: stop accepting, finish in-flight requests, flush outbound
  // logout deliveries. Idempotent.
  void Shutdown();

  struct Parts;  // everything the server owns, in construction order

 private:
  explicit IdpServer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace certme
