// A provider account per service (hub mode): each service's consent,
// validation and re-login without a validator belong to its own ledger
// address, and a service whose address the ledger does not authorize logs
// nobody in.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <thread>

#include "tests/idp/login/wallet_login_fixture.h"

namespace certme {
namespace {

class ProviderAccountsTest : public WalletLoginTest {
 protected:
  std::unique_ptr<ProviderKeys> MakeProviderKeys() override {
    return NewStoreProviderKeys(*store_, std::string(32, 'k'), SystemRandom());
  }

  // The service's provider account, created by the bridge and authorized by
  // the scheme administrator.
  std::string Authorize(const std::string& service) {
    auto key = provider_keys_->Ensure(service);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_TRUE(ledger_->AddProvider(admin_, key->address()).ok());
    return key->address();
  }

  // A whole login to `service`; returns the provider the consent named.
  std::string Login(const std::string& service) {
    std::string txn = Begin(kAsked, "ro", service);
    std::string code = CodeOnPage(txn);
    HttpResponse doc = Doc(code);
    EXPECT_EQ(doc.status, 200) << doc.body;
    std::string named = *ParseAddress(json::parse(doc.body)["consent"]["provider"].get<std::string>());
    HttpResponse r = Post(code, Answer(code));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(auth_->Continue(Get(txn)).status, 302);
    auto result = TakeLoginResult(*store_, txn);
    EXPECT_TRUE(result.ok() && result->error.empty());
    return named;
  }

  // The providers of every validation request on the ledger, in order.
  std::vector<std::string> RequestProviders() {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    auto events = ledger_->Events(f);
    EXPECT_TRUE(events.ok());
    std::vector<std::string> out;
    if (events.ok())
      for (const auto& e : *events) out.push_back(e.provider);
    return out;
  }

  // Begins a login that the bridge refuses on the spot (no 302 to the page).
  HttpResponse BeginRefused(const std::string& service, std::string& txn) {
    LoginRequest r;
    r.txn = txn = SystemRandom().Token(32);
    r.protocol = "saml";
    r.service_id = service;
    r.attributes = kAsked;
    r.ui_locale = "en";
    r.resume_url = kResume;
    r.expires_at = clock_.NowUnixSeconds() + 300;
    return auth_->Begin(r);
  }
};

TEST_F(ProviderAccountsTest, ConsentAndValidationArePerServiceAndReuseStaysWithinOne) {
  const std::string a = Authorize("service-a");
  const std::string b = Authorize("service-b");
  ASSERT_NE(a, b);
  // A: the validator answers, for A's address.
  EXPECT_EQ(Login("service-a"), a);
  EXPECT_EQ(validator_->answers.load(), 1);
  // B: the consent names B, and B's validation is asked for again — A's
  // answer is never reused for B.
  EXPECT_EQ(Login("service-b"), b);
  EXPECT_EQ(validator_->answers.load(), 2);
  // A again: A's earlier answer serves, no validator.
  EXPECT_EQ(Login("service-a"), a);
  EXPECT_EQ(validator_->answers.load(), 2);
  // B again: the same for B.
  EXPECT_EQ(Login("service-b"), b);
  EXPECT_EQ(validator_->answers.load(), 2);
  EXPECT_EQ(RequestProviders(), (std::vector<std::string>{a, b}));
  // The reuse lookups went through the index, one entry per (eID, provider).
  auto index = store_->List(kValidationIndexNamespace);
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->size(), 2u);
  for (const auto& e : *index) {
    // Hashed keys; the entry names neither the user nor the provider.
    EXPECT_EQ(e.value.find(HexEncode(user_.address())), std::string::npos);
    EXPECT_EQ(e.value.find(HexEncode(a)), std::string::npos);
  }
}

TEST_F(ProviderAccountsTest, ConsentForAnotherServicesProviderIsRefused) {
  Authorize("service-a");
  const std::string b = Authorize("service-b");
  std::string txn = Begin(kAsked, "ro", "service-a");
  std::string code = CodeOnPage(txn);
  // A wallet (or an attacker relaying one) signs the consent for B.
  HttpResponse r = Post(code, Answer(code, {.consent_provider = b}));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(ErrorOf(r), "bad_consent");
  EXPECT_EQ(validator_->answers.load(), 0);
  EXPECT_TRUE(RequestProviders().empty());
}

TEST_F(ProviderAccountsTest, UnauthorizedServiceGetsAPageAndTheProtocolAnError) {
  Authorize("service-a");
  auto key = provider_keys_->Ensure("service-c");  // registered, never authorized
  ASSERT_TRUE(key.ok());
  std::string txn;
  HttpResponse page = BeginRefused("service-c", txn);
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("not authorized by the scheme administrator"), std::string::npos) << page.body;
  // "Back to the service" leads to the protocol's resume, which answers its
  // client with an error (access_denied / RequestDenied).
  EXPECT_NE(page.body.find("authorize/resume"), std::string::npos);
  // Nothing internal on the page: not the address, not the key.
  EXPECT_EQ(page.body.find(key->AddressHex().substr(2)), std::string::npos);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->error, kLoginErrorServiceNotAuthorized);
  EXPECT_TRUE(result->subject.empty());
  // No code was issued for it: the page and "continue" show the refusal.
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 403);
  EXPECT_EQ(validator_->answers.load(), 0);
}

TEST_F(ProviderAccountsTest, DeauthorizedDuringTheLoginStopsEvenARelogin) {
  const std::string a = Authorize("service-a");
  Login("service-a");
  ASSERT_EQ(validator_->answers.load(), 1);
  std::string txn = Begin(kAsked, "ro", "service-a");
  std::string code = CodeOnPage(txn);
  std::string answer = Answer(code);
  ASSERT_TRUE(ledger_->RemoveProvider(admin_, a).ok());
  // A re-login would need no ledger write: the bridge checks the
  // authorization itself.
  HttpResponse r = Post(code, answer);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorOf(r), "service_not_authorized");
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 403);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->error, kLoginErrorServiceNotAuthorized);
}

// The ledger accepts a validator's answer to a request that the provider
// opened while it was authorized, even if the administrator has removed the
// provider since: the bridge checks again before it logs anyone in.
TEST_F(ProviderAccountsTest, DeauthorizedWhileTheValidatorIsAskedLogsNobodyIn) {
  const std::string a = Authorize("service-a");
  validator_->answering = false;
  std::string txn = Begin(kAsked, "ro", "service-a");
  std::string code = CodeOnPage(txn);
  std::string answer = Answer(code);
  HttpResponse r;
  std::thread wallet([&] { r = Post(code, answer); });  // waits for the validator
  EventFilter f;
  f.kind = EventKind::kValidationRequested;
  auto requested = ledger_->WaitForEvents(f, std::chrono::seconds(5));
  if (!requested.ok() || requested->size() != 1) {
    wallet.join();
    FAIL() << "no validation request: " << r.body;
  }
  const uint64_t id = requested->front().request_id;
  ASSERT_TRUE(ledger_->RemoveProvider(admin_, a).ok());
  // The enrolling validator answers anyway, and the ledger takes it.
  auto request = ledger_->GetRequest(id);
  auto eid = ledger_->GetEid(user_.address());
  ASSERT_TRUE(request.ok() && eid.ok());
  std::vector<Bytes32> commitments;
  for (const auto& k : request->attr_keys)
    commitments.push_back(
        eid->commitments[std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k) - eid->attr_keys.begin()]);
  auto answered = ledger_->AnswerValidation(validator_key_, id, commitments, eid->loa);
  wallet.join();
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(ErrorOf(r), "service_not_authorized");
  EXPECT_EQ(auth_->Continue(Get(txn)).status, 403);
  auto result = TakeLoginResult(*store_, txn);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->error, kLoginErrorServiceNotAuthorized);
  EXPECT_TRUE(result->subject.empty());
}

TEST_F(ProviderAccountsTest, ServiceRegisteredWithoutAKeyGetsOneAtItsFirstLogin) {
  std::string txn;
  HttpResponse page = BeginRefused("late-service", txn);
  EXPECT_EQ(page.status, 403);  // created now, not yet authorized
  auto address = provider_keys_->Address("late-service");
  ASSERT_TRUE(address.ok());
  ASSERT_TRUE(ledger_->AddProvider(admin_, *address).ok());
  EXPECT_EQ(Login("late-service"), *address);
}

}  // namespace
}  // namespace certme
