#include "tools/command_helpers.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "common/encoding.h"
#include "ledger-client/configured_ledger.h"

namespace certme::tools {

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
  s->config_path = path;
  if (auto p = a.Get("ledger")) s->ledger_path = *p;
  s->config.embedded.path = s->ledger_path;
  if (const char* w = std::getenv("CERTME_WALLET")) s->wallet_file = w;
  s->ledger_named = !path.empty() || a.Get("ledger").has_value();
  for (char** e = environ; e && *e && !s->ledger_named; ++e)
    s->ledger_named = std::string_view(*e).rfind("CERTME_LEDGER_", 0) == 0;
  return true;
}

StatusOr<EmbeddedLedgerOptions> LedgerOptions(const Settings& s) { return EmbeddedOptionsFromConfig(s.config); }

bool IsEvm(const Settings& s) { return s.config.backend == kLedgerBackendEvm; }

StatusOr<std::unique_ptr<Ledger>> OpenLedger(const Settings& s, bool watch) {
  return OpenConfiguredLedger(s.config, watch);
}

Status EnsureParentDir(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Unavailable("cannot create " + parent.string() + ": " + ec.message());
  return Status::Ok();
}

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


}  // namespace certme::tools
