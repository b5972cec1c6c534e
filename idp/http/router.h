// Request routing by method and path pattern. Protocol code registers plain
// handlers (common/http_message.h); the server asks Match() per request.
//
// Thread-safety: register every route before the server starts; after that
// Match() is safe from any number of threads (the router is only read).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"

namespace certme {

struct RouteOptions {
  // Default false: a 5xx answer from the handler reaches the client as a
  // generic body and the handler's body goes to the log only. Set it for
  // handlers whose 5xx bodies are written for clients and name no internals
  // (the readiness probe).
  bool expose_server_errors = false;
};

// The outcome of routing one request.
struct RouteMatch {
  // 0 when a route matched; otherwise the answer to send: 400 (undecodable
  // path), 404 (no pattern matches), 405 (pattern matches, method does not).
  int status = 404;
  std::string route;  // the matched pattern: the metrics/log label
  std::map<std::string, std::string, std::less<>> path_params;  // decoded
  std::shared_ptr<const HttpHandler> handler;         // one of these two is set
  std::shared_ptr<const AsyncHttpHandler> async_handler;  // when status == 0
  RouteOptions options;
  std::string allow;  // 405 only: the methods that would match, "GET, HEAD"
};

class Router {
 public:
  // Pattern: "/" followed by '/'-separated segments, each a literal or
  // ":name" (exactly one non-empty segment, percent-decoded into
  // path_params[name]). A literal segment beats a parameter at the same
  // position, so "/t/new" wins over "/t/:code". A GET route also answers
  // HEAD (the server drops the body). Route name = pattern.
  // Registering the same method and pattern twice, or a malformed pattern,
  // throws std::invalid_argument: a start-up programming error.
  void Handle(std::string method, std::string pattern, HttpHandler h);
  void Handle(std::string method, std::string pattern, HttpHandler h, RouteOptions options);
  void HandleAsync(std::string method, std::string pattern, AsyncHttpHandler h);
  void HandleAsync(std::string method, std::string pattern, AsyncHttpHandler h, RouteOptions options);
  void Get(std::string p, HttpHandler h) { Handle("GET", std::move(p), std::move(h)); }
  void Post(std::string p, HttpHandler h) { Handle("POST", std::move(p), std::move(h)); }

  // The answer to a GET or HEAD that matches no route (the server sends it
  // with status 404 whatever the handler set): a page for people. Without
  // one, a plain-text "not found".
  void HandleNotFound(HttpHandler h) { not_found_ = std::make_shared<const HttpHandler>(std::move(h)); }
  const std::shared_ptr<const HttpHandler>& not_found() const { return not_found_; }

  // `raw_path` is the path as received (no query), still percent-encoded:
  // it is split on '/' before decoding, so an encoded "%2F" stays inside its
  // segment.
  RouteMatch Match(std::string_view method, std::string_view raw_path) const;

 private:
  struct Segment {
    bool param = false;
    std::string text;  // literal text or parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    std::shared_ptr<const HttpHandler> handler;
    std::shared_ptr<const AsyncHttpHandler> async_handler;
    RouteOptions options;
  };
  void Add(Route r);

  std::vector<Route> routes_;
  std::shared_ptr<const HttpHandler> not_found_;
};

}  // namespace certme
