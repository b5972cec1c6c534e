// `certme validator`: enrolment of a user's attributes (an eID and the
// hand-over file for the wallet), and the daemon answering the validation
// requests of the users it enrolled.
#include "tools/commands.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "common/log.h"
#include "common/random.h"
#include "common/signals.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "tools/command_helpers.h"
#include "tools/validator_service.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

using namespace tools;  // the commands' shared helpers (command_helpers.h)

int RunValidatorEnroll(const Args& a, const Settings& s, const EthKey& me) {
  auto user_arg = a.Get("user");
  auto out = a.Get("out");
  if (!user_arg || !out) return Usage("validator", "enroll needs --user ADDRESS and --out FILE");
  auto user = AccountArg(*user_arg);
  if (!user.ok()) return Fail("validator", user.status());
  const uint8_t loa = ParseLoa(a.Get("loa").value_or("substantial"));
  if (!loa) return Usage("validator", "--loa must be low, substantial or high");
  std::vector<DisclosedAttribute> attrs;
  for (const auto& kv : a.All("attr")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return Usage("validator", "--attr takes NAME=VALUE, got \"" + kv + "\"");
    DisclosedAttribute d{kv.substr(0, eq), kv.substr(eq + 1), abi::ToBytes32(SystemRandom().Bytes(32))};
    if (!IsValidAttributeName(d.name)) return Usage("validator", "\"" + d.name + "\" is not a valid attribute name");
    if (d.value.size() > kMaxAttributeValueBytes) return Usage("validator", "value of " + d.name + " is too long");
    for (const auto& x : attrs)
      if (x.name == d.name) return Usage("validator", "attribute " + d.name + " given twice");
    attrs.push_back(std::move(d));
  }
  if (attrs.empty()) return Usage("validator", "enroll needs at least one --attr NAME=VALUE");
  if (std::filesystem::exists(*out)) return Fail("validator", AlreadyExists(*out + " already exists"));
  // The demo validator accepts the attributes as given; a real one checks
  // them against the identity document here (certME validator procedure).
  std::vector<Bytes32> keys, commitments;
  for (const auto& d : attrs) {
    keys.push_back(AttributeKey(d.name));
    commitments.push_back(AttributeCommitment(*user, keys.back(), d.value, d.salt));
  }
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("validator", l.status());
  auto r = (*l)->IssueEid(me, *user, keys, commitments, loa);
  if (!r.ok()) return Fail("validator", r.status());
  Enrollment e{*user, me.address(), (*l)->RegistryAddress(), (*l)->ChainId(), loa, attrs};
  if (Status st = EnsureParentDir(*out); !st.ok()) return Fail("validator", st);
  if (Status st = WritePrivateFile(*out, EncodeEnrollment(e), false); !st.ok()) return Fail("validator", st);
  std::printf("issued an eID to %s (level of assurance %s, %zu attributes, entry %llu)\n", Addr(*user).c_str(),
              LoaName(loa), attrs.size(), static_cast<unsigned long long>(r->block));
  std::printf("values and salts for the wallet: %s (hand it over privately; `certme wallet import %s`)\n",
              out->c_str(), out->c_str());
  return 0;
}

int RunValidatorServe(const Args& a, const Settings& s, const EthKey& me) {
  // Signals are blocked before any thread exists so that only sigwait sees them.
  BlockTerminationSignals();
  auto l = OpenLedger(s, /*watch=*/true);
  if (!l.ok()) return Fail("validator", l.status());
  Ledger& L = **l;
  auto authorized = L.IsValidator(me.address());
  if (!authorized.ok()) return Fail("validator", authorized.status());
  if (!*authorized)
    LogWarn("this key is not an authorized validator (yet); requests will be answered once it is",
            {{"validator", me.AddressHex()}});
  LogInfo("validator serving", {{"validator", me.AddressHex()}, {"ledger", IsEvm(s) ? s.config.evm.rpc_url : s.ledger_path},
                                {"registry", Addr(L.RegistryAddress())}});
  ValidatorServiceOptions options;
  if (a.Flag("once")) {
    // Answer what is pending and exit; a failed read of the open set fails.
    options.once = true;
    std::atomic<bool> never{false};
    Status st = ServeValidationRequests(L, me, never, options);
    if (!st.ok()) return Fail("validator", st);
    return 0;
  }
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    Status st = ServeValidationRequests(L, me, stop, options);
    if (!st.ok()) {
      LogError("ledger unusable; stopping", {{"error", st.message()}});
      std::raise(SIGTERM);
    }
  });
  WaitForTerminationSignal();
  LogInfo("validator stopping");
  stop = true;
  worker.join();
  return 0;
}

}  // namespace

int RunValidatorCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme validator <subcommand> [--key FILE] [--config FILE] [--ledger PATH]\n\n"
        "A certME validator, signing with its key (default var/ledger/validator.key).\n\n"
        "  enroll --user ADDRESS --attr NAME=VALUE [--attr …] [--loa low|substantial|high] --out FILE\n"
        "        verify (the demo accepts) the user's attributes, write their salted commitments\n"
        "        and the level of assurance on the ledger as the user's eID, and write FILE with\n"
        "        the values and salts for the user's wallet (`certme wallet import FILE`)\n"
        "  serve [--once]\n"
        "        the validator service: answers every consented validation request for the\n"
        "        users it enrolled, as it lands on the ledger, until SIGTERM/SIGINT\n"
        "        (--once: answer what is pending and exit; exit 1 when it cannot be read)\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "key", "user", "attr", "loa", "out"}, {"once"},
                 "validator", &a))
    return 2;
  if (!a.positional.empty()) return Usage("validator", "unexpected argument \"" + a.positional[0] + "\"");
  Settings s;
  if (!LoadSettings(a, "validator", &s)) return 2;
  auto key = ReadServiceKeyFile(a.Get("key").value_or(s.validator_key_file));
  if (!key.ok()) return Fail("validator", key.status());
  if (args[0] == "enroll") return RunValidatorEnroll(a, s, *key);
  if (args[0] == "serve") return RunValidatorServe(a, s, *key);
  return Usage("validator", "unknown subcommand \"" + args[0] + "\"");
}

}  // namespace certme
