// `certme admin`: console subcommands (create-user, create-token,
// list-users, audit), every other subcommand goes to the ledger
// administration of tools/ (RunAdminCommand).
#pragma once

#include <string>
#include <vector>

namespace certme {

int RunAdminDispatch(const std::vector<std::string>& args);

}  // namespace certme
