#include "store/store.h"
#include "store/memory/memory_store.h"
#include "tests/store/conformance/store_conformance.h"

namespace certme {

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
                         ::testing::Values(StoreBackend{.name = "memory", .make = [](FakeClock* c) -> StoreOrStatus {
                           return NewMemoryStore({.clock = c});
                         }}),
                         StoreBackendName);

}  // namespace certme
