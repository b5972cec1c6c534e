// Opens the ledger the configuration's `ledger` section names: the embedded
// file or the CertMeRegistry contract on an EVM chain. Shared by the
// `certme ledger|admin|validator|wallet|provider` commands and the bridge.
#pragma once

#include <memory>

#include "common/status.h"
#include "config/config.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/ledger.h"

namespace certme {

// The EVM backend's options from ledger.* (registry_address parsed; an
// invalid one is an error).
StatusOr<EvmLedgerOptions> EvmOptionsFromConfig(const LedgerConfig& c);

// The embedded backend's options from ledger.embedded.* (the sequencer key
// read from its file: FailedPrecondition naming the file when it cannot be).
StatusOr<EmbeddedLedgerOptions> EmbeddedOptionsFromConfig(const LedgerConfig& c);

// embedded: opens ledger.embedded.path (watched for other processes'
// entries when `watch`), checking ledger.registry_address when set.
// evm: connects to ledger.evm.rpc_url and the registry at
// ledger.registry_address.
StatusOr<std::unique_ptr<Ledger>> OpenConfiguredLedger(const LedgerConfig& c, bool watch);

}  // namespace certme
