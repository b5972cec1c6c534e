// Plain HTTP request/response values. Protocol code (protocols/) takes and
// returns these and never sees the HTTP framework (docs/ARCHITECTURE.md rule 1); the
// one adapter in idp/http converts to and from Pistache.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace certme {

// Case-insensitive header map (names are stored lowercased).
class HttpHeaders {
 public:
  void Set(std::string_view name, std::string value);   // replaces
  void Add(std::string_view name, std::string value);   // appends (Set-Cookie)
  std::optional<std::string> Get(std::string_view name) const;  // first value
  std::vector<std::string> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  void Remove(std::string_view name);
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // lowercased name, value
};

struct HttpRequest {
  std::string method;        // "GET", "POST", …
  std::string path;          // percent-decoded path, no query
  std::string raw_path;      // as received
  std::string raw_query;     // as received, without '?'
  Params query;              // decoded query parameters
  HttpHeaders headers;
  std::string body;
  // Decoded application/x-www-form-urlencoded body; empty for other types.
  Params form;
  std::map<std::string, std::string, std::less<>> cookies;
  // Named segments captured by the router (`/t/:code` → {"code": …}), decoded.
  std::map<std::string, std::string, std::less<>> path_params;
  std::string remote_addr;   // peer address (the proxy's, when behind one)
  std::string client_ip;     // X-Forwarded-For's client when the peer is trusted
  // PEM of the client certificate forwarded by a trusted TLS terminator
  // (mTLS, RFC 8705 tls_client_auth); empty when none.
  std::string client_cert_pem;
  bool secure = false;       // the original request came over TLS

  std::optional<std::string> Query(std::string_view n) const { return ParamGet(query, n); }
  std::optional<std::string> Form(std::string_view n) const { return ParamGet(form, n); }
  std::optional<std::string> Cookie(std::string_view n) const {
    auto it = cookies.find(n);
    if (it == cookies.end()) return std::nullopt;
    return it->second;
  }
};

enum class SameSite { kStrict, kLax, kNone };

struct SetCookie {
  std::string name;
  std::string value;
  std::string path = "/";
  int64_t max_age_seconds = -1;  // -1: session cookie; 0: delete
  bool http_only = true;
  bool secure = true;            // dropped only in development mode over plain HTTP
  SameSite same_site = SameSite::kLax;
  std::string Serialize() const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  std::vector<SetCookie> cookies;
  // HTML answers get the security headers (CSP, frame-ancestors…) from the
  // adapter; `csp` overrides the default policy for pages that need more.
  std::optional<std::string> csp;

  static HttpResponse Text(int status, std::string body, std::string type = "text/plain; charset=utf-8");
  static HttpResponse Json(int status, std::string body);
  static HttpResponse Html(int status, std::string body);
  static HttpResponse Redirect(std::string location, int status = 302);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// For long-polling / deferred answers: the handler calls `respond` exactly
// once, from any thread, possibly after returning.
using AsyncHttpHandler =
    std::function<void(HttpRequest, std::function<void(HttpResponse)> respond)>;

// Escapes &<>"' for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);

// The media type of a message's Content-Type, lowercased, without
// parameters ("application/json; charset=utf-8" → "application/json"); ""
// when there is none.
std::string MediaTypeOf(const HttpHeaders& headers);

}  // namespace certme
