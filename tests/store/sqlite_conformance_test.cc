#include "store/store.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/store/conformance/store_conformance.h"

namespace certme {

namespace {
// One fresh database file per test, all in a directory removed at exit.
ScopedTempDir& ConformanceDir() {
  static ScopedTempDir dir;
  return dir;
}
}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{.name = "sqlite", .make = [](FakeClock* c) {
                           return NewSqliteStore({.path = ConformanceDir().NewFile(".db"), .clock = c});
                         }}),
                         StoreBackendName);

}  // namespace certme
