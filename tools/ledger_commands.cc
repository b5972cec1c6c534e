// certme ledger | admin | validator | wallet | provider: the programs around
// the registry, for a newcomer's command line as much as for scripts.
// Results go to stdout (one fact a line); problems to stderr. Exit codes as
// in tools/commands.h: 0 success, 1 refused or failed, 2 usage.
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "common/signals.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/random.h"
#include "tools/commands.h"
#include "config/config.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/registry_abi.h"
#include "ledger-client/configured_ledger.h"
#include "tools/wallet_approve.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

// ---------------------------------------------------------------- arguments

// Options take a value (`--name VALUE` or `--name=VALUE`) unless listed as
// flags; anything else is a positional argument.
struct Args {
  std::map<std::string, std::vector<std::string>> options;
  std::set<std::string> flags;
  std::vector<std::string> positional;

  std::optional<std::string> Get(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  std::vector<std::string> All(const std::string& name) const {
    auto it = options.find(name);
    return it == options.end() ? std::vector<std::string>{} : it->second;
  }
  bool Flag(const std::string& name) const { return flags.count(name) > 0; }
};

// Returns false (after printing why) on an unknown option.
bool ParseArgs(const std::vector<std::string>& in, const std::set<std::string>& value_options,
               const std::set<std::string>& flag_options, const char* cmd, Args* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& a = in[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (flag_options.count(name) && !has_value) {
      out->flags.insert(name);
    } else if (value_options.count(name)) {
      if (!has_value) {
        if (i + 1 >= in.size()) {
          std::fprintf(stderr, "certme %s: --%s needs a value\n", cmd, name.c_str());
          return false;
        }
        value = in[++i];
      }
      out->options[name].push_back(value);
    } else {
      std::fprintf(stderr, "certme %s: unknown option --%s (see --help)\n", cmd, name.c_str());
      return false;
    }
  }
  return true;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

int Fail(const char* cmd, const Status& s) {
  // A command line is its own operator: the internal detail (an sqlite
  // message, a file error) helps there and holds no secret.
  if (s.detail().empty()) {
    std::fprintf(stderr, "certme %s: %s\n", cmd, s.message().c_str());
  } else {
    std::fprintf(stderr, "certme %s: %s (%s)\n", cmd, s.message().c_str(), s.detail().c_str());
  }
  return 1;
}

int Usage(const char* cmd, const std::string& why) {
  std::fprintf(stderr, "certme %s: %s (see certme %s --help)\n", cmd, why.c_str(), cmd);
  return 2;
}

// ---------------------------------------------------------------- settings

// Where things are: the `ledger` section of the configuration (defaults,
// file from --config or CERTME_CONFIG, CERTME_LEDGER_* variables), then
// command-line options.
struct Settings {
  std::string ledger_path;
  uint64_t chain_id = 0;
  bool sync_full = true;
  std::string registry_address;  // expected; "" = any
  std::string admin_key_file, validator_key_file, provider_key_file;
  int answer_timeout_seconds = 30;
  int consent_ttl_seconds = 600;
  std::string wallet_file = "var/wallet.json";
  LedgerConfig config;  // the whole section (backend, evm.*)
};

const std::set<std::string> kCommonOptions = {"config", "ledger"};

bool LoadSettings(const Args& a, const char* cmd, Settings* s) {
  std::string path;
  if (const char* env = std::getenv("CERTME_CONFIG")) path = env;
  if (auto c = a.Get("config")) path = *c;
  auto cfg = LoadConfig(path, SystemEnv());
  if (!cfg.ok()) {
    std::fprintf(stderr, "certme %s: configuration error:\n%s\n", cmd, cfg.status().message().c_str());
    return false;
  }
  const LedgerConfig& l = cfg->ledger;
  s->ledger_path = l.embedded.path;
  s->chain_id = static_cast<uint64_t>(l.chain_id);
  s->sync_full = l.embedded.sync_full;
  s->registry_address = l.registry_address;
  s->admin_key_file = l.admin_key_file;
  s->validator_key_file = l.validator_key_file;
  s->provider_key_file = l.provider_key_file;
  s->answer_timeout_seconds = l.answer_timeout_seconds;
  s->consent_ttl_seconds = l.consent_ttl_seconds;
  s->config = l;
  if (auto p = a.Get("ledger")) s->ledger_path = *p;
  s->config.embedded.path = s->ledger_path;
  if (const char* w = std::getenv("CERTME_WALLET")) s->wallet_file = w;
  return true;
}

EmbeddedLedgerOptions LedgerOptions(const Settings& s) {
  EmbeddedLedgerOptions o;
  o.path = s.ledger_path;
  o.sync_full = s.sync_full;
  return o;
}

bool IsEvm(const Settings& s) { return s.config.backend == kLedgerBackendEvm; }

// Either backend, as configured (ledger.backend).
StatusOr<std::unique_ptr<Ledger>> OpenLedger(const Settings& s, bool watch = false) {
  return OpenConfiguredLedger(s.config, watch);
}

Status EnsureParentDir(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("cannot create " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

// An account given as 0x-address or as a key file (whose address is used).
StatusOr<std::string> AccountArg(const std::string& text) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) {
    auto a = ParseAddress(text);
    if (!a.ok()) return InvalidArgument("\"" + text + "\" is not a valid address (wrong length or checksum)");
    return *a;
  }
  if (std::filesystem::exists(text)) {
    CERTME_ASSIGN_OR_RETURN(EthKey k, ReadServiceKeyFile(text));
    return k.address();
  }
  return InvalidArgument("\"" + text + "\" is neither a 0x address nor a key file");
}

std::string Addr(std::string_view a) { return ChecksumAddress(a); }

std::string TimeText(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------- passphrases

StatusOr<Secret> ReadPassphrase(const Args& a, bool confirm) {
  if (auto f = a.Get("passphrase-file")) {
    CERTME_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(*f, 4096));
    std::string line = text.substr(0, text.find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return Secret(line);
  }
  if (const char* env = std::getenv("CERTME_WALLET_PASSPHRASE")) return Secret(env);
  if (!isatty(STDIN_FILENO))
    return InvalidArgument("no passphrase: give --passphrase-file FILE, set CERTME_WALLET_PASSPHRASE, or run on a terminal");
  auto prompt = [](const char* text) {
    std::fprintf(stderr, "%s", text);
    std::fflush(stderr);
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string line;
    int c;
    while ((c = std::fgetc(stdin)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
    return line;
  };
  std::string p = prompt("Wallet passphrase: ");
  if (confirm && prompt("Repeat the passphrase: ") != p) return InvalidArgument("the passphrases differ");
  return Secret(p);
}

StatusOr<std::pair<WalletContents, Secret>> LoadWallet(const Args& a, const Settings& s) {
  CERTME_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(s.wallet_file));
  CERTME_ASSIGN_OR_RETURN(Secret pass, ReadPassphrase(a, false));
  CERTME_ASSIGN_OR_RETURN(WalletContents w, OpenWallet(text, pass));
  return std::make_pair(std::move(w), std::move(pass));
}

// ================================================================ certme ledger

// The administrator's key from FILE, made (and saved 0600) when FILE is absent.
StatusOr<EthKey> LoadOrMakeKey(const std::string& key_file) {
  if (std::filesystem::exists(key_file)) return ReadServiceKeyFile(key_file);
  EthKey k = EthKey::Generate();
  CERTME_RETURN_IF_ERROR(EnsureParentDir(key_file));
  CERTME_RETURN_IF_ERROR(WriteServiceKeyFile(key_file, k));
  return k;
}

// ledger.backend: evm: deploys the CertMeRegistry contract, administered by
// the admin key (made when missing), paid by --deployer-key or the admin.
int RunLedgerDeploy(const Args& a, const Settings& s) {
  if (!IsEvm(s)) return Usage("ledger", "deploy needs ledger.backend: evm (the embedded ledger uses init)");
  const std::string key_file = a.Get("admin-key").value_or(s.admin_key_file);
  auto admin = LoadOrMakeKey(key_file);
  if (!admin.ok()) return Fail("ledger", admin.status());
  EthKey deployer = *admin;
  if (auto d = a.Get("deployer-key")) {
    auto k = ReadServiceKeyFile(*d);
    if (!k.ok()) return Fail("ledger", k.status());
    deployer = *k;
  }
  auto o = EvmOptionsFromConfig(s.config);
  if (!o.ok()) return Fail("ledger", o.status());
  auto d = DeployRegistry(*o, deployer, admin->address());
  if (!d.ok()) return Fail("ledger", d.status());
  std::printf("%s\n", Addr(d->address).c_str());
  std::fprintf(stderr,
               "deployed CertMeRegistry in block %llu (transaction 0x%s), administrator %s (key in %s);\n"
               "set ledger.registry_address: %s and ledger.evm.from_block: %llu\n",
               static_cast<unsigned long long>(d->block), HexEncode(abi::AsView(d->tx_hash)).c_str(),
               admin->AddressHex().c_str(), key_file.c_str(), Addr(d->address).c_str(),
               static_cast<unsigned long long>(d->block));
  return 0;
}

int RunLedgerInit(const Args& a, const Settings& s) {
  if (IsEvm(s)) return Usage("ledger", "init is for the embedded ledger; on a chain use certme ledger deploy");
  const std::string key_file = a.Get("admin-key").value_or(s.admin_key_file);
  uint64_t chain_id = s.chain_id;
  if (auto c = a.Get("chain-id")) {
    char* end = nullptr;
    chain_id = std::strtoull(c->c_str(), &end, 10);
    if (c->empty() || *end || chain_id == 0) return Usage("ledger", "--chain-id must be a positive integer");
  }
  if (std::filesystem::exists(s.ledger_path))
    return Fail("ledger", AlreadyExists("a ledger already exists at " + s.ledger_path));
  EthKey admin = EthKey::Generate();
  if (std::filesystem::exists(key_file)) {
    auto k = ReadServiceKeyFile(key_file);
    if (!k.ok()) return Fail("ledger", k.status());
    admin = *k;
  } else {
    if (Status st = EnsureParentDir(key_file); !st.ok()) return Fail("ledger", st);
    if (Status st = WriteServiceKeyFile(key_file, admin); !st.ok()) return Fail("ledger", st);
  }
  if (Status st = EnsureParentDir(s.ledger_path); !st.ok()) return Fail("ledger", st);
  EmbeddedLedgerOptions o = LedgerOptions(s);
  o.watch_file = false;
  auto l = EmbeddedLedger::Create(o, admin, chain_id);
  if (!l.ok()) return Fail("ledger", l.status());
  std::printf("ledger:    %s\n", s.ledger_path.c_str());
  std::printf("chain id:  %llu\n", static_cast<unsigned long long>((*l)->ChainId()));
  std::printf("registry:  %s\n", Addr((*l)->RegistryAddress()).c_str());
  std::printf("admin:     %s (key in %s)\n", admin.AddressHex().c_str(), key_file.c_str());
  return 0;
}

int RunLedgerKeygen(const Args& a) {
  auto out = a.Get("out");
  if (!out) return Usage("ledger", "keygen needs --out FILE");
  if (Status st = EnsureParentDir(*out); !st.ok()) return Fail("ledger", st);
  EthKey k = EthKey::Generate();
  if (Status st = WriteServiceKeyFile(*out, k); !st.ok()) return Fail("ledger", st);
  std::printf("%s\n", k.AddressHex().c_str());
  return 0;
}

int RunLedgerInfo(const Settings& s, bool verify) {
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("ledger", l.status());
  auto& L = **l;
  auto head = L.BlockNumber();
  if (!head.ok()) return Fail("ledger", head.status());
  const uint64_t blocks = *head;
  auto* embedded = dynamic_cast<EmbeddedLedger*>(&L);
  if (verify && !embedded) {
    // On a chain the nodes verify every block; what can be checked here is
    // that the address holds the registry and its events decode.
    auto events = L.Events({});
    if (!events.ok()) return Fail("ledger", events.status());
    std::printf("ok: registry %s on chain %llu answers; %zu events read up to block %llu\n",
                Addr(L.RegistryAddress()).c_str(), static_cast<unsigned long long>(L.ChainId()), events->size(),
                static_cast<unsigned long long>(blocks));
    return 0;
  }
  if (verify) {
    // Opening replayed and verified every entry; say so.
    std::printf("ok: %llu entries verified (hash chain, signatures, rules)\n", static_cast<unsigned long long>(blocks));
    std::printf("head hash: 0x%s\n", HexEncode(abi::AsView(embedded->HeadHash())).c_str());
    return 0;
  }
  auto all = L.Events({});
  if (!all.ok()) return Fail("ledger", all.status());
  const auto& events = *all;
  size_t eids = 0, requests = 0, answered = 0;
  std::set<std::string> validators, providers;
  for (const auto& e : events) {
    if (e.kind == EventKind::kEidIssued) ++eids;
    if (e.kind == EventKind::kValidationRequested) ++requests;
    if (e.kind == EventKind::kValidationAnswered) ++answered;
    if (e.kind == EventKind::kValidatorAdded) validators.insert(e.validator);
    if (e.kind == EventKind::kValidatorRemoved) validators.erase(e.validator);
    if (e.kind == EventKind::kProviderAdded) providers.insert(e.provider);
    if (e.kind == EventKind::kProviderRemoved) providers.erase(e.provider);
  }
  if (embedded) {
    std::printf("ledger:      %s (embedded)\n", s.ledger_path.c_str());
  } else {
    std::printf("ledger:      %s (evm)\n", s.config.evm.rpc_url.c_str());
  }
  std::printf("chain id:    %llu\n", static_cast<unsigned long long>(L.ChainId()));
  std::printf("registry:    %s\n", Addr(L.RegistryAddress()).c_str());
  std::printf("admin:       %s\n", Addr(L.Admin().value()).c_str());
  if (embedded) {
    std::printf("entries:     %llu (head 0x%s)\n", static_cast<unsigned long long>(blocks),
                HexEncode(abi::AsView(embedded->HeadHash())).c_str());
  } else {
    std::printf("block:       %llu\n", static_cast<unsigned long long>(blocks));
  }
  for (const auto& v : validators) std::printf("validator:   %s\n", Addr(v).c_str());
  for (const auto& p : providers) std::printf("provider:    %s\n", Addr(p).c_str());
  std::printf("eIDs issued: %zu\nrequests:    %zu (%zu answered)\n", eids, requests, answered);
  return 0;
}

std::string EventLine(const LedgerEvent& e) {
  std::string line = "#" + std::to_string(e.block) + " " + TimeText(e.time) + " " + EventKindName(e.kind);
  if (e.request_id) line += " request=" + std::to_string(e.request_id);
  if (!e.user.empty()) line += " user=" + Addr(e.user);
  if (!e.provider.empty()) line += " provider=" + Addr(e.provider);
  if (!e.validator.empty()) line += " validator=" + Addr(e.validator);
  if (e.kind == EventKind::kEidStatusChanged) line += std::string(" status=") + EidStatusName(e.status);
  if (e.loa) line += std::string(" loa=") + LoaName(e.loa);
  if (!e.attr_keys.empty()) line += " attributes=" + std::to_string(e.attr_keys.size());
  if (!e.actor.empty()) line += " by=" + Addr(e.actor);
  return line;
}

int RunLedgerEvents(const Args& a, const Settings& s) {
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("ledger", l.status());
  EventFilter f;
  if (auto u = a.Get("user")) {
    auto addr = AccountArg(*u);
    if (!addr.ok()) return Fail("ledger", addr.status());
    f.user = *addr;
  }
  auto events = (*l)->Events(f);
  if (!events.ok()) return Fail("ledger", events.status());
  for (const auto& e : *events) std::printf("%s\n", EventLine(e).c_str());
  return 0;
}

}  // namespace

int RunLedgerCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme ledger <subcommand> [--config FILE] [--ledger PATH] [options]\n\n"
        "The certME registry, on the backend ledger.backend names: the embedded ledger (a\n"
        "hash-chained, signed log in a sqlite file; default var/ledger.db, or\n"
        "ledger.embedded.path) or the CertMeRegistry contract on an EVM chain (evm).\n\n"
        "  init [--chain-id N] [--admin-key FILE]\n"
        "        embedded: create the registry; makes a scheme-administrator key in FILE\n"
        "        (default var/ledger/admin.key) unless FILE exists, and prints the registry address\n"
        "  deploy [--admin-key FILE] [--deployer-key FILE]\n"
        "        evm: deploy the contract at ledger.evm.rpc_url, administered by the admin key\n"
        "        (made unless FILE exists) and paid by the deployer key (default: the admin);\n"
        "        prints the registry address (set it as ledger.registry_address)\n"
        "  keygen --out FILE    make a secp256k1 key for a validator or provider; prints its address\n"
        "  info                 registry, administrator, validators, providers, counts\n"
        "  verify               re-verify every entry (chain, signatures, rules); print the head hash\n"
        "  events [--user ADDR] list the registry's events (a user's only, with --user)\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "chain-id", "admin-key", "deployer-key", "out", "user"}, {},
                 "ledger", &a))
    return 2;
  if (!a.positional.empty()) return Usage("ledger", "unexpected argument \"" + a.positional[0] + "\"");
  Settings s;
  if (!LoadSettings(a, "ledger", &s)) return 2;
  const std::string& sub = args[0];
  if (sub == "init") return RunLedgerInit(a, s);
  if (sub == "deploy") return RunLedgerDeploy(a, s);
  if (sub == "keygen") return RunLedgerKeygen(a);
  if (sub == "info") return RunLedgerInfo(s, false);
  if (sub == "verify") return RunLedgerInfo(s, true);
  if (sub == "events") return RunLedgerEvents(a, s);
  return Usage("ledger", "unknown subcommand \"" + sub + "\"");
}

// ================================================================ certme admin

int RunLedgerAdminCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme admin <subcommand> ACCOUNT [--admin-key FILE] [--config FILE] [--ledger PATH]\n\n"
        "Scheme-administrator transactions, signed with the administrator's key\n"
        "(default var/ledger/admin.key). ACCOUNT is a 0x address or a key file.\n\n"
        "  authorize-validator ACCOUNT     deauthorize-validator ACCOUNT\n"
        "  authorize-provider ACCOUNT      deauthorize-provider ACCOUNT\n"
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
  if (!account.ok()) return Fail("admin", account.status());
  auto key = ReadServiceKeyFile(a.Get("admin-key").value_or(s.admin_key_file));
  if (!key.ok()) return Fail("admin", key.status());
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("admin", l.status());
  auto r = (*l)->Transact(*key, AccountCall(sub->second.first, *account));
  if (!r.ok()) return Fail("admin", r.status());
  std::printf("%s %s (entry %llu)\n", sub->second.second, Addr(*account).c_str(),
              static_cast<unsigned long long>(r->block));
  return 0;
}

// ================================================================ certme validator

namespace {

// Answers request `id` if it is this validator's, open and unexpired, with
// the commitments the ledger holds for the user; logs the outcome.
void AnswerIfMine(Ledger& l, const EthKey& me, uint64_t id) {
  auto r = l.GetRequest(id);
  if (!r.ok() || r->validator != me.address() || r->status != RequestStatus::kOpen || l.Now() >= r->expiry) return;
  auto eid = l.GetEid(r->user);
  if (!eid.ok()) return;
  std::vector<Bytes32> commitments;
  for (const auto& k : r->attr_keys) {
    auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
    if (it == eid->attr_keys.end()) {
      LogWarn("request names an attribute this validator never committed", {{"request", id}});
      return;
    }
    commitments.push_back(eid->commitments[it - eid->attr_keys.begin()]);
  }
  auto done = l.AnswerValidation(me, id, commitments, eid->loa);
  if (!done.ok()) {
    LogWarn("validation not answered", {{"request", id}, {"error", done.status().message()}});
    return;
  }
  LogInfo("validation answered", {{"request", id},
                                   {"provider", Addr(r->provider)},
                                   {"user", Addr(r->user)},
                                   {"attributes", r->attr_keys.size()},
                                   {"loa", LoaName(eid->loa)},
                                   {"entry", done->block}});
}

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
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    f.validator = me.address();
    if (auto b = L.BlockNumber(); b.ok()) f.after_block = *b;
    // Whatever arrived while the service was down, then every new request
    // as its block lands (the ledger wakes us; no polling).
    if (auto open = L.OpenRequests(me.address()); open.ok())
      for (const auto& r : *open) AnswerIfMine(L, me, r.id);
    while (!stop) {
      auto events = L.WaitForEvents(f, std::chrono::milliseconds(500));
      if (!events.ok()) {
        LogError("ledger unusable; stopping", {{"error", events.status().message()}});
        std::raise(SIGTERM);
        return;
      }
      for (const auto& e : *events) {
        f.after_block = std::max(f.after_block, e.block);
        AnswerIfMine(L, me, e.request_id);
      }
    }
  });
  if (a.Flag("once")) {
    stop = true;
  } else {
    WaitForTerminationSignal();
    LogInfo("validator stopping");
    stop = true;
  }
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
        "        (--once: answer what is pending and exit)\n");
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

// ================================================================ certme wallet

namespace {

std::map<Bytes32, std::string> NamesOf(const WalletContents& w) {
  std::map<Bytes32, std::string> m;
  for (const auto& a : w.attributes) m[AttributeKey(a.name)] = a.name;
  return m;
}

std::string KeyNames(const std::vector<Bytes32>& keys, const std::map<Bytes32, std::string>& names) {
  std::string out;
  for (const auto& k : keys) {
    auto it = names.find(k);
    out += (out.empty() ? "" : ", ") + (it == names.end() ? "0x" + HexEncode(abi::AsView(k)).substr(0, 8) + "…" : it->second);
  }
  return out;
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
  auto l = OpenLedger(s);
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
  auto sealed = SealWallet(w, pass);
  if (!sealed.ok()) return Fail("wallet", sealed.status());
  if (Status st = WritePrivateFile(s.wallet_file, *sealed, true); !st.ok()) return Fail("wallet", st);
  std::printf("imported %zu attributes, each matching its commitment on the ledger\n", e->attributes.size());
  std::fprintf(stderr, "you may now delete %s (it holds the values in clear)\n", a.positional[0].c_str());
  return 0;
}

int RunWalletShow(const Args& a, const Settings& s) {
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  const WalletContents& w = loaded->first;
  std::printf("address:   %s\n", w.key.AddressHex().c_str());
  auto l = OpenLedger(s);
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
  auto l = OpenLedger(s);
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
  auto loaded = LoadWallet(a, s);
  if (!loaded.ok()) return Fail("wallet", loaded.status());
  const WalletContents& w = loaded->first;
  auto l = OpenLedger(s);
  if (!l.ok()) return Fail("wallet", l.status());
  auto h = UserAccessHistory(**l, w.key.address());
  if (!h.ok()) return Fail("wallet", h.status());
  if (h->empty()) {
    std::printf("no one has asked to validate your attributes yet\n");
    return 0;
  }
  const auto names = NamesOf(w);
  for (const auto& r : *h) {
    std::printf("request %llu  %s  provider %s asked for %s: %s", static_cast<unsigned long long>(r.request_id),
                TimeText(r.requested_at).c_str(), Addr(r.provider).c_str(), KeyNames(r.attr_keys, names).c_str(),
                r.outcome.c_str());
    if (r.outcome == "answered")
      std::printf(" by validator %s at %s (level of assurance %s)", Addr(r.validator).c_str(),
                  TimeText(r.answered_at).c_str(), LoaName(r.loa));
    std::printf("\n");
  }
  return 0;
}

}  // namespace

// `certme wallet approve` (tools/wallet_approve.h).
static int RunWalletApprove(const Args& a, const Settings& s) {
  if (a.positional.size() != 1) return Usage("wallet", "approve takes the login link or a PNG screenshot");
  if (a.Flag("yes") && a.Flag("refuse")) return Usage("wallet", "--yes and --refuse exclude each other");
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
  Status st = ApproveLogin(*link, w->first, choice, a.Get("cacert").value_or(""));
  if (!st.ok()) return Fail("wallet", st);
  return 0;
}

int RunWalletCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme wallet <subcommand> [--wallet FILE] [--passphrase-file FILE] [--config FILE]\n"
        "                     [--ledger PATH]\n\n"
        "A reference certME wallet. The file (default var/wallet.json, or $CERTME_WALLET) holds the\n"
        "user's secp256k1 key and attributes (value + salt), encrypted with a passphrase\n"
        "(Argon2id + AES-256-GCM). The passphrase comes from --passphrase-file, from\n"
        "$CERTME_WALLET_PASSPHRASE, or is asked on the terminal.\n\n"
        "  create                 make a new key; prints the address a validator enrolls\n"
        "  import FILE            take the values and salts a validator handed over, after\n"
        "                         checking each against its commitment on the ledger\n"
        "  show [--salts]         address, eID status on the ledger, attributes\n"
        "  consent --provider ADDRESS --attrs NAME[,NAME…] [--ttl SECONDS] --out FILE\n"
        "                         sign an EIP-712 consent for that provider to have those\n"
        "                         attributes validated, and write it with their values to FILE\n"
        "  history                who asked to validate which attributes, when, and the outcome\n"
        "  approve URL|PNG [--yes|--refuse] [--cacert PEM]\n"
        "                         log in with this wallet: the QR link of a \"Conectare cu certME\"\n"
        "                         page (certme://… or https://…/l/CODE) or a PNG screenshot of it;\n"
        "                         shows the service and attributes, then approves (--yes), refuses\n"
        "                         (--refuse) or asks on the terminal; --cacert trusts that CA for\n"
        "                         https; an answer that got no reply is resent as is\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()},
                 {"config", "ledger", "wallet", "passphrase-file", "provider", "attrs", "ttl", "out", "cacert"}, {"salts", "yes", "refuse"},
                 "wallet", &a))
    return 2;
  Settings s;
  if (!LoadSettings(a, "wallet", &s)) return 2;
  if (auto w = a.Get("wallet")) s.wallet_file = *w;
  const std::string& sub = args[0];
  if (sub == "approve") return RunWalletApprove(a, s);
  if (sub != "import" && !a.positional.empty()) return Usage("wallet", "unexpected argument \"" + a.positional[0] + "\"");
  if (sub == "create") return RunWalletCreate(a, s);
  if (sub == "import") return RunWalletImport(a, s);
  if (sub == "show") return RunWalletShow(a, s);
  if (sub == "consent") return RunWalletConsent(a, s);
  if (sub == "history") return RunWalletHistory(a, s);
  return Usage("wallet", "unknown subcommand \"" + sub + "\"");
}

// ================================================================ certme provider

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
