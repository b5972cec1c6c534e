// secp256k1 keys from the standard containers a provider's key custody may
// hand over: a PEM private key ("EC PRIVATE KEY" / PKCS#8) or a PKCS#12
// bundle. Other curves are refused.
#pragma once

#include <string_view>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// InvalidArgument when `pem` is not an unencrypted PEM private key on secp256k1.
StatusOr<EthKey> EthKeyFromPem(std::string_view pem);
// Unauthenticated for a wrong password; InvalidArgument when `der` is not a
// PKCS#12 bundle holding a secp256k1 private key.
StatusOr<EthKey> EthKeyFromPkcs12(std::string_view der, const Secret& password);

}  // namespace certme
