// The Ledger conformance suite: every rule of the certME registry
// (docs/ledger.md) as a test, plus the whole request → consent → answer →
// check scenario. A backend exists only if it passes all of it; the
// embedded backend runs it now, the EVM backend will run the same.
//
// A backend joins with one instantiation:
//
//   INSTANTIATE_TEST_SUITE_P(Embedded, LedgerConformanceTest,
//       ::testing::Values(LedgerBackend{.name = "embedded", .make = …}),
//       LedgerBackendName);
//
// Link the `certme_ledger_conformance` object library (an OBJECT library so
// that the TEST_P registrations are not dropped by the linker).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/ledger.h"

namespace certme {

using LedgerOrStatus = StatusOr<std::unique_ptr<Ledger>>;

struct LedgerBackend {
  // Test-name suffix: letters, digits, underscores.
  std::string name;
  // A fresh registry administered by `admin` on chain `chain_id`, whose
  // ledger time follows *clock. Any error fails the test: a backend that
  // cannot be reached (anvil not installed) is a failure, never a skip.
  std::function<LedgerOrStatus(FakeClock* clock, const EthKey& admin, uint64_t chain_id)> make;
  // Moves ledger time forward. Null: clock->Advance(d). (An EVM backend
  // calls evm_increaseTime here.)
  std::function<void(FakeClock* clock, Duration d)> advance = nullptr;
};

void PrintTo(const LedgerBackend& backend, std::ostream* os);
std::string LedgerBackendName(const ::testing::TestParamInfo<LedgerBackend>& info);

class LedgerConformanceTest : public ::testing::TestWithParam<LedgerBackend> {
 protected:
  void SetUp() override;
  void TearDown() override { ledger_.reset(); }

  void Advance(Duration d);

  FakeClock clock_;
  EthKey admin_ = EthKey::Generate();
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace certme
