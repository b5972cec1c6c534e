// Latency and error metrics for the two backends every request leans on,
// without touching any backend: decorators around the Store and Ledger
// interfaces that time each call and forward it unchanged.
//
//   certme_store_operation_duration_seconds{op}   histogram (op: get, put, consume, …)
//   certme_store_errors_total{op,code}            counter: backend trouble only — NotFound,
//                                                 AlreadyExists and FailedPrecondition are
//                                                 answers, not errors
//   certme_ledger_call_duration_seconds{op}       histogram (op: transact, get_eid_status, …;
//                                                 wait_for_events is a wait, not timed)
//   certme_ledger_errors_total{op,code}           counter: every call that did not return OK
//
// `code` is a StatusCodeName (a fixed set). The per-op series are bound at
// construction, so a call costs two clock reads and a few relaxed atomic
// adds, no lock. Both decorators are as thread-safe as what they wrap.
#pragma once

#include <memory>

#include "idp/http/metrics.h"
#include "ledger-client/ledger.h"
#include "store/store.h"

namespace certme {

// `metrics` must outlive the returned Store.
std::unique_ptr<Store> NewTimedStore(std::unique_ptr<Store> inner, Metrics& metrics);

// `metrics` must outlive the returned Ledger.
std::unique_ptr<Ledger> NewTimedLedger(std::unique_ptr<Ledger> inner, Metrics& metrics);

}  // namespace certme
