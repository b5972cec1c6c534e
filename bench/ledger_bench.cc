// The embedded ledger: eID status reads per second (the read every wallet
// login makes), one thread and several; the validation round trip (wallet
// signs consent → provider opens the request → validator service, woken by
// the ledger, answers → provider checks the disclosed values), with fsync on
// and off; transactions per second; and the cost of replaying a log at
// start. Run: ledger_bench [--benchmark_filter=RoundTrip]
// The ledger files live in a fresh directory under the system temp dir, so
// figures with fsync depend on that disk.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/ledger_bench_util.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"

namespace certme {
namespace {

using bench::Must;
using bench::Person;
using bench::SetUpRegistry;
using bench::ValidatorService;

constexpr int kUsers = 1000;

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certme-ledger-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string NewFile() { return (path_ / (std::to_string(++n_) + ".ledger")).string(); }

 private:
  std::filesystem::path path_;
  int n_ = 0;
};

BenchDir& Dir() {
  static BenchDir dir;
  return dir;
}

// A registry with a validator, a provider and kUsers enrolled users.
struct World {
  EthKey admin = EthKey::Generate(), validator = EthKey::Generate(), provider = EthKey::Generate();
  EthKey sequencer = EthKey::Generate();
  std::vector<Person> users;
  std::string path;
  std::unique_ptr<EmbeddedLedger> ledger;

  explicit World(bool sync_full, int users_count = kUsers, std::string path = Dir().NewFile()) : path(path) {
    ledger = Must(EmbeddedLedger::Create({.path = path, .sync_full = sync_full, .sequencer = sequencer}, admin, 31337), "create");
    users.resize(users_count);
    SetUpRegistry(*ledger, admin, validator, provider, users);
  }
};

World& ReadWorld() {
  static World w(/*sync_full=*/false);
  return w;
}

void BM_EidStatusRead(benchmark::State& state) {
  World& w = ReadWorld();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    auto s = w.ledger->GetEidStatus(w.users[i++ % w.users.size()].key.address());
    if (!s.ok() || *s != EidStatus::kActive) state.SkipWithError("unexpected status");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EidStatusRead)->Threads(1)->Threads(2)->Threads(4)->Threads(8)->UseRealTime();

void BM_ValidationRoundTrip(benchmark::State& state) {
  World w(/*sync_full=*/state.range(0) != 0, 50);
  ValidatorService service(*w.ledger, w.validator);
  size_t i = 0;
  for (auto _ : state) {
    const Person& u = w.users[i++ % w.users.size()];
    Consent c{u.key.address(), w.provider.address(), {AttributeKey("first_name"), AttributeKey("idnp")},
              abi::ToBytes32(SystemRandom().Bytes(32)), static_cast<uint64_t>(w.ledger->Now() + 600)};
    EthSignature sig = SignConsent(u.key, w.ledger->Domain(), c);
    uint64_t id = Must(w.ledger->RequestValidation(
                           w.provider, c, std::string(reinterpret_cast<const char*>(sig.rsv.data()), 65)),
                       "request");
    auto answered = Must(w.ledger->WaitForAnswer(id, std::chrono::seconds(10)), "wait for answer");
    if (!CheckDisclosure(u.key.address(), u.attrs, answered.attr_keys, answered.commitments).ok())
      state.SkipWithError("disclosure did not verify");
  }
  state.SetLabel(state.range(0) ? "fsync" : "no fsync");
}
BENCHMARK(BM_ValidationRoundTrip)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Writes: one transaction (suspend or reactivate, alternating) per iteration.
void BM_Transaction(benchmark::State& state) {
  World w(/*sync_full=*/state.range(0) != 0, 1);
  bool suspended = false;
  const std::string& u = w.users[0].key.address();
  for (auto _ : state) {
    auto r = suspended ? w.ledger->ReactivateEid(w.admin, u) : w.ledger->SuspendEid(w.admin, u);
    if (!r.ok()) state.SkipWithError("transaction refused");
    suspended = !suspended;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(state.range(0) ? "fsync" : "no fsync");
}
BENCHMARK(BM_Transaction)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Opening a ledger of ~N entries: every entry's hash, signature and rules
// are checked again.
void BM_ReplayOnOpen(benchmark::State& state) {
  World w(/*sync_full=*/false, static_cast<int>(state.range(0)));
  const uint64_t entries = Must(w.ledger->BlockNumber(), "block");
  w.ledger.reset();
  for (auto _ : state) {
    auto l = Must(EmbeddedLedger::Open({.path = w.path, .watch_file = false, .sequencer = w.sequencer}), "open");
    benchmark::DoNotOptimize(l);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(entries));
}
BENCHMARK(BM_ReplayOnOpen)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
