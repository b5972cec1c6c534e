// `certme admin …`: the console's accounts and audit log beside the ledger
// administration subcommands of tools/ (which keep their names and
// behaviour: every subcommand not listed here goes to them).
#include "idp/admin/commands.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "common/clock.h"
#include "common/random.h"
#include "idp/admin/accounts.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/mount.h"
#include "idp/config/config.h"
#include "idp/store/store.h"
#include "tools/commands.h"

namespace certme {
namespace {

constexpr const char kConsoleHelp[] =
    "Administration console accounts (see docs/admin.md):\n"
    "  create-user NAME [--generate-password]   first (or another) console administrator; the\n"
    "                                           password comes from CERTME_ADMIN_PASSWORD, else one\n"
    "                                           line on stdin, else --generate-password prints one\n"
    "  create-token NAME --name LABEL           an API bearer token for NAME (printed once)\n"
    "  list-users                               console administrators\n"
    "  audit [--format jsonl|csv] [--verify]    print the console's audit log / check its hash chain\n"
    "These take [--config FILE] (default CERTME_CONFIG, else development defaults) and use the\n"
    "configuration's store, so they work beside a running server.\n\n";

int Fail(const std::string& what, const Status& st) {
  std::fprintf(stderr, "certme admin %s: %s\n", what.c_str(), st.message().c_str());
  return st.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

struct Parsed {
  std::vector<std::string> positional;
  std::string config, name, format = "jsonl";
  bool generate = false, verify = false;
};

bool Parse(const std::vector<std::string>& args, Parsed* p, const char* sub) {
  if (const char* env = std::getenv("CERTME_CONFIG")) p->config = env;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    if (a == "--config") {
      if (!value(&p->config)) return false;
    } else if (a == "--name") {
      if (!value(&p->name)) return false;
    } else if (a == "--format") {
      if (!value(&p->format)) return false;
    } else if (a == "--generate-password") {
      p->generate = true;
    } else if (a == "--verify") {
      p->verify = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "certme admin %s: unknown option %s\n", sub, a.c_str());
      return false;
    } else {
      p->positional.push_back(a);
    }
  }
  return true;
}

int RunConsoleSub(const std::vector<std::string>& args, const StoreOpener& open_store) {
  const std::string& sub = args[0];
  Parsed p;
  if (!Parse(args, &p, sub.c_str())) return 2;
  auto cfg = LoadConfig(p.config, SystemEnv());
  if (!cfg.ok()) return Fail(sub, cfg.status());
  // A memory store would be a private, empty one: the server would never see
  // what the command wrote.
  if (cfg->store.backend == kStoreBackendMemory)
    return Fail(sub, FailedPrecondition("store.backend \"memory\" is private to one process; the console's "
                                        "accounts must be in the server's sqlite or redis store"));
  auto store = open_store(*cfg);
  if (!store.ok()) return Fail(sub, store.status());
  admin::AuditLog audit(**store, SystemClock());
  admin::AdminAccounts accounts(AdminAccountOptions(*cfg), **store, audit, SystemClock(), SystemRandom());
  // The audit log names the operating-system account that ran the command.
  const struct passwd* pw = getpwuid(geteuid());
  std::string actor = std::string("cli:") + (pw && pw->pw_name ? pw->pw_name : std::to_string(geteuid()));

  if (sub == "create-user") {
    if (p.positional.size() != 1) {
      std::fprintf(stderr, "certme admin create-user: takes one NAME\n");
      return 2;
    }
    std::string password;
    bool generated = false;
    if (const char* env = std::getenv("CERTME_ADMIN_PASSWORD"); env && *env) {
      password = env;
    } else if (p.generate) {
      password = SystemRandom().Token(18);  // 144 bits, 24 characters
      generated = true;
    } else {
      if (isatty(STDIN_FILENO)) std::fprintf(stderr, "password (at least 12 characters): ");
      if (!std::getline(std::cin, password) || password.empty()) {
        std::fprintf(stderr,
                     "certme admin create-user: no password (set CERTME_ADMIN_PASSWORD, type one, or "
                     "pass --generate-password)\n");
        return 2;
      }
    }
    Status st = accounts.CreateUser(actor, p.positional[0], Secret(password));
    if (!st.ok()) return Fail(sub, st);
    std::printf("created console administrator %s\n", p.positional[0].c_str());
    if (generated) std::printf("password: %s\n", password.c_str());
    return 0;
  }
  if (sub == "create-token") {
    if (p.positional.size() != 1 || p.name.empty()) {
      std::fprintf(stderr, "certme admin create-token: takes NAME and --name LABEL\n");
      return 2;
    }
    auto t = accounts.CreateToken(actor, p.positional[0], p.name);
    if (!t.ok()) return Fail(sub, t.status());
    std::printf("%s\n", t->reveal().c_str());
    return 0;
  }
  if (sub == "list-users") {
    auto users = accounts.ListUsers();
    if (!users.ok()) return Fail(sub, users.status());
    for (const auto& u : *users) std::printf("%s\n", u.c_str());
    return 0;
  }
  // audit
  if (p.verify) {
    Status st = audit.Verify();
    if (!st.ok()) return Fail(sub, st);
    std::printf("audit log: hash chain intact\n");
    return 0;
  }
  auto entries = audit.List();
  if (!entries.ok()) return Fail(sub, entries.status());
  if (p.format == "csv") std::fputs(admin::AuditLog::ToCsv(*entries).c_str(), stdout);
  else if (p.format == "jsonl") std::fputs(admin::AuditLog::ToJsonLines(*entries).c_str(), stdout);
  else {
    std::fprintf(stderr, "certme admin audit: --format is jsonl or csv\n");
    return 2;
  }
  return 0;
}

}  // namespace

int RunAdminDispatch(const std::vector<std::string>& args, const StoreOpener& open_store) {
  static const char* kConsoleSubs[] = {"create-user", "create-token", "list-users", "audit"};
  if (!args.empty())
    for (const char* s : kConsoleSubs)
      if (args[0] == s) return RunConsoleSub(args, open_store);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kConsoleHelp, stdout);
    int rc = RunLedgerAdminCommand(args);
    return args.empty() ? 2 : rc;
  }
  return RunLedgerAdminCommand(args);
}

}  // namespace certme
