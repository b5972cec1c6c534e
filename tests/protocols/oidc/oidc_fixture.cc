#include "tests/protocols/oidc/oidc_fixture.h"

#include "idp/login/dev_authenticator.h"
#include "store/memory/memory_store.h"

namespace certme::testing {

std::shared_ptr<SigningKey> OidcTest::rsa_key_;
std::shared_ptr<SigningKey> OidcTest::ec_key_;

std::string Location(const HttpResponse& r) { return r.headers.Get("Location").value_or(""); }

Params LocationParams(const HttpResponse& r) {
  std::string loc = Location(r);
  size_t q = loc.find('?');
  if (q == std::string::npos) return {};
  return ParseUrlEncoded(loc.substr(q + 1)).value_or(Params{});
}

Params FormPostParams(const HttpResponse& r) {
  Params out;
  const std::string& b = r.body;
  size_t pos = 0;
  while ((pos = b.find("<input type=\"hidden\" name=\"", pos)) != std::string::npos) {
    pos += 27;
    size_t end = b.find('"', pos);
    std::string name = b.substr(pos, end - pos);
    size_t v = b.find("value=\"", end) + 7;
    size_t vend = b.find('"', v);
    out.emplace(name, b.substr(v, vend - v));  // our values are URL-safe: no unescaping needed
    pos = vend;
  }
  return out;
}

void OidcTest::SetUpTestSuite() {
  if (!rsa_key_) rsa_key_ = GenerateSigningKey("RSA", "rsa-1").value();
  if (!ec_key_) ec_key_ = GenerateSigningKey("EC", "ec-1").value();
}

void OidcTest::SetUp() {
  MemoryStoreOptions mo;
  mo.clock = &clock_;
  store_ = NewMemoryStore(mo);
  keys_ = std::make_unique<KeySet>(&clock_);
  keys_->Add(rsa_key_, KeySet::State::kActive);
  keys_->Add(ec_key_, KeySet::State::kActive);
  clients_ = NewStoreClientRegistry(*store_);
  auto cat = ClaimsCatalogue::LoadFile(std::string(CERTME_SOURCE_DIR) + "/config/claims.yaml");
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  catalogue_ = std::move(cat).value();
  options_.issuer = kIssuer;
  options_.pairwise_salt = Secret(std::string(32, 'k'));
  Register(ConfidentialClient());
  Register(PublicClient());
  Rebuild();
}

void OidcTest::Rebuild() {
  ASSERT_TRUE(ValidateOidcOptions(options_).ok()) << ValidateOidcOptions(options_).ToString();
  op_ = std::make_unique<OidcProvider>(options_, *store_, *keys_, *clients_, auth_, catalogue_,
                                       notifier_, clock_, SystemRandom());
}

OidcClient OidcTest::ConfidentialClient(std::string id) const {
  OidcClient c;
  c.client_id = std::move(id);
  c.names = {{"ro", "Serviciul de test"}, {"en", "Test service"}};
  c.client_secret_sha256 = HashClientSecret(kSecret);
  c.redirect_uris = {kRedirect, "https://rp.example/other"};
  c.post_logout_redirect_uris = {"https://rp.example/bye"};
  c.grant_types = {"authorization_code", "refresh_token"};
  c.scopes = {"openid", "profile", "email", "phone", "certme"};
  for (const auto& d : catalogue_.all()) c.attributes.push_back(d.key);
  return c;
}

OidcClient OidcTest::PublicClient() const {
  OidcClient c;
  c.client_id = "spa";
  c.redirect_uris = {"https://spa.example/cb"};
  c.token_endpoint_auth_method = "none";
  c.scopes = {"openid", "profile"};
  c.attributes = {"first_name", "last_name"};
  return c;
}

void OidcTest::Register(const OidcClient& c) {
  Status st = clients_->Put(c);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

HttpRequest OidcTest::Get(const std::string& path, const Params& query, bool with_cookies) const {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = query;
  std::vector<std::pair<std::string, std::string>> pairs(query.begin(), query.end());
  r.raw_query = EncodeUrlEncoded(pairs);
  if (with_cookies)
    for (const auto& [k, v] : jar_) r.cookies[k] = v;
  return r;
}

HttpRequest OidcTest::PostForm(const std::string& path, const Params& form, bool with_cookies) const {
  HttpRequest r;
  r.method = "POST";
  r.path = path;
  r.form = form;
  std::vector<std::pair<std::string, std::string>> pairs(form.begin(), form.end());
  r.body = EncodeUrlEncoded(pairs);
  r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  if (with_cookies)
    for (const auto& [k, v] : jar_) r.cookies[k] = v;
  return r;
}

void OidcTest::Absorb(const HttpResponse& r) {
  for (const auto& c : r.cookies) {
    if (c.max_age_seconds == 0) jar_.erase(c.name);
    else jar_[c.name] = c.value;
  }
}

Params OidcTest::AuthParams(const std::string& client_id, const std::string& scope) const {
  Params p = {{"response_type", "code"}, {"client_id", client_id}, {"scope", scope},
              {"state", "st-123"},       {"nonce", "n-456"}};
  if (client_id == "spa") {
    p.emplace("redirect_uri", "https://spa.example/cb");
    p.emplace("code_challenge", kChallenge);
    p.emplace("code_challenge_method", "S256");
  } else {
    p.emplace("redirect_uri", kRedirect);
  }
  return p;
}

HttpResponse OidcTest::Authorize(const Params& p) {
  HttpResponse r = op_->Authorize(Get("/authorize", p));
  Absorb(r);
  return r;
}

HttpResponse OidcTest::LoginAndResume(const std::string& subject) {
  EXPECT_FALSE(auth_.requests.empty());
  if (auth_.requests.empty()) return HttpResponse::Text(599, "no login");
  const LoginRequest& lr = auth_.requests.back();
  LoginResult res;
  res.txn = lr.txn;
  res.subject = subject;
  for (const auto& id : DevIdentities())
    if (id.subject == subject)
      for (const auto& k : lr.attributes)
        if (auto it = id.attributes.find(k); it != id.attributes.end()) res.attributes[k] = it->second;
  res.acr = login_acr_;
  res.eid = login_eid_;
  res.amr = {"hwk", "user"};
  res.auth_time = clock_.NowUnixSeconds();
  EXPECT_TRUE(SaveLoginResult(*store_, res, 60).ok());
  std::string prefix = std::string(kIssuer) + "/authorize/resume?";
  EXPECT_EQ(lr.resume_url.rfind(prefix, 0), 0u) << lr.resume_url;
  auto q = ParseUrlEncoded(lr.resume_url.substr(prefix.size())).value_or(Params{});
  HttpResponse r = op_->Resume(Get("/authorize/resume", q));
  Absorb(r);
  return r;
}

void OidcTest::SaveLoginOutcome(const LoginRequest& lr, const std::string& error, const std::string& eid) {
  LoginResult res;
  res.txn = lr.txn;
  res.error = error;
  if (error.empty()) {
    res.subject = kSubject;
    res.eid = eid;
    for (const auto& k : lr.attributes) res.attributes[k] = "value of " + k;
    res.acr = login_acr_;
    res.amr = {"hwk", "user"};
    res.auth_time = clock_.NowUnixSeconds();
  }
  EXPECT_TRUE(SaveLoginResult(*store_, res, 60).ok());
}

std::string OidcTest::CodeFor(const Params& p) {
  size_t before = auth_.requests.size();
  HttpResponse r = Authorize(p);
  if (auth_.requests.size() > before) r = LoginAndResume();
  if (r.status != 302) return "";
  return ParamGet(LocationParams(r), "code").value_or("");
}

HttpResponse OidcTest::TokenBasic(const Params& form, const std::string& client_id,
                                  const std::string& secret) {
  HttpRequest req = PostForm("/token", form, false);
  req.headers.Set("Authorization",
                  "Basic " + Base64Encode(PercentEncode(client_id) + ":" + PercentEncode(secret)));
  return op_->Token(req);
}

nlohmann::json OidcTest::Json(const HttpResponse& r) const {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.body;
  return j;
}

nlohmann::json OidcTest::VerifyOurJwt(const std::string& jwt, nlohmann::json* header) const {
  auto v = VerifyJwt(jwt, keys_->VerificationKeys(), {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256});
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok()) return nullptr;
  if (header) *header = v->header;
  return v->payload;
}

}  // namespace certme::testing
