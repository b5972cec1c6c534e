// No personal data after the session ends (docs/privacy.md): a login through
// the wallet, the code redeemed and UserInfo read, then logout or expiry;
// every record of every namespace is searched for each attribute value and
// each salt. Runs on the memory store, the sqlite store (also the raw bytes
// of the database file and its WAL, where deleted rows could linger) and a
// real Redis (every key under the store's prefix, whatever its type).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <hiredis/hiredis.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/jose.h"
#include "idp/login/wallet_authenticator.h"
#include "protocols/provider_keys.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "store/redis/redis_store.h"
#include "store/sqlite/sqlite_store.h"
#include "ledger-client/embedded_ledger.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/provider.h"
#include "tests/ledger-client/temp_dir.h"
#include "tests/idp/login/wallet_test_support.h"
#include "tests/store/redis_test_server.h"

namespace certme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPublic[] = "https://bridge.test";
constexpr char kRedirect[] = "https://rp.example/cb";
constexpr char kSecret[] = "rp-secret-0123456789abcdef";
constexpr char kScopes[] = "openid profile email certme";

// Values nothing else in the store could hold by chance.
const std::map<std::string, std::string> kValues = {{"first_name", "Zamfira-q7f3"},
                                                    {"last_name", "Ciobanu-x91b"},
                                                    {"idnp", "2009988776655"},
                                                    {"email", "zamfira.q7f3@example.md"},
                                                    {"birth_date", "1979-02-28"}};

// Every namespace this journey writes; the sqlite run fails when the store
// holds one that is missing here, so the memory run searches them all too.
const std::set<std::string> kNamespaces = {
    "oidc_client",  "oidc_sid",      "oidc_authz", "oidc_code",    "oidc_code_used",  "oidc_grant",
    "oidc_grant_attrs", "oidc_at",   "oidc_rt",    "oidc_session", "oidc_jti",        "oidc_logout",  "oidc_eid",
    "login_req",    "login_result",  "wallet_txn", "wallet_code",  "wallet_answered", "wallet_outcome",
    "wallet_progress"};

class NullNotifier : public LogoutNotifier {
 public:
  void PostLogoutToken(const std::string&, const std::string&, const std::string&) override {}
};

std::string Location(const HttpResponse& r) { return r.headers.Get("Location").value_or(""); }

Params QueryOf(const std::string& url) {
  size_t q = url.find('?');
  if (q == std::string::npos) return {};
  return ParseUrlEncoded(url.substr(q + 1)).value_or(Params{});
}

class NoPersonalDataTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    clock_.SetUnixMillis(SystemClock().NowUnixMillis());
    if (GetParam() == "sqlite") {
      SqliteStoreOptions so;
      so.path = db_ = LedgerTestDir().NewFile(".db");
      so.sync_full = false;
      so.clock = &clock_;
      so.purge_interval = milliseconds(50);
      auto s = NewSqliteStore(so);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(*s);
    } else if (GetParam() == "redis") {
      auto server = RedisTestServer::Start({});
      if (!server.ok() && server.status().code() == StatusCode::kUnavailable)
        GTEST_SKIP() << "no redis-server: " << server.status().ToString();
      ASSERT_TRUE(server.ok()) << server.status().ToString();
      redis_ = std::move(*server);
      RedisStoreOptions ro;
      ro.port = redis_->port();
      ro.prefix = "privacy:";
      auto s = NewRedisStore(ro);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(*s);
    } else {
      store_ = NewMemoryStore({.clock = &clock_});
    }
    auto l = EmbeddedLedger::Create(
        {.path = LedgerTestDir().NewFile(".ledger"), .sync_full = false, .watch_file = false, .sequencer = EthKey::Generate()}, admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    Status enrolled = testing::EnrollUser(*ledger_, admin_, validator_key_, provider_, user_, kValues);
    ASSERT_TRUE(enrolled.ok()) << enrolled.ToString();
    validator_ = std::make_unique<testing::TestValidator>(*ledger_, validator_key_);
    WalletLoginOptions wo;
    wo.public_url = kPublic;
    wo.answer_timeout = seconds(30);
    wallet_ = std::make_unique<WalletAuthenticator>(wo, *store_, *ledger_, *provider_keys_, ecies_, clock_, SystemRandom());

    keys_ = std::make_unique<KeySet>(&clock_);
    keys_->Add(GenerateSigningKey("RSA", "rsa-1").value(), KeySet::State::kActive);
    clients_ = NewStoreClientRegistry(*store_);
    OidcClient c;
    c.client_id = "rp";
    c.names = {{"ro", "Serviciu"}, {"en", "Service"}};
    c.client_secret_sha256 = HashClientSecret(kSecret);
    c.redirect_uris = {kRedirect};
    c.post_logout_redirect_uris = {"https://rp.example/bye"};
    c.grant_types = {"authorization_code", "refresh_token"};
    c.scopes = {"openid", "profile", "email", "certme"};
    for (const auto& [k, v] : kValues) c.attributes.push_back(k);
    ASSERT_TRUE(clients_->Put(c).ok());
    auto cat = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    catalogue_ = std::move(cat).value();
    options_.issuer = kPublic;
    options_.pairwise_salt = Secret(std::string(32, 'k'));
    op_ = std::make_unique<OidcProvider>(options_, *store_, *keys_, *clients_, *wallet_, catalogue_, notifier_, clock_,
                                         SystemRandom());
  }
  void TearDown() override {
    op_.reset();
    wallet_.reset();
    validator_.reset();
    store_.reset();
    redis_.reset();
  }

  HttpRequest Get(const std::string& path, const Params& query) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.query = query;
    r.raw_query = EncodeUrlEncoded(std::vector<std::pair<std::string, std::string>>(query.begin(), query.end()));
    for (const auto& [k, v] : jar_) r.cookies[k] = v;
    return r;
  }
  void Absorb(const HttpResponse& r) {
    for (const auto& c : r.cookies) {
      if (c.max_age_seconds == 0) jar_.erase(c.name);
      else jar_[c.name] = c.value;
    }
  }

  // /authorize, and when it starts a login, the wallet login to the end.
  // Returns the authorization code.
  std::string Authorize() {
    HttpResponse r = op_->Authorize(Get("/authorize", {{"response_type", "code"},
                                                       {"client_id", "rp"},
                                                       {"redirect_uri", kRedirect},
                                                       {"scope", kScopes},
                                                       {"state", "s"},
                                                       {"nonce", "n"}}));
    Absorb(r);
    EXPECT_EQ(r.status, 302) << r.body;
    if (Location(r).rfind(std::string(kPublic) + "/login/wallet?", 0) == 0) {
      std::string txn = ParamGet(QueryOf(Location(r)), "txn").value_or("");
      HttpResponse page = wallet_->LoginPage(Get("/login/wallet", {{"txn", txn}}));
      const std::string marker = "/wallet/v1/l/";
      size_t p = page.body.find(marker);
      EXPECT_NE(p, std::string::npos);
      if (p == std::string::npos) return "";
      std::string code = page.body.substr(p + marker.size(), page.body.find('"', p) - p - marker.size());
      HttpRequest d;
      d.method = "GET";
      d.path_params = {{"code", code}};
      json doc = json::parse(wallet_->GetRequestDocument(d).body);
      HttpRequest post;
      post.method = "POST";
      post.path_params = {{"code", code}};
      post.headers.Set("Content-Type", "application/json");
      post.body = testing::HonestWalletAnswer(doc, user_, kValues, *ledger_);
      HttpResponse answered = wallet_->PostAnswer(post);
      EXPECT_EQ(answered.status, 200) << answered.body;
      HttpResponse cont = wallet_->Continue(Get("/login/wallet/continue", {{"txn", txn}}));
      EXPECT_EQ(cont.status, 302) << cont.body;
      r = op_->Resume(Get("/authorize/resume", QueryOf(Location(cont))));
      Absorb(r);
      EXPECT_EQ(r.status, 302) << r.body;
    }
    return ParamGet(QueryOf(Location(r)), "code").value_or("");
  }

  // POST /token as the client; the JSON answer (200 expected).
  json TokenRequest(const Params& form) {
    HttpRequest req;
    req.method = "POST";
    req.path = "/token";
    req.form = form;
    req.body = EncodeUrlEncoded(std::vector<std::pair<std::string, std::string>>(form.begin(), form.end()));
    req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    req.headers.Set("Authorization", "Basic " + Base64Encode(std::string("rp:") + kSecret));
    HttpResponse r = op_->Token(req);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json Redeem(const std::string& code) {
    return TokenRequest({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}});
  }

  json UserInfo(const std::string& access_token) {
    HttpRequest req = Get("/userinfo", {});
    req.headers.Set("Authorization", "Bearer " + access_token);
    HttpResponse r = op_->UserInfo(req);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  // Every record of every namespace, as "ns key value" lines: through the
  // Store for each known namespace, and for sqlite straight from the file
  // (every row, including expired rows not yet purged).
  std::vector<std::string> Records() {
    std::vector<std::string> out;
    for (const auto& ns : kNamespaces) {
      auto list = store_->List(ns);
      EXPECT_TRUE(list.ok()) << list.status().ToString();
      if (!list.ok()) continue;
      for (const auto& e : *list) out.push_back(ns + " " + e.key + " " + e.value);
    }
    if (!db_.empty()) {
      sqlite3* db = nullptr;
      EXPECT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
      sqlite3_stmt* st = nullptr;
      EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT ns, key, CAST(value AS TEXT) FROM kv", -1, &st, nullptr), SQLITE_OK);
      while (st && sqlite3_step(st) == SQLITE_ROW) {
        std::string ns = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        EXPECT_TRUE(kNamespaces.count(ns)) << "namespace " << ns << " is not searched by the memory run";
        const unsigned char* v = sqlite3_column_text(st, 2);
        out.push_back(ns + " " + reinterpret_cast<const char*>(sqlite3_column_text(st, 1)) + " " +
                      (v ? reinterpret_cast<const char*>(v) : ""));
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      // The files themselves: a deleted row's bytes may stay in a free page
      // or in the WAL's older frames (secure_delete and the checkpoint
      // after each purge are what clear them).
      for (const std::string& path : {db_, db_ + "-wal"}) {
        std::ifstream in(path, std::ios::binary);
        if (!in) continue;
        std::stringstream bytes;
        bytes << in.rdbuf();
        out.push_back("file " + path + " " + bytes.str());
      }
    }
    if (redis_) {
      for (auto& rec : RedisRecords()) out.push_back(std::move(rec));
    }
    return out;
  }

  // Every key of the Redis server under any prefix, with its whole content
  // (strings, hashes, lists, sets, sorted sets), as "redis key content".
  std::vector<std::string> RedisRecords() {
    std::vector<std::string> out;
    redisContext* c = redisConnect("127.0.0.1", redis_->port());
    EXPECT_TRUE(c != nullptr && c->err == 0);
    if (c == nullptr || c->err != 0) {
      if (c) redisFree(c);
      return out;
    }
    auto command = [&](std::vector<std::string> argv) -> redisReply* {
      std::vector<const char*> args;
      std::vector<size_t> lens;
      for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
      }
      return static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
    };
    std::function<void(const redisReply*, std::string&)> flatten = [&](const redisReply* r, std::string& into) {
      if (r == nullptr) return;
      if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) into.append(r->str, r->len).push_back(' ');
      if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; ++i) flatten(r->element[i], into);
    };
    redisReply* keys = command({"KEYS", "*"});
    EXPECT_TRUE(keys != nullptr && keys->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; keys && keys->type == REDIS_REPLY_ARRAY && i < keys->elements; ++i) {
      std::string key(keys->element[i]->str, keys->element[i]->len);
      redisReply* type = command({"TYPE", key});
      std::string t = type && type->type == REDIS_REPLY_STATUS ? std::string(type->str, type->len) : "";
      freeReplyObject(type);
      std::vector<std::string> read;
      if (t == "string") read = {"GET", key};
      else if (t == "hash") read = {"HGETALL", key};
      else if (t == "list") read = {"LRANGE", key, "0", "-1"};
      else if (t == "set") read = {"SMEMBERS", key};
      else if (t == "zset") read = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
      else if (t == "stream") read = {"XRANGE", key, "-", "+"};
      std::string content;
      if (!read.empty()) {
        redisReply* r = command(read);
        flatten(r, content);
        freeReplyObject(r);
      } else if (t != "none") {
        ADD_FAILURE() << "redis key " << key << " of type " << t << " is not searched";
      }
      out.push_back("redis " + key + " " + content);
    }
    freeReplyObject(keys);
    redisFree(c);
    return out;
  }

  // PersonalRecords(), polled until empty or 30 s: sqlite's purge and WAL
  // checkpoint run in the background (every 50 ms here).
  std::vector<std::string> PersonalRecordsSettled() {
    std::vector<std::string> left = PersonalRecords();
    for (auto until = std::chrono::steady_clock::now() + seconds(30);
         !left.empty() && std::chrono::steady_clock::now() < until; left = PersonalRecords())
      std::this_thread::sleep_for(milliseconds(50));
    return left;
  }

  // The records holding an attribute value or a salt.
  std::vector<std::string> PersonalRecords() {
    std::vector<std::string> needles;
    for (const auto& [name, value] : kValues) {
      needles.push_back(value);
      needles.push_back(HexEncode(abi::AsView(testing::Salt(name))));
    }
    std::vector<std::string> hits;
    for (const auto& rec : Records()) {
      std::string lower = AsciiLower(rec);
      for (const auto& n : needles)
        if (rec.find(n) != std::string::npos || lower.find(AsciiLower(n)) != std::string::npos) {
          hits.push_back(rec.substr(0, 200));
          break;
        }
    }
    return hits;
  }

  FakeClock clock_;
  std::string db_;
  std::unique_ptr<RedisTestServer> redis_;
  std::unique_ptr<Store> store_;
  EthKey admin_ = EthKey::Generate();
  EthKey validator_key_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  std::unique_ptr<ProviderKeys> provider_keys_ = NewSingleProviderKey(provider_);
  EthKey ecies_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::unique_ptr<testing::TestValidator> validator_;
  std::unique_ptr<WalletAuthenticator> wallet_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<ClientRegistry> clients_;
  ClaimsCatalogue catalogue_;
  NullNotifier notifier_;
  OidcOptions options_;
  std::unique_ptr<OidcProvider> op_;
  std::map<std::string, std::string> jar_;
};

TEST_P(NoPersonalDataTest, NothingRemainsAfterLogout) {
  std::string code = Authorize();
  ASSERT_FALSE(code.empty());
  json tokens = Redeem(code);
  ASSERT_TRUE(tokens.contains("access_token"));
  // The values did flow to the client…
  json info = UserInfo(tokens["access_token"].get<std::string>());
  EXPECT_EQ(info.value("given_name", ""), kValues.at("first_name")) << info.dump();
  EXPECT_EQ(info.value("idnp", ""), kValues.at("idnp")) << info.dump();
  // …and while the session lives the store holds them (the search works).
  EXPECT_FALSE(PersonalRecords().empty());
  // A second authorization answered from the session (SSO); its code is
  // never redeemed, so only the logout can end it.
  std::string unredeemed = Authorize();
  ASSERT_FALSE(unredeemed.empty());

  HttpResponse out = op_->EndSession(Get("/logout", {{"id_token_hint", tokens["id_token"].get<std::string>()},
                                                     {"post_logout_redirect_uri", "https://rp.example/bye"}}));
  Absorb(out);
  EXPECT_TRUE(out.status == 302 || out.status == 200) << out.status << " " << out.body;
  std::vector<std::string> left = PersonalRecordsSettled();
  EXPECT_TRUE(left.empty()) << "personal data left after logout, first: " << (left.empty() ? "" : left[0]);

  // The code issued in the ended session redeems nothing.
  HttpRequest req;
  req.method = "POST";
  req.path = "/token";
  req.form = {{"grant_type", "authorization_code"}, {"code", unredeemed}, {"redirect_uri", kRedirect}};
  req.body = EncodeUrlEncoded(std::vector<std::pair<std::string, std::string>>(req.form.begin(), req.form.end()));
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.headers.Set("Authorization", "Basic " + Base64Encode(std::string("rp:") + kSecret));
  HttpResponse late = op_->Token(req);
  EXPECT_EQ(late.status, 400) << late.body;
  EXPECT_NE(late.body.find("invalid_grant"), std::string::npos) << late.body;
}

TEST_P(NoPersonalDataTest, NothingRemainsAfterTheSessionExpires) {
  // Redis expires keys by its own clock (PX), which the fake clock cannot
  // advance; its TTLs are covered by the store conformance suite.
  if (GetParam() == "redis") GTEST_SKIP() << "Redis keeps its own time";
  json tokens = Redeem(Authorize());
  ASSERT_TRUE(tokens.contains("refresh_token"));
  // A second authorization answered from the session, its code never redeemed.
  std::string unredeemed = Authorize();
  ASSERT_FALSE(unredeemed.empty());
  EXPECT_FALSE(PersonalRecords().empty());

  clock_.Advance(seconds(options_.session_ttl_seconds + 1));
  // Expired rows may wait for the purge (sqlite); poll for it.
  std::vector<std::string> left = PersonalRecordsSettled();
  EXPECT_TRUE(left.empty()) << "personal data left after expiry, first: " << (left.empty() ? "" : left[0]);

  // The token family outlives the session but releases nothing but sub.
  json refreshed =
      TokenRequest({{"grant_type", "refresh_token"}, {"refresh_token", tokens["refresh_token"].get<std::string>()}});
  ASSERT_TRUE(refreshed.contains("access_token")) << refreshed.dump();
  json info = UserInfo(refreshed["access_token"].get<std::string>());
  EXPECT_TRUE(info.contains("sub"));
  EXPECT_FALSE(info.contains("given_name")) << info.dump();
  EXPECT_FALSE(info.contains("idnp")) << info.dump();
}

INSTANTIATE_TEST_SUITE_P(Stores, NoPersonalDataTest, ::testing::Values("memory", "sqlite", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace certme
