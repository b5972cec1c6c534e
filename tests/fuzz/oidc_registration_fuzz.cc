// Fuzzes the dynamic client registration metadata reader (RFC 7591 §2,
// protocols/oidc/registration.h) under a default and a narrow policy, in
// and out of development mode: no input may crash it, and whatever it
// accepts must come back the same after a round trip through the metadata
// it answers with (RFC 7592 §2.2 sends that metadata back).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocols/oidc/registration.h"

namespace {

const certme::ClaimsCatalogue& Catalogue() {
  static const certme::ClaimsCatalogue* c = [] {
    auto parsed = certme::ClaimsCatalogue::FromYaml(R"(claims:
  - {key: idnp, oidc_claim: idnp, scope: certme, saml_name: NameIdentifier, type: string, format: "13 digits"}
  - {key: first_name, oidc_claim: given_name, scope: profile, saml_name: FirstName, type: string, format: text}
)");
    if (!parsed.ok()) std::abort();
    return new certme::ClaimsCatalogue(std::move(*parsed));
  }();
  return *c;
}

void Check(const nlohmann::json& metadata, const certme::RegistrationPolicy& policy) {
  auto client = certme::ClientFromRegistrationMetadata(metadata, policy, Catalogue());
  if (!client.ok()) {
    if (client.error().code != certme::kErrInvalidRedirectUri && client.error().code != certme::kErrInvalidClientMetadata)
      std::abort();
    if (client.error().description.empty()) std::abort();
    return;
  }
  nlohmann::json answer = certme::RegistrationMetadataOf(*client);
  auto again = certme::ClientFromRegistrationMetadata(answer, policy, Catalogue());
  if (!again.ok()) std::abort();
  if (certme::RegistrationMetadataOf(*again) != answer) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return 0;
  certme::RegistrationPolicy open;
  Check(j, open);
  open.allow_loopback_http = true;
  Check(j, open);
  certme::RegistrationPolicy narrow;
  narrow.grant_types = {"authorization_code"};
  narrow.auth_methods = {"none", "private_key_jwt"};
  narrow.redirect_uri_prefixes = {"https://rp.example/"};
  Check(j, narrow);
  // The policy reader takes the same untrusted-looking JSON (API bodies).
  (void)certme::RegistrationPolicy::FromJson(j);
  return 0;
}
