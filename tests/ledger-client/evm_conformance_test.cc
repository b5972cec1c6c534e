// The shared Ledger conformance suite on a real chain: anvil running the
// CertMeRegistry contract. One node per test binary, a fresh registry per
// test; ledger time moves by mining a block later (evm_mine).
#include "tests/ledger-client/anvil.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {
namespace {

Anvil* Node(Status* failure) {
  static StatusOr<std::unique_ptr<Anvil>>* node = new StatusOr<std::unique_ptr<Anvil>>(Anvil::Start());
  if (!node->ok()) {
    *failure = node->status();
    return nullptr;
  }
  return node->value().get();
}

// Stops the node when the tests are done (not left to process exit).
class AnvilEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    Status ignored;
    if (Anvil* a = Node(&ignored)) a->Kill();
  }
};
[[maybe_unused]] ::testing::Environment* const kAnvilEnvironment =
    ::testing::AddGlobalTestEnvironment(new AnvilEnvironment);

}  // namespace

INSTANTIATE_TEST_SUITE_P(
    Anvil, LedgerConformanceTest,
    ::testing::Values(LedgerBackend{
        .name = "anvil",
        .make = [](FakeClock*, const EthKey& admin, uint64_t chain) -> LedgerOrStatus {
          Status failure;
          Anvil* a = Node(&failure);
          if (!a) return failure;
          if (chain != 31337) return InvalidArgument("the test node runs chain 31337");
          auto l = a->NewRegistry(admin);
          if (!l.ok()) return l.status();
          return LedgerOrStatus(std::unique_ptr<Ledger>(std::move(*l)));
        },
        .advance =
            [](FakeClock* clock, Duration d) {
              Status failure;
              Anvil* a = Node(&failure);
              ASSERT_NE(a, nullptr) << failure.ToString();
              ASSERT_TRUE(a->Advance(d).ok());
              clock->Advance(d);
            }}),
    LedgerBackendName);

}  // namespace certme
