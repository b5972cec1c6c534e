// Certificate-bound access tokens (RFC 8705 §3): the client certificate the
// TLS proxy forwarded at the token request binds the token (cnf.x5t#S256);
// UserInfo accepts it only with the same certificate; introspection shows it.
#include "tests/protocols/oidc/oidc_fixture.h"

#include "tests/protocols/oidc/test_certs.h"

namespace certme::testing {
namespace {

class CertBoundTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    int64_t now = clock_.NowUnixSeconds();
    good_ = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "rp.example"}}, now - 3600, now + 86400);
    twin_ = MakeSelfSignedCert({{"C", "MD"}, {"O", "Example RP"}, {"CN", "rp.example"}}, now - 3600, now + 86400);
    OidcClient c = ConfidentialClient("mtls");
    c.token_endpoint_auth_method = "tls_client_auth";
    c.client_secret_sha256.clear();
    c.tls_client_auth_subject_dn = "CN=rp.example, O=Example RP, C=MD";
    c.tls_client_certificate_bound_access_tokens = true;
    Register(c);
  }

  HttpResponse Exchange(const std::string& client_id, const std::string& cert_pem) {
    std::string code = CodeFor(AuthParams(client_id));
    HttpRequest req = PostForm("/token", {{"grant_type", "authorization_code"}, {"code", code},
                                          {"redirect_uri", kRedirect}, {"client_id", client_id}}, false);
    req.client_cert_pem = cert_pem;
    if (client_id == "rp")
      req.headers.Set("Authorization", "Basic " + Base64Encode("rp:" + PercentEncode(kSecret)));
    return op_->Token(req);
  }

  HttpResponse UserInfo(const std::string& token, const std::string& cert_pem) {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", "Bearer " + token);
    req.client_cert_pem = cert_pem;
    return op_->UserInfo(req);
  }

  TestCert good_, twin_;
};

TEST_F(CertBoundTest, TokenIsBoundToTheForwardedCertificate) {
  HttpResponse r = Exchange("mtls", good_.cert_pem);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = Json(r);
  EXPECT_EQ(j["token_type"], "Bearer");  // RFC 8705 §3: still a bearer-type token
  std::string at = j["access_token"];

  EXPECT_EQ(UserInfo(at, good_.cert_pem).status, 200);
  for (const std::string& cert : {std::string(), twin_.cert_pem, std::string("garbage")}) {
    HttpResponse u = UserInfo(at, cert);
    EXPECT_EQ(u.status, 401) << u.body;
    EXPECT_NE(u.headers.Get("WWW-Authenticate").value_or("").find("error=\"invalid_token\""), std::string::npos);
  }

  HttpRequest introspect = PostForm("/introspect", {{"token", at}, {"client_id", "mtls"}}, false);
  introspect.client_cert_pem = good_.cert_pem;
  auto info = Json(op_->Introspect(introspect));
  EXPECT_EQ(info["active"], true);
  std::string expected = Base64UrlEncode(*HexDecode(CertSha256Hex(good_.cert_pem)));
  EXPECT_EQ(info["cnf"]["x5t#S256"], expected);
  EXPECT_EQ(info["token_type"], "Bearer");
}

TEST_F(CertBoundTest, SecretClientRegisteredForBoundTokensNeedsACertificate) {
  OidcClient rp = ConfidentialClient();
  rp.tls_client_certificate_bound_access_tokens = true;
  Register(rp);
  HttpResponse none = Exchange("rp", "");
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(Json(none)["error"], "invalid_request");
  HttpResponse ok = Exchange("rp", twin_.cert_pem);
  ASSERT_EQ(ok.status, 200) << ok.body;
  std::string at = Json(ok)["access_token"];
  EXPECT_EQ(UserInfo(at, twin_.cert_pem).status, 200);
  EXPECT_EQ(UserInfo(at, good_.cert_pem).status, 401);
}

TEST_F(CertBoundTest, UnboundClientsTokensNeedNoCertificate) {
  HttpResponse r = Exchange("rp", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(UserInfo(Json(r)["access_token"], "").status, 200);
}

}  // namespace
}  // namespace certme::testing
