#include "idp/admin/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "common/encoding.h"
#include "crypto/openssl_ptr.h"

namespace certme::admin {
namespace {

using openssl::BioPtr;
using openssl::Pkcs12Ptr;
using openssl::PkeyPtr;
using openssl::X509Ptr;

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

std::string Subject(X509* x) {
  BioPtr b(BIO_new(BIO_s_mem()));
  if (!b) return {};
  X509_NAME_print_ex(b.get(), X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  std::string s = n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
  if (s.size() > 300) s = s.substr(0, 300) + "…";
  return s;
}

}  // namespace

StatusOr<UploadedCertificate> ParseUploadedCertificate(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgument("the certificate file is empty");
  if (bytes.size() > kMaxCertificateBytes)
    return InvalidArgument("the certificate file is larger than 64 KiB; a .cer is a few KiB");
  // PEM armour of any private key form (PKCS#8, RSA, EC, encrypted).
  if (Contains(bytes, "PRIVATE KEY-----")) return InvalidArgument(kNeverPfx);

  std::string der;
  if (Contains(bytes, "-----BEGIN")) {
    size_t blocks = 0;
    for (size_t at = 0; (at = bytes.find("-----BEGIN CERTIFICATE-----", at)) != std::string_view::npos; ++at) ++blocks;
    if (blocks == 0) return InvalidArgument("the file holds no CERTIFICATE block (PEM) — upload the .cer");
    if (blocks > 1) return InvalidArgument("the file holds several certificates; upload only the service's own");
    BioPtr b(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
    X509Ptr x(b ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    if (!x) return InvalidArgument("the CERTIFICATE block is not a valid X.509 certificate");
    unsigned char* out = nullptr;
    int n = i2d_X509(x.get(), &out);
    if (n <= 0) return InvalidArgument("the certificate cannot be re-encoded");
    der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(n));
    OPENSSL_free(out);
  } else {
    der.assign(bytes);
  }

  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!x) {
    if (LooksLikePkcs12(der) || LooksLikeDerPrivateKey(der)) return InvalidArgument(kNeverPfx);
    return InvalidArgument("the file is not an X.509 certificate (expected a .cer in PEM or DER form)");
  }
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
    return InvalidArgument("the file has bytes after the certificate; upload the .cer alone");

  EVP_PKEY* key = X509_get0_pubkey(x.get());  // owned by x
  ERR_clear_error();
  if (!key) return InvalidArgument("the certificate's public key cannot be read");
  int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC)
    return InvalidArgument("the certificate's key must be RSA or EC (SAML signatures use RSA-SHA256)");
  if (type == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048)
    return InvalidArgument("the certificate's RSA key is shorter than 2048 bits");

  UploadedCertificate c;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!EVP_Digest(der.data(), der.size(), md, &md_len, EVP_sha256(), nullptr)) {
    ERR_clear_error();
    return Internal("hashing failed");
  }
  c.sha256_hex = HexEncode(std::string_view(reinterpret_cast<char*>(md), md_len));
  c.subject = Subject(x.get());
  const ASN1_TIME* na = X509_get0_notAfter(x.get());
  struct tm tm {};
  if (na && ASN1_TIME_to_tm(na, &tm)) c.not_after = timegm(&tm);
  ERR_clear_error();
  std::string b64 = Base64Encode(der);
  c.pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) c.pem += b64.substr(i, 64) + "\n";
  c.pem += "-----END CERTIFICATE-----\n";
  return c;
}

}  // namespace certme::admin
