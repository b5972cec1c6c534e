#include "idp/commands.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/log.h"
#include "common/signals.h"
#include "config/config.h"
#include "idp/http/server.h"
#include "idp/idp_server.h"
#include "store/store.h"

namespace certme {
namespace {

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

// Parses `--config PATH` / `--config=PATH`; CERTME_CONFIG is the fallback.
// Returns false (after printing why) on an unknown argument.
bool ParseConfigArg(const std::vector<std::string>& args, const char* cmd, std::string* path) {
  if (const char* env = std::getenv("CERTME_CONFIG")) *path = env;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      *path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      *path = args[i].substr(9);
    } else {
      std::fprintf(stderr, "certme %s: unexpected argument \"%s\" (see --help)\n", cmd, args[i].c_str());
      return false;
    }
  }
  return true;
}

// Loads and validates; prints every problem. nullopt on failure.
std::optional<Config> LoadChecked(const std::string& path, const char* cmd) {
  auto cfg = LoadConfig(path, SystemEnv());
  if (!cfg.ok()) {
    std::fprintf(stderr, "certme %s: configuration error:\n%s\n", cmd, cfg.status().message().c_str());
    return std::nullopt;
  }
  auto problems = Validate(*cfg);
  if (!problems.empty()) {
    std::fprintf(stderr, "certme %s: configuration is not usable:\n", cmd);
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.c_str());
    return std::nullopt;
  }
  return std::move(*cfg);
}

void AnnounceDevMode(const Config& c) {
  std::fprintf(stderr,
               "\n"
               "  ************************************************************************\n"
               "  *  DEVELOPMENT MODE: no configuration file was given.                  *\n"
               "  *  Signing keys are generated development keys (%s),\n"
               "  *  cookies are not Secure, and this server must not face real users.  *\n"
               "  ************************************************************************\n\n",
               c.keys.dev_key_dir.c_str());
}

int Serve(const Config& config) {
  LogLevel level;
  if (ParseLogLevel(config.logging.level, &level)) SetLogLevel(level);
  if (config.dev_mode) AnnounceDevMode(config);
  // Signals are blocked before any thread exists so that only the waiting
  // thread receives SIGTERM/SIGINT.
  BlockTerminationSignals();
  auto server = IdpServer::Start(config);
  if (!server.ok()) {
    LogError("start-up failed", {{"error", server.status().message()}, {"detail", server.status().detail()}});
    return 1;
  }
  LogInfo("certme idp listening",
          {{"url", (*server)->public_url()}, {"address", config.server.address}, {"port", (*server)->port()},
           {"store", config.store.backend}, {"dev_mode", config.dev_mode}});
  WaitForTerminationSignal();
  LogInfo("shutting down");
  (*server)->Shutdown();
  LogInfo("stopped");
  return 0;
}

}  // namespace

int RunIdpCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::printf(
        "Usage: certme idp [--config FILE]\n\n"
        "Runs the identity provider: OpenID Connect endpoints, login pages, /healthz,\n"
        "/readyz and /metrics. Without a configuration file (and without CERTME_CONFIG)\n"
        "it runs in development mode on 127.0.0.1:8080 with generated keys.\n"
        "Every setting can be overridden by an environment variable CERTME_<PATH>,\n"
        "e.g. CERTME_SERVER_PORT=9000; `certme config reference` lists them all.\n"
        "SIGTERM or SIGINT stops it gracefully.\n");
    return 0;
  }
  std::string path;
  if (!ParseConfigArg(args, "idp", &path)) return 2;
  auto cfg = LoadChecked(path, "idp");
  if (!cfg) return 2;
  return Serve(*cfg);
}

int RunDemoCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::printf(
        "Usage: certme demo\n\n"
        "Runs the bridge on its embedded defaults (development mode, sqlite store in var/)\n"
        "with the development login double and the sample client from\n"
        "examples/demo-clients.yaml, and prints the URLs to try.\n");
    return 0;
  }
  if (!args.empty()) {
    std::fprintf(stderr, "certme demo: takes no arguments (see --help)\n");
    return 2;
  }
  auto cfg = LoadConfig("", SystemEnv());
  if (!cfg.ok()) {
    std::fprintf(stderr, "certme demo: %s\n", cfg.status().message().c_str());
    return 2;
  }
  cfg->login.dev_login = true;
  if (cfg->oidc.dev_clients_file.empty()) cfg->oidc.dev_clients_file = "examples/demo-clients.yaml";
  auto problems = Validate(*cfg);
  if (!problems.empty()) {
    for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.c_str());
    return 2;
  }
  const std::string& u = cfg->server.public_url;
  std::printf(
      "certME bridge demo (development mode)\n"
      "  discovery:  %s/.well-known/openid-configuration\n"
      "  health:     %s/healthz    metrics: %s/metrics\n"
      "  sample provider (started by scripts/demo): http://127.0.0.1:8081/\n"
      "    press \"Conectare cu certME\", pick a test identity on the development\n"
      "    login page, and the provider shows the claims it received.\n"
      "  stop with Ctrl-C\n\n",
      u.c_str(), u.c_str(), u.c_str());
  std::fflush(stdout);
  return Serve(*cfg);
}

int RunConfigCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme config reference      print the commented reference configuration\n"
        "       certme config check FILE     load and validate FILE (with CERTME_* overrides)\n");
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "reference" && args.size() == 1) {
    std::fputs(RenderReferenceYaml().c_str(), stdout);
    return 0;
  }
  if (args[0] == "check" && args.size() == 2) {
    if (!LoadChecked(args[1], "config check")) return 2;
    std::printf("%s: ok\n", args[1].c_str());
    return 0;
  }
  std::fprintf(stderr, "certme config: unknown arguments (see --help)\n");
  return 2;
}

int RunVersionCommand(const std::vector<std::string>&) {
  std::printf("certme %s\n", CERTME_VERSION);
  return 0;
}

}  // namespace certme
