// Entry points of the programs around the ledger (`certme ledger | admin |
// validator | wallet | provider`), dispatched by cmd/main.cc. Each returns
// the process exit code: 0 success, 1 refused or failed, 2 usage or
// configuration error.
#pragma once

#include <string>
#include <vector>

namespace certme {

int RunLedgerCommand(const std::vector<std::string>& args);
// The scheme administrator's ledger acts (`certme admin` less the console's
// account commands, which are idp/admin/commands.h).
int RunLedgerAdminCommand(const std::vector<std::string>& args);
int RunValidatorCommand(const std::vector<std::string>& args);
int RunWalletCommand(const std::vector<std::string>& args);
int RunProviderCommand(const std::vector<std::string>& args);

}  // namespace certme
