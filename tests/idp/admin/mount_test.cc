// MountAdmin's production environment from the production bridge's own
// configuration file (admin.production_config_file).
#include "idp/admin/mount.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "admin_test_util.h"
#include "idp/http/router.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "store/sqlite/sqlite_store.h"

namespace certme {
namespace {

using admin::testing::Catalogue;
using admin::testing::MakeCert;

class AdminMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("certme-admin-mount-" + SystemRandom().Token(6));
    std::filesystem::create_directories(dir_);
    console_store_ = NewMemoryStore();
    config_.server.public_url = "http://127.0.0.1:18080";
    config_.store.backend = kStoreBackendMemory;
    config_.admin.enabled = true;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteProductionFile(const std::string& public_url, const std::string& backend) {
    std::string path = (dir_ / "prod.yaml").string();
    std::ofstream(path) << "server:\n  public_url: \"" << public_url << "\"\nstore:\n  backend: " << backend
                        << "\n  sqlite:\n    path: \"" << (dir_ / "prod.db").string() << "\"\n";
    return path;
  }

  static StatusOr<std::unique_ptr<Store>> Open(const Config& c) {
    SqliteStoreOptions o;
    o.path = c.store.sqlite.path;
    return NewSqliteStore(o);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> console_store_;
  Config config_;
  Router router_;
};

TEST_F(AdminMountTest, PromotionWritesToTheStoreTheProductionFileNames) {
  config_.admin.production_config_file = WriteProductionFile("https://certme.example", "sqlite");
  auto m = MountAdmin(config_, *console_store_, Catalogue(), router_, Open);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->services->has_production());
  EXPECT_EQ((*m)->services->production()->public_url, "https://certme.example");

  static const auto a = MakeCert("mount-a"), b = MakeCert("mount-b");
  admin::ServiceInput in;
  in.protocol = "oidc";
  in.technical_contact = "it@rp.example";
  in.name_ro = in.name_ru = in.name_en = "RP";
  in.description = "An RP.";
  in.certificate = a.pem;
  in.attributes = {"idnp"};
  in.contract_number = "C-9";
  in.contract_date = "2026-05-05";
  in.redirect_uris = {"https://rp.example/cb"};
  admin::FieldErrors e;
  auto r = (*m)->services->Create("ana", in, &e);
  ASSERT_TRUE(r.ok()) << nlohmann::json(e).dump();
  ASSERT_TRUE((*m)->services->Promote("ana", r->record.id, {.certificate = b.pem, .approved = true}, &e).ok())
      << nlohmann::json(e).dump();
  // What the production bridge would read from its own store.
  SqliteStoreOptions o;
  o.path = (dir_ / "prod.db").string();
  auto prod = NewSqliteStore(o);
  ASSERT_TRUE(prod.ok());
  EXPECT_TRUE(NewStoreClientRegistry(**prod)->Get(r->record.id).ok());
}

TEST_F(AdminMountTest, RefusesAProductionFileThatIsNotAnotherBridge) {
  config_.admin.production_config_file = WriteProductionFile("http://127.0.0.1:18080", "sqlite");
  auto same = MountAdmin(config_, *console_store_, Catalogue(), router_, Open);
  EXPECT_NE(same.status().message().find("names this bridge"), std::string::npos) << same.status().ToString();
  Router r2;
  config_.admin.production_config_file = WriteProductionFile("https://certme.example", "memory");
  auto memory = MountAdmin(config_, *console_store_, Catalogue(), r2, Open);
  EXPECT_NE(memory.status().message().find("memory"), std::string::npos);
  Router r3;
  config_.admin.production_config_file = (dir_ / "absent.yaml").string();
  EXPECT_FALSE(MountAdmin(config_, *console_store_, Catalogue(), r3, Open).ok());
}

}  // namespace
}  // namespace certme

namespace certme {
namespace {

// /register is mounted only with oidc.registration_enabled; a client
// registered there is written to this bridge's registry and gets its
// provider account made (hub mode), as a console registration does.
TEST(AdminMountRegistrationTest, RegistrationIsMountedOnlyWhenEnabledAndMakesTheProviderAccount) {
  auto store = NewMemoryStore();
  Config config;
  config.server.public_url = "http://127.0.0.1:18080";
  config.store.backend = kStoreBackendMemory;
  config.admin.enabled = true;
  config.dev_mode = true;
  auto open = [](const Config&) -> StatusOr<std::unique_ptr<Store>> { return NotFound("unused"); };
  // The configuration refuses registration without the console (it keeps
  // the tokens and the registrations).
  Config alone = config;
  alone.admin.enabled = false;
  alone.oidc.registration_enabled = true;
  bool refused = false;
  for (const auto& p : Validate(alone))
    refused |= p.find("oidc.registration_enabled: dynamic registration needs the console") != std::string::npos;
  EXPECT_TRUE(refused);
  Router off;
  auto m = MountAdmin(config, *store, admin::testing::Catalogue(), off, open);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE((*m)->registration);
  EXPECT_EQ(off.Match("POST", "/register").status, 404);

  config.oidc.registration_enabled = true;
  std::vector<std::pair<std::string, bool>> accounts;
  auto provider_account = [&](std::string_view id, bool create) -> std::optional<admin::ProviderAccount> {
    accounts.emplace_back(std::string(id), create);
    return admin::ProviderAccount{"0x00000000000000000000000000000000000000aa", "no"};
  };
  Router on;
  auto n = MountAdmin(config, *store, admin::testing::Catalogue(), on, open, provider_account);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  auto token = (*n)->initial_tokens->Issue("ana", {.name = "partner"});
  ASSERT_TRUE(token.ok());
  auto match = on.Match("POST", "/register");
  ASSERT_EQ(match.status, 0);
  HttpRequest req;
  req.method = "POST";
  req.client_ip = "127.0.0.1";
  req.headers.Set("authorization", "Bearer " + token->second.reveal());
  req.headers.Set("content-type", "application/json");
  req.body = R"({"redirect_uris": ["http://127.0.0.1:9000/cb"], "client_name": "Partner"})";
  HttpResponse r = (*match.handler)(req);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = nlohmann::json::parse(r.body)["client_id"];
  EXPECT_TRUE(NewStoreClientRegistry(*store)->Get(id).ok());
  ASSERT_FALSE(accounts.empty());
  EXPECT_EQ(accounts.front(), (std::pair<std::string, bool>{id, true}));
  EXPECT_EQ(on.Match("GET", "/register/" + id).status, 0);
  EXPECT_EQ(on.Match("PUT", "/register/" + id).status, 0);
  EXPECT_EQ(on.Match("DELETE", "/register/" + id).status, 0);
}

}  // namespace
}  // namespace certme
