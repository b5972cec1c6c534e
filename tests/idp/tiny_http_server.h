// A minimal blocking HTTP/1.1 receiver for tests of outbound calls: accepts
// on 127.0.0.1:0, reads one request per connection, records it and answers
// with what `policy` returns (or never answers, when it returns -1, until the
// server stops).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace certme::testing {

struct ReceivedRequest {
  std::string head;  // request line and headers
  std::string body;
};

class TinyHttpServer {
 public:
  // policy(n) → status for the n-th request (0-based); -1 = hang.
  explicit TinyHttpServer(std::function<int(int)> policy) : policy_(std::move(policy)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : handlers_) t.join();
  }
  int port() const { return port_; }
  std::string Url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> Received() {
    std::lock_guard<std::mutex> l(mu_);
    return received_;
  }

 private:
  void Loop() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      int n = count_++;
      handlers_.emplace_back([this, c, n] { Serve(c, n); });
    }
  }
  void Serve(int c, int n) {
    std::string data;
    char buf[4096];
    size_t need = std::string::npos;
    while (true) {
      auto hdr_end = data.find("\r\n\r\n");
      if (hdr_end != std::string::npos && need == std::string::npos) {
        auto pos = data.find("Content-Length: ");
        size_t len = pos == std::string::npos ? 0 : std::stoul(data.substr(pos + 16));
        need = hdr_end + 4 + len;
      }
      if (need != std::string::npos && data.size() >= need) break;
      ssize_t r = recv(c, buf, sizeof buf, 0);
      if (r <= 0) break;
      data.append(buf, size_t(r));
    }
    auto hdr_end = data.find("\r\n\r\n");
    {
      std::lock_guard<std::mutex> l(mu_);
      received_.push_back({data.substr(0, hdr_end), hdr_end == std::string::npos ? "" : data.substr(hdr_end + 4)});
    }
    int status = policy_(n);
    if (status < 0) {
      while (!stop_) usleep(10000);
    } else {
      std::string resp = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    }
    close(c);
  }

  std::function<int(int)> policy_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::thread thread_;
  std::vector<std::thread> handlers_;  // only touched by the accept thread, joined after it
  std::mutex mu_;
  std::vector<ReceivedRequest> received_;
};

}  // namespace certme::testing
