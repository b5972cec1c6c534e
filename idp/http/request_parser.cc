#include "idp/http/request_parser.h"

#include <algorithm>
#include <utility>

namespace certme {
namespace {

// RFC 9110 §5.6.2: tchar.
bool IsTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsTchar(c); });
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A method longer than this is not one anybody serves; refusing early keeps
// a stream of junk without CRLF from filling the header budget first.
constexpr size_t kMaxMethodLength = 32;
// chunk-size line including extensions (RFC 9112 §7.1.1 puts no bound; we do).
constexpr size_t kMaxChunkLine = 1024;
constexpr size_t kMaxChunkHexDigits = 15;  // < 2^60: no overflow in size_t

}  // namespace

HttpRequestParser::HttpRequestParser(HttpParserLimits limits) : limits_(limits) {}

void HttpRequestParser::Append(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }

HttpRequestParser::State HttpRequestParser::Fail(int status, std::string reason) {
  phase_ = Phase::kError;
  error_status_ = status;
  error_reason_ = std::move(reason);
  return State::kError;
}

HttpRequestParser::State HttpRequestParser::Parse() {
  if (phase_ == Phase::kError) return State::kError;
  if (phase_ == Phase::kDone) return State::kComplete;
  if (phase_ == Phase::kHead) {
    State s = ParseHead();
    if (s != State::kComplete) return s;  // kNeedMore or kError
    if (phase_ == Phase::kDone) return State::kComplete;
  }
  return ParseBody();
}

ParsedHttpRequest HttpRequestParser::TakeRequest() {
  ParsedHttpRequest out = std::move(req_);
  req_ = ParsedHttpRequest{};
  phase_ = Phase::kHead;
  body_remaining_ = 0;
  trailer_bytes_ = 0;
  Compact();
  scan_from_ = pos_;
  return out;
}

void HttpRequestParser::Compact() {
  if (pos_ == 0) return;
  if (pos_ == buf_.size()) {
    buf_.clear();
    scan_from_ = 0;
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ > buf_.size() / 2) {
    buf_.erase(0, pos_);
    scan_from_ = scan_from_ > pos_ ? scan_from_ - pos_ : 0;
    pos_ = 0;
  }
}

HttpRequestParser::State HttpRequestParser::ParseHead() {
  // RFC 9112 §2.2: a server SHOULD ignore empty lines received before the
  // request-line (some clients send a CRLF after a POST body).
  while (buffered() >= 2 && buf_[pos_] == '\r' && buf_[pos_ + 1] == '\n') pos_ += 2;
  if (buffered() == 0 || (buffered() == 1 && buf_[pos_] == '\r')) {
    Compact();
    return State::kNeedMore;
  }
  scan_from_ = std::max(scan_from_, pos_);

  // Reject a request line that cannot be one as soon as its first bytes
  // arrive (a TLS ClientHello, binary junk): it gets its 400 immediately
  // instead of waiting for a CRLF that never comes.
  {
    size_t n = std::min(buffered(), kMaxMethodLength + 1);
    size_t i = 0;
    while (i < n && IsTchar(buf_[pos_ + i])) ++i;
    if (i < n && (i == 0 || buf_[pos_ + i] != ' ')) return Fail(400, "malformed request line");
    if (i > kMaxMethodLength) return Fail(400, "malformed request line");
  }

  // Find the blank line that ends the head. A bare LF anywhere in the head
  // is refused (RFC 9112 §2.2 lets us): it is how parsers disagree.
  size_t end = std::string::npos;  // index of the final "\r\n\r\n"
  for (size_t j = scan_from_; j < buf_.size(); ++j) {
    if (buf_[j] != '\n') continue;
    if (j == pos_ || buf_[j - 1] != '\r') return Fail(400, "bare LF in request head");
    if (j >= pos_ + 3 && buf_[j - 2] == '\n') {
      end = j - 3;
      break;
    }
  }
  const size_t line_end = buf_.find("\r\n", pos_);
  if (end == std::string::npos) {
    if (buffered() > limits_.max_header_bytes) {
      if (line_end == std::string::npos) return Fail(414, "request line too long");
      return Fail(431, "request header fields too large");
    }
    scan_from_ = buf_.size();
    return State::kNeedMore;
  }
  const size_t head_size = end + 4 - pos_;
  if (head_size > limits_.max_header_bytes) {
    if (line_end - pos_ > limits_.max_header_bytes) return Fail(414, "request line too long");
    return Fail(431, "request header fields too large");
  }

  std::string_view head(buf_.data() + pos_, end - pos_);
  size_t eol = head.find("\r\n");
  if (State s = ParseRequestLine(head.substr(0, eol)); s == State::kError) return s;
  while (eol != std::string_view::npos) {
    head.remove_prefix(eol + 2);
    eol = head.find("\r\n");
    if (State s = ParseHeaderLine(head.substr(0, eol)); s == State::kError) return s;
  }
  pos_ += head_size;
  scan_from_ = pos_;
  State s = DecideFraming();
  if (s == State::kError) return s;
  return State::kComplete;  // head done; Parse() continues with the body
}

HttpRequestParser::State HttpRequestParser::ParseRequestLine(std::string_view line) {
  // RFC 9112 §3: method SP request-target SP HTTP-version
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view target = rest.substr(0, sp2);
  std::string_view version = rest.substr(sp2 + 1);
  if (!IsToken(method) || target.empty()) return Fail(400, "malformed request line");
  for (unsigned char c : target) {
    // Visible ASCII only; '#' never travels in a request-target (RFC 9112 §3.2).
    if (c <= 0x20 || c >= 0x7F || c == '#') return Fail(400, "malformed request target");
  }

  // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return Fail(400, "malformed HTTP version");
  }
  if (version[5] != '1') return Fail(505, "HTTP version not supported");
  // A higher 1.x minor is answered as 1.1 (RFC 9110 §2.5).
  req_.minor_version = version[7] == '0' ? 0 : 1;
  req_.method.assign(method);

  if (target.front() == '/') {
    req_.target.assign(target);
  } else if (target == "*") {
    if (method != "OPTIONS") return Fail(400, "malformed request target");
    req_.target = "*";
  } else {
    // absolute-form (RFC 9112 §3.2.2): keep the path and query, drop the authority.
    size_t scheme_end = target.find("://");
    std::string_view scheme = scheme_end == std::string_view::npos ? "" : target.substr(0, scheme_end);
    if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https"))
      return Fail(400, "malformed request target");
    std::string_view after = target.substr(scheme_end + 3);
    size_t p = after.find_first_of("/?");
    if (p == 0) return Fail(400, "malformed request target");  // empty authority
    if (p == std::string_view::npos) {
      req_.target = "/";
    } else if (after[p] == '?') {
      req_.target = "/" + std::string(after.substr(p));
    } else {
      req_.target.assign(after.substr(p));
    }
  }
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::ParseHeaderLine(std::string_view line) {
  // RFC 9112 §5.2: obs-fold may be rejected with 400.
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
    return Fail(400, "obsolete line folding");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Fail(400, "malformed header field");
  // RFC 9112 §5.1: no whitespace between field name and colon.
  std::string_view name = line.substr(0, colon);
  if (!IsToken(name)) return Fail(400, "malformed header field");
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (unsigned char c : value) {
    // RFC 9110 §5.5: CR, LF and NUL (any CTL but HTAB) are invalid in values.
    if ((c < 0x20 && c != '\t') || c == 0x7F) return Fail(400, "malformed header field");
  }
  if (req_.headers.entries().size() >= limits_.max_header_count)
    return Fail(431, "too many header fields");
  req_.headers.Add(name, std::string(value));
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::DecideFraming() {
  const HttpHeaders& h = req_.headers;
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0.
  size_t hosts = h.GetAll("host").size();
  if (hosts > 1 || (req_.minor_version == 1 && hosts == 0))
    return Fail(400, "missing or duplicate Host");

  // Connection persistence, RFC 9112 §9.3.
  bool close = false, keep_alive = false;
  for (const std::string& v : h.GetAll("connection")) {
    for (const std::string& token : SplitTrimmed(v, ',')) {
      if (EqualsIgnoreCase(token, "close")) close = true;
      if (EqualsIgnoreCase(token, "keep-alive")) keep_alive = true;
    }
  }
  req_.keep_alive = !close && (req_.minor_version == 1 || keep_alive);

  for (const std::string& v : h.GetAll("expect")) {
    if (EqualsIgnoreCase(TrimOws(v), "100-continue") && req_.minor_version == 1)
      req_.expects_continue = true;
  }

  const std::vector<std::string> te = h.GetAll("transfer-encoding");
  const std::vector<std::string> cl = h.GetAll("content-length");
  if (!te.empty()) {
    // RFC 9112 §6.1: Transfer-Encoding in 1.0 is faulty framing; with a
    // Content-Length as well it is the classic smuggling shape: refuse both.
    if (req_.minor_version == 0) return Fail(400, "Transfer-Encoding in HTTP/1.0");
    if (!cl.empty()) return Fail(400, "both Transfer-Encoding and Content-Length");
    std::vector<std::string> codings;
    for (const std::string& v : te)
      for (std::string& c : SplitTrimmed(v, ',')) codings.push_back(AsciiLower(c));
    if (codings.empty()) return Fail(400, "empty Transfer-Encoding");
    // RFC 9112 §6.3: chunked must be final; we decode no other coding.
    if (codings.back() != "chunked") return Fail(400, "chunked is not the final transfer coding");
    if (codings.size() > 1) {
      bool dup = std::count(codings.begin(), codings.end(), "chunked") > 1;
      if (dup) return Fail(400, "chunked applied twice");
      return Fail(501, "transfer coding not implemented");
    }
    phase_ = Phase::kChunkSize;
    return State::kNeedMore;
  }
  if (!cl.empty()) {
    // RFC 9110 §8.6: 1*DIGIT; a list of identical values may be accepted,
    // anything else is unrecoverable framing.
    bool have = false, too_big = false;
    uint64_t length = 0;
    for (const std::string& v : cl) {
      std::vector<std::string> parts = SplitTrimmed(v, ',');
      if (parts.empty()) return Fail(400, "invalid Content-Length");
      for (const std::string& p : parts) {
        uint64_t n = 0;
        bool big = false;
        for (char c : p) {
          if (c < '0' || c > '9') return Fail(400, "invalid Content-Length");
          if (n > (UINT64_MAX - 9) / 10) big = true;
          else n = n * 10 + uint64_t(c - '0');
        }
        if (have && (big != too_big || n != length)) return Fail(400, "conflicting Content-Length");
        have = true;
        too_big = big;
        length = n;
      }
    }
    if (too_big || length > limits_.max_body_bytes) return Fail(413, "request body too large");
    body_remaining_ = static_cast<size_t>(length);
    phase_ = length == 0 ? Phase::kDone : Phase::kBodyLength;
    return State::kNeedMore;
  }
  phase_ = Phase::kDone;  // RFC 9112 §6.3 rule 7: no body
  return State::kNeedMore;
}

HttpRequestParser::State HttpRequestParser::ParseBody() {
  for (;;) {
    switch (phase_) {
      case Phase::kBodyLength: {
        size_t n = std::min(buffered(), body_remaining_);
        req_.body.append(buf_, pos_, n);
        pos_ += n;
        body_remaining_ -= n;
        if (body_remaining_ > 0) {
          Compact();
          return State::kNeedMore;
        }
        phase_ = Phase::kDone;
        break;
      }
      case Phase::kChunkSize: {
        size_t eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos) {
          // +1: the last byte may be the CR of a line exactly at the bound.
          if (buffered() > kMaxChunkLine + 1) return Fail(400, "malformed chunk size");
          Compact();
          return State::kNeedMore;
        }
        std::string_view line(buf_.data() + pos_, eol - pos_);
        if (line.size() > kMaxChunkLine) return Fail(400, "malformed chunk size");
        size_t i = 0;
        uint64_t size = 0;
        while (i < line.size() && HexDigit(line[i]) >= 0) {
          if (i >= kMaxChunkHexDigits) return Fail(413, "request body too large");
          size = size * 16 + uint64_t(HexDigit(line[i]));
          ++i;
        }
        if (i == 0) return Fail(400, "malformed chunk size");
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): ignored,
        // but it must start with ';' and carry no control characters.
        std::string_view ext = TrimOws(line.substr(i));
        if (!ext.empty() && ext.front() != ';') return Fail(400, "malformed chunk size");
        for (unsigned char c : ext)
          if ((c < 0x20 && c != '\t') || c == 0x7F) return Fail(400, "malformed chunk extension");
        pos_ = eol + 2;
        if (size == 0) {
          phase_ = Phase::kTrailers;
          break;
        }
        if (size > limits_.max_body_bytes - std::min(req_.body.size(), limits_.max_body_bytes))
          return Fail(413, "request body too large");
        body_remaining_ = static_cast<size_t>(size);
        phase_ = Phase::kChunkData;
        break;
      }
      case Phase::kChunkData: {
        size_t n = std::min(buffered(), body_remaining_);
        req_.body.append(buf_, pos_, n);
        pos_ += n;
        body_remaining_ -= n;
        if (body_remaining_ > 0) {
          Compact();
          return State::kNeedMore;
        }
        phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkDataEnd: {
        if (buffered() < 2) return State::kNeedMore;
        if (buf_[pos_] != '\r' || buf_[pos_ + 1] != '\n') return Fail(400, "malformed chunk");
        pos_ += 2;
        phase_ = Phase::kChunkSize;
        break;
      }
      case Phase::kTrailers: {
        // Trailer fields are read and dropped: nothing here acts on them.
        size_t eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos) {
          // What the partial line will add at least once it ends: nothing if
          // it is the CR of the closing empty line, else its bytes plus CRLF.
          const size_t k = buffered();
          const bool ends_in_cr = k > 0 && buf_.back() == '\r';
          const size_t at_least = k == 0 || (k == 1 && ends_in_cr) ? 0 : ends_in_cr ? k + 1 : k + 2;
          if (trailer_bytes_ + at_least > limits_.max_header_bytes)
            return Fail(431, "request header fields too large");
          Compact();
          return State::kNeedMore;
        }
        size_t len = eol - pos_;
        pos_ = eol + 2;
        if (len == 0) {
          phase_ = Phase::kDone;
          break;
        }
        trailer_bytes_ += len + 2;
        if (trailer_bytes_ > limits_.max_header_bytes)
          return Fail(431, "request header fields too large");
        break;
      }
      case Phase::kDone:
        return State::kComplete;
      case Phase::kError:
        return State::kError;
      case Phase::kHead:
        return State::kNeedMore;  // unreachable: Parse() handles the head
    }
  }
}

}  // namespace certme
