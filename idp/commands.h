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
// Store, and the ledger administration (RunLedgerAdminCommand,
// tools/commands.h). The other ledger programs are in tools/commands.h.
int RunAdminCommands(const std::vector<std::string>& args);

}  // namespace certme
