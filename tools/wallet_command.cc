// `certme wallet`: the reference wallet (create, import a validator's
// hand-over, show, consent, access history) and `approve`, which answers a
// wallet login QR code (tools/wallet_approve.h).
#include "tools/commands.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/configured_ledger.h"
#include "tools/command_helpers.h"
#include "tools/wallet_approve.h"
#include "tools/wallet_file.h"
#include "tools/wallet_history.h"
#include "tools/wallet_prompt.h"

namespace certme {
namespace {

using namespace tools;  // the commands' shared helpers (command_helpers.h)

std::map<Bytes32, std::string> NamesOf(const WalletContents& w) {
  std::map<Bytes32, std::string> m;
  for (const auto& a : w.attributes) m[AttributeKey(a.name)] = a.name;
  return m;
}

// The ledger settings a wallet command uses: the wallet's own record (where
// its import found the eID) unless the command line or the environment
// names a ledger.
LedgerConfig LedgerFor(const Settings& s, const WalletContents& w) {
  LedgerConfig c = s.config;
  if (s.ledger_named || !w.ledger) return c;
  const WalletLedger& r = *w.ledger;
  c.backend = r.backend;
  c.embedded.path = r.embedded_path;
  c.embedded.sequencer_key_file = r.sequencer_key_file;
  c.embedded.checkpoint_file = r.checkpoint_file;
  c.evm.rpc_url = r.rpc_url;
  c.evm.from_block = r.from_block;
  c.chain_id = static_cast<int64_t>(r.chain_id);
  c.registry_address = Addr(r.registry);
  return c;
}

StatusOr<std::unique_ptr<Ledger>> OpenWalletLedger(const Settings& s, const WalletContents& w) {
  auto l = OpenConfiguredLedger(LedgerFor(s, w), false);
  if (l.ok() || s.ledger_named || w.ledger) return l;
  // Nothing says where this wallet's ledger is: say what to pass.
  return FailedPrecondition(l.status().message() + "; this wallet does not record its ledger (it has not imported an "
                            "enrolment since wallets record it): pass the bridge's configuration with --config FILE, "
                            "or an embedded ledger with --ledger PATH and its sequencer key in "
                            "CERTME_LEDGER_EMBEDDED_SEQUENCER_KEY_FILE");
}

// What the wallet records after an import: the ledger it reached, paths
// made absolute so that the record holds from any directory.
WalletLedger RecordOf(const LedgerConfig& c, const Ledger& l) {
  auto abs = [](const std::string& p) {
    std::error_code ec;
    auto full = p.empty() ? std::filesystem::path() : std::filesystem::absolute(p, ec);
    return ec || p.empty() ? p : full.lexically_normal().string();
  };
  WalletLedger r;
  r.backend = c.backend;
  if (c.backend == kLedgerBackendEvm) {
    r.rpc_url = c.evm.rpc_url;
    r.from_block = c.evm.from_block;
  } else {
    r.embedded_path = abs(c.embedded.path);
    r.sequencer_key_file = abs(c.embedded.sequencer_key_file);
    r.checkpoint_file = abs(c.embedded.checkpoint_file);
  }
  r.chain_id = l.ChainId();
  r.registry = l.RegistryAddress();
  return r;
}

int RunWalletCreate(const Args& a, const Settings& s) {
  if (std::filesystem::exists(s.wallet_file))
    return Fail("wallet", AlreadyExists(s.wallet_file + " already exists; not overwriting it"));
  auto pass = ReadPassphrase(a, true);
  if (!pass.ok()) return Fail("wallet", pass.status());
  if (pass->reveal().size() < 8) return Fail("wallet", InvalidArgument("the passphrase needs at least 8 characters"));
  WalletContents w;
  auto sealed = SealWallet(w, *pass);
  if (!sealed.ok()) return Fail("wallet", sealed.status());
  if (Status st = EnsureParentDir(s.wallet_file); !st.ok()) return Fail("wallet", st);
  if (Status st = WritePrivateFile(s.wallet_file, *sealed, false); !st.ok()) return Fail("wallet", st);
  std::printf("%s\n", w.key.AddressHex().c_str());
  std::fprintf(stderr, "wallet %s created; its address (above) is what a validator enrolls\n", s.wallet_file.c_str());
  return 0;
}

int RunWalletImport(const Args& a, const Settings& s) {
  if (a.positional.size() != 1) return Usage("wallet", "import takes the enrollment FILE");
  auto text = ReadSmallFile(a.positional[0]);
  if (!text.ok()) return Fail("wallet", text.status());
  auto e = ParseEnrollment(*text);
  if (!e.ok()) return Fail("wallet", e.status());
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  auto& [w, pass] = *loaded;
  if (e->user != w.key.address())
    return Fail("wallet", InvalidArgument("this enrollment is for " + Addr(e->user) + ", not this wallet"));
  // Trust the ledger, not the file: every value must match the commitment
  // the validator wrote there.
  auto l = OpenWalletLedger(s, w);
  if (!l.ok()) return Fail("wallet", l.status());
  if ((*l)->RegistryAddress() != e->registry || (*l)->ChainId() != e->chain_id)
    return Fail("wallet", FailedPrecondition("this enrollment is for another registry"));
  auto eid = (*l)->GetEid(w.key.address());
  if (!eid.ok()) return Fail("wallet", eid.status());
  if (eid->status == EidStatus::kNone) return Fail("wallet", NotFound("the ledger holds no eID for this wallet"));
  if (eid->validator != e->validator)
    return Fail("wallet", FailedPrecondition("the eID was issued by another validator than the file says"));
  if (Status st = CheckDisclosure(w.key.address(), e->attributes, eid->attr_keys, eid->commitments); !st.ok()) {
    // CheckDisclosure wants every committed key; an import may bring a subset.
    for (const auto& attr : e->attributes) {
      auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), AttributeKey(attr.name));
      if (it == eid->attr_keys.end() ||
          eid->commitments[it - eid->attr_keys.begin()] !=
              AttributeCommitment(w.key.address(), AttributeKey(attr.name), attr.value, attr.salt))
        return Fail("wallet", FailedPrecondition("attribute \"" + attr.name + "\" does not match the ledger"));
    }
  }
  for (const auto& attr : e->attributes) {
    auto it = std::find_if(w.attributes.begin(), w.attributes.end(), [&](auto& x) { return x.name == attr.name; });
    if (it == w.attributes.end()) {
      w.attributes.push_back(attr);
    } else {
      *it = attr;
    }
  }
  w.validator = e->validator;
  w.loa = e->loa;
  w.ledger = RecordOf(LedgerFor(s, w), **l);
  auto sealed = SealWallet(w, pass);
  if (!sealed.ok()) return Fail("wallet", sealed.status());
  if (Status st = WritePrivateFile(s.wallet_file, *sealed, true); !st.ok()) return Fail("wallet", st);
  std::printf("imported %zu attributes, each matching its commitment on the ledger\n", e->attributes.size());
  std::fprintf(stderr, "you may now delete %s (it holds the values in clear)\n", a.positional[0].c_str());
  return 0;
}

// The user's side of an enrolment: the file must name this wallet and the
// registry the wallet uses; the wallet signs the EIP-712 Enrolment of
// exactly these values (as commitments), validator, level and deadline.
int RunWalletApproveEnrolment(const Args& a, const Settings& s) {
  auto out = a.Get("out");
  if (a.positional.size() != 1 || !out) return Usage("wallet", "approve-enrolment takes the enrolment FILE and --out SIG");
  auto text = ReadSmallFile(a.positional[0]);
  if (!text.ok()) return Fail("wallet", text.status());
  auto e = ParseEnrollment(*text);
  if (!e.ok()) return Fail("wallet", e.status());
  if (!e->deadline) return Fail("wallet", InvalidArgument("this file holds no enrolment terms (no deadline)"));
  // The wallet's key, or (--key) a plain key file of a user whose key lives
  // outside this reference wallet.
  std::optional<EthKey> key;
  if (auto k = a.Get("key")) {
    auto read = ReadServiceKeyFile(*k);
    if (!read.ok()) return Fail("wallet", read.status());
    key = *read;
  } else {
    auto loaded = LoadWallet(a, s);
    if (!loaded.ok()) return Fail("wallet", loaded.status());
    key = loaded->first.key;
  }
  if (e->user != key->address())
    return Fail("wallet", InvalidArgument("this enrolment is for " + Addr(e->user) + ", not this wallet"));
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("wallet", l.status());
  if ((*l)->RegistryAddress() != e->registry || (*l)->ChainId() != e->chain_id)
    return Fail("wallet", FailedPrecondition("this enrolment is for another registry"));
  if ((*l)->Now() >= static_cast<int64_t>(std::min<uint64_t>(e->deadline, INT64_MAX)))
    return Fail("wallet", FailedPrecondition("this enrolment's deadline has passed; ask the validator for a new one"));
  const EthSignature sig = SignEnrolment(*key, EnrollmentDomain(*e), EnrolmentTerms(*e));
  if (std::filesystem::exists(*out)) return Fail("wallet", AlreadyExists(*out + " already exists"));
  if (Status st = WritePrivateFile(*out, sig.ToHex() + "\n", false); !st.ok()) return Fail("wallet", st);
  std::string names;
  for (const auto& attr : e->attributes) names += (names.empty() ? "" : ", ") + attr.name;
  std::printf("approved the enrolment by validator %s (level of assurance %s): %s\n", Addr(e->validator).c_str(),
              LoaName(e->loa), names.c_str());
  std::fprintf(stderr, "signature in %s: give it to the validator (`certme validator issue FILE --consent %s`)\n",
               out->c_str(), out->c_str());
  return 0;
}

int RunWalletShow(const Args& a, const Settings& s) {
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  const WalletContents& w = loaded->first;
  std::printf("address:   %s\n", w.key.AddressHex().c_str());
  auto l = OpenWalletLedger(s, w);
  if (l.ok()) {
    auto eid = (*l)->GetEid(w.key.address());
    if (eid.ok() && eid->status != EidStatus::kNone) {
      std::printf("eID:       %s, level of assurance %s, validator %s\n", EidStatusName(eid->status),
                  LoaName(eid->loa), Addr(eid->validator).c_str());
    } else {
      std::printf("eID:       none on the ledger yet\n");
    }
  } else {
    std::printf("eID:       (ledger unavailable: %s)\n", l.status().message().c_str());
  }
  for (const auto& attr : w.attributes) {
    std::printf("attribute: %s = %s", attr.name.c_str(), attr.value.c_str());
    if (a.Flag("salts")) std::printf("  (salt 0x%s)", HexEncode(abi::AsView(attr.salt)).c_str());
    std::printf("\n");
  }
  return 0;
}

int RunWalletConsent(const Args& a, const Settings& s) {
  auto provider_arg = a.Get("provider");
  auto attrs_arg = a.Get("attrs");
  auto out = a.Get("out");
  if (!provider_arg || !attrs_arg || !out) return Usage("wallet", "consent needs --provider ADDRESS --attrs a,b --out FILE");
  auto provider = AccountArg(*provider_arg);
  if (!provider.ok()) return Fail("wallet", provider.status());
  int ttl = s.consent_ttl_seconds;
  if (auto t = a.Get("ttl")) ttl = std::atoi(t->c_str());
  if (ttl <= 0 || ttl > 86400) return Usage("wallet", "--ttl must be 1-86400 seconds");
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  const WalletContents& w = loaded->first;
  auto l = OpenWalletLedger(s, w);
  if (!l.ok()) return Fail("wallet", l.status());
  Presentation p;
  p.domain = (*l)->Domain();
  for (const auto& name : SplitTrimmed(*attrs_arg, ',')) {
    auto it = std::find_if(w.attributes.begin(), w.attributes.end(), [&](auto& x) { return x.name == name; });
    if (it == w.attributes.end()) return Fail("wallet", NotFound("the wallet holds no attribute \"" + name + "\""));
    p.attributes.push_back(*it);
    p.consent.attr_keys.push_back(AttributeKey(name));
  }
  if (p.attributes.empty()) return Usage("wallet", "--attrs lists no attribute");
  p.consent.user = w.key.address();
  p.consent.provider = *provider;
  p.consent.nonce = abi::ToBytes32(SystemRandom().Bytes(32));
  p.consent.expiry = static_cast<uint64_t>((*l)->Now() + ttl);
  EthSignature sig = SignConsent(w.key, p.domain, p.consent);
  p.signature.assign(reinterpret_cast<const char*>(sig.rsv.data()), sig.rsv.size());
  if (Status st = EnsureParentDir(*out); !st.ok()) return Fail("wallet", st);
  if (Status st = WritePrivateFile(*out, EncodePresentation(p), true); !st.ok()) return Fail("wallet", st);
  std::printf("consent for %s to validate %s, valid until %s (EIP-712, signed by %s)\n", Addr(*provider).c_str(),
              attrs_arg->c_str(), TimeText(static_cast<int64_t>(p.consent.expiry)).c_str(), w.key.AddressHex().c_str());
  std::printf("written with the attribute values to %s: send it to the provider\n", out->c_str());
  return 0;
}

int RunWalletHistory(const Args& a, const Settings& s) {
  const std::string lang = WalletLang(a.Get("lang"), std::getenv);
  if (lang.empty()) return Usage("wallet", "--lang is ro, ru or en");
  ProviderDirectoryMap dir;
  if (auto where = a.Get("directory")) {
    auto d = LoadProviderDirectory(*where, a.Get("cacert").value_or(""));
    if (!d.ok()) return Fail("wallet", d.status());
    dir = std::move(*d);
  }
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  const WalletContents& w = loaded->first;
  auto l = OpenWalletLedger(s, w);
  if (!l.ok()) return Fail("wallet", l.status());
  auto h = WalletHistory(**l, w.key, dir, lang, NamesOf(w));
  if (!h.ok()) return Fail("wallet", h.status());
  if (h->empty()) {
    std::printf("no one has asked to validate your attributes yet%s\n",
                dir.empty() ? " (access records need --directory to be found)" : "");
    return 0;
  }
  for (const auto& line : *h) std::printf("%s\n", line.text.c_str());
  if (dir.empty()) std::printf("(access records of logins are listed with --directory URL|FILE)\n");
  return 0;
}

// `certme wallet approve` and `certme wallet sign` (tools/wallet_approve.h).
int RunWalletApprove(const Args& a, const Settings& s, bool sign) {
  if (a.positional.size() != 1)
    return Usage("wallet", sign ? "sign takes the sign request's link or a PNG screenshot"
                                : "approve takes the login link or a PNG screenshot");
  if (a.Flag("yes") && a.Flag("refuse")) return Usage("wallet", "--yes and --refuse exclude each other");
  const std::string lang = WalletLang(a.Get("lang"), std::getenv);
  if (lang.empty()) return Usage("wallet", "--lang is ro, ru or en");
  std::string text = a.positional[0];
  if (text.size() > 4 && text.compare(text.size() - 4, 4, ".png") == 0) {
    auto decoded = DecodeQrImage(text);
    if (!decoded.ok()) return Fail("wallet", decoded.status());
    text = *decoded;
  }
  auto link = ParseLoginLink(text);
  if (!link.ok()) return Fail("wallet", link.status());
  auto w = LoadWallet(a, s);
  if (!w.ok()) return Fail("wallet", w.status());
  ApproveChoice choice = a.Flag("yes") ? ApproveChoice::kApprove : a.Flag("refuse") ? ApproveChoice::kRefuse : ApproveChoice::kAsk;
  Status st = sign ? ApproveSignRequest(*link, w->first, choice, lang, a.Get("cacert").value_or(""))
                    : ApproveLogin(*link, w->first, choice, lang, a.Get("cacert").value_or(""));
  if (!st.ok()) return Fail("wallet", st);
  return 0;
}

}  // namespace

int RunWalletCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme wallet <subcommand> [--wallet FILE] [--passphrase-file FILE] [--config FILE]\n"
        "                     [--ledger PATH]\n\n"
        "A reference certME wallet. The file (default var/wallet.json, or $CERTME_WALLET) holds the\n"
        "user's secp256k1 key and attributes (value + salt), encrypted with a passphrase\n"
        "(Argon2id + AES-256-GCM). The passphrase comes from --passphrase-file, from\n"
        "$CERTME_WALLET_PASSPHRASE, or is asked on the terminal. The ledger: the one the wallet's\n"
        "last import used (recorded in the wallet), unless --config, --ledger or CERTME_LEDGER_*\n"
        "name another. --lang ro|ru|en: the language of history, approve and sign (default from\n"
        "LC_ALL, LC_MESSAGES, LANG; else ro).\n\n"
        "  create                 make a new key; prints the address a validator enrolls\n"
        "  approve-enrolment FILE --out SIG [--key KEYFILE]\n"
        "                         sign the enrolment a validator prepared (this wallet, these\n"
        "                         values, validator and level) so that it can issue the eID\n"
        "  import FILE            take the values and salts a validator handed over, after\n"
        "                         checking each against its commitment on the ledger\n"
        "  show [--salts]         address, eID status on the ledger, attributes\n"
        "  consent --provider ADDRESS --attrs NAME[,NAME…] [--ttl SECONDS] --out FILE\n"
        "                         sign an EIP-712 consent for that provider to have those\n"
        "                         attributes validated, and write it with their values to FILE\n"
        "  history [--directory URL|FILE] [--lang ro|ru|en] [--cacert PEM]\n"
        "                         your access history: who asked to validate which attributes, when,\n"
        "                         the outcome, and every login that released attributes to a service\n"
        "                         (the access records only you can open; the bridge's directory\n"
        "                         /.well-known/certme-providers.json names the services)\n"
        "  approve URL|PNG [--yes|--refuse] [--lang ro|ru|en] [--cacert PEM]\n"
        "                         log in with this wallet: the QR link of a \"Conectare cu certME\"\n"
        "                         page (certme://… or https://…/l/CODE) or a PNG screenshot of it;\n"
        "                         shows the service and each attribute by name with the value it\n"
        "                         would send, then approves (--yes), refuses\n"
        "                         (--refuse) or asks on the terminal; --cacert trusts that CA for\n"
        "                         https; an answer that got no reply is resent as is\n"
        "  sign URL|PNG [--yes|--refuse] [--lang ro|ru|en] [--cacert PEM]\n"
        "                         sign documents with this wallet's eID: the QR link of a signing\n"
        "                         page or a PNG screenshot of it; shows the service, the attributes\n"
        "                         it would send, what is signed and each document's name and\n"
        "                         digest, then signs (--yes: one JAdES ES256K signature per\n"
        "                         document, recorded on the ledger by the bridge), refuses\n"
        "                         (--refuse) or asks on the terminal\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()},
                 {"config", "ledger", "wallet", "passphrase-file", "provider", "attrs", "ttl", "out", "cacert", "key",
                  "directory", "lang"}, {"salts", "yes", "refuse"},
                 "wallet", &a))
    return 2;
  Settings s;
  if (!LoadSettings(a, "wallet", &s)) return 2;
  if (auto w = a.Get("wallet")) s.wallet_file = *w;
  const std::string& sub = args[0];
  if (sub == "approve") return RunWalletApprove(a, s, /*sign=*/false);
  if (sub == "sign") return RunWalletApprove(a, s, /*sign=*/true);
  if (sub != "import" && sub != "approve-enrolment" && !a.positional.empty()) return Usage("wallet", "unexpected argument \"" + a.positional[0] + "\"");
  if (sub == "create") return RunWalletCreate(a, s);
  if (sub == "import") return RunWalletImport(a, s);
  if (sub == "approve-enrolment") return RunWalletApproveEnrolment(a, s);
  if (sub == "show") return RunWalletShow(a, s);
  if (sub == "consent") return RunWalletConsent(a, s);
  if (sub == "history") return RunWalletHistory(a, s);
  return Usage("wallet", "unknown subcommand \"" + sub + "\"");
}

}  // namespace certme
