#include "protocols/claims/claims_catalogue.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace certme {
namespace claims_internal {
extern const std::string_view kBuiltInClaimsYaml;  // builtin_claims.cc (generated)
}  // namespace claims_internal
namespace {

constexpr std::pair<ClaimType, const char*> kTypeNames[] = {
    {ClaimType::kString, "string"}, {ClaimType::kBoolean, "boolean"},
    {ClaimType::kDate, "date"},     {ClaimType::kGender, "gender"},
    {ClaimType::kEmail, "email"},   {ClaimType::kPhone, "phone"},
    {ClaimType::kLocale, "locale"}, {ClaimType::kAddress, "address"},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// yyyy-MM-dd with a plausible month and day (OIDC Core §5.1 birthdate uses
// the ISO 8601 YYYY-MM-DD form; MPass BirthDate the same).
bool IsDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!IsDigit(v[i])) return false;
  int month = (v[5] - '0') * 10 + (v[6] - '0');
  int day = (v[8] - '0') * 10 + (v[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// E.164: '+' and 8 to 15 digits.
bool IsPhone(std::string_view v) {
  if (v.size() < 9 || v.size() > 16 || v[0] != '+') return false;
  for (size_t i = 1; i < v.size(); ++i)
    if (!IsDigit(v[i])) return false;
  return true;
}

bool IsPrintable(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

std::optional<ClaimType> ParseClaimType(std::string_view name) {
  for (const auto& [t, n] : kTypeNames)
    if (name == n) return t;
  return std::nullopt;
}

const char* ClaimTypeName(ClaimType type) {
  for (const auto& [t, n] : kTypeNames)
    if (t == type) return n;
  return "string";
}

StatusOr<ClaimsCatalogue> ClaimsCatalogue::FromDefinitions(std::vector<ClaimDefinition> defs) {
  std::vector<std::string> problems;
  std::set<std::string> keys, claims, saml;
  for (size_t i = 0; i < defs.size(); ++i) {
    const auto& d = defs[i];
    std::string where = "claims[" + std::to_string(i) + "]";
    if (d.key.empty()) problems.push_back(where + ": key is empty");
    if (d.oidc_claim.empty()) problems.push_back(where + ": oidc_claim is empty");
    if (d.scope.empty()) problems.push_back(where + ": scope is empty");
    if (d.scope == "openid") problems.push_back(where + ": scope openid releases only sub");
    if (!d.key.empty() && !keys.insert(d.key).second)
      problems.push_back(where + ": duplicate key " + d.key);
    if (!d.oidc_claim.empty() && !claims.insert(d.oidc_claim).second)
      problems.push_back(where + ": duplicate oidc_claim " + d.oidc_claim);
    if (!d.saml_name.empty() && !saml.insert(d.saml_name).second)
      problems.push_back(where + ": duplicate saml_name " + d.saml_name);
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return InvalidArgument("invalid claims catalogue: " + all);
  }
  ClaimsCatalogue c;
  c.defs_ = std::move(defs);
  return c;
}

StatusOr<ClaimsCatalogue> ClaimsCatalogue::FromYaml(std::string_view yaml) {
  // yaml-cpp reports errors by exception; this is configuration load, so
  // they are caught here and turned into a Status.
  std::vector<ClaimDefinition> defs;
  std::vector<std::string> problems;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    YAML::Node list = root["claims"];
    if (!list || !list.IsSequence()) return InvalidArgument("claims catalogue: `claims` list missing");
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node& n = list[i];
      if (!n.IsMap()) {
        problems.push_back("claims[" + std::to_string(i) + "]: not a mapping");
        continue;
      }
      auto text = [&](const char* field) {
        return n[field] && n[field].IsScalar() ? n[field].as<std::string>() : std::string();
      };
      ClaimDefinition d;
      d.key = text("key");
      d.oidc_claim = text("oidc_claim");
      d.scope = text("scope");
      d.saml_name = text("saml_name");
      d.format = text("format");
      auto type = ParseClaimType(text("type"));
      if (!type) {
        problems.push_back("claims[" + std::to_string(i) + "]: unknown type `" + text("type") + "`");
        continue;
      }
      d.type = *type;
      defs.push_back(std::move(d));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("claims catalogue: YAML error: ") + e.what());
  }
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    return InvalidArgument("invalid claims catalogue: " + all);
  }
  return FromDefinitions(std::move(defs));
}

StatusOr<ClaimsCatalogue> ClaimsCatalogue::BuiltIn() { return FromYaml(claims_internal::kBuiltInClaimsYaml); }

StatusOr<ClaimsCatalogue> ClaimsCatalogue::FileOrBuiltIn(const std::string& path) {
  return path.empty() ? BuiltIn() : LoadFile(path);
}

StatusOr<ClaimsCatalogue> ClaimsCatalogue::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("claims catalogue file not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return FromYaml(ss.str());
}

const ClaimDefinition* ClaimsCatalogue::ByKey(std::string_view key) const {
  for (const auto& d : defs_)
    if (d.key == key) return &d;
  return nullptr;
}

const ClaimDefinition* ClaimsCatalogue::ByOidcClaim(std::string_view claim) const {
  for (const auto& d : defs_)
    if (d.oidc_claim == claim) return &d;
  return nullptr;
}

const ClaimDefinition* ClaimsCatalogue::BySamlName(std::string_view saml_name) const {
  if (saml_name.empty()) return nullptr;
  for (const auto& d : defs_)
    if (d.saml_name == saml_name) return &d;
  return nullptr;
}

std::vector<const ClaimDefinition*> ClaimsCatalogue::ForScope(std::string_view scope) const {
  std::vector<const ClaimDefinition*> out;
  for (const auto& d : defs_)
    if (d.scope == scope) out.push_back(&d);
  return out;
}

std::vector<std::string> ClaimsCatalogue::Scopes() const {
  std::vector<std::string> out;
  for (const auto& d : defs_)
    if (std::find(out.begin(), out.end(), d.scope) == out.end()) out.push_back(d.scope);
  return out;
}

std::optional<nlohmann::json> ClaimsCatalogue::ToOidcValue(const ClaimDefinition& def,
                                                           std::string_view value) {
  if (!IsPrintable(value)) return std::nullopt;
  switch (def.type) {
    case ClaimType::kBoolean:
      if (value == "true" || value == "1") return nlohmann::json(true);
      if (value == "false" || value == "0") return nlohmann::json(false);
      return std::nullopt;
    case ClaimType::kGender:
      // OIDC Core §5.1: "female" and "male" are the defined values; MPass 0
      // (unspecified) is expressed by leaving the claim out.
      if (value == "1") return nlohmann::json("male");
      if (value == "2") return nlohmann::json("female");
      return std::nullopt;
    case ClaimType::kDate:
      if (!IsDate(value)) return std::nullopt;
      return nlohmann::json(std::string(value));
    case ClaimType::kPhone:
      if (!IsPhone(value)) return std::nullopt;
      return nlohmann::json(std::string(value));
    case ClaimType::kLocale:
      if (value != "ro" && value != "ru" && value != "en") return std::nullopt;
      return nlohmann::json(std::string(value));
    case ClaimType::kAddress:
      // OIDC Core §5.1.1: the address claim is a JSON object.
      if (value.empty()) return std::nullopt;
      return nlohmann::json{{"formatted", std::string(value)}};
    case ClaimType::kEmail:
      if (value.find('@') == std::string_view::npos) return std::nullopt;
      return nlohmann::json(std::string(value));
    case ClaimType::kString:
      if (value.empty()) return std::nullopt;
      return nlohmann::json(std::string(value));
  }
  return std::nullopt;
}

std::optional<std::string> ClaimsCatalogue::ToSamlValue(const ClaimDefinition& def,
                                                        std::string_view value) {
  if (!IsPrintable(value)) return std::nullopt;
  switch (def.type) {
    case ClaimType::kBoolean:
      if (value == "true" || value == "1") return "true";
      if (value == "false" || value == "0") return "false";
      return std::nullopt;
    case ClaimType::kGender:
      if (value == "0" || value == "1" || value == "2") return std::string(value);
      return std::nullopt;
    case ClaimType::kDate:
      if (!IsDate(value)) return std::nullopt;
      return std::string(value);
    case ClaimType::kPhone:
      if (!IsPhone(value)) return std::nullopt;
      return std::string(value);
    case ClaimType::kLocale:
      if (value != "ro" && value != "ru" && value != "en") return std::nullopt;
      return std::string(value);
    default:
      if (value.empty()) return std::nullopt;
      return std::string(value);
  }
}

}  // namespace certme
