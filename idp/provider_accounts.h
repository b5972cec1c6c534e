// The services' ledger accounts as the server assembles them
// (ledger.provider_accounts, docs/ledger.md "A provider account per
// service"): the configured key in dedicated mode, the sealed key store in
// hub mode, and the start-up step that gives every registered service a key.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "idp/admin/service_admin.h"
#include "ledger-client/ledger.h"
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

// The console's view of this bridge's services' accounts (hub mode; empty
// otherwise): the address (created with `create`) and whether `ledger`
// authorizes it. Both must outlive the returned function.
std::function<std::optional<admin::ProviderAccount>(std::string_view, bool)> ConsoleProviderAccounts(
    ProviderKeys* keys, Ledger* ledger);

// `certme admin authorize-provider SERVICE`: the provider address of
// registered service SERVICE (client_id or SAML entity ID) in the Store of
// the configuration at `config_path` ("" = the default), hub mode.
StatusOr<std::string> RegisteredServiceAddress(const std::string& config_path, const std::string& service_id);

}  // namespace certme
