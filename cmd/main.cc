// certme — one binary, one subcommand per role. The only code that depends
// on both the server (idp/) and the programs around the ledger (tools/).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "idp/admin/commands.h"
#include "idp/commands.h"
#include "idp/idp_server.h"
#include "idp/key_rollover.h"
#include "idp/provider_accounts.h"
#include "store/store.h"
#include "tools/commands.h"

namespace {

// `certme admin`: the console's account commands use the server's Store;
// everything else is the scheme administrator's ledger acts.
int RunAdmin(const std::vector<std::string>& args) {
  if (!args.empty() && certme::IsConsoleAdminSubcommand(args[0]))
    return certme::RunConsoleAdminCommand(args, certme::OpenConfiguredStore);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(certme::ConsoleAdminHelp(), stdout);
    int rc = certme::RunLedgerAdminCommand(args);
    return args.empty() ? 2 : rc;
  }
  // `authorize-provider SERVICE` in hub mode: the service's address from the
  // server's store.
  return certme::RunLedgerAdminCommand(args, certme::RegisteredServiceAddress);
}

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

const Command kCommands[] = {
    {"idp", "run the identity provider (OpenID Connect and SAML 2.0) server", certme::RunIdpCommand},
    {"demo", "run the server on embedded defaults with the development login and a sample client",
     certme::RunDemoCommand},
    {"config", "print the reference configuration, or check a configuration file",
     certme::RunConfigCommand},
    {"ledger", "create, deploy and inspect the certME registry (embedded ledger or EVM contract)",
     certme::RunLedgerCommand},
    {"admin", "scheme administrator: authorize validators and providers, suspend/revoke eIDs; console accounts",
     RunAdmin},
    {"validator", "validator: enroll users, serve validation requests", certme::RunValidatorCommand},
    {"wallet", "reference user wallet: key, attributes, consent, access history", certme::RunWalletCommand},
    {"provider", "service provider: request a validation and check the answer", certme::RunProviderCommand},
    {"sign", "verify a JAdES signature made with a certME wallet (and its ledger record)", certme::RunSignCommand},
    {"keys", "roll the OpenID Connect and SAML signing keys over without a restart", certme::RunKeysCommand},
    {"version", "print the version", certme::RunVersionCommand},
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "certme — the certME bridge: OpenID Connect and SAML 2.0 in front of the certME\n"
               "identity wallet, with its administration console and the ledger's programs.\n\n"
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
