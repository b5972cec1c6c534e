// A real EVM node for tests: anvil (npm @foundry-rs/anvil, a native binary
// installed by scripts/deps into ledger-client/contracts/node_modules/) on
// 127.0.0.1 with a port it picks itself. Started per test binary or per
// test, stopped (SIGTERM, then SIGKILL) when the object goes, and killed by
// the kernel if the test process dies (PR_SET_PDEATHSIG).
//
// The chain runs without fees (base fee and gas price 0, as permissioned
// QBFT networks usually do) so that keys the tests make up can send
// transactions, and blocks keep the previous block's timestamp until a
// test moves time (Advance): ledger time is then exact, as the conformance
// suite's expiry checks need.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/json_rpc.h"

namespace certme {

class Anvil {
 public:
  // The binary: $CERTME_ANVIL, else the npm install in the source tree,
  // else `anvil` on PATH; "" when none exists.
  static std::string BinaryPath();

  // FailedPrecondition when anvil is not installed: the tests that need it
  // fail with that message, never skip (a run without anvil must not pass
  // as if the EVM backend had been tested). Internal when it is installed
  // but does not come up.
  static StatusOr<std::unique_ptr<Anvil>> Start(std::vector<std::string> extra_args = {});
  ~Anvil();
  Anvil(const Anvil&) = delete;
  Anvil& operator=(const Anvil&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  StatusOr<nlohmann::json> Rpc(const std::string& method, nlohmann::json params);
  // Stops the node now (a node that goes away); the port is left unused.
  void Kill();

  // Options for an EvmLedger on this node (no fees, fast polling).
  EvmLedgerOptions LedgerOptions() const;
  // Deploys a registry administered by `admin` (who also pays) and connects.
  StatusOr<std::unique_ptr<EvmLedger>> NewRegistry(const EthKey& admin, Deployment* deployment = nullptr);
  // Mines one block `d` later than the latest (ledger time moves by d).
  Status Advance(Duration d);

 private:
  Anvil() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string url_;
  std::string log_path_;
  std::unique_ptr<JsonRpcClient> rpc_;
};

}  // namespace certme
