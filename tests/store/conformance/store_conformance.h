// The Store conformance suite (Dex's storage/conformance is the model): one
// set of tests that states every contract of store/store.h; a backend
// exists only if it passes all of them.
//
// A backend joins with one instantiation:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
//       ::testing::Values(StoreBackend{.name = "memory", .make = [](FakeClock* c) -> StoreOrStatus {
//         return NewMemoryStore({.clock = c}); }}),
//       StoreBackendName);
//
// Link the `certme_store_conformance` object library (not a static archive:
// the TEST_P registrations must not be dropped by the linker).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace certme {

using StoreOrStatus = StatusOr<std::unique_ptr<Store>>;

struct StoreBackend {
  // Test-name suffix: letters, digits, underscores.
  std::string name;
  // Returns a fresh, empty store whose TTLs follow *clock. Returning
  // Unavailable skips the suite with its message (a server-backed store
  // whose server is absent); any other error fails it.
  std::function<StoreOrStatus(FakeClock* clock)> make;
  // Moves the store's notion of time forward. Null means clock->Advance(d),
  // right for every backend that reads the injected clock; a backend with
  // server-side TTLs (Redis) sleeps here instead, with a small ttl_unit.
  std::function<void(FakeClock* clock, Duration d)> advance = nullptr;
  // Every TTL in the suite is a small multiple of this, and times are
  // checked half a unit away from any expiry boundary.
  Duration ttl_unit = std::chrono::seconds(10);
};

// Names the backend in failure messages instead of dumping its bytes.
void PrintTo(const StoreBackend& backend, std::ostream* os);

// For INSTANTIATE_TEST_SUITE_P's name generator.
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override { store_.reset(); }

  // ttl of `units` ttl_units.
  Duration Ttl(double units) const;
  // Advances time by `units` ttl_units.
  void Advance(double units);

  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

// A directory under the test temp dir, removed with everything in it on
// destruction. For file-backed stores.
class ScopedTempDir {
 public:
  ScopedTempDir();
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory that no earlier call returned.
  std::string NewFile(const std::string& suffix);

 private:
  std::filesystem::path path_;
  int counter_ = 0;
};

}  // namespace certme
