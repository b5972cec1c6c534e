// The suite's parameterized fixture (ledger_conformance.h); the tests are
// in the files beside it, one per theme.
#include "tests/ledger-client/conformance/ledger_conformance.h"

#include <utility>

#include "tests/ledger-client/conformance/conformance_helpers.h"

namespace certme {

using ledger_conformance::kChainId;

std::string LedgerBackendName(const ::testing::TestParamInfo<LedgerBackend>& info) { return info.param.name; }
void PrintTo(const LedgerBackend& backend, std::ostream* os) { *os << backend.name; }

void LedgerConformanceTest::SetUp() {
  ASSERT_TRUE(GetParam().make) << "backend " << GetParam().name << " has no factory";
  LedgerOrStatus made = GetParam().make(&clock_, admin_, kChainId);
  ASSERT_TRUE(made.ok()) << GetParam().name << " backend: " << made.status().ToString();
  ledger_ = std::move(made).value();
}

void LedgerConformanceTest::Advance(Duration d) {
  if (GetParam().advance) {
    GetParam().advance(&clock_, d);
  } else {
    clock_.Advance(d);
  }
}

}  // namespace certme
