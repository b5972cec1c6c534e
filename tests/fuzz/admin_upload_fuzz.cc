// Fuzz target: what the administration console receives — the
// multipart/form-data body of its forms, the certificate (.cer, PEM or DER),
// the SP metadata file, the JSON API's bodies, the service list's search
// text, and the pages' translation of error texts. Every input must end in
// a value or a clear error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "idp/admin/certificate.h"
#include "idp/admin/console.h"
#include "idp/admin/error_text.h"
#include "idp/admin/service_search.h"
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
  // The list's search text (any bytes, folded) and an error text with
  // arbitrary parts (the pattern matcher backtracks over them).
  (void)certme::admin::FoldForSearch(in);
  (void)certme::admin::LocalizeError("ro", std::string(in));
  // The API's JSON bodies, as ApiCreateService / ApiPromote read them.
  if (certme::admin::JsonNestingWithin(in, 16)) {
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded()) {
      certme::admin::FieldErrors errors;
      (void)certme::admin::ServiceInputFromJson(j, &errors);
      (void)certme::admin::PromoteInputFromJson(j, &errors);
    }
  }
  return 0;
}
