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
#include "tests/idp/login/wallet_login_fixture.h"
#include "tests/idp/http_client.h"
#include "tests/idp/login/wallet_test_support.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "tests/ledger-client/temp_dir.h"
#include "store/memory/memory_store.h"

namespace certme {
namespace {

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
  // The eID whose live status governs what the protocol makes of the login.
  EXPECT_EQ(result->eid, user_.AddressHex());

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
                            *ledger_, *provider_keys_, ecies_, clock_, SystemRandom());
  HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.headers.Set("Content-Type", "application/json");
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
  // "Back to the service" answers the client: the failure is the result.
  auto failure = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(failure.ok());
  EXPECT_EQ(failure->error, "expired");

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
  EXPECT_FALSE(TakeLoginResult(*store_, txn).ok());
}

// The code is claimed only once an answer is proven to come from an eID
// holder: garbage or a forged answer from someone who saw the QR code
// leaves the login waiting, and the user's own answer still completes it.
TEST_F(WalletLoginTest, AnswersThatFailTheChecksDoNotSpendTheCode) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  EthKey stranger = EthKey::Generate();
  EXPECT_EQ(Post(code, "{}").status, 400);
  EXPECT_EQ(Post(code, Answer(code, {.login_signer = &stranger})).status, 401);
  EXPECT_EQ(Post(code, json{{"version", 1}, {"code", code}, {"refused", true}}.dump()).status, 400)
      << "an unsigned refusal is not accepted";
  EXPECT_EQ(Post(code, Refusal(code, &stranger)).status, 403) << "a key without an eID cannot refuse";
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 200) << "the page still waits";
  HttpResponse mine = Post(code, Answer(code));
  EXPECT_EQ(mine.status, 200) << mine.body;
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->error.empty());
}

TEST_F(WalletLoginTest, AnAnswerMustBeJson) {
  std::string code = CodeOnPage(Begin());
  HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.headers.Set("Content-Type", "text/plain");
  q.body = Answer(code);
  HttpResponse r = auth_->PostAnswer(q);
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(ErrorOf(r), "unsupported_media_type");
  EXPECT_EQ(Post(code, q.body).status, 200) << "the code is still open";
}

TEST_F(WalletLoginTest, AnswersPerCodeAreRateLimited) {
  std::string code = CodeOnPage(Begin());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Post(code, "{}").status, 400) << i;
  HttpResponse r = Post(code, Answer(code));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(ErrorOf(r), "too_many_requests");
  EXPECT_EQ(r.headers.Get("Retry-After").value_or(""), "5");
  clock_.Advance(seconds(5));
  EXPECT_EQ(Post(code, Answer(code)).status, 200);
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

// The level of assurance is the eID's enrolled level on the ledger.
class WalletLoginHighTest : public WalletLoginTest {
 protected:
  WalletLoginHighTest() { loa_ = kLoaHigh; }
};

TEST_F(WalletLoginHighTest, AcrIsTheEidsEnrolledLevel) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  ASSERT_EQ(Post(code, Answer(code)).status, 200);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->error.empty());
  EXPECT_EQ(result->acr, "http://eidas.europa.eu/LoA/high");
  EXPECT_EQ(result->eid, user_.AddressHex());
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
  // No authentication: only the failure, which answers the service with an error.
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, "failed");
  EXPECT_TRUE(result->subject.empty());
  EXPECT_TRUE(result->attributes.empty());
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
  HttpResponse r = Post(code, Refusal(code));
  EXPECT_EQ(r.status, 200) << r.body;
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
  ASSERT_EQ(Doc(code).status, 200);
  auto poll = [&](const std::string& known) {
    HttpRequest q = Get(txn);
    q.query.emplace("state", known);
    auto got = std::make_shared<std::promise<HttpResponse>>();
    auth_->StatusPoll(q, [got](HttpResponse r) { got->set_value(std::move(r)); });
    return got->get_future();
  };
  // The page saw the wallet fetch the request: the poll waits.
  auto first = poll("opened");
  EXPECT_EQ(first.wait_for(milliseconds(300)), std::future_status::timeout);
  auto start = std::chrono::steady_clock::now();
  auto answered = std::async(std::launch::async, [&] { return Post(code, Answer(code)).status; });
  // Each answer is the next state, in order, until the terminal one.
  const std::vector<std::string> order = {"opened", "approved", "validating", "done"};
  std::string state = "opened";
  auto f = std::move(first);
  for (int i = 0; i < 5 && state != "done"; ++i) {
    ASSERT_EQ(f.wait_for(seconds(5)), std::future_status::ready);
    std::string next = json::parse(f.get().body)["state"];
    auto at = std::find(order.begin(), order.end(), next);
    ASSERT_NE(at, order.end()) << next;
    EXPECT_GT(at - order.begin(), std::find(order.begin(), order.end(), state) - order.begin()) << next;
    state = next;
    if (state != "done") f = poll(state);
  }
  EXPECT_EQ(state, "done");
  EXPECT_EQ(answered.get(), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(6));
}

TEST_F(WalletLoginTest, MalformedAnswersAreRefusedAndLeaveTheCodeOpen) {
  std::string code = CodeOnPage(Begin());
  std::string good = Answer(code);
  EXPECT_EQ(ErrorOf(Post(code, "not json")), "invalid_request");
  json a = json::parse(good);
  a["attributes"] = Base64UrlEncode(std::string(120, 'x'));
  EXPECT_EQ(ErrorOf(Post(code, a.dump())), "bad_payload");
  HttpResponse r = Post(code, good);
  EXPECT_EQ(r.status, 200) << "malformed answers before it did not spend the code: " << r.body;
  EXPECT_EQ(ErrorOf(Post(code, good + " ")), "replayed");
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
  auth_ = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, *provider_keys_, ecies_, clock_, SystemRandom());
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
  q.headers.Set("Content-Type", "application/json");
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
