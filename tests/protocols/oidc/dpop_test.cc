// DPoP (RFC 9449): proofs at the token endpoint and at UserInfo, server
// nonces, the binding of access and refresh tokens, introspection's `cnf`.
// Every refusal leaves the code (or refresh token) usable: nothing is spent
// by a bad proof.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "crypto/hash.h"

namespace certme::testing {
namespace {

// A client-side DPoP key that signs proofs the way RFC 9449 §4.2 describes.
struct ProofKey {
  std::shared_ptr<SigningKey> key;
  JwsAlg alg;
};

struct ProofSpec {
  std::string htm = "POST";
  std::string htu = std::string(kIssuer) + "/token";
  std::optional<int64_t> iat;  // default: now
  std::string jti;             // default: fresh
  std::string nonce;           // empty: no nonce claim
  std::string ath;             // empty: no ath claim
  std::string typ = "dpop+jwt";
  std::string alg;             // default: the key's
  nlohmann::json jwk;          // default: the key's public JWK
  std::shared_ptr<SigningKey> signer;  // default: the key itself
};

class DpopTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    OidcClient spa = PublicClient();
    spa.grant_types = {"authorization_code", "refresh_token"};
    Register(spa);
    OidcClient rp = ConfidentialClient();
    rp.grant_types = {"authorization_code", "refresh_token"};
    Register(rp);
  }

  static ProofKey EcKey() { return {*GenerateSigningKey("EC", "dpop-ec"), JwsAlg::kES256}; }

  std::string Proof(const ProofKey& k, ProofSpec s) {
    nlohmann::json jwk = s.jwk.is_null() ? k.key->ToJwk() : s.jwk;
    nlohmann::json header = {{"typ", s.typ}, {"alg", s.alg.empty() ? JwsAlgName(k.alg) : s.alg}, {"jwk", jwk}};
    nlohmann::json payload = {{"htm", s.htm},
                              {"htu", s.htu},
                              {"iat", s.iat.value_or(clock_.NowUnixSeconds())},
                              {"jti", s.jti.empty() ? "jti-" + std::to_string(++jti_counter_) : s.jti}};
    if (!s.nonce.empty()) payload["nonce"] = s.nonce;
    if (!s.ath.empty()) payload["ath"] = s.ath;
    std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
    const SigningKey& signer = s.signer ? *s.signer : *k.key;
    auto sig = signer.Sign(k.alg, input);
    EXPECT_TRUE(sig.ok());
    return input + "." + Base64UrlEncode(*sig);
  }

  // A nonce as the server hands it out (to a request without one).
  std::string ServerNonce(const ProofKey& k, const Params& form) {
    HttpResponse r = TokenWithProof(form, Proof(k, {}), "spa");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json(r)["error"], "use_dpop_nonce");
    return r.headers.Get("DPoP-Nonce").value_or("");
  }

  // POST /token for the public client "spa" (client_id in the form) or the
  // confidential "rp" (Basic), with a DPoP header when `proof` is not empty.
  HttpResponse TokenWithProof(Params form, const std::string& proof, const std::string& client = "spa") {
    HttpRequest req = PostForm("/token", form, false);
    if (client == "spa") {
      req.form.emplace("client_id", "spa");
    } else {
      req.headers.Set("Authorization", "Basic " + Base64Encode(client + ":" + PercentEncode(kSecret)));
    }
    if (!proof.empty()) req.headers.Add("DPoP", proof);
    return op_->Token(req);
  }

  Params CodeForm(const std::string& code) {
    return {{"grant_type", "authorization_code"},
            {"code", code},
            {"redirect_uri", "https://spa.example/cb"},
            {"code_verifier", kVerifier}};
  }

  HttpResponse UserInfoDpop(const std::string& token, const std::string& proof,
                            const std::string& scheme = "DPoP") {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", scheme + " " + token);
    if (!proof.empty()) req.headers.Set("DPoP", proof);
    return op_->UserInfo(req);
  }

  static std::string Ath(const std::string& token) { return Base64UrlEncode(Sha256(token)); }

  // Expects the token request to be refused with invalid_dpop_proof.
  void ExpectBadProof(const std::string& code, const ProofKey& k, const ProofSpec& spec,
                      const std::string& what) {
    HttpResponse r = TokenWithProof(CodeForm(code), Proof(k, spec));
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(Json(r)["error"], "invalid_dpop_proof") << what;
  }

  int jti_counter_ = 0;
};

TEST_F(DpopTest, TokenEndpointDemandsANonceThenBindsTheToken) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  // Without a nonce: 400 use_dpop_nonce with a fresh nonce; the code is not spent.
  HttpResponse first = TokenWithProof(CodeForm(code), Proof(k, {}));
  ASSERT_EQ(first.status, 400) << first.body;
  EXPECT_EQ(Json(first)["error"], "use_dpop_nonce");
  std::string nonce = first.headers.Get("DPoP-Nonce").value_or("");
  ASSERT_FALSE(nonce.empty());

  ProofSpec spec;
  spec.nonce = nonce;
  HttpResponse r = TokenWithProof(CodeForm(code), Proof(k, spec));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(j["token_type"], "DPoP");
  EXPECT_TRUE(r.headers.Get("DPoP-Nonce").has_value());
  // UserInfo with the same key and a proof for it.
  ProofSpec ui;
  ui.htm = "GET";
  ui.htu = std::string(kIssuer) + "/userinfo";
  ui.nonce = nonce;
  ui.ath = Ath(j["access_token"]);
  HttpResponse u = UserInfoDpop(j["access_token"], Proof(k, ui));
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_TRUE(Json(u)["sub"].is_string());
  EXPECT_TRUE(u.headers.Get("DPoP-Nonce").has_value());
}

TEST_F(DpopTest, EveryBadProofIsRefusedAndSpendsNothing) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  std::string nonce = ServerNonce(k, CodeForm(code));
  auto spec = [&]() {
    ProofSpec s;
    s.nonce = nonce;
    return s;
  };
  int64_t now = clock_.NowUnixSeconds();

  ProofSpec s = spec();
  s.htm = "GET";
  ExpectBadProof(code, k, s, "wrong htm");
  s = spec();
  s.htu = std::string(kIssuer) + "/userinfo";
  ExpectBadProof(code, k, s, "wrong htu");
  s = spec();
  s.htu = "https://other.test/token";
  ExpectBadProof(code, k, s, "another host");
  s = spec();
  s.iat = now - 600;
  ExpectBadProof(code, k, s, "stale iat");
  s = spec();
  s.iat = now + 600;
  ExpectBadProof(code, k, s, "iat in the future");
  s = spec();
  s.typ = "JWT";
  ExpectBadProof(code, k, s, "typ");
  s = spec();
  s.alg = "HS256";
  ExpectBadProof(code, k, s, "symmetric alg");
  s = spec();
  s.alg = "none";
  ExpectBadProof(code, k, s, "alg none");
  s = spec();
  s.jwk = k.key->ToJwk();
  s.jwk["d"] = "c2VjcmV0";
  ExpectBadProof(code, k, s, "private jwk");
  s = spec();
  s.jwk = nlohmann::json::object();
  ExpectBadProof(code, k, s, "empty jwk");
  s = spec();
  s.signer = *GenerateSigningKey("EC", "other");
  ExpectBadProof(code, k, s, "signed by another key");

  // Two DPoP headers.
  {
    HttpRequest req = PostForm("/token", CodeForm(code), false);
    req.form.emplace("client_id", "spa");
    req.headers.Add("DPoP", Proof(k, spec()));
    req.headers.Add("DPoP", Proof(k, spec()));
    HttpResponse r = op_->Token(req);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json(r)["error"], "invalid_dpop_proof");
  }
  // Garbage.
  {
    HttpResponse r = TokenWithProof(CodeForm(code), "not.a.jwt");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Json(r)["error"], "invalid_dpop_proof");
  }
  // A nonce we did not issue, and no nonce: use_dpop_nonce.
  s = spec();
  s.nonce = Base64UrlEncode(std::string(24, 'x'));
  HttpResponse forged = TokenWithProof(CodeForm(code), Proof(k, s));
  EXPECT_EQ(Json(forged)["error"], "use_dpop_nonce");

  // The query of htu does not count (RFC 9449 §4.3 check 9), and the code
  // was never spent by the refusals above.
  s = spec();
  s.htu = std::string(kIssuer) + "/token?x=1#f";
  s.jti = "the-one-jti";
  HttpResponse ok = TokenWithProof(CodeForm(code), Proof(k, s));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["token_type"], "DPoP");
}

TEST_F(DpopTest, ReusedJtiIsRefused) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  std::string nonce = ServerNonce(k, CodeForm(code));
  ProofSpec s;
  s.nonce = nonce;
  s.jti = "once";
  std::string proof = Proof(k, s);
  HttpResponse ok = TokenWithProof(CodeForm(code), proof);
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string code2 = CodeFor(AuthParams("spa"));
  HttpResponse again = TokenWithProof(CodeForm(code2), proof);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Json(again)["error"], "invalid_dpop_proof");
  // The second code is still good with a fresh proof.
  s.jti = "twice";
  EXPECT_EQ(TokenWithProof(CodeForm(code2), Proof(k, s)).status, 200);
}

TEST_F(DpopTest, OldNonceIsRefusedWithAFreshOne) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  std::string nonce = ServerNonce(k, CodeForm(code));
  clock_.Advance(std::chrono::seconds(301));
  // The code outlived its 60 s meanwhile; a fresh one, the stale nonce.
  code = CodeFor(AuthParams("spa"));
  ProofSpec s;
  s.nonce = nonce;
  HttpResponse r = TokenWithProof(CodeForm(code), Proof(k, s));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "use_dpop_nonce");
  std::string fresh = r.headers.Get("DPoP-Nonce").value_or("");
  ASSERT_FALSE(fresh.empty());
  EXPECT_NE(fresh, nonce);
  s.nonce = fresh;
  EXPECT_EQ(TokenWithProof(CodeForm(code), Proof(k, s)).status, 200);
}

TEST_F(DpopTest, UserInfoChecksTheProofAgainstTheToken) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  std::string nonce = ServerNonce(k, CodeForm(code));
  ProofSpec s;
  s.nonce = nonce;
  auto j = Json(TokenWithProof(CodeForm(code), Proof(k, s)));
  std::string at = j["access_token"];
  auto ui = [&]() {
    ProofSpec u;
    u.htm = "GET";
    u.htu = std::string(kIssuer) + "/userinfo";
    u.nonce = nonce;
    u.ath = Ath(at);
    return u;
  };
  auto expect_401 = [&](const HttpResponse& r, const std::string& error, const std::string& what) {
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    std::string challenge = r.headers.Get("WWW-Authenticate").value_or("");
    EXPECT_EQ(challenge.rfind("DPoP ", 0), 0u) << what << ": " << challenge;
    EXPECT_NE(challenge.find("error=\"" + error + "\""), std::string::npos) << what << ": " << challenge;
  };
  // As a bearer token: refused (RFC 9449 §7.2).
  expect_401(UserInfoDpop(at, "", "Bearer"), "invalid_token", "bound token as Bearer");
  // No proof.
  expect_401(UserInfoDpop(at, ""), "invalid_dpop_proof", "no proof");
  // A proof by another key.
  ProofKey other = EcKey();
  expect_401(UserInfoDpop(at, Proof(other, ui())), "invalid_dpop_proof", "another key");
  // ath of another token.
  ProofSpec u = ui();
  u.ath = Ath("another token");
  expect_401(UserInfoDpop(at, Proof(k, u)), "invalid_dpop_proof", "wrong ath");
  // htu of the token endpoint.
  u = ui();
  u.htu = std::string(kIssuer) + "/token";
  expect_401(UserInfoDpop(at, Proof(k, u)), "invalid_dpop_proof", "wrong htu");
  // htm POST on a GET.
  u = ui();
  u.htm = "POST";
  expect_401(UserInfoDpop(at, Proof(k, u)), "invalid_dpop_proof", "wrong htm");
  // No nonce: use_dpop_nonce with a DPoP-Nonce header.
  u = ui();
  u.nonce.clear();
  HttpResponse n = UserInfoDpop(at, Proof(k, u));
  expect_401(n, "use_dpop_nonce", "no nonce");
  EXPECT_TRUE(n.headers.Get("DPoP-Nonce").has_value());
  // A replayed proof.
  std::string proof = Proof(k, ui());
  EXPECT_EQ(UserInfoDpop(at, proof).status, 200);
  expect_401(UserInfoDpop(at, proof), "invalid_dpop_proof", "replayed proof");
  // A plain bearer token with the DPoP scheme.
  std::string code2 = CodeFor(AuthParams("spa"));
  auto plain = Json(TokenWithProof(CodeForm(code2), ""));
  ASSERT_EQ(plain["token_type"], "Bearer");
  u = ui();
  u.ath = Ath(plain["access_token"]);
  expect_401(UserInfoDpop(plain["access_token"], Proof(k, u)), "invalid_token", "unbound token as DPoP");
}

TEST_F(DpopTest, PublicClientsRefreshTokenIsBoundToTheKey) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams("spa"));
  std::string nonce = ServerNonce(k, CodeForm(code));
  ProofSpec s;
  s.nonce = nonce;
  auto j = Json(TokenWithProof(CodeForm(code), Proof(k, s)));
  std::string rt = j["refresh_token"];
  Params refresh = {{"grant_type", "refresh_token"}, {"refresh_token", rt}};
  // Without a proof, and with another key: refused, the token not rotated.
  HttpResponse none = TokenWithProof(refresh, "");
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(Json(none)["error"], "invalid_dpop_proof");
  HttpResponse other = TokenWithProof(refresh, Proof(EcKey(), s));
  EXPECT_EQ(other.status, 400);
  EXPECT_EQ(Json(other)["error"], "invalid_dpop_proof");
  // The same key: a new DPoP-bound pair.
  HttpResponse ok = TokenWithProof(refresh, Proof(k, s));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["token_type"], "DPoP");
}

TEST_F(DpopTest, IntrospectionReportsTheConfirmation) {
  ProofKey k = EcKey();
  std::string code = CodeFor(AuthParams());
  HttpResponse first = TokenWithProof({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}},
                                      Proof(k, {}), "rp");
  ASSERT_EQ(Json(first)["error"], "use_dpop_nonce");
  ProofSpec s;
  s.nonce = first.headers.Get("DPoP-Nonce").value_or("");
  auto j = Json(TokenWithProof({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}},
                               Proof(k, s), "rp"));
  ASSERT_EQ(j["token_type"], "DPoP");
  HttpRequest req = PostForm("/introspect", {{"token", j["access_token"]}}, false);
  req.headers.Set("Authorization", "Basic " + Base64Encode("rp:" + PercentEncode(kSecret)));
  auto info = Json(op_->Introspect(req));
  EXPECT_EQ(info["active"], true);
  EXPECT_EQ(info["token_type"], "DPoP");
  EXPECT_EQ(info["cnf"]["jkt"], JwkThumbprint(*k.key));
  // A confidential client's refresh token is not bound (RFC 9449 §5): it
  // refreshes without a proof, and gets a bearer token then.
  HttpResponse plain = TokenWithProof({{"grant_type", "refresh_token"}, {"refresh_token", j["refresh_token"]}}, "", "rp");
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(Json(plain)["token_type"], "Bearer");
}

TEST_F(DpopTest, ClientRegisteredForDpopMustSendAProof) {
  OidcClient spa = PublicClient();
  spa.dpop_bound_access_tokens = true;
  Register(spa);
  std::string code = CodeFor(AuthParams("spa"));
  HttpResponse r = TokenWithProof(CodeForm(code), "");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");
  ProofKey k = EcKey();
  ProofSpec s;
  s.nonce = ServerNonce(k, CodeForm(code));
  EXPECT_EQ(TokenWithProof(CodeForm(code), Proof(k, s)).status, 200);
}

TEST_F(DpopTest, RsaAndPssProofsAreAccepted) {
  for (JwsAlg alg : {JwsAlg::kRS256, JwsAlg::kPS256}) {
    ProofKey k{*GenerateSigningKey("RSA", "dpop-rsa"), alg};
    std::string code = CodeFor(AuthParams("spa"));
    ProofSpec s;
    s.nonce = ServerNonce(k, CodeForm(code));
    HttpResponse r = TokenWithProof(CodeForm(code), Proof(k, s));
    EXPECT_EQ(r.status, 200) << JwsAlgName(alg) << ": " << r.body;
  }
}

TEST_F(DpopTest, DiscoveryAdvertisesSenderConstraints) {
  auto d = Json(op_->Discovery(Get("/.well-known/openid-configuration", {}, false)));
  EXPECT_EQ(d["dpop_signing_alg_values_supported"], nlohmann::json({"ES256", "PS256", "EdDSA", "RS256"}));
  EXPECT_EQ(d["tls_client_certificate_bound_access_tokens"], true);
}

}  // namespace
}  // namespace certme::testing
