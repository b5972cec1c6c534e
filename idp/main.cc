// certme — one binary, one subcommand per role.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "idp/commands.h"
#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

const Command kCommands[] = {
    {"idp", "run the identity provider (OpenID Connect) server", certme::RunIdpCommand},
    {"demo", "run the server on embedded defaults with the development login and a sample client",
     certme::RunDemoCommand},
    {"config", "print the reference configuration, or check a configuration file",
     certme::RunConfigCommand},
    {"ledger", "create and inspect the certME registry (embedded ledger)", certme::RunLedgerCommand},
    {"admin", "scheme administrator: authorize validators and providers, suspend/revoke eIDs; console accounts",
     certme::RunAdminCommands},
    {"validator", "validator: enroll users, serve validation requests", certme::RunValidatorCommand},
    {"wallet", "reference user wallet: key, attributes, consent, access history", certme::RunWalletCommand},
    {"provider", "service provider: request a validation and check the answer", certme::RunProviderCommand},
    {"version", "print the version", certme::RunVersionCommand},
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "certme — the certME bridge: OpenID Connect (and, as it lands, SAML 2.0) in front of\n"
               "the certME identity wallet.\n\n"
               "Usage: certme <command> [options]\n\nCommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-9s %s\n", c.name, c.summary);
  std::fprintf(out, "\nRun 'certme <command> --help' for the options of a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    PrintUsage(stdout);
    return argc < 2 ? 2 : 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : kCommands)
    if (!std::strcmp(argv[1], c.name)) return c.run(args);
  std::fprintf(stderr, "certme: unknown command \"%s\"\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
