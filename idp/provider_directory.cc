#include "idp/provider_directory.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/ethereum.h"

namespace certme {

ProviderDirectory::ProviderDirectory(ClientRegistry& clients, saml::ServiceRegistry* saml, ProviderKeys& keys,
                                     Clock& clock, int64_t ttl_seconds)
    : clients_(clients), saml_(saml), keys_(keys), clock_(clock), ttl_(ttl_seconds) {}

StatusOr<std::string> ProviderDirectory::Build() {
  nlohmann::json providers = nlohmann::json::array();
  auto add = [&](const std::string& service, const std::map<std::string, std::string>& names,
                 const char* protocol) {
    auto key = keys_.Key(service);
    if (!key.ok()) {
      if (key.status().code() != StatusCode::kNotFound)
        LogWarn("provider directory: key unavailable", {{"service", service}, {"detail", key.status().ToString()}});
      return;
    }
    nlohmann::json n = nlohmann::json::object();
    for (const char* lang : {"ro", "ru", "en"}) {
      auto it = names.find(lang);
      if (it != names.end() && !it->second.empty()) n[lang] = it->second;
    }
    providers.push_back({{"address", key->AddressHex()},
                         {"public_key", "0x" + HexEncode(key->public_key())},
                         {"names", n},
                         {"protocol", protocol},
                         {"service", service}});
  };
  CERTME_ASSIGN_OR_RETURN(auto clients, clients_.List());
  for (const auto& c : clients) add(c.client_id, c.names, "oidc");
  if (saml_) {
    CERTME_ASSIGN_OR_RETURN(auto services, saml_->List());
    for (const auto& s : services) add(s.entity_id, s.names, "saml");
  }
  return nlohmann::json({{"providers", providers}}).dump();
}

StatusOr<std::string> ProviderDirectory::Document() {
  const int64_t now = clock_.NowUnixSeconds();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (built_at_ >= 0 && now - built_at_ < ttl_) return cached_;
  }
  CERTME_ASSIGN_OR_RETURN(std::string doc, Build());
  std::lock_guard<std::mutex> lock(mu_);
  cached_ = doc;
  built_at_ = now;
  return doc;
}

HttpResponse ProviderDirectory::Handle(const HttpRequest&) {
  auto doc = Document();
  if (!doc.ok()) {
    LogError("provider directory unavailable", {{"detail", doc.status().ToString()}});
    return HttpResponse::Json(503, R"({"error":"temporarily_unavailable"})");
  }
  HttpResponse r = HttpResponse::Json(200, *doc);
  r.headers.Set("Cache-Control", "public, max-age=" + std::to_string(ttl_));
  r.headers.Set("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace certme
