// Fuzz target: what the administration console receives from uploads — the
// multipart/form-data body, the certificate (.cer, PEM or DER) and the SP
// metadata file. Every input must end in a value or a clear error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "idp/admin/certificate.h"
#include "idp/admin/multipart.h"
#include "protocols/saml/service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Seeds use the boundary "certme-boundary"; the Content-Type parser gets
  // the first line.
  (void)certme::admin::MultipartBoundary(in.substr(0, in.find('\n')));
  if (auto parts = certme::admin::ParseMultipart(in, "certme-boundary"); parts.ok())
    for (const auto& p : *parts) (void)certme::admin::ParseUploadedCertificate(p.data);
  (void)certme::admin::ParseUploadedCertificate(in);
  (void)certme::saml::ServiceFromMetadata(in);
  return 0;
}
