// Owners (std::unique_ptr with the matching OpenSSL free function) for the
// OpenSSL objects that code outside crypto/ handles itself, e.g. when it
// inspects an uploaded certificate. Header-only; needs only OpenSSL.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>

namespace certme::openssl {

// Calls Fn on a non-null pointer.
template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) Fn(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12_free>>;

}  // namespace certme::openssl
