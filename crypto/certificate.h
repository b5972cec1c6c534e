// The one X.509 certificate parser: PEM ("-----BEGIN CERTIFICATE-----") or
// DER in, an owned X509 plus the fields callers read out. Used by the JOSE
// keys (x5c, certificate files), the SAML metadata and signer set-up, the
// admin console's certificate upload and OIDC tls_client_auth.
//
// It parses only; it checks neither the chain, nor the validity dates, nor
// the key type: each caller applies its own policy to the fields.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/openssl_ptr.h"

namespace certme {

struct Certificate {
  openssl::X509Ptr x509;   // never null in a parsed Certificate
  std::string der;         // its DER encoding
  std::string sha256;      // SHA-256 of `der`, 32 raw bytes (RFC 8705 §3.1 x5t#S256)
  std::string subject;     // RFC 2253 text, as OpenSSL prints it with XN_FLAG_RFC2253
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;   // unix seconds

  // The subject public key, owned by `x509`; null when OpenSSL cannot read it.
  EVP_PKEY* public_key() const;
  // True when `unix_seconds` lies within [notBefore, notAfter].
  bool ValidAt(int64_t unix_seconds) const;
};

// The messages of ParseCertificate's InvalidArgument, for callers that word
// their own for a person (the admin console).
inline constexpr std::string_view kNotACertificate = "not an X.509 certificate";
inline constexpr std::string_view kTrailingBytesAfterCertificate = "trailing bytes after DER certificate";

// Input with "-----BEGIN" anywhere is PEM: the first CERTIFICATE block is
// read, text around it is ignored, an encrypted block is refused (never a
// terminal prompt). Anything else is one DER certificate with nothing after
// it. InvalidArgument otherwise (message one of the two above; the OpenSSL
// errors go to the detail). Leaves no error on OpenSSL's queue.
StatusOr<Certificate> ParseCertificate(std::string_view pem_or_der);

// The DER encoding of `cert` (e.g. one from a PKCS#12 file). Internal when
// OpenSSL cannot encode it.
StatusOr<std::string> CertificateDer(X509* cert);

// One PEM CERTIFICATE block for `der`, in 64-column lines (RFC 7468 §2).
std::string CertificateDerToPem(std::string_view der);

}  // namespace certme
