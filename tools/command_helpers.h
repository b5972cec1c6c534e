// What the certme ledger | admin | validator | wallet | provider commands
// share: argument parsing, exit-code helpers, the `ledger` settings, the
// ledger they open, account arguments, and the wallet's passphrase.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/ledger.h"
#include "tools/wallet_file.h"

namespace certme::tools {

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
               const std::set<std::string>& flag_options, const char* cmd, Args* out);

// --help or -h anywhere.
bool WantsHelp(const std::vector<std::string>& args);

// Prints "certme CMD: message (detail)" to stderr; returns 1.
int Fail(const char* cmd, const Status& s);
// Prints why the command line is wrong; returns 2.
int Usage(const char* cmd, const std::string& why);

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
  std::string config_path;  // the configuration file read ("" = defaults)
  // The ledger was named: --config, --ledger, CERTME_CONFIG or a
  // CERTME_LEDGER_* variable (a wallet's own record then does not apply).
  bool ledger_named = false;
};

// Fills `s`; false (after printing why) on a configuration error.
bool LoadSettings(const Args& a, const char* cmd, Settings* s);

// The embedded ledger's options (its sequencer key read from its file).
StatusOr<EmbeddedLedgerOptions> LedgerOptions(const Settings& s);

bool IsEvm(const Settings& s);

// Either backend, as configured (ledger.backend).
StatusOr<std::unique_ptr<Ledger>> OpenLedger(const Settings& s, bool watch = false);

// Creates the directory `path` goes in.
Status EnsureParentDir(const std::string& path);

// An account given as 0x-address or as a key file (whose address is used).
StatusOr<std::string> AccountArg(const std::string& text);

// A 20-byte address, checksummed.
std::string Addr(std::string_view a);

// "YYYY-MM-DD HH:MM:SSZ" (UTC).
std::string TimeText(int64_t unix_seconds);

// ---------------------------------------------------------------- passphrases

// From --passphrase-file, $CERTME_WALLET_PASSPHRASE, or asked on the
// terminal (twice when `confirm`).
StatusOr<Secret> ReadPassphrase(const Args& a, bool confirm);

// The wallet file of `s`, opened with the passphrase; both returned.
StatusOr<std::pair<WalletContents, Secret>> LoadWallet(const Args& a, const Settings& s);

}  // namespace certme::tools
