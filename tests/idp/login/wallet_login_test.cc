// The wallet login end to end at the handler level: a real embedded ledger,
// a validator answering in-process on ledger events, and a wallet built
// from the public pieces (ECIES to the bridge key, EIP-712 Login and
// Consent signatures) the way docs/wallet-protocol.md describes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ecies.h"
#include "idp/http/metrics.h"
#include "idp/http/router.h"
#include "idp/http/server.h"
#include "idp/login/wallet_authenticator.h"
#include "tests/idp/http_client.h"
#include "tests/idp/login/wallet_test_support.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPublic[] = "https://bridge.test";
constexpr char kResume[] = "https://bridge.test/authorize/resume?t=1";
const std::vector<std::string> kAsked = {"first_name", "last_name", "idnp"};

using testing::Salt;
using testing::TestValidator;

// What a test's wallet does differently from an honest one.
struct WalletChoices {
  const EthKey* login_signer = nullptr;  // default: the user
  std::map<std::string, std::string> override_values;
  bool omit_consent = false;
};

class WalletLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetUnixMillis(SystemClock().NowUnixMillis());
    store_ = NewMemoryStore({.clock = &clock_});
    auto l = EmbeddedLedger::Create(
        {.path = LedgerTestDir().NewFile(".ledger"), .sync_full = false, .watch_file = false, .sequencer = EthKey::Generate()}, admin_, 31337);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
    Status enrolled = testing::EnrollUser(*ledger_, admin_, validator_key_, provider_, user_, values_);
    ASSERT_TRUE(enrolled.ok()) << enrolled.ToString();
    validator_ = std::make_unique<TestValidator>(*ledger_, validator_key_);
    WalletLoginOptions o;
    o.public_url = kPublic;
    o.answer_timeout = milliseconds(1500);
    o.poll_timeout = seconds(5);
    auth_ = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, provider_, ecies_, clock_, SystemRandom());
  }
  void TearDown() override {
    auth_.reset();
    validator_.reset();
  }

  // Begins a login; returns the txn.
  std::string Begin(std::vector<std::string> attrs = kAsked, std::string lang = "ro") {
    LoginRequest r;
    r.txn = SystemRandom().Token(32);
    r.protocol = "oidc";
    r.service_id = "demo-rp";
    r.service_names = {{"ro", "Serviciu demonstrativ"}, {"ru", "Демонстрационный сервис"}, {"en", "Demo service"}};
    r.attributes = std::move(attrs);
    r.ui_locale = lang;
    r.resume_url = kResume;
    r.expires_at = clock_.NowUnixSeconds() + 300;
    HttpResponse resp = auth_->Begin(r);
    EXPECT_EQ(resp.status, 302);
    EXPECT_EQ(resp.headers.Get("Location").value_or(""),
              std::string(kPublic) + "/login/wallet?txn=" + PercentEncode(r.txn));
    return r.txn;
  }

  HttpRequest Get(const std::string& txn) {
    HttpRequest q;
    q.method = "GET";
    q.query = {{"txn", txn}};
    return q;
  }

  // The code, read from the page's same-device link as a browser shows it.
  std::string CodeOnPage(const std::string& txn) {
    HttpResponse page = auth_->LoginPage(Get(txn));
    EXPECT_EQ(page.status, 200);
    std::string marker = "/wallet/v1/l/";
    size_t p = page.body.find(marker);
    if (p == std::string::npos) return "";
    size_t e = page.body.find('"', p);
    return page.body.substr(p + marker.size(), e - p - marker.size());
  }

  HttpResponse Doc(const std::string& code) {
    HttpRequest q;
    q.method = "GET";
    q.path_params = {{"code", code}};
    return auth_->GetRequestDocument(q);
  }

  HttpResponse Post(const std::string& code, const std::string& body) {
    HttpRequest q;
    q.method = "POST";
    q.path_params = {{"code", code}};
    q.body = body;
    return auth_->PostAnswer(q);
  }

  // The wallet: reads the request document and builds the answer (§4-§6).
  // The Login digest is computed with the generic eth_signTypedData_v4
  // path, independent of the bridge's direct encoding.
  std::string Answer(const std::string& code, const WalletChoices& w = {}) {
    HttpResponse d = Doc(code);
    EXPECT_EQ(d.status, 200) << d.body;
    json doc = json::parse(d.body);
    json plain = json::array();
    std::string commitments;
    for (const auto& name : doc["attributes"]) {
      std::string n = name.get<std::string>();
      std::string v = w.override_values.count(n) ? w.override_values.at(n) : values_.at(n);
      plain.push_back({{"key", n}, {"value", v}, {"salt", "0x" + HexEncode(abi::AsView(Salt(n)))}});
      commitments.append(abi::AsView(AttributeCommitment(user_.address(), AttributeKey(n), v, Salt(n))));
    }
    auto bridge_key = HexDecode(doc["bridgeKey"].get<std::string>());
    auto enc = EciesEncrypt(*bridge_key, plain.dump(), SystemRandom());
    EXPECT_TRUE(enc.ok());
    json typed = {
        {"types",
         {{"Login",
           {{{"name", "code"}, {"type", "string"}},
            {{"name", "nonce"}, {"type", "bytes32"}},
            {{"name", "service"}, {"type", "string"}},
            {{"name", "attributesHash"}, {"type", "bytes32"}},
            {{"name", "expiry"}, {"type", "uint256"}}}}}},
        {"primaryType", "Login"},
        {"domain", doc["domain"]},
        {"message",
         {{"code", doc["code"]},
          {"nonce", doc["nonce"]},
          {"service", doc["service"]["id"]},
          {"attributesHash", "0x" + HexEncode(abi::AsView(Keccak256(commitments)))},
          {"expiry", doc["expiry"]}}}};
    auto digest = TypedDataDigest(typed);
    EXPECT_TRUE(digest.ok()) << digest.status().ToString();
    const EthKey& signer = w.login_signer ? *w.login_signer : user_;
    json answer = {{"version", 1},
                   {"code", code},
                   {"eid", user_.AddressHex()},
                   {"loginSignature", signer.SignDigest(*digest).ToHex()},
                   {"attributes", Base64UrlEncode(*enc)}};
    if (!w.omit_consent) {
      Consent c;
      c.user = user_.address();
      c.provider = *ParseAddress(doc["consent"]["provider"].get<std::string>());
      for (const auto& n : doc["attributes"]) c.attr_keys.push_back(AttributeKey(n.get<std::string>()));
      c.nonce = abi::ToBytes32(*HexDecode(doc["nonce"].get<std::string>()));
      c.expiry = doc["consent"]["expiry"].get<uint64_t>();
      answer["consentSignature"] = SignConsent(user_, ledger_->Domain(), c).ToHex();
    }
    return answer.dump();
  }

  std::string ErrorOf(const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
  }

  size_t ValidationRequests() {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    return ledger_->Events(f)->size();
  }

  std::map<std::string, std::string> values_ = {
      {"first_name", "Ion"}, {"last_name", "Popescu"}, {"idnp", "2001234567890"}, {"birth_date", "1985-04-12"}};
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  EthKey admin_ = EthKey::Generate();
  EthKey validator_key_ = EthKey::Generate();
  EthKey provider_ = EthKey::Generate();
  EthKey ecies_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::unique_ptr<TestValidator> validator_;
  std::unique_ptr<WalletAuthenticator> auth_;
};

TEST_F(WalletLoginTest, PageShowsServiceAttributesQrAndWorksWithoutJavaScript) {
  std::string txn = Begin(kAsked, "ru");
  HttpResponse page = auth_->LoginPage(Get(txn));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Демонстрационный сервис"), std::string::npos);
  // Attributes by their names in the page's language (ru), keys kept.
  EXPECT_NE(page.body.find("<li data-key=\"idnp\">IDNP</li>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("aria-label=\"QR code\""), std::string::npos);
  EXPECT_NE(page.body.find("<html lang=\"ru\">"), std::string::npos);
  EXPECT_NE(page.body.find("Вход через certME"), std::string::npos);
  // The language switcher keeps the login.
  EXPECT_NE(page.body.find("href=\"https://bridge.test/login/wallet?txn=" + txn + "&amp;lang=en\""),
            std::string::npos);
  EXPECT_NE(page.body.find("/login/wallet/continue"), std::string::npos);
  ASSERT_TRUE(page.csp.has_value());
  EXPECT_NE(page.csp->find("script-src 'nonce-"), std::string::npos);
  std::string code = CodeOnPage(txn);
  EXPECT_EQ(code.size(), 43u);
  EXPECT_EQ(auth_->QrPayload(code), "certme://login?u=https%3A%2F%2Fbridge.test%2Fwallet%2Fv1&c=" + code);
  // Pending: "continue" shows the page again rather than moving on.
  HttpResponse again = auth_->Continue(Get(txn));
  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find(code), std::string::npos);
}

TEST_F(WalletLoginTest, HappyPathValidatesOnceAndStoresNoPersonalData) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpResponse doc = Doc(code);
  ASSERT_EQ(doc.status, 200);
  json d = json::parse(doc.body);
  EXPECT_EQ(d["service"]["names"]["ro"], "Serviciu demonstrativ");
  EXPECT_EQ(d["domain"]["chainId"], 31337);
  EXPECT_EQ(d["consent"]["provider"], provider_.AddressHex());

  HttpResponse r = Post(code, Answer(code));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(validator_->answers.load(), 1);
  HttpResponse cont = auth_->Continue(Get(txn));
  EXPECT_EQ(cont.status, 302);
  EXPECT_EQ(cont.headers.Get("Location").value_or(""), kResume);

  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->error.empty());
  EXPECT_EQ(result->subject, user_.AddressHex());
  EXPECT_EQ(result->attributes.at("last_name"), "Popescu");
  EXPECT_EQ(result->attributes.at("idnp"), "2001234567890");
  EXPECT_EQ(result->attributes.size(), 3u);
  EXPECT_EQ(result->acr, "http://eidas.europa.eu/LoA/substantial");

  // Once the protocol took the result, no value is left in the store.
  for (const char* ns : {"wallet_txn", "wallet_code", "wallet_answered", "wallet_outcome", "login_req", "login_result"}) {
    auto entries = store_->List(ns);
    ASSERT_TRUE(entries.ok());
    for (const auto& e : *entries)
      for (const auto& [name, value] : values_) {
        EXPECT_EQ(e.value.find(value), std::string::npos) << ns << " holds " << name;
        EXPECT_EQ(e.key.find(value), std::string::npos) << ns << " holds " << name;
      }
  }
}

TEST_F(WalletLoginTest, ReplayedCodeIsRefused) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  std::string answer = Answer(code);
  ASSERT_EQ(Post(code, answer).status, 200);
  // Another answer (any byte differs) for a spent code is a replay.
  HttpResponse again = Post(code, answer + "\n");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorOf(again), "replayed");
  EXPECT_EQ(ErrorOf(Doc(code)), "replayed");
  // The identical answer resent (its reply was lost) is acknowledged again,
  // and changes nothing.
  HttpResponse resent = Post(code, answer);
  EXPECT_EQ(resent.status, 200) << resent.body;
  EXPECT_EQ(validator_->answers.load(), 1);
  EXPECT_EQ(ValidationRequests(), 1u);
}

// A replica claimed the answer and submitted the consented validation, then
// died before replying; the wallet resends the identical answer to another
// replica (same store and ledger), which waits for that same validation
// instead of failing on the used nonce or answering "replayed".
TEST_F(WalletLoginTest, ResentAnswerIsResumedAfterTheFirstReplicaDied) {
  validator_->answering = false;
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  std::string answer = Answer(code);
  json a = json::parse(answer);
  json doc = json::parse(Doc(code).body);
  // What the dead replica had done: the claim, then requestValidation.
  ASSERT_TRUE(store_->PutIfAbsent("wallet_answered", code, "0x" + HexEncode(abi::AsView(Keccak256(answer))),
                                  seconds(600)).ok());
  Consent c;
  c.user = user_.address();
  c.provider = provider_.address();
  for (const auto& n : doc["attributes"]) c.attr_keys.push_back(AttributeKey(n.get<std::string>()));
  c.nonce = abi::ToBytes32(*HexDecode(doc["nonce"].get<std::string>()));
  c.expiry = doc["consent"]["expiry"].get<uint64_t>();
  auto sig = EthSignature::FromHex(a["consentSignature"].get<std::string>());
  ASSERT_TRUE(sig);
  auto id = ledger_->RequestValidation(provider_, c, std::string(reinterpret_cast<const char*>(sig->rsv.data()), 65));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_EQ(ValidationRequests(), 1u);

  // The validator answers that request a moment later (whether before or
  // during the resumed wait, the login must complete on it).
  std::thread late_validator([&] {
    std::this_thread::sleep_for(milliseconds(300));
    auto eid = ledger_->GetEid(user_.address());
    std::vector<Bytes32> cs;
    for (const auto& k : c.attr_keys) {
      auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
      cs.push_back(eid->commitments[it - eid->attr_keys.begin()]);
    }
    EXPECT_TRUE(ledger_->AnswerValidation(validator_key_, *id, cs, eid->loa).ok());
  });
  WalletAuthenticator other({.public_url = "https://login.example.md", .answer_timeout = seconds(20)}, *store_,
                            *ledger_, provider_, ecies_, clock_, SystemRandom());
  HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.body = answer;
  HttpResponse r = other.PostAnswer(q);
  late_validator.join();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ValidationRequests(), 1u) << "the resumed answer must not ask for a second validation";
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 302);
  EXPECT_TRUE(TakeLoginResult(*store_, txn).ok());
  // A different answer for the same code (one byte more) is still a replay.
  HttpRequest other_body = q;
  other_body.body = answer + " ";
  EXPECT_EQ(other.PostAnswer(other_body).status, 409);
}

TEST_F(WalletLoginTest, UnknownCodeIsRefused) {
  HttpResponse r = Post("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r), "unknown_code");
  EXPECT_EQ(Doc("no<such>code").status, 404);
}

TEST_F(WalletLoginTest, LateAnswerIsRefusedAndRetryGivesANewCode) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  std::string answer = Answer(code);
  clock_.Advance(seconds(121));
  HttpResponse r = Post(code, answer);
  EXPECT_EQ(r.status, 410);
  EXPECT_EQ(ErrorOf(r), "expired");
  EXPECT_EQ(ErrorOf(Doc(code)), "expired");
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 410);
  EXPECT_NE(page.body.find("Cererea a expirat"), std::string::npos);
  EXPECT_NE(page.body.find("/login/wallet/retry"), std::string::npos);
  EXPECT_FALSE(TakeLoginResult(*store_, txn).ok());

  HttpRequest retry;
  retry.method = "POST";
  retry.form = {{"txn", txn}};
  EXPECT_EQ(auth_->Retry(retry).status, 303);
  std::string fresh = CodeOnPage(txn);
  ASSERT_FALSE(fresh.empty());
  EXPECT_NE(fresh, code);
  ASSERT_EQ(Post(fresh, Answer(fresh)).status, 200);
  EXPECT_TRUE(TakeLoginResult(*store_, txn).ok());
}

TEST_F(WalletLoginTest, BadLoginSignatureIsRefusedBeforeTheLedger) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  EthKey other = EthKey::Generate();
  HttpResponse r = Post(code, Answer(code, {.login_signer = &other}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorOf(r), "bad_signature");
  EXPECT_EQ(ValidationRequests(), 0u);
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 400);
  EXPECT_FALSE(TakeLoginResult(*store_, txn).ok());
}

TEST_F(WalletLoginTest, MissingConsentIsRefused) {
  std::string code = CodeOnPage(Begin());
  HttpResponse r = Post(code, Answer(code, {.omit_consent = true}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorOf(r), "bad_consent");
}

TEST_F(WalletLoginTest, SuspendedEidIsRefused) {
  ASSERT_TRUE(ledger_->SuspendEid(validator_key_, user_.address()).ok());
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpResponse r = Post(code, Answer(code));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorOf(r), "eid_not_active");
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("suspendat"), std::string::npos);
  EXPECT_EQ(ValidationRequests(), 0u);
  // "Back to the service": the protocol answers its client (access_denied).
  EXPECT_NE(page.body.find(HtmlEscape(kResume)), std::string::npos);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorEidSuspended);
  EXPECT_TRUE(result->subject.empty());
  EXPECT_TRUE(result->attributes.empty());
}

TEST_F(WalletLoginTest, RevokedEidIsRefused) {
  ASSERT_TRUE(ledger_->RevokeEid(validator_key_, user_.address()).ok());
  std::string txn = Begin(kAsked, "en");
  std::string code = CodeOnPage(txn);
  EXPECT_EQ(ErrorOf(Post(code, Answer(code))), "eid_not_active");
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("Your eID is revoked."), std::string::npos);
  EXPECT_NE(page.body.find(HtmlEscape(kResume)), std::string::npos);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorEidRevoked);
  EXPECT_TRUE(result->subject.empty());
}

TEST_F(WalletLoginTest, ValidatorTimeoutEndsOnItsPage) {
  validator_->answering = false;
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  auto start = std::chrono::steady_clock::now();
  HttpResponse r = Post(code, Answer(code));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(ErrorOf(r), "validator_timeout");
  EXPECT_GE(took, milliseconds(1400));
  EXPECT_LT(took, seconds(10));
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 504);
  // No authentication, but an answer for the service (temporarily_unavailable).
  EXPECT_NE(page.body.find(HtmlEscape(kResume)), std::string::npos);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorValidatorTimeout);
  EXPECT_TRUE(result->subject.empty());
  EXPECT_TRUE(result->attributes.empty());
}

TEST_F(WalletLoginTest, DisclosedValueDifferentFromTheCommitmentIsRefused) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  // Signed consistently by the wallet, but not what the validator committed.
  HttpResponse r = Post(code, Answer(code, {.override_values = {{"first_name", "Vasile"}}}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorOf(r), "commitment_mismatch");
  EXPECT_EQ(validator_->answers.load(), 1);
  EXPECT_FALSE(TakeLoginResult(*store_, txn).ok());
}

// The registry itself refuses an answer that differs from the enrolled
// commitments, so a lying validator cannot get values accepted: the login
// waits and ends as unanswered.
TEST_F(WalletLoginTest, LyingValidatorCannotAnswer) {
  validator_->lie = true;
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpResponse r = Post(code, Answer(code));
  EXPECT_EQ(ErrorOf(r), "validator_timeout");
  EXPECT_EQ(validator_->answers.load(), 0);
  // Nobody logged in: the service is only told of the timeout.
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorValidatorTimeout);
  EXPECT_TRUE(result->subject.empty());
}

TEST_F(WalletLoginTest, ReauthenticationWithoutNewAttributesNeedsNoValidator) {
  std::string code = CodeOnPage(Begin());
  ASSERT_EQ(Post(code, Answer(code)).status, 200);
  ASSERT_EQ(ValidationRequests(), 1u);
  // The validator is gone; the same attributes still log in.
  validator_->answering = false;
  std::string txn2 = Begin();
  std::string code2 = CodeOnPage(txn2);
  HttpResponse r = Post(code2, Answer(code2));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ValidationRequests(), 1u);
  EXPECT_EQ(TakeLoginResult(*store_, txn2)->attributes.at("first_name"), "Ion");
  // A value other than the validated one is not accepted without the validator.
  std::string code3 = CodeOnPage(Begin());
  EXPECT_EQ(ErrorOf(Post(code3, Answer(code3, {.override_values = {{"idnp", "2009999999999"}}}))),
            "validator_timeout");
  // A new attribute needs the validator again.
  validator_->answering = true;
  std::string code4 = CodeOnPage(Begin({"first_name", "birth_date"}));
  ASSERT_EQ(Post(code4, Answer(code4)).status, 200);
  EXPECT_EQ(ValidationRequests(), 3u);
}

TEST_F(WalletLoginTest, RefusalEndsTheLoginAsRefused) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpResponse r = Post(code, json{{"version", 1}, {"code", code}, {"refused", true}}.dump());
  EXPECT_EQ(r.status, 200);
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Ați refuzat"), std::string::npos);
  EXPECT_NE(page.body.find(HtmlEscape(kResume)), std::string::npos);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorRefused);
}

TEST_F(WalletLoginTest, LongPollAnswersWhenTheWalletHasAnswered) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  std::promise<HttpResponse> got;
  auto fut = got.get_future();
  auto start = std::chrono::steady_clock::now();
  auth_->StatusPoll(Get(txn), [&](HttpResponse r) { got.set_value(std::move(r)); });
  EXPECT_EQ(fut.wait_for(milliseconds(300)), std::future_status::timeout);
  ASSERT_EQ(Post(code, Answer(code)).status, 200);
  ASSERT_EQ(fut.wait_for(seconds(3)), std::future_status::ready);
  EXPECT_EQ(json::parse(fut.get().body)["state"], "done");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
}

TEST_F(WalletLoginTest, MalformedAnswersAreRefusedAndSpendTheCode) {
  std::string code = CodeOnPage(Begin());
  std::string good = Answer(code);
  EXPECT_EQ(ErrorOf(Post(code, "not json")), "invalid_request");
  EXPECT_EQ(ErrorOf(Post(code, good)), "replayed");
  std::string code2 = CodeOnPage(Begin());
  json a = json::parse(Answer(code2));
  a["attributes"] = Base64UrlEncode(std::string(120, 'x'));
  EXPECT_EQ(ErrorOf(Post(code2, a.dump())), "bad_payload");
}

// The wallet's POST waits for the validator without holding a worker: with
// one worker thread, /healthz is answered while several answers wait, and
// each answer gets its ok once the validator has answered on the ledger.
TEST_F(WalletLoginTest, AnswersWaitingForTheValidatorDoNotHoldTheOnlyWorker) {
  validator_->answering = false;
  WalletLoginOptions o;
  o.public_url = kPublic;
  o.answer_timeout = seconds(60);
  o.poll_timeout = seconds(5);
  auth_ = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, provider_, ecies_, clock_, SystemRandom());
  auto router = std::make_shared<Router>();
  auth_->Mount(*router);
  auto metrics = std::make_shared<Metrics>();
  InstallOpsRoutes(*router, [] { return Status(); }, metrics);
  HttpServerOptions ho;
  ho.port = 0;
  ho.threads = 1;
  ho.access_log_enabled = false;
  auto server = HttpServer::Start(ho, router, metrics);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string base = "http://127.0.0.1:" + std::to_string((*server)->port());

  constexpr size_t kAnswers = 3;
  std::vector<std::future<testing::ClientResponse>> posts;
  for (size_t i = 0; i < kAnswers; ++i) {
    std::string code = CodeOnPage(Begin());
    std::string body = Answer(code);
    posts.push_back(std::async(std::launch::async, [base, code, body] {
      return testing::Fetch("POST", base + "/wallet/v1/requests/" + code, body, {}, "application/json");
    }));
  }
  // Every answer has reached the ledger and now waits for the validator.
  auto until = std::chrono::steady_clock::now() + seconds(60);
  while (ValidationRequests() < kAnswers && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(milliseconds(20));
  ASSERT_EQ(ValidationRequests(), kAnswers);

  testing::ClientResponse health = testing::Fetch("GET", base + "/healthz");
  EXPECT_EQ(health.status, 200) << "the only worker is held by a waiting answer";
  for (auto& p : posts) EXPECT_EQ(p.wait_for(milliseconds(0)), std::future_status::timeout);

  // The validator answers now.
  auto open = ledger_->OpenRequests(validator_key_.address());
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), kAnswers);
  for (const auto& r : *open) {
    auto eid = ledger_->GetEid(r.user);
    ASSERT_TRUE(eid.ok());
    std::vector<Bytes32> cs;
    for (const auto& k : r.attr_keys) {
      auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
      cs.push_back(eid->commitments[it - eid->attr_keys.begin()]);
    }
    ASSERT_TRUE(ledger_->AnswerValidation(validator_key_, r.id, cs, eid->loa).ok());
  }
  for (auto& p : posts) {
    testing::ClientResponse r = p.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"status":"ok"})");
  }
  (*server)->Shutdown();
}

// A pending answer whose validator never answers gets validator_timeout at
// its deadline, and the browser's login ends with the timeout page.
TEST_F(WalletLoginTest, AsyncAnswerTimesOutWhenTheValidatorIsSilent) {
  validator_->answering = false;
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.body = Answer(code);
  std::promise<HttpResponse> got;
  auth_->PostAnswerAsync(q, [&](HttpResponse r) { got.set_value(std::move(r)); });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(seconds(30)), std::future_status::ready);
  HttpResponse r = f.get();
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(ErrorOf(r), "validator_timeout");
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 504);
}

}  // namespace
}  // namespace certme
