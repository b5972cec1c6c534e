// oidc_load's helper commands (tools.h).
#include "bench/oidc_load/tools.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/wallet_user.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/key_file.h"

namespace certme::bench {
namespace {
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;
}  // namespace

bool ParseNumber(const char* s, double* out) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

// "A:B" with A < B.
bool ParseRange(const std::string& v, uint64_t* begin, uint64_t* end) {
  size_t colon = v.find(':');
  if (colon == std::string::npos) return false;
  double a = 0, b = 0;
  if (!ParseNumber(v.substr(0, colon).c_str(), &a) || !ParseNumber(v.substr(colon + 1).c_str(), &b)) return false;
  if (a < 0 || b <= a || b > 1e12) return false;
  *begin = uint64_t(a);
  *end = uint64_t(b);
  return true;
}

// `oidc_load --enroll`: issues eIDs to benchmark users on an embedded
// ledger file, as the validator whose key file is given (the JSON service
// key file `certme ledger keygen` writes, or a bare hex key).
int Enroll(int argc, char** argv) {
  std::string ledger_path, key_path, seed = "bench";
  // The ledger's sequencer key where `certme` finds it (its variable, else the default).
  const char* seq_env = std::getenv("CERTME_LEDGER_EMBEDDED_SEQUENCER_KEY_FILE");
  std::string sequencer_path = seq_env && *seq_env ? seq_env : "var/ledger/sequencer.key";
  uint64_t begin = 0, end = 0;
  bool sync = true;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-sync") {
      sync = false;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "oidc_load --enroll: missing value for %s\n", a.c_str());
      return 2;
    }
    std::string v = argv[++i];
    if (a == "--ledger") {
      ledger_path = v;
    } else if (a == "--validator-key") {
      key_path = v;
    } else if (a == "--sequencer-key") {
      sequencer_path = v;
    } else if (a == "--wallet-seed") {
      seed = v;
    } else if (a == "--users" && ParseRange(v, &begin, &end)) {
    } else {
      std::fprintf(stderr, "oidc_load --enroll: bad option %s %s\n", a.c_str(), v.c_str());
      return 2;
    }
  }
  if (ledger_path.empty() || key_path.empty() || end == 0) {
    std::fprintf(stderr, "oidc_load --enroll needs --ledger FILE --validator-key FILE --users A:B\n");
    return 2;
  }
  std::ifstream in(key_path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Json kj = Json::parse(text, nullptr, false);
  std::string hex = kj.is_object() && kj.contains("private_key") && kj["private_key"].is_string()
                        ? kj["private_key"].get<std::string>()
                        : text.substr(0, text.find_last_not_of(" \r\n") + 1);
  auto key = EthKey::FromHex(hex);
  if (!in || !key.ok()) {
    std::fprintf(stderr, "oidc_load --enroll: cannot read a secp256k1 key from %s\n", key_path.c_str());
    return 1;
  }
  EmbeddedLedgerOptions lo;
  lo.path = ledger_path;
  lo.sync_full = sync;
  lo.watch_file = false;
  auto sequencer = ReadServiceKeyFile(sequencer_path);  // an error names the file
  if (sequencer.ok()) lo.sequencer = std::move(*sequencer);
  using Opened = StatusOr<std::unique_ptr<EmbeddedLedger>>;
  auto ledger = sequencer.ok() ? EmbeddedLedger::Open(lo) : Opened(sequencer.status());
  if (!ledger.ok()) {
    std::fprintf(stderr, "oidc_load --enroll: %s\n", ledger.status().ToString().c_str());
    return 1;
  }
  auto t0 = SteadyClock::now();
  auto issued = EnrollBenchUsers(**ledger, *key, seed, begin, end);
  if (!issued.ok()) {
    std::fprintf(stderr, "oidc_load --enroll: %s\n", issued.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "oidc_load --enroll: %llu eIDs issued (users %llu..%llu of seed \"%s\") in %.1f s\n",
               (unsigned long long)*issued, (unsigned long long)begin, (unsigned long long)end - 1, seed.c_str(),
               std::chrono::duration<double>(SteadyClock::now() - t0).count());
  return 0;
}

// Binds 127.0.0.1:0 and prints the port the kernel chose (then frees it;
// the caller starts its server on it right away).
int PrintFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::fprintf(stderr, "oidc_load: cannot bind a loopback port\n");
    return 1;
  }
  std::printf("%d\n", ntohs(a.sin_port));
  ::close(fd);
  return 0;
}

// Prints one row per JSON result line of `path` (lines that are not JSON
// objects are skipped, so a log with mixed output works too).
int PrintTable(const char* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "oidc_load: cannot read %s\n", path);
    return 1;
  }
  auto num = [](const Json& j, std::initializer_list<const char*> keys) -> double {
    const Json* cur = &j;
    for (const char* k : keys) {
      if (!cur->is_object() || !cur->contains(k)) return -1;
      cur = &(*cur)[k];
    }
    return cur->is_number() ? cur->get<double>() : -1;
  };
  std::printf("%-13s %-18s %-5s %9s %8s %8s %8s %7s %6s %9s %8s %6s %9s %9s\n", "store", "mode", "alg",
              "ops/s", "p50 ms", "p90 ms", "p99 ms", "errors", "cores", "ops/CPU-s", "RSS MiB",
              "client", "val ms/op", "infra ms");
  std::string line;
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("mode")) continue;
    std::string mode = j.value("mode", "");
    if (j.value("sso", false)) mode += "+sso";
    if (mode == "wallet" && j.contains("users") && j["users"].is_object())
      mode = j["users"].value("fresh", false) ? "wallet-first" : "wallet-relogin";
    double val_ms = num(j, {"validator", "cpu_ms_per_op"}), infra_ms = num(j, {"infra", "cpu_ms_per_op"});
    char val[32] = "-", infra[32] = "-";
    if (val_ms >= 0) std::snprintf(val, sizeof val, "%.3f", val_ms);
    if (infra_ms >= 0) std::snprintf(infra, sizeof infra, "%.3f", infra_ms);
    std::printf("%-13s %-18s %-5s %9.1f %8.2f %8.2f %8.2f %7.0f %6.2f %9.1f %8.1f %6.2f %9s %9s\n",
                j.value("label", "").c_str(), mode.c_str(),
                mode.rfind("flow", 0) == 0 || mode.rfind("wallet", 0) == 0 || mode == "refresh"
                    ? j.value("alg", "").c_str()
                    : "-",
                num(j, {"rate_per_s"}), num(j, {"latency_ms", "p50"}), num(j, {"latency_ms", "p90"}),
                num(j, {"latency_ms", "p99"}), num(j, {"errors", "total"}), num(j, {"server", "cores"}),
                num(j, {"server", "per_cpu_s"}), num(j, {"server", "rss_peak_kib"}) / 1024.0,
                num(j, {"client", "cores"}), val, infra);
  }
  return 0;
}


}  // namespace certme::bench
