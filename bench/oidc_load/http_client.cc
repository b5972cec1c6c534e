#include "bench/oidc_load/http_client.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/encoding.h"

namespace certme::bench {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 9110 §5.6.2 tchar.
bool IsTchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses a non-empty decimal without sign into *out; false on overflow.
bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + uint64_t(c - '0');
  }
  *out = v;
  return true;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace

// ---------- URLs ----------

std::string LoopbackUrl::Origin() const { return "http://" + host + ":" + std::to_string(port); }

StatusOr<LoopbackUrl> ParseLoopbackUrl(std::string_view url) {
  if (!StartsWithIgnoreCase(url, "http://"))
    return InvalidArgument("only http:// URLs on the loopback interface are accepted");
  std::string_view rest = url.substr(7);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return InvalidArgument("URLs with userinfo are not accepted");
  if (!authority.empty() && authority.front() == '[')
    return InvalidArgument("only 127.0.0.1 or localhost targets are accepted");
  LoopbackUrl out;
  size_t colon = authority.find(':');
  std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    uint64_t port = 0;
    if (!ParseDecimal(authority.substr(colon + 1), &port) || port == 0 || port > 65535)
      return InvalidArgument("bad port in URL");
    out.port = uint16_t(port);
  }
  if (host != "127.0.0.1" && !EqualsIgnoreCase(host, "localhost"))
    return InvalidArgument("refusing non-local target \"" + std::string(host) +
                           "\": only 127.0.0.1 or localhost");
  out.host = AsciiLower(host);
  size_t hash = tail.find('#');
  if (hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (tail.empty()) {
    out.target = "/";
  } else if (tail.front() == '?') {
    out.target = "/" + std::string(tail);
  } else {
    out.target = std::string(tail);
  }
  for (char c : out.target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return InvalidArgument("URL contains a control character or space");
  return out;
}

StatusOr<LoopbackUrl> ResolveSameOrigin(const LoopbackUrl& base, std::string_view location) {
  location = TrimOws(location);
  if (StartsWithIgnoreCase(location, "http://")) {
    CERTME_ASSIGN_OR_RETURN(LoopbackUrl url, ParseLoopbackUrl(location));
    if (url.host != base.host || url.port != base.port)
      return InvalidArgument("redirect leaves the server under test: " + std::string(location));
    return url;
  }
  if (location.empty() || location.front() != '/' || location.substr(0, 2) == "//")
    return InvalidArgument("unsupported Location (not absolute http:// or /path): " +
                           std::string(location));
  return ParseLoopbackUrl(base.Origin() + std::string(location));
}

// ---------- Responses ----------

std::optional<std::string> ClientResponse::Header(std::string_view lower_name) const {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return v;
  return std::nullopt;
}

std::vector<std::string> ClientResponse::Headers(std::string_view lower_name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers)
    if (n == lower_name) out.push_back(v);
  return out;
}

void ResponseParser::Reset(bool head_request) {
  state_ = State::kStatusLine;
  head_request_ = head_request;
  started_ = false;
  line_.clear();
  header_bytes_ = 0;
  remaining_ = 0;
  response_ = ClientResponse{};
  error_.clear();
}

ResponseParser::Result ResponseParser::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return Result::kError;
}

bool ResponseParser::TakeLine(std::string_view data, size_t* pos) {
  size_t nl = data.find('\n', *pos);
  size_t stop = nl == std::string_view::npos ? data.size() : nl;
  line_.append(data.substr(*pos, stop - *pos));
  *pos = nl == std::string_view::npos ? data.size() : nl + 1;
  if (nl == std::string_view::npos) return false;
  // RFC 9112 §2.2: a recipient may accept a bare LF as line terminator.
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool ResponseParser::ParseStatusLine() {
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  std::string_view l = line_;
  if (l.size() < 12 || l.substr(0, 7) != "HTTP/1." || !IsDigit(l[7]) || l[8] != ' ') return false;
  response_.version_minor = l[7] - '0';
  if (!IsDigit(l[9]) || !IsDigit(l[10]) || !IsDigit(l[11])) return false;
  if (l.size() > 12 && l[12] != ' ') return false;
  response_.status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
  return response_.status >= 100 && response_.status <= 599;
}

bool ResponseParser::ParseHeaderLine() {
  std::string_view l = line_;
  // RFC 9112 §5.2: obsolete line folding may be rejected.
  if (l.front() == ' ' || l.front() == '\t') return false;
  size_t colon = l.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view name = l.substr(0, colon);
  for (char c : name)
    if (!IsTchar(c)) return false;
  std::string_view value = TrimOws(l.substr(colon + 1));
  for (char c : value)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
  if (response_.headers.size() >= limits_.max_headers) return false;
  response_.headers.emplace_back(AsciiLower(name), std::string(value));
  return true;
}

ResponseParser::Result ResponseParser::StartBody() {
  ClientResponse& r = response_;
  // RFC 9112 §9.3: persistence.
  bool has_close = false, has_keep_alive = false;
  for (const auto& v : r.Headers("connection"))
    for (const auto& token : SplitTrimmed(v, ',')) {
      if (EqualsIgnoreCase(token, "close")) has_close = true;
      if (EqualsIgnoreCase(token, "keep-alive")) has_keep_alive = true;
    }
  r.keep_alive = r.version_minor >= 1 ? !has_close : (has_keep_alive && !has_close);

  // RFC 9112 §6.3: message body length, in the order the section gives.
  if (head_request_ || r.status == 204 || r.status == 304) {
    state_ = State::kDone;
    return Result::kDone;
  }
  std::vector<std::string> te = r.Headers("transfer-encoding");
  std::vector<std::string> cl = r.Headers("content-length");
  if (!te.empty()) {
    std::vector<std::string> codings;
    for (const auto& v : te)
      for (auto& c : SplitTrimmed(v, ',')) codings.push_back(c);
    // Item 3: with both, Transfer-Encoding wins and the connection must close.
    if (!cl.empty()) r.keep_alive = false;
    if (!codings.empty() && EqualsIgnoreCase(codings.back(), "chunked")) {
      state_ = State::kChunkSize;
      return Result::kNeedMore;
    }
    r.keep_alive = false;
    state_ = State::kBodyUntilClose;
    return Result::kNeedMore;
  }
  if (!cl.empty()) {
    // Item 5: differing or invalid Content-Length values are unrecoverable.
    std::optional<uint64_t> length;
    for (const auto& v : cl)
      for (const auto& part : SplitTrimmed(v, ',')) {
        uint64_t n = 0;
        if (!ParseDecimal(part, &n)) return Fail("invalid Content-Length");
        if (length && *length != n) return Fail("conflicting Content-Length values");
        length = n;
      }
    if (!length) return Fail("empty Content-Length");
    if (*length > limits_.max_body_bytes) return Fail("body larger than the limit");
    remaining_ = *length;
    if (remaining_ == 0) {
      state_ = State::kDone;
      return Result::kDone;
    }
    r.body.reserve(size_t(remaining_));
    state_ = State::kBodyLength;
    return Result::kNeedMore;
  }
  // Item 8: a response without framing runs until the server closes.
  r.keep_alive = false;
  state_ = State::kBodyUntilClose;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::Feed(std::string_view data, size_t* consumed) {
  size_t pos = 0;
  *consumed = 0;
  if (state_ == State::kDone) return Result::kDone;
  if (state_ == State::kError) return Result::kError;
  if (!data.empty()) started_ = true;
  while (pos < data.size()) {
    switch (state_) {
      case State::kStatusLine:
      case State::kHeaders:
      case State::kTrailers: {
        size_t before = pos;
        bool full = TakeLine(data, &pos);
        header_bytes_ += pos - before;
        if (header_bytes_ > limits_.max_header_bytes) return Fail("header section too large");
        if (!full) break;
        if (state_ == State::kStatusLine) {
          if (!ParseStatusLine()) return Fail("malformed status line");
          if (response_.status == 101) return Fail("unexpected 101 Switching Protocols");
          state_ = State::kHeaders;
        } else if (state_ == State::kHeaders) {
          if (line_.empty()) {
            if (response_.status < 200) {
              // Interim response (RFC 9110 §15.2): the real one follows.
              response_ = ClientResponse{};
              state_ = State::kStatusLine;
            } else {
              line_.clear();
              Result r = StartBody();
              if (r != Result::kNeedMore) {
                *consumed = pos;
                return r;
              }
            }
          } else if (!ParseHeaderLine()) {
            return Fail("malformed header field");
          }
        } else {  // trailers: parsed for framing only, then dropped
          if (line_.empty()) {
            line_.clear();
            state_ = State::kDone;
            *consumed = pos;
            return Result::kDone;
          }
        }
        line_.clear();
        break;
      }
      case State::kBodyLength:
      case State::kChunkData: {
        size_t n = size_t(std::min<uint64_t>(remaining_, data.size() - pos));
        response_.body.append(data.substr(pos, n));
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (state_ == State::kBodyLength) {
            state_ = State::kDone;
            *consumed = pos;
            return Result::kDone;
          }
          state_ = State::kChunkDataEnd;
        }
        break;
      }
      case State::kChunkSize:
      case State::kChunkDataEnd: {
        bool full = TakeLine(data, &pos);
        if (line_.size() > 1024) return Fail("chunk-size line too long");
        if (!full) break;
        if (state_ == State::kChunkDataEnd) {
          if (!line_.empty()) return Fail("missing CRLF after chunk data");
          state_ = State::kChunkSize;
          line_.clear();
          break;
        }
        // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF
        std::string_view l = line_;
        size_t semi = l.find(';');
        std::string_view hex = TrimOws(l.substr(0, semi));
        if (hex.empty() || hex.size() > 15) return Fail("bad chunk size");
        uint64_t size = 0;
        for (char c : hex) {
          int d;
          if (IsDigit(c)) d = c - '0';
          else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
          else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
          else return Fail("bad chunk size");
          size = size * 16 + uint64_t(d);
        }
        line_.clear();
        if (size == 0) {
          state_ = State::kTrailers;
          break;
        }
        if (response_.body.size() + size > limits_.max_body_bytes)
          return Fail("body larger than the limit");
        remaining_ = size;
        state_ = State::kChunkData;
        break;
      }
      case State::kBodyUntilClose: {
        if (response_.body.size() + (data.size() - pos) > limits_.max_body_bytes)
          return Fail("body larger than the limit");
        response_.body.append(data.substr(pos));
        pos = data.size();
        break;
      }
      case State::kDone:
      case State::kError:
        break;  // unreachable: returned above
    }
    if (response_.body.size() > limits_.max_body_bytes) return Fail("body larger than the limit");
  }
  *consumed = pos;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::FeedEof() {
  if (state_ == State::kBodyUntilClose) {
    response_.keep_alive = false;
    state_ = State::kDone;
    return Result::kDone;
  }
  if (state_ == State::kDone) return Result::kDone;
  if (state_ == State::kError) return Result::kError;
  return Fail(started_ ? "connection closed in the middle of a response"
                       : "connection closed before a response");
}

// ---------- Connection ----------

std::string SerializeRequest(const ClientRequest& request, std::string_view host_header) {
  std::string out;
  out.reserve(256 + request.body.size());
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(host_header).append("\r\n");
  // Ask for persistence explicitly: some servers close otherwise.
  out.append("Connection: keep-alive\r\n");
  for (const auto& [n, v] : request.headers) out.append(n).append(": ").append(v).append("\r\n");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  out.append("\r\n");
  out.append(request.body);
  return out;
}

HttpConnection::HttpConnection(LoopbackUrl origin, ConnectionOptions options)
    : origin_(std::move(origin)), options_(options), parser_(options.limits) {
  host_header_ = origin_.host + ":" + std::to_string(origin_.port);
}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reused_ = false;
  inbuf_.clear();
}

Status HttpConnection::Connect() {
  Close();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Unavailable("socket() failed", std::strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{};
  tv.tv_sec = options_.io_timeout.count() / 1000;
  tv.tv_usec = (options_.io_timeout.count() % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(origin_.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // both accepted hosts are 127.0.0.1
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int err = errno;
    ::close(fd);
    return Unavailable("connect failed", std::strerror(err));
  }
  fd_ = fd;
  ++connects_;
  return Status::Ok();
}

Status HttpConnection::SendAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return DeadlineExceeded("send timed out");
      return Unavailable("send failed", std::strerror(errno));
    }
    data.remove_prefix(size_t(n));
  }
  return Status::Ok();
}

StatusOr<ClientResponse> HttpConnection::ReadResponse(bool head_request, bool* got_bytes) {
  parser_.Reset(head_request);
  *got_bytes = false;
  char buf[16384];
  std::string_view pending = inbuf_;
  std::string carry;
  while (true) {
    if (!pending.empty()) {
      *got_bytes = true;
      size_t used = 0;
      auto r = parser_.Feed(pending, &used);
      if (r == ResponseParser::Result::kError)
        return Internal("malformed HTTP response", parser_.error());
      if (r == ResponseParser::Result::kDone) {
        carry.assign(pending.substr(used));
        inbuf_ = std::move(carry);
        return std::move(parser_.response());
      }
      pending = {};
      inbuf_.clear();
    }
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return DeadlineExceeded("response timed out");
      return Unavailable("recv failed", std::strerror(errno));
    }
    if (n == 0) {
      auto r = parser_.FeedEof();
      if (r == ResponseParser::Result::kDone) return std::move(parser_.response());
      return Unavailable("connection closed", parser_.error());
    }
    pending = std::string_view(buf, size_t(n));
  }
}

StatusOr<ClientResponse> HttpConnection::RoundTrip(const ClientRequest& request) {
  std::string wire = SerializeRequest(request, host_header_);
  bool head = request.method == "HEAD";
  for (int attempt = 0;; ++attempt) {
    if (fd_ < 0) CERTME_RETURN_IF_ERROR(Connect());
    bool was_reused = reused_;
    Status sent = SendAll(wire);
    bool got_bytes = false;
    StatusOr<ClientResponse> resp = sent.ok() ? ReadResponse(head, &got_bytes)
                                              : StatusOr<ClientResponse>(sent);
    if (resp.ok()) {
      reused_ = true;
      if (!resp->keep_alive) Close();
      return resp;
    }
    Close();
    // A keep-alive connection the server closed while idle: the request was
    // never processed, so sending it again is safe.
    bool stale = was_reused && !got_bytes && resp.status().code() == StatusCode::kUnavailable;
    if (!stale || attempt > 0) return resp.status();
    ++stale_retries_;
  }
}

// ---------- Cookies ----------

void CookieJar::Update(const ClientResponse& response) {
  for (const auto& v : response.Headers("set-cookie")) Apply(v);
}

void CookieJar::Apply(std::string_view set_cookie_value) {
  // RFC 6265 §5.2: name=value, then attributes separated by ';'.
  size_t semi = set_cookie_value.find(';');
  std::string_view pair = set_cookie_value.substr(0, semi);
  size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return;
  std::string name(TrimOws(pair.substr(0, eq)));
  std::string value(TrimOws(pair.substr(eq + 1)));
  if (name.empty()) return;
  bool remove = false;
  if (semi != std::string_view::npos) {
    for (const auto& attr : SplitTrimmed(set_cookie_value.substr(semi + 1), ';')) {
      size_t aeq = attr.find('=');
      std::string_view an = TrimOws(std::string_view(attr).substr(0, aeq));
      std::string_view av =
          aeq == std::string::npos ? std::string_view() : TrimOws(std::string_view(attr).substr(aeq + 1));
      if (EqualsIgnoreCase(an, "max-age")) {
        bool neg = !av.empty() && av.front() == '-';
        uint64_t n = 0;
        if (neg || (ParseDecimal(av, &n) && n == 0)) remove = true;
      } else if (EqualsIgnoreCase(an, "expires")) {
        std::tm tm{};
        std::string s(av);
        if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) != nullptr &&
            timegm(&tm) <= std::time(nullptr))
          remove = true;
      }
    }
  }
  for (auto it = cookies_.begin(); it != cookies_.end(); ++it) {
    if (it->first == name) {
      if (remove) cookies_.erase(it);
      else it->second = std::move(value);
      return;
    }
  }
  if (!remove) cookies_.emplace_back(std::move(name), std::move(value));
}

std::string CookieJar::Header() const {
  std::string out;
  for (const auto& [n, v] : cookies_) {
    if (!out.empty()) out.append("; ");
    out.append(n).append("=").append(v);
  }
  return out;
}

std::optional<std::string> CookieJar::Get(std::string_view name) const {
  for (const auto& [n, v] : cookies_)
    if (n == name) return v;
  return std::nullopt;
}

}  // namespace certme::bench
