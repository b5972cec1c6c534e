// Signing-key rollover without restart: the server's start-up step that
// puts its keys in the Store and watches them, and `certme keys`
// (add | promote | retire | list), which changes the Store's key set that
// every replica then applies (idp/signing_key_store.h,
// docs/operations.md "Signing-key rollover").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "crypto/jose.h"
#include "idp/signing_key_store.h"
#include "idp/signing_key_watch.h"
#include "store/store.h"

namespace certme {

// A key from its bytes: a PKCS#12 bundle (its certificate with it) or a PEM
// private key (encrypted when `password` is set) with an optional PEM or
// DER `certificate`. Errors say what is wrong (wrong PKCS#12 password, not
// a PEM private key…); a certificate problem starts with "certificate:".
StatusOr<KeyMaterial> ParseKeyMaterial(std::string_view data, bool pkcs12, const Secret& password, std::string kid,
                                       std::string_view certificate);

// The rollover periods of the configuration (keys.*).
RolloverPolicy RolloverPolicyFromConfig(const Config& c);

// The key-encryption key of keys.kek_file (dev mode without one: the one
// kept in keys.dev_key_dir, created when `create`); "" when the Store's key
// set is off (no kek_file outside dev mode).
StatusOr<std::string> SigningKekFromConfig(const Config& c, bool create);

struct ManagedSigningKeys {
  std::unique_ptr<SigningKeyStore> store;      // null: keys.signing only
  std::unique_ptr<SigningKeyWatcher> watcher;  // applied once; Start() left to the caller
};

// Start-up: when the Store's key set is on, copies `keys` (and, with SAML
// enabled, the configured SAML key) into the Store the first time, then
// applies the Store's set to `keys` (it overrides keys.signing from then
// on). Errors name the cause (a KEK that does not open the stored keys…).
StatusOr<ManagedSigningKeys> OpenManagedSigningKeys(const Config& c, Store& store, KeySet& keys);

// `certme keys …`; `open_store` opens the configuration's Store.
int RunKeysCommand(const std::vector<std::string>& args);

}  // namespace certme
