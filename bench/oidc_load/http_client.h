// A small blocking HTTP/1.1 client for the load generator.
//
// Why not libcurl: its easy API costs tens of microseconds per request in
// setup and bookkeeping, which is the same order as a fast server's own work,
// so a load generator built on it would mostly measure itself. This client
// keeps one persistent (keep-alive) connection per worker, writes each request
// with one send() and parses the answer incrementally (RFC 9112): bodies
// delimited by Content-Length, chunked transfer coding, or connection close.
//
// Only loopback targets are accepted (ParseLoopbackUrl): the tool exists to
// measure a local server and must not be pointed at anyone else's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace certme::bench {

// ---------- URLs ----------

// An http:// origin on the loopback interface plus a path-and-query.
struct LoopbackUrl {
  std::string host;    // "127.0.0.1" or "localhost", as written
  uint16_t port = 80;
  std::string target;  // origin-form request target: "/path?query" (never empty)
  // "http://host:port" — the origin, for comparing URLs (RFC 6454 §4).
  std::string Origin() const;
};

// Parses an absolute http:// URL whose host is 127.0.0.1 or localhost.
// Anything else (https, other hosts, IPv6, userinfo, bad ports) is
// InvalidArgument: the load generator refuses non-local targets.
StatusOr<LoopbackUrl> ParseLoopbackUrl(std::string_view url);

// Resolves a Location header value against the origin of `base`
// (RFC 9110 §10.2.2; absolute URLs and absolute paths only, which is what
// servers send). The result must have the same origin as `base` (we only
// follow redirects to the server under test), else InvalidArgument.
StatusOr<LoopbackUrl> ResolveSameOrigin(const LoopbackUrl& base, std::string_view location);

// ---------- Responses ----------

struct ClientResponse {
  int status = 0;
  int version_minor = 1;  // HTTP/1.<minor>
  // Header fields in arrival order, names lowercased, values trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // False when the server asked to close (Connection: close, HTTP/1.0
  // without keep-alive, body delimited by close): the caller must reconnect.
  bool keep_alive = true;

  std::optional<std::string> Header(std::string_view lower_name) const;  // first value
  std::vector<std::string> Headers(std::string_view lower_name) const;
};

// Limits on what a response may contain; exceeding one is a parse error.
struct ResponseLimits {
  size_t max_header_bytes = 64 * 1024;
  size_t max_headers = 128;
  size_t max_body_bytes = 8 * 1024 * 1024;
};

// Incremental parser of one HTTP/1.1 response (RFC 9112 §4–§7). Feed bytes
// as they arrive; it reports when the message is complete and how many of
// the fed bytes belonged to it. 1xx interim responses are skipped. Not
// thread-safe; reuse with Reset().
class ResponseParser {
 public:
  enum class Result { kNeedMore, kDone, kError };

  explicit ResponseParser(ResponseLimits limits = {}) : limits_(limits) {}

  // Starts a new message. `head_request`: the request was HEAD, so the
  // response has no body whatever its headers say (RFC 9112 §6.3 item 1).
  void Reset(bool head_request = false);

  // Consumes bytes from `data`; `*consumed` is how many were used (bytes
  // after a complete message are left for the next one). After kDone or
  // kError further calls return the same result and consume nothing.
  Result Feed(std::string_view data, size_t* consumed);
  // The connection was closed by the peer: completes a close-delimited body,
  // anything else incomplete is an error.
  Result FeedEof();

  // REQUIRES: the last result was kDone.
  ClientResponse& response() { return response_; }
  // Why parsing failed (for error reports); empty unless kError.
  const std::string& error() const { return error_; }
  // True once any byte of the message has been consumed.
  bool started() const { return started_; }

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyUntilClose,
    kDone,
    kError,
  };
  Result Fail(std::string why);
  // Appends to line_ until LF; returns true when a full line is available
  // in line_ (without CR LF).
  bool TakeLine(std::string_view data, size_t* pos);
  bool ParseStatusLine();
  bool ParseHeaderLine();
  // Decides body framing after the header section.
  Result StartBody();

  ResponseLimits limits_;
  State state_ = State::kStatusLine;
  bool head_request_ = false;
  bool started_ = false;
  std::string line_;
  size_t header_bytes_ = 0;
  uint64_t remaining_ = 0;  // body or chunk bytes still expected
  ClientResponse response_;
  std::string error_;
};

// ---------- Connection ----------

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";  // origin-form
  // Extra header fields (Host, Connection and Content-Length are added).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Serializes a request for `host_header` (exposed for tests).
std::string SerializeRequest(const ClientRequest& request, std::string_view host_header);

struct ConnectionOptions {
  std::chrono::milliseconds io_timeout{5000};  // per send/recv, and connect
  ResponseLimits limits;
};

// One persistent connection to a loopback server. Connects lazily and
// reconnects when the server closed. Not thread-safe: one per worker.
class HttpConnection {
 public:
  HttpConnection(LoopbackUrl origin, ConnectionOptions options = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and reads the whole response.
  // A reused connection that the server had already closed (EOF or reset
  // before any response byte) is reopened and the request sent once more —
  // what browsers do (RFC 9112 §9.3.1); such retries are counted.
  // Errors: Unavailable (connect/reset/EOF), DeadlineExceeded (timeout),
  // Internal (malformed response). After an error the connection is closed.
  StatusOr<ClientResponse> RoundTrip(const ClientRequest& request);

  void Close();
  const LoopbackUrl& origin() const { return origin_; }
  std::chrono::milliseconds io_timeout() const { return options_.io_timeout; }
  uint64_t connects() const { return connects_; }
  uint64_t stale_retries() const { return stale_retries_; }

 private:
  Status Connect();
  Status SendAll(std::string_view data);
  // Reads one response; `*got_bytes` tells whether any byte arrived.
  StatusOr<ClientResponse> ReadResponse(bool head_request, bool* got_bytes);

  LoopbackUrl origin_;
  std::string host_header_;
  ConnectionOptions options_;
  int fd_ = -1;
  bool reused_ = false;  // at least one response already read on fd_
  std::string inbuf_;    // bytes received beyond the last response
  ResponseParser parser_;
  uint64_t connects_ = 0;
  uint64_t stale_retries_ = 0;
};

// ---------- Cookies ----------

// A per-user-agent cookie jar for one origin (RFC 6265 §5.3, reduced: one
// host, so Domain/Path are not consulted; Max-Age<=0 or a past Expires is
// not parsed — Max-Age=0 deletes, which is how servers clear cookies).
class CookieJar {
 public:
  // Applies every Set-Cookie of `response`.
  void Update(const ClientResponse& response);
  void Apply(std::string_view set_cookie_value);
  // "a=1; b=2", or empty when the jar is empty.
  std::string Header() const;
  void Clear() { cookies_.clear(); }
  size_t size() const { return cookies_.size(); }
  std::optional<std::string> Get(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> cookies_;  // insertion order
};

}  // namespace certme::bench
