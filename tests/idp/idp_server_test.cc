// End to end through the assembled server: real HTTP on 127.0.0.1, the
// sqlite store, development keys, the development login double and a
// client from a clients file — the same path `certme idp` takes.
#include "idp/idp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/jose.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/key_file.h"
#include "tests/idp/http_client.h"

namespace certme {
namespace {

using testing::Fetch;
using testing::QueryOf;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string S256(const std::string& verifier) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), d);
  return Base64UrlEncode(std::string(reinterpret_cast<char*>(d), sizeof d));
}

class IdpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     ("certme-e2e-" + std::to_string(getpid())));
    std::filesystem::create_directories(*dir_);
    std::ofstream(*dir_ / "clients.yaml") << R"(clients:
  - client_id: e2e
    client_secret: e2e-secret-0123456789abcdef0123456789
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["http://127.0.0.1:9/cb"]
    grant_types: [authorization_code, refresh_token]
    token_endpoint_auth_method: client_secret_basic
    id_token_signed_response_alg: ES256
    scopes: [openid, profile, email]
    attributes: [first_name, last_name, birth_date, email]
)";
    Config c;
    c.dev_mode = true;
    int port = FreePort();
    c.server.port = port;
    c.server.public_url = "http://127.0.0.1:" + std::to_string(port);
    c.store.backend = "sqlite";
    c.store.sqlite.path = (*dir_ / "certme.db").string();
    c.keys.dev_key_dir = (*dir_ / "keys").string();
    c.oidc.claims_file = std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml";
    c.oidc.dev_clients_file = (*dir_ / "clients.yaml").string();
    c.login.dev_login = true;
    c.logging.access_log = false;
    auto s = IdpServer::Start(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = s->release();
    base_ = new std::string(c.server.public_url);
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete base_;
  }

  // Runs authorize → dev login → resume; returns the callback's query.
  Params LoginAndGetCallback(const std::string& verifier) {
    std::string url = *base_ + "/authorize?" +
                      EncodeUrlEncoded({{"client_id", "e2e"},
                                        {"response_type", "code"},
                                        {"scope", "openid profile email"},
                                        {"redirect_uri", "http://127.0.0.1:9/cb"},
                                        {"state", "st-1"},
                                        {"nonce", "n-1"},
                                        {"code_challenge", S256(verifier)},
                                        {"code_challenge_method", "S256"}});
    testing::CookieJar browser;
    auto a = browser.Fetch("GET", url);
    EXPECT_EQ(a.status, 302) << a.body;
    auto login_url = a.Header("location");
    EXPECT_NE(login_url.find("/login/dev?txn="), std::string::npos) << login_url;
    auto txn = ParamGet(QueryOf(login_url), "txn").value_or("");

    auto page = browser.Fetch("GET", login_url);
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.Header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(page.Header("x-frame-options"), "DENY");

    auto done = browser.Fetch("POST", *base_ + "/login/dev", EncodeUrlEncoded({{"txn", txn}, {"identity", "ion"}}));
    EXPECT_EQ(done.status, 302) << done.body;
    auto resume = browser.Fetch("GET", done.Header("location"));
    EXPECT_EQ(resume.status, 302) << resume.body;
    auto cb = resume.Header("location");
    EXPECT_EQ(cb.rfind("http://127.0.0.1:9/cb?", 0), 0u) << cb;
    return QueryOf(cb);
  }

  testing::ClientResponse Token(const std::string& form) {
    std::string basic = Base64Encode("e2e:e2e-secret-0123456789abcdef0123456789");
    return Fetch("POST", *base_ + "/token", form, {"Authorization: Basic " + basic});
  }

  static IdpServer* server_;
  static std::filesystem::path* dir_;
  static std::string* base_;
};

IdpServer* IdpServerTest::server_ = nullptr;
std::filesystem::path* IdpServerTest::dir_ = nullptr;
std::string* IdpServerTest::base_ = nullptr;

TEST_F(IdpServerTest, OpsRoutesAnswer) {
  auto h = Fetch("GET", *base_ + "/healthz");
  EXPECT_EQ(h.status, 200);
  auto r = Fetch("GET", *base_ + "/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  Fetch("GET", *base_ + "/no-such-route");
  auto m = Fetch("GET", *base_ + "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.Header("content-type").find("version=0.0.4"), std::string::npos);
  EXPECT_NE(m.body.find("route=\"/healthz\""), std::string::npos) << m.body.substr(0, 2000);
}

// One sample of the text exposition ("name{labels} value"); -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// A login, its store calls and the server's other families, as /metrics
// reports them.
TEST_F(IdpServerTest, MetricsCountTheLoginAndTheStoreCalls) {
  const std::string login = R"(certme_logins_total{protocol="oidc",service="e2e",outcome="ok"})";
  const std::string gets = R"(certme_store_operation_duration_seconds_count{op="get"})";
  const std::string consumes = R"(certme_store_operation_duration_seconds_count{op="consume"})";
  const std::string before = Fetch("GET", *base_ + "/metrics").body;
  LoginAndGetCallback("metrics-verifier-0123456789abcdefghijklmnopqrstuvwxyz");
  const std::string after = Fetch("GET", *base_ + "/metrics").body;
  EXPECT_EQ(Sample(after, login), std::max(Sample(before, login), 0.0) + 1) << after;
  EXPECT_GT(Sample(after, gets), Sample(before, gets));
  EXPECT_GT(Sample(after, consumes), Sample(before, consumes));  // the login result is taken once
  EXPECT_EQ(Sample(after, "certme_outbound_queue_depth"), 0);
  // Dev mode signs SAML with a self-signed certificate: its expiry is shown.
  EXPECT_GT(Sample(after, R"(certme_certificate_not_after_timestamp_seconds{use="saml_signing"})"),
            static_cast<double>(time(nullptr)));
  EXPECT_NE(after.find("# TYPE certme_wallet_login_step_seconds histogram"), std::string::npos);
}

TEST_F(IdpServerTest, DiscoveryNamesOurEndpoints) {
  auto d = Fetch("GET", *base_ + "/.well-known/openid-configuration");
  ASSERT_EQ(d.status, 200);
  auto j = nlohmann::json::parse(d.body);
  EXPECT_EQ(j["issuer"], *base_);
  EXPECT_EQ(j["token_endpoint"], *base_ + "/token");
  auto jwks = Fetch("GET", j["jwks_uri"].get<std::string>());
  ASSERT_EQ(jwks.status, 200);
  EXPECT_GE(nlohmann::json::parse(jwks.body)["keys"].size(), 3u);
}

TEST_F(IdpServerTest, FullCodeFlowWithPkceThenCodeReuseFails) {
  const std::string verifier = "e2e-verifier-0123456789abcdefghijklmnopqrstuvwxyz";
  auto cb = LoginAndGetCallback(verifier);
  EXPECT_EQ(ParamGet(cb, "state"), "st-1");
  EXPECT_EQ(ParamGet(cb, "iss"), *base_);  // RFC 9207
  auto code = ParamGet(cb, "code");
  ASSERT_TRUE(code);

  std::string form = EncodeUrlEncoded({{"grant_type", "authorization_code"},
                                       {"code", *code},
                                       {"redirect_uri", "http://127.0.0.1:9/cb"},
                                       {"code_verifier", verifier}});
  auto t = Token(form);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.Header("cache-control"), "no-store");
  auto tj = nlohmann::json::parse(t.body);

  // The ID token verifies against the published JWKS with the client's alg.
  auto jwks = nlohmann::json::parse(Fetch("GET", *base_ + "/jwks").body);
  std::vector<std::shared_ptr<const PublicKey>> keys;
  for (const auto& k : jwks["keys"]) {
    auto pk = ParsePublicKeyJwk(k);
    ASSERT_TRUE(pk.ok());
    keys.push_back(*pk);
  }
  auto idt = VerifyJwt(tj["id_token"].get<std::string>(), keys, {JwsAlg::kES256});
  ASSERT_TRUE(idt.ok()) << idt.status().ToString();
  EXPECT_EQ(idt->payload["iss"], *base_);
  EXPECT_EQ(idt->payload["aud"], "e2e");
  EXPECT_EQ(idt->payload["nonce"], "n-1");
  EXPECT_EQ(idt->payload["acr"], "http://eidas.europa.eu/LoA/substantial");

  auto ui = Fetch("GET", *base_ + "/userinfo", "", {"Authorization: Bearer " + tj["access_token"].get<std::string>()});
  ASSERT_EQ(ui.status, 200) << ui.body;
  auto uj = nlohmann::json::parse(ui.body);
  EXPECT_EQ(uj["sub"], idt->payload["sub"]);
  EXPECT_EQ(uj["given_name"], "Ion");

  // Second use of the code: invalid_grant, and the first tokens stop working.
  auto again = Token(form);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(nlohmann::json::parse(again.body)["error"], "invalid_grant");
  auto ui2 = Fetch("GET", *base_ + "/userinfo", "", {"Authorization: Bearer " + tj["access_token"].get<std::string>()});
  EXPECT_EQ(ui2.status, 401);
}

TEST_F(IdpServerTest, UnregisteredRedirectUriGetsAPageNotARedirect) {
  auto a = Fetch("GET", *base_ + "/authorize?" +
                           EncodeUrlEncoded({{"client_id", "e2e"},
                                             {"response_type", "code"},
                                             {"scope", "openid"},
                                             {"redirect_uri", "https://evil.example/cb"}}));
  EXPECT_EQ(a.status, 400);
  EXPECT_TRUE(a.Header("location").empty());
  EXPECT_NE(a.Header("content-type").find("text/html"), std::string::npos);
  EXPECT_EQ(a.body.find("evil.example/cb\""), std::string::npos);
}

TEST_F(IdpServerTest, WrongClientSecretIsInvalidClient) {
  std::string basic = Base64Encode("e2e:wrong");
  auto t = Fetch("POST", *base_ + "/token", "grant_type=authorization_code&code=x&redirect_uri=x",
                 {"Authorization: Basic " + basic});
  EXPECT_EQ(t.status, 401);
  EXPECT_EQ(nlohmann::json::parse(t.body)["error"], "invalid_client");
  EXPECT_FALSE(t.Header("www-authenticate").empty());
}

// CORS preflight reaches the provider through the real router (OPTIONS
// routes), for public documents and for a registered client origin.
TEST_F(IdpServerTest, CorsPreflightIsRouted) {
  auto d = Fetch("OPTIONS", *base_ + "/.well-known/openid-configuration", "",
                 {"Origin: https://anyone.example", "Access-Control-Request-Method: GET"});
  EXPECT_EQ(d.status, 204);
  EXPECT_EQ(d.Header("access-control-allow-origin"), "*");
  auto t = Fetch("OPTIONS", *base_ + "/token", "",
                 {"Origin: http://127.0.0.1:9", "Access-Control-Request-Method: POST",
                  "Access-Control-Request-Headers: authorization"});
  EXPECT_EQ(t.status, 204);
  EXPECT_EQ(t.Header("access-control-allow-origin"), "http://127.0.0.1:9");
  EXPECT_NE(t.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
  auto evil = Fetch("OPTIONS", *base_ + "/userinfo", "",
                    {"Origin: https://evil.example", "Access-Control-Request-Method: GET"});
  EXPECT_EQ(evil.status, 204);
  EXPECT_TRUE(evil.Header("access-control-allow-origin").empty());
}

// The bridge does not start on an embedded ledger whose newest entries could
// have been cut: its signed anchor is gone (docs/ledger.md §4). One line
// names the file and the way forward.
TEST(IdpServerStart, RefusesALedgerWithoutItsSignedAnchor) {
  const auto dir = std::filesystem::temp_directory_path() / ("certme-anchor-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  Config c;
  c.dev_mode = true;
  c.server.port = 0;
  c.store.backend = "memory";
  c.keys.dev_key_dir = (dir / "keys").string();
  c.oidc.claims_file = std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml";
  c.login.dev_login = false;
  c.login.wallet_login = true;
  c.logging.access_log = false;
  c.ledger.embedded.path = (dir / "ledger.db").string();
  c.ledger.embedded.sync_full = false;
  c.ledger.embedded.sequencer_key_file = (dir / "sequencer.key").string();
  EthKey sequencer = EthKey::Generate();
  ASSERT_TRUE(WriteServiceKeyFile(c.ledger.embedded.sequencer_key_file, sequencer).ok());
  {
    auto l = EmbeddedLedger::Create(
        {.path = c.ledger.embedded.path, .sync_full = false, .watch_file = false, .sequencer = sequencer},
        EthKey::Generate(), 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
  }
  std::filesystem::remove(c.ledger.embedded.path + ".head");
  auto s = IdpServer::Start(c);
  ASSERT_FALSE(s.ok()) << "the bridge started on an unanchored ledger";
  const std::string& m = s.status().message();
  EXPECT_EQ(m.rfind("login.wallet_login: the ledger at " + c.ledger.embedded.path + " does not open: LedgerUnanchored: "
                    "the ledger's anchor " + c.ledger.embedded.path + ".head is missing",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("certme ledger reanchor"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  std::filesystem::remove_all(dir);
}


// server.metrics_address: /metrics moves to a listener of its own that
// serves the ops routes only; server.metrics_allow guards it there and on
// the main listener.
TEST(IdpServerStart, MetricsListenerAndAllowlist) {
  const auto dir = std::filesystem::temp_directory_path() / ("certme-metrics-" + std::to_string(getpid()));
  Config c;
  c.dev_mode = true;
  c.server.port = 0;
  c.store.backend = "memory";
  c.keys.dev_key_dir = (dir / "keys").string();
  c.oidc.claims_file = std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml";
  c.login.dev_login = true;
  c.saml.enabled = false;
  c.logging.access_log = false;
  c.server.metrics_address = "127.0.0.1";
  c.server.metrics_port = 0;
  auto url = [](uint16_t port, const std::string& path) { return "http://127.0.0.1:" + std::to_string(port) + path; };
  {
    auto s = IdpServer::Start(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    const uint16_t main = (*s)->port(), ops = (*s)->metrics_port();
    ASSERT_NE(ops, 0);
    EXPECT_EQ(Fetch("GET", url(main, "/metrics")).status, 404);
    auto m = Fetch("GET", url(ops, "/metrics"));
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("# TYPE certme_logins_total counter"), std::string::npos);
    EXPECT_EQ(Fetch("GET", url(ops, "/readyz")).status, 200);
    EXPECT_EQ(Fetch("GET", url(ops, "/.well-known/openid-configuration")).status, 404);
    EXPECT_EQ(Fetch("GET", url(main, "/.well-known/openid-configuration")).status, 200);
  }
  c.server.metrics_allow = {"192.0.2.0/24"};  // not this test's loopback
  {
    auto s = IdpServer::Start(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto m = Fetch("GET", url((*s)->metrics_port(), "/metrics"));
    EXPECT_EQ(m.status, 403);
    EXPECT_EQ(m.body.find("certme_"), std::string::npos);
    EXPECT_EQ(Fetch("GET", url((*s)->metrics_port(), "/healthz")).status, 200);
  }
  c.server.metrics_address.clear();
  {
    auto s = IdpServer::Start(c);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->metrics_port(), 0);
    EXPECT_EQ(Fetch("GET", url((*s)->port(), "/metrics")).status, 403);
  }
  std::filesystem::remove_all(dir);
}

// A bridge with the wallet login on an embedded ledger in `dir`, one
// registered client (dir-rp); `provider` is its provider account.
Config WalletLoginConfig(const std::filesystem::path& dir, const EthKey& provider) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "clients.yaml") << R"(clients:
  - client_id: dir-rp
    client_secret: dir-secret-0123456789abcdef0123456789
    names: {ro: "Serviciu de test", ru: "Тестовый сервис", en: "Test service"}
    redirect_uris: ["http://127.0.0.1:9/cb"]
    grant_types: [authorization_code]
    token_endpoint_auth_method: client_secret_basic
    scopes: [openid, profile]
    attributes: [first_name, last_name]
)";
  Config c;
  c.dev_mode = true;
  int port = FreePort();
  c.server.port = port;
  c.server.public_url = "http://127.0.0.1:" + std::to_string(port);
  c.store.backend = "memory";
  c.keys.dev_key_dir = (dir / "keys").string();
  c.oidc.claims_file = std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml";
  c.oidc.dev_clients_file = (dir / "clients.yaml").string();
  c.login.dev_login = false;
  c.login.wallet_login = true;
  c.login.wallet_key_file = (dir / "wallet-login.key").string();
  c.logging.access_log = false;
  c.ledger.embedded.path = (dir / "ledger.db").string();
  c.ledger.embedded.sync_full = false;
  c.ledger.embedded.sequencer_key_file = (dir / "sequencer.key").string();
  c.ledger.provider_key_file = (dir / "provider.key").string();
  EthKey sequencer = EthKey::Generate();
  EXPECT_TRUE(WriteServiceKeyFile(c.ledger.embedded.sequencer_key_file, sequencer).ok());
  EXPECT_TRUE(WriteServiceKeyFile(c.ledger.provider_key_file, provider).ok());
  EthKey admin = EthKey::Generate();
  auto l = EmbeddedLedger::Create(
      {.path = c.ledger.embedded.path, .sync_full = false, .watch_file = false, .sequencer = sequencer}, admin,
      31337);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  if (l.ok()) EXPECT_TRUE((*l)->AddProvider(admin, provider.address()).ok());
  return c;
}

// With the wallet login the bridge publishes the directory wallets resolve
// provider addresses with (names in every language, the provider's public
// key for its access records), and /metrics shows the access record queue.
TEST(IdpServerStart, WalletLoginPublishesTheProviderDirectoryAndTheRecordQueue) {
  const auto dir = std::filesystem::temp_directory_path() / ("certme-directory-" + std::to_string(getpid()));
  EthKey provider = EthKey::Generate();
  Config c = WalletLoginConfig(dir, provider);
  auto s = IdpServer::Start(c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto d = Fetch("GET", c.server.public_url + "/.well-known/certme-providers.json");
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_NE(d.Header("cache-control").find("max-age="), std::string::npos);
  auto j = nlohmann::json::parse(d.body);
  ASSERT_EQ(j["providers"].size(), 1u) << d.body;
  const auto& p = j["providers"][0];
  EXPECT_EQ(p["address"], provider.AddressHex());
  EXPECT_EQ(p["public_key"], "0x" + HexEncode(provider.public_key()));
  EXPECT_EQ(p["names"]["ru"], "Тестовый сервис");
  EXPECT_EQ(p["protocol"], "oidc");
  EXPECT_EQ(p["service"], "dir-rp");
  auto m = Fetch("GET", c.server.public_url + "/metrics");
  EXPECT_NE(m.body.find("certme_access_records_queued"), std::string::npos);
  EXPECT_NE(m.body.find("certme_access_records_oldest_age_seconds"), std::string::npos);
  s->reset();
  std::filesystem::remove_all(dir);
}

// Stopping the bridge does not wait for a login page's long-poll (up to 25 s)
// or spend its shutdown grace on it: the poll is answered with the login's
// state at once and the server is down within a few seconds.
TEST(IdpServerStart, ShutdownAnswersAParkedLoginPoll) {
  const auto dir = std::filesystem::temp_directory_path() / ("certme-drain-" + std::to_string(getpid()));
  Config c = WalletLoginConfig(dir, EthKey::Generate());
  auto s = IdpServer::Start(c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto a = Fetch("GET", c.server.public_url +
                            "/authorize?response_type=code&client_id=dir-rp&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
                            "&scope=openid%20profile&state=s1&nonce=n1&code_challenge_method=S256"
                            "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  ASSERT_EQ(a.status, 302) << a.body.substr(0, 3000);
  std::string login = a.Header("location");
  size_t at = login.find("txn=");
  ASSERT_NE(at, std::string::npos) << login;
  std::string txn = login.substr(at + 4, login.find('&', at) == std::string::npos ? std::string::npos
                                                                                     : login.find('&', at) - at - 4);
  auto poll = std::async(std::launch::async, [&] {
    return Fetch("GET", c.server.public_url + "/login/wallet/status?txn=" + txn + "&state=waiting");
  });
  ASSERT_EQ(poll.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout) << "the poll did not wait";
  auto start = std::chrono::steady_clock::now();
  (*s)->Shutdown();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5)) << "shutdown waited for the parked poll";
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(2)), std::future_status::ready);
  auto answered = poll.get();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_NE(answered.body.find("\"state\":\"waiting\""), std::string::npos) << answered.body;
  s->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace certme
