#include "idp/admin/audit_log.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/memory/memory_store.h"

namespace certme::admin {
namespace {

TEST(AdminAuditLogTest, AppendsInOrderWithAHashChain) {
  FakeClock clock;
  auto store = NewMemoryStore({&clock});
  AuditLog log(*store, clock);
  ASSERT_TRUE(log.Append("ana", "service.create", "svc-1", "test", nullptr, {{"x", 1}}).ok());
  clock.Advance(std::chrono::seconds(5));
  auto e2 = log.Append("ion", "service.disable", "svc-1", "test", {{"x", 1}}, {{"x", 2}});
  ASSERT_TRUE(e2.ok());
  auto all = log.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].seq, 1u);
  EXPECT_EQ((*all)[1].prev_hash, (*all)[0].hash);
  EXPECT_EQ((*all)[1].time, "2023-11-14T22:13:25Z");
  EXPECT_EQ((*all)[1].before["x"], 1);
  EXPECT_TRUE(log.Verify().ok());
  auto newest = log.List(1, true);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].actor, "ion");
}

TEST(AdminAuditLogTest, VerifyNoticesAnEditedOrMissingEntry) {
  FakeClock clock;
  auto store = NewMemoryStore({&clock});
  AuditLog log(*store, clock);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log.Append("ana", "a", "t", "", nullptr, {{"i", i}}).ok());
  auto raw = store->Get("admin_audit", "00000000000000000002");
  ASSERT_TRUE(raw.ok());
  std::string edited = *raw;
  edited.replace(edited.find("\"ana\""), 5, "\"eve\"");
  ASSERT_TRUE(store->Put("admin_audit", "00000000000000000002", edited, kNoExpiry).ok());
  EXPECT_NE(log.Verify().message().find("entry 2 was altered"), std::string::npos);
  ASSERT_TRUE(store->Put("admin_audit", "00000000000000000002", *raw, kNoExpiry).ok());
  EXPECT_TRUE(log.Verify().ok());
  ASSERT_TRUE(store->Delete("admin_audit", "00000000000000000002").ok());
  EXPECT_NE(log.Verify().message().find("missing"), std::string::npos);
  // The last entry removed: the head still names it.
  ASSERT_TRUE(store->Put("admin_audit", "00000000000000000002", *raw, kNoExpiry).ok());
  ASSERT_TRUE(log.Verify().ok());
  ASSERT_TRUE(store->Delete("admin_audit", "00000000000000000003").ok());
  EXPECT_NE(log.Verify().message().find("entry 3 is missing"), std::string::npos);
}

TEST(AdminAuditLogTest, TwoWritersOnOneStoreShareOneChain) {
  FakeClock clock;
  auto store = NewMemoryStore({&clock});
  AuditLog a(*store, clock), b(*store, clock);  // two replicas, or the CLI beside the server
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a.Append("ana", "a", "t", "", nullptr, {{"i", i}}).ok());
    ASSERT_TRUE(b.Append("ion", "b", "t", "", nullptr, {{"i", i}}).ok());
  }
  auto all = *a.List();
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all.back().seq, 10u);
  EXPECT_TRUE(b.Verify().ok());
}

TEST(AdminAuditLogTest, AWriterThatDiedBeforeMovingTheHeadIsCaughtUp) {
  FakeClock clock;
  auto store = NewMemoryStore({&clock});
  AuditLog log(*store, clock);
  ASSERT_TRUE(log.Append("ana", "a", "t", "", nullptr, nullptr).ok());
  auto head = *store->Get("admin_audit_head", "head");
  ASSERT_TRUE(log.Append("ana", "b", "t", "", nullptr, nullptr).ok());
  // Entry 2 exists, the head still says 1 (as if its writer died in between).
  ASSERT_TRUE(store->Put("admin_audit_head", "head", head, kNoExpiry).ok());
  auto e = log.Append("ana", "c", "t", "", nullptr, nullptr);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->seq, 3u);
  EXPECT_TRUE(log.Verify().ok());
  // A log without a head (older data) is found by listing, once.
  ASSERT_TRUE(store->Delete("admin_audit_head", "head").ok());
  EXPECT_EQ(log.Append("ana", "d", "t", "", nullptr, nullptr)->seq, 4u);
  EXPECT_TRUE(log.Verify().ok());
}

TEST(AdminAuditLogTest, ExportsCsvWithoutFormulaInjectionAndJsonLines) {
  FakeClock clock;
  auto store = NewMemoryStore({&clock});
  AuditLog log(*store, clock);
  ASSERT_TRUE(log.Append("=cmd|' /C calc'!A0", "service.create", "a,\"b\"", "test", nullptr, nullptr).ok());
  auto all = *log.List();
  std::string csv = AuditLog::ToCsv(all);
  EXPECT_EQ(csv.rfind("seq,time,actor,action,target,environment,before,after,prev_hash,hash\r\n", 0), 0u);
  EXPECT_NE(csv.find(",'=cmd|' /C calc'!A0,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",\"a,\"\"b\"\"\","), std::string::npos) << csv;
  std::string jsonl = AuditLog::ToJsonLines(all);
  auto j = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_EQ(j["action"], "service.create");
}

}  // namespace
}  // namespace certme::admin
