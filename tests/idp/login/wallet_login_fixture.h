// The wallet login test fixture: a real embedded ledger, a validator
// answering in-process on ledger events, and a wallet built from the public
// pieces (ECIES to the bridge key, EIP-712 Login and Consent signatures) the
// way docs/wallet-protocol.md describes. Shared by the wallet login tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/ecies.h"
#include "idp/login/wallet_authenticator.h"
#include "ledger-client/abi.h"
#include "ledger-client/embedded_ledger.h"
#include "protocols/provider_keys.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/wallet_side.h"
#include "store/memory/memory_store.h"
#include "tests/idp/login/wallet_test_support.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

inline constexpr char kPublic[] = "https://bridge.test";
inline constexpr char kResume[] = "https://bridge.test/authorize/resume?t=1";
inline const std::vector<std::string> kAsked = {"first_name", "last_name", "idnp"};

using testing::Salt;
using testing::TestValidator;

// What a test's wallet does differently from an honest one.
struct WalletChoices {
  const EthKey* login_signer = nullptr;  // default: the user
  std::map<std::string, std::string> override_values;
  bool omit_consent = false;
  std::string consent_provider;  // 20 bytes; default: the one the request document names
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
    Status enrolled = testing::EnrollUser(*ledger_, admin_, validator_key_, provider_, user_, values_, loa_);
    ASSERT_TRUE(enrolled.ok()) << enrolled.ToString();
    validator_ = std::make_unique<TestValidator>(*ledger_, validator_key_);
    WalletLoginOptions o;
    o.public_url = kPublic;
    o.answer_timeout = milliseconds(1500);
    o.poll_timeout = seconds(5);
    provider_keys_ = MakeProviderKeys();
    auth_ = std::make_unique<WalletAuthenticator>(o, *store_, *ledger_, *provider_keys_, ecies_, clock_,
                                                  SystemRandom());
  }
  // Dedicated mode by default: every service is provider_.
  virtual std::unique_ptr<ProviderKeys> MakeProviderKeys() { return NewSingleProviderKey(provider_); }
  void TearDown() override {
    auth_.reset();
    validator_.reset();
  }

  // Begins a login; returns the txn.
  std::string Begin(std::vector<std::string> attrs = kAsked, std::string lang = "ro",
                    std::string service_id = "demo-rp") {
    LoginRequest r;
    r.txn = SystemRandom().Token(32);
    r.protocol = "oidc";
    r.service_id = std::move(service_id);
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
    q.headers.Set("Content-Type", "application/json");
    q.body = body;
    return auth_->PostAnswer(q);
  }

  // The wallet's signed refusal (§4), by `signer` (default: the user).
  std::string Refusal(const std::string& code, const EthKey* signer = nullptr) {
    auto doc = wallet::ParseRequestDocument(Doc(code).body);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    auto body = wallet::BuildRefusal(*doc, signer ? *signer : user_);
    EXPECT_TRUE(body.ok()) << body.status().ToString();
    return body.ok() ? *body : "";
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
      c.provider = w.consent_provider.empty() ? *ParseAddress(doc["consent"]["provider"].get<std::string>())
                                              : w.consent_provider;
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
  std::unique_ptr<ProviderKeys> provider_keys_;
  EthKey ecies_ = EthKey::Generate();
  EthKey user_ = EthKey::Generate();
  uint8_t loa_ = kLoaSubstantial;  // the level the user is enrolled at
  std::unique_ptr<EmbeddedLedger> ledger_;
  std::unique_ptr<TestValidator> validator_;
  std::unique_ptr<WalletAuthenticator> auth_;
};

}  // namespace certme
