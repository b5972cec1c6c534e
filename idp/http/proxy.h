// Trusted front proxies (nginx/haproxy terminating TLS, docs/ARCHITECTURE.md, shape): only
// a peer listed here may tell the bridge the client's address
// (X-Forwarded-For), the original scheme (X-Forwarded-Proto) and the TLS
// client certificate. From anyone else those headers are ignored — otherwise
// any client could claim any IP or present any certificate (RFC 8705
// tls_client_auth would be void).
//
// Fuzzed by tests/fuzz/http_forwarded_fuzz.cc.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme {

// A parsed IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is
// folded into IPv4 so a dual-stack listener matches IPv4 rules.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  // Accepts a bare address, "[v6]", "[v6]:port" and "v4:port" (what proxies
  // put in X-Forwarded-For); nullopt for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);
  std::string ToString() const;
};

// A set of addresses and CIDR blocks. Immutable after Parse(); safe for
// concurrent use.
class IpMatcher {
 public:
  IpMatcher() = default;
  // Entries like "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8". Reports every
  // bad entry at once (InvalidArgument).
  static StatusOr<IpMatcher> Parse(const std::vector<std::string>& entries);

  bool Contains(const IpAddress& ip) const;
  bool Contains(std::string_view ip) const;  // false when unparsable
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    IpAddress base;
    int prefix_bits = 0;
  };
  std::vector<Net> nets_;
};

// The client's address for a request whose TCP peer is the trusted proxy
// `peer`: X-Forwarded-For is read right to left (each proxy appends the
// address it saw) and the first hop that is not itself a trusted proxy is
// the client. An unparsable hop ends the walk at the last trustworthy one.
// REQUIRES: trusted.Contains(peer).
std::string ClientIpFromForwardedFor(const std::vector<std::string>& xff_values, const IpAddress& peer,
                                     const IpMatcher& trusted);

}  // namespace certme
