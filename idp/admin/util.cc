#include "idp/admin/util.h"

#include <ctime>

#include "common/encoding.h"

namespace certme::admin {

std::string Rfc3339(int64_t unix_millis) {
  time_t t = static_cast<time_t>(unix_millis / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

}  // namespace certme::admin
