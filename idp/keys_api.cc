#include "idp/keys_api.h"

#include <openssl/crypto.h>

#include "common/encoding.h"
#include "crypto/certificate.h"
#include "idp/key_rollover.h"

namespace certme {
namespace {

// The body's optional string member; InvalidArgument when it is another type.
StatusOr<std::string> StringMember(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

// {"use", "kid"?, "pkcs12" (base64) + "password"? | "pem" + "password"? + "certificate"?}
StatusOr<std::pair<KeyUse, KeyMaterial>> MaterialFromBody(const nlohmann::json& body) {
  CERTME_ASSIGN_OR_RETURN(std::string use_name, StringMember(body, "use"));
  auto use = ParseKeyUse(use_name);
  if (!use) return InvalidArgument("\"use\" must be \"oidc\" or \"saml\"");
  CERTME_ASSIGN_OR_RETURN(std::string kid, StringMember(body, "kid"));
  CERTME_ASSIGN_OR_RETURN(std::string p12_b64, StringMember(body, "pkcs12"));
  CERTME_ASSIGN_OR_RETURN(std::string pem, StringMember(body, "pem"));
  CERTME_ASSIGN_OR_RETURN(std::string password, StringMember(body, "password"));
  CERTME_ASSIGN_OR_RETURN(std::string certificate, StringMember(body, "certificate"));
  if (p12_b64.empty() == pem.empty()) return InvalidArgument("send exactly one of \"pkcs12\" (base64) and \"pem\"");
  std::string data = pem;
  if (!p12_b64.empty()) {
    auto der = Base64Decode(p12_b64);
    if (!der) return InvalidArgument("\"pkcs12\" is not base64");
    data = std::move(*der);
  }
  auto m = ParseKeyMaterial(data, !p12_b64.empty(), Secret(password), kid, certificate);
  OPENSSL_cleanse(data.data(), data.size());
  OPENSSL_cleanse(pem.data(), pem.size());
  OPENSSL_cleanse(password.data(), password.size());
  // Parse failures are the caller's input (wrong password, not a key): 400.
  if (!m.ok()) return InvalidArgument(m.status().message(), m.status().detail());
  return std::make_pair(*use, std::move(*m));
}

nlohmann::json Brief(const ManagedKey& k) {
  return {{"kid", k.kid}, {"use", KeyUseName(k.use)}, {"state", KeyStateName(k.state)}};
}

}  // namespace

nlohmann::json ManagedKeyJson(const ManagedKey& k, const RolloverPolicy& policy) {
  nlohmann::json j = {{"kid", k.kid},
                      {"use", KeyUseName(k.use)},
                      {"key_type", k.key_type},
                      {"state", KeyStateName(k.state)},
                      {"added_at", k.added_at}};
  if (k.state == KeySet::State::kNext) j["promotable_at"] = k.added_at + policy.pre_publication_seconds;
  if (k.promoted_at) j["promoted_at"] = k.promoted_at;
  if (k.retired_at) j["retired_at"] = k.retired_at;
  if (k.state == KeySet::State::kRetired) j["unpublish_at"] = k.unpublish_at;
  if (!k.certificate_der.empty()) {
    j["certificate"] = CertificateDerToPem(k.certificate_der);
    if (auto c = ParseCertificate(k.certificate_der); c.ok()) j["certificate_not_after"] = c->not_after;
  }
  return j;
}

void MountKeysApi(admin::AdminConsole& console, admin::AuditLog& audit, Router& router, SigningKeyStore& keys,
                  RolloverPolicy policy) {
  auto json = [](int status, const nlohmann::json& j) {
    return HttpResponse::Json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  console.MountApiExtension(router, "GET", "/keys", admin::kScopeRead, false,
                            [&keys, policy, json](const admin::ApiCaller&, const HttpRequest&, const nlohmann::json&) {
                              auto set = keys.Read();
                              if (!set.ok()) return admin::ApiError(set.status());
                              nlohmann::json out = {{"version", 0}, {"keys", nlohmann::json::array()}};
                              if (*set) {
                                out["version"] = (*set)->version;
                                for (const auto& k : (*set)->keys) out["keys"].push_back(ManagedKeyJson(k, policy));
                              }
                              return json(200, out);
                            });
  console.MountApiExtension(
      router, "POST", "/keys", admin::kScopeKeys, true,
      [&keys, &audit, policy, json](const admin::ApiCaller& caller, const HttpRequest&, const nlohmann::json& body) {
        auto material = MaterialFromBody(body);
        if (!material.ok()) return admin::ApiError(material.status());
        auto added = keys.Add(material->first, material->second);
        if (!added.ok()) return admin::ApiError(added.status());
        (void)audit.Append(caller.Label(), "signing_key.add", added->kid, "", nullptr, Brief(*added));
        return json(201, ManagedKeyJson(*added, policy));
      });
  for (const char* act : {"promote", "retire"}) {
    const std::string action = act;
    console.MountApiExtension(
        router, "POST", "/keys/:kid/" + action, admin::kScopeKeys, false,
        [&keys, &audit, policy, action, json](const admin::ApiCaller& caller, const HttpRequest& req,
                                              const nlohmann::json&) {
          auto it = req.path_params.find("kid");
          const std::string kid = it == req.path_params.end() ? "" : it->second;
          auto before = keys.Read();
          auto done = action == "promote" ? keys.Promote(kid, policy) : keys.Retire(kid, policy);
          if (!done.ok()) return admin::ApiError(done.status());
          nlohmann::json was = nullptr;
          if (before.ok() && *before)
            if (const ManagedKey* k = (*before)->Find(kid)) was = Brief(*k);
          (void)audit.Append(caller.Label(), "signing_key." + action, kid, "", was, Brief(*done));
          return json(200, ManagedKeyJson(*done, policy));
        });
  }
}

}  // namespace certme
