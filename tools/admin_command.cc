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

// propose-admin / cancel-admin-proposal / accept-admin / move-eid: the
// calls that are not "one account, one method".
int RunSpecial(const std::string& sub, const Args& a, const Settings& s) {
  const size_t want = sub == "propose-admin" ? 1 : sub == "move-eid" ? 2 : 0;
  if (a.positional.size() != want)
    return Usage("admin", sub + (want == 0 ? " takes no ACCOUNT" : want == 1 ? " takes one ACCOUNT" : " takes USER VALIDATOR"));
  std::vector<std::string> accounts;
  for (const auto& p : a.positional) {
    auto account = AccountArg(p);
    if (!account.ok()) return Fail("admin", account.status());
    accounts.push_back(*account);
  }
  auto key = ReadServiceKeyFile(a.Get("admin-key").value_or(s.admin_key_file));
  if (!key.ok()) return Fail("admin", key.status());
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("admin", l.status());
  StatusOr<TxReceipt> r = sub == "propose-admin"           ? (*l)->ProposeAdmin(*key, accounts[0])
                          : sub == "cancel-admin-proposal" ? (*l)->ProposeAdmin(*key, "")
                          : sub == "accept-admin"          ? (*l)->AcceptAdmin(*key)
                                                           : (*l)->MoveEid(*key, accounts[0], accounts[1]);
  if (!r.ok()) return Fail("admin", r.status());
  const auto entry = static_cast<unsigned long long>(r->block);
  if (sub == "propose-admin") {
    std::printf("proposed %s as the next administrator (entry %llu); it takes over with `certme admin accept-admin`\n",
                Addr(accounts[0]).c_str(), entry);
  } else if (sub == "cancel-admin-proposal") {
    std::printf("cancelled the administrator proposal (entry %llu)\n", entry);
  } else if (sub == "accept-admin") {
    std::printf("%s is now the administrator (entry %llu)\n", key->AddressHex().c_str(), entry);
  } else {
    std::printf("moved the eID of %s to validator %s (entry %llu); it waits for that validator's re-attestation\n",
                Addr(accounts[0]).c_str(), Addr(accounts[1]).c_str(), entry);
  }
  return 0;
}

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
        "  suspend-eid USER                reactivate-eid USER                revoke-eid USER\n"
        "  move-eid USER VALIDATOR         hand an eID to another validator, which re-attests it\n"
        "  propose-admin ACCOUNT           cancel-admin-proposal\n"
        "  accept-admin                    (with --admin-key of the proposed key) take over\n\n"
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
  const bool special = args[0] == "propose-admin" || args[0] == "cancel-admin-proposal" ||
                       args[0] == "accept-admin" || args[0] == "move-eid";
  if (sub == kSubs.end() && !special) return Usage("admin", "unknown subcommand \"" + args[0] + "\"");
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "admin-key"}, {}, "admin", &a)) return 2;
  if (special) {
    Settings s;
    if (!LoadSettings(a, "admin", &s)) return 2;
    return RunSpecial(args[0], a, s);
  }
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
