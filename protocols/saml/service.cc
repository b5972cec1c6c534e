#include "protocols/saml/service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/encoding.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"
#include "protocols/yaml_json.h"

namespace certme::saml {
namespace {

constexpr std::string_view kServiceNs = "saml_sp";

bool IsHttpUrl(std::string_view u) {
  return (u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0) && u.size() > 8 &&
         u.find_first_of(" \t\r\n\"<>") == std::string_view::npos;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace

std::string SamlService::DisplayName(std::string_view lang) const {
  for (std::string_view l : {lang, std::string_view("ro"), std::string_view("en")}) {
    auto it = names.find(std::string(l));
    if (it != names.end() && !it->second.empty()) return it->second;
  }
  return entity_id;
}

Status ValidateService(const SamlService& s) {
  std::vector<std::string> p;
  if (s.entity_id.empty()) p.push_back("entity_id is required");
  if (s.entity_id.size() > 256) p.push_back("entity_id longer than 256 bytes");
  if (s.acs_urls.empty()) p.push_back("at least one acs_url is required");
  for (const auto& u : s.acs_urls)
    if (!IsHttpUrl(u)) p.push_back("acs_url is not an http(s) URL: " + u);
  if (!s.slo_url.empty() && !IsHttpUrl(s.slo_url)) p.push_back("slo_url is not an http(s) URL");
  if (!s.slo_response_url.empty() && !IsHttpUrl(s.slo_response_url))
    p.push_back("slo_response_url is not an http(s) URL");
  if (s.slo_binding != "post" && s.slo_binding != "redirect") p.push_back("slo_binding must be post or redirect");
  if (!s.slo_soap_url.empty() && !IsHttpUrl(s.slo_soap_url)) p.push_back("slo_soap_url is not an http(s) URL");
  if (s.name_id != kNameIdKindIdnp && s.name_id != kNameIdKindPersistent &&
      s.name_id != kNameIdKindTransient)
    p.push_back("name_id must be idnp, persistent or transient");
  if (s.certificate_pem.empty()) {
    if (s.require_signed_requests) p.push_back("certificate is required when requests must be signed");
    if (!s.slo_url.empty() || !s.slo_soap_url.empty()) p.push_back("certificate is required for Single Logout");
  } else if (!ParsePublicKeyFromCertificate(s.certificate_pem).ok()) {
    p.push_back("certificate is not a usable X.509 certificate");
  }
  // EncryptedAssertion: RSA-OAEP to this certificate (xenc.h), so an RSA key.
  if (s.encrypt_assertion && s.EncryptionCertificatePem().empty())
    p.push_back("encrypt_assertion needs an encryption certificate");
  if (!s.encryption_certificate_pem.empty()) {
    auto key = ParsePublicKeyFromCertificate(s.encryption_certificate_pem);
    if (!key.ok()) p.push_back("encryption certificate is not a usable X.509 certificate");
    else if (EVP_PKEY_get_base_id(BorrowEvpPkey(**key)) != EVP_PKEY_RSA)
      p.push_back("encryption certificate must hold an RSA key");
  } else if (s.encrypt_assertion && !s.certificate_pem.empty()) {
    auto key = ParsePublicKeyFromCertificate(s.certificate_pem);
    if (key.ok() && EVP_PKEY_get_base_id(BorrowEvpPkey(**key)) != EVP_PKEY_RSA)
      p.push_back("encrypt_assertion needs an RSA certificate");
  }
  if (!p.empty()) return InvalidArgument("SAML service " + s.entity_id + ": " + Join(p));
  return Status::Ok();
}

nlohmann::json ServiceToJson(const SamlService& s) {
  return {{"entity_id", s.entity_id},
          {"names", s.names},
          {"description", s.description},
          {"technical_contact", s.technical_contact},
          {"acs_urls", s.acs_urls},
          {"slo_url", s.slo_url},
          {"slo_response_url", s.slo_response_url},
          {"slo_binding", s.slo_binding},
          {"slo_soap_url", s.slo_soap_url},
          {"certificate_pem", s.certificate_pem},
          {"encryption_certificate_pem", s.encryption_certificate_pem},
          {"require_signed_requests", s.require_signed_requests},
          {"sign_assertion", s.sign_assertion},
          {"encrypt_assertion", s.encrypt_assertion},
          {"allow_sha1", s.allow_sha1},
          {"name_id", s.name_id},
          {"attributes", s.attributes}};
}

namespace {

Status Fill(const nlohmann::json& j, SamlService* s) {
  if (!j.is_object()) return InvalidArgument("SAML service must be an object");
  std::vector<std::string> p;
  auto str = [&](const char* k, std::string* out) {
    if (!j.contains(k)) return;
    if (j[k].is_string()) *out = j[k].get<std::string>();
    else p.push_back(std::string(k) + " must be a string");
  };
  auto boolean = [&](const char* k, bool* out) {
    if (!j.contains(k)) return;
    if (j[k].is_boolean()) *out = j[k].get<bool>();
    else p.push_back(std::string(k) + " must be true or false");
  };
  auto list = [&](const char* k, std::vector<std::string>* out) {
    if (!j.contains(k)) return;
    if (!j[k].is_array()) {
      p.push_back(std::string(k) + " must be a list");
      return;
    }
    out->clear();
    for (const auto& e : j[k]) {
      if (e.is_string()) out->push_back(e.get<std::string>());
      else p.push_back(std::string(k) + " entries must be strings");
    }
  };
  str("entity_id", &s->entity_id);
  if (j.contains("names")) {
    if (!j["names"].is_object()) {
      p.push_back("names must be a map of language to name");
    } else {
      for (auto it = j["names"].begin(); it != j["names"].end(); ++it)
        if (it.value().is_string()) s->names[it.key()] = it.value().get<std::string>();
    }
  }
  str("description", &s->description);
  str("technical_contact", &s->technical_contact);
  list("acs_urls", &s->acs_urls);
  str("slo_url", &s->slo_url);
  str("slo_response_url", &s->slo_response_url);
  str("slo_binding", &s->slo_binding);
  str("slo_soap_url", &s->slo_soap_url);
  str("certificate_pem", &s->certificate_pem);
  str("encryption_certificate_pem", &s->encryption_certificate_pem);
  boolean("require_signed_requests", &s->require_signed_requests);
  boolean("sign_assertion", &s->sign_assertion);
  boolean("encrypt_assertion", &s->encrypt_assertion);
  boolean("allow_sha1", &s->allow_sha1);
  str("name_id", &s->name_id);
  list("attributes", &s->attributes);
  if (!p.empty()) return InvalidArgument("SAML service " + s->entity_id + ": " + Join(p));
  return Status::Ok();
}

class StoreServiceRegistry : public ServiceRegistry {
 public:
  explicit StoreServiceRegistry(Store& store) : store_(store) {}
  StatusOr<SamlService> Get(std::string_view entity_id) override {
    if (entity_id.empty() || entity_id.size() > kMaxStoreKeyBytes) return NotFound("unknown service");
    CERTME_ASSIGN_OR_RETURN(std::string raw, store_.Get(kServiceNs, entity_id));
    auto j = nlohmann::json::parse(raw, nullptr, false);
    if (j.is_discarded()) return Internal("service record unreadable", std::string(entity_id));
    // Put validated the record; validating again would parse its
    // certificates on every request (OpenSSL 3's decoders made that most of
    // a flow's CPU outside the signature). Keys are parsed once by the IdP.
    SamlService s;
    CERTME_RETURN_IF_ERROR(Fill(j, &s));
    return s;
  }
  Status Put(const SamlService& s) override {
    CERTME_RETURN_IF_ERROR(ValidateService(s));
    return store_.Put(kServiceNs, s.entity_id, ServiceToJson(s).dump(), kNoExpiry);
  }
  Status Delete(std::string_view entity_id) override {
    if (entity_id.empty() || entity_id.size() > kMaxStoreKeyBytes) return Status::Ok();
    return store_.Delete(kServiceNs, entity_id);
  }
  StatusOr<std::vector<SamlService>> List() override {
    CERTME_ASSIGN_OR_RETURN(auto entries, store_.List(kServiceNs));
    std::vector<SamlService> out;
    for (const auto& e : entries) {
      auto j = nlohmann::json::parse(e.value, nullptr, false);
      if (j.is_discarded()) continue;
      auto s = ServiceFromJson(j);
      if (s.ok()) out.push_back(std::move(s).value());
    }
    return out;
  }

 private:
  Store& store_;
};


StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("file not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Resolve(const std::string& base, const std::string& p) {
  if (p.empty() || p[0] == '/') return p;
  return (std::filesystem::path(base) / p).string();
}

}  // namespace

StatusOr<SamlService> ServiceFromJson(const nlohmann::json& j) {
  SamlService s;
  CERTME_RETURN_IF_ERROR(Fill(j, &s));
  CERTME_RETURN_IF_ERROR(ValidateService(s));
  return s;
}

std::unique_ptr<ServiceRegistry> NewStoreServiceRegistry(Store& store) {
  return std::make_unique<StoreServiceRegistry>(store);
}

StatusOr<std::vector<SamlService>> ParseServicesYaml(std::string_view yaml, const std::string& base_dir) {
  auto parsed = ParseYamlAsJson(yaml);
  if (!parsed.ok()) return InvalidArgument("SAML services file: " + parsed.status().message());
  nlohmann::json doc = std::move(*parsed);
  if (!doc.is_object() || !doc.contains("services") || !doc["services"].is_array())
    return InvalidArgument("SAML services file: top-level `services` list missing");
  std::vector<SamlService> out;
  std::vector<std::string> problems;
  std::set<std::string> ids;
  for (auto entry : doc["services"]) {
    SamlService s;
    if (entry.is_object() && entry.contains("metadata_file") && entry["metadata_file"].is_string()) {
      auto xml = ReadFile(Resolve(base_dir, entry["metadata_file"].get<std::string>()));
      auto from_md = xml.ok() ? ServiceFromMetadata(*xml) : StatusOr<SamlService>(xml.status());
      if (!from_md.ok()) {
        problems.push_back(from_md.status().message());
        continue;
      }
      s = std::move(from_md).value();
      entry.erase("metadata_file");
    }
    for (const char* k : {"certificate_file", "encryption_certificate_file"}) {
      if (!entry.is_object() || !entry.contains(k) || !entry[k].is_string()) continue;
      auto pem = ReadFile(Resolve(base_dir, entry[k].get<std::string>()));
      if (!pem.ok()) {
        problems.push_back(pem.status().message());
        continue;
      }
      entry[std::string(k) == "certificate_file" ? "certificate_pem" : "encryption_certificate_pem"] = *pem;
      entry.erase(k);
    }
    Status st = Fill(entry, &s);
    if (st.ok()) st = ValidateService(s);
    if (!st.ok()) {
      problems.push_back(st.message());
      continue;
    }
    if (!ids.insert(s.entity_id).second) problems.push_back("duplicate entity_id " + s.entity_id);
    out.push_back(std::move(s));
  }
  if (!problems.empty()) return InvalidArgument("SAML services file: " + Join(problems));
  return out;
}

StatusOr<std::vector<SamlService>> LoadServicesFromYaml(const std::string& path) {
  CERTME_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseServicesYaml(text, std::filesystem::path(path).parent_path().string());
}

StatusOr<SamlService> ServiceFromMetadata(std::string_view metadata_xml) {
  CERTME_ASSIGN_OR_RETURN(auto doc, ParseUntrustedXml(metadata_xml, XmlLimits{.max_bytes = 1 << 20, .max_attributes = 64, .max_depth = 64}));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!IsElement(root, kNsMetadata, "EntityDescriptor"))
    return InvalidArgument("SP metadata: root is not md:EntityDescriptor");
  SamlService s;
  s.entity_id = Attr(root, "entityID").value_or("");
  size_t n = 0;
  xmlNode* sp = ChildElement(root, kNsMetadata, "SPSSODescriptor", &n);
  if (n != 1) return InvalidArgument("SP metadata: exactly one SPSSODescriptor expected");
  s.require_signed_requests = Attr(sp, "AuthnRequestsSigned").value_or("false") == "true";
  s.sign_assertion = Attr(sp, "WantAssertionsSigned").value_or("false") == "true";

  for (xmlNode* kd : ChildElements(sp, kNsMetadata, "KeyDescriptor")) {
    std::string use = Attr(kd, "use").value_or("");
    auto certs = Descendants(kd, kNsDsig, "X509Certificate");
    if (certs.empty()) continue;
    auto der = Base64Decode(Text(certs.front()));
    if (!der) return InvalidArgument("SP metadata: X509Certificate is not base64");
    std::string pem = CertificateDerToPem(*der);
    if ((use.empty() || use == "signing") && s.certificate_pem.empty()) s.certificate_pem = pem;
    if ((use.empty() || use == "encryption") && s.encryption_certificate_pem.empty())
      s.encryption_certificate_pem = pem;
  }

  struct Acs {
    bool is_default;
    int index;
    std::string url;
  };
  std::vector<Acs> acs;
  for (xmlNode* a : ChildElements(sp, kNsMetadata, "AssertionConsumerService")) {
    if (Attr(a, "Binding").value_or("") != kBindingPost) continue;
    int index = 0;
    try {
      index = std::stoi(Attr(a, "index").value_or("0"));
    } catch (...) {
      return InvalidArgument("SP metadata: ACS index is not a number");
    }
    acs.push_back({Attr(a, "isDefault").value_or("") == "true", index, Attr(a, "Location").value_or("")});
  }
  std::stable_sort(acs.begin(), acs.end(), [](const Acs& a, const Acs& b) {
    if (a.is_default != b.is_default) return a.is_default;
    return a.index < b.index;
  });
  for (const auto& a : acs) s.acs_urls.push_back(a.url);

  for (xmlNode* slo : ChildElements(sp, kNsMetadata, "SingleLogoutService"))
    if (Attr(slo, "Binding").value_or("") == kBindingSoap && s.slo_soap_url.empty())
      s.slo_soap_url = Attr(slo, "Location").value_or("");
  xmlNode* slo_redirect = nullptr;
  for (xmlNode* slo : ChildElements(sp, kNsMetadata, "SingleLogoutService")) {
    std::string b = Attr(slo, "Binding").value_or("");
    if (b == kBindingPost) {
      s.slo_url = Attr(slo, "Location").value_or("");
      s.slo_response_url = Attr(slo, "ResponseLocation").value_or("");
      s.slo_binding = "post";
      slo_redirect = nullptr;
      break;
    }
    if (b == kBindingRedirect && !slo_redirect) slo_redirect = slo;
  }
  if (slo_redirect) {
    s.slo_url = Attr(slo_redirect, "Location").value_or("");
    s.slo_response_url = Attr(slo_redirect, "ResponseLocation").value_or("");
    s.slo_binding = "redirect";
  }
  for (xmlNode* f : ChildElements(sp, kNsMetadata, "NameIDFormat")) {
    std::string v = Text(f);
    if (v == kNameIdPersistent) s.name_id = std::string(kNameIdKindPersistent);
    else if (v == kNameIdTransient) s.name_id = std::string(kNameIdKindTransient);
    if (s.name_id != kNameIdKindIdnp) break;
  }
  for (xmlNode* dn : Descendants(sp, kNsMdui, "DisplayName")) {
    xmlChar* lang = xmlNodeGetLang(dn);
    if (lang) {
      s.names[reinterpret_cast<const char*>(lang)] = Text(dn);
      xmlFree(lang);
    }
  }
  for (xmlNode* cp : ChildElements(root, kNsMetadata, "ContactPerson")) {
    if (Attr(cp, "contactType").value_or("") != "technical") continue;
    if (xmlNode* mail = ChildElement(cp, kNsMetadata, "EmailAddress")) {
      s.technical_contact = Text(mail);
      if (s.technical_contact.rfind("mailto:", 0) == 0) s.technical_contact.erase(0, 7);
    }
  }
  CERTME_RETURN_IF_ERROR(ValidateService(s));
  return s;
}

}  // namespace certme::saml
