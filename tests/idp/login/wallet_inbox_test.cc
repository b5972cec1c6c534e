// The wallet inbox (docs/wallet-protocol.md §8b): a login addressed to an
// eID is listed only to a wallet proving that eID's key over a fresh,
// single-use challenge; it is answered like a QR login and only by that
// eID; the long-poll is bounded and answered on Drain().
#include <future>

#include "idp/login/wallet_inbox.h"
#include "protocols/wallet/inbox.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

class WalletInboxTest : public WalletLoginTest {
 protected:
  void SetUp() override {
    WalletLoginTest::SetUp();
    inbox_ = std::make_unique<WalletInbox>(WalletInboxOptions{.recheck = milliseconds(50)}, *auth_, *store_,
                                           *ledger_, clock_, SystemRandom());
  }
  void TearDown() override {
    inbox_.reset();
    WalletLoginTest::TearDown();
  }

  // A login addressed to `eid` (EIP-55), as OIDC CIBA begins it.
  std::string BeginFor(const std::string& eid, const std::string& message = "") {
    LoginRequest r;
    r.txn = SystemRandom().Token(32);
    r.protocol = "oidc";
    r.service_id = "demo-rp";
    r.service_names = {{"ro", "Serviciu demonstrativ"}, {"en", "Demo service"}};
    r.attributes = kAsked;
    r.force_authn = true;
    r.expires_at = clock_.NowUnixSeconds() + 600;
    r.wallet_eid = eid;
    r.binding_message = message;
    (void)auth_->Begin(r);
    return r.txn;
  }
  Bytes32 NewChallenge() {
    HttpRequest q;
    q.method = "GET";
    q.remote_addr = "192.0.2.1";
    HttpResponse r = inbox_->Challenge(q);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
    auto c = wallet::ParseHex32(json::parse(r.body)["challenge"]);
    EXPECT_TRUE(c.has_value());
    return c.value_or(Bytes32{});
  }
  std::string Access(const EthKey& key, const Bytes32& challenge, int64_t expiry_in = 30, int64_t wait = 0) {
    return wallet::BuildInboxAccess(key, ledger_->Domain(), challenge,
                                    static_cast<uint64_t>(clock_.NowUnixSeconds() + expiry_in), wait);
  }
  // POST /wallet/v1/inbox; waits for the (possibly parked) answer.
  HttpResponse Open(const std::string& body, std::chrono::seconds limit = seconds(10)) {
    HttpRequest q;
    q.method = "POST";
    q.headers.Set("Content-Type", "application/json");
    q.body = body;
    auto p = std::make_shared<std::promise<HttpResponse>>();
    auto f = p->get_future();
    inbox_->Poll(q, [p](HttpResponse r) { p->set_value(std::move(r)); });
    if (f.wait_for(limit) != std::future_status::ready) return HttpResponse::Text(599, "no answer");
    return f.get();
  }
  json Requests(const HttpResponse& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["requests"] : json();
  }

  EthKey other_ = EthKey::Generate();
  std::unique_ptr<WalletInbox> inbox_;
};

TEST_F(WalletInboxTest, ListsTheEidsLoginsAndTheAnswerCompletesThem) {
  const std::string txn = BeginFor(user_.AddressHex(), "Plata 42 MDL");
  json reqs = Requests(Open(Access(user_, NewChallenge())));
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["binding_message"], "Plata 42 MDL");
  const json& doc = reqs[0]["document"];
  EXPECT_EQ(doc["service"]["id"], "demo-rp");
  EXPECT_EQ(doc["attributes"], json(kAsked));
  // An ordinary request document: the wallet answers it as a QR login.
  const std::string code = doc["code"];
  HttpResponse answered = Post(code, Answer(code));
  EXPECT_EQ(answered.status, 200) << answered.body;
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->eid, user_.AddressHex());
  // Answered: no longer listed.
  EXPECT_TRUE(Requests(Open(Access(user_, NewChallenge()))).empty());
}

TEST_F(WalletInboxTest, NobodyElseSeesOrAnswersIt) {
  BeginFor(user_.AddressHex());
  // Another eID's inbox is empty.
  EXPECT_TRUE(Requests(Open(Access(other_, NewChallenge()))).empty());
  // A login addressed to another eID takes no answer from this one: 403,
  // and the login stays open.
  const std::string txn = BeginFor(other_.AddressHex());
  auto links = auth_->CurrentLinks(txn);
  ASSERT_TRUE(links.ok());
  HttpResponse r = Post(links->code, Answer(links->code));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorOf(r), "not_addressed");
  EXPECT_FALSE(auth_->LoginStatusOf(txn).terminal);
  EXPECT_EQ(TakeLoginResult(*store_, txn).status().code(), StatusCode::kNotFound);
}

TEST_F(WalletInboxTest, ChallengesAreSingleUseFreshAndTheEidsOwn) {
  BeginFor(user_.AddressHex());
  // Replayed: the same signed access twice.
  const std::string access = Access(user_, NewChallenge());
  EXPECT_EQ(Requests(Open(access)).size(), 1u);
  HttpResponse replay = Open(access);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(ErrorOf(replay), "bad_challenge");
  // A challenge the bridge never gave.
  HttpResponse forged = Open(Access(user_, Keccak256("made up")));
  EXPECT_EQ(ErrorOf(forged), "bad_challenge");
  // Stale: the challenge outlived its minute.
  Bytes32 old = NewChallenge();
  clock_.Advance(seconds(wallet::kInboxChallengeTtlSeconds + 1));
  EXPECT_EQ(ErrorOf(Open(Access(user_, old))), "bad_challenge");
  // The access's own expiry: past, or too far ahead.
  EXPECT_EQ(ErrorOf(Open(Access(user_, NewChallenge(), -1))), "bad_challenge");
  EXPECT_EQ(ErrorOf(Open(Access(user_, NewChallenge(), wallet::kMaxInboxAccessLifetimeSeconds + 5))),
            "bad_challenge");
  // Signed by another key than the eID it names.
  json forged_sig = json::parse(Access(other_, NewChallenge()));
  forged_sig["eid"] = user_.AddressHex();
  HttpResponse bad = Open(forged_sig.dump());
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(ErrorOf(bad), "bad_access");
  // Not JSON, wrong media type.
  EXPECT_EQ(Open("{").status, 400);
  HttpRequest q;
  q.method = "POST";
  q.body = Access(user_, NewChallenge());
  HttpResponse media;
  inbox_->Poll(q, [&](HttpResponse r) { media = std::move(r); });
  EXPECT_EQ(media.status, 415);
}

TEST_F(WalletInboxTest, ExpiredCodeIsRenewedWhileTheLoginLives) {
  const std::string txn = BeginFor(user_.AddressHex());
  const std::string first = auth_->CurrentLinks(txn)->code;
  clock_.Advance(seconds(200));  // past the code's 120 s, within the login's 600 s
  json reqs = Requests(Open(Access(user_, NewChallenge())));
  ASSERT_EQ(reqs.size(), 1u);
  const std::string code = reqs[0]["document"]["code"];
  EXPECT_NE(code, first);
  EXPECT_EQ(Post(code, Answer(code)).status, 200);
}

TEST_F(WalletInboxTest, LongPollAnswersWhenALoginArrivesOrAtItsBound) {
  // Nothing arrives: the answer comes after `wait`, empty.
  auto start = std::chrono::steady_clock::now();
  json none = Requests(Open(Access(user_, NewChallenge(), 30, 1)));
  EXPECT_TRUE(none.empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(900));
  // A login begun while the wallet waits is delivered.
  HttpRequest q;
  q.method = "POST";
  q.headers.Set("Content-Type", "application/json");
  q.body = Access(user_, NewChallenge(), 30, 20);
  auto p = std::make_shared<std::promise<HttpResponse>>();
  auto f = p->get_future();
  inbox_->Poll(q, [p](HttpResponse r) { p->set_value(std::move(r)); });
  EXPECT_EQ(f.wait_for(milliseconds(200)), std::future_status::timeout);
  BeginFor(user_.AddressHex(), "now");
  ASSERT_EQ(f.wait_for(seconds(10)), std::future_status::ready);
  json reqs = Requests(f.get());
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["binding_message"], "now");
}

TEST_F(WalletInboxTest, DrainAnswersParkedPolls) {
  HttpRequest q;
  q.method = "POST";
  q.headers.Set("Content-Type", "application/json");
  q.body = Access(user_, NewChallenge(), 30, 20);
  auto p = std::make_shared<std::promise<HttpResponse>>();
  auto f = p->get_future();
  inbox_->Poll(q, [p](HttpResponse r) { p->set_value(std::move(r)); });
  inbox_->Drain();
  ASSERT_EQ(f.wait_for(seconds(5)), std::future_status::ready);
  HttpResponse r = f.get();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.Get("Retry-After"), "1");
  // After Drain nothing is parked.
  EXPECT_EQ(Open(Access(user_, NewChallenge(), 30, 20), seconds(5)).status, 503);
}

TEST(WalletInboxAccess, TypedDataAndDirectDigestAgree) {
  Eip712Domain domain{.chain_id = 31337, .verifying_contract = std::string(20, '\x11')};
  EthKey key = EthKey::Generate();
  Bytes32 challenge = Keccak256("c");
  auto generic = TypedDataDigest(wallet::InboxAccessTypedData(domain, key.address(), challenge, 1234));
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  EXPECT_EQ(*generic, wallet::InboxAccessDigest(domain, key.address(), challenge, 1234));
  auto parsed = wallet::ParseInboxAccess(wallet::BuildInboxAccess(key, domain, challenge, 1234, 7));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->eid, key.address());
  EXPECT_EQ(parsed->wait, 7);
  EXPECT_FALSE(wallet::CheckInboxAccess(domain, *parsed, 1200).has_value());
  // Every field's shape.
  for (const char* bad :
       {"", "[]", R"({"version":2})", R"({"version":1,"eid":"0x12","challenge":"0x00","expiry":1,"signature":"0x"})",
        R"({"version":1,"extra":1})"})
    EXPECT_FALSE(wallet::ParseInboxAccess(bad).ok()) << bad;
  json j = json::parse(wallet::BuildInboxAccess(key, domain, challenge, 1234, 7));
  j["wait"] = 26;
  EXPECT_FALSE(wallet::ParseInboxAccess(j.dump()).ok());
  j["wait"] = 0;
  j["expiry"] = -1;
  EXPECT_FALSE(wallet::ParseInboxAccess(j.dump()).ok());
}

}  // namespace
}  // namespace certme
