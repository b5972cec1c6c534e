#include "tests/ledger-client/anvil.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/ledger-client/temp_dir.h"

#ifndef CERTME_SOURCE_DIR
#define CERTME_SOURCE_DIR "."
#endif

namespace certme {

using nlohmann::json;

std::string Anvil::BinaryPath() {
  if (const char* env = std::getenv("CERTME_ANVIL"); env && *env) return env;
  for (const char* arch : {"linux-amd64", "linux-arm64"}) {
    std::string p = std::string(CERTME_SOURCE_DIR) +
                    "/ledger-client/contracts/node_modules/@foundry-rs/anvil-" + arch + "/bin/anvil";
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      std::string p = dir + "/anvil";
      if (!dir.empty() && access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

StatusOr<std::unique_ptr<Anvil>> Anvil::Start(std::vector<std::string> extra_args) {
  const std::string bin = BinaryPath();
  if (bin.empty())
    return FailedPrecondition(
        "anvil is not installed (scripts/deps installs it into ledger-client/contracts/node_modules); "
        "the tests on a chain fail without it, they never skip");
  std::unique_ptr<Anvil> a(new Anvil());
  a->log_path_ = LedgerTestDir().NewFile(".anvil.log");
  std::vector<std::string> args = {bin, "--host", "127.0.0.1", "--port", "0", "--base-fee", "0", "--gas-price", "0",
                                   "--accounts", "1", "--chain-id", "31337"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    FILE* log = std::fopen(a->log_path_.c_str(), "w");
    if (log) {
      dup2(fileno(log), 1);
      dup2(fileno(log), 2);
    }
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  a->pid_ = pid;
  // The port anvil chose, from its "Listening on 127.0.0.1:PORT" line.
  const std::regex listening(R"(Listening on 127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (a->port_ == 0) {
    std::ifstream in(a->log_path_);
    std::stringstream text;
    text << in.rdbuf();
    std::smatch m;
    const std::string s = text.str();
    if (std::regex_search(s, m, listening)) {
      a->port_ = std::stoi(m[1]);
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      a->pid_ = -1;
      return Internal("anvil exited at start: " + s.substr(0, 500));
    }
    if (std::chrono::steady_clock::now() > deadline) return Internal("anvil did not start within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  a->url_ = "http://127.0.0.1:" + std::to_string(a->port_);
  JsonRpcOptions o;
  o.url = a->url_;
  o.retries = 20;
  o.retry_backoff = std::chrono::milliseconds(50);
  a->rpc_ = std::make_unique<JsonRpcClient>(o);
  // Blocks keep the previous timestamp until Advance() moves it.
  CERTME_RETURN_IF_ERROR(a->Rpc("anvil_setBlockTimestampInterval", json::array({0})).status());
  return a;
}

Anvil::~Anvil() { Kill(); }

void Anvil::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

StatusOr<json> Anvil::Rpc(const std::string& method, json params) { return rpc_->Result(method, std::move(params)); }

EvmLedgerOptions Anvil::LedgerOptions() const {
  EvmLedgerOptions o;
  o.rpc_url = url_;
  o.chain_id = 31337;
  o.priority_fee_wei = 0;
  o.poll_interval = std::chrono::milliseconds(20);
  o.cache_eid_status = true;
  o.receipt_timeout = std::chrono::seconds(60);
  return o;
}

StatusOr<std::unique_ptr<EvmLedger>> Anvil::NewRegistry(const EthKey& admin, Deployment* deployment) {
  EvmLedgerOptions o = LedgerOptions();
  CERTME_ASSIGN_OR_RETURN(Deployment d, DeployRegistry(o, admin, admin.address()));
  o.registry = d.address;
  o.from_block = d.block;
  if (deployment) *deployment = d;
  return EvmLedger::Connect(o);
}

Status Anvil::Advance(Duration d) {
  CERTME_ASSIGN_OR_RETURN(json b, Rpc("eth_getBlockByNumber", json::array({"latest", false})));
  CERTME_ASSIGN_OR_RETURN(uint64_t t, ParseHexQuantity(b.value("timestamp", json())));
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return Rpc("evm_mine", json::array({json{{"timestamp", t + secs}}})).status();
}

}  // namespace certme
