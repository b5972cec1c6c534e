// Predicates on the text an administrator types: the console's field checks
// (service_definition.cc) are built from these.
#pragma once

#include <cstddef>
#include <string_view>

namespace certme::admin {

// A C0 control character or DEL (newlines included).
bool HasControl(std::string_view s);
// Code points of UTF-8 text (continuation bytes not counted).
size_t Utf8Chars(std::string_view s);
bool ValidUtf8(std::string_view s);
// One plain address: one @, a dotted domain, no spaces, quotes or brackets.
bool IsEmail(std::string_view s);
// yyyy-mm-dd, a real day between 1990 and 2200.
bool IsDate(std::string_view s);
// Absolute http(s) URL with a host, no fragment, no spaces, at most
// `max_bytes`.
bool IsHttpUrl(std::string_view u, size_t max_bytes);
// A DNS host name: dot-separated labels of letters, digits and hyphens
// (RFC 1123 §2.1); no scheme, port or path.
bool IsHostName(std::string_view h);

}  // namespace certme::admin
