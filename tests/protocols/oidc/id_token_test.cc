// ID tokens checked by an independent implementation (cpp-jwt), subjects
// (OIDC Core §8) and claim release (§5.4, §5.5).
#include <jwt/jwt.hpp>

#include "tests/protocols/oidc/oidc_fixture.h"

namespace certme::testing {
namespace {

class IdTokenTest : public OidcTest {
 protected:
  nlohmann::json Tokens(const std::string& client_id, const Params& extra = {},
                        const std::string& scope = "openid profile email") {
    Params p = AuthParams(client_id, scope);
    for (const auto& [k, v] : extra) {
      p.erase(k);
      p.emplace(k, v);
    }
    std::string code = CodeFor(p);
    EXPECT_FALSE(code.empty());
    return Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}},
                           client_id));
  }
  std::string UserInfoBody(const std::string& access_token) {
    HttpRequest req = Get("/userinfo", {}, false);
    req.headers.Set("Authorization", "Bearer " + access_token);
    HttpResponse r = op_->UserInfo(req);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
};

TEST_F(IdTokenTest, Rs256IdTokenVerifiesWithCppJwt) {
  // cpp-jwt checks exp against the real clock: issue at real time.
  clock_.SetUnixMillis(SystemClock().NowUnixMillis());
  auto j = Tokens("rp");
  std::string token = j["id_token"];
  std::error_code ec;
  auto obj = jwt::decode(token, jwt::params::algorithms({"RS256"}), ec,
                         jwt::params::secret(rsa_key_->ToPem()), jwt::params::verify(true),
                         jwt::params::issuer(kIssuer), jwt::params::aud("rp"));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(obj.header().algo(), jwt::algorithm::RS256);
  EXPECT_EQ(obj.payload().get_claim_value<std::string>("iss"), kIssuer);
  EXPECT_EQ(obj.payload().get_claim_value<std::string>("nonce"), "n-456");

  // A changed payload must fail in cpp-jwt too.
  size_t dot1 = token.find('.'), dot2 = token.find('.', dot1 + 1);
  auto payload = nlohmann::json::parse(*Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1)));
  payload["sub"] = "someone-else";
  std::string forged = token.substr(0, dot1 + 1) + Base64UrlEncode(payload.dump()) + token.substr(dot2);
  std::error_code ec2;
  jwt::decode(forged, jwt::params::algorithms({"RS256"}), ec2, jwt::params::secret(rsa_key_->ToPem()),
              jwt::params::verify(true));
  EXPECT_EQ(ec2, jwt::AlgorithmErrc::VerificationErr) << ec2.message();
}

TEST_F(IdTokenTest, Es256IdTokenVerifiesWithCppJwt) {
  OidcClient c = ConfidentialClient("ec-client");
  c.id_token_signed_response_alg = "ES256";
  Register(c);
  clock_.SetUnixMillis(SystemClock().NowUnixMillis());
  auto j = Tokens("ec-client");
  std::string token = j["id_token"];
  nlohmann::json header;
  VerifyOurJwt(token, &header);
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["kid"], "ec-1");
  std::error_code ec;
  auto obj = jwt::decode(token, jwt::params::algorithms({"ES256"}), ec,
                         jwt::params::secret(ec_key_->ToPem()), jwt::params::verify(true),
                         jwt::params::issuer(kIssuer), jwt::params::aud("ec-client"));
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(obj.payload().get_claim_value<std::string>("aud"), "ec-client");
  // The RSA key must not verify it.
  std::error_code ec2;
  jwt::decode(token, jwt::params::algorithms({"ES256"}), ec2, jwt::params::secret(rsa_key_->ToPem()),
              jwt::params::verify(true));
  EXPECT_TRUE(bool(ec2));
}

TEST_F(IdTokenTest, Ps256WhenTheClientAsksForIt) {
  OidcClient c = ConfidentialClient("ps-client");
  c.id_token_signed_response_alg = "PS256";
  Register(c);
  nlohmann::json header;
  auto id = VerifyOurJwt(Tokens("ps-client")["id_token"], &header);
  EXPECT_EQ(header["alg"], "PS256");
  EXPECT_EQ(id["aud"], "ps-client");
}

TEST_F(IdTokenTest, PairwiseSubjectsDifferPerSectorAndStayStable) {
  OidcClient other = ConfidentialClient("other-sector");
  other.redirect_uris = {"https://other.example/cb"};
  Register(other);
  std::string sub_rp = VerifyOurJwt(Tokens("rp")["id_token"])["sub"];
  std::string sub_rp_again = VerifyOurJwt(Tokens("rp")["id_token"])["sub"];
  EXPECT_EQ(sub_rp, sub_rp_again);
  EXPECT_NE(sub_rp, kSubject);
  EXPECT_EQ(sub_rp.size(), 43u);  // base64url of 32 bytes
  // Same sector (host rp.example) through another client: same subject.
  OidcClient same_host = ConfidentialClient("same-host");
  Register(same_host);
  EXPECT_EQ(VerifyOurJwt(Tokens("same-host")["id_token"])["sub"], sub_rp);
  // Another host: another subject.
  Params p = AuthParams("other-sector");
  p.erase("redirect_uri");
  p.emplace("redirect_uri", "https://other.example/cb");
  std::string code = CodeFor(p);
  auto j = Json(TokenBasic({{"grant_type", "authorization_code"}, {"code", code},
                            {"redirect_uri", "https://other.example/cb"}}, "other-sector"));
  EXPECT_NE(VerifyOurJwt(j["id_token"])["sub"], sub_rp);
  // Another salt: another subject.
  options_.pairwise_salt = Secret(std::string(32, 'z'));
  Rebuild();
  EXPECT_NE(VerifyOurJwt(Tokens("rp")["id_token"])["sub"], sub_rp);
}

TEST_F(IdTokenTest, PublicSubjectIsTheEidAddress) {
  OidcClient c = ConfidentialClient("pub");
  c.subject_type = "public";
  Register(c);
  auto j = Tokens("pub");
  EXPECT_EQ(VerifyOurJwt(j["id_token"])["sub"], kSubject);
  EXPECT_EQ(nlohmann::json::parse(UserInfoBody(j["access_token"]))["sub"], kSubject);
}

TEST_F(IdTokenTest, UserInfoHasTheSameSubjectAndTheScopeClaims) {
  auto j = Tokens("rp", {}, "openid profile email certme");
  auto id = VerifyOurJwt(j["id_token"]);
  auto ui = nlohmann::json::parse(UserInfoBody(j["access_token"]));
  EXPECT_EQ(ui["sub"], id["sub"]);
  EXPECT_EQ(ui["given_name"], "Ion");
  EXPECT_EQ(ui["locale"], "ro");
  EXPECT_EQ(ui["email"], "ion.popescu@example.md");
  EXPECT_EQ(ui["idnp"], "2001234567890");
  EXPECT_FALSE(ui.contains("phone_number"));  // phone scope not requested
}

TEST_F(IdTokenTest, ClaimsParameterReleasesIndividualClaimsPerTarget) {
  Params extra = {{"claims", R"({"id_token":{"phone_number":{"essential":true}},"userinfo":{"idnp":null}})"}};
  auto j = Tokens("rp", extra, "openid");
  auto id = VerifyOurJwt(j["id_token"]);
  EXPECT_EQ(id["phone_number"], "+37369123456");
  EXPECT_FALSE(id.contains("idnp"));
  auto ui = nlohmann::json::parse(UserInfoBody(j["access_token"]));
  EXPECT_EQ(ui["idnp"], "2001234567890");
  EXPECT_FALSE(ui.contains("phone_number"));
  EXPECT_FALSE(ui.contains("given_name"));
}

TEST_F(IdTokenTest, ClaimsTheClientMayNotReceiveAreWithheld) {
  OidcClient c = ConfidentialClient("limited");
  c.attributes = {"first_name"};
  c.scopes = {"openid", "profile", "email"};
  Register(c);
  Params extra = {{"claims", R"({"id_token":{"idnp":null,"email":null}})"}};
  auto j = Tokens("limited", extra);
  auto id = VerifyOurJwt(j["id_token"]);
  EXPECT_EQ(id["given_name"], "Ion");
  for (const char* withheld : {"family_name", "email", "idnp", "birthdate"})
    EXPECT_FALSE(id.contains(withheld)) << withheld;
  auto ui = nlohmann::json::parse(UserInfoBody(j["access_token"]));
  EXPECT_FALSE(ui.contains("family_name"));
}

}  // namespace
}  // namespace certme::testing
