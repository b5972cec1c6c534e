// Shared test fixture for the OIDC provider: memory store, fake clock,
// generated keys, a fake Authenticator that records Begin() and completes
// logins through SaveLoginResult, a recording LogoutNotifier and a tiny
// cookie jar. Requests are built directly as HttpRequest values.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/http_message.h"
#include "common/random.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/login.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/provider.h"

namespace certme::testing {

inline constexpr char kIssuer[] = "https://idp.test";
inline constexpr char kSubject[] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
inline constexpr char kRedirect[] = "https://rp.example/cb";
inline constexpr char kSecret[] = "s3cret:with/special chars+&=";
// A PKCE pair; the challenge was computed independently with
// `printf %s VERIFIER | openssl dgst -sha256 -binary | base64` (url alphabet, no padding).
inline constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ0kzVwYb9Tkh5M6Hm8e6Ydr1VJQXM";
inline constexpr char kChallenge[] = "PdXylQBe1QaG01j1IMaoP1J-ROlTu0ZEflh57fIxdb0";

// Begin() may run on several threads (concurrency tests); reading
// `requests` is for the test thread after they joined.
class FakeAuthenticator : public Authenticator {
 public:
  HttpResponse Begin(const LoginRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    requests.push_back(request);
    return HttpResponse::Redirect("https://login.test/?txn=" + request.txn);
  }
  std::mutex mu;
  std::vector<LoginRequest> requests;
};

class FakeNotifier : public LogoutNotifier {
 public:
  struct Call {
    std::string client_id, uri, token;
  };
  void PostLogoutToken(const std::string& client_id, const std::string& uri,
                       const std::string& token) override {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back({client_id, uri, token});
  }
  std::mutex mu;
  std::vector<Call> calls;
};

// Query parameters of a redirect's Location.
Params LocationParams(const HttpResponse& r);
// Hidden inputs of a form_post page.
Params FormPostParams(const HttpResponse& r);
std::string Location(const HttpResponse& r);

class OidcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();   // generates the keys once
  void SetUp() override;

  // A confidential client "rp" (client_secret_basic, profile+email, all
  // catalogue attributes) and a public client "spa" (none).
  OidcClient ConfidentialClient(std::string id = "rp") const;
  OidcClient PublicClient() const;
  void Register(const OidcClient& c);
  // Replaces the provider (after changing options_).
  void Rebuild();

  // Requests. `cookies` come from the jar unless the jar is bypassed.
  HttpRequest Get(const std::string& path, const Params& query, bool with_cookies = true) const;
  HttpRequest PostForm(const std::string& path, const Params& form, bool with_cookies = true) const;
  // Remembers Set-Cookie of a response (Max-Age=0 deletes).
  void Absorb(const HttpResponse& r);

  Params AuthParams(const std::string& client_id = "rp", const std::string& scope = "openid profile email") const;
  // GET /authorize; absorbs cookies.
  HttpResponse Authorize(const Params& p);
  // Completes the last Begin() with `subject` and the dev identity's
  // attributes for the requested keys; returns the Resume response.
  HttpResponse LoginAndResume(const std::string& subject = kSubject);
  // Saves what the login step reports for login `lr`: approved as kSubject
  // (each attribute asked for "value of <key>", login_acr_, eID `eid`), or
  // failed with `error`.
  void SaveLoginOutcome(const LoginRequest& lr, const std::string& error, const std::string& eid = "");
  // authorize → login → resume; returns the code (empty on failure).
  std::string CodeFor(const Params& p);
  // POST /token with Basic authentication.
  HttpResponse TokenBasic(const Params& form, const std::string& client_id = "rp",
                          const std::string& secret = kSecret);
  nlohmann::json Json(const HttpResponse& r) const;
  // Verifies one of our JWTs with the provider's keys; returns its payload.
  nlohmann::json VerifyOurJwt(const std::string& jwt, nlohmann::json* header = nullptr) const;

  static std::shared_ptr<SigningKey> rsa_key_;
  static std::shared_ptr<SigningKey> ec_key_;

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<ClientRegistry> clients_;
  ClaimsCatalogue catalogue_;
  FakeAuthenticator auth_;
  FakeNotifier notifier_;
  OidcOptions options_;
  std::unique_ptr<OidcProvider> op_;
  std::map<std::string, std::string> jar_;
  // What LoginAndResume's login reports: its eID (empty: none, as the
  // development login) and level of assurance.
  std::string login_eid_;
  std::string login_acr_ = "http://eidas.europa.eu/LoA/substantial";
};

}  // namespace certme::testing
