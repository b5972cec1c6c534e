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
#include "config/config.h"
#include "store/store.h"

namespace certme {
namespace {

constexpr const char kConsoleHelp[] =
    "Administration console accounts (see docs/admin.md):\n"
    "  create-user NAME [--generate-password] [--role ROLE]\n"
    "                                           a console user (role viewer, operator, approver or\n"
    "                                           administrator, the default); the password comes from\n"
    "                                           CERTME_ADMIN_PASSWORD, else one line on stdin, else\n"
    "                                           --generate-password prints one\n"
    "  set-role NAME ROLE                       change a console user's role\n"
    "  disable-user NAME | enable-user NAME     a disabled user's sessions and tokens stop at once\n"
    "  create-token NAME --name LABEL [--scopes read,write,promote,keys] [--ttl 30d]\n"
    "                                           an API bearer token for NAME (printed once); scopes\n"
    "                                           default to what NAME's role allows but keys (signing-key\n"
    "                                           rollover, administrators only, asked for by name), the\n"
    "                                           lifetime to admin.api_token_default_ttl_seconds\n"
    "  list-users                               console users: name, role, state\n"
    "  list-tokens | revoke-token ID            every API token / revoke one\n"
    "  audit [--format jsonl|csv] [--verify]    print the console's audit log / check its hash chain\n"
    "  create-initial-token --name LABEL [--uses N] [--ttl 7d] [--policy JSON]\n"
    "                                           an initial access token for dynamic client\n"
    "                                           registration (printed once; docs/oidc.md); the policy\n"
    "                                           is {\"grant_types\", \"auth_methods\", \"redirect_uri_prefixes\"}\n"
    "These take [--config FILE] (default CERTME_CONFIG, else development defaults) and use the\n"
    "configuration's store, so they work beside a running server.\n\n";

int Fail(const std::string& what, const Status& st) {
  std::fprintf(stderr, "certme admin %s: %s\n", what.c_str(), st.message().c_str());
  return st.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

struct Parsed {
  std::vector<std::string> positional;
  std::string config, name, format = "jsonl", role, scopes, ttl, uses, policy;
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
    } else if (a == "--role") {
      if (!value(&p->role)) return false;
    } else if (a == "--scopes") {
      if (!value(&p->scopes)) return false;
    } else if (a == "--ttl") {
      if (!value(&p->ttl)) return false;
    } else if (a == "--uses") {
      if (!value(&p->uses)) return false;
    } else if (a == "--policy") {
      if (!value(&p->policy)) return false;
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
    admin::Role role = admin::Role::kAdministrator;
    if (!p.role.empty()) {
      auto r = admin::ParseRole(p.role);
      if (!r.ok()) return Fail(sub, r.status());
      role = *r;
    }
    Status st = accounts.CreateUser(actor, p.positional[0], Secret(password), role);
    if (!st.ok()) return Fail(sub, st);
    std::printf("created console %s %s\n", std::string(admin::RoleName(role)).c_str(), p.positional[0].c_str());
    if (generated) std::printf("password: %s\n", password.c_str());
    return 0;
  }
  if (sub == "create-token") {
    if (p.positional.size() != 1 || p.name.empty()) {
      std::fprintf(stderr, "certme admin create-token: takes NAME and --name LABEL\n");
      return 2;
    }
    admin::TokenRequest request;
    for (size_t at = 0; at < p.scopes.size();) {
      size_t comma = p.scopes.find(',', at);
      if (comma == std::string::npos) comma = p.scopes.size();
      if (comma > at) request.scopes.push_back(p.scopes.substr(at, comma - at));
      at = comma + 1;
    }
    if (!p.ttl.empty()) {
      auto ttl = admin::ParseTtl(p.ttl);
      if (!ttl.ok()) return Fail(sub, ttl.status());
      request.ttl_seconds = *ttl;
      if (*ttl == 0) return Fail(sub, InvalidArgument("--ttl 0: a token must expire"));
    }
    auto t = accounts.CreateToken(actor, p.positional[0], p.name, request);
    if (!t.ok()) return Fail(sub, t.status());
    std::printf("%s\n", t->reveal().c_str());
    return 0;
  }
  if (sub == "create-initial-token") {
    if (!p.positional.empty() || p.name.empty()) {
      std::fprintf(stderr, "certme admin create-initial-token: takes --name LABEL\n");
      return 2;
    }
    nlohmann::json body = {{"name", p.name}};
    if (!p.uses.empty()) {
      if (p.uses.size() > 6 || p.uses.find_first_not_of("0123456789") != std::string::npos)
        return Fail(sub, InvalidArgument("--uses takes a whole number"));
      body["uses"] = std::stoll(p.uses);
    }
    if (!p.ttl.empty()) body["ttl"] = p.ttl;
    if (!p.policy.empty()) {
      body["policy"] = nlohmann::json::parse(p.policy, nullptr, false);
      if (body["policy"].is_discarded()) return Fail(sub, InvalidArgument("--policy is not valid JSON"));
    }
    auto request = admin::InitialTokenRequestFromJson(body);
    if (!request.ok()) return Fail(sub, request.status());
    admin::InitialAccessTokens tokens(**store, audit, SystemClock(), SystemRandom());
    auto made = tokens.Issue(actor, *request);
    if (!made.ok()) return Fail(sub, made.status());
    std::printf("%s\n", made->second.reveal().c_str());
    return 0;
  }
  if (sub == "set-role" || sub == "disable-user" || sub == "enable-user") {
    const size_t want = sub == "set-role" ? 2 : 1;
    if (p.positional.size() != want) {
      std::fprintf(stderr, "certme admin %s: takes %s\n", sub.c_str(), want == 2 ? "NAME ROLE" : "NAME");
      return 2;
    }
    Status st;
    if (sub == "set-role") {
      auto r = admin::ParseRole(p.positional[1]);
      if (!r.ok()) return Fail(sub, r.status());
      st = accounts.SetRole(actor, p.positional[0], *r);
    } else {
      st = accounts.SetDisabled(actor, p.positional[0], sub == "disable-user");
    }
    if (!st.ok()) return Fail(sub, st);
    std::printf("%s: done\n", p.positional[0].c_str());
    return 0;
  }
  if (sub == "list-users") {
    auto users = accounts.ListUserDetails();
    if (!users.ok()) return Fail(sub, users.status());
    for (const auto& u : *users)
      std::printf("%s %s%s%s\n", u.name.c_str(), std::string(admin::RoleName(u.role)).c_str(),
                  u.disabled ? " disabled" : "", u.locked ? " locked" : "");
    return 0;
  }
  if (sub == "list-tokens") {
    auto tokens = accounts.ListTokens();
    if (!tokens.ok()) return Fail(sub, tokens.status());
    for (const auto& t : *tokens) {
      std::string scopes;
      for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
      std::printf("%s %s %s %s expires %s\n", t.id.c_str(), t.user.c_str(), t.name.c_str(),
                  scopes.empty() ? "-" : scopes.c_str(), t.expires.empty() ? "never (refused)" : t.expires.c_str());
    }
    return 0;
  }
  if (sub == "revoke-token") {
    if (p.positional.size() != 1) {
      std::fprintf(stderr, "certme admin revoke-token: takes the token's ID (list-tokens)\n");
      return 2;
    }
    // Local access to the store is the administrator's.
    Status st = accounts.RevokeToken(actor, actor, admin::Role::kAdministrator, p.positional[0]);
    if (!st.ok()) return Fail(sub, st);
    std::printf("revoked %s\n", p.positional[0].c_str());
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

bool IsConsoleAdminSubcommand(std::string_view name) {
  for (const char* s : {"create-user", "create-token", "list-users", "audit", "set-role", "disable-user",
                        "enable-user", "list-tokens", "revoke-token", "create-initial-token"})
    if (name == s) return true;
  return false;
}

const char* ConsoleAdminHelp() { return kConsoleHelp; }

int RunConsoleAdminCommand(const std::vector<std::string>& args, const StoreOpener& open_store) {
  return RunConsoleSub(args, open_store);
}

}  // namespace certme
