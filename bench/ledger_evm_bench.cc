// The EVM ledger backend on a real local chain (anvil, started here on a
// free port; npm @foundry-rs/anvil, see scripts/deps):
//  - BM_EvmValidationRoundTrip/0: consent signed → request transaction →
//    the validator service (its own EvmLedger, as in its own process) woken
//    by the head poller → answer transaction → the provider woken → values
//    checked; anvil mines each transaction at once (automine).
//  - BM_EvmValidationRoundTrip/1: the same with a block every second
//    (interval mining), as a real network with 1 s blocks.
//  - BM_EvmEidStatusRead/0: eID status reads as eth_calls; /1: from the
//    event-invalidated cache (ledger.evm.cache_eid_status).
//  - BM_EvmRecordSignatures/N: recordSignatures with N signatures of one
//    user; the counter gas_per_call is the receipt's gasUsed (the figure in
//    docs/ledger-evm.md, "Signature records").
// Run: ledger_evm_bench [--benchmark_filter=RoundTrip]
// Poll interval: 50 ms (ledger.evm.poll_interval_ms would be set to that).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/ledger_bench_util.h"
#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/evm_ledger.h"
#include "ledger-client/json_rpc.h"
#include "tests/ledger-client/anvil.h"

namespace certme {
namespace {

using bench::Must;
using bench::Person;
using bench::SetUpRegistry;
using bench::ValidatorService;

using nlohmann::json;

constexpr int kUsers = 20;

// A registry on a fresh node with a validator, a provider and kUsers users.
struct World {
  std::unique_ptr<Anvil> node;
  EthKey admin = EthKey::Generate(), validator = EthKey::Generate(), provider = EthKey::Generate();
  Deployment deployment;
  std::vector<Person> users;
  std::unique_ptr<EvmLedger> ledger;  // the provider's (the bridge's)

  explicit World(bool cache) {
    node = Must(Anvil::Start(), "start anvil");
    ledger = Must(Open(cache, /*deploy=*/true), "deploy");
    users.resize(kUsers);
    SetUpRegistry(*ledger, admin, validator, provider, users);
  }

  StatusOr<std::unique_ptr<EvmLedger>> Open(bool cache, bool deploy = false) {
    if (deploy) return node->NewRegistry(admin, &deployment);
    EvmLedgerOptions o = node->LedgerOptions();
    o.registry = deployment.address;
    o.from_block = deployment.block;
    o.poll_interval = std::chrono::milliseconds(50);
    o.cache_eid_status = cache;
    return EvmLedger::Connect(o);
  }
};

void BM_EvmValidationRoundTrip(benchmark::State& state) {
  World w(/*cache=*/false);
  auto provider = Must(w.Open(false), "provider ledger");
  if (state.range(0) == 1) {
    Must(w.node->Rpc("evm_setAutomine", json::array({false})), "automine off");
    Must(w.node->Rpc("evm_setIntervalMining", json::array({1})), "1 s blocks");
  }
  // The validator service with its own connection (as its own process would
  // have).
  auto validator_ledger = Must(w.Open(false), "validator ledger");
  ValidatorService service(*validator_ledger, w.validator);
  size_t i = 0;
  for (auto _ : state) {
    const Person& u = w.users[i++ % w.users.size()];
    Consent c{u.key.address(), w.provider.address(), {AttributeKey("first_name"), AttributeKey("idnp")},
              abi::ToBytes32(SystemRandom().Bytes(32)), static_cast<uint64_t>(provider->Now() + 600)};
    EthSignature sig = SignConsent(u.key, provider->Domain(), c);
    uint64_t id = Must(provider->RequestValidation(
                           w.provider, c, std::string(reinterpret_cast<const char*>(sig.rsv.data()), 65)),
                       "request");
    auto answered = Must(provider->WaitForAnswer(id, std::chrono::seconds(30)), "wait for answer");
    if (!CheckDisclosure(u.key.address(), u.attrs, answered.attr_keys, answered.commitments).ok())
      state.SkipWithError("disclosure did not verify");
  }
  state.SetLabel(state.range(0) ? "1 s blocks" : "automine");
}
BENCHMARK(BM_EvmValidationRoundTrip)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(3);

void BM_EvmEidStatusRead(benchmark::State& state) {
  static World* w = new World(/*cache=*/false);
  const bool cache = state.range(0) != 0;
  auto reader = Must(w->Open(cache), "reader");
  // Let the watcher read the head once so that the cache is vouched for.
  for (int k = 0; k < 20; ++k) {
    (void)reader->GetEidStatus(w->users[0].key.address());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto s = reader->GetEidStatus(w->users[i++ % w->users.size()].key.address());
    if (!s.ok() || *s != EidStatus::kActive) state.SkipWithError("unexpected status");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(cache ? "cached, invalidated by events" : "eth_call each");
}
BENCHMARK(BM_EvmEidStatusRead)->Arg(0)->Arg(1)->UseRealTime();

void BM_EvmRecordSignatures(benchmark::State& state) {
  static World* w = new World(/*cache=*/false);
  const size_t n = static_cast<size_t>(state.range(0));
  const Person& u = w->users[0];
  uint64_t gas = 0, calls = 0;
  for (auto _ : state) {
    const Bytes32 request = abi::ToBytes32(SystemRandom().Bytes(32));
    const uint64_t signed_at = static_cast<uint64_t>(w->ledger->Now());
    std::vector<SignatureEntry> entries;
    for (size_t k = 0; k < n; ++k) {
      SignedDigest sd{u.key.address(), w->provider.address(), abi::ToBytes32(SystemRandom().Bytes(32)), request,
                      signed_at};
      EthSignature sig = SignSignedDigest(u.key, w->ledger->Domain(), sd);
      entries.push_back({sd.digest, std::string(reinterpret_cast<const char*>(sig.rsv.data()), 65)});
    }
    TxReceipt r = Must(w->ledger->RecordSignatures(w->provider, u.key.address(), request, signed_at, entries),
                       "record signatures");
    json receipt = Must(w->node->Rpc("eth_getTransactionReceipt", json::array({"0x" + HexEncode(abi::AsView(r.tx_hash))})),
                        "receipt");
    gas += Must(ParseHexQuantity(receipt.value("gasUsed", json())), "gasUsed");
    ++calls;
  }
  state.counters["gas_per_call"] = calls ? static_cast<double>(gas) / static_cast<double>(calls) : 0;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_EvmRecordSignatures)->Arg(1)->Arg(2)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace certme

BENCHMARK_MAIN();
