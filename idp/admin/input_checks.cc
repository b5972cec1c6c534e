#include "idp/admin/input_checks.h"

#include <string>

namespace certme::admin {

bool HasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

size_t Utf8Chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

bool IsEmail(std::string_view s) {
  if (s.size() < 3 || s.size() > 254 || HasControl(s)) return false;
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view domain = s.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  for (char c : s)
    if (c == ' ' || c == '<' || c == '>' || c == '"' || c == ',' || c == ';') return false;
  return true;
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int y = std::stoi(std::string(s.substr(0, 4))), m = std::stoi(std::string(s.substr(5, 2))),
      d = std::stoi(std::string(s.substr(8, 2)));
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  return true;
}

bool IsHttpUrl(std::string_view u, size_t max_bytes) {
  if (u.size() > max_bytes || HasControl(u) || u.find(' ') != std::string_view::npos) return false;
  if (u.find('#') != std::string_view::npos) return false;
  std::string_view rest;
  if (u.rfind("https://", 0) == 0) {
    rest = u.substr(8);
  } else if (u.rfind("http://", 0) == 0) {
    rest = u.substr(7);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?");
  std::string_view host = rest.substr(0, end);
  return !host.empty() && host.find('@') == std::string_view::npos && host.find('<') == std::string_view::npos &&
         host.find('>') == std::string_view::npos && host.find('"') == std::string_view::npos;
}

bool IsHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char ch : h) {
    if (ch == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               (ch == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = ch;
  }
  return label > 0 && prev != '-';
}

}  // namespace certme::admin
