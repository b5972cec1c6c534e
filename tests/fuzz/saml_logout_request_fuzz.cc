// Fuzz target: LogoutRequest / LogoutResponse parsing and reading, behind the
// pre-scan and the Redirect query reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocols/saml/messages.h"
#include "protocols/saml/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)certme::saml::ParseLogoutRequest(in);
  if (auto doc = certme::saml::ParseUntrustedXml(in); doc.ok())
    (void)certme::saml::ReadLogoutResponse(xmlDocGetRootElement(doc->get()));
  if (auto xml = certme::saml::DecodeRedirectMessage(in); xml.ok()) (void)certme::saml::ParseLogoutRequest(*xml);
  if (auto q = certme::saml::ParseRedirectQuery(in); q.ok())
    if (auto xml = certme::saml::DecodeRedirectMessage(q->message); xml.ok()) (void)certme::saml::ParseLogoutRequest(*xml);
  return 0;
}
