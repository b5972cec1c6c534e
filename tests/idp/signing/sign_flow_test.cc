// The user's side of a sign request on the embedded ledger with an
// in-process validator and wallet (the wallet login's fixture): the signing
// page, the `sign` request document, the wallet's signed answer, the
// expected-signer check, the ledger record, the settled request, the way
// back to the service, and the verify endpoint's work before and after the
// eID is revoked. Refusal, a wrong signer, signatures over other items and
// a replayed answer sign nothing.
#include "idp/signing/sign_flow.h"

#include <gtest/gtest.h>

#include "crypto/jades.h"
#include "idp/signing/signature_verify.h"
#include "protocols/oidc/client.h"
#include "protocols/wallet/wallet_side.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme::signing {
namespace {

using nlohmann::json;

// The registry the flow reads the service from.
class TestClients : public ClientRegistry {
 public:
  StatusOr<OidcClient> Get(std::string_view id) override {
    auto it = clients_.find(std::string(id));
    if (it == clients_.end()) return NotFound("no such client");
    return it->second;
  }
  Status Put(const OidcClient& c) override {
    clients_[c.client_id] = c;
    return Status::Ok();
  }
  StatusOr<std::vector<OidcClient>> List() override {
    std::vector<OidcClient> out;
    for (const auto& [k, v] : clients_) out.push_back(v);
    return out;
  }
  Status Delete(std::string_view id) override {
    clients_.erase(std::string(id));
    return Status::Ok();
  }

 private:
  std::map<std::string, OidcClient> clients_;
};

class SignFlowTest : public WalletLoginTest {
 protected:
  void SetUp() override {
    WalletLoginTest::SetUp();
    clients_ = std::make_unique<TestClients>();
    OidcClient c;
    c.client_id = "demo-rp";
    c.names = {{"ro", "Serviciu demonstrativ"}, {"en", "Demo service"}};
    c.redirect_uris = {"https://rp.example/signed"};
    c.token_endpoint_auth_method = "private_key_jwt";
    c.jwks = R"({"keys":[]})";
    c.msign = MsignSettings{"C-1", "2026-01-01", {"127.0.0.1"}, MsignSettings::SignerTypes::kBoth};
    client_ = c;
    signs_ = std::make_unique<SignStore>(*store_, clock_, SystemRandom());
    flow_ = std::make_unique<SignFlow>(SignFlowOptions{kPublic}, *signs_, *store_, *clients_, *auth_, *ledger_,
                                       *provider_keys_, clock_, SystemRandom());
    auth_->SetSignHook(flow_.get());
  }
  void TearDown() override {
    auth_->SetSignHook(nullptr);
    WalletLoginTest::TearDown();
  }

  // A pending request for the user's IDNP (or `idnp`), its record.
  SignRecord NewRequest(std::string idnp = "") {
    NewSignRequest n;
    n.items = {{"contract.pdf", "S256", std::string(32, '\x11'), true}, {"annex", "S384", std::string(48, '\x22'), false}};
    n.description = {{"en", "Service contract"}};
    n.signer_idnp = idnp.empty() ? values_.at("idnp") : idnp;
    n.return_url = "https://rp.example/signed";
    n.relay_state = "order-7";
    n.language = "en";
    auto r = signs_->Create(client_.client_id, n);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }
  // Opens the signing page; returns the code of its signing login.
  std::string OpenPage(const SignRecord& r) {
    EXPECT_TRUE(clients_->Put(client_).ok());
    HttpRequest q;
    q.method = "GET";
    q.path_params = {{"id", r.id}};
    HttpResponse page = flow_->Page(q);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("contract.pdf"), std::string::npos);
    EXPECT_NE(page.body.find(std::string(64, '1')), std::string::npos);  // the digest in hex
    EXPECT_NE(page.body.find("Service contract"), std::string::npos);
    EXPECT_EQ(page.body.find(values_.at("idnp")), std::string::npos);  // masked
    auto now = signs_->Load(r.id);
    EXPECT_FALSE(now->txn.empty());
    txn_ = now->txn;
    return CodeOnPage(txn_);
  }
  wallet::RequestDocument Document(const std::string& code) {
    HttpResponse d = Doc(code);
    EXPECT_EQ(d.status, 200) << d.body;
    auto doc = wallet::ParseRequestDocument(d.body);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    return *doc;
  }
  std::vector<DisclosedAttribute> Held() {
    std::vector<DisclosedAttribute> held;
    for (const auto& [k, v] : values_) held.push_back({k, v, testing::Salt(k)});
    return held;
  }
  std::string SignAnswer(const wallet::RequestDocument& doc) {
    auto body = wallet::BuildSignApproval(doc, user_, Held(), clock_.NowUnixSeconds(), SystemRandom());
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    return body.ok() ? *body : "";
  }
  size_t SignatureEvents() {
    EventFilter f;
    f.kind = EventKind::kSignatureRecorded;
    return ledger_->Events(f)->size();
  }

  std::unique_ptr<ClientRegistry> clients_;
  OidcClient client_;
  std::unique_ptr<SignStore> signs_;
  std::unique_ptr<SignFlow> flow_;
  std::string txn_;
};

TEST_F(SignFlowTest, TheWalletSignsTheLedgerRecordsAndTheProviderVerifies) {
  SignRecord r = NewRequest();
  std::string code = OpenPage(r);
  // The wallet step's page is a signing page too: its heading, and what is signed.
  HttpResponse step = auth_->LoginPage(Get(txn_));
  ASSERT_EQ(step.status, 200);
  EXPECT_NE(step.body.find("<h1>Sign with certME</h1>"), std::string::npos);
  EXPECT_EQ(step.body.find("Sign in with certME"), std::string::npos);
  EXPECT_NE(step.body.find("id=\"sign-items\""), std::string::npos);
  EXPECT_NE(step.body.find("data-name=\"annex\""), std::string::npos);
  EXPECT_NE(step.body.find(std::string(96, '2')), std::string::npos);  // the SHA-384 digest in hex
  wallet::RequestDocument doc = Document(code);
  ASSERT_EQ(doc.kind, wallet::RequestKind::kSign);
  ASSERT_EQ(doc.sign->items.size(), 2u);
  EXPECT_EQ(doc.sign->items[1].digest, std::string(48, '\x22'));
  std::string answer = SignAnswer(doc);
  HttpResponse posted = Post(code, answer);
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(SignatureEvents(), 2u);

  auto done = signs_->Load(r.id);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->state, SignState::kSuccess) << done->reason;
  EXPECT_EQ(done->signer["idnp"], values_.at("idnp"));
  EXPECT_EQ(done->signer["first_name"], "Ion");
  ASSERT_EQ(done->signatures.size(), 2u);
  const json& jades = done->signatures[0];
  EXPECT_EQ(jades["payload"], "");
  EXPECT_TRUE(jades["header"]["certme_ledger"].contains("block"));
  auto sig = Base64UrlDecode(jades["signature"].get<std::string>());
  ASSERT_TRUE(sig);
  EXPECT_TRUE(VerifyJades(jades["protected"].get<std::string>(), *sig).ok());

  // The same answer again (a lost reply) changes nothing; another one is a replay.
  EXPECT_EQ(Post(code, answer).status, 200);
  EXPECT_EQ(SignatureEvents(), 2u);
  EXPECT_NE(Post(code, SignAnswer(doc)).status, 200);
  EXPECT_EQ(SignatureEvents(), 2u);

  // The browser goes back to the service with sign_id and RelayState.
  HttpRequest back;
  back.method = "GET";
  back.path_params = {{"id", r.id}};
  back.query = {{"txn", txn_}};
  HttpResponse ret = flow_->Done(back);
  EXPECT_EQ(ret.status, 303);
  EXPECT_EQ(ret.headers.Get("Location").value_or(""),
            "https://rp.example/signed?sign_id=" + r.id + "&RelayState=order-7");

  // Verified by the provider: valid, the eID active then and now…
  VerifyRequest v{jades["protected"], *sig, "S256", std::string(32, '\x11')};
  auto verdict = VerifySignature(*ledger_, *signs_, client_, v);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ((*verdict)["valid"], true) << verdict->dump();
  EXPECT_EQ((*verdict)["signer"]["idnp"], values_.at("idnp"));
  EXPECT_EQ((*verdict)["eid_status_now"], "active");
  // …against another document: not valid.
  v.digest = std::string(32, '\x12');
  EXPECT_EQ((*VerifySignature(*ledger_, *signs_, client_, v))["reason"], "digest_mismatch");
  // …and after the eID was revoked: still valid (it was active when it
  // signed), its status now revoked.
  v.digest = std::string(32, '\x11');
  ASSERT_TRUE(ledger_->RevokeEid(admin_, user_.address()).ok());
  verdict = VerifySignature(*ledger_, *signs_, client_, v);
  ASSERT_TRUE(verdict.ok());
  EXPECT_EQ((*verdict)["valid"], true);
  EXPECT_EQ((*verdict)["eid_status_at_signing"], "active");
  EXPECT_EQ((*verdict)["eid_status_now"], "revoked");
}

TEST_F(SignFlowTest, AnotherSignerSignsNothing) {
  SignRecord r = NewRequest("2009999999999");
  std::string code = OpenPage(r);
  HttpResponse posted = Post(code, SignAnswer(Document(code)));
  EXPECT_EQ(posted.status, 403) << posted.body;
  EXPECT_EQ(ErrorOf(posted), "wrong_signer");
  EXPECT_EQ(SignatureEvents(), 0u);
  auto st = StatusJson(*signs_->Load(r.id), signs_->Now());
  EXPECT_EQ(st["status"], "failure");
  EXPECT_EQ(st["reason"], "wrong_signer");
}

TEST_F(SignFlowTest, SignaturesOverOtherItemsSignNothing) {
  SignRecord r = NewRequest();
  std::string code = OpenPage(r);
  wallet::RequestDocument doc = Document(code);
  // The wallet signs another digest than the one requested.
  wallet::RequestDocument other = doc;
  other.sign->items[0].digest = std::string(32, '\x33');
  HttpResponse posted = Post(code, SignAnswer(other));
  EXPECT_NE(posted.status, 200) << posted.body;
  EXPECT_EQ(SignatureEvents(), 0u);
  EXPECT_NE(signs_->Load(r.id)->state, SignState::kSuccess);
}

TEST_F(SignFlowTest, ARefusalSettlesTheRequestAsRefused) {
  SignRecord r = NewRequest();
  std::string code = OpenPage(r);
  EXPECT_EQ(Post(code, Refusal(code)).status, 200);
  auto st = StatusJson(*signs_->Load(r.id), signs_->Now());
  EXPECT_EQ(st["status"], "failure");
  EXPECT_EQ(st["reason"], "refused");
  EXPECT_EQ(SignatureEvents(), 0u);

  // The login page goes on, and "try again" too: both back to the signing
  // flow's end, which sends the browser to the provider; no outcome page
  // offering a new code for a request that is over.
  const std::string done = std::string(kPublic) + "/sign/" + r.id + "/done?txn=" + txn_;
  for (bool retry : {false, true}) {
    HttpRequest q;
    q.method = retry ? "POST" : "GET";
    q.path = retry ? "/login/wallet/retry" : "/login/wallet/continue";
    if (retry) q.form = {{"txn", txn_}};
    else q.query = {{"txn", txn_}};
    HttpResponse next = retry ? auth_->Retry(q) : auth_->Continue(q);
    EXPECT_EQ(next.status, 303) << (retry ? "retry: " : "continue: ") << next.body.substr(0, 200);
    EXPECT_EQ(next.headers.Get("Location").value_or(""), done);
  }
}

TEST_F(SignFlowTest, AnExpiredRequestShowsItsEndAndServesNoDocument) {
  SignRecord r = NewRequest();
  std::string code = OpenPage(r);
  clock_.Advance(std::chrono::seconds(r.request.lifetime_seconds + 1));
  HttpRequest q;
  q.method = "GET";
  q.path_params = {{"id", r.id}};
  HttpResponse page = flow_->Page(q);
  EXPECT_EQ(page.status, 410);
  EXPECT_NE(Doc(code).status, 200);
  EXPECT_EQ(StatusJson(*signs_->Load(r.id), signs_->Now())["status"], "expired");
}

}  // namespace
}  // namespace certme::signing
