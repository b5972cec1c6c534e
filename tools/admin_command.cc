// The ledger part of `certme admin`: the scheme administrator's
// transactions (roles, eID status), signed with the administrator's key.
#include "tools/commands.h"

#include <cstdio>
#include <map>
#include <utility>

#include "ledger-client/registry_abi.h"
#include "tools/command_helpers.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

using namespace tools;  // the commands' shared helpers (command_helpers.h)

}  // namespace

int RunLedgerAdminCommand(const std::vector<std::string>& args, const ServiceAddressLookup& service_address) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme admin <subcommand> ACCOUNT [--admin-key FILE] [--config FILE] [--ledger PATH]\n\n"
        "Scheme-administrator transactions, signed with the administrator's key\n"
        "(default var/ledger/admin.key). ACCOUNT is a 0x address or a key file;\n"
        "for the provider acts in hub mode also a registered service (client_id or\n"
        "SAML entity ID), whose provider address the bridge's store holds.\n\n"
        "  authorize-validator ACCOUNT     deauthorize-validator ACCOUNT\n"
        "  authorize-provider ACCOUNT|SERVICE    deauthorize-provider ACCOUNT|SERVICE\n"
        "  suspend-eid USER                reactivate-eid USER                revoke-eid USER\n\n"
        "Refusals name their reason (NotAuthorized, EidNotActive, NotSuspended, …).\n");
    return args.empty() ? 2 : 0;
  }
  static const std::map<std::string, std::pair<RegistryMethod, const char*>> kSubs = {
      {"authorize-validator", {RegistryMethod::kAddValidator, "authorized validator"}},
      {"deauthorize-validator", {RegistryMethod::kRemoveValidator, "de-authorized validator"}},
      {"authorize-provider", {RegistryMethod::kAddProvider, "authorized service provider"}},
      {"deauthorize-provider", {RegistryMethod::kRemoveProvider, "de-authorized service provider"}},
      {"suspend-eid", {RegistryMethod::kSuspendEid, "suspended the eID of"}},
      {"reactivate-eid", {RegistryMethod::kReactivateEid, "reactivated the eID of"}},
      {"revoke-eid", {RegistryMethod::kRevokeEid, "revoked the eID of"}},
  };
  auto sub = kSubs.find(args[0]);
  if (sub == kSubs.end()) return Usage("admin", "unknown subcommand \"" + args[0] + "\"");
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "admin-key"}, {}, "admin", &a)) return 2;
  if (a.positional.size() != 1) return Usage("admin", args[0] + " takes one ACCOUNT");
  Settings s;
  if (!LoadSettings(a, "admin", &s)) return 2;
  auto account = AccountArg(a.positional[0]);
  const bool provider_act = args[0] == "authorize-provider" || args[0] == "deauthorize-provider";
  std::string service;
  if (!account.ok() && provider_act && service_address && a.positional[0].rfind("0x", 0) != 0) {
    service = a.positional[0];
    account = service_address(s.config_path, service);
  }
  if (!account.ok()) return Fail("admin", account.status());
  auto key = ReadServiceKeyFile(a.Get("admin-key").value_or(s.admin_key_file));
  if (!key.ok()) return Fail("admin", key.status());
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("admin", l.status());
  auto r = (*l)->Transact(*key, AccountCall(sub->second.first, *account));
  if (!r.ok()) return Fail("admin", r.status());
  std::printf("%s %s%s (entry %llu)\n", sub->second.second, Addr(*account).c_str(),
              service.empty() ? "" : (" (service " + service + ")").c_str(), static_cast<unsigned long long>(r->block));
  return 0;
}

}  // namespace certme
