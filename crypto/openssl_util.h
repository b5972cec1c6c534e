// Internal to crypto/: RAII owners for OpenSSL objects and error-queue
// helpers. Not part of the public API; other folders use jose.h / evp.h, and
// openssl_ptr.h for the few owners they need themselves.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "crypto/openssl_ptr.h"

namespace certme::crypto_internal {

using openssl::BioPtr;
using openssl::Deleter;
using openssl::PkeyPtr;
using openssl::Pkcs12Ptr;
using openssl::X509Ptr;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;

// Fetched once: EVP_sha256() is an implicit fetch (a provider lookup under a
// lock) on every use in OpenSSL 3. Never freed: lives as long as the process.
inline const EVP_MD* Sha256Md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

// Drains this thread's OpenSSL error queue and returns it as one line, for a
// Status detail. Every failure path calls it: a stale error left on the queue
// would be reported later by an unrelated caller (libcurl, xmlsec) on the
// same thread.
inline std::string TakeOpenSslErrors() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// A read-only memory BIO over `data` (which must outlive the BIO).
inline BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

inline std::string BioContents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

inline const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace certme::crypto_internal
