// The key file of an unattended ledger account (scheme administrator,
// validator, provider): its secp256k1 key as JSON
// {"format": "certme-service-key-1", "address": "0x…", "private_key": "0x…"},
// mode 0600, unencrypted like the bridge's other server keys.
#pragma once

#include <string>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// Refuses to overwrite an existing file.
Status WriteServiceKeyFile(const std::string& path, const EthKey& key);
// Reads that JSON (the address, when present, must match the key), a file
// holding just the hex private key, a PEM secp256k1 private key, or a
// PKCS#12 bundle (opened with `p12_password`; none: the empty password).
StatusOr<EthKey> ReadServiceKeyFile(const std::string& path, const Secret* p12_password = nullptr);

}  // namespace certme
