// `certme validator`: enrolment of a user's attributes (an eID and the
// hand-over file for the wallet), and the daemon answering the validation
// requests of the users it enrolled.
#include "tools/commands.h"

#include <algorithm>
#include <cctype>
#include <charconv>
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

// The --attr NAME=VALUE list, each with a fresh salt; false after a usage error.
bool ParseAttrArgs(const Args& a, std::vector<DisclosedAttribute>* attrs) {
  for (const auto& kv : a.All("attr")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return Usage("validator", "--attr takes NAME=VALUE, got \"" + kv + "\""), false;
    DisclosedAttribute d{kv.substr(0, eq), kv.substr(eq + 1), abi::ToBytes32(SystemRandom().Bytes(32))};
    if (!IsValidAttributeName(d.name))
      return Usage("validator", "\"" + d.name + "\" is not a valid attribute name"), false;
    if (d.value.size() > kMaxAttributeValueBytes) return Usage("validator", "value of " + d.name + " is too long"), false;
    for (const auto& x : *attrs)
      if (x.name == d.name) return Usage("validator", "attribute " + d.name + " given twice"), false;
    attrs->push_back(std::move(d));
  }
  if (attrs->empty()) return Usage("validator", "at least one --attr NAME=VALUE is needed"), false;
  return true;
}

int WriteHandOver(const std::string& out, const Enrollment& e) {
  if (Status st = EnsureParentDir(out); !st.ok()) return Fail("validator", st);
  if (Status st = WritePrivateFile(out, EncodeEnrollment(e), false); !st.ok()) return Fail("validator", st);
  return 0;
}

// Step 1 of an enrolment: the terms and the values, for the user to sign.
// Nothing is written on the ledger until the user's signature comes back
// (`certme validator issue`).
int RunValidatorEnroll(const Args& a, const Settings& s, const EthKey& me) {
  auto user_arg = a.Get("user");
  auto out = a.Get("out");
  if (!user_arg || !out) return Usage("validator", "enroll needs --user ADDRESS and --out FILE");
  auto user = AccountArg(*user_arg);
  if (!user.ok()) return Fail("validator", user.status());
  const uint8_t loa = ParseLoa(a.Get("loa").value_or("substantial"));
  if (!loa) return Usage("validator", "--loa must be low, substantial or high");
  const std::string valid_text = a.Get("valid-for").value_or("86400");
  int64_t valid_for = 0;
  auto [end, ec] = std::from_chars(valid_text.data(), valid_text.data() + valid_text.size(), valid_for);
  if (ec != std::errc() || end != valid_text.data() + valid_text.size() || valid_for <= 0 || valid_for > 30 * 86400)
    return Usage("validator", "--valid-for takes 1 to 2592000 seconds");
  std::vector<DisclosedAttribute> attrs;
  if (!ParseAttrArgs(a, &attrs)) return 2;
  if (std::filesystem::exists(*out)) return Fail("validator", AlreadyExists(*out + " already exists"));
  // The demo validator accepts the attributes as given; a real one checks
  // them against the identity document here (certME validator procedure).
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("validator", l.status());
  auto existing = (*l)->GetEidStatus(*user);
  if (!existing.ok()) return Fail("validator", existing.status());
  if (*existing != EidStatus::kNone)
    return Fail("validator", LedgerError(LedgerErrorCode::kEidExists, Addr(*user) + " already holds an eID"));
  Enrollment e{*user, me.address(), (*l)->RegistryAddress(), (*l)->ChainId(), loa, attrs,
               static_cast<uint64_t>((*l)->Now() + valid_for)};
  if (int rc = WriteHandOver(*out, e)) return rc;
  std::printf("prepared the enrolment of %s (level of assurance %s, %zu attributes) in %s\n", Addr(*user).c_str(),
              LoaName(loa), attrs.size(), out->c_str());
  std::printf("the user approves it: certme wallet approve-enrolment %s --out SIG (hand FILE over privately);\n"
              "then: certme validator issue %s --consent SIG\n",
              out->c_str(), out->c_str());
  return 0;
}

// Step 2: the eID on the ledger, with the user's signature over the terms.
int RunValidatorIssue(const Args& a, const Settings& s, const EthKey& me) {
  if (a.positional.size() != 1) return Usage("validator", "issue takes the enrolment FILE");
  auto consent = a.Get("consent");
  if (!consent) return Usage("validator", "issue needs --consent SIG (the user's signature, or a file holding it)");
  auto text = ReadSmallFile(a.positional[0]);
  if (!text.ok()) return Fail("validator", text.status());
  auto e = ParseEnrollment(*text);
  if (!e.ok()) return Fail("validator", e.status());
  if (e->validator != me.address())
    return Fail("validator", InvalidArgument("this enrolment was prepared by " + Addr(e->validator) + ", not this key"));
  if (!e->deadline) return Fail("validator", InvalidArgument("this file holds no enrolment terms (no deadline)"));
  std::string sig_text = *consent;
  if (sig_text.rfind("0x", 0) != 0) {
    auto f = ReadSmallFile(sig_text);
    if (!f.ok()) return Fail("validator", f.status());
    sig_text = *f;
  }
  while (!sig_text.empty() && std::isspace(static_cast<unsigned char>(sig_text.back()))) sig_text.pop_back();
  auto sig = EthSignature::FromHex(sig_text);
  if (!sig) return Fail("validator", InvalidArgument("--consent is not a 65-byte signature in hex"));
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("validator", l.status());
  if ((*l)->RegistryAddress() != e->registry || (*l)->ChainId() != e->chain_id)
    return Fail("validator", FailedPrecondition("this enrolment is for another registry"));
  const Enrolment t = EnrolmentTerms(*e);
  auto r = (*l)->IssueEid(me, e->user, t.attr_keys, t.commitments, e->loa, e->deadline,
                          std::string(reinterpret_cast<const char*>(sig->rsv.data()), sig->rsv.size()));
  if (!r.ok()) return Fail("validator", r.status());
  std::printf("issued an eID to %s (level of assurance %s, %zu attributes, entry %llu)\n", Addr(e->user).c_str(),
              LoaName(e->loa), e->attributes.size(), static_cast<unsigned long long>(r->block));
  std::printf("values and salts for the wallet: %s (`certme wallet import %s`)\n", a.positional[0].c_str(),
              a.positional[0].c_str());
  return 0;
}

// An eID the administrator moved to this validator: verified again, new
// salts and commitments on the ledger, the hand-over for the wallet.
int RunValidatorReattest(const Args& a, const Settings& s, const EthKey& me) {
  auto out = a.Get("out");
  if (a.positional.size() != 1 || !out) return Usage("validator", "reattest takes USER and --out FILE");
  auto user = AccountArg(a.positional[0]);
  if (!user.ok()) return Fail("validator", user.status());
  const uint8_t loa = ParseLoa(a.Get("loa").value_or("substantial"));
  if (!loa) return Usage("validator", "--loa must be low, substantial or high");
  std::vector<DisclosedAttribute> attrs;
  if (!ParseAttrArgs(a, &attrs)) return 2;
  if (std::filesystem::exists(*out)) return Fail("validator", AlreadyExists(*out + " already exists"));
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("validator", l.status());
  Enrollment e{*user, me.address(), (*l)->RegistryAddress(), (*l)->ChainId(), loa, attrs, 0};
  const Enrolment t = EnrolmentTerms(e);
  auto r = (*l)->ReattestEid(me, *user, t.attr_keys, t.commitments, loa);
  if (!r.ok()) return Fail("validator", r.status());
  if (int rc = WriteHandOver(*out, e)) return rc;
  std::printf("re-attested the eID of %s (level of assurance %s, %zu attributes, entry %llu)\n", Addr(*user).c_str(),
              LoaName(loa), attrs.size(), static_cast<unsigned long long>(r->block));
  std::printf("values and salts for the wallet: %s (`certme wallet import %s`)\n", out->c_str(), out->c_str());
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
        "  enroll --user ADDRESS --attr NAME=VALUE [--attr …] [--loa low|substantial|high]\n"
        "         [--valid-for SECONDS] --out FILE\n"
        "        verify (the demo accepts) the user's attributes and write FILE: their values and\n"
        "        salts and the enrolment terms the user signs (`certme wallet approve-enrolment`)\n"
        "  issue FILE --consent SIG\n"
        "        write the eID (salted commitments, level of assurance) on the ledger with the\n"
        "        user's signature SIG (0x… or a file holding it); FILE then goes to the wallet\n"
        "        (`certme wallet import FILE`)\n"
        "  reattest USER --attr NAME=VALUE [--attr …] [--loa L] --out FILE\n"
        "        re-attest an eID the administrator moved to this validator (new salts and\n"
        "        commitments replace the old); FILE for the wallet\n"
        "  serve [--once]\n"
        "        the validator service: answers every consented validation request for the\n"
        "        users it enrolled, as it lands on the ledger, until SIGTERM/SIGINT\n"
        "        (--once: answer what is pending and exit; exit 1 when it cannot be read)\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "key", "user", "attr", "loa", "out", "valid-for", "consent"},
                 {"once"},
                 "validator", &a))
    return 2;
  if (!a.positional.empty() && args[0] != "issue" && args[0] != "reattest")
    return Usage("validator", "unexpected argument \"" + a.positional[0] + "\"");
  Settings s;
  if (!LoadSettings(a, "validator", &s)) return 2;
  auto key = ReadServiceKeyFile(a.Get("key").value_or(s.validator_key_file));
  if (!key.ok()) return Fail("validator", key.status());
  if (args[0] == "enroll") return RunValidatorEnroll(a, s, *key);
  if (args[0] == "issue") return RunValidatorIssue(a, s, *key);
  if (args[0] == "reattest") return RunValidatorReattest(a, s, *key);
  if (args[0] == "serve") return RunValidatorServe(a, s, *key);
  return Usage("validator", "unknown subcommand \"" + args[0] + "\"");
}

}  // namespace certme
