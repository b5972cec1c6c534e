// Strict parsing of an IP address or CIDR block as a person registers it
// (an MSign service's allowed addresses, docs/admin.md "MSign"). The checks
// live here, below every layer, so the OIDC client's validation
// (protocols/oidc) and the allowlist the server applies (idp/http/
// ip_allowlist.h) accept exactly the same entries.
//
// The rules, each with its own error text:
// - a bare IPv4 dotted quad (no leading zeros, no shortened forms) or an IPv6
//   address in RFC 4291 §2.2 text form, no brackets, no port, no zone
//   ("%eth0"), no spaces;
// - an optional "/prefix": decimal, no sign or leading zero, at most 32 for
//   IPv4 and 128 for IPv6, and at least 1 (a /0 block is every address);
// - the block's host bits must be zero ("10.0.0.1/8" is refused and the error
//   names "10.0.0.0/8"): a stray host bit is almost always a typo for a
//   different, narrower or wider, range, and silently widening what may call
//   the signing API is the wrong guess;
// - an IPv4-mapped IPv6 address (::ffff:a.b.c.d, also as a block of prefix
//   ≥ 96) is the IPv4 address (block of prefix - 96), so a dual-stack
//   listener's client matches IPv4 entries.
// Fuzzed by tests/fuzz/ip_allowlist_fuzz.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

struct IpNetwork {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4; host bits are zero
  int prefix_bits = 0;              // 32 or 128 for a single address

  bool Contains(const IpNetwork& address) const;  // `address` taken as a single address
  // Canonical text: "192.0.2.7", "10.0.0.0/8", "2001:db8::/32" (RFC 5952).
  std::string ToString() const;
};

// Longest entry accepted (a full IPv6 block is 43 characters).
inline constexpr size_t kMaxIpNetworkText = 64;

// InvalidArgument naming the entry and what is wrong with it.
StatusOr<IpNetwork> ParseIpNetwork(std::string_view entry);

// A single bare address (IPv4, IPv6, IPv4-mapped folded to IPv4) as a /32 or
// /128 network; nullopt for anything else, including a prefix or a port.
std::optional<IpNetwork> ParseIpHost(std::string_view text);

}  // namespace certme
