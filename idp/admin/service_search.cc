#include "idp/admin/service_search.h"

#include "common/encoding.h"
#include "idp/admin/util.h"
#include "protocols/oidc/client.h"
#include "protocols/saml/service.h"

namespace certme::admin {
namespace {

constexpr size_t kMaxQueryBytes = 200;

// One code point's lower case (see FoldForSearch).
char32_t Lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == 0x15E || c == 0x15F) return 0x219;                       // Ş ş → ș
  if (c == 0x162 || c == 0x163) return 0x21B;                       // Ţ ţ → ț
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;           // Latin-1
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;         // Ā … Ķ
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;         // Ĺ … Ň
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;         // Ŋ … Ŷ
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;         // Ź … Ž
  if (c == 0x218 || c == 0x21A) return c + 1;                       // Ș Ț
  if (c >= 0x410 && c <= 0x42F) return c + 32;                      // А … Я
  if (c >= 0x400 && c <= 0x40F) return c + 80;                      // Ѐ … Џ
  return c;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string TrimSpaces(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool Has(const std::string& haystack, const std::string& folded_needle) {
  return FoldForSearch(haystack).find(folded_needle) != std::string::npos;
}

bool NameOrIdMatches(const std::string& text, const std::map<std::string, std::string>& names,
                     std::initializer_list<std::string> ids) {
  if (text.empty()) return true;
  for (const auto& [lang, name] : names)
    if (Has(name, text)) return true;
  for (const auto& id : ids)
    if (!id.empty() && Has(id, text)) return true;
  return false;
}

}  // namespace

std::string FoldForSearch(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(Lower(b));
      ++i;
      continue;
    }
    // Two- and three-byte sequences cover every letter folded; longer or
    // broken ones are copied byte by byte.
    size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += s[i++];
      continue;
    }
    char32_t c = len == 2 ? ((b & 0x1F) << 6) | (s[i + 1] & 0x3F)
                          : ((b & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    AppendUtf8(out, Lower(c));
    i += len;
  }
  return out;
}

ServiceQuery ServiceQuery::FromRequest(const HttpRequest& req) {
  ServiceQuery q;
  q.text = FoldForSearch(TrimSpaces(TruncateUtf8(req.Query("q").value_or(""), kMaxQueryBytes)));
  std::string env = req.Query("env").value_or("");
  if (env == kEnvTest || env == kEnvProduction) q.env = env;
  std::string protocol = req.Query("protocol").value_or("");
  if (protocol == kProtocolOidc || protocol == kProtocolSaml) q.protocol = protocol;
  q.msign = req.Query("msign").value_or("") == "yes";
  return q;
}

bool HasMsign(const nlohmann::json& definition) {
  auto it = definition.find("msign");
  return it != definition.end() && it->is_object();
}

bool HasMsign(const ServiceRecord& r) {
  return (r.test && HasMsign(r.test->definition)) || (r.production && HasMsign(r.production->definition));
}

bool Matches(const ServiceQuery& q, const ServiceRecord& r) {
  if (!q.protocol.empty() && r.protocol != q.protocol) return false;
  if (q.env == kEnvTest && !r.test) return false;
  if (q.env == kEnvProduction && !r.production) return false;
  if (q.msign && !HasMsign(r)) return false;
  return NameOrIdMatches(q.text, r.names,
                         {r.id, r.ProtocolId(kEnvTest), r.ProtocolId(kEnvProduction), r.contract_number});
}

bool Matches(const ServiceQuery& q, const FileService& f) {
  if (!q.protocol.empty() && f.protocol != q.protocol) return false;
  if (q.env == kEnvProduction) return false;  // file services live on this (test) bridge
  if (q.msign && !HasMsign(f.definition)) return false;
  return NameOrIdMatches(q.text, f.names, {f.id});
}

std::string FileService::DisplayName(std::string_view lang) const {
  for (std::string l : {std::string(lang), std::string("en"), std::string("ro"), std::string("ru")})
    if (auto it = names.find(l); it != names.end() && !it->second.empty()) return it->second;
  return id;
}

StatusOr<std::vector<FileService>> LoadFileServices(const std::string& oidc_clients_file,
                                                    const std::string& saml_services_file) {
  std::vector<FileService> out;
  if (!oidc_clients_file.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto clients, LoadClientsFromYaml(oidc_clients_file));
    for (const auto& c : clients) {
      nlohmann::json def = ClientToJson(c);
      def.erase("client_secret_sha256");
      out.push_back({std::string(kProtocolOidc), c.client_id, c.names, oidc_clients_file, std::move(def)});
    }
  }
  if (!saml_services_file.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto services, saml::LoadServicesFromYaml(saml_services_file));
    for (const auto& s : services)
      out.push_back({std::string(kProtocolSaml), s.entity_id, s.names, saml_services_file, saml::ServiceToJson(s)});
  }
  return out;
}

}  // namespace certme::admin
