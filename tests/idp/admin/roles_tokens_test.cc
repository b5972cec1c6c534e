// API tokens (owner, scopes, expiry, no minting, revocation rights, the
// owner's state) and console roles (viewer, operator, approver,
// administrator; promotion by two people), through AdminAccounts and the
// JSON API's routes.
#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "crypto/hash.h"
#include "idp/admin/console.h"
#include "idp/http/router.h"
#include "store/memory/memory_store.h"
#include "store/store.h"

namespace certme::admin {
namespace {

using testing::Catalogue;
using testing::MakeCert;

constexpr char kPassword[] = "a long enough password";

class RolesTokensTest : public ::testing::Test {
 protected:
  RolesTokensTest() { Build(false); }

  // (Re)builds the console; `two_person` sets promotion_requires_second_person.
  void Build(bool two_person) {
    router_ = std::make_unique<Router>();
    console_.reset();
    services_.reset();
    accounts_.reset();
    audit_.reset();
    store_ = NewMemoryStore({&clock_});
    prod_ = NewMemoryStore({&clock_});
    audit_ = std::make_unique<AuditLog>(*store_, clock_);
    AccountOptions o{.lockout_failures = 3,
                     .lockout_seconds = 900,
                     .sign_ins_per_minute_per_address = 0,
                     .anonymous_failures_audited_per_minute = 0,
                     .api_token_default_ttl_seconds = 7 * 86400,
                     .api_token_max_ttl_seconds = 30 * 86400,
                     .hash = {.memory_kib = 1024, .iterations = 1, .parallelism = 1}};
    accounts_ = std::make_unique<AdminAccounts>(o, *store_, *audit_, clock_, random_);
    services_ = std::make_unique<ServiceAdmin>(*store_, Environment{"test", "https://t", store_.get()},
                                               Environment{"production", "https://p", prod_.get()}, Catalogue(),
                                               *audit_, clock_, random_);
    console_ = std::make_unique<AdminConsole>(ConsoleOptions{.promotion_requires_second_person = two_person},
                                              *accounts_, *services_, *audit_);
    console_->Mount(*router_);
  }

  // A user with `role` and a token holding every scope the role allows.
  std::string UserWithToken(const std::string& user, Role role, std::vector<std::string> scopes = {}) {
    EXPECT_TRUE(accounts_->CreateUser("cli:root", user, Secret(kPassword), role).ok());
    auto t = accounts_->CreateToken("cli:root", user, "ci", {.scopes = std::move(scopes)});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->reveal() : "";
  }

  HttpResponse Call(const std::string& token, std::string method, std::string path, std::string body = "") {
    auto m = router_->Match(method, path);
    EXPECT_EQ(m.status, 0) << method << " " << path;
    if (m.status != 0) return HttpResponse::Text(m.status, "");
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.path_params = m.path_params;
    req.body = body;
    req.headers.Set("content-type", "application/json");
    req.headers.Set("authorization", "Bearer " + token);
    return (*m.handler)(req);
  }

  static nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

  nlohmann::json Oidc() {
    return {{"protocol", "oidc"},
            {"technical_contact", "it@rp.example"},
            {"names", {{"ro", "Serviciu"}, {"ru", "Служба"}, {"en", "Service"}}},
            {"description", "Test service."},
            {"certificate", CertA().pem},
            {"attributes", {"idnp"}},
            {"contract_number", "C-1"},
            {"contract_date", "2026-01-15"},
            {"redirect_uris", {"https://rp.example/cb"}}};
  }
  std::string Register(const std::string& token) {
    auto r = Call(token, "POST", "/admin/api/v1/services", Oidc().dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Json(r)["service"].value("id", "");
  }
  std::string PromoteBody() { return nlohmann::json{{"certificate", CertB().pem}, {"approved", true}}.dump(); }

  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    auto entries = audit_->List();  // kept: a range-for over *List() would outlive it
    for (const auto& e : *entries) out.push_back(e.action);
    return out;
  }
  static bool Has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }

  static const testing::TestCert& CertA() {
    static const testing::TestCert c = MakeCert("a");
    return c;
  }
  static const testing::TestCert& CertB() {
    static const testing::TestCert c = MakeCert("b");
    return c;
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_, prod_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<AdminAccounts> accounts_;
  std::unique_ptr<ServiceAdmin> services_;
  std::unique_ptr<AdminConsole> console_;
  std::unique_ptr<Router> router_;
};

// Finding: an API token could mint new tokens.
TEST_F(RolesTokensTest, ATokenCannotMintTokens) {
  std::string token = UserWithToken("ana", Role::kAdministrator);
  auto r = Call(token, "POST", "/admin/api/v1/tokens", R"({"name": "minted"})");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(Json(r).value("message", "").find("cannot create tokens"), std::string::npos) << r.body;
  EXPECT_EQ(accounts_->ListTokens()->size(), 1u);
  EXPECT_FALSE(Has(Actions(), "token.create") && Actions().size() > 2u);
}

// Finding: tokens never expired.
TEST_F(RolesTokensTest, TokensExpireWithADefaultAndAMaximum) {
  std::string token = UserWithToken("ana", Role::kAdministrator);
  auto list = *accounts_->ListTokens();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].expires.empty());
  clock_.Advance(std::chrono::seconds(7 * 86400 - 1));
  EXPECT_TRUE(accounts_->Authenticate(token).ok());
  clock_.Advance(std::chrono::seconds(1));
  auto expired = accounts_->Authenticate(token);
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 401);

  // Above the maximum: refused, naming the limit; at the maximum: fine.
  auto too_long = accounts_->CreateToken("ana", "ana", "long", {.ttl_seconds = 30 * 86400 + 1});
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.status().message().find("admin.api_token_max_ttl_seconds"), std::string::npos);
  EXPECT_TRUE(accounts_->CreateToken("ana", "ana", "max", {.ttl_seconds = 30 * 86400}).ok());
  EXPECT_EQ(accounts_->CreateToken("ana", "ana", "neg", {.ttl_seconds = -5}).status().code(),
            StatusCode::kInvalidArgument);

  // A record from before expiry existed (no "expires") is refused.
  ASSERT_TRUE(store_->Put("admin_token", Sha256Hex("cma_legacy-token-value"),
                          R"({"user":"ana","name":"old","created":"2025-01-01T00:00:00Z"})", kNoExpiry)
                  .ok());
  auto legacy = accounts_->Authenticate("cma_legacy-token-value");
  EXPECT_EQ(legacy.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(legacy.status().message().find("create a new one"), std::string::npos);
}

TEST_F(RolesTokensTest, TtlTextIsParsedStrictly) {
  EXPECT_EQ(*ParseTtl("90"), 90);
  EXPECT_EQ(*ParseTtl("45m"), 2700);
  EXPECT_EQ(*ParseTtl("12h"), 43200);
  EXPECT_EQ(*ParseTtl("30d"), 2592000);
  for (const char* bad : {"", "d", "-1d", "1.5d", "1w", "99999999999999d", "1 d"})
    EXPECT_FALSE(ParseTtl(bad).ok()) << bad;
}

// Finding: a token survived its owner's lock-out (and there was no disabling).
TEST_F(RolesTokensTest, ALockedOrDisabledOwnersTokensStopAtOnce) {
  std::string token = UserWithToken("ana", Role::kOperator);
  ASSERT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(accounts_->SignIn("ana", Secret("wrong password!!"), "10.0.0.1").ok());
  ASSERT_TRUE(accounts_->GetUser("ana")->locked);
  EXPECT_EQ(accounts_->Authenticate(token).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 401);
  clock_.Advance(std::chrono::seconds(901));  // the lock-out ends
  EXPECT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 200);

  auto session = accounts_->SignIn("ana", Secret(kPassword), "10.0.0.1");
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(accounts_->SetDisabled("cli:root", "ana", true).ok());
  EXPECT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 401);
  EXPECT_FALSE(accounts_->Session(session->reveal()).ok());  // its session ends too
  EXPECT_FALSE(accounts_->SignIn("ana", Secret(kPassword), "10.0.0.1").ok());
  EXPECT_EQ(accounts_->CreateToken("cli:root", "ana", "x").status().code(), StatusCode::kPermissionDenied);
  ASSERT_TRUE(accounts_->SetDisabled("cli:root", "ana", false).ok());
  EXPECT_EQ(Call(token, "GET", "/admin/api/v1/services").status, 200);
  auto actions = Actions();
  EXPECT_TRUE(Has(actions, "user.disable"));
  EXPECT_TRUE(Has(actions, "user.enable"));
}

// Finding: any token could revoke any user's token.
TEST_F(RolesTokensTest, RevokingIsLimitedToOwnTokensUnlessAdministrator) {
  std::string ana = UserWithToken("ana", Role::kAdministrator);
  std::string ion = UserWithToken("ion", Role::kApprover);
  std::string ana_id, ion_id;
  auto tokens = accounts_->ListTokens();
  for (const auto& t : *tokens) (t.user == "ana" ? ana_id : ion_id) = t.id;

  // ion sees only his own token and cannot revoke ana's.
  auto mine = Json(Call(ion, "GET", "/admin/api/v1/tokens"))["tokens"];
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]["user"], "ion");
  auto refused = Call(ion, "DELETE", "/admin/api/v1/tokens/" + ana_id);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_TRUE(accounts_->Authenticate(ana).ok());
  EXPECT_EQ(Json(Call(ana, "GET", "/admin/api/v1/tokens"))["tokens"].size(), 2u);

  // The administrator may revoke ion's; ion may revoke his own.
  std::string ion2 = accounts_->CreateToken("ion", "ion", "second")->reveal();
  EXPECT_EQ(Call(ana, "DELETE", "/admin/api/v1/tokens/" + ion_id).status, 204);
  EXPECT_FALSE(accounts_->Authenticate(ion).ok());
  std::string ion2_id = Sha256Hex(ion2).substr(0, 12);
  EXPECT_EQ(Call(ion2, "DELETE", "/admin/api/v1/tokens/" + ion2_id).status, 204);
  EXPECT_FALSE(accounts_->Authenticate(ion2).ok());
}

// Finding: no scopes or roles; a viewer's token could change services.
TEST_F(RolesTokensTest, EachEndpointNeedsItsScope) {
  std::string admin = UserWithToken("ana", Role::kAdministrator);
  std::string id = Register(admin);
  std::string viewer = UserWithToken("vera", Role::kViewer);
  EXPECT_EQ(Call(viewer, "GET", "/admin/api/v1/services").status, 200);
  EXPECT_EQ(Call(viewer, "GET", "/admin/api/v1/services/" + id).status, 200);
  EXPECT_EQ(Call(viewer, "GET", "/admin/api/v1/audit").status, 200);
  auto write = Call(viewer, "POST", "/admin/api/v1/services", Oidc().dump());
  EXPECT_EQ(write.status, 403);
  EXPECT_EQ(Json(write)["error"], "insufficient_scope");
  EXPECT_EQ(Json(write)["scope"], "write");
  EXPECT_NE(write.headers.Get("www-authenticate").value_or("").find("error=\"insufficient_scope\""),
            std::string::npos);
  EXPECT_EQ(Call(viewer, "POST", "/admin/api/v1/services/" + id + "/environments/test/disable").status, 403);
  EXPECT_EQ(Call(viewer, "DELETE", "/admin/api/v1/services/" + id).status, 403);
  EXPECT_EQ(services_->List()->size(), 1u);

  // A token with fewer scopes than its owner's role is held to its scopes.
  std::string read_only = accounts_->CreateToken("ana", "ana", "ro", {.scopes = {"read"}})->reveal();
  EXPECT_EQ(Call(read_only, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody()).status, 403);

  // An operator works on test, not on production.
  std::string op = UserWithToken("otto", Role::kOperator);
  EXPECT_EQ(Call(op, "POST", "/admin/api/v1/services/" + id + "/environments/test/disable").status, 200);
  EXPECT_EQ(Call(op, "POST", "/admin/api/v1/services/" + id + "/environments/test/enable").status, 200);
  auto promote = Call(op, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody());
  EXPECT_EQ(promote.status, 403);
  EXPECT_EQ(Json(promote)["scope"], "promote");
  EXPECT_EQ(Call(admin, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody()).status, 200);
  EXPECT_EQ(Call(op, "POST", "/admin/api/v1/services/" + id + "/environments/production/disable").status, 403);
  EXPECT_EQ(Call(op, "DELETE", "/admin/api/v1/services/" + id).status, 403);  // it is in production
  EXPECT_TRUE(services_->Get(id)->production.has_value());
}

TEST_F(RolesTokensTest, TokenScopesNeverExceedTheOwnersRole) {
  EXPECT_TRUE(accounts_->CreateUser("cli:root", "vera", Secret(kPassword), Role::kViewer).ok());
  auto beyond = accounts_->CreateToken("cli:root", "vera", "x", {.scopes = {"read", "write"}});
  EXPECT_EQ(beyond.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("beyond the role viewer"), std::string::npos);
  EXPECT_EQ(accounts_->CreateToken("cli:root", "vera", "x", {.scopes = {"admin"}}).status().code(),
            StatusCode::kInvalidArgument);

  // A demoted owner's token loses what the new role lacks, at once.
  std::string token = UserWithToken("ion", Role::kApprover);
  EXPECT_TRUE(accounts_->Authenticate(token)->Has("promote"));
  ASSERT_TRUE(accounts_->SetRole("cli:root", "ion", Role::kViewer).ok());
  auto caller = accounts_->Authenticate(token);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->scopes, std::vector<std::string>{"read"});
  EXPECT_TRUE(Has(Actions(), "user.role"));
}

TEST_F(RolesTokensTest, AccountsFromBeforeRolesAreAdministrators) {
  // The record as it was written before roles existed.
  ASSERT_TRUE(store_->Put("admin_user", "old", R"({"password_hash":"x","failures":0,"locked_until":0})", kNoExpiry)
                  .ok());
  EXPECT_EQ(accounts_->GetUser("old")->role, Role::kAdministrator);
  ASSERT_TRUE(store_->Put("admin_user", "odd", R"({"password_hash":"x","role":"superuser"})", kNoExpiry).ok());
  EXPECT_EQ(accounts_->GetUser("odd")->role, Role::kViewer);
  EXPECT_EQ(ParseRole("approver").value(), Role::kApprover);
  EXPECT_FALSE(ParseRole("root").ok());
}

// Finding: promotion needed no second person.
TEST_F(RolesTokensTest, WithTwoPeopleTheRequesterCannotApprove) {
  Build(true);
  std::string otto = UserWithToken("otto", Role::kOperator);
  std::string ana = UserWithToken("ana", Role::kApprover);
  std::string ion = UserWithToken("ion", Role::kApprover);
  std::string id = Register(otto);

  // The operator asks; nothing reaches production yet.
  auto asked = Call(otto, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody());
  ASSERT_EQ(asked.status, 202) << asked.body;
  EXPECT_EQ(Json(asked)["promotion_request"]["requester"], "otto");
  EXPECT_FALSE(services_->Get(id)->production.has_value());
  EXPECT_EQ(Call(otto, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody()).status, 409);
  EXPECT_EQ(Call(otto, "POST", "/admin/api/v1/services/" + id + "/promotion-request/approve").status, 403);

  // An approver's own request cannot be approved by the same approver,
  // whichever token they use.
  ASSERT_EQ(Call(ana, "DELETE", "/admin/api/v1/services/" + id + "/promotion-request").status, 204);  // reject
  ASSERT_EQ(Call(ana, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody()).status, 202);
  std::string ana2 = accounts_->CreateToken("ana", "ana", "second")->reveal();
  auto self = Call(ana2, "POST", "/admin/api/v1/services/" + id + "/promotion-request/approve");
  EXPECT_EQ(self.status, 403) << self.body;
  EXPECT_NE(Json(self).value("message", "").find("another approver"), std::string::npos);
  EXPECT_FALSE(services_->Get(id)->production.has_value());

  auto approved = Call(ion, "POST", "/admin/api/v1/services/" + id + "/promotion-request/approve",
                       R"({"approval_note": "checked the test logins"})");
  ASSERT_EQ(approved.status, 200) << approved.body;
  auto rec = services_->Get(id);
  ASSERT_TRUE(rec->production.has_value());
  EXPECT_EQ(rec->production->approved_by.rfind("ion (API token ", 0), 0u) << rec->production->approved_by;
  EXPECT_TRUE(NewStoreClientRegistry(*prod_)->Get(id).ok());
  EXPECT_EQ(Call(ion, "GET", "/admin/api/v1/services/" + id + "/promotion-request").status, 404);
  auto actions = Actions();
  for (const char* a : {"promotion.request", "promotion.reject", "promotion.approve", "service.promote"})
    EXPECT_TRUE(Has(actions, a)) << a;
}

TEST_F(RolesTokensTest, WithoutTwoPeopleAnApproverPromotesAtOnce) {
  std::string ana = UserWithToken("ana", Role::kApprover);
  std::string id = Register(ana);
  EXPECT_EQ(Call(ana, "POST", "/admin/api/v1/services/" + id + "/promote", PromoteBody()).status, 200);
  EXPECT_TRUE(services_->Get(id)->production.has_value());
}

TEST_F(RolesTokensTest, TokenCreationAndRevocationAreAudited) {
  std::string ana = UserWithToken("ana", Role::kAdministrator);
  std::string id = Sha256Hex(ana).substr(0, 12);
  ASSERT_EQ(Call(ana, "DELETE", "/admin/api/v1/tokens/" + id).status, 204);
  auto entries = *audit_->List();
  bool created = false, revoked = false;
  for (const auto& e : entries) {
    if (e.action == "token.create" && e.target == id) {
      created = true;
      EXPECT_EQ(e.after["user"], "ana");
      EXPECT_TRUE(e.after["expires"].is_string());
      EXPECT_EQ(e.after["scopes"].size(), 3u);
    }
    if (e.action == "token.revoke" && e.target == id) revoked = true;
  }
  EXPECT_TRUE(created);
  EXPECT_TRUE(revoked);
}

}  // namespace
}  // namespace certme::admin
