// Text encodings used across the bridge. Every decoder takes untrusted input
// and reports failure instead of guessing (fuzzed: tests/fuzz/encoding_fuzz.cc).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certme {

std::string Base64UrlEncode(std::string_view bytes);  // RFC 4648 §5, no padding
std::optional<std::string> Base64UrlDecode(std::string_view text);  // padding optional
std::string Base64Encode(std::string_view bytes);     // RFC 4648 §4, padded
// Standard alphabet; ignores ASCII whitespace (SAML bodies wrap lines).
std::optional<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view bytes);  // lowercase
// Accepts an optional 0x prefix; odd length or non-hex digit → nullopt.
std::optional<std::string> HexDecode(std::string_view text);

// RFC 3986 §2.1 percent-decoding. When `plus_is_space` (form encoding,
// HTML §4.10.21.6) '+' becomes ' '. A '%' not followed by two hex digits is
// an error, not passed through.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);
// Encodes everything but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view text);

// Ordered multimap of decoded name/value pairs (query strings, form bodies).
using Params = std::multimap<std::string, std::string, std::less<>>;

// Parses `a=1&b=2` (application/x-www-form-urlencoded and query strings).
// Empty segments are skipped; a name without '=' gets an empty value.
// Fails on bad percent-escapes or more than `max_pairs` pairs.
std::optional<Params> ParseUrlEncoded(std::string_view text, size_t max_pairs = 1000);
std::string EncodeUrlEncoded(const std::vector<std::pair<std::string, std::string>>& pairs);

// First value of `name`, or nullopt.
std::optional<std::string> ParamGet(const Params& p, std::string_view name);
// Number of values of `name` (OAuth 2.0 §3.1: parameters must not repeat).
size_t ParamCount(const Params& p, std::string_view name);

// ASCII lowercase, for header names and case-insensitive tokens.
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Splits on `sep`, trimming ASCII spaces around parts, dropping empty parts.
std::vector<std::string> SplitTrimmed(std::string_view s, char sep);

}  // namespace certme
