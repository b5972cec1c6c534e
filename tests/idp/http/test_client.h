// Minimal HTTP clients for tests against a real server on 127.0.0.1: a raw
// socket one (to send exactly the bytes a test needs, malformed included)
// and a libcurl one (a real client: Expect: 100-continue, keep-alive…).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"

namespace certme::testing {

// A connected TCP socket; closes on destruction.
class RawConn {
 public:
  explicit RawConn(uint16_t port);  // connects to 127.0.0.1:port; ok() says whether it worked
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool Send(std::string_view bytes);

  struct Response {
    int status = 0;
    HttpHeaders headers;
    std::string body;
  };
  // Reads one response framed by Content-Length (or none: no body);
  // nullopt on timeout, EOF or garbage. Extra bytes stay buffered.
  // `no_body`: the answer to a HEAD request (Content-Length but no body).
  std::optional<Response> Read(int timeout_ms = 3000, bool no_body = false);
  // True when the server closes the connection (EOF or reset) within the
  // timeout, after consuming anything it still sends.
  bool WaitClosed(int timeout_ms = 3000);

 private:
  bool Fill(int timeout_ms);  // reads more into buf_; false on EOF/timeout
  int fd_ = -1;
  std::string buf_;
};

// One request with libcurl (no proxy, no keep-alive reuse across calls).
struct CurlResult {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercased names
  std::string error;                                         // libcurl's, when status == 0
  std::optional<std::string> Header(std::string_view name) const;
};
CurlResult Curl(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {});

}  // namespace certme::testing
