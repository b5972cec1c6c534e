// SQLite-only behaviour: what survives a restart, where files go, and how
// bad paths and damaged files are reported. (Shared behaviour is in the
// conformance suite; kill -9 durability in sqlite_durability_test.cc.)
#include <sqlite3.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "store/store.h"
#include "store/sqlite/sqlite_store.h"
#include "tests/store/conformance/store_conformance.h"

namespace certme {
namespace {

namespace fs = std::filesystem;

StatusOr<std::unique_ptr<Store>> Open(const std::string& path, Clock* clock,
                                      bool check_integrity = true) {
  SqliteStoreOptions o;
  o.path = path;
  o.clock = clock;
  o.check_integrity_on_open = check_integrity;
  return NewSqliteStore(o);
}

// Rows in the file, expired or not, read behind the store's back.
int64_t RawRowCount(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM kv", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(SqliteStore, DataSurvivesReopen) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  FakeClock clock;
  const std::string binary("\0bin\xff", 5);
  {
    auto store = Open(path, &clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("svc", "a", "alpha", kNoExpiry).ok());
    ASSERT_TRUE((*store)->Put("svc", "b", binary, kNoExpiry).ok());
    ASSERT_TRUE((*store)->Put("sess", "s1", "short", std::chrono::seconds(10)).ok());
    ASSERT_TRUE((*store)->Put("sess", "s2", "long", std::chrono::hours(1)).ok());
    ASSERT_TRUE((*store)->Put("codes", "c", "once", kNoExpiry).ok());
    ASSERT_TRUE((*store)->Consume("codes", "c").ok());
  }
  clock.Advance(std::chrono::minutes(1));
  auto store = Open(path, &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->Get("svc", "a"), "alpha");
  EXPECT_EQ(*(*store)->Get("svc", "b"), binary);
  EXPECT_EQ(*(*store)->Get("sess", "s2"), "long");
  // TTLs are absolute times in the file: s1 expired while the store was closed.
  EXPECT_EQ((*store)->Get("sess", "s1").status().code(), StatusCode::kNotFound);
  // A consumed code stays consumed across a restart.
  EXPECT_EQ((*store)->Get("codes", "c").status().code(), StatusCode::kNotFound);
  auto list = (*store)->List("svc");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// A deleted or consumed value leaves no bytes in the file once the store is
// closed (closing checkpoints the write-ahead log into it and removes it).
TEST(SqliteStore, DeletedValuesLeaveNoBytesInTheFile) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  FakeClock clock;
  const std::string kept = "kept-value-7f3a9c";
  const std::string deleted = "deleted-value-Popescu-2001234567890";
  const std::string consumed = "consumed-value-ion.popescu@example.md";
  {
    auto store = Open(path, &clock);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("sess", "keep", kept, kNoExpiry).ok());
    ASSERT_TRUE((*store)->Put("sess", "gone", deleted, kNoExpiry).ok());
    ASSERT_TRUE((*store)->Put("codes", "c", consumed, kNoExpiry).ok());
    ASSERT_TRUE((*store)->Delete("sess", "gone").ok());
    ASSERT_TRUE((*store)->Consume("codes", "c").ok());
  }
  ASSERT_FALSE(fs::exists(path + "-wal") && fs::file_size(path + "-wal") > 0);
  const std::string bytes = ReadAll(path);
  ASSERT_NE(bytes.find(kept), std::string::npos) << "the search must see live rows";
  EXPECT_EQ(bytes.find(deleted), std::string::npos);
  EXPECT_EQ(bytes.find(consumed), std::string::npos);
}

TEST(SqliteStore, ExpiredValuesLeaveTheFilesAtACleanShutdown) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  FakeClock clock;
  const std::string expired = "expired-value-Popescu-1985-04-12";
  {
    SqliteStoreOptions o;
    o.path = path;
    o.clock = &clock;
    o.purge_interval = std::chrono::hours(1);  // no periodic purge in this test
    auto store = NewSqliteStore(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Put("oidc_code", "c", expired, std::chrono::seconds(60)).ok());
    ASSERT_TRUE((*store)->Put("svc", "kept", "kept-value-7f3a9c", kNoExpiry).ok());
    clock.Advance(std::chrono::seconds(61));
  }
  const std::string bytes = ReadAll(path);
  ASSERT_NE(bytes.find("kept-value-7f3a9c"), std::string::npos) << "the search must see live rows";
  EXPECT_EQ(bytes.find(expired), std::string::npos) << "an expired value outlived the shutdown";
}

TEST(SqliteStore, ThePurgeEmptiesTheWalOfExpiredAndDeletedValues) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  FakeClock clock;
  SqliteStoreOptions o;
  o.path = path;
  o.clock = &clock;
  o.purge_interval = std::chrono::milliseconds(20);
  auto store = NewSqliteStore(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string expired = "expired-value-Ion-Popescu-2001234567890";
  const std::string deleted = "deleted-value-ion.popescu@example.md";
  ASSERT_TRUE((*store)->Put("oidc_code", "c", expired, std::chrono::seconds(60)).ok());
  ASSERT_TRUE((*store)->Put("saml_session", "s", deleted, kNoExpiry).ok());
  ASSERT_TRUE((*store)->Put("svc", "kept", "kept-value-7f3a9c", kNoExpiry).ok());
  ASSERT_TRUE((*store)->Delete("saml_session", "s").ok());
  clock.Advance(std::chrono::seconds(61));
  // While the store runs, the database file and its WAL together must lose
  // both within a few purges.
  auto files = [&] {
    std::string all = ReadAll(path);
    if (fs::exists(path + "-wal")) all += ReadAll(path + "-wal");
    return all;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string bytes = files();
  while ((bytes.find(expired) != std::string::npos || bytes.find(deleted) != std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    bytes = files();
  }
  EXPECT_EQ(bytes.find(expired), std::string::npos);
  EXPECT_EQ(bytes.find(deleted), std::string::npos);
  EXPECT_NE(bytes.find("kept-value-7f3a9c"), std::string::npos);
}

TEST(SqliteStore, CreatesMissingParentDirectories) {
  ScopedTempDir dir;
  const std::string path = (dir.path() / "var" / "lib" / "certme" / "state.db").string();
  auto store = Open(path, nullptr);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Put("ns", "k", "v", kNoExpiry).ok());
  EXPECT_TRUE(fs::is_regular_file(path));
  EXPECT_EQ((*store)->Name(), "sqlite");
  EXPECT_TRUE((*store)->Ping().ok());
}

TEST(SqliteStore, ParentThatIsAFileIsAClearError) {
  ScopedTempDir dir;
  const std::string file = dir.NewFile(".txt");
  WriteFile(file, "not a directory");
  auto store = Open(file + "/sub/state.db", nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("directory"), std::string::npos);
}

TEST(SqliteStore, PathThatIsADirectoryIsAClearError) {
  ScopedTempDir dir;
  auto store = Open(dir.path().string(), nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
}

TEST(SqliteStore, ReadOnlyFileIsAClearError) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  ASSERT_TRUE(Open(path, nullptr).ok());
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read);
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  auto store = Open(path, nullptr);
  fs::permissions(dir.path(), fs::perms::owner_all);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
}

TEST(SqliteStore, InvalidOptionsAreRejected) {
  EXPECT_EQ(Open("", nullptr).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(":memory:", nullptr).status().code(), StatusCode::kInvalidArgument);
  ScopedTempDir dir;
  SqliteStoreOptions o;
  o.path = dir.NewFile(".db");
  o.read_connections = 0;
  EXPECT_EQ(NewSqliteStore(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteStore, GarbageFileIsRefusedWithoutCrashing) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  std::string garbage;
  for (int i = 0; i < 16384; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
  WriteFile(path, garbage);
  for (bool check : {true, false}) {
    auto store = Open(path, nullptr, check);
    ASSERT_FALSE(store.ok()) << "check_integrity_on_open=" << check;
    EXPECT_EQ(store.status().code(), StatusCode::kInternal) << store.status().ToString();
    EXPECT_NE(store.status().message().find("corrupt"), std::string::npos);
    // The client-safe message must not carry the path; the detail does.
    EXPECT_EQ(store.status().message().find(path), std::string::npos);
  }
  // The file was left as it was: the store does not "repair" by truncating.
  EXPECT_EQ(fs::file_size(path), garbage.size());
}

TEST(SqliteStore, DamagedPagesAreReportedNotCrashedOn) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  {
    auto store = Open(path, nullptr);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 2000; ++i) {
      // Distinct keys in one namespace so that List walks every page.
      ASSERT_TRUE((*store)->Put("ns", "key-" + std::to_string(i), std::string(200, 'v'), kNoExpiry).ok());
    }
  }
  ASSERT_FALSE(fs::exists(path + "-wal") && fs::file_size(path + "-wal") > 0)
      << "closing should have checkpointed the WAL";
  const auto size = fs::file_size(path);
  ASSERT_GT(size, 8 * 4096u);
  {
    // Keep page 1 (header and schema); scribble over the rest.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);
    std::string junk(size - 2 * 4096, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) & 0xff);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto checked = Open(path, nullptr, /*check_integrity=*/true);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), StatusCode::kInternal) << checked.status().ToString();

  // Without the check the damage surfaces on the first read that touches it.
  auto unchecked = Open(path, nullptr, /*check_integrity=*/false);
  if (unchecked.ok()) {
    auto list = (*unchecked)->List("ns");
    ASSERT_FALSE(list.ok()) << "listed " << list->size() << " rows from a damaged file";
    EXPECT_EQ(list.status().code(), StatusCode::kInternal) << list.status().ToString();
  } else {
    EXPECT_EQ(unchecked.status().code(), StatusCode::kInternal);
  }
}

TEST(SqliteStore, PurgeDeletesExpiredRows) {
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  FakeClock clock;
  SqliteStoreOptions o;
  o.path = path;
  o.clock = &clock;
  o.purge_interval = std::chrono::milliseconds(20);
  auto store = NewSqliteStore(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE((*store)->Put("sess", "s" + std::to_string(i), "x", std::chrono::seconds(30)).ok());
  }
  ASSERT_TRUE((*store)->Put("svc", "kept", "x", kNoExpiry).ok());
  ASSERT_TRUE((*store)->Put("sess", "later", "x", std::chrono::hours(1)).ok());
  // The purge only runs against the injected clock: nothing is due yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(RawRowCount(path), 52);

  clock.Advance(std::chrono::minutes(1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (RawRowCount(path) != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(RawRowCount(path), 2);
  EXPECT_TRUE((*store)->Get("svc", "kept").ok());
  EXPECT_TRUE((*store)->Get("sess", "later").ok());
}

TEST(SqliteStore, SeveralStoresOnOneFileStayAtomic) {
  // Not the intended deployment (one process owns the file), but sharing
  // must not break consume-once: every write runs in BEGIN IMMEDIATE.
  ScopedTempDir dir;
  const std::string path = dir.NewFile(".db");
  auto a = Open(path, nullptr);
  auto b = Open(path, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kKeys = 50;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE((*a)->Put("c", std::to_string(i), "v", kNoExpiry).ok());
  std::atomic<int> wins{0};
  auto consume_all = [&](Store* s) {
    for (int i = 0; i < kKeys; ++i) {
      if (s->Consume("c", std::to_string(i)).ok()) wins++;
    }
  };
  std::thread ta(consume_all, a->get()), tb(consume_all, b->get());
  ta.join();
  tb.join();
  EXPECT_EQ(wins.load(), kKeys);
}

}  // namespace
}  // namespace certme
