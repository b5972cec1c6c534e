// XML Encryption of assertions (SAML Core §2.3.4 EncryptedAssertion, XML
// Encryption 1.1): the element is encrypted with a fresh AES-256-GCM key
// (http://www.w3.org/2009/xmlenc11#aes256-gcm: 12-byte IV ‖ ciphertext ‖
// 16-byte tag in CipherValue), and that key with RSA-OAEP (MGF1 with SHA-1,
// http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p, the form every SAML SP
// toolkit decrypts) to the service's encryption certificate. The
// EncryptedKey sits in the EncryptedData's KeyInfo and names the
// certificate, so an SP with several keys picks the right one.
//
// OpenSSL directly (no xmlsec encryption context): the output is checked
// with xmlsec1's decryption in tests/saml and by python3-saml and
// mod_auth_mellon in conformance/. Thread-safe.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"

namespace certme::saml {

// `element_xml` is one serialized element that declares every namespace it
// uses (it is decrypted and parsed on its own by some SPs). Returns
// <saml:EncryptedAssertion> (with its own namespace declarations) holding
// the encrypted element. `recipient_key` must be an RSA public key;
// `recipient_cert_der`, when non-empty, is named in the EncryptedKey's KeyInfo.
// The content key, the IV and the XML IDs come from `random`.
StatusOr<std::string> EncryptAssertion(std::string_view element_xml, EVP_PKEY* recipient_key,
                                       std::string_view recipient_cert_der, Random& random);

}  // namespace certme::saml
