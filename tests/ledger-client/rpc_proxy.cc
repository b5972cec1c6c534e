#include "tests/ledger-client/rpc_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace certme {
namespace {

// Reads one HTTP message (headers + Content-Length body) from fd, keeping
// any surplus in *buffer. False on EOF/error.
bool ReadMessage(int fd, std::string* buffer, std::string* message) {
  for (;;) {
    const size_t end = buffer->find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      std::string headers = buffer->substr(0, end);
      for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t cl = headers.find("content-length:");
      if (cl != std::string::npos) length = std::stoul(headers.substr(cl + 15));
      if (buffer->size() >= end + 4 + length) {
        *message = buffer->substr(0, end + 4 + length);
        buffer->erase(0, end + 4 + length);
        return true;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30000) <= 0) return false;
    char chunk[16384];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

RpcProxy::RpcProxy() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  listen(listen_fd_, 64);
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(listen_fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  });
}

RpcProxy::~RpcProxy() {
  stopping_ = true;
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.swap(workers_);
  }
  for (auto& t : w) t.join();
}

void RpcProxy::DropAnswers(const std::string& needle, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  drop_needle_ = needle;
  drop_count_ = count;
}

std::vector<std::string> RpcProxy::Forwarded() {
  std::lock_guard<std::mutex> lock(mu_);
  return forwarded_;
}

void RpcProxy::Serve(int client) {
  std::string in_buf, up_buf;
  int up = -1;
  std::string request;
  while (!stopping_ && ReadMessage(client, &in_buf, &request)) {
    const int port = upstream_;
    if (port == 0) break;  // a node that is down
    if (up < 0) up = Connect(port);
    if (up < 0) break;
    std::string answer;
    if (!WriteAll(up, request) || !ReadMessage(up, &up_buf, &answer)) break;
    bool drop = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      forwarded_.push_back(request.substr(request.find("\r\n\r\n") + 4));
      if (drop_count_ > 0 && request.find(drop_needle_) != std::string::npos) {
        --drop_count_;
        drop = true;
      }
    }
    if (drop || !WriteAll(client, answer)) break;
  }
  if (up >= 0) close(up);
  close(client);
}

}  // namespace certme
