#include "idp/http/ip_allowlist.h"

namespace certme {

StatusOr<IpAllowlist> IpAllowlist::Parse(const std::vector<std::string>& entries) {
  IpAllowlist list;
  std::string problems;
  for (const std::string& e : entries) {
    auto net = ParseIpNetwork(e);
    if (!net.ok()) {
      problems += (problems.empty() ? "" : "; ") + net.status().message();
      continue;
    }
    list.nets_.push_back(*net);
  }
  if (!problems.empty()) return InvalidArgument("IP allowlist: " + problems);
  return list;
}

bool IpAllowlist::Allows(std::string_view client_ip) const {
  auto host = ParseIpHost(client_ip);
  if (!host) return false;
  for (const IpNetwork& n : nets_)
    if (n.Contains(*host)) return true;
  return false;
}

std::vector<std::string> IpAllowlist::Canonical() const {
  std::vector<std::string> out;
  out.reserve(nets_.size());
  for (const IpNetwork& n : nets_) out.push_back(n.ToString());
  return out;
}

}  // namespace certme
