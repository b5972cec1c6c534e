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

}  // namespace certme
