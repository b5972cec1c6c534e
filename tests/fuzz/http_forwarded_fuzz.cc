// Fuzzes the trusted-proxy helpers (idp/http/proxy.h): X-Forwarded-For
// walking and address parsing. Properties: no crash; a parsed address prints
// to something that parses back to itself; the client address chosen is
// always a valid address.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "idp/http/proxy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);

  if (auto ip = certme::IpAddress::Parse(in)) {
    auto again = certme::IpAddress::Parse(ip->ToString());
    if (!again || again->v6 != ip->v6 || again->bytes != ip->bytes) std::abort();
  }

  static const certme::IpMatcher trusted = *certme::IpMatcher::Parse({"10.0.0.0/8", "fd00::/8", "127.0.0.1"});
  static const certme::IpAddress peer = *certme::IpAddress::Parse("10.0.0.1");
  std::string client = certme::ClientIpFromForwardedFor({in}, peer, trusted);
  if (!certme::IpAddress::Parse(client)) std::abort();

  // The bytes as a trusted_proxies list, one entry per line.
  std::vector<std::string> entries;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\n') {
      entries.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  auto m = certme::IpMatcher::Parse(entries);
  if (m.ok()) (void)m->Contains(client);
  return 0;
}
