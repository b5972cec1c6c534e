// The in-process Store: a map per namespace, for development, tests and a
// single replica that may lose its state on restart.
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace certme {

struct MemoryStoreOptions {
  // Time source for TTLs; SystemClock() when null.
  Clock* clock = nullptr;
};
std::unique_ptr<Store> NewMemoryStore(const MemoryStoreOptions& options = {});

}  // namespace certme
