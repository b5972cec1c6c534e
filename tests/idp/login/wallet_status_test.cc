// The wallet login's state machine as the browser sees it
// (idp/login/wallet_status.cc, docs/wallet-protocol.md §8): every state the
// status endpoint reports, terminal answers at once, the QR code's renewal
// within the login's lifetime, "try again" and the outcome pages' ways on.
#include <gtest/gtest.h>

#include <future>

#include <nlohmann/json.hpp>

#include "common/request_scope.h"
#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

class WalletStatusTest : public WalletLoginTest {
 protected:
  // The long-poll's answer and how long it took.
  std::pair<json, std::chrono::milliseconds> Poll(const std::string& txn, const std::string& known = "") {
    HttpRequest q = Get(txn);
    if (!known.empty()) q.query.emplace("state", known);
    auto got = std::make_shared<std::promise<HttpResponse>>();
    auto start = std::chrono::steady_clock::now();
    auth_->StatusPoll(q, [got](HttpResponse r) { got->set_value(std::move(r)); });
    auto f = got->get_future();
    if (f.wait_for(seconds(8)) != std::future_status::ready) return {json(), milliseconds(99999)};
    HttpResponse r = f.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers.Get("Cache-Control").value_or(""), "no-store");
    auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    return {json::parse(r.body, nullptr, false), took};
  }
  std::string State(const std::string& txn) { return auth_->LoginStatusOf(txn).state; }
  HttpResponse RetryWith(const std::string& txn, const std::string& lang = "") {
    HttpRequest q;
    q.method = "POST";
    q.form = {{"txn", txn}};
    if (!lang.empty()) q.form.emplace("lang", lang);
    return auth_->Retry(q);
  }
  HttpResponse Renew(const std::string& txn) {
    HttpRequest q;
    q.method = "POST";
    q.form = {{"txn", txn}};
    return auth_->Renew(q);
  }
};

// A replica that stops (IdpServer::Shutdown drains the authenticator before
// the HTTP server's graceful shutdown) answers what it holds at once and
// ends no login: the page's long-poll gets the login's state, the wallet's
// answer awaiting the validator gets 503 with Retry-After and no recorded
// outcome, and the identical answer resent to another replica completes
// the login. Before Drain() existed, the waiting answer ended the login as
// validator_timeout when the replica stopped.
TEST_F(WalletStatusTest, DrainAnswersWhatItHoldsAndEndsNoLogin) {
  validator_->answering = false;
  WalletLoginOptions o;
  o.public_url = kPublic;
  o.answer_timeout = seconds(60);
  o.poll_timeout = seconds(25);
  auth_ = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, *provider_keys_, ecies_, clock_,
                                                SystemRandom());
  std::string idle = Begin();
  auto parked = std::make_shared<std::promise<HttpResponse>>();
  HttpRequest pq = Get(idle);
  pq.query.emplace("state", "waiting");
  auth_->StatusPoll(pq, [parked](HttpResponse r) { parked->set_value(std::move(r)); });
  auto poll = parked->get_future();

  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.headers.Set("Content-Type", "application/json");
  q.body = Answer(code);
  auto got = std::make_shared<std::promise<HttpResponse>>();
  auth_->PostAnswerAsync(q, [got](HttpResponse r) { got->set_value(std::move(r)); });
  auto answer = got->get_future();
  ASSERT_EQ(ValidationRequests(), 1u);
  EXPECT_EQ(poll.wait_for(milliseconds(200)), std::future_status::timeout);
  EXPECT_EQ(answer.wait_for(milliseconds(0)), std::future_status::timeout);

  auth_->Drain();
  ASSERT_EQ(poll.wait_for(seconds(2)), std::future_status::ready) << "the long-poll was not answered";
  json polled = json::parse(poll.get().body, nullptr, false);
  EXPECT_EQ(polled.value("state", ""), "waiting");
  ASSERT_EQ(answer.wait_for(seconds(2)), std::future_status::ready) << "the waiting answer was not answered";
  HttpResponse stopped = answer.get();
  EXPECT_EQ(stopped.status, 503) << stopped.body;
  EXPECT_EQ(ErrorOf(stopped), "temporarily_unavailable");
  EXPECT_EQ(stopped.headers.Get("Retry-After").value_or(""), "1");
  // Nothing parks after the drain.
  auto late = std::make_shared<std::promise<HttpResponse>>();
  auth_->StatusPoll(pq, [late](HttpResponse r) { late->set_value(std::move(r)); });
  EXPECT_EQ(late->get_future().wait_for(milliseconds(0)), std::future_status::ready);

  // Another replica, sharing the store and the ledger, resumes the login.
  auto other = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, *provider_keys_, ecies_, clock_,
                                                     SystemRandom());
  EXPECT_NE(other->LoginStatusOf(txn).state, "validator_timeout");
  EXPECT_FALSE(other->LoginStatusOf(txn).terminal);
  auto open = ledger_->OpenRequests(validator_key_.address());
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  auto eid = ledger_->GetEid(open->front().user);
  ASSERT_TRUE(eid.ok());
  std::vector<Bytes32> cs;
  for (const auto& k : open->front().attr_keys) {
    auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
    cs.push_back(eid->commitments[it - eid->attr_keys.begin()]);
  }
  ASSERT_TRUE(ledger_->AnswerValidation(validator_key_, open->front().id, cs, eid->loa).ok());
  HttpResponse resent = other->PostAnswer(q);
  EXPECT_EQ(resent.status, 200) << resent.body;
  EXPECT_EQ(other->LoginStatusOf(txn).state, "done");
  EXPECT_EQ(ValidationRequests(), 1u) << "the resent answer submitted a second validation";
}

TEST_F(WalletStatusTest, UnknownTransactionAnswersAtOnceAndAlwaysTheSame) {
  auto [bogus, took] = Poll("bogus", "waiting");
  EXPECT_EQ(bogus["state"], "unknown");
  EXPECT_LT(took, milliseconds(500)) << "an unknown login must not be held for the poll timeout";
  // A real-looking txn that never existed, and one too long to be one:
  // the same answer, so the endpoint tells nothing about which exist.
  auto [unknown, t2] = Poll(SystemRandom().Token(32));
  auto [longer, t3] = Poll(std::string(300, 'a'));
  EXPECT_EQ(unknown, bogus);
  EXPECT_EQ(longer, bogus);
  EXPECT_LT(t2 + t3, milliseconds(1000));
  // A txn that existed but whose login is over: expired, at once.
  std::string txn = Begin();
  clock_.Advance(seconds(301));
  auto [over, t4] = Poll(txn, "waiting");
  EXPECT_EQ(over["state"], "expired");
  EXPECT_LT(t4, milliseconds(500));
  // The bad-request case names no login.
  HttpRequest none;
  none.method = "GET";
  std::promise<HttpResponse> got;
  auth_->StatusPoll(none, [&](HttpResponse r) { got.set_value(std::move(r)); });
  EXPECT_EQ(got.get_future().get().status, 400);
}

TEST_F(WalletStatusTest, StatesFollowTheLoginFromScanToDone) {
  std::string txn = Begin();
  EXPECT_EQ(State(txn), "waiting");
  auto st = auth_->LoginStatusOf(txn);
  EXPECT_FALSE(st.terminal);
  EXPECT_EQ(st.code_expires_in, 120);
  EXPECT_EQ(st.login_expires_in, 300);
  std::string code = CodeOnPage(txn);
  // The wallet fetches the request document: visible to the page at once.
  auto pending = std::async(std::launch::async, [&] { return Poll(txn, "waiting"); });
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_EQ(Doc(code).status, 200);
  auto [opened, took] = pending.get();
  EXPECT_EQ(opened["state"], "opened");
  EXPECT_LT(took, milliseconds(1500));
  ASSERT_EQ(Post(code, Answer(code)).status, 200);
  EXPECT_EQ(State(txn), "done");
  EXPECT_TRUE(auth_->LoginStatusOf(txn).terminal);
}

TEST_F(WalletStatusTest, ValidatorSilentShowsValidatingThenTimeoutThenTryAgainKeepsLanguage) {
  validator_->answering = false;
  std::string txn = Begin(kAsked, "ru");
  std::string code = CodeOnPage(txn);
  auto posted = std::async(std::launch::async, [&] { return Post(code, Answer(code)); });
  // While the ledger waits for the validator the page says so.
  bool seen_validating = false;
  for (int i = 0; i < 100 && !seen_validating; ++i) {
    seen_validating = State(txn) == "validating";
    if (!seen_validating) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(seen_validating);
  // ...also after the code's own lifetime: the wallet has answered.
  EXPECT_EQ(posted.get().status, 504);
  EXPECT_EQ(State(txn), "validator_timeout");
  HttpResponse page = auth_->Continue(Get(txn));
  EXPECT_EQ(page.status, 504);
  EXPECT_NE(page.body.find("id=\"retry\""), std::string::npos) << "the timeout page offers Try again";
  EXPECT_NE(page.body.find("id=\"back\""), std::string::npos) << "and the way back to the service";
  EXPECT_NE(page.body.find("<html lang=\"ru\">"), std::string::npos);

  // Try again: a new code for the same login, in the language shown.
  HttpResponse again = RetryWith(txn, "ru");
  EXPECT_EQ(again.status, 303);
  EXPECT_EQ(again.headers.Get("Location").value_or(""),
            std::string(kPublic) + "/login/wallet?txn=" + PercentEncode(txn) + "&lang=ru");
  EXPECT_EQ(State(txn), "waiting");
  EXPECT_FALSE(TakeLoginResult(*store_, txn).ok()) << "the earlier failure must not reach the service";
  std::string fresh = CodeOnPage(txn);
  EXPECT_NE(fresh, code);
  validator_->answering = true;
  ASSERT_EQ(Post(fresh, Answer(fresh)).status, 200);
  EXPECT_EQ(State(txn), "done");
}

TEST_F(WalletStatusTest, ExpiredCodeIsRenewedWithinTheLoginsLifetime) {
  std::string txn = Begin();
  std::string code = CodeOnPage(txn);
  // Not yet expired: renewing changes nothing (nobody churns a live code).
  json early = json::parse(Renew(txn).body);
  EXPECT_EQ(early["state"], "waiting");
  EXPECT_FALSE(early.contains("qr_svg"));
  EXPECT_EQ(CodeOnPage(txn), code);

  clock_.Advance(seconds(121));
  EXPECT_EQ(State(txn), "code_expired");
  auto [told, took] = Poll(txn, "waiting");
  EXPECT_EQ(told["state"], "code_expired");
  EXPECT_LT(took, milliseconds(500));
  json renewed = json::parse(Renew(txn).body);
  EXPECT_EQ(renewed["state"], "waiting");
  EXPECT_EQ(renewed["code_expires_in"], 120);
  EXPECT_EQ(renewed["login_expires_in"], 179);
  ASSERT_TRUE(renewed.contains("qr_svg"));
  EXPECT_NE(renewed["qr_svg"].get<std::string>().find("<svg"), std::string::npos);
  std::string fresh = CodeOnPage(txn);
  EXPECT_NE(fresh, code);
  EXPECT_EQ(renewed["deeplink"], std::string(kPublic) + "/wallet/v1/l/" + fresh);
  EXPECT_EQ(ErrorOf(Doc(code)), "unknown_code") << "the old code is dead";

  // The last code ends with the login (300 s), not 120 s after it was made.
  clock_.Advance(seconds(121));
  json last = json::parse(Renew(txn).body);
  EXPECT_EQ(last["code_expires_in"], 58);
  clock_.Advance(seconds(59));
  EXPECT_EQ(State(txn), "expired");
  EXPECT_FALSE(json::parse(Renew(txn).body).contains("qr_svg"));
}

TEST_F(WalletStatusTest, EarlyContinueSaysTheWalletHasNotAnswered) {
  std::string txn = Begin(kAsked, "en");
  HttpRequest pressed = Get(txn);
  pressed.path = "/login/wallet/continue";
  HttpResponse page = auth_->Continue(pressed);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<p class=\"notice\" id=\"not-yet\">The wallet has not answered yet"), std::string::npos);
  // The page itself does not show it, and the no-JS hint is for no-JS only.
  HttpResponse plain = auth_->LoginPage(Get(txn));
  EXPECT_EQ(plain.body.find("id=\"not-yet\""), std::string::npos);
  size_t hint = plain.body.find("JavaScript is off");
  ASSERT_NE(hint, std::string::npos);
  EXPECT_LT(plain.body.rfind("<noscript>", hint), hint);
  EXPECT_GT(plain.body.find("</noscript>", hint), hint);
}

TEST_F(WalletStatusTest, EveryOutcomePageOffersAWayOnAndTheRequestId) {
  struct Case {
    std::function<void(const std::string& txn, const std::string& code)> end;
    int status;
    bool retry, back;
  };
  std::vector<std::pair<std::string, Case>> cases = {
      {"refused", {[&](auto&, auto& code) { Post(code, Refusal(code)); }, 200, true, true}},
      {"eid_suspended",
       {[&](auto&, auto& code) {
          std::string a = Answer(code);
          ASSERT_TRUE(ledger_->SuspendEid(admin_, user_.address()).ok());
          Post(code, a);
          ASSERT_TRUE(ledger_->ReactivateEid(admin_, user_.address()).ok());
        },
        403, false, true}},
  };
  for (auto& [name, c] : cases) {
    std::string txn = Begin();
    std::string code = CodeOnPage(txn);
    c.end(txn, code);
    EXPECT_EQ(State(txn), name);
    HttpRequest req = Get(txn);
    req.headers.Set("X-Request-Id", "ref-" + name);
    RequestScope scope(req);
    HttpResponse page = auth_->Continue(req);
    EXPECT_EQ(page.status, c.status) << name;
    EXPECT_EQ(page.body.find("id=\"retry\"") != std::string::npos, c.retry) << name;
    EXPECT_EQ(page.body.find("id=\"back\"") != std::string::npos, c.back) << name;
    EXPECT_NE(page.body.find("id=\"todo\""), std::string::npos) << name;
    EXPECT_NE(page.body.find("ref-" + name), std::string::npos) << name << ": no request id";
  }
  // Unknown: no service to go back to, so the start page; and the id.
  HttpRequest req = Get("no-such-login");
  req.headers.Set("X-Request-Id", "ref-unknown");
  req.headers.Set("Accept-Language", "ru");
  RequestScope scope(req);
  HttpResponse page = auth_->LoginPage(req);
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(page.body.find("id=\"home\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"back\""), std::string::npos);
  EXPECT_NE(page.body.find("ref-unknown"), std::string::npos);
  EXPECT_NE(page.body.find("<html lang=\"ru\">"), std::string::npos) << "a Russian browser gets Russian";
}

TEST_F(WalletStatusTest, PageLanguageFollowsTheOrder) {
  // No ui_locales at the start (""): the browser's language.
  std::string txn = Begin(kAsked, "");
  HttpRequest ru = Get(txn);
  ru.headers.Set("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5");
  EXPECT_NE(auth_->LoginPage(ru).body.find("<html lang=\"ru\">"), std::string::npos);
  // The switcher's cookie beats the browser; the lang parameter beats both.
  ru.cookies["certme_lang"] = "en";
  EXPECT_NE(auth_->LoginPage(ru).body.find("<html lang=\"en\">"), std::string::npos);
  ru.query.emplace("lang", "ro");
  EXPECT_NE(auth_->LoginPage(ru).body.find("<html lang=\"ro\">"), std::string::npos);
  // ui_locales named at the start beats the cookie and the browser.
  std::string en = Begin(kAsked, "en");
  HttpRequest q = Get(en);
  q.cookies["certme_lang"] = "ru";
  EXPECT_NE(auth_->LoginPage(q).body.find("<html lang=\"en\">"), std::string::npos);
}

}  // namespace
}  // namespace certme
