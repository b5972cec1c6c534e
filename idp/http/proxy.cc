#include "idp/http/proxy.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/encoding.h"

namespace certme {
namespace {

std::optional<IpAddress> ParseBare(std::string_view text) {
  // inet_pton stops at a NUL: "10.0.0.1\0junk" must not read as 10.0.0.1.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) return ip;
  in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&a6)) {
    std::memcpy(ip.bytes.data(), a6.s6_addr + 12, 4);
    return ip;
  }
  ip.v6 = true;
  std::memcpy(ip.bytes.data(), a6.s6_addr, 16);
  return ip;
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool PrefixEquals(const IpAddress& a, const IpAddress& b, int bits) {
  int full = bits / 8, rest = bits % 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && IsPort(rest.substr(1)))) return std::nullopt;
    auto ip = ParseBare(text.substr(1, close - 1));
    if (!ip || !ip->v6) return std::nullopt;
    return ip;
  }
  if (auto ip = ParseBare(text)) return ip;
  // "a.b.c.d:port": exactly one colon.
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos &&
      IsPort(text.substr(colon + 1))) {
    auto ip = ParseBare(text.substr(0, colon));
    if (ip && !ip->v6) return ip;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

StatusOr<IpMatcher> IpMatcher::Parse(const std::vector<std::string>& entries) {
  IpMatcher m;
  std::string bad;
  for (const std::string& e : entries) {
    std::string_view text = e;
    size_t slash = text.find('/');
    auto ip = ParseBare(text.substr(0, slash));
    int max_bits = ip && ip->v6 ? 128 : 32;
    int bits = max_bits;
    bool ok = ip.has_value();
    if (ok && slash != std::string_view::npos) {
      std::string_view p = text.substr(slash + 1);
      ok = !p.empty() && p.size() <= 3;
      bits = 0;
      for (char c : p.substr(0, 3)) {
        if (c < '0' || c > '9') ok = false;
        else bits = bits * 10 + (c - '0');
      }
      ok = ok && bits <= max_bits;
    }
    if (!ok) {
      bad += bad.empty() ? "" : ", ";
      bad += "\"" + e + "\"";
      continue;
    }
    m.nets_.push_back(Net{*ip, bits});
  }
  if (!bad.empty()) return InvalidArgument("trusted_proxies: not an IP address or CIDR block: " + bad);
  return m;
}

bool IpMatcher::Contains(const IpAddress& ip) const {
  for (const Net& n : nets_)
    if (n.base.v6 == ip.v6 && PrefixEquals(n.base, ip, n.prefix_bits)) return true;
  return false;
}

bool IpMatcher::Contains(std::string_view ip) const {
  auto parsed = IpAddress::Parse(ip);
  return parsed && Contains(*parsed);
}

std::string ClientIpFromForwardedFor(const std::vector<std::string>& xff_values, const IpAddress& peer,
                                     const IpMatcher& trusted) {
  std::vector<std::string> hops;
  for (const std::string& v : xff_values)
    for (std::string& h : SplitTrimmed(v, ',')) hops.push_back(std::move(h));
  IpAddress client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = IpAddress::Parse(*it);
    if (!ip) break;  // "unknown", obfuscated ids, junk: stop at the last known hop
    client = *ip;
    if (!trusted.Contains(client)) break;
  }
  return client.ToString();
}

}  // namespace certme
