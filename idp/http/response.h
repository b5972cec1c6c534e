// What the adapter does to every answer before it goes on the wire: the
// browser-facing security headers, Set-Cookie serialisation, hiding of 5xx
// details, and HTTP/1.1 serialisation. Pure functions, tested without a
// socket (tests/idp/http/response_test.cc).
#pragma once

#include <string>
#include <string_view>

#include "common/http_message.h"

namespace certme {

// CSP for HTML pages unless HttpResponse::csp says otherwise: pages load
// their own CSS/JS/images only, post forms only to us, cannot be framed.
inline constexpr const char* kDefaultCsp =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// A handler may put an internal detail for the access log here (e.g. a
// Status::detail()); the adapter removes it from the answer and logs it.
inline constexpr const char* kLogDetailHeader = "X-Certme-Log-Detail";

struct ResponseContext {
  bool head = false;         // request method was HEAD: headers only
  bool keep_alive = true;    // whether the connection stays open after this answer
  bool http10 = false;       // the client spoke HTTP/1.0
  bool secure = false;       // the request reached us over TLS (directly or via a trusted proxy)
  bool dev_mode = false;     // HttpServerOptions::dev_mode
  bool expose_server_errors = false;  // RouteOptions::expose_server_errors
  std::string request_id;    // echoed as X-Request-Id
};

// Applies the policies, in place:
//  - status ≥ 500 (unless expose_server_errors): the body becomes a generic
//    "internal error" (JSON-shaped for JSON answers), handler headers other
//    than Content-Type and Retry-After are dropped;
//  - text/html: Content-Security-Policy (csp, else a handler-set header, else
//    kDefaultCsp), X-Frame-Options: DENY, Referrer-Policy: no-referrer;
//  - every answer: X-Content-Type-Options: nosniff; HTML and JSON answers:
//    Cache-Control: no-store unless the handler set Cache-Control;
//  - cookies serialised to Set-Cookie; `Secure` dropped only when dev_mode
//    and the request was plain HTTP;
//  - a header name that is not a token, or a value or cookie carrying CR, LF
//    or NUL (response splitting), turns the answer into a generic 500.
// Returns the internal detail to log ("" if none): the replaced 5xx body,
// the kLogDetailHeader value, or what was wrong with the headers.
std::string ApplyResponsePolicy(HttpResponse& r, const ResponseContext& ctx);

// Status line, Date, the handler's headers, Content-Length, Connection,
// X-Request-Id, blank line and body (omitted for HEAD, 1xx, 204, 304).
// Content-Length, Connection, Date and Transfer-Encoding from the handler
// are ignored: framing belongs to the adapter.
std::string SerializeResponse(const HttpResponse& r, const ResponseContext& ctx);

// A complete answer the adapter writes on its own (parse errors, 404, 405…).
HttpResponse PlainResponse(int status, std::string_view text);

const char* ReasonPhrase(int status);

}  // namespace certme
