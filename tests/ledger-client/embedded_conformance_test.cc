#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"
#include "tests/ledger-client/conformance/ledger_conformance.h"

namespace certme {

INSTANTIATE_TEST_SUITE_P(
    Embedded, LedgerConformanceTest,
    ::testing::Values(LedgerBackend{.name = "embedded", .make = [](FakeClock* c, const EthKey& admin, uint64_t chain) {
      auto l = EmbeddedLedger::Create({.path = LedgerTestDir().NewFile(".ledger"), .clock = c, .sync_full = false, .sequencer = EthKey::Generate()},
                                      admin, chain);
      return l.ok() ? LedgerOrStatus(std::unique_ptr<Ledger>(std::move(*l))) : LedgerOrStatus(l.status());
    }}),
    LedgerBackendName);

}  // namespace certme
