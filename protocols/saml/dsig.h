// XML signatures for SAML (XML-DSig over xmlsec1/OpenSSL) and the raw
// signatures of the HTTP-Redirect binding.
//
// The verifier is deliberately narrower than XML-DSig, because the general
// form is what makes XML signature wrapping possible (xmlsec1's own CLI
// accepts a wrapping forgery, docs/ARCHITECTURE.md, dependencies). A signature over `element` is
// accepted only when all of these hold:
//   - the key comes from the caller (configuration); KeyInfo is ignored;
//   - exactly one ds:Signature is a direct child of `element`;
//   - its SignedInfo has exactly one Reference, whose URI is "#" + the ID
//     attribute of `element`, and no other element in the document carries
//     that ID value (ID, Id, AssertionID or xml:id);
//   - only same-document references; transforms only enveloped-signature and
//     exclusive c14n; c14n exclusive; RSA-SHA256 (RSA-SHA1 and SHA-1 digests
//     only when the policy allows them);
//   - xmlsec1 then verifies digest and signature with the ID registered on
//     `element` alone, so the reference cannot resolve anywhere else.
// Callers must consume exactly the `element` they verified (never look the
// element up again by name after verification).
//
// Thread-safety: InitXmlSecurity() once before threads start; afterwards all
// functions may run concurrently on different documents (each call creates
// its own xmlsec context, as xmlsec1 requires).
#pragma once

#include <libxml/tree.h>
#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "crypto/certificate.h"  // ParseCertificate, CertificateDerToPem

namespace certme::saml {

// Initializes libxml2, xmlsec1 and its OpenSSL backend. Idempotent and
// thread-safe (std::call_once); REQUIRES: called before request threads
// start (the integrator's start-up, tests' main). Internal on failure.
Status InitXmlSecurity();

struct DsigPolicy {
  // Accept rsa-sha1 signatures and sha1 digests (MPass-era SPs sometimes
  // still send them). Off by default.
  bool allow_sha1 = false;
};

// True when `element` has a direct ds:Signature child.
bool HasEnvelopedSignature(const xmlNode* element);

// Verifies the enveloped signature of `element` under the rules above with
// `key` (RSA public key). Unauthenticated when the signature is missing,
// malformed, wrapped or wrong; the message is client-safe.
Status VerifyEnvelopedSignature(xmlDoc* doc, xmlNode* element, EVP_PKEY* key,
                                const DsigPolicy& policy = {});

// Adds an enveloped RSA-SHA256 / exc-c14n / SHA-256 signature to `element`
// (which must carry a non-empty ID attribute), placed right after its
// saml:Issuer child (SAML Core §5.4.1 schema order) or first when it has no
// Issuer. `certificate_der`, when non-empty, is published in KeyInfo/X509Data.
Status SignEnveloped(xmlDoc* doc, xmlNode* element, EVP_PKEY* key,
                     std::string_view certificate_der);

// HTTP-Redirect binding (SAML Bindings §3.4.4.1): the signature over the
// exact octets "SAMLRequest=…&RelayState=…&SigAlg=…" as they appear in the URL.
StatusOr<std::string> SignRedirect(EVP_PKEY* key, std::string_view signed_octets);  // rsa-sha256
// `sig_alg` is the SigAlg URI; rsa-sha1 only when the policy allows it.
Status VerifyRedirect(EVP_PKEY* key, std::string_view sig_alg, std::string_view signed_octets,
                      std::string_view signature, const DsigPolicy& policy = {});

// A self-signed X.509 certificate (DER) for `key`: SAML metadata publishes
// certificates, not bare keys. For development keys and tests; production
// configures a certificate file. The serial number comes from `random`.
StatusOr<std::string> MakeSelfSignedCertificate(EVP_PKEY* key, std::string_view common_name,
                                                int64_t not_before_unix, int days, Random& random);
// Reading certificates (PEM or DER) and writing PEM: crypto/certificate.h.

}  // namespace certme::saml
