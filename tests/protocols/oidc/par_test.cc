// Pushed authorization requests (RFC 9126).
#include "tests/protocols/oidc/oidc_fixture.h"

#include "protocols/oidc/records.h"

namespace certme::testing {
namespace {

constexpr char kPrefix[] = "urn:ietf:params:oauth:request_uri:";

class ParTest : public OidcTest {
 protected:
  void SetUp() override {
    OidcTest::SetUp();
    Register(ConfidentialClient("rp2"));
    OidcClient strict = ConfidentialClient("strict");
    strict.require_pushed_authorization_requests = true;
    Register(strict);
  }

  HttpResponse Push(Params form, const std::string& client_id = "rp") {
    HttpRequest req = PostForm("/par", form, false);
    req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode(client_id) + ":" + PercentEncode(kSecret)));
    return op_->PushedAuthorizationRequest(req);
  }
  // The request_uri of a successful push of the usual parameters.
  std::string PushedUri(const std::string& client_id = "rp") {
    Params p = AuthParams(client_id);
    p.erase("state");
    p.emplace("state", "pushed-state");
    HttpResponse r = Push(p, client_id);
    EXPECT_EQ(r.status, 201) << r.body;
    return Json(r).value("request_uri", "");
  }
  size_t StoredPushes() { return store_->List(oidc_internal::kParNs).value().size(); }
};

TEST_F(ParTest, PushThenAuthorizeWithTheRequestUri) {
  HttpResponse pushed = Push(AuthParams());
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  EXPECT_EQ(pushed.headers.Get("Cache-Control"), "no-store");
  auto j = Json(pushed);
  EXPECT_EQ(j["expires_in"], 60);
  std::string uri = j["request_uri"];
  EXPECT_EQ(uri.rfind(kPrefix, 0), 0u);
  EXPECT_GE(uri.size(), std::string(kPrefix).size() + 32);  // an unguessable handle

  // Only client_id and request_uri at /authorize; state comes from the push.
  std::string code = CodeFor({{"client_id", "rp"}, {"request_uri", PushedUri()}});
  ASSERT_FALSE(code.empty());
  HttpResponse tok = TokenBasic({{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", kRedirect}});
  EXPECT_EQ(tok.status, 200) << tok.body;
}

TEST_F(ParTest, PushedParametersWinOverTheQuery) {
  std::string uri = PushedUri();
  size_t before = auth_.requests.size();
  HttpResponse r = Authorize({{"client_id", "rp"}, {"request_uri", uri}, {"state", "from-the-query"},
                              {"redirect_uri", "https://rp.example/other"}});
  ASSERT_GT(auth_.requests.size(), before) << r.status << r.body;
  HttpResponse done = LoginAndResume();
  ASSERT_EQ(done.status, 302);
  EXPECT_EQ(Location(done).rfind(kRedirect, 0), 0u);
  EXPECT_EQ(ParamGet(LocationParams(done), "state"), "pushed-state");
}

TEST_F(ParTest, RequestUriUsedTwiceIsRefused) {
  std::string uri = PushedUri();
  ASSERT_FALSE(CodeFor({{"client_id", "rp"}, {"request_uri", uri}}).empty());
  HttpResponse again = Authorize({{"client_id", "rp"}, {"request_uri", uri}});
  EXPECT_EQ(again.status, 400);
  EXPECT_FALSE(again.headers.Get("Location").has_value());
}

TEST_F(ParTest, ExpiredRequestUriIsRefused) {
  std::string uri = PushedUri();
  clock_.Advance(std::chrono::seconds(61));
  HttpResponse r = Authorize({{"client_id", "rp"}, {"request_uri", uri}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.headers.Get("Location").has_value());
}

TEST_F(ParTest, AnotherClientsRequestUriIsRefusedAndNotSpent) {
  std::string uri = PushedUri();
  HttpResponse r = Authorize({{"client_id", "rp2"}, {"request_uri", uri}});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(r.headers.Get("Location").has_value());
  EXPECT_FALSE(CodeFor({{"client_id", "rp"}, {"request_uri", uri}}).empty());
}

TEST_F(ParTest, UnknownOrForeignRequestUriIsRefused) {
  EXPECT_EQ(Authorize({{"client_id", "rp"}, {"request_uri", std::string(kPrefix) + "no-such-handle"}}).status, 400);
  // A request object by reference is still unsupported, as before PAR.
  HttpResponse by_reference = Authorize({{"client_id", "rp"}, {"redirect_uri", kRedirect},
                                         {"request_uri", "https://rp.example/request.jwt"}});
  ASSERT_EQ(by_reference.status, 302);
  EXPECT_EQ(ParamGet(LocationParams(by_reference), "error"), "request_uri_not_supported");
  EXPECT_EQ(Authorize({{"client_id", "rp"}, {"request_uri", std::string(kPrefix) + std::string(500, 'a')}}).status, 400);
  EXPECT_EQ(Authorize({{"request_uri", PushedUri()}}).status, 400);  // client_id is required
}

TEST_F(ParTest, BadPushesAreRefusedAndNothingIsStored) {
  Params bad_redirect = AuthParams();
  bad_redirect.erase("redirect_uri");
  bad_redirect.emplace("redirect_uri", "https://evil.example/cb");
  HttpResponse r = Push(bad_redirect);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["error"], "invalid_request");

  // client_id naming another client than the one authenticating.
  HttpResponse other = Push(AuthParams("rp2"), "rp");
  EXPECT_EQ(other.status, 401);
  EXPECT_EQ(Json(other)["error"], "invalid_client");

  Params with_uri = AuthParams();
  with_uri.emplace("request_uri", std::string(kPrefix) + "x");
  EXPECT_EQ(Json(Push(with_uri))["error"], "invalid_request");

  Params bad_type = AuthParams();
  bad_type.erase("response_type");
  bad_type.emplace("response_type", "token");
  EXPECT_EQ(Json(Push(bad_type))["error"], "unsupported_response_type");

  HttpRequest unauthenticated = PostForm("/par", AuthParams(), false);
  HttpResponse u = op_->PushedAuthorizationRequest(unauthenticated);
  EXPECT_EQ(u.status, 401);
  EXPECT_EQ(Json(u)["error"], "invalid_client");

  HttpRequest wrong_secret = PostForm("/par", AuthParams(), false);
  wrong_secret.headers.Set("Authorization", "Basic " + Base64Encode("rp:wrong"));
  EXPECT_EQ(op_->PushedAuthorizationRequest(wrong_secret).status, 401);

  EXPECT_EQ(StoredPushes(), 0u);
}

TEST_F(ParTest, ClientAuthenticationIsNotStored) {
  Params p = AuthParams();
  HttpRequest req = PostForm("/par", p, false);
  req.headers.Set("Authorization", "Basic " + Base64Encode(PercentEncode("rp") + ":" + PercentEncode(kSecret)));
  ASSERT_EQ(op_->PushedAuthorizationRequest(req).status, 201);
  auto all = store_->List(oidc_internal::kParNs).value();
  ASSERT_EQ(all.size(), 1u);
  auto rec = oidc_internal::ParsePushedRequestRecord(all[0].value);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->client_id, "rp");
  for (const auto& [k, v] : rec->params) EXPECT_NE(v, kSecret) << k;
}

TEST_F(ParTest, ClientThatRequiresParIsRefusedWithoutIt) {
  HttpResponse plain = Authorize(AuthParams("strict"));
  ASSERT_EQ(plain.status, 302);
  auto params = LocationParams(plain);
  EXPECT_EQ(ParamGet(params, "error"), "invalid_request");
  EXPECT_EQ(ParamGet(params, "state"), "st-123");
  EXPECT_FALSE(CodeFor({{"client_id", "strict"}, {"request_uri", PushedUri("strict")}}).empty());
}

TEST_F(ParTest, DiscoveryAdvertisesTheEndpoint) {
  auto d = Json(op_->Discovery(Get("/.well-known/openid-configuration", {}, false)));
  EXPECT_EQ(d["pushed_authorization_request_endpoint"], std::string(kIssuer) + "/par");
  EXPECT_EQ(d["require_pushed_authorization_requests"], false);
  bool mounted = false;
  for (const auto& r : OidcProvider::Routes()) mounted |= r.method == "POST" && r.path == "/par";
  EXPECT_TRUE(mounted);
}

}  // namespace
}  // namespace certme::testing
