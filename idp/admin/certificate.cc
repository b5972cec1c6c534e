#include "idp/admin/certificate.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>

#include "common/encoding.h"
#include "crypto/certificate.h"
#include "crypto/openssl_ptr.h"

namespace certme::admin {
namespace {

using openssl::Pkcs12Ptr;
using openssl::PkeyPtr;

constexpr const char kNeverPfx[] =
    "this file holds a private key: upload the public certificate only (.cer, PEM or DER) — "
    "never send the .pfx or the private key; keep it on your server";

bool Contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

bool LooksLikePkcs12(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  return p12 != nullptr;
}

bool LooksLikeDerPrivateKey(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  PkeyPtr k(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  return k != nullptr;
}

}  // namespace

StatusOr<UploadedCertificate> ParseUploadedCertificate(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgument("the certificate file is empty");
  if (bytes.size() > kMaxCertificateBytes)
    return InvalidArgument("the certificate file is larger than 64 KiB; a .cer is a few KiB");
  // PEM armour of any private key form (PKCS#8, RSA, EC, encrypted).
  if (Contains(bytes, "PRIVATE KEY-----")) return InvalidArgument(kNeverPfx);

  const bool pem = Contains(bytes, "-----BEGIN");
  if (pem) {
    size_t blocks = 0;
    for (size_t at = 0; (at = bytes.find("-----BEGIN CERTIFICATE-----", at)) != std::string_view::npos; ++at) ++blocks;
    if (blocks == 0) return InvalidArgument("the file holds no CERTIFICATE block (PEM) — upload the .cer");
    if (blocks > 1) return InvalidArgument("the file holds several certificates; upload only the service's own");
  }
  auto x = ParseCertificate(bytes);
  if (!x.ok()) {
    if (pem) return InvalidArgument("the CERTIFICATE block is not a valid X.509 certificate");
    if (x.status().message() == kTrailingBytesAfterCertificate)
      return InvalidArgument("the file has bytes after the certificate; upload the .cer alone");
    if (LooksLikePkcs12(bytes) || LooksLikeDerPrivateKey(bytes)) return InvalidArgument(kNeverPfx);
    return InvalidArgument("the file is not an X.509 certificate (expected a .cer in PEM or DER form)");
  }

  EVP_PKEY* key = x->public_key();  // owned by the certificate
  if (!key) return InvalidArgument("the certificate's public key cannot be read");
  int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
    return InvalidArgument("the certificate's key must be RSA or EC (SAML signatures use RSA-SHA256)");
  if (type == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048)
    return InvalidArgument("the certificate's RSA key is shorter than 2048 bits");

  UploadedCertificate c;
  c.sha256_hex = HexEncode(x->sha256);
  c.subject = x->subject;
  if (c.subject.size() > 300) c.subject = c.subject.substr(0, 300) + "…";
  c.not_after = x->not_after;
  c.pem = CertificateDerToPem(x->der);
  return c;
}

}  // namespace certme::admin
