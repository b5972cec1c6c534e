// The Store and Ledger decorators that feed /metrics (idp/timed_backends.h):
// calls pass through unchanged, each is timed under its operation, and only
// backend trouble counts as a Store error.
#include "idp/timed_backends.h"

#include <gtest/gtest.h>

#include "ledger-client/embedded_ledger.h"
#include "store/memory/memory_store.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

uint64_t Calls(Metrics& m, const char* family, const std::string& op) {
  return m.NewHistogram(family, "", {"op"}).Count({op});
}
double Errors(Metrics& m, const char* family, const std::string& op, const std::string& code) {
  return m.NewCounter(family, "", {"op", "code"}).Value({op, code});
}

TEST(TimedStore, TimesEveryCallAndCountsOnlyBackendTroubleAsErrors) {
  Metrics m;
  auto store = NewTimedStore(NewMemoryStore(), m);
  EXPECT_EQ(store->Name(), "memory");
  ASSERT_TRUE(store->Put("ns", "k", "v", kNoExpiry).ok());
  EXPECT_EQ(*store->Get("ns", "k"), "v");
  EXPECT_EQ(store->Get("ns", "missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->PutIfAbsent("ns", "k", "w", kNoExpiry).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->CompareAndSwap("ns", "k", "other", "x", kNoExpiry).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store->Consume("ns", "k"), "v");
  // A key over the contract's bound is the caller's or the backend's fault: an error.
  EXPECT_EQ(store->Put("ns", std::string(kMaxStoreKeyBytes + 1, 'k'), "v", kNoExpiry).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->Enqueue("q", "1", "item", Duration(0)).ok());
  EXPECT_EQ(*store->QueueSize("q"), 1u);
  ASSERT_EQ(store->ClaimDue("q", 5, std::chrono::seconds(30))->size(), 1u);
  ASSERT_TRUE(store->Dequeue("q", "1").ok());
  ASSERT_TRUE(store->Ping().ok());

  const char* kLatency = "certme_store_operation_duration_seconds";
  const char* kErrors = "certme_store_errors_total";
  EXPECT_EQ(Calls(m, kLatency, "put"), 2u);
  EXPECT_EQ(Calls(m, kLatency, "get"), 2u);
  EXPECT_EQ(Calls(m, kLatency, "put_if_absent"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "compare_and_swap"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "consume"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "enqueue"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "claim_due"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "dequeue"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "queue_size"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "ping"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "delete"), 0u);
  EXPECT_EQ(Errors(m, kErrors, "put", "InvalidArgument"), 1);
  EXPECT_EQ(Errors(m, kErrors, "get", "NotFound"), 0);
  EXPECT_EQ(Errors(m, kErrors, "put_if_absent", "AlreadyExists"), 0);
  EXPECT_EQ(Errors(m, kErrors, "compare_and_swap", "FailedPrecondition"), 0);
  const std::string text = m.Render();
  EXPECT_NE(text.find("certme_store_errors_total{op=\"put\",code=\"InvalidArgument\"} 1\n"), std::string::npos)
      << text;
  // Every operation is exposed from the start, at zero until used.
  EXPECT_NE(text.find("certme_store_operation_duration_seconds_count{op=\"delete\"} 0\n"), std::string::npos);
}

TEST(TimedLedger, TimesReadsAndCountsEveryFailedCall) {
  Metrics m;
  EthKey admin = EthKey::Generate();
  auto inner = EmbeddedLedger::Create({.path = LedgerTestDir().NewFile(".ledger"),
                                       .sync_full = false,
                                       .watch_file = false,
                                       .sequencer = EthKey::Generate()},
                                      admin, 31337);
  ASSERT_TRUE(inner.ok()) << inner.status().ToString();
  auto ledger = NewTimedLedger(std::move(*inner), m);
  EXPECT_EQ(ledger->ChainId(), 31337u);
  EthKey provider = EthKey::Generate();
  ASSERT_TRUE(ledger->AddProvider(admin, provider.address()).ok());  // a typed call: one Transact
  EXPECT_TRUE(*ledger->IsProvider(provider.address()));
  auto unknown = ledger->GetRequest(999);
  ASSERT_FALSE(unknown.ok());
  // Refused by the registry rules: a failed call too.
  EXPECT_FALSE(ledger->AddProvider(provider, provider.address()).ok());
  EventFilter none;
  none.kind = EventKind::kValidationAnswered;
  EXPECT_TRUE(ledger->WaitForEvents(none, std::chrono::milliseconds(10)).ok());

  const char* kLatency = "certme_ledger_call_duration_seconds";
  const char* kErrors = "certme_ledger_errors_total";
  EXPECT_EQ(Calls(m, kLatency, "transact"), 2u);
  EXPECT_EQ(Calls(m, kLatency, "is_provider"), 1u);
  EXPECT_EQ(Calls(m, kLatency, "get_request"), 1u);
  EXPECT_EQ(Errors(m, kErrors, "get_request", StatusCodeName(unknown.status().code())), 1);
  const std::string text = m.Render();
  EXPECT_NE(text.find("certme_ledger_errors_total{op=\"transact\""), std::string::npos) << text;
  // A wait for new blocks is not a call's latency.
  EXPECT_EQ(text.find("op=\"wait_for_events\""), std::string::npos);
}

}  // namespace
}  // namespace certme
