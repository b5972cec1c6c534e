// A per-request bound on waiting for the shared state. The HTTP layer
// installs one around each handler call (idp/http, HttpServerOptions::
// backend_wait_budget); a store backend that waits on the network (Redis)
// caps each round trip at what is left and subtracts what it used, so a
// request that makes several store calls against a stalled server fails
// after the budget in total, not after one timeout per call. Thread-local:
// it bounds the calls made on the thread that runs the handler.
#pragma once

#include <chrono>

namespace certme {

using SteadyDuration = std::chrono::steady_clock::duration;

namespace wait_budget_internal {
inline thread_local SteadyDuration* current = nullptr;
}  // namespace wait_budget_internal

// The time the request on this thread may still spend waiting; null when
// no budget is installed (then only the backend's own timeouts apply).
// Never negative once spent: callers see zero or less as "spent".
inline SteadyDuration* CurrentWaitBudget() { return wait_budget_internal::current; }

// Installs a budget for the lifetime of the object (nested: the inner one
// applies and the outer one comes back on destruction).
class ScopedWaitBudget {
 public:
  explicit ScopedWaitBudget(SteadyDuration budget)
      : remaining_(budget), outer_(wait_budget_internal::current) {
    wait_budget_internal::current = &remaining_;
  }
  ~ScopedWaitBudget() { wait_budget_internal::current = outer_; }
  ScopedWaitBudget(const ScopedWaitBudget&) = delete;
  ScopedWaitBudget& operator=(const ScopedWaitBudget&) = delete;

 private:
  SteadyDuration remaining_;
  SteadyDuration* outer_;
};

}  // namespace certme
