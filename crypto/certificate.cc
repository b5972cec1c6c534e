#include "crypto/certificate.h"

#include <openssl/pem.h>

#include <ctime>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"

namespace certme {
namespace {

using namespace crypto_internal;

// PEM password callback that refuses: an encrypted block fails instead of
// OpenSSL's default of prompting on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

std::string SubjectText(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
    return {};
  return BioContents(bio.get());
}

int64_t UnixSeconds(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

EVP_PKEY* Certificate::public_key() const {
  EVP_PKEY* key = x509 ? X509_get0_pubkey(x509.get()) : nullptr;
  ERR_clear_error();
  return key;
}

bool Certificate::ValidAt(int64_t unix_seconds) const {
  time_t now = static_cast<time_t>(unix_seconds);
  return X509_cmp_time(X509_get0_notBefore(x509.get()), &now) <= 0 &&
         X509_cmp_time(X509_get0_notAfter(x509.get()), &now) >= 0;
}

StatusOr<Certificate> ParseCertificate(std::string_view pem_or_der) {
  Certificate c;
  if (pem_or_der.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio = MemBio(pem_or_der);
    c.x509.reset(bio ? PEM_read_bio_X509(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  } else {
    const unsigned char* p = U8(pem_or_der);
    c.x509.reset(d2i_X509(nullptr, &p, static_cast<long>(pem_or_der.size())));
    if (c.x509 && p != U8(pem_or_der) + pem_or_der.size()) {
      ERR_clear_error();
      return InvalidArgument(std::string(kTrailingBytesAfterCertificate));
    }
  }
  if (!c.x509) return InvalidArgument(std::string(kNotACertificate), TakeOpenSslErrors());

  auto der = CertificateDer(c.x509.get());
  if (!der.ok()) return InvalidArgument(std::string(kNotACertificate), der.status().detail());
  c.der = std::move(der).value();
  c.sha256 = Sha256(c.der);
  c.subject = SubjectText(c.x509.get());
  c.not_before = UnixSeconds(X509_get0_notBefore(c.x509.get()));
  c.not_after = UnixSeconds(X509_get0_notAfter(c.x509.get()));
  ERR_clear_error();
  return c;
}

StatusOr<std::string> CertificateDer(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) return Internal("cannot encode certificate", TakeOpenSslErrors());
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert, &p) != len) return Internal("cannot encode certificate", TakeOpenSslErrors());
  return der;
}

std::string CertificateDerToPem(std::string_view der) {
  std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  out += "-----END CERTIFICATE-----\n";
  return out;
}

}  // namespace certme
