#include "protocols/oidc/msign.h"

#include "common/ip_network.h"

namespace certme {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// A calendar date "YYYY-MM-DD" (years 1900..2999: a contract date).
bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto num = [&](size_t at, size_t n, int* out) {
    *out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      *out = *out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, m, d;
  if (!num(0, 4, &y) || !num(5, 2, &m) || !num(8, 2, &d)) return false;
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
  return d <= days;
}

}  // namespace

std::string_view SignerTypesName(MsignSettings::SignerTypes t) {
  switch (t) {
    case MsignSettings::SignerTypes::kPerson: return "person";
    case MsignSettings::SignerTypes::kOrganization: return "organization";
    case MsignSettings::SignerTypes::kBoth: return "both";
  }
  return "person";
}

std::optional<MsignSettings::SignerTypes> ParseSignerTypes(std::string_view name) {
  if (name == "person") return MsignSettings::SignerTypes::kPerson;
  if (name == "organization") return MsignSettings::SignerTypes::kOrganization;
  if (name == "both") return MsignSettings::SignerTypes::kBoth;
  return std::nullopt;
}

void CheckMsignSettings(const MsignSettings& m, std::vector<std::string>* problems) {
  auto bad = [&](std::string p) { problems->push_back(std::move(p)); };
  const std::string& n = m.contract_number;
  if (n.empty() || n.size() > kMaxMsignContractNumber)
    bad("MSign contract number must be 1.." + std::to_string(kMaxMsignContractNumber) + " characters");
  for (unsigned char c : n)
    if (c < 0x20 || c == 0x7F) {
      bad("MSign contract number must not contain control characters");
      break;
    }
  if (!IsDate(m.contract_date)) bad("MSign contract date must be a calendar date YYYY-MM-DD");
  if (m.ip_allow.empty()) bad("MSign needs at least one IP address or CIDR block the service calls from");
  if (m.ip_allow.size() > kMaxMsignIpEntries)
    bad("MSign allows at most " + std::to_string(kMaxMsignIpEntries) + " IP entries");
  for (size_t i = 0; i < m.ip_allow.size() && i < kMaxMsignIpEntries; ++i) {
    auto net = ParseIpNetwork(m.ip_allow[i]);
    if (!net.ok()) bad("MSign IP address " + net.status().message());
  }
}

nlohmann::json MsignToJson(const MsignSettings& m) {
  return nlohmann::json{{"contract_number", m.contract_number},
                        {"contract_date", m.contract_date},
                        {"ip_allow", m.ip_allow},
                        {"signer_types", std::string(SignerTypesName(m.signer_types))}};
}

std::optional<MsignSettings> MsignFromJson(const nlohmann::json& j, std::vector<std::string>* problems) {
  if (!j.is_object()) {
    problems->push_back("msign must be an object (contract_number, contract_date, ip_allow, signer_types)");
    return std::nullopt;
  }
  size_t before = problems->size();
  MsignSettings m;
  auto str = [&](const char* name, std::string* out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return;
    if (it->is_string()) *out = it->get<std::string>();
    else problems->push_back(std::string("msign.") + name + " must be a string");
  };
  str("contract_number", &m.contract_number);
  str("contract_date", &m.contract_date);
  if (auto it = j.find("ip_allow"); it != j.end() && !it->is_null()) {
    bool ok = it->is_array();
    if (ok)
      for (const auto& e : *it) {
        if (!e.is_string()) {
          ok = false;
          break;
        }
        m.ip_allow.push_back(e.get<std::string>());
      }
    if (!ok) problems->push_back("msign.ip_allow must be a list of strings");
  }
  std::string types = "person";
  str("signer_types", &types);
  if (auto t = ParseSignerTypes(types)) m.signer_types = *t;
  else problems->push_back("msign.signer_types must be person, organization or both");
  for (const auto& [key, value] : j.items())
    if (key != "contract_number" && key != "contract_date" && key != "ip_allow" && key != "signer_types")
      problems->push_back("msign: unknown member `" + key.substr(0, 40) + "`");
  if (problems->size() != before) return std::nullopt;
  return m;
}

}  // namespace certme
