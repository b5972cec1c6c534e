// private_key_jwt (RFC 7523, OIDC Core §9) and tls_client_auth (RFC 8705).
#include "tests/protocols/oidc/oidc_fixture.h"
#include "tests/protocols/oidc/test_certs.h"

namespace certme::testing {
namespace {

class PrivateKeyJwtTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    client_rsa_ = GenerateSigningKey("RSA", "client-rsa").value();
    client_ec_ = GenerateSigningKey("EC", "client-ec").value();
    OidcClient c = ConfidentialClient("pkj");
    c.token_endpoint_auth_method = "private_key_jwt";
    c.client_secret_sha256.clear();
    c.jwks = nlohmann::json{{"keys", {client_rsa_->ToJwk(), client_ec_->ToJwk()}}}.dump();
    Register(c);
  }

  nlohmann::json Claims() const {
    int64_t now = clock_.NowUnixSeconds();
    return {{"iss", "pkj"}, {"sub", "pkj"}, {"aud", std::string(kIssuer) + "/token"},
            {"iat", now},   {"exp", now + 60}, {"jti", SystemRandom().Token(12)}};
  }
  std::string Assertion(const nlohmann::json& claims, const SigningKey& key, JwsAlg alg) const {
    return SignJwt(key, alg, claims).value();
  }
  HttpResponse Exchange(const std::string& assertion, const std::string& client_id = "pkj",
                        Params extra = {}) {
    std::string code = CodeFor(AuthParams(client_id));
    Params form = {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect},
                   {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                   {"client_assertion", assertion}};
    for (const auto& [k, v] : extra) {
      form.erase(k);
      form.emplace(k, v);
    }
    return op_->Token(PostForm("/token", form, false));
  }

  std::shared_ptr<SigningKey> client_rsa_, client_ec_;
};

TEST_F(PrivateKeyJwtTest, AcceptsRs256Ps256AndEs256Assertions) {
  HttpResponse rs = Exchange(Assertion(Claims(), *client_rsa_, JwsAlg::kRS256));
  EXPECT_EQ(rs.status, 200) << rs.body;
  HttpResponse ps = Exchange(Assertion(Claims(), *client_rsa_, JwsAlg::kPS256));
  EXPECT_EQ(ps.status, 200) << ps.body;
  nlohmann::json issuer_aud = Claims();
  issuer_aud["aud"] = nlohmann::json::array({"https://other.example", kIssuer});
  HttpResponse es = Exchange(Assertion(issuer_aud, *client_ec_, JwsAlg::kES256));
  EXPECT_EQ(es.status, 200) << es.body;
  EXPECT_EQ(VerifyOurJwt(Json(es)["id_token"])["aud"], "pkj");
}

TEST_F(PrivateKeyJwtTest, JtiIsSingleUse) {
  std::string a = Assertion(Claims(), *client_ec_, JwsAlg::kES256);
  EXPECT_EQ(Exchange(a).status, 200);
  HttpResponse again = Exchange(a);
  EXPECT_EQ(again.status, 401);
  EXPECT_EQ(Json(again)["error"], "invalid_client");
}

TEST_F(PrivateKeyJwtTest, RejectsBadAssertions) {
  auto other_key = GenerateSigningKey("EC", "client-ec").value();  // same kid, other key
  struct Case {
    std::string name;
    std::function<void(nlohmann::json&)> edit;
    const SigningKey* key;
  };
  std::vector<Case> cases = {
      {"wrong aud", [](nlohmann::json& c) { c["aud"] = "https://elsewhere.example/token"; }, client_ec_.get()},
      {"no aud", [](nlohmann::json& c) { c.erase("aud"); }, client_ec_.get()},
      {"expired", [&](nlohmann::json& c) { c["exp"] = clock_.NowUnixSeconds() - 120; }, client_ec_.get()},
      {"no exp", [](nlohmann::json& c) { c.erase("exp"); }, client_ec_.get()},
      {"far future exp", [&](nlohmann::json& c) { c["exp"] = clock_.NowUnixSeconds() + 86400; }, client_ec_.get()},
      {"nbf in future", [&](nlohmann::json& c) { c["nbf"] = clock_.NowUnixSeconds() + 600; }, client_ec_.get()},
      {"no jti", [](nlohmann::json& c) { c.erase("jti"); }, client_ec_.get()},
      {"sub differs", [](nlohmann::json& c) { c["sub"] = "rp"; }, client_ec_.get()},
      {"unregistered key", [](nlohmann::json&) {}, other_key.get()},
  };
  for (const auto& c : cases) {
    nlohmann::json claims = Claims();
    c.edit(claims);
    HttpResponse r = Exchange(Assertion(claims, *c.key, JwsAlg::kES256));
    EXPECT_EQ(r.status, 401) << c.name << ": " << r.body;
    EXPECT_EQ(Json(r)["error"], "invalid_client") << c.name;
  }
  // Structural problems.
  EXPECT_EQ(Json(Exchange("not.a.jwt"))["error"], "invalid_client");
  EXPECT_EQ(Json(Exchange(Assertion(Claims(), *client_ec_, JwsAlg::kES256), "pkj",
                          {{"client_assertion_type", "urn:other"}}))["error"],
            "invalid_request");
  EXPECT_EQ(Json(Exchange(Assertion(Claims(), *client_ec_, JwsAlg::kES256), "pkj", {{"client_id", "rp"}}))["error"],
            "invalid_client");
  // An unsigned ("none") assertion never passes.
  std::string none = Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(Claims().dump()) + ".";
  EXPECT_EQ(Json(Exchange(none))["error"], "invalid_client");
  // A secret client cannot switch to assertions.
  nlohmann::json rp_claims = Claims();
  rp_claims["iss"] = rp_claims["sub"] = "rp";
  EXPECT_EQ(Json(Exchange(Assertion(rp_claims, *client_ec_, JwsAlg::kES256), "rp"))["error"], "invalid_client");
}

TEST_F(PrivateKeyJwtTest, AssertionPlusSecretIsTwoMethods) {
  HttpResponse r = Exchange(Assertion(Claims(), *client_ec_, JwsAlg::kES256), "pkj", {{"client_secret", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");
}

TEST_F(PrivateKeyJwtTest, RegisteredCertificateKeyWorksAndUpdatesAreSeen) {
  int64_t now = clock_.NowUnixSeconds();
  TestCert cert = MakeSelfSignedCert({{"CN", "pkj-cert"}}, now - 3600, now + 86400);
  auto cert_key = ParseSigningKeyPem(cert.key_pem, "").value();
  // Before registration the certificate's key is unknown.
  EXPECT_EQ(Exchange(Assertion(Claims(), *cert_key, JwsAlg::kES256)).status, 401);
  OidcClient c = clients_->Get("pkj").value();
  c.jwks.clear();
  c.certificate_pem = cert.cert_pem;
  Register(c);
  HttpResponse r = Exchange(Assertion(Claims(), *cert_key, JwsAlg::kES256));
  EXPECT_EQ(r.status, 200) << r.body;
  // The old JWKS keys no longer work.
  EXPECT_EQ(Exchange(Assertion(Claims(), *client_ec_, JwsAlg::kES256)).status, 401);
}

class TlsClientAuthTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    int64_t now = clock_.NowUnixSeconds();
    good_ = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "rp.example"}}, now - 3600, now + 86400);
    other_ = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "evil.example"}}, now - 3600, now + 86400);
    expired_ = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "rp.example"}}, now - 7200, now - 3600);
    OidcClient c = ConfidentialClient("mtls");
    c.token_endpoint_auth_method = "tls_client_auth";
    c.client_secret_sha256.clear();
    c.tls_client_auth_subject_dn = "CN=rp.example, O=Example RP, C=MD";
    Register(c);
  }
  HttpResponse Exchange(const std::string& cert_pem) {
    std::string code = CodeFor(AuthParams("mtls"));
    HttpRequest req = PostForm("/token", {{"grant_type", "authorization_code"}, {"code", code},
                                          {"redirect_uri", kRedirect}, {"client_id", "mtls"}}, false);
    req.client_cert_pem = cert_pem;
    return op_->Token(req);
  }
  TestCert good_, other_, expired_;
};

TEST_F(TlsClientAuthTest, SubjectDnMatch) {
  HttpResponse ok = Exchange(good_.cert_pem);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(Exchange(other_.cert_pem))["error"], "invalid_client");
  EXPECT_EQ(Json(Exchange(""))["error"], "invalid_client");
  EXPECT_EQ(Json(Exchange(expired_.cert_pem))["error"], "invalid_client");
  EXPECT_EQ(Json(Exchange("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n"))["error"],
            "invalid_client");
}

TEST_F(TlsClientAuthTest, ThumbprintMatch) {
  OidcClient c = clients_->Get("mtls").value();
  c.tls_client_auth_subject_dn.clear();
  c.tls_client_certificate_sha256 = CertSha256Hex(good_.cert_pem);
  Register(c);
  EXPECT_EQ(Exchange(good_.cert_pem).status, 200);
  // Same subject, different certificate: refused.
  TestCert twin = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "rp.example"}},
                                     clock_.NowUnixSeconds() - 60, clock_.NowUnixSeconds() + 3600);
  EXPECT_EQ(Exchange(twin.cert_pem).status, 401);
  // Base64url form of the thumbprint works too.
  c.tls_client_certificate_sha256 = Base64UrlEncode(*HexDecode(CertSha256Hex(good_.cert_pem)));
  Register(c);
  EXPECT_EQ(Exchange(good_.cert_pem).status, 200);
}

TEST_F(TlsClientAuthTest, CertificateDoesNotAuthenticateOtherMethods) {
  // A secret client presenting a certificate but no secret is not authenticated.
  std::string code = CodeFor(AuthParams());
  HttpRequest req = PostForm("/token", {{"grant_type", "authorization_code"}, {"code", code},
                                        {"redirect_uri", kRedirect}, {"client_id", "rp"}}, false);
  req.client_cert_pem = good_.cert_pem;
  EXPECT_EQ(op_->Token(req).status, 401);
}

}  // namespace
}  // namespace certme::testing
