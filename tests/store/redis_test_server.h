// A real redis-server for tests: started on 127.0.0.1 with a free port (or
// only a Unix socket) and its config, data and log in a temp dir; killed and
// removed on destruction, and killed by the kernel if the test process dies
// first (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace certme {

struct RedisTestServerOptions {
  // Listen only on <dir>/redis.sock (port 0) instead of TCP.
  bool unix_socket = false;
  // requirepass; empty for none.
  std::string password;
  // appendonly yes + appendfsync always: every acknowledged write is on disk.
  bool append_only = false;
  // Extra redis.conf lines.
  std::string extra_config;
  // "--sentinel": run as a Sentinel (extra_config holds its monitor lines).
  bool sentinel = false;
};

class RedisTestServer {
 public:
  // Unavailable when no redis-server is installed (the caller skips);
  // Internal when it is but does not come up.
  static StatusOr<std::unique_ptr<RedisTestServer>> Start(const RedisTestServerOptions& options);
  ~RedisTestServer();
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  int port() const { return port_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& dir() const { return dir_; }

  // SIGKILL, as a crash would.
  void Kill();
  // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
  void Pause();
  void Resume();
  // Starts it again (same port, dir and data) after Kill; waits until it
  // answers PING.
  Status Restart();

 private:
  RedisTestServer() = default;
  Status Launch();

  RedisTestServerOptions options_;
  std::string dir_;
  std::string conf_;
  std::string socket_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace certme
