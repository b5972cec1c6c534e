// The ledger accounts of the registered services (docs/ledger.md, "A
// provider account per service"). Every service the bridge serves — an OIDC
// client or a SAML service provider, in one environment — asks the ledger
// for validations with its own secp256k1 key, so the consent a user signs,
// the validation and the user's history name that service's address.
//
// Two ways to hold those keys:
//   - hub mode (the scheme administrator runs the bridge for many
//     providers): StoreProviderKeys creates a key per service on
//     registration and keeps it in the Store (namespace "provider_key", one
//     record per service id), sealed with AES-256-GCM under a key-encryption
//     key (KEK) read from a file named in the configuration. The address is
//     kept beside the sealed key, so listings need no decryption.
//   - dedicated mode (a provider runs its own bridge): SingleProviderKey
//     answers every service with the one configured key.
// The interface is what a hardware-backed store (PKCS#11) would implement
// too; a signing-only backend would return a key handle instead of EthKey.
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/random.h"
#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

class Store;

inline constexpr std::string_view kProviderKeyNamespace = "provider_key";

class ProviderKeys {
 public:
  virtual ~ProviderKeys() = default;
  // The key service `service_id` speaks to the ledger with; NotFound when it
  // has none yet, Unauthenticated when the stored key cannot be decrypted.
  virtual StatusOr<EthKey> Key(std::string_view service_id) = 0;
  // The key, created and stored first when the service has none (concurrent
  // callers, on any replica, end with the same key).
  virtual StatusOr<EthKey> Ensure(std::string_view service_id) = 0;
  // The service's 20-byte address without touching the secret; NotFound
  // when it has no key yet.
  virtual StatusOr<std::string> Address(std::string_view service_id) = 0;
  // Forgets the service's key (the service was deleted). The ledger keeps
  // the address's history; a new registration gets a new key.
  virtual Status Remove(std::string_view service_id) = 0;
  // True when one key serves every service (dedicated mode).
  virtual bool Dedicated() const = 0;
};

// Dedicated mode: every service is `key`.
std::unique_ptr<ProviderKeys> NewSingleProviderKey(EthKey key);

// Hub mode. `kek` is the 32-byte key-encryption key.
std::unique_ptr<ProviderKeys> NewStoreProviderKeys(Store& store, std::string kek, Random& random);

// The address a service's stored key record names, without the KEK (for
// `certme admin authorize-provider SERVICE`); NotFound when it has none.
StatusOr<std::string> StoredProviderAddress(Store& store, std::string_view service_id);

// Reads a KEK file: 64 hex digits (optionally 0x, surrounding whitespace
// allowed), e.g. made with `openssl rand -hex 32`. Errors name the file and
// never echo its content; they begin with `setting` (the configuration
// key or store that names the file).
StatusOr<std::string> ReadKekFile(const std::string& path, std::string_view setting = "provider key store");

// Opens every stored key once: Unauthenticated naming `kek_path` when any
// record does not decrypt under this KEK (a wrong or replaced KEK), so the
// bridge refuses to start instead of failing at the first login.
Status CheckProviderKeys(Store& store, ProviderKeys& keys, const std::string& kek_path);

}  // namespace certme
