// The `.cer` a service uploads (MPass asks for the public certificate only):
// PEM or DER X.509, checked and normalised to PEM. Untrusted input, fuzzed by
// tests/fuzz/admin_upload_fuzz.cc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme::admin {

inline constexpr size_t kMaxCertificateBytes = 64 * 1024;

struct UploadedCertificate {
  std::string pem;          // one CERTIFICATE block
  std::string sha256_hex;   // of the DER: identifies the certificate
  std::string subject;      // RFC 2253 text, for display
  int64_t not_after = 0;    // unix seconds
};

// InvalidArgument with a message meant for the person who uploaded it:
// private keys and PKCS#12 (.pfx/.p12) files are refused with "never send
// the .pfx", anything that is not exactly one X.509 certificate is refused,
// as are certificates whose public key is not RSA or EC.
StatusOr<UploadedCertificate> ParseUploadedCertificate(std::string_view bytes);

}  // namespace certme::admin
