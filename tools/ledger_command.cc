// `certme ledger`: create (embedded) or deploy (EVM) the registry, make
// service keys, inspect and re-verify the registry, list its events.
#include "tools/commands.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/evm_ledger.h"
#include "tools/command_helpers.h"
#include "ledger-client/configured_ledger.h"
#include "tools/wallet_file.h"

namespace certme {
namespace {

using namespace tools;  // the commands' shared helpers (command_helpers.h)

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

// ledger.backend: evm: moves a version 1 registry (--from) to a new
// current-version one administered by the same key (docs/ledger-evm.md).
int RunLedgerMigrate(const Args& a, const Settings& s) {
  if (!IsEvm(s)) return Usage("ledger", "migrate is for ledger.backend: evm (the embedded ledger needs none)");
  auto from = a.Get("from");
  if (!from) return Usage("ledger", "migrate needs --from ADDRESS (the version 1 registry)");
  auto v1_address = ParseAddress(*from);
  if (!v1_address.ok()) return Usage("ledger", "--from must be a 0x address");
  std::string resume;
  if (auto r = a.Get("resume")) {
    auto addr = ParseAddress(*r);
    if (!addr.ok()) return Usage("ledger", "--resume must be a 0x address");
    resume = *addr;
  }
  auto admin = ReadServiceKeyFile(a.Get("admin-key").value_or(s.admin_key_file));
  if (!admin.ok()) return Fail("ledger", admin.status());
  auto o = EvmOptionsFromConfig(s.config);
  if (!o.ok()) return Fail("ledger", o.status());
  EvmLedgerOptions v1 = *o;
  v1.registry = *v1_address;
  if (auto b = a.Get("from-block")) {
    char* end = nullptr;
    v1.from_block = std::strtoull(b->c_str(), &end, 10);
    if (b->empty() || *end) return Usage("ledger", "--from-block must be a block number");
  }
  auto m = MigrateRegistry(v1, *admin, resume);
  if (!m.ok()) return Fail("ledger", m.status());
  std::printf("%s\n", Addr(m->registry.address).c_str());
  std::fprintf(stderr,
               "migrated %s to %s: roles of %zu accounts and %zu eIDs imported, migration window closed;\n"
               "set ledger.registry_address: %s%s\n",
               Addr(v1.registry).c_str(), Addr(m->registry.address).c_str(), m->accounts, m->eids,
               Addr(m->registry.address).c_str(),
               m->registry.block ? (" and ledger.evm.from_block: " + std::to_string(m->registry.block)).c_str() : "");
  return 0;
}

int RunLedgerInit(const Args& a, const Settings& s) {
  if (IsEvm(s)) return Usage("ledger", "init is for the embedded ledger; on a chain use certme ledger deploy");
  const std::string key_file = a.Get("admin-key").value_or(s.admin_key_file);
  uint64_t chain_id = s.chain_id != 0 ? s.chain_id : kEmbeddedDefaultChainId;
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
  // The sequencer key signs every entry and the anchor (docs/ledger.md §4).
  const std::string& seq_file = s.config.embedded.sequencer_key_file;
  const bool new_sequencer = !std::filesystem::exists(seq_file);
  if (new_sequencer) {
    if (Status st = EnsureParentDir(seq_file); !st.ok()) return Fail("ledger", st);
    if (Status st = WriteServiceKeyFile(seq_file, EthKey::Generate()); !st.ok()) return Fail("ledger", st);
  }
  auto o = LedgerOptions(s);
  if (!o.ok()) return Fail("ledger", o.status());
  o->watch_file = false;
  auto l = EmbeddedLedger::Create(*o, admin, chain_id);
  if (!l.ok()) return Fail("ledger", l.status());
  std::printf("ledger:    %s\n", s.ledger_path.c_str());
  std::printf("chain id:  %llu\n", static_cast<unsigned long long>((*l)->ChainId()));
  std::printf("registry:  %s\n", Addr((*l)->RegistryAddress()).c_str());
  std::printf("admin:     %s (key in %s)\n", admin.AddressHex().c_str(), key_file.c_str());
  std::printf("sequencer: %s (key in %s%s)\n", o->sequencer->AddressHex().c_str(), seq_file.c_str(),
              new_sequencer ? ", new" : "");
  return 0;
}

// embedded: accepts the log as it is under a new signed anchor, after an
// upgrade from unsigned anchors, a lost anchor or a new sequencer key. Says
// what it would accept, and accepts it with --yes.
int RunLedgerReanchor(const Args& a, const Settings& s) {
  if (IsEvm(s)) return Usage("ledger", "reanchor is for the embedded ledger");
  auto o = LedgerOptions(s);
  if (!o.ok()) return Fail("ledger", o.status());
  const bool yes = a.Flag("yes");
  if (!yes) {
    // A dry run: open as the bridge would and report; nothing is written
    // unless the log is anchored already (its anchor may then catch up).
    auto l = EmbeddedLedger::Open(*o);
    if (l.ok()) {
      std::printf("ok: the log is already anchored (%llu entries, signed by %s); nothing to do\n",
                  static_cast<unsigned long long>(*(*l)->BlockNumber()), o->sequencer->AddressHex().c_str());
      return 0;
    }
    std::printf("the ledger refuses to open: %s\n", l.status().message().c_str());
    std::printf("`certme ledger reanchor --yes` accepts every entry %s holds now as the ledger's truth,\n"
                "under an anchor signed by the sequencer key %s (%s).\n"
                "Do it only if no entry was cut or rewritten (compare with a backup or a checkpoint first).\n",
                s.ledger_path.c_str(), o->sequencer->AddressHex().c_str(),
                s.config.embedded.sequencer_key_file.c_str());
    return 1;
  }
  auto r = EmbeddedLedger::Reanchor(*o);
  if (!r.ok()) return Fail("ledger", r.status());
  std::printf("accepted: %llu entries, newest %s (head 0x%s)\n", static_cast<unsigned long long>(r->entries),
              TimeText(r->head_time).c_str(), HexEncode(abi::AsView(r->head)).c_str());
  std::printf("replaced: the previous anchor, %s\n", r->previous.c_str());
  std::printf("signed:   by the sequencer key %s (%s)\n", o->sequencer->AddressHex().c_str(),
              s.config.embedded.sequencer_key_file.c_str());
  // A ledger made by an earlier version may be readable by others; its files
  // are private from now on (docs/privacy.md).
  for (const std::string& f : {s.ledger_path, s.ledger_path + "-wal", s.ledger_path + "-shm"}) {
    struct stat st {};
    if (stat(f.c_str(), &st) != 0 || (st.st_mode & 077) == 0) continue;
    if (chmod(f.c_str(), 0600) != 0) return Fail("ledger", Internal("cannot make " + f + " private (mode 0600)"));
    std::printf("private:  %s was mode %03o, now 600\n", f.c_str(), static_cast<unsigned>(st.st_mode & 0777));
  }
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
    // Opening replayed and verified every entry against the signed anchor;
    // say so.
    std::printf("ok: %llu entries verified (hash chain, signatures, rules, entry times; signed anchor)\n",
                static_cast<unsigned long long>(blocks));
    std::printf("head hash: 0x%s\n", HexEncode(abi::AsView(embedded->HeadHash())).c_str());
    return 0;
  }
  auto all = L.Events({});
  if (!all.ok()) return Fail("ledger", all.status());
  const auto& events = *all;
  size_t eids = 0, requests = 0, answered = 0;
  std::set<std::string> validators, providers;
  for (const auto& e : events) {
    if (e.kind == EventKind::kEidIssued || e.kind == EventKind::kEidImported) ++eids;
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
  auto admin = L.Admin();
  if (!admin.ok()) return Fail("ledger", admin.status());
  std::printf("admin:       %s\n", Addr(*admin).c_str());
  if (auto pending = L.PendingAdmin(); pending.ok() && !pending->empty())
    std::printf("proposed:    %s (not yet accepted)\n", Addr(*pending).c_str());
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
  if (e.kind == EventKind::kEidStatusChanged || e.kind == EventKind::kEidImported)
    line += std::string(" status=") + EidStatusName(e.status);
  if (!e.account.empty()) {
    const char* label = e.kind == EventKind::kAdminTransferProposed ? "proposed="
                        : e.kind == EventKind::kAdminTransferred    ? "admin="
                        : e.kind == EventKind::kEidMoved            ? "previous="
                                                                    : "source=";
    line += std::string(" ") + label + Addr(e.account);
  }
  if (e.loa) line += std::string(" loa=") + LoaName(e.loa);
  if (!e.attr_keys.empty()) line += " attributes=" + std::to_string(e.attr_keys.size());
  if (e.kind == EventKind::kSignatureRecorded)
    line += " digest=0x" + HexEncode(abi::AsView(e.digest)) + " sign_request=0x" +
            HexEncode(abi::AsView(e.sign_request)) + " signed=" + TimeText(e.signed_at);
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
        "        (default var/ledger/admin.key) unless FILE exists, and the ledger's sequencer key\n"
        "        (ledger.embedded.sequencer_key_file, default var/ledger/sequencer.key) unless it exists;\n"
        "        prints the registry address\n"
        "  deploy [--admin-key FILE] [--deployer-key FILE]\n"
        "        evm: deploy the contract at ledger.evm.rpc_url, administered by the admin key\n"
        "        (made unless FILE exists) and paid by the deployer key (default: the admin);\n"
        "        prints the registry address (set it as ledger.registry_address)\n"
        "  migrate --from ADDRESS [--from-block N] [--admin-key FILE] [--resume ADDRESS]\n"
        "        evm: move a version 1 registry (roles, eIDs) to a new one of the current version,\n"
        "        administered by the same key; prints its address (--resume: continue an\n"
        "        interrupted run into that registry)\n"
        "  keygen --out FILE    make a secp256k1 key for a validator or provider; prints its address\n"
        "  info                 registry, administrator, validators, providers, counts\n"
        "  verify               re-verify every entry (chain, signatures, rules, times) against the\n"
        "                       sequencer-signed anchor; print the head hash\n"
        "  reanchor [--yes]     embedded: accept the log as it is under a new signed anchor (after an\n"
        "                       upgrade, a lost anchor or a new sequencer key); without --yes, only\n"
        "                       say what would be accepted\n"
        "  events [--user ADDR] list the registry's events (a user's only, with --user)\n");
    return args.empty() ? 2 : 0;
  }
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()},
                 {"config", "ledger", "chain-id", "admin-key", "deployer-key", "out", "user", "from", "from-block",
                  "resume"},
                 {"yes"}, "ledger", &a))
    return 2;
  if (!a.positional.empty()) return Usage("ledger", "unexpected argument \"" + a.positional[0] + "\"");
  Settings s;
  if (!LoadSettings(a, "ledger", &s)) return 2;
  const std::string& sub = args[0];
  if (sub == "init") return RunLedgerInit(a, s);
  if (sub == "deploy") return RunLedgerDeploy(a, s);
  if (sub == "migrate") return RunLedgerMigrate(a, s);
  if (sub == "keygen") return RunLedgerKeygen(a);
  if (sub == "info") return RunLedgerInfo(s, false);
  if (sub == "verify") return RunLedgerInfo(s, true);
  if (sub == "events") return RunLedgerEvents(a, s);
  if (sub == "reanchor") return RunLedgerReanchor(a, s);
  return Usage("ledger", "unknown subcommand \"" + sub + "\"");
}

}  // namespace certme
