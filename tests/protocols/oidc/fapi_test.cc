// The FAPI 2.0 Security Profile switch (`profile: fapi2`, fapi.h): a client
// that follows every rule gets sender-constrained tokens; each rule it
// breaks is refused with the error the profile (or the RFC it names) gives.
// Also the rules every client gets: dpop_jkt (RFC 9449 §10) at /authorize
// and /par, and DPoP / certificate binding at the device_code and CIBA
// grants.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "crypto/hash.h"
#include "protocols/oidc/records.h"
#include "tests/protocols/oidc/test_certs.h"

namespace certme::testing {
namespace {

constexpr char kAssertionType[] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr char kDeviceGrant[] = "urn:ietf:params:oauth:grant-type:device_code";
constexpr char kCibaGrant[] = "urn:openid:params:grant-type:ciba";

class FapiTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    client_ec_ = GenerateSigningKey("EC", "fapi-ec").value();
    client_rsa_ = GenerateSigningKey("RSA", "fapi-rsa").value();
    dpop_ = GenerateSigningKey("EC", "dpop").value();
    other_dpop_ = GenerateSigningKey("EC", "dpop-2").value();
    int64_t now = clock_.NowUnixSeconds();
    cert_ = MakeSelfSignedCert({{"CN", "fapi.example"}}, now - 3600, now + 86400);
    twin_ = MakeSelfSignedCert({{"CN", "fapi.example"}}, now - 3600, now + 86400);

    // private_key_jwt, DPoP-bound tokens.
    OidcClient pkj = FapiClient("fapi");
    pkj.token_endpoint_auth_method = "private_key_jwt";
    pkj.jwks = nlohmann::json{{"keys", {client_ec_->ToJwk(), client_rsa_->ToJwk()}}}.dump();
    Register(pkj);
    // tls_client_auth, certificate-bound tokens.
    OidcClient mtls = FapiClient("fapi-mtls");
    mtls.token_endpoint_auth_method = "tls_client_auth";
    mtls.tls_client_auth_subject_dn = "CN=fapi.example";
    mtls.tls_client_certificate_bound_access_tokens = true;
    Register(mtls);
    Register(ConfidentialClient("rp"));
  }

  OidcClient FapiClient(const std::string& id) const {
    OidcClient c = ConfidentialClient(id);
    c.profile = "fapi2";
    c.client_secret_sha256.clear();
    c.id_token_signed_response_alg = "ES256";
    return c;
  }

  std::string Assertion(JwsAlg alg = JwsAlg::kES256, const std::string& aud = kIssuer) {
    int64_t now = clock_.NowUnixSeconds();
    nlohmann::json claims = {{"iss", "fapi"}, {"sub", "fapi"}, {"aud", aud}, {"iat", now},
                             {"exp", now + 60}, {"jti", "a-" + std::to_string(++counter_)}};
    const SigningKey& key = alg == JwsAlg::kES256 ? *client_ec_ : *client_rsa_;
    return SignJwt(key, alg, claims).value();
  }

  // A DPoP proof (RFC 9449 §4.2) by `key` for POST `path`, with the
  // server's nonce once one was handed out; for a resource request, the
  // `ath` of `access_token`.
  std::string Proof(const SigningKey& key, const std::string& path, JwsAlg alg = JwsAlg::kES256,
                    const std::string& access_token = "") {
    nlohmann::json header = {{"typ", "dpop+jwt"}, {"alg", JwsAlgName(alg)}, {"jwk", key.ToJwk()}};
    nlohmann::json payload = {{"htm", "POST"}, {"htu", std::string(kIssuer) + path},
                              {"iat", clock_.NowUnixSeconds()}, {"jti", "p-" + std::to_string(++counter_)}};
    if (!nonce_.empty()) payload["nonce"] = nonce_;
    if (!access_token.empty()) payload["ath"] = Base64UrlEncode(Sha256(access_token));
    std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
    return input + "." + Base64UrlEncode(key.Sign(alg, input).value());
  }
  static std::string Thumbprint(const SigningKey& key) {
    return JwkThumbprint(*ParsePublicKeyJwk(key.ToJwk()).value());
  }

  // Sends a client-authenticated POST as `client` ("fapi": an assertion,
  // "fapi-mtls": the forwarded certificate, "rp": Basic), with a DPoP proof
  // when `dpop` is given; retries once with the nonce when told to.
  HttpResponse Send(const std::string& path, Params form, const std::string& client,
                    const SigningKey* dpop = nullptr, std::string cert = "-",
                    JwsAlg dpop_alg = JwsAlg::kES256) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      HttpRequest req = PostForm(path, form, false);
      if (client == "fapi") {
        req.form.emplace("client_assertion_type", kAssertionType);
        req.form.emplace("client_assertion", Assertion());
      } else if (client == "rp") {
        req.headers.Set("Authorization", "Basic " + Base64Encode("rp:" + PercentEncode(kSecret)));
      } else {
        req.form.emplace("client_id", client);
      }
      req.client_cert_pem = cert == "-" ? (client == "fapi-mtls" ? cert_.cert_pem : "") : cert;
      if (dpop) req.headers.Set("DPoP", Proof(*dpop, path, dpop_alg));
      HttpResponse r = path == "/par" ? op_->PushedAuthorizationRequest(req) : op_->Token(req);
      if (auto n = r.headers.Get("DPoP-Nonce")) nonce_ = *n;
      if (r.status != 400 || Json(r).value("error", "") != "use_dpop_nonce") return r;
    }
    return HttpResponse::Text(599, "nonce loop");
  }

  // The fixture's request parameters with PKCE (S256).
  Params WithPkce(const std::string& client) const {
    Params p = AuthParams(client);
    p.emplace("code_challenge", kChallenge);
    p.emplace("code_challenge_method", "S256");
    return p;
  }
  Params PushParams(const std::string& client) const {
    Params p = WithPkce(client);
    p.erase("client_id");
    return p;
  }
  // Push, authorize with the request_uri, log in: the code.
  std::string PushedCode(const std::string& client, Params p, const SigningKey* dpop = nullptr) {
    HttpResponse pushed = Send("/par", p, client, dpop);
    EXPECT_EQ(pushed.status, 201) << pushed.body;
    return CodeFor({{"client_id", client}, {"request_uri", Json(pushed).value("request_uri", "")}});
  }
  Params CodeForm(const std::string& code) const {
    return {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect},
            {"code_verifier", kVerifier}};
  }
  void ExpectError(const HttpResponse& r, int status, const std::string& error, const std::string& what) {
    EXPECT_EQ(r.status, status) << what << ": " << r.body;
    EXPECT_EQ(Json(r).value("error", ""), error) << what << ": " << r.body;
    EXPECT_FALSE(Json(r).value("error_description", "").empty()) << what;
  }

  std::shared_ptr<SigningKey> client_ec_, client_rsa_, dpop_, other_dpop_;
  TestCert cert_, twin_;
  std::string nonce_;
  int counter_ = 0;
};

// ---- registration (ValidateClient) ----

TEST_F(FapiTest, RegistrationRefusesWhatTheProfileForbids) {
  OidcClient ok = FapiClient("x");
  ok.token_endpoint_auth_method = "tls_client_auth";
  ok.tls_client_auth_subject_dn = "CN=x";
  ASSERT_TRUE(ValidateClient(ok).ok()) << ValidateClient(ok).ToString();
  OidcClient loopback = ok;
  loopback.redirect_uris = {"http://127.0.0.1:8080/cb"};
  EXPECT_TRUE(ValidateClient(loopback).ok()) << ValidateClient(loopback).ToString();

  auto refused = [&](OidcClient c, const std::string& needle) {
    Status st = ValidateClient(c);
    EXPECT_FALSE(st.ok()) << needle;
    EXPECT_NE(st.ToString().find(needle), std::string::npos) << st.ToString();
  };
  OidcClient c = ok;
  c.token_endpoint_auth_method = "client_secret_basic";
  c.client_secret_sha256 = HashClientSecret("s");
  refused(c, "private_key_jwt or tls_client_auth");
  c = ok;
  c.token_endpoint_auth_method = "none";
  refused(c, "private_key_jwt or tls_client_auth");
  c = ok;
  c.redirect_uris = {"http://rp.example/cb"};
  refused(c, "must use https");
  c = ok;
  c.redirect_uris = {"http://localhost/cb"};
  refused(c, "must use https");
  c = ok;
  c.authorization_response_iss = false;
  refused(c, "authorization_response_iss");
  c = ok;
  c.id_token_signed_response_alg = "RS256";
  refused(c, "id_token_signed_response_alg must be PS256 or ES256");
  c = ok;
  c.request_object_signing_alg = "RS256";
  refused(c, "request_object_signing_alg must be PS256, ES256 or EdDSA");
  c = ok;
  c.profile = "fapi1";
  refused(c, "profile must be empty or fapi2");
  // The JSON form carries the profile.
  auto back = ClientFromJson(ClientToJson(ok));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->IsFapi2());
}

// ---- the client that follows every rule ----

TEST_F(FapiTest, CompliantClientGetsBoundTokensAndUnrotatedBoundRefresh) {
  std::string code = PushedCode("fapi", PushParams("fapi"));
  ASSERT_FALSE(code.empty());
  HttpResponse tok = Send("/token", CodeForm(code), "fapi", dpop_.get());
  ASSERT_EQ(tok.status, 200) << tok.body;
  auto j = Json(tok);
  EXPECT_EQ(j["token_type"], "DPoP");
  std::string rt = j["refresh_token"];
  EXPECT_EQ(VerifyOurJwt(j["id_token"])["aud"], "fapi");

  // §5.3.2.1 item 10: refreshing returns no new refresh token; the same one
  // keeps working (a client that lost an answer may retry).
  Params refresh = {{"grant_type", "refresh_token"}, {"refresh_token", rt}};
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = Send("/token", refresh, "fapi", dpop_.get());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(Json(r).contains("refresh_token"));
    EXPECT_EQ(Json(r)["token_type"], "DPoP");
  }
  // Bound as the access token: another key, or none, is refused.
  ExpectError(Send("/token", refresh, "fapi", other_dpop_.get()), 400, "invalid_dpop_proof", "refresh, other key");
  ExpectError(Send("/token", refresh, "fapi"), 400, "invalid_request", "refresh without DPoP");
}

TEST_F(FapiTest, MtlsClientGetsCertificateBoundTokensAndRefresh) {
  std::string code = PushedCode("fapi-mtls", PushParams("fapi-mtls"));
  HttpResponse tok = Send("/token", CodeForm(code), "fapi-mtls");
  ASSERT_EQ(tok.status, 200) << tok.body;
  std::string rt = Json(tok)["refresh_token"];
  Params refresh = {{"grant_type", "refresh_token"}, {"refresh_token", rt}};
  // Another certificate with the same subject authenticates the client but
  // is not the one the refresh token is bound to.
  ExpectError(Send("/token", refresh, "fapi-mtls", nullptr, twin_.cert_pem), 400, "invalid_grant",
              "refresh, other certificate");
  EXPECT_EQ(Send("/token", refresh, "fapi-mtls").status, 200);
}

// ---- each rule broken ----

TEST_F(FapiTest, AuthorizationRequestNotPushedIsRefusedAtTheRedirectUri) {
  size_t before = auth_.requests.size();
  HttpResponse r = Authorize(WithPkce("fapi"));
  EXPECT_EQ(auth_.requests.size(), before);
  Params q = LocationParams(r);
  EXPECT_EQ(ParamGet(q, "error").value_or(""), "invalid_request");
  EXPECT_NE(ParamGet(q, "error_description").value_or("").find("pushed"), std::string::npos);
  EXPECT_EQ(ParamGet(q, "iss").value_or(""), kIssuer);  // RFC 9207, §5.3.2.2 item 7
}

TEST_F(FapiTest, PushWithoutPkceIsRefused) {
  Params p = PushParams("fapi");
  p.erase("code_challenge");
  p.erase("code_challenge_method");
  ExpectError(Send("/par", p, "fapi"), 400, "invalid_request", "no PKCE");
  p = PushParams("fapi");
  p.erase("code_challenge_method");
  p.emplace("code_challenge_method", "plain");
  ExpectError(Send("/par", p, "fapi"), 400, "invalid_request", "plain PKCE");
  EXPECT_TRUE(store_->List(oidc_internal::kParNs).value().empty());
}

TEST_F(FapiTest, TokenRequestWithoutSenderConstraintIsRefused) {
  std::string code = PushedCode("fapi", PushParams("fapi"));
  ExpectError(Send("/token", CodeForm(code), "fapi"), 400, "invalid_request", "no DPoP");
  // Nothing was spent: the same code with a proof works.
  EXPECT_EQ(Send("/token", CodeForm(code), "fapi", dpop_.get()).status, 200);
}

TEST_F(FapiTest, Rs256IsRefusedForAssertionsProofsAndRequestObjects) {
  // Client assertion (private_key_jwt) signed RS256: invalid_client.
  std::string code = PushedCode("fapi", PushParams("fapi"));
  HttpRequest req = PostForm("/token", CodeForm(code), false);
  req.form.emplace("client_assertion_type", kAssertionType);
  req.form.emplace("client_assertion", Assertion(JwsAlg::kRS256));
  ExpectError(op_->Token(req), 401, "invalid_client", "RS256 assertion");
  // PS256 is fine.
  req.form.erase("client_assertion");
  req.form.emplace("client_assertion", Assertion(JwsAlg::kPS256));
  req.headers.Set("DPoP", Proof(*dpop_, "/token"));
  EXPECT_NE(op_->Token(req).status, 401);

  // A DPoP proof signed RS256: invalid_dpop_proof.
  std::string code2 = PushedCode("fapi", PushParams("fapi"));
  ExpectError(Send("/token", CodeForm(code2), "fapi", client_rsa_.get(), "-", JwsAlg::kRS256), 400,
              "invalid_dpop_proof", "RS256 proof");
  EXPECT_EQ(Send("/token", CodeForm(code2), "fapi", client_rsa_.get(), "-", JwsAlg::kPS256).status, 200);

  // A pushed request object signed RS256: invalid_request_object.
  nlohmann::json claims = nlohmann::json::object();
  for (const auto& [k, v] : PushParams("fapi")) claims[k] = v;
  claims["iss"] = "fapi";
  claims["aud"] = kIssuer;
  claims["exp"] = clock_.NowUnixSeconds() + 60;
  ExpectError(Send("/par", {{"request", SignJwt(*client_rsa_, JwsAlg::kRS256, claims).value()}}, "fapi"), 400,
              "invalid_request_object", "RS256 request object");
  EXPECT_EQ(Send("/par", {{"request", SignJwt(*client_ec_, JwsAlg::kES256, claims).value()}}, "fapi").status, 201);
}

// §5.4 item 1 at UserInfo too: the proofs that present a FAPI 2.0 client's
// DPoP-bound token are PS256, ES256 or EdDSA. An RSA key bound with a PS256
// proof at /token cannot sign its UserInfo proofs RS256.
TEST_F(FapiTest, UserInfoRefusesAnRs256ProofOfTheBoundKey) {
  auto rsa = GenerateSigningKey("RSA", "dpop-rsa").value();
  std::string code = PushedCode("fapi", PushParams("fapi"));
  HttpResponse tok = Send("/token", CodeForm(code), "fapi", rsa.get(), "-", JwsAlg::kPS256);
  ASSERT_EQ(tok.status, 200) << tok.body;
  const std::string at = Json(tok)["access_token"];
  auto userinfo = [&](JwsAlg alg) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      HttpRequest req = PostForm("/userinfo", {}, false);
      req.headers.Set("Authorization", "DPoP " + at);
      req.headers.Set("DPoP", Proof(*rsa, "/userinfo", alg, at));
      HttpResponse r = op_->UserInfo(req);
      if (auto n = r.headers.Get("DPoP-Nonce")) nonce_ = *n;
      if (r.headers.Get("WWW-Authenticate").value_or("").find("use_dpop_nonce") == std::string::npos) return r;
    }
    return HttpResponse::Text(599, "nonce loop");
  };
  HttpResponse rs256 = userinfo(JwsAlg::kRS256);
  EXPECT_EQ(rs256.status, 401) << rs256.body;
  EXPECT_NE(rs256.headers.Get("WWW-Authenticate").value_or("").find("invalid_dpop_proof"), std::string::npos)
      << rs256.headers.Get("WWW-Authenticate").value_or("");
  HttpResponse ps256 = userinfo(JwsAlg::kPS256);
  EXPECT_EQ(ps256.status, 200) << ps256.body;
}

TEST_F(FapiTest, EdDsaProofsAndAssertionsAreAccepted) {
  // §5.4 allows EdDSA (Ed25519); discovery lists it for proofs and assertions.
  auto ed = GenerateSigningKey("OKP", "fapi-ed").value();
  OidcClient c = FapiClient("fapi-ed");
  c.token_endpoint_auth_method = "private_key_jwt";
  c.jwks = nlohmann::json{{"keys", {ed->ToJwk()}}}.dump();
  Register(c);
  HttpResponse pushed = [&] {
    HttpRequest req = PostForm("/par", PushParams("fapi-ed"), false);
    int64_t now = clock_.NowUnixSeconds();
    req.form.emplace("client_assertion_type", kAssertionType);
    req.form.emplace("client_assertion", SignJwt(*ed, JwsAlg::kEdDSA,
                                                 {{"iss", "fapi-ed"}, {"sub", "fapi-ed"}, {"aud", kIssuer},
                                                  {"iat", now}, {"exp", now + 60}, {"jti", "ed-1"}}).value());
    return op_->PushedAuthorizationRequest(req);
  }();
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string code = CodeFor({{"client_id", "fapi-ed"}, {"request_uri", Json(pushed)["request_uri"].get<std::string>()}});
  ASSERT_FALSE(code.empty());
  // An EdDSA DPoP proof at the token endpoint, with an EdDSA assertion.
  int64_t now = clock_.NowUnixSeconds();
  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpRequest req = PostForm("/token", CodeForm(code), false);
    req.form.emplace("client_assertion_type", kAssertionType);
    req.form.emplace("client_assertion", SignJwt(*ed, JwsAlg::kEdDSA,
                                                 {{"iss", "fapi-ed"}, {"sub", "fapi-ed"}, {"aud", kIssuer},
                                                  {"iat", now}, {"exp", now + 60},
                                                  {"jti", "ed-t" + std::to_string(attempt)}}).value());
    req.headers.Set("DPoP", Proof(*ed, "/token", JwsAlg::kEdDSA));
    HttpResponse r = op_->Token(req);
    if (auto n = r.headers.Get("DPoP-Nonce")) nonce_ = *n;
    if (attempt == 0 && Json(r).value("error", "") == "use_dpop_nonce") continue;
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Json(r)["token_type"], "DPoP");
    break;
  }
}

TEST_F(FapiTest, CodesLiveAtMostSixtySeconds) {
  options_.code_ttl_seconds = 300;
  Rebuild();
  std::string fapi_code = PushedCode("fapi", PushParams("fapi"));
  std::string rp_code = CodeFor(WithPkce("rp"));
  clock_.Advance(std::chrono::seconds(61));
  nonce_.clear();
  ExpectError(Send("/token", CodeForm(fapi_code), "fapi", dpop_.get()), 400, "invalid_grant", "code at 61 s");
  // Another client's code lives as configured.
  HttpResponse rp = TokenBasic({{"grant_type", "authorization_code"}, {"code", rp_code}, {"redirect_uri", kRedirect},
                                {"code_verifier", kVerifier}});
  EXPECT_EQ(rp.status, 200) << rp.body;
}

TEST_F(FapiTest, PushedRequestUriLivesUnderSixHundredSeconds) {
  options_.par_ttl_seconds = 900;
  Rebuild();
  HttpResponse fapi = Send("/par", PushParams("fapi"), "fapi");
  ASSERT_EQ(fapi.status, 201) << fapi.body;
  EXPECT_EQ(Json(fapi)["expires_in"], 599);
  HttpResponse rp = Send("/par", PushParams("rp"), "rp");
  ASSERT_EQ(rp.status, 201) << rp.body;
  EXPECT_EQ(Json(rp)["expires_in"], 900);
}

// ---- dpop_jkt (RFC 9449 §10), for every client ----

TEST_F(FapiTest, DpopJktBindsTheCodeToThatKey) {
  Params p = WithPkce("rp");
  p.emplace("dpop_jkt", Thumbprint(*dpop_));
  std::string code = CodeFor(p);
  ASSERT_FALSE(code.empty());
  ExpectError(Send("/token", CodeForm(code), "rp"), 400, "invalid_dpop_proof", "bound code without proof");
  std::string code2 = CodeFor(p);
  ExpectError(Send("/token", CodeForm(code2), "rp", other_dpop_.get()), 400, "invalid_dpop_proof",
              "bound code, other key");
  std::string code3 = CodeFor(p);
  HttpResponse ok = Send("/token", CodeForm(code3), "rp", dpop_.get());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["token_type"], "DPoP");

  // Not a thumbprint: invalid_request at the redirect URI.
  Params bad = WithPkce("rp");
  bad.emplace("dpop_jkt", "not-a-thumbprint");
  EXPECT_EQ(ParamGet(LocationParams(Authorize(bad)), "error").value_or(""), "invalid_request");
}

TEST_F(FapiTest, DpopProofAtTheParEndpointBindsTheCode) {
  // The proof's key at /par binds the code (RFC 9449 §10.1).
  std::string code = PushedCode("fapi", PushParams("fapi"), dpop_.get());
  ExpectError(Send("/token", CodeForm(code), "fapi", other_dpop_.get()), 400, "invalid_dpop_proof",
              "code bound at /par, other key");
  std::string code2 = PushedCode("fapi", PushParams("fapi"), dpop_.get());
  EXPECT_EQ(Send("/token", CodeForm(code2), "fapi", dpop_.get()).status, 200);
  // dpop_jkt and a proof by another key: refused, nothing stored.
  size_t stored = store_->List(oidc_internal::kParNs).value().size();
  Params p = PushParams("fapi");
  p.emplace("dpop_jkt", Thumbprint(*other_dpop_));
  ExpectError(Send("/par", p, "fapi", dpop_.get()), 400, "invalid_dpop_proof", "dpop_jkt and proof differ");
  EXPECT_EQ(store_->List(oidc_internal::kParNs).value().size(), stored);
  // A bad proof at /par is refused too.
  ExpectError(Send("/par", PushParams("fapi"), "fapi", client_rsa_.get(), "-", JwsAlg::kRS256), 400,
              "invalid_dpop_proof", "RS256 proof at /par");
}

// ---- the device_code grant binds like the code grant ----

TEST_F(FapiTest, DeviceGrantTokensAreDpopAndCertificateBound) {
  OidcClient tv = ConfidentialClient("tv");
  tv.grant_types = {kDeviceGrant, "refresh_token"};
  tv.redirect_uris.clear();
  tv.post_logout_redirect_uris.clear();
  tv.tls_client_certificate_bound_access_tokens = true;
  Register(tv);
  HttpRequest start = PostForm("/device_authorization", {{"scope", "openid profile"}}, false);
  start.headers.Set("Authorization", "Basic " + Base64Encode("tv:" + PercentEncode(kSecret)));
  HttpResponse started = op_->DeviceAuthorization(start);
  ASSERT_EQ(started.status, 200) << started.body;
  std::string device_code = Json(started)["device_code"];
  HttpResponse page = op_->DeviceVerification(Get("/device", {{"user_code", Json(started)["user_code"].get<std::string>()}}));
  ASSERT_FALSE(auth_.requests.empty()) << page.body;
  LoginResult res;
  res.txn = auth_.requests.back().txn;
  res.subject = kSubject;
  res.acr = login_acr_;
  res.auth_time = clock_.NowUnixSeconds();
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());

  auto poll = [&](const SigningKey* key, const std::string& cert) {
    HttpRequest req = PostForm("/token", {{"grant_type", kDeviceGrant}, {"device_code", device_code}}, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode("tv:" + PercentEncode(kSecret)));
    req.client_cert_pem = cert;
    if (key) req.headers.Set("DPoP", Proof(*key, "/token"));
    HttpResponse r = op_->Token(req);
    if (auto n = r.headers.Get("DPoP-Nonce")) nonce_ = *n;
    return r;
  };
  // The first proof has no nonce: use_dpop_nonce, with one to use.
  ExpectError(poll(dpop_.get(), cert_.cert_pem), 400, "use_dpop_nonce", "first proof");
  // Registered for certificate-bound tokens: no certificate, no tokens.
  ExpectError(poll(dpop_.get(), ""), 400, "invalid_request", "device grant without certificate");
  HttpResponse r = poll(dpop_.get(), cert_.cert_pem);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(j["token_type"], "DPoP");
  HttpRequest intro = PostForm("/introspect", {{"token", j["access_token"].get<std::string>()}}, false);
  intro.headers.Set("Authorization", "Basic " + Base64Encode("tv:" + PercentEncode(kSecret)));
  auto info = Json(op_->Introspect(intro));
  EXPECT_EQ(info["active"], true);
  EXPECT_EQ(info["cnf"]["jkt"], Thumbprint(*dpop_));
  EXPECT_EQ(info["cnf"]["x5t#S256"], Base64UrlEncode(HexDecode(CertSha256Hex(cert_.cert_pem)).value()));
}

// ---- the CIBA grant binds like the code grant ----

TEST_F(FapiTest, CibaGrantTokensAreDpopAndCertificateBound) {
  options_.ciba_enabled = true;
  Rebuild();
  OidcClient bank = ConfidentialClient("bank");
  bank.grant_types = {"authorization_code", kCibaGrant, "refresh_token"};
  bank.backchannel_token_delivery_mode = "poll";
  bank.tls_client_certificate_bound_access_tokens = true;
  Register(bank);
  login_eid_ = kSubject;
  auto as_bank = [&](HttpRequest& req, const std::string& cert) {
    req.headers.Set("Authorization", "Basic " + Base64Encode("bank:" + PercentEncode(kSecret)));
    req.client_cert_pem = cert;
  };
  // An ordinary login first: the sub the bank names the user by afterwards.
  HttpRequest first = PostForm("/token", {{"grant_type", "authorization_code"},
                                          {"code", CodeFor(AuthParams("bank"))}, {"redirect_uri", kRedirect}},
                               false);
  as_bank(first, cert_.cert_pem);
  HttpResponse login = op_->Token(first);
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string sub = VerifyOurJwt(Json(login)["id_token"]).value("sub", "");
  HttpRequest bc = PostForm("/bc-authorize", {{"scope", "openid profile"}, {"login_hint", sub}}, false);
  as_bank(bc, "");
  HttpResponse ack = op_->BackchannelAuthentication(bc);
  ASSERT_EQ(ack.status, 200) << ack.body;
  const std::string id = Json(ack)["auth_req_id"];
  // The wallet approves from its inbox.
  LoginResult res;
  res.txn = auth_.requests.back().txn;
  res.subject = kSubject;
  res.eid = kSubject;
  res.acr = login_acr_;
  res.auth_time = clock_.NowUnixSeconds();
  ASSERT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  op_->CibaLoginEnded(res.txn);

  auto poll = [&](const SigningKey* key, const std::string& cert, const std::string& htu = "/token") {
    clock_.Advance(std::chrono::seconds(10));  // past the polling interval
    HttpRequest req = PostForm("/token", {{"grant_type", kCibaGrant}, {"auth_req_id", id}}, false);
    as_bank(req, cert);
    if (key) req.headers.Set("DPoP", Proof(*key, htu));
    HttpResponse r = op_->Token(req);
    if (auto n = r.headers.Get("DPoP-Nonce")) nonce_ = *n;
    return r;
  };
  // Each refusal spends nothing: the same auth_req_id redeems afterwards.
  ExpectError(poll(dpop_.get(), cert_.cert_pem), 400, "use_dpop_nonce", "first proof");
  ExpectError(poll(dpop_.get(), cert_.cert_pem, "/elsewhere"), 400, "invalid_dpop_proof", "proof for another URL");
  ExpectError(poll(dpop_.get(), ""), 400, "invalid_request", "CIBA grant without the certificate");
  HttpResponse r = poll(dpop_.get(), cert_.cert_pem);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(j["token_type"], "DPoP");
  HttpRequest intro = PostForm("/introspect", {{"token", j["access_token"].get<std::string>()}}, false);
  as_bank(intro, "");
  auto info = Json(op_->Introspect(intro));
  EXPECT_EQ(info["active"], true);
  EXPECT_EQ(info["cnf"]["jkt"], Thumbprint(*dpop_));
  EXPECT_EQ(info["cnf"]["x5t#S256"], Base64UrlEncode(HexDecode(CertSha256Hex(cert_.cert_pem)).value()));
  // Redeemed once.
  ExpectError(poll(dpop_.get(), cert_.cert_pem), 400, "invalid_grant", "auth_req_id again");
}

}  // namespace
}  // namespace certme::testing
