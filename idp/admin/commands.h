// `certme admin`: console subcommands (create-user, create-token,
// list-users, audit), every other subcommand goes to the ledger
// administration of tools/ (RunLedgerAdminCommand, tools/commands.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "idp/config/config.h"

namespace certme {

class Store;

// Opens the Store a configuration names (the server's own opener, so the
// commands work with every backend the server supports).
using StoreOpener = std::function<StatusOr<std::unique_ptr<Store>>(const Config&)>;

int RunAdminDispatch(const std::vector<std::string>& args, const StoreOpener& open_store);

}  // namespace certme
