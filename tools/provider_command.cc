// `certme provider request`: a service provider's side of a validation —
// the request with the user's consent, the wait for the answer, and the
// check of the presented values against the answered commitments.
#include "tools/commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "ledger-client/attributes.h"
#include "tools/command_helpers.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

using namespace tools;  // the commands' shared helpers (command_helpers.h)

}  // namespace

int RunProviderCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme provider request PRESENTATION [--wait SECONDS] [--key FILE] [--config FILE]\n"
        "                       [--ledger PATH]\n\n"
        "A service provider's side of a validation, signing with its key (default\n"
        "var/ledger/provider.key): opens a validation request on the ledger with the user's\n"
        "consent from PRESENTATION (`certme wallet consent`), waits for the enrolling\n"
        "validator's answer (default: ledger.answer_timeout_seconds), and accepts the\n"
        "attribute values only if each matches the answered commitment exactly.\n"
        "Exit status 0: verified; 1: refused, unanswered or not matching.\n");
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "request") return Usage("provider", "unknown subcommand \"" + args[0] + "\"");
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "key", "wait"}, {}, "provider", &a)) return 2;
  if (a.positional.size() != 1) return Usage("provider", "request takes the PRESENTATION file");
  Settings s;
  if (!LoadSettings(a, "provider", &s)) return 2;
  int wait = s.answer_timeout_seconds;
  if (auto w = a.Get("wait")) wait = std::atoi(w->c_str());
  if (wait <= 0) return Usage("provider", "--wait must be a positive number of seconds");
  auto key = ReadServiceKeyFile(a.Get("key").value_or(s.provider_key_file));
  if (!key.ok()) return Fail("provider", key.status());
  auto text = ReadSmallFile(a.positional[0]);
  if (!text.ok()) return Fail("provider", text.status());
  auto p = ParsePresentation(*text);
  if (!p.ok()) return Fail("provider", p.status());
  auto l = OpenLedger(s, /*watch=*/true);
  if (!l.ok()) return Fail("provider", l.status());
  Ledger& L = **l;
  if (p->domain.chain_id != L.ChainId() || p->domain.verifying_contract != L.RegistryAddress())
    return Fail("provider", FailedPrecondition("the consent is for another registry or chain"));
  if (p->consent.provider != key->address())
    return Fail("provider", FailedPrecondition("the consent names provider " + Addr(p->consent.provider) +
                                                   ", not this one (" + key->AddressHex() + ")"));
  std::string names;
  for (const auto& attr : p->attributes) names += (names.empty() ? "" : ", ") + attr.name;
  auto id = L.RequestValidation(*key, p->consent, p->signature);
  if (!id.ok()) return Fail("provider", id.status());
  std::printf("request %llu opened: validate %s of %s\n", static_cast<unsigned long long>(*id), names.c_str(),
              Addr(p->consent.user).c_str());
  std::fflush(stdout);
  auto answered = L.WaitForAnswer(*id, std::chrono::seconds(wait));
  if (!answered.ok()) return Fail("provider", answered.status());
  std::printf("request %llu answered by validator %s (level of assurance %s)\n", static_cast<unsigned long long>(*id),
              Addr(answered->validator).c_str(), LoaName(answered->loa));
  Status check = CheckDisclosure(p->consent.user, p->attributes, answered->attr_keys, answered->commitments);
  if (!check.ok()) return Fail("provider", check);
  for (const auto& attr : p->attributes) std::printf("verified: %s = %s\n", attr.name.c_str(), attr.value.c_str());
  return 0;
}

}  // namespace certme
