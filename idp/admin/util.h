// Small helpers shared by the console's parts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace certme::admin {

// "2026-01-02T03:04:05Z" (UTC) from unix milliseconds.
std::string Rfc3339(int64_t unix_millis);
// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string TruncateUtf8(std::string_view s, size_t max);

}  // namespace certme::admin
