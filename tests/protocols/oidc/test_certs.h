// Self-signed test certificates made with OpenSSL (P-256 keys), for
// private_key_jwt with a registered certificate and for tls_client_auth.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace certme::testing {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8
};

// Subject is given as (type, value) pairs, e.g. {{"CN","rp"},{"O","Example"}}.
// Valid from not_before to not_after (unix seconds).
TestCert MakeSelfSignedCert(const std::vector<std::pair<std::string, std::string>>& subject,
                            int64_t not_before, int64_t not_after);

// Lowercase hex SHA-256 of the certificate's DER.
std::string CertSha256Hex(const std::string& cert_pem);

}  // namespace certme::testing
