// Fuzz target: the AuthnRequest path up to signature checking — the
// Redirect query reader, both binding decoders (base64, base64+DEFLATE), the
// pre-scan, hardened XML parsing and field extraction.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/saml/dsig.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = certme::saml::InitXmlSecurity().ok();
  (void)init;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)certme::saml::PrescanXml(in);
  (void)certme::saml::ParseAuthnRequest(in);
  if (auto xml = certme::saml::DecodeRedirectMessage(in); xml.ok()) (void)certme::saml::ParseAuthnRequest(*xml);
  if (auto xml = certme::saml::DecodePostMessage(in); xml.ok()) (void)certme::saml::ParseAuthnRequest(*xml);
  if (auto q = certme::saml::ParseRedirectQuery(in); q.ok())
    if (auto xml = certme::saml::DecodeRedirectMessage(q->message); xml.ok()) (void)certme::saml::ParseAuthnRequest(*xml);
  return 0;
}
