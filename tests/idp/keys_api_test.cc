// The signing-key rollover through the administration API: the scopes it
// needs (keys: administrators only, never by default), the acts, the audit
// entries, and bad input refused with its cause and nothing changed. And
// the SAML start key from a PKCS#12 bundle (saml.signing_p12_file).
#include "idp/keys_api.h"

#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "admin/admin_test_util.h"
#include "common/encoding.h"
#include "crypto/evp.h"
#include "idp/admin/console.h"
#include "idp/http/router.h"
#include "idp/saml_mount.h"
#include "protocols/saml/dsig.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

// A PKCS#12 bundle of `key` and its self-signed certificate.
std::pair<std::string, std::string> Bundle(const SigningKey& key, const std::string& password) {
  auto der = saml::MakeSelfSignedCertificate(BorrowEvpPkey(key), "p12", 1'600'000'000, 30, SystemRandom());
  EXPECT_TRUE(der.ok());
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der->size()));
  PKCS12* p12 = PKCS12_create(password.c_str(), "k", BorrowEvpPkey(key), x, nullptr, 0, 0, 0, 0, 0);
  unsigned char* out = nullptr;
  int n = i2d_PKCS12(p12, &out);
  std::string bytes(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  PKCS12_free(p12);
  X509_free(x);
  return {bytes, *der};
}

class KeysApiTest : public ::testing::Test {
 protected:
  KeysApiTest()
      : store_(NewMemoryStore({&clock_})),
        audit_(*store_, clock_),
        accounts_(admin::AccountOptions{.hash = {.memory_kib = 1024, .iterations = 1, .parallelism = 1}}, *store_,
                  audit_, clock_, random_),
        services_(*store_, {"test", "https://t", store_.get()}, std::nullopt, admin::testing::Catalogue(), audit_,
                  clock_, random_),
        console_(admin::ConsoleOptions{}, accounts_, services_, audit_),
        keys_(*store_, std::string(32, 'k'), clock_, SystemRandom()) {
    EXPECT_TRUE(accounts_.CreateUser("cli", "ana", Secret("a long enough password")).ok());  // administrator
    EXPECT_TRUE(accounts_.CreateUser("cli", "ion", Secret("a long enough password"), admin::Role::kApprover).ok());
    default_token_ = accounts_.CreateToken("cli", "ana", "default")->reveal();
    keys_token_ = accounts_.CreateToken("cli", "ana", "keys", {.scopes = {"read", "keys"}})->reveal();
    auto start = GenerateSigningKey("RSA", "rsa-1");
    EXPECT_TRUE(keys_.Seed(KeyUse::kOidc, {{*start, ""}}, policy_).ok());
    MountKeysApi(console_, audit_, router_, keys_, policy_);
  }

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& token,
                    const nlohmann::json& body = nullptr) {
    auto m = router_.Match(method, path);
    EXPECT_EQ(m.status, 0) << method << " " << path;
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.path_params = m.path_params;
    if (!body.is_null()) req.body = body.dump();
    req.headers.Set("content-type", "application/json");
    req.headers.Set("authorization", "Bearer " + token);
    return (*m.handler)(req);
  }

  static nlohmann::json Json(const HttpResponse& r) { return nlohmann::json::parse(r.body); }
  int64_t Version() { return (*keys_.Read())->version; }

  FakeClock clock_;
  FakeRandom random_;
  RolloverPolicy policy_{.pre_publication_seconds = 60, .retired_retention_seconds = 600};
  std::unique_ptr<Store> store_;
  admin::AuditLog audit_;
  admin::AdminAccounts accounts_;
  admin::ServiceAdmin services_;
  admin::AdminConsole console_;
  SigningKeyStore keys_;
  Router router_;
  std::string default_token_, keys_token_;
};

TEST_F(KeysApiTest, RollsOverWithTheKeysScopeAndAuditsEachChange) {
  auto next = GenerateSigningKey("RSA", "");
  auto pem = SigningKeyToPem(**next);
  auto added = Call("POST", "/admin/api/v1/keys", keys_token_, {{"use", "oidc"}, {"kid", "rsa-2"}, {"pem", *pem}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Json(added)["state"], "next");
  EXPECT_EQ(Json(added)["promotable_at"], clock_.NowUnixSeconds() + 60);
  EXPECT_EQ(added.body.find("PRIVATE"), std::string::npos);

  auto early = Call("POST", "/admin/api/v1/keys/rsa-2/promote", keys_token_);
  EXPECT_EQ(early.status, 409);
  EXPECT_NE(Json(early)["message"].get<std::string>().find("pre-publication"), std::string::npos);
  clock_.Advance(std::chrono::seconds(60));
  auto promoted = Call("POST", "/admin/api/v1/keys/rsa-2/promote", keys_token_);
  ASSERT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(Json(promoted)["state"], "active");

  auto list = Json(Call("GET", "/admin/api/v1/keys", default_token_));
  ASSERT_EQ(list["keys"].size(), 2u);
  EXPECT_EQ(list["keys"][0]["kid"], "rsa-1");
  EXPECT_EQ(list["keys"][0]["state"], "retired");
  EXPECT_EQ(list["keys"][0]["unpublish_at"], clock_.NowUnixSeconds() + 600);

  auto retire = Call("POST", "/admin/api/v1/keys/rsa-2/retire", keys_token_);
  EXPECT_EQ(retire.status, 409);
  EXPECT_NE(Json(retire)["message"].get<std::string>().find("without an active"), std::string::npos);
  EXPECT_EQ(Call("POST", "/admin/api/v1/keys/nope/retire", keys_token_).status, 404);

  std::vector<std::string> actions;
  auto entries = audit_.List();
  ASSERT_TRUE(entries.ok());
  for (const auto& e : *entries)
    if (e.action.rfind("signing_key.", 0) == 0) actions.push_back(e.action + " " + e.target + " " + e.actor);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].substr(0, actions[0].find(" (")), "signing_key.add rsa-2 ana");
  EXPECT_EQ(actions[1].substr(0, actions[1].find(" (")), "signing_key.promote rsa-2 ana");
}

TEST_F(KeysApiTest, ChangesNeedTheKeysScopeWhichNoTokenHasByDefault) {
  const int64_t before = Version();
  auto pem = *SigningKeyToPem(**GenerateSigningKey("EC", ""));
  nlohmann::json body = {{"use", "oidc"}, {"pem", pem}};
  auto r = Call("POST", "/admin/api/v1/keys", default_token_, body);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Json(r)["scope"], "keys");
  EXPECT_EQ(Call("POST", "/admin/api/v1/keys/rsa-1/retire", default_token_).status, 403);
  // An approver may not hold it at all.
  auto approver = accounts_.CreateToken("cli", "ion", "k", {.scopes = {"keys"}});
  EXPECT_EQ(approver.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Version(), before);
}

TEST_F(KeysApiTest, BadKeyInputIsRefusedWithItsCause) {
  const int64_t before = Version();
  auto ca = GenerateSigningKey("RSA", "saml-x");
  auto cert = saml::MakeSelfSignedCertificate(BorrowEvpPkey(**ca), "x", 1'600'000'000, 30, SystemRandom());
  ASSERT_TRUE(cert.ok());
  auto p12_of_nothing = Base64Encode("not a bundle");
  struct Case {
    nlohmann::json body;
    std::string says;
  } cases[] = {
      {{{"use", "oidc"}}, "exactly one of"},
      {{{"use", "ldap"}, {"pem", "x"}}, "\"use\""},
      {{{"use", "oidc"}, {"pem", 7}}, "must be a string"},
      {{{"use", "oidc"}, {"pkcs12", "%%%"}}, "not base64"},
      {{{"use", "oidc"}, {"pkcs12", p12_of_nothing}}, "not a PKCS#12 file"},
      {{{"use", "oidc"}, {"pem", CertificateDerToPem(*cert)}}, "not a PEM private key"},
      {{{"use", "saml"}, {"pem", *SigningKeyToPem(**ca)}}, "needs its certificate"},
      {{{"use", "oidc"}, {"kid", "rsa-1"}, {"pem", *SigningKeyToPem(**ca)}}, "already in use"},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", "/admin/api/v1/keys", keys_token_, c.body);
    EXPECT_EQ(r.status, 400) << c.body.dump() << " " << r.body;
    EXPECT_NE(Json(r)["message"].get<std::string>().find(c.says), std::string::npos) << r.body;
  }
  EXPECT_EQ(Version(), before);
}

TEST_F(KeysApiTest, AddsAPkcs12BundleWithItsCertificate) {
  auto key = GenerateSigningKey("RSA", "");
  auto [p12, cert] = Bundle(**key, "s3cret");
  auto wrong = Call("POST", "/admin/api/v1/keys", keys_token_,
                    {{"use", "saml"}, {"pkcs12", Base64Encode(p12)}, {"password", "nope"}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("wrong PKCS#12 password"), std::string::npos) << wrong.body;
  auto added = Call("POST", "/admin/api/v1/keys", keys_token_,
                    {{"use", "saml"}, {"kid", "saml-2"}, {"pkcs12", Base64Encode(p12)}, {"password", "s3cret"}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Json(added)["certificate"], CertificateDerToPem(cert));
  EXPECT_EQ((*keys_.Read())->Find("saml-2")->certificate_der, cert);
}

TEST(SamlStartKeyTest, ComesFromAPkcs12BundleAndAWrongPasswordIsNamed) {
  auto dir = std::filesystem::temp_directory_path() / ("certme-saml-p12-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = GenerateSigningKey("RSA", "");
  auto [p12, cert] = Bundle(**key, "s3cret");
  std::ofstream((dir / "saml.p12").string(), std::ios::binary) << p12;
  Config c;
  c.dev_mode = false;
  c.saml.signing_p12_file = (dir / "saml.p12").string();
  c.saml.signing_p12_password = Secret("s3cret");
  KeySet none;
  auto signer = LoadSamlSigner(c, none);
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->certificate_der, cert);
  EXPECT_EQ(signer->key->ToPem(), (*key)->ToPem());

  c.saml.signing_p12_password = Secret("wrong");
  auto wrong = LoadSamlSigner(c, none);
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(wrong.status().message().find("wrong PKCS#12 password"), std::string::npos);
  c.saml.signing_p12_file = (dir / "missing.p12").string();
  auto missing = LoadSamlSigner(c, none);
  EXPECT_NE(missing.status().message().find("missing.p12"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace certme
