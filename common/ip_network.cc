#include "common/ip_network.h"

#include <arpa/inet.h>

#include <cstring>

namespace certme {
namespace {

bool IsMapped(const std::array<uint8_t, 16>& b) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  return std::memcmp(b.data(), kPrefix, sizeof kPrefix) == 0;
}

// inet_pton on a bounded, NUL-terminated copy; the IPv4-mapped form folded.
std::optional<IpNetwork> ParseAddress(std::string_view text) {
  // inet_pton reads up to a NUL: "192.0.2.1\0junk" must not pass as 192.0.2.1.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpNetwork n;
  if (inet_pton(AF_INET, buf, n.bytes.data()) == 1) {
    n.prefix_bits = 32;
    return n;
  }
  std::array<uint8_t, 16> b{};
  if (inet_pton(AF_INET6, buf, b.data()) != 1) return std::nullopt;
  if (IsMapped(b)) {
    std::memcpy(n.bytes.data(), b.data() + 12, 4);
    n.prefix_bits = 32;
    return n;
  }
  n.v6 = true;
  n.bytes = b;
  n.prefix_bits = 128;
  return n;
}

bool HostBitsZero(const std::array<uint8_t, 16>& b, int width_bytes, int bits) {
  for (int i = 0; i < width_bytes; ++i) {
    int keep = bits - 8 * i;  // bits of byte i inside the prefix
    uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : static_cast<uint8_t>(0xFF << (8 - keep));
    if ((b[i] & ~mask) != 0) return false;
  }
  return true;
}

void ClearHostBits(std::array<uint8_t, 16>& b, int width_bytes, int bits) {
  for (int i = 0; i < width_bytes; ++i) {
    int keep = bits - 8 * i;
    uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : static_cast<uint8_t>(0xFF << (8 - keep));
    b[i] &= mask;
  }
}

// The entry quoted for an error text: printable ASCII only, bounded.
std::string Quote(std::string_view entry) {
  std::string out = "\"";
  for (unsigned char c : entry.substr(0, kMaxIpNetworkText)) out += (c >= 0x20 && c < 0x7F) ? char(c) : '?';
  if (entry.size() > kMaxIpNetworkText) out += "…";
  return out + "\"";
}

}  // namespace

bool IpNetwork::Contains(const IpNetwork& a) const {
  if (a.v6 != v6) return false;
  int width = v6 ? 16 : 4;
  for (int i = 0; i < width; ++i) {
    int keep = prefix_bits - 8 * i;
    if (keep <= 0) break;
    uint8_t mask = keep >= 8 ? 0xFF : static_cast<uint8_t>(0xFF << (8 - keep));
    if ((a.bytes[i] & mask) != bytes[i]) return false;
  }
  return true;
}

std::string IpNetwork::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  std::string out = buf;
  if (prefix_bits != (v6 ? 128 : 32)) out += "/" + std::to_string(prefix_bits);
  return out;
}

std::optional<IpNetwork> ParseIpHost(std::string_view text) { return ParseAddress(text); }

StatusOr<IpNetwork> ParseIpNetwork(std::string_view entry) {
  const std::string q = Quote(entry);
  if (entry.empty()) return InvalidArgument("empty IP address entry");
  if (entry.size() > kMaxIpNetworkText)
    return InvalidArgument(q + ": too long for an IP address or CIDR block");
  size_t slash = entry.find('/');
  std::string_view addr_text = entry.substr(0, slash);
  // inet_pton also refuses these, but a precise reason helps the person
  // filling in the form.
  if (addr_text.find('%') != std::string_view::npos)
    return InvalidArgument(q + ": an IPv6 zone (%…) has no meaning here");
  if (addr_text.find(']') != std::string_view::npos || addr_text.find('[') != std::string_view::npos)
    return InvalidArgument(q + ": write the address without brackets or port");
  bool mapped_text = false;
  auto net = ParseAddress(addr_text);
  if (!net) return InvalidArgument(q + ": not an IPv4 or IPv6 address");
  if (!net->v6 && addr_text.find(':') != std::string_view::npos) mapped_text = true;
  if (slash == std::string_view::npos) return *net;

  std::string_view p = entry.substr(slash + 1);
  const int max_bits = mapped_text ? 128 : net->v6 ? 128 : 32;
  bool digits = !p.empty() && p.size() <= 3 && !(p.size() > 1 && p[0] == '0');
  int bits = 0;
  for (char c : p) {
    if (c < '0' || c > '9') {
      digits = false;
      break;
    }
    if (bits <= 999) bits = bits * 10 + (c - '0');
  }
  if (!digits) return InvalidArgument(q + ": the prefix length after / must be a decimal number");
  if (bits > max_bits)
    return InvalidArgument(q + ": prefix /" + std::string(p) + " is longer than the address (at most /" +
                           std::to_string(max_bits) + ")");
  if (bits == 0) return InvalidArgument(q + ": a /0 block allows every address; name the service's addresses");
  if (mapped_text) {
    if (bits < 96) return InvalidArgument(q + ": an IPv4-mapped block needs a prefix of at least /96");
    bits -= 96;  // the same block written as IPv4
    if (bits == 0)
      return InvalidArgument(q + ": a /0 block allows every address; name the service's addresses");
  }
  const int width = net->v6 ? 16 : 4;
  if (!HostBitsZero(net->bytes, width, bits)) {
    IpNetwork meant = *net;
    ClearHostBits(meant.bytes, width, bits);
    meant.prefix_bits = bits;
    return InvalidArgument(q + ": host bits are set after the prefix; the block is " + meant.ToString());
  }
  net->prefix_bits = bits;
  return *net;
}

}  // namespace certme
