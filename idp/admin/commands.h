// `certme admin`'s console subcommands (create-user, create-token,
// list-users, audit). cmd/main.cc sends every other `certme admin`
// subcommand to the ledger administration (tools/commands.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace certme {

class Store;

// Opens the Store a configuration names (the server's own opener, so the
// commands work with every backend the server supports).
using StoreOpener = std::function<StatusOr<std::unique_ptr<Store>>(const Config&)>;

bool IsConsoleAdminSubcommand(std::string_view name);
// The console subcommands' part of `certme admin --help`.
const char* ConsoleAdminHelp();
// REQUIRES: !args.empty() && IsConsoleAdminSubcommand(args[0]).
int RunConsoleAdminCommand(const std::vector<std::string>& args, const StoreOpener& open_store);

}  // namespace certme
