#include "bench/oidc_load/oidc_flow.h"

#include <gtest/gtest.h>

#include "bench/oidc_load/fake_oidc_server.h"
#include "common/encoding.h"

namespace certme::bench {
namespace {

using testing::FakeOidcOptions;
using testing::FakeOidcServer;

ClientSettings SettingsFor(const FakeOidcOptions& o) {
  ClientSettings c;
  c.client_id = o.client_id;
  c.client_secret = o.client_secret;
  c.redirect_uri = o.redirect_uri;
  c.id_token_alg = o.alg;
  return c;
}

struct Harness {
  explicit Harness(FakeOidcOptions o, bool sso = false, bool login_page = false)
      : options(o), server(o), conn(*ParseLoopbackUrl(server.Origin())) {
    client = SettingsFor(o);
    client.sso = sso;
    client.fetch_login_page = login_page;
    auto p = Discover(conn);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (p.ok()) provider = *p;
    runner = std::make_unique<FlowRunner>(provider, client, conn, random, SystemClock());
  }
  FakeOidcOptions options;
  FakeOidcServer server;
  HttpConnection conn;
  ClientSettings client;
  ProviderInfo provider;
  FakeRandom random;
  std::unique_ptr<FlowRunner> runner;
};

TEST(PkceTest, Rfc7636AppendixB) {
  EXPECT_EQ(PkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(AtHashTest, LeftHalfOfSha256) {
  // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a3...; left half base64url.
  EXPECT_EQ(AtHash("abc"), Base64UrlEncode(*HexDecode("ba7816bf8f01cfea414140de5dae2223")));
}

TEST(DiscoverTest, ReadsEndpointsAndKeys) {
  FakeOidcOptions o;
  Harness h(o);
  EXPECT_EQ(h.provider.issuer, h.server.Origin());
  EXPECT_EQ(h.provider.token_endpoint.target, "/token");
  EXPECT_EQ(h.provider.authorization_endpoint.target, "/authorize");
  EXPECT_EQ(h.provider.jwks_uri.target, "/jwks");
  EXPECT_EQ(h.provider.keys.size(), 1u);
}

TEST(FlowTest, FullCodeFlowEs256OnOneConnection) {
  FakeOidcOptions o;
  Harness h(o);
  for (int i = 0; i < 5; ++i) {
    OpResult r = h.runner->RunCodeFlow();
    ASSERT_TRUE(r.ok) << r.error_kind << " " << r.detail;
    EXPECT_GT(r.step_us[size_t(Step::kAuthorize)], 0u);
    EXPECT_GT(r.step_us[size_t(Step::kLogin)], 0u);
    EXPECT_GT(r.step_us[size_t(Step::kResume)], 0u);
    EXPECT_GT(r.step_us[size_t(Step::kToken)], 0u);
    EXPECT_GT(r.step_us[size_t(Step::kUserinfo)], 0u);
    EXPECT_EQ(r.step_us[size_t(Step::kLoginPage)], 0u);
  }
  EXPECT_EQ(h.server.logins(), 5);           // no SSO: every flow logs in
  EXPECT_EQ(h.server.tokens_issued(), 5);
  EXPECT_EQ(h.server.bad_requests(), 0);
  EXPECT_EQ(h.server.connections(), 1);      // discovery and 5 flows, keep-alive
}

TEST(FlowTest, Rs256WithChunkedBodiesAndConnectionClose) {
  FakeOidcOptions o;
  o.alg = JwsAlg::kRS256;
  o.client_id = "bench-rs256";
  o.client_secret = "bench-rs256-secret";
  o.chunked = true;
  o.connection_close = true;
  Harness h(o, /*sso=*/false, /*login_page=*/true);
  for (int i = 0; i < 3; ++i) {
    OpResult r = h.runner->RunCodeFlow();
    ASSERT_TRUE(r.ok) << r.error_kind << " " << r.detail;
    EXPECT_GT(r.step_us[size_t(Step::kLoginPage)], 0u);
  }
  EXPECT_GT(h.server.connections(), 10);
  EXPECT_EQ(h.server.bad_requests(), 0);
}

TEST(FlowTest, SsoReusesTheSessionOnlyWhenAsked) {
  FakeOidcOptions o;
  Harness sso(o, /*sso=*/true);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sso.runner->RunCodeFlow().ok);
  EXPECT_EQ(sso.server.logins(), 1);
  EXPECT_EQ(sso.server.tokens_issued(), 4);
  EXPECT_TRUE(sso.runner->cookies().Get("sid").has_value());
}

TEST(FlowTest, ClientCredentials) {
  FakeOidcOptions o;
  Harness h(o);
  h.client.scope.clear();
  for (int i = 0; i < 3; ++i) {
    OpResult r = h.runner->RunClientCredentials();
    ASSERT_TRUE(r.ok) << r.error_kind;
    EXPECT_GT(r.step_us[size_t(Step::kToken)], 0u);
  }
  EXPECT_EQ(h.server.tokens_issued(), 3);
}

TEST(FlowTest, WrongSecretIsCountedAsInvalidClient) {
  FakeOidcOptions o;
  Harness h(o);
  h.client.client_secret = "wrong";
  FlowRunner runner(h.provider, h.client, h.conn, h.random, SystemClock());
  OpResult cc = runner.RunClientCredentials();
  EXPECT_FALSE(cc.ok);
  EXPECT_EQ(cc.error_kind, "token:http_401:invalid_client");
  OpResult flow = runner.RunCodeFlow();
  EXPECT_FALSE(flow.ok);
  EXPECT_EQ(flow.error_kind, "token:http_401:invalid_client");
}

// Every check a relying party owes: each injected fault must be caught
// with its own error kind.
TEST(FlowTest, DetectsBadTokensAndCallbacks) {
  struct Case {
    void (*set)(FakeOidcOptions&);
    const char* kind;
  } cases[] = {
      {[](FakeOidcOptions& o) { o.wrong_nonce = true; }, "id_token:nonce"},
      {[](FakeOidcOptions& o) { o.foreign_key = true; }, "id_token:signature"},
      {[](FakeOidcOptions& o) { o.expired = true; }, "id_token:exp"},
      {[](FakeOidcOptions& o) { o.wrong_at_hash = true; }, "id_token:at_hash"},
      {[](FakeOidcOptions& o) { o.userinfo_other_sub = true; }, "userinfo:sub_mismatch"},
      {[](FakeOidcOptions& o) { o.drop_state = true; }, "callback:state"},
      {[](FakeOidcOptions& o) { o.refuse_login = true; }, "callback:error=access_denied"},
  };
  for (const auto& c : cases) {
    FakeOidcOptions o;
    c.set(o);
    Harness h(o);
    OpResult r = h.runner->RunCodeFlow();
    EXPECT_FALSE(r.ok) << c.kind;
    EXPECT_EQ(r.error_kind, c.kind);
  }
}

TEST(FlowTest, RegisteredAlgIsEnforced) {
  // The server signs ES256 but the client is registered for RS256.
  FakeOidcOptions o;
  Harness h(o);
  h.client.id_token_alg = JwsAlg::kRS256;
  OpResult r = h.runner->RunCodeFlow();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind.rfind("id_token:", 0), 0u) << r.error_kind;
}

TEST(FlowTest, ServerDownIsAConnectionError) {
  FakeOidcOptions o;
  ProviderInfo provider;
  ClientSettings client = SettingsFor(o);
  {
    Harness h(o);
    provider = h.provider;
  }  // server gone; its port is closed
  HttpConnection conn(provider.token_endpoint);
  FakeRandom random;
  FlowRunner runner(provider, client, conn, random, SystemClock());
  OpResult r = runner.RunClientCredentials();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind, "token:connection");
}

TEST(CheckIdTokenTest, AudienceRules) {
  auto key = GenerateSigningKey("EC", "k");
  ASSERT_TRUE(key.ok());
  ProviderInfo p;
  p.issuer = "http://127.0.0.1:1";
  p.keys = {*key};
  ClientSettings c;
  c.client_id = "rp";
  c.id_token_alg = JwsAlg::kES256;
  const int64_t now = 1'700'000'000;
  auto check = [&](nlohmann::json claims) -> std::string {
    auto t = SignJwt(**key, JwsAlg::kES256, claims);
    EXPECT_TRUE(t.ok());
    auto r = CheckIdToken(*t, p, c, "n", "at", now);
    return r.ok() ? "ok" : r.status().message();
  };
  nlohmann::json base = {{"iss", p.issuer}, {"sub", "s"}, {"aud", "rp"},
                         {"iat", now},      {"exp", now + 60}, {"nonce", "n"}};
  EXPECT_EQ(check(base), "ok");
  auto with = [&](const char* k, nlohmann::json v) {
    nlohmann::json j = base;
    j[k] = v;
    return j;
  };
  EXPECT_EQ(check(with("aud", {"rp"})), "ok");
  EXPECT_EQ(check(with("aud", {"rp", "other"})), "azp");
  nlohmann::json multi = with("aud", {"rp", "other"});
  multi["azp"] = "rp";
  EXPECT_EQ(check(multi), "ok");
  EXPECT_EQ(check(with("aud", "other")), "aud");
  EXPECT_EQ(check(with("aud", 5)), "aud");
  EXPECT_EQ(check(with("iss", "http://elsewhere")), "iss");
  EXPECT_EQ(check(with("iat", now + 3600)), "iat");
  EXPECT_EQ(check(with("exp", now)), "exp");
  EXPECT_EQ(check(with("sub", "")), "sub");
  EXPECT_EQ(check(with("azp", "other")), "azp");
  nlohmann::json no_nonce = base;
  no_nonce.erase("nonce");
  EXPECT_EQ(check(no_nonce), "nonce");
}

TEST(CheckIdTokenTest, RefreshedTokenMayOmitTheNonceButNotChangeIt) {
  auto key = GenerateSigningKey("EC", "k");
  ASSERT_TRUE(key.ok());
  ProviderInfo p;
  p.issuer = "http://127.0.0.1:1";
  p.keys = {*key};
  ClientSettings c;
  c.client_id = "rp";
  const int64_t now = 1'700'000'000;
  auto check = [&](nlohmann::json claims, bool refreshed) -> std::string {
    auto t = SignJwt(**key, JwsAlg::kES256, claims);
    EXPECT_TRUE(t.ok());
    auto r = CheckIdToken(*t, p, c, "n", "at", now, refreshed);
    return r.ok() ? "ok" : r.status().message();
  };
  nlohmann::json base = {{"iss", p.issuer}, {"sub", "s"}, {"aud", "rp"}, {"iat", now}, {"exp", now + 60}};
  EXPECT_EQ(check(base, /*refreshed=*/true), "ok");
  EXPECT_EQ(check(base, /*refreshed=*/false), "nonce");
  base["nonce"] = "n";
  EXPECT_EQ(check(base, true), "ok");
  base["nonce"] = "other";
  EXPECT_EQ(check(base, true), "nonce");
  base["nonce"] = 5;
  EXPECT_EQ(check(base, true), "nonce");
}

TEST(CountSignedTokensTest, CountsCompactJwsOtherThanAlgNone) {
  auto key = GenerateSigningKey("EC", "k");
  ASSERT_TRUE(key.ok());
  auto signed_jwt = SignJwt(**key, JwsAlg::kES256, {{"sub", "s"}});
  ASSERT_TRUE(signed_jwt.ok());
  const std::string unsigned_jwt = Base64UrlEncode(R"({"alg":"none"})") + "." +
                                   Base64UrlEncode(R"({"sub":"s"})") + ".";
  EXPECT_EQ(CountSignedTokens({{"access_token", "opaque"}, {"token_type", "Bearer"}}), 0);
  EXPECT_EQ(CountSignedTokens({{"access_token", "a.b.c"}, {"id_token", *signed_jwt}}), 1);
  EXPECT_EQ(CountSignedTokens({{"access_token", *signed_jwt}, {"id_token", *signed_jwt}}), 2);
  EXPECT_EQ(CountSignedTokens({{"id_token", unsigned_jwt}, {"refresh_token", 7}}), 0);
}

TEST(RefreshTest, FirstCallPreparesThenEachRefreshUsesTheRotatedToken) {
  FakeOidcOptions o;
  Harness h(o);
  OpResult prep = h.runner->RunRefresh();
  ASSERT_TRUE(prep.ok) << prep.error_kind << " " << prep.detail;
  EXPECT_TRUE(prep.preparation);
  EXPECT_EQ(h.server.refreshes(), 0);
  for (int i = 1; i <= 3; ++i) {
    OpResult r = h.runner->RunRefresh();
    // The fake accepts each refresh token once: a reused token fails.
    ASSERT_TRUE(r.ok) << r.error_kind << " " << r.detail;
    EXPECT_FALSE(r.preparation);
    EXPECT_EQ(r.signatures, 1);
    EXPECT_GT(r.step_us[size_t(Step::kToken)], 0u);
    EXPECT_EQ(h.server.refreshes(), i);
  }
  EXPECT_EQ(h.server.logins(), 1);
  EXPECT_EQ(h.server.bad_requests(), 0);
}

TEST(RefreshTest, AnotherSubjectFailsAndTheNextCallStartsOver) {
  FakeOidcOptions o;
  o.refresh_other_sub = true;
  Harness h(o);
  ASSERT_TRUE(h.runner->RunRefresh().ok);
  OpResult r = h.runner->RunRefresh();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_kind, "id_token:sub_changed");
  OpResult again = h.runner->RunRefresh();  // no token kept: a new code flow
  EXPECT_TRUE(again.ok);
  EXPECT_TRUE(again.preparation);
  EXPECT_EQ(h.server.logins(), 2);
}

TEST(DocumentsTest, DiscoveryAndJwks) {
  FakeOidcOptions o;
  Harness h(o);
  OpResult d = h.runner->RunDiscovery();
  EXPECT_TRUE(d.ok) << d.error_kind;
  EXPECT_GT(d.step_us[size_t(Step::kDiscovery)], 0u);
  OpResult j = h.runner->RunJwks();
  EXPECT_TRUE(j.ok) << j.error_kind;
  EXPECT_GT(j.step_us[size_t(Step::kJwks)], 0u);
  EXPECT_EQ(d.signatures + j.signatures, 0);
  ProviderInfo elsewhere = h.provider;
  elsewhere.issuer = "http://127.0.0.1:1";
  FlowRunner other(elsewhere, h.client, h.conn, h.random, SystemClock());
  EXPECT_EQ(other.RunDiscovery().error_kind, "discovery:issuer");
  elsewhere.jwks_uri.target = "/nowhere";
  EXPECT_EQ(other.RunJwks().error_kind, "jwks:http_404");
}

}  // namespace
}  // namespace certme::bench
