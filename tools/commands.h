// Entry points of the programs around the ledger, built into the certme
// binary (dispatched by cmd/main.cc; `certme admin` sends the console's
// account commands to idp/admin/commands.h and the rest here). Each takes
// the arguments after its command word and returns the process exit code:
// 0 success, 1 refused or failed, 2 usage or configuration error. Results go to stdout (one fact a line);
// problems to stderr.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace certme {

// `certme ledger init/deploy/keygen/info/verify/events` (tools/ledger_command.cc).
int RunLedgerCommand(const std::vector<std::string>& args);
// The ledger part of `certme admin`: authorize-validator/…/revoke-eid
// (tools/admin_command.cc). Resolves a registered service (client_id / SAML entity ID) to its provider
// address from the server's Store (hub mode); cmd/ supplies it.
using ServiceAddressLookup =
    std::function<StatusOr<std::string>(const std::string& config_path, const std::string& service_id)>;
int RunLedgerAdminCommand(const std::vector<std::string>& args, const ServiceAddressLookup& service_address = {});
// `certme validator enroll/serve` (tools/validator_command.cc).
int RunValidatorCommand(const std::vector<std::string>& args);
// `certme wallet create/import/show/consent/history/approve/sign` (tools/wallet_command.cc).
int RunWalletCommand(const std::vector<std::string>& args);
// `certme provider request` (tools/provider_command.cc).
int RunProviderCommand(const std::vector<std::string>& args);
// `certme sign verify` (tools/sign_command.cc): 0 valid, 1 invalid, 2 usage or input error.
int RunSignCommand(const std::vector<std::string>& args);

}  // namespace certme
