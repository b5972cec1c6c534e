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
