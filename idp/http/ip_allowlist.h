// The addresses an MSign service may call the signing API from
// (docs/admin.md "MSign"). Entries are single addresses or CIDR blocks,
// IPv4 or IPv6, parsed strictly by common/ip_network.h (which states every
// rule: host bits after the prefix are refused, /0 is refused, IPv4-mapped
// IPv6 is the IPv4 address). The address checked is the one the
// trusted-proxy rules determined (idp/http/proxy.h, HttpRequest::client_ip),
// never a header a client could set.
//
// Fuzzed by tests/fuzz/ip_allowlist_fuzz.cc.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/ip_network.h"
#include "common/status.h"

namespace certme {

// Immutable after Parse(); safe for concurrent use.
class IpAllowlist {
 public:
  IpAllowlist() = default;  // allows nothing
  // "192.0.2.7", "10.0.0.0/8", "2001:db8::/32". Every bad entry is reported
  // at once, each with its reason (InvalidArgument). An empty list parses to
  // an allowlist that allows nothing; the MSign settings' validation is what
  // requires at least one entry.
  static StatusOr<IpAllowlist> Parse(const std::vector<std::string>& entries);

  // `client_ip`: a bare IPv4 or IPv6 address (IPv4-mapped IPv6 counts as the
  // IPv4 address). False for anything unparsable, including ports, brackets,
  // blocks and the empty string.
  bool Allows(std::string_view client_ip) const;

  // The entries in canonical text form ("10.0.0.0/8", "2001:db8::1").
  std::vector<std::string> Canonical() const;
  bool empty() const { return nets_.empty(); }

 private:
  std::vector<IpNetwork> nets_;
};

}  // namespace certme
