#include "idp/admin/multipart.h"

#include "common/encoding.h"

namespace certme::admin {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `key=value` or `key="value"` parameters after the first ';' of a header
// value. Quoted strings may hold ';' and backslash escapes (RFC 7230 §3.2.6).
bool HeaderParam(std::string_view value, std::string_view want, std::string* out) {
  size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return false;
    std::string key = AsciiLower(Trim(value.substr(i, eq - i)));
    size_t j = eq + 1;
    std::string v;
    if (j < value.size() && value[j] == '"') {
      ++j;
      bool closed = false;
      for (; j < value.size(); ++j) {
        if (value[j] == '\\' && j + 1 < value.size()) {
          v += value[++j];
        } else if (value[j] == '"') {
          closed = true;
          ++j;
          break;
        } else {
          v += value[j];
        }
      }
      if (!closed) return false;
      i = value.find(';', j);
    } else {
      size_t end = value.find(';', j);
      v = std::string(Trim(value.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j)));
      i = end;
    }
    if (key == want) {
      *out = std::move(v);
      return true;
    }
  }
  return false;
}

bool IsBoundaryChar(char c) {
  // RFC 2046 §5.1.1 bchars.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

}  // namespace

StatusOr<std::string> MultipartBoundary(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  if (AsciiLower(Trim(type)) != "multipart/form-data") return InvalidArgument("expected multipart/form-data");
  std::string b;
  if (!HeaderParam(content_type, "boundary", &b)) return InvalidArgument("multipart/form-data without a boundary");
  if (b.empty() || b.size() > 70 || b.back() == ' ') return InvalidArgument("malformed multipart boundary");
  for (char c : b)
    if (!IsBoundaryChar(c)) return InvalidArgument("malformed multipart boundary");
  return b;
}

StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                               const MultipartLimits& limits) {
  if (boundary.empty()) return InvalidArgument("malformed multipart boundary");
  const std::string delim = "--" + std::string(boundary);
  const std::string sep = "\r\n" + delim;
  // The first delimiter may be preceded by a preamble (ignored).
  size_t pos;
  if (body.substr(0, delim.size()) == delim) {
    pos = delim.size();
  } else {
    size_t at = body.find(sep);
    if (at == std::string_view::npos) return InvalidArgument("malformed multipart body: no boundary");
    pos = at + sep.size();
  }
  std::vector<FormPart> parts;
  while (true) {
    // After a delimiter: "--" closes, otherwise optional whitespace + CRLF.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return InvalidArgument("malformed multipart body");
    pos += 2;
    if (parts.size() >= limits.max_parts) return InvalidArgument("too many form parts");

    size_t header_end = body.find("\r\n\r\n", pos);
    // A part may have no headers at all: the blank line follows at once.
    bool no_headers = body.substr(pos, 2) == "\r\n";
    if (no_headers) header_end = pos - 2;
    if (header_end == std::string_view::npos) return InvalidArgument("malformed multipart part headers");
    if (header_end + 4 - pos > limits.max_part_header_bytes + 4)
      return InvalidArgument("multipart part headers too long");
    FormPart part;
    bool has_disposition = false;
    std::string_view headers = no_headers ? std::string_view() : body.substr(pos, header_end - pos);
    while (!headers.empty()) {
      size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return InvalidArgument("malformed multipart part header");
      std::string name = AsciiLower(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        std::string_view kind = Trim(value.substr(0, value.find(';')));
        if (AsciiLower(kind) != "form-data") return InvalidArgument("multipart part is not form-data");
        if (!HeaderParam(value, "name", &part.name)) return InvalidArgument("multipart part without a name");
        HeaderParam(value, "filename", &part.filename);
        has_disposition = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!has_disposition) return InvalidArgument("multipart part without Content-Disposition");
    if (part.name.empty() || part.name.size() > limits.max_name_bytes)
      return InvalidArgument("multipart part name missing or too long");
    if (part.filename.size() > 255) part.filename.resize(255);
    size_t data_start = header_end + 4;
    size_t data_end = body.find(sep, data_start);
    if (data_end == std::string_view::npos) return InvalidArgument("malformed multipart body: unterminated part");
    part.data = std::string(body.substr(data_start, data_end - data_start));
    parts.push_back(std::move(part));
    pos = data_end + sep.size();
  }
}

}  // namespace certme::admin
