// The device login on the service's own page (idp/device_status.h): the
// certme_status_uri of a device authorization, the status it answers as the
// wallet login moves (the real wallet login over the embedded ledger, the
// wallet built from the public pieces), the QR code's renewal, the answers
// for unknown and expired handles (no oracle, no personal data, CORS open),
// the device_code poll settling the page's login, and the script
// /certme-login.js.
#include <gtest/gtest.h>

#include <future>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "crypto/jose.h"
#include "idp/device_status.h"
#include "idp/http/router.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

constexpr char kDeviceGrant[] = "urn:ietf:params:oauth:grant-type:device_code";
constexpr char kSecret[] = "tv-secret-0123456789abcdef0123456789";

class NullNotifier : public LogoutNotifier {
 public:
  void PostLogoutToken(const std::string&, const std::string&, const std::string&) override {}
};

class DeviceStatusTest : public WalletLoginTest {
 protected:
  void SetUp() override {
    WalletLoginTest::SetUp();
    keys_ = std::make_unique<KeySet>(&clock_);
    keys_->Add(GenerateSigningKey("RSA", "rsa-1").value(), KeySet::State::kActive);
    clients_ = NewStoreClientRegistry(*store_);
    OidcClient c;
    c.client_id = "demo-rp";
    c.names = {{"ro", "Serviciu demonstrativ"}, {"en", "Demo service"}};
    c.client_secret_sha256 = HashClientSecret(kSecret);
    c.grant_types = {kDeviceGrant};
    c.scopes = {"openid", "profile", "certme"};
    c.attributes = kAsked;
    ASSERT_TRUE(clients_->Put(c).ok());
    auto cat = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    catalogue_ = std::move(cat).value();
    options_.issuer = kPublic;
    options_.pairwise_salt = Secret(std::string(32, 'k'));
    options_.device_status_uri = true;
    op_ = std::make_unique<OidcProvider>(options_, *store_, *keys_, *clients_, *auth_, catalogue_, notifier_, clock_,
                                         SystemRandom());
    MountDeviceStatus(router_, *op_, *auth_);
    MountLoginComponent(router_);
  }
  void TearDown() override {
    auth_->Drain();
    op_.reset();
    WalletLoginTest::TearDown();
  }

  HttpRequest Form(const std::string& path, const Params& form) {
    HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.form = form;
    std::vector<std::pair<std::string, std::string>> pairs(form.begin(), form.end());
    r.body = EncodeUrlEncoded(pairs);
    r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    r.headers.Set("Authorization", "Basic " + Base64Encode(std::string("demo-rp:") + kSecret));
    return r;
  }
  // The service's backend: a device authorization.
  json Authorize() {
    HttpResponse r = op_->DeviceAuthorization(Form("/device_authorization", {{"scope", "openid profile certme"}}));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  // The service's backend: one poll of the token endpoint.
  json PollToken(const std::string& device_code) {
    return json::parse(op_->Token(Form("/token", {{"grant_type", kDeviceGrant}, {"device_code", device_code}})).body,
                       nullptr, false);
  }
  static std::string HandleOf(const json& device) {
    std::string uri = device.value("certme_status_uri", "");
    auto q = uri.find("?h=");
    return q == std::string::npos ? "" : uri.substr(q + 3);
  }
  // A request through the router, as the server dispatches it.
  HttpResponse Call(const std::string& method, const std::string& path, Params query = {},
                    std::optional<std::string> if_none_match = std::nullopt) {
    RouteMatch m = router_.Match(method, path);
    EXPECT_EQ(m.status, 0) << method << " " << path;
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    if (if_none_match) r.headers.Set("If-None-Match", *if_none_match);
    if (m.handler) return (*m.handler)(r);
    if (!m.async_handler) return HttpResponse::Text(599, "no route");
    auto got = std::make_shared<std::promise<HttpResponse>>();
    (*m.async_handler)(r, [got](HttpResponse resp) { got->set_value(std::move(resp)); });
    auto f = got->get_future();
    if (f.wait_for(seconds(10)) != std::future_status::ready) return HttpResponse::Text(599, "no answer");
    return f.get();
  }
  HttpResponse StatusOf(const std::string& handle, const std::string& known = "") {
    Params q{{"h", handle}};
    if (!known.empty()) q.emplace("state", known);
    return Call("GET", "/device/status", q);
  }
  json StatusJson(const std::string& handle, const std::string& known = "") {
    HttpResponse r = StatusOf(handle, known);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin").value_or(""), "*");
    EXPECT_EQ(r.headers.Get("Cache-Control").value_or(""), "no-store");
    return json::parse(r.body, nullptr, false);
  }
  static std::string CodeOf(const json& status) {
    std::string link = status.value("link", "");
    auto at = link.find("/wallet/v1/l/");
    return at == std::string::npos ? "" : link.substr(at + 13);
  }

  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<ClientRegistry> clients_;
  ClaimsCatalogue catalogue_;
  NullNotifier notifier_;
  OidcOptions options_;
  std::unique_ptr<OidcProvider> op_;
  Router router_;
};

const json kUnknown = {{"state", "unknown"}, {"code_expires_in", 0}, {"login_expires_in", 0}};

TEST_F(DeviceStatusTest, TheAuthorizationNamesAStatusUriWithAHandleStoredHashed) {
  json device = Authorize();
  std::string uri = device.value("certme_status_uri", "");
  EXPECT_EQ(uri.rfind(std::string(kPublic) + "/device/status?h=", 0), 0u) << uri;
  std::string handle = HandleOf(device);
  EXPECT_GE(handle.size(), 43u);  // 256 random bits, base64url
  EXPECT_NE(handle, device.value("device_code", ""));
  EXPECT_EQ(uri.find(device.value("device_code", "")), std::string::npos);
  EXPECT_EQ(store_->Get(oidc_internal::kDeviceStatusNs, handle).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->Get(oidc_internal::kDeviceStatusNs, Sha256Hex(handle)).ok());
  // Without the wallet login's status endpoint, no such member.
  options_.device_status_uri = false;
  OidcProvider plain(options_, *store_, *keys_, *clients_, *auth_, catalogue_, notifier_, clock_, SystemRandom());
  HttpResponse r = plain.DeviceAuthorization(Form("/device_authorization", {{"scope", "openid"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(json::parse(r.body).contains("certme_status_uri"));
}

TEST_F(DeviceStatusTest, ApprovedInTheWalletThePageSeesEveryStateAndThePollGetsTheClaims) {
  json device = Authorize();
  const std::string handle = HandleOf(device);
  json first = StatusJson(handle);
  EXPECT_EQ(first["state"], "waiting");
  EXPECT_EQ(first.value("qr_svg", "").rfind("<svg", 0), 0u);
  const std::string code = CodeOf(first);
  ASSERT_FALSE(code.empty()) << first.dump();
  EXPECT_GT(first["code_expires_in"].get<int64_t>(), 0);
  EXPECT_LE(first["login_expires_in"].get<int64_t>(), device["expires_in"].get<int64_t>());
  // The same login at every request (not one per request).
  EXPECT_EQ(CodeOf(StatusJson(handle)), code);
  EXPECT_EQ(PollToken(device["device_code"])["error"], "authorization_pending");

  // The long-poll answers when the wallet opens the request.
  auto parked = std::async(std::launch::async, [&] { return StatusJson(handle, "waiting"); });
  ASSERT_EQ(parked.wait_for(milliseconds(300)), std::future_status::timeout);
  ASSERT_EQ(Doc(code).status, 200);
  json opened = parked.get();
  EXPECT_EQ(opened["state"], "opened");

  HttpResponse answered = Post(code, Answer(code));
  ASSERT_EQ(answered.status, 200) << answered.body;
  json done = StatusJson(handle, "opened");
  EXPECT_EQ(done["state"], "done");
  EXPECT_FALSE(done.contains("qr_svg"));
  // No personal data in what any origin may read.
  for (const auto& [k, v] : values_) EXPECT_EQ(done.dump().find(v), std::string::npos) << k;
  EXPECT_EQ(done.dump().find(user_.AddressHex().substr(2)), std::string::npos);

  // The service's backend gets the validated claims at its next poll.
  clock_.Advance(seconds(10));
  json tokens = PollToken(device["device_code"]);
  ASSERT_TRUE(tokens.contains("id_token")) << tokens.dump();
  // Redeemed: the page still reads "done" (the login's outcome), nothing else.
  EXPECT_EQ(StatusJson(handle), (json{{"state", "done"}, {"code_expires_in", 0}, {"login_expires_in", 0}}));
}

TEST_F(DeviceStatusTest, RefusedInTheWalletThePageSaysRefusedAndThePollAccessDenied) {
  json device = Authorize();
  const std::string handle = HandleOf(device);
  const std::string code = CodeOf(StatusJson(handle));
  ASSERT_FALSE(code.empty());
  ASSERT_EQ(Post(code, Refusal(code)).status, 200);
  EXPECT_EQ(StatusJson(handle, "waiting")["state"], "refused");
  EXPECT_EQ(PollToken(device["device_code"])["error"], "access_denied");
  // The authorization ended: still refused for the page, never a new login.
  EXPECT_EQ(StatusJson(handle)["state"], "refused");
}

TEST_F(DeviceStatusTest, AnExpiredCodeIsRenewedByPostOnly) {
  json device = Authorize();
  const std::string handle = HandleOf(device);
  const std::string code = CodeOf(StatusJson(handle));
  clock_.Advance(seconds(121));  // the code's lifetime (WalletLoginOptions default 120 s)
  json expired = StatusJson(handle);
  EXPECT_EQ(expired["state"], "code_expired");
  EXPECT_FALSE(expired.contains("qr_svg"));
  EXPECT_EQ(StatusJson(handle)["state"], "code_expired");  // GET changes nothing
  HttpResponse renewed = Call("POST", "/device/status", {{"h", handle}});
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  EXPECT_EQ(renewed.headers.Get("Access-Control-Allow-Origin").value_or(""), "*");
  json fresh = json::parse(renewed.body);
  EXPECT_EQ(fresh["state"], "waiting");
  EXPECT_FALSE(CodeOf(fresh).empty());
  EXPECT_NE(CodeOf(fresh), code);
  // A live code is not replaced.
  json again = json::parse(Call("POST", "/device/status", {{"h", handle}}).body);
  EXPECT_EQ(CodeOf(again), CodeOf(fresh));
}

TEST_F(DeviceStatusTest, UnknownMalformedAndForgottenHandlesAnswerLikeAnUnknownLogin) {
  EXPECT_EQ(StatusJson(SystemRandom().Token()), kUnknown);
  EXPECT_EQ(StatusJson(std::string(4096, 'a')), kUnknown);
  EXPECT_EQ(StatusJson("not a handle\n"), kUnknown);
  EXPECT_EQ(json::parse(Call("POST", "/device/status", {{"h", SystemRandom().Token()}}).body), kUnknown);
  HttpResponse missing = Call("GET", "/device/status");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.headers.Get("Access-Control-Allow-Origin").value_or(""), "*");
  // The device_code is not a handle.
  json device = Authorize();
  EXPECT_EQ(StatusJson(device["device_code"]), kUnknown);
  // Past its lifetime the authorization is expired; once the store forgot
  // it, the handle is unknown like any other.
  const std::string handle = HandleOf(device);
  clock_.Advance(seconds(device["expires_in"].get<int64_t>() + 1));
  EXPECT_EQ(StatusJson(handle)["state"], "expired");
  clock_.Advance(seconds(3600));
  EXPECT_EQ(StatusJson(handle), kUnknown);
}

TEST_F(DeviceStatusTest, PreflightIsOpenToAnyOrigin) {
  HttpResponse r = Call("OPTIONS", "/device/status");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin").value_or(""), "*");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Methods").value_or(""), "GET, POST");
}

TEST_F(DeviceStatusTest, TheScriptIsServedWithItsTextsCorsAndAValidator) {
  HttpResponse r = Call("GET", "/certme-login.js");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin").value_or(""), "*");
  EXPECT_EQ(r.headers.Get("Cross-Origin-Resource-Policy").value_or(""), "cross-origin");
  EXPECT_NE(r.headers.Get("Cache-Control").value_or("").find("max-age="), std::string::npos);
  EXPECT_NE(r.body.find("customElements.define('certme-login'"), std::string::npos);
  // The login pages' own wording in the three languages, filled in.
  EXPECT_EQ(r.body.find("/*@certme-texts@*/"), std::string::npos);
  for (const char* text : {"\"Conectare cu certME\"", "\"Вход через certME\"", "\"Sign in with certME\""})
    EXPECT_NE(r.body.find(text), std::string::npos) << text;
  EXPECT_EQ(r.body.find("eval("), std::string::npos);
  EXPECT_EQ(r.body.find("innerHTML"), std::string::npos);
  const std::string etag = r.headers.Get("ETag").value_or("");
  ASSERT_EQ(etag.size(), 34u);
  HttpResponse again = Call("GET", "/certme-login.js", {}, etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Call("GET", "/certme-login.js", {}, "\"other\"").status, 200);
}

}  // namespace
}  // namespace certme
