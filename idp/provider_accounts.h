// The services' ledger accounts as the server assembles them
// (ledger.provider_accounts, docs/ledger.md "A provider account per
// service"): the configured key in dedicated mode, the sealed key store in
// hub mode, and the start-up step that gives every registered service a key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "protocols/provider_keys.h"

namespace certme {

class Store;

// Dedicated mode: ledger.provider_key_file (JSON, hex, PEM or PKCS#12).
// Hub mode: the Store's sealed keys under ledger.provider_kek_file, each
// opened once. Any failure is one line naming the file, for the start-up
// error: the bridge does not start with keys it cannot use.
StatusOr<std::unique_ptr<ProviderKeys>> OpenProviderKeys(const Config& c, Store& store,
                                                         const EnvLookup& env = SystemEnv());

// Hub mode's migration and file registrations: every service id in
// `service_ids` without a key gets one now (logged with its address, which
// the scheme administrator then authorizes). Returns how many were created.
StatusOr<size_t> EnsureProviderKeys(ProviderKeys& keys, const std::vector<std::string>& service_ids);

}  // namespace certme
