// The re-login lookup (docs/wallet-protocol.md §7 step 11): which
// attributes validators already confirmed to a service's provider for an
// eID. One user with 10,000 ValidationAnswered events on the embedded ledger
// (10 services × 1,000 answered validations), then per login:
//   BM_ReuseScan   every answered event of (user, provider) from the
//                  ledger and the request behind each (what a login cost
//                  before the index)
//   BM_ReuseIndex  ValidationIndex::Answers: the stored entry plus the
//                  events after its block (none in steady state)
//   BM_ReuseIndexCatchUp  the same after one new answer for the provider
// Run: reuse_bench [--benchmark_filter=Reuse]
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "bench/ledger_bench_util.h"
#include "common/random.h"
#include "idp/login/validation_index.h"
#include "ledger-client/abi.h"
#include "ledger-client/eip712.h"
#include "ledger-client/embedded_ledger.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

using bench::Must;

constexpr int kProviders = 10;
constexpr int kAnswersPerProvider = 1000;  // 10,000 answered events for the user

struct World {
  std::filesystem::path dir;
  EthKey admin = EthKey::Generate();
  EthKey validator = EthKey::Generate();
  std::vector<EthKey> providers;
  EthKey user = EthKey::Generate();
  std::vector<Bytes32> keys, commitments;
  std::unique_ptr<EmbeddedLedger> ledger;
  std::unique_ptr<Store> store = NewMemoryStore({});

  World() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certme-reuse-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    ledger = Must(EmbeddedLedger::Create({.path = (dir / "l.ledger").string(), .sync_full = false, .sequencer = EthKey::Generate()}, admin, 31337),
                  "create");
    Must(ledger->AddValidator(admin, validator.address()), "validator");
    for (int i = 0; i < kProviders; ++i) {
      providers.push_back(EthKey::Generate());
      Must(ledger->AddProvider(admin, providers.back().address()), "provider");
    }
    for (const char* name : {"first_name", "last_name", "idnp"}) {
      keys.push_back(AttributeKey(name));
      commitments.push_back(AttributeCommitment(user.address(), keys.back(), "v", abi::ToBytes32(SystemRandom().Bytes(32))));
    }
    Must(ledger->IssueEid(validator, user, keys, commitments, kLoaSubstantial), "issue");
    std::fprintf(stderr, "setting up %d answered validations…\n", kProviders * kAnswersPerProvider);
    for (int n = 0; n < kAnswersPerProvider; ++n)
      for (const auto& p : providers) Answer(p);
  }
  ~World() {
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void Answer(const EthKey& provider) {
    Consent c;
    c.user = user.address();
    c.provider = provider.address();
    c.attr_keys = keys;
    c.nonce = abi::ToBytes32(SystemRandom().Bytes(32));
    c.expiry = static_cast<uint64_t>(ledger->Now() + 600);
    EthSignature sig = SignConsent(user, ledger->Domain(), c);
    uint64_t id = Must(ledger->RequestValidation(
                           provider, c, std::string_view(reinterpret_cast<const char*>(sig.rsv.data()), sig.rsv.size())),
                       "request");
    Must(ledger->AnswerValidation(validator, id, commitments, kLoaSubstantial), "answer");
  }
};

World& TheWorld() {
  static World w;
  return w;
}

void BM_ReuseScan(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    auto v = Must(ValidationIndex::ScanLedger(*w.ledger, w.user.address(), w.providers[0].address()), "scan");
    benchmark::DoNotOptimize(v);
  }
  state.counters["answers"] = kAnswersPerProvider;
  state.counters["user_events"] = kProviders * kAnswersPerProvider;
}
BENCHMARK(BM_ReuseScan)->Unit(benchmark::kMicrosecond);

void BM_ReuseIndex(benchmark::State& state) {
  World& w = TheWorld();
  ValidationIndex index(*w.store, *w.ledger);
  Must(index.Answers(w.user.address(), w.providers[1].address()), "warm");  // first login builds the entry
  for (auto _ : state) {
    auto v = Must(index.Answers(w.user.address(), w.providers[1].address()), "index");
    benchmark::DoNotOptimize(v);
  }
  state.counters["user_events"] = kProviders * kAnswersPerProvider;
}
BENCHMARK(BM_ReuseIndex)->Unit(benchmark::kMicrosecond);

void BM_ReuseIndexCatchUp(benchmark::State& state) {
  World& w = TheWorld();
  ValidationIndex index(*w.store, *w.ledger);
  Must(index.Answers(w.user.address(), w.providers[2].address()), "warm");
  for (auto _ : state) {
    state.PauseTiming();
    w.Answer(w.providers[2]);
    state.ResumeTiming();
    auto v = Must(index.Answers(w.user.address(), w.providers[2].address()), "index");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_ReuseIndexCatchUp)->Unit(benchmark::kMicrosecond)->Iterations(200);

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
