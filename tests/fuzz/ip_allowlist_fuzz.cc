// Fuzzes the MSign IP allowlist (idp/http/ip_allowlist.h, common/ip_network.h).
// Properties: no crash; an entry that parses prints to a canonical text that
// parses back to the same block and allows the block's own base address; a
// refusal names the entry in printable text only; Allows never accepts text
// that is not a bare address.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_network.h"
#include "idp/http/ip_allowlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);

  auto net = certme::ParseIpNetwork(in);
  if (net.ok()) {
    auto again = certme::ParseIpNetwork(net->ToString());
    if (!again.ok() || again->v6 != net->v6 || again->bytes != net->bytes ||
        again->prefix_bits != net->prefix_bits)
      std::abort();
    auto base = certme::ParseIpHost(certme::IpNetwork{net->v6, net->bytes, net->v6 ? 128 : 32}.ToString());
    if (!base || !net->Contains(*base)) std::abort();
  } else {
    for (unsigned char c : net.status().message())
      if (c < 0x20 || c == 0x7F) std::abort();
  }

  // The bytes as a list of entries, one per line, and as an address to check.
  std::vector<std::string> entries;
  size_t start = 0;
  for (size_t i = 0; i <= in.size(); ++i) {
    if (i == in.size() || in[i] == '\n') {
      entries.push_back(in.substr(start, i - start));
      start = i + 1;
    }
  }
  auto list = certme::IpAllowlist::Parse(entries);
  static const certme::IpAllowlist fixed = *certme::IpAllowlist::Parse({"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"});
  bool allowed = fixed.Allows(in);
  if (allowed && !certme::ParseIpHost(in)) std::abort();
  if (list.ok()) {
    for (const std::string& e : entries) {
      auto host = certme::ParseIpHost(e);
      if (host && !list->Allows(e)) std::abort();  // every listed address is allowed
    }
  }
  return 0;
}
