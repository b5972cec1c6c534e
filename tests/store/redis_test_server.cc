#include "tests/store/redis_test_server.h"

#include <hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace certme {

namespace {

bool OnPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (!d.empty() && access((d + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string Tail(const std::string& file) {
  std::ifstream in(file);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

StatusOr<std::unique_ptr<RedisTestServer>> RedisTestServer::Start(
    const RedisTestServerOptions& options) {
  if (!OnPath("redis-server")) return Unavailable("redis-server is not installed");
  std::unique_ptr<RedisTestServer> s(new RedisTestServer());
  s->options_ = options;
  std::string tmpl = (std::filesystem::temp_directory_path() / "certme-redis-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Internal("mkdtemp failed");
  s->dir_ = tmpl;
  s->conf_ = s->dir_ + "/redis.conf";
  Status last = Internal("redis-server did not start");
  // The free port may be taken between the probe and redis binding it.
  for (int attempt = 0; attempt < 3; ++attempt) {
    s->port_ = options.unix_socket ? 0 : FreeLoopbackPort();
    std::ofstream conf(s->conf_, std::ios::trunc);
    conf << "bind 127.0.0.1\nport " << s->port_ << "\ndir " << s->dir_ << "\n"
         << "logfile " << s->dir_ << "/redis.log\n";
    if (!options.sentinel) {
      conf << "save \"\"\n";
      if (options.append_only) conf << "appendonly yes\nappendfsync always\n";
    }
    if (options.unix_socket) {
      s->socket_ = s->dir_ + "/redis.sock";
      conf << "unixsocket " << s->socket_ << "\nunixsocketperm 700\n";
    }
    if (!options.password.empty()) conf << "requirepass " << options.password << "\n";
    conf << options.extra_config << "\n";
    conf.close();
    last = s->Launch();
    if (last.ok()) return s;
    s->Kill();
  }
  return last;
}

Status RedisTestServer::Launch() {
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int out = open((dir_ + "/redis.out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    if (options_.sentinel) {
      execlp("redis-server", "redis-server", conf_.c_str(), "--sentinel", static_cast<char*>(nullptr));
    } else {
      execlp("redis-server", "redis-server", conf_.c_str(), static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  pid_ = pid;
  // Ready when it answers PING (or NOAUTH, which also means it is serving).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return Internal("redis-server exited at start", Tail(dir_ + "/redis.log") + Tail(dir_ + "/redis.out"));
    }
    timeval tv{1, 0};
    redisContext* c = options_.unix_socket ? redisConnectUnixWithTimeout(socket_.c_str(), tv)
                                           : redisConnectWithTimeout("127.0.0.1", port_, tv);
    bool up = false;
    if (c && !c->err) {
      redisSetTimeout(c, tv);
      auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
      if (r) {
        std::string text = r->str ? std::string(r->str, r->len) : "";
        // LOADING: still reading its AOF; not ready yet.
        up = r->type == REDIS_REPLY_STATUS || text.rfind("NOAUTH", 0) == 0;
        freeReplyObject(r);
      }
    }
    if (c) redisFree(c);
    if (up) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Internal("redis-server did not answer within 20 s", Tail(dir_ + "/redis.log"));
}

void RedisTestServer::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void RedisTestServer::Pause() {
  if (pid_ > 0) kill(pid_, SIGSTOP);
}

void RedisTestServer::Resume() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

Status RedisTestServer::Restart() {
  Kill();
  return Launch();
}

RedisTestServer::~RedisTestServer() {
  Kill();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace certme
