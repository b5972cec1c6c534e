// The store-backed client registry caches parsed clients; replicas share the
// store, so a change written through any replica (or straight into the
// store) must be visible on the next lookup.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "protocols/oidc/client.h"

namespace certme {
namespace {

OidcClient Client(std::string secret) {
  OidcClient c;
  c.client_id = "rp";
  c.client_secret_sha256 = HashClientSecret(secret);
  c.redirect_uris = {"https://rp.example/cb"};
  return c;
}

class ClientCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::unique_ptr<Store> store_ = NewMemoryStore({&clock_});
  std::unique_ptr<ClientRegistry> a_ = NewStoreClientRegistry(*store_);
  std::unique_ptr<ClientRegistry> b_ = NewStoreClientRegistry(*store_);
};

TEST_F(ClientCacheTest, ChangeThroughAnotherReplicaIsSeenAtOnce) {
  ASSERT_TRUE(a_->Put(Client("one")).ok());
  ASSERT_EQ(a_->Get("rp")->client_secret_sha256, HashClientSecret("one"));  // now cached in a_
  ASSERT_TRUE(b_->Put(Client("two")).ok());
  EXPECT_EQ(a_->Get("rp")->client_secret_sha256, HashClientSecret("two"));
  EXPECT_EQ(b_->Get("rp")->client_secret_sha256, HashClientSecret("two"));
}

TEST_F(ClientCacheTest, DeletedRegistrationIsNotServedFromCache) {
  ASSERT_TRUE(a_->Put(Client("one")).ok());
  ASSERT_TRUE(a_->Get("rp").ok());
  ASSERT_TRUE(store_->Delete("oidc_client", "rp").ok());
  EXPECT_EQ(a_->Get("rp").status().code(), StatusCode::kNotFound);
}

TEST_F(ClientCacheTest, DamagedRecordIsReportedNotMaskedByCache) {
  ASSERT_TRUE(a_->Put(Client("one")).ok());
  ASSERT_TRUE(a_->Get("rp").ok());
  ASSERT_TRUE(store_->Put("oidc_client", "rp", "{not json", kNoExpiry).ok());
  EXPECT_EQ(a_->Get("rp").status().code(), StatusCode::kInternal);
}

TEST_F(ClientCacheTest, RepeatedLookupsReturnEqualClients) {
  OidcClient c = Client("one");
  c.scopes = {"openid", "email"};
  ASSERT_TRUE(a_->Put(c).ok());
  auto first = a_->Get("rp");
  auto second = a_->Get("rp");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(ClientToJson(*first), ClientToJson(c));
  EXPECT_EQ(ClientToJson(*second), ClientToJson(c));
}

}  // namespace
}  // namespace certme
