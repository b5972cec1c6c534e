// A loopback HTTP proxy in front of a JSON-RPC node, for failure tests: it
// can be pointed at no node (connections are accepted and closed: a node
// that is down), and it can swallow the answer to the next request whose
// body contains a string after forwarding it (a node that goes away in the
// middle of a request, after acting on it).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace certme {

class RpcProxy {
 public:
  RpcProxy();  // listens on 127.0.0.1, a free port
  ~RpcProxy();
  RpcProxy(const RpcProxy&) = delete;
  RpcProxy& operator=(const RpcProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // 0 = no upstream: every connection is closed unanswered.
  void SetUpstream(int port) { upstream_ = port; }
  // The next `count` requests containing `needle` reach the node, but
  // their answers are dropped and the connection closed.
  void DropAnswers(const std::string& needle, int count);
  // Requests that reached the node, whole bodies.
  std::vector<std::string> Forwarded();

 private:
  void Serve(int client);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> upstream_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::string drop_needle_;
  int drop_count_ = 0;
  std::vector<std::string> forwarded_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace certme
