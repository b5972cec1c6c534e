// Entry points of the certme subcommands. Each returns the process exit
// code: 0 success, 1 runtime failure, 2 usage or configuration error.
#pragma once

#include <string>
#include <vector>

namespace certme {

int RunIdpCommand(const std::vector<std::string>& args);
int RunDemoCommand(const std::vector<std::string>& args);
int RunConfigCommand(const std::vector<std::string>& args);
int RunVersionCommand(const std::vector<std::string>& args);
// `certme admin`: console accounts (idp/admin/commands.h) over the server's
// Store, and the ledger administration below.
int RunAdminCommands(const std::vector<std::string>& args);

// The ledger programs (tools/ledger_commands.cc).
int RunLedgerCommand(const std::vector<std::string>& args);
int RunAdminCommand(const std::vector<std::string>& args);
int RunValidatorCommand(const std::vector<std::string>& args);
int RunWalletCommand(const std::vector<std::string>& args);
int RunProviderCommand(const std::vector<std::string>& args);

}  // namespace certme
