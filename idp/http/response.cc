#include "idp/http/response.h"

#include <ctime>

#include "common/encoding.h"

namespace certme {
namespace {

bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool ValidHeaderName(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!IsTchar(c)) return false;
  return true;
}

// RFC 9110 §5.5: no CR, LF, NUL; we refuse every CTL but HTAB.
bool ValidHeaderValue(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  return true;
}

// RFC 6265 §4.1.1 cookie-octet; the path attribute value excludes CTLs and ';'.
bool ValidCookie(const SetCookie& c) {
  if (!ValidHeaderName(c.name)) return false;
  for (unsigned char ch : c.value) {
    bool ok = ch == 0x21 || (ch >= 0x23 && ch <= 0x2B) || (ch >= 0x2D && ch <= 0x3A) ||
              (ch >= 0x3C && ch <= 0x5B) || (ch >= 0x5D && ch <= 0x7E);
    if (!ok) return false;
  }
  for (unsigned char ch : c.path)
    if (ch < 0x20 || ch == 0x7F || ch == ';') return false;
  return true;
}

std::string MediaType(const HttpResponse& r) {
  std::string t = AsciiLower(r.headers.Get("content-type").value_or(""));
  size_t semi = t.find(';');
  if (semi != std::string::npos) t.resize(semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  return t;
}

bool IsJson(std::string_view media) {
  return media == "application/json" ||
         (media.size() > 5 && media.substr(media.size() - 5) == "+json");
}

void MakeGeneric(HttpResponse& r, int status, bool json) {
  HttpResponse g;
  g.status = status;
  if (auto ra = r.headers.Get("retry-after")) g.headers.Set("Retry-After", *ra);
  if (json) {
    g.headers.Set("Content-Type", "application/json");
    g.body = R"({"error":"server_error","error_description":"internal error"})";
  } else {
    g.headers.Set("Content-Type", "text/plain; charset=utf-8");
    g.body = "internal error";
  }
  r = std::move(g);
}

// IMF-fixdate (RFC 9110 §5.6.7), cached per thread per second.
const std::string& HttpDate() {
  thread_local std::time_t cached_at = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale names
    cached = buf;
    cached_at = now;
  }
  return cached;
}

}  // namespace

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

HttpResponse PlainResponse(int status, std::string_view text) {
  return HttpResponse::Text(status, std::string(text) + "\n");
}

std::string ApplyResponsePolicy(HttpResponse& r, const ResponseContext& ctx) {
  std::string detail;
  if (auto d = r.headers.Get(kLogDetailHeader)) {
    detail = *d;
    r.headers.Remove(kLogDetailHeader);
  }
  if (r.status < 100 || r.status > 999) {
    detail = "handler returned status " + std::to_string(r.status);
    MakeGeneric(r, 500, false);
  }

  // Response splitting: anything that would break the framing is a bug in
  // the handler, and the client gets nothing of what it produced.
  std::string bad;
  for (const auto& [name, value] : r.headers.entries())
    if (!ValidHeaderName(name) || !ValidHeaderValue(value)) bad = "invalid response header " + name;
  if (r.csp && !ValidHeaderValue(*r.csp)) bad = "invalid csp";
  for (const SetCookie& c : r.cookies)
    if (!ValidCookie(c)) bad = "invalid cookie " + c.name;
  if (!bad.empty()) {
    detail = bad;
    MakeGeneric(r, 500, false);
  }

  const std::string media = MediaType(r);
  if (r.status >= 500 && !ctx.expose_server_errors && bad.empty()) {
    if (detail.empty()) detail = r.body.substr(0, 512);
    MakeGeneric(r, r.status, IsJson(media));
  }

  const bool html = media == "text/html";
  const bool json = IsJson(media);
  if (html) {
    if (r.csp) r.headers.Set("Content-Security-Policy", *r.csp);
    else if (!r.headers.Has("content-security-policy")) r.headers.Set("Content-Security-Policy", kDefaultCsp);
    r.headers.Set("X-Frame-Options", "DENY");
    if (!r.headers.Has("referrer-policy")) r.headers.Set("Referrer-Policy", "no-referrer");
  }
  r.headers.Set("X-Content-Type-Options", "nosniff");
  if ((html || json) && !r.headers.Has("cache-control")) r.headers.Set("Cache-Control", "no-store");

  for (const SetCookie& c : r.cookies) {
    SetCookie out = c;
    // The Secure attribute would make a browser drop the cookie on plain
    // HTTP; only a developer's laptop is allowed to run that way.
    if (ctx.dev_mode && !ctx.secure) out.secure = false;
    r.headers.Add("Set-Cookie", out.Serialize());
  }
  r.cookies.clear();
  return detail;
}

std::string SerializeResponse(const HttpResponse& r, const ResponseContext& ctx) {
  const bool no_body = ctx.head || r.status < 200 || r.status == 204 || r.status == 304;
  std::string out;
  out.reserve(256 + (no_body ? 0 : r.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += ReasonPhrase(r.status);
  out += "\r\nDate: ";
  out += HttpDate();
  out += "\r\n";
  for (const auto& [name, value] : r.headers.entries()) {
    if (name == "content-length" || name == "connection" || name == "date" || name == "transfer-encoding" ||
        name == "x-request-id")
      continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!ctx.request_id.empty()) {
    out += "X-Request-Id: ";
    out += ctx.request_id;
    out += "\r\n";
  }
  if (r.status >= 200 && r.status != 204 && r.status != 304) {
    // HEAD: the length the GET would have had (RFC 9110 §8.6).
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  if (!ctx.keep_alive) out += "Connection: close\r\n";
  else if (ctx.http10) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!no_body) out += r.body;
  return out;
}

}  // namespace certme
