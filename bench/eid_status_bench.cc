// The live eID status check every use of a wallet login pays (code exchange,
// refresh, UserInfo, SSO reuse): LedgerEidStatus::Status served from its
// cache while the watcher keeps up, against a direct read of the embedded
// ledger (what a check costs when the cache cannot be used). Figures and the
// command: docs/PERFORMANCE.md, "Live eID status cache".
#include <benchmark/benchmark.h>

#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "crypto/ethereum.h"
#include "idp/eid_watch.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"

namespace certme {
namespace {

struct World {
  EthKey admin = EthKey::Generate();
  EthKey validator = EthKey::Generate();
  std::vector<std::string> eids;  // EIP-55
  std::unique_ptr<EmbeddedLedger> ledger;
  std::unique_ptr<LedgerEidStatus> status;

  World() {
    auto dir = std::filesystem::temp_directory_path() / ("certme-eid-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto l = EmbeddedLedger::Create({.path = (dir / "ledger").string(), .sync_full = false, .watch_file = false,
                                     .sequencer = EthKey::Generate()},
                                    admin, 31337);
    if (!l.ok()) std::abort();
    ledger = std::move(*l);
    if (!ledger->AddValidator(admin, validator.address()).ok()) std::abort();
    Bytes32 key = AttributeKey("idnp");
    for (int i = 0; i < 1000; ++i) {
      EthKey user = EthKey::Generate();
      if (!ledger->IssueEid(validator, user, {key}, {Keccak256(user.address())}, kLoaHigh).ok())
        std::abort();
      eids.push_back(ChecksumAddress(user.address()));
    }
    status = std::make_unique<LedgerEidStatus>(*ledger, SystemClock());
    status->Start();
    while (!status->Watching()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
};

World& TheWorld() {
  static World w;
  return w;
}

// A cached check (1000 eIDs, each asked in turn): what a request pays.
void BM_StatusCached(benchmark::State& state) {
  World& w = TheWorld();
  size_t i = 0;
  for (auto _ : state) {
    auto s = w.status->Status(w.eids[i++ % w.eids.size()]);
    if (!s.ok()) state.SkipWithError("status not read");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StatusCached)->Threads(1)->Threads(4);

// The same check without the cache: a read of the embedded ledger.
void BM_StatusLedgerRead(benchmark::State& state) {
  World& w = TheWorld();
  std::vector<std::string> raw;
  for (const auto& e : w.eids) raw.push_back(*ParseAddress(e));
  size_t i = 0;
  for (auto _ : state) {
    auto s = w.ledger->GetEidStatus(raw[i++ % raw.size()]);
    if (!s.ok()) state.SkipWithError("status not read");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_StatusLedgerRead)->Threads(1)->Threads(4);

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
