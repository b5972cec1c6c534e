#include "idp/admin/accounts.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"
#include "store/memory/memory_store.h"

namespace certme::admin {
namespace {

class AdminAccountsTest : public ::testing::Test {
 protected:
  AdminAccountsTest() : store_(NewMemoryStore({&clock_})), audit_(*store_, clock_) {
    AccountOptions o;
    o.session_idle_seconds = 600;
    o.session_max_seconds = 3600;
    o.lockout_failures = 3;
    o.lockout_seconds = 900;
    o.hash = {.memory_kib = 1024, .iterations = 1, .parallelism = 1};
    // The per-address and audit budgets have tests of their own below.
    o.sign_ins_per_minute_per_address = 0;
    o.anonymous_failures_audited_per_minute = 0;
    accounts_ = std::make_unique<AdminAccounts>(o, *store_, audit_, clock_, random_);
    EXPECT_TRUE(accounts_->CreateUser("cli:root", "ana", Secret("a long enough password")).ok());
  }

  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    auto entries = audit_.List();
    for (const auto& e : *entries) out.push_back(e.action);
    return out;
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_;
  AuditLog audit_;
  std::unique_ptr<AdminAccounts> accounts_;
};

TEST_F(AdminAccountsTest, StoresOnlyTheArgon2idHash) {
  auto raw = store_->Get("admin_user", "ana");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->find("a long enough password"), std::string::npos);
  EXPECT_NE(raw->find("$argon2id$"), std::string::npos);
  EXPECT_EQ(accounts_->CreateUser("x", "ana", Secret("a long enough password")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(accounts_->CreateUser("x", "Bad Name", Secret("a long enough password")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_->CreateUser("x", "ion", Secret("short")).code(), StatusCode::kInvalidArgument);
}

TEST_F(AdminAccountsTest, SignInOpensASessionWithItsCsrfToken) {
  auto cookie = accounts_->SignIn("ana", Secret("a long enough password"), "127.0.0.1");
  ASSERT_TRUE(cookie.ok()) << cookie.status().ToString();
  auto s = accounts_->Session(cookie->reveal());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->user, "ana");
  EXPECT_GE(s->csrf.size(), 40u);
  // Only the cookie's hash is a key.
  EXPECT_FALSE(store_->Get("admin_session", cookie->reveal()).ok());
  ASSERT_TRUE(accounts_->SignOut(cookie->reveal()).ok());
  EXPECT_FALSE(accounts_->Session(cookie->reveal()).ok());
}

TEST_F(AdminAccountsTest, WrongPasswordAndUnknownUserLookTheSame) {
  auto a = accounts_->SignIn("ana", Secret("wrong password!!"), "ip");
  auto b = accounts_->SignIn("nobody", Secret("wrong password!!"), "ip");
  EXPECT_EQ(a.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(a.status().message(), b.status().message());
}

TEST_F(AdminAccountsTest, LocksAfterRepeatedFailuresThenUnlocks) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(accounts_->SignIn("ana", Secret("wrong password!!"), "ip").ok());
  // Locked: even the right password is refused. The answer is the one an
  // unknown user gets (it reveals neither names nor locks) and states the
  // policy.
  auto locked = accounts_->SignIn("ana", Secret("a long enough password"), "ip");
  auto unknown = accounts_->SignIn("nobody", Secret("a long enough password"), "ip");
  EXPECT_EQ(locked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(locked.status().code(), unknown.status().code());
  EXPECT_EQ(locked.status().message(), unknown.status().message());
  EXPECT_NE(locked.status().message().find("15 minutes"), std::string::npos) << locked.status().message();
  clock_.Advance(std::chrono::seconds(901));
  EXPECT_TRUE(accounts_->SignIn("ana", Secret("a long enough password"), "ip").ok());
  auto actions = Actions();
  EXPECT_NE(std::find(actions.begin(), actions.end(), "user.locked"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "user.login_refused_locked"), actions.end());
}

// Many sign-ins at once on a fresh account, all wrong but one: no more wrong
// passwords are checked than the lock-out allows (the lock is taken before
// the slow check, not after it), and whatever the interleaving the account
// ends locked or signed in, never both past the limit.
TEST_F(AdminAccountsTest, ConcurrentSignInsCannotCheckMoreWrongPasswordsThanTheLimit) {
  AccountOptions o = accounts_->options();
  o.max_concurrent_hashes = 1000;
  AdminAccounts accounts(o, *store_, audit_, clock_, random_);
  constexpr int kThreads = 40;
  std::vector<std::thread> threads;
  std::atomic<int> signed_in{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      Secret pw(i == kThreads / 2 ? "a long enough password" : "wrong password!!");
      if (accounts.SignIn("ana", pw, "ip").ok()) ++signed_in;
    });
  for (auto& t : threads) t.join();
  int wrong_checked = 0;
  auto entries = audit_.List();
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries)
    if ((e.action == "user.login_failed" || e.action == "user.locked") && e.after.dump().find("wrong password") != std::string::npos)
      ++wrong_checked;
  EXPECT_LE(wrong_checked, o.lockout_failures);
  EXPECT_LE(signed_in.load(), 1);
  // Checks in progress leave no slot behind.
  auto raw = store_->Get("admin_user", "ana");
  ASSERT_TRUE(raw.ok());
  auto rec = nlohmann::json::parse(*raw);
  EXPECT_TRUE(rec["pending"].empty()) << *raw;
}

// A lock written by another replica (straight into the shared store) is
// honoured: the correct password is refused, with the common answer.
TEST_F(AdminAccountsTest, ALockSetByAnotherReplicaRefusesTheCorrectPassword) {
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(accounts_->SignIn("ana", Secret("wrong password!!"), "ip").ok());
  auto raw = store_->Get("admin_user", "ana");
  auto rec = nlohmann::json::parse(*raw);
  rec["locked_until"] = clock_.NowUnixSeconds() + 900;
  ASSERT_TRUE(store_->Put("admin_user", "ana", rec.dump(), kNoExpiry).ok());
  EXPECT_EQ(accounts_->SignIn("ana", Secret("a long enough password"), "ip").status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(AdminAccountsTest, PasswordChecksBeyondTheConcurrencyBoundAreRefusedNotQueued) {
  AccountOptions o = accounts_->options();
  o.max_concurrent_hashes = 0;  // every check is "beyond the bound"
  AdminAccounts accounts(o, *store_, audit_, clock_, random_);
  const size_t audited = audit_.List()->size();
  // As many refusals as would lock the account if they counted as failures.
  for (int i = 0; i < o.lockout_failures; ++i) {
    auto r = accounts.SignIn("ana", Secret("wrong password!!"), "ip");
    EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  }
  // Refused before any work: nothing audited, nothing counted.
  EXPECT_EQ(audit_.List()->size(), audited);
  EXPECT_TRUE(accounts_->SignIn("ana", Secret("a long enough password"), "ip").ok());
}

TEST_F(AdminAccountsTest, SuccessResetsTheFailureCount) {
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(accounts_->SignIn("ana", Secret("wrong password!!"), "ip").ok());
    EXPECT_TRUE(accounts_->SignIn("ana", Secret("a long enough password"), "ip").ok()) << round;
  }
}

TEST_F(AdminAccountsTest, SessionsEndWhenIdleAndAtTheMaximum) {
  auto cookie = *accounts_->SignIn("ana", Secret("a long enough password"), "ip");
  clock_.Advance(std::chrono::seconds(599));
  EXPECT_TRUE(accounts_->Session(cookie.reveal()).ok());  // refreshes the idle timer
  clock_.Advance(std::chrono::seconds(599));
  EXPECT_TRUE(accounts_->Session(cookie.reveal()).ok());
  clock_.Advance(std::chrono::seconds(601));
  EXPECT_FALSE(accounts_->Session(cookie.reveal()).ok());  // idle

  auto c2 = *accounts_->SignIn("ana", Secret("a long enough password"), "ip");
  for (int i = 0; i < 7; ++i) {
    clock_.Advance(std::chrono::seconds(500));
    EXPECT_TRUE(accounts_->Session(c2.reveal()).ok()) << i;
  }
  clock_.Advance(std::chrono::seconds(500));
  EXPECT_FALSE(accounts_->Session(c2.reveal()).ok());  // 4000 s > session_max_seconds
}

TEST_F(AdminAccountsTest, ApiTokensAreHashedAndRevocable) {
  auto t = accounts_->CreateToken("ana", "ana", "ci");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(accounts_->Authenticate(t->reveal())->user, "ana");
  EXPECT_FALSE(accounts_->Authenticate(t->reveal() + "x").ok());
  auto list = *accounts_->ListTokens();
  ASSERT_EQ(list.size(), 1u);
  auto rows = store_->List("admin_token");
  for (const auto& e : *rows) EXPECT_EQ(e.key.find(t->reveal()), std::string::npos);
  ASSERT_TRUE(accounts_->RevokeToken("ana", "ana", Role::kViewer, list[0].id).ok());
  EXPECT_EQ(accounts_->Authenticate(t->reveal()).status().code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(accounts_->CreateToken("ana", "nobody", "x").ok());
}

TEST_F(AdminAccountsTest, SignInsPerAddressAreLimitedBeforeAnyPasswordCheck) {
  AccountOptions o = accounts_->options();
  o.sign_ins_per_minute_per_address = 6;
  o.sign_in_burst_per_address = 3;
  o.lockout_failures = 100;
  AdminAccounts limited(o, *store_, audit_, clock_, random_);
  const size_t audited_before = Actions().size();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limited.SignIn("ana", Secret("wrong password here"), "203.0.113.5").status().code(),
              StatusCode::kUnauthenticated);
  }
  auto refused = limited.SignIn("ana", Secret("a long enough password"), "203.0.113.5");
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted)
      << "over the address's budget even with the right password";
  EXPECT_EQ(Actions().size(), audited_before + 3) << "a refused attempt is neither checked nor audited";
  EXPECT_EQ(limited.RetryAfterSeconds(), 10);
  EXPECT_TRUE(limited.SignIn("ana", Secret("a long enough password"), "203.0.113.6").ok())
      << "another address has its own budget";
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_TRUE(limited.SignIn("ana", Secret("a long enough password"), "203.0.113.5").ok())
      << "one sign-in earned back after 60/6 s";
}

TEST_F(AdminAccountsTest, AnonymousFailuresCannotFloodTheAuditLog) {
  AccountOptions o = accounts_->options();
  o.anonymous_failures_audited_per_minute = 5;
  AdminAccounts limited(o, *store_, audit_, clock_, random_);
  const size_t before = Actions().size();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(limited.SignIn("nobody" + std::to_string(i), Secret("whatever it is"),
                             "198.51.100." + std::to_string(i)).status().code(),
              StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(Actions().size(), before + 5) << "50 anonymous failures wrote 5 entries";
  // A real user's failures are always audited.
  EXPECT_EQ(limited.SignIn("ana", Secret("wrong password here"), "198.51.100.200").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Actions().back(), "user.login_failed");
  EXPECT_EQ(Actions().size(), before + 6);
  // Later, the skipped ones are counted in one entry before the next.
  clock_.Advance(std::chrono::seconds(60));
  (void)limited.SignIn("nobody-late", Secret("whatever it is"), "198.51.100.201");
  auto entries = audit_.List();
  ASSERT_TRUE(entries.ok());
  ASSERT_GE(entries->size(), 2u);
  const auto& summary = (*entries)[entries->size() - 2];
  EXPECT_EQ(summary.action, "user.login_failed_unaudited");
  EXPECT_NE(summary.after.dump().find("45"), std::string::npos) << summary.after.dump();
}

}  // namespace
}  // namespace certme::admin
