// Access to the OpenSSL key behind a PublicKey / SigningKey, for code that
// must hand the same, already-parsed key to another OpenSSL-based library
// (xmlsec1 for SAML signatures, TLS contexts) instead of parsing the file
// a second time.
#pragma once

#include <openssl/evp.h>

#include "crypto/jose.h"

namespace certme {

// The EVP_PKEY held by `key`, borrowed: valid while `key` lives; the caller
// must not modify it (it is shared by concurrent signers). To keep it longer,
// take a reference with EVP_PKEY_up_ref. nullptr when `key` is not one of
// this library's implementations (e.g. a test fake).
EVP_PKEY* BorrowEvpPkey(const PublicKey& key);

}  // namespace certme
