// Incremental HTTP/1.1 request framing (RFC 9112). The server feeds it the
// bytes read from a connection; it says when one request is complete, or
// which status to answer when the bytes cannot be a request.
//
// It replaces Pistache's own parser on the request path: that one does not
// answer a garbage request line, accepts a negative Content-Length, caps the
// whole request at a compile-time 4 KiB and cannot refuse an oversized body
// before reading it (docs/ARCHITECTURE.md, dependencies). This one is strict on purpose — a
// front proxy normalises well-behaved clients, and anything ambiguous about
// message framing is a request-smuggling vector, so it is refused with 400.
//
// Not thread-safe: one parser per connection, used under that connection's
// lock. Fuzzed by tests/fuzz/http_request_fuzz.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_message.h"

namespace certme {

struct HttpParserLimits {
  // Request line + header fields + the blank line; over it → 431 (414 when
  // the request line alone does not fit).
  size_t max_header_bytes = 16 << 10;
  // Decoded body (Content-Length or the sum of chunks); over it → 413.
  size_t max_body_bytes = 1 << 20;
  // Number of header fields; over it → 431.
  size_t max_header_count = 100;
};

// One request as framed on the wire; nothing is decoded yet.
struct ParsedHttpRequest {
  std::string method;         // a token, case preserved (RFC 9110 §9.1)
  std::string target;         // origin-form ("/p?q") or "*"; absolute-form reduced to origin-form
  int minor_version = 1;      // HTTP/1.<minor>: 0 or 1
  HttpHeaders headers;        // in order, names lowercased, values trimmed
  std::string body;           // de-chunked
  bool keep_alive = true;     // RFC 9112 §9.3: persistence the client asked for
  bool expects_continue = false;  // "Expect: 100-continue" (RFC 9110 §10.1.1)
};

class HttpRequestParser {
 public:
  enum class State {
    kNeedMore,  // feed more bytes
    kComplete,  // TakeRequest() returns the request; bytes after it stay buffered
    kError,     // answer error_status() and close: framing is lost
  };

  explicit HttpRequestParser(HttpParserLimits limits = {});

  // Buffers bytes read from the connection. Cheap; parsing happens in Parse().
  void Append(std::string_view bytes);
  // Advances over the buffered bytes. Idempotent once kComplete or kError.
  State Parse();
  // REQUIRES: Parse() returned kComplete. Starts the next request.
  ParsedHttpRequest TakeRequest();

  // The current request's head is parsed and its body is not complete: a
  // client sending "Expect: 100-continue" is waiting for an interim answer.
  bool AwaitingBody() const { return phase_ > Phase::kHead && phase_ < Phase::kDone; }
  // The head parsed so far (valid once AwaitingBody() or kComplete).
  const ParsedHttpRequest& current() const { return req_; }

  // kError only: the status to answer (400, 413, 414, 431, 501, 505) and a
  // short client-safe reason.
  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

  // Bytes buffered and not yet consumed.
  size_t buffered() const { return buf_.size() - pos_; }
  // No byte of a next request has arrived yet.
  bool Idle() const { return phase_ == Phase::kHead && buffered() == 0; }

 private:
  enum class Phase { kHead, kBodyLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kDone, kError };

  State Fail(int status, std::string reason);
  State ParseHead();
  State ParseRequestLine(std::string_view line);
  State ParseHeaderLine(std::string_view line);
  State DecideFraming();
  State ParseBody();
  void Compact();

  HttpParserLimits limits_;
  std::string buf_;
  size_t pos_ = 0;          // first unconsumed byte
  size_t scan_from_ = 0;    // where the search for the end of the head resumes
  Phase phase_ = Phase::kHead;
  ParsedHttpRequest req_;
  size_t body_remaining_ = 0;  // Content-Length left, or the current chunk's
  size_t trailer_bytes_ = 0;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace certme
