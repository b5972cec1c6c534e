// Every refused SAML message leaves exactly one log line naming the message
// and the reason (the hidden detail), and never the message or RelayState
// themselves: an operator must be able to tell why a service's logout or
// login did nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

constexpr char kRelay[] = "relay-secret-7f3a";

class RefusalLogTest : public SamlIdpTest {
 protected:
  void SetUp() override {
    SamlIdpTest::SetUp();
    SetLogSink([this](const std::string& line) { lines_.push_back(line); });
  }
  void TearDown() override { SetLogSink(nullptr); }

  // The refusal lines logged since the last call (and forgets all lines).
  std::vector<nlohmann::json> TakeRefusals() {
    std::vector<nlohmann::json> out;
    for (const auto& l : lines_) {
      auto j = nlohmann::json::parse(l, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "saml request refused") out.push_back(j);
      EXPECT_EQ(l.find(kRelay), std::string::npos) << "RelayState logged: " << l;
    }
    lines_.clear();
    return out;
  }

  // Exactly one refusal line, whose reason contains `reason`.
  void ExpectOneRefusal(const std::string& reason, const std::string& request) {
    auto r = TakeRefusals();
    ASSERT_EQ(r.size(), 1u) << reason;
    EXPECT_NE(r[0].value("reason", "").find(reason), std::string::npos) << r[0].dump();
    EXPECT_EQ(r[0].value("request", ""), request) << r[0].dump();
  }

  std::string LogoutXml(const std::string& id, const std::string& issuer = kSp, int64_t instant = 0,
                        const std::string& destination = "https://idp.test/saml/slo") {
    return "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" + id +
           "\" Version=\"2.0\" IssueInstant=\"" + FormatSamlTime(instant ? instant : Now()) +
           "\" Destination=\"" + destination + "\"><saml:Issuer>" + issuer +
           "</saml:Issuer><saml:NameID>2001234567890</saml:NameID>"
           "<samlp:SessionIndex>_s1</samlp:SessionIndex></samlp:LogoutRequest>";
  }

  HttpResponse PostSlo(const std::string& encoded) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/saml/slo";
    r.form = {{"SAMLRequest", encoded}, {"RelayState", kRelay}};
    return idp_->Slo(r);
  }

  std::vector<std::string> lines_;
};

TEST_F(RefusalLogTest, RefusedLogoutRequestsAreLoggedWithTheirReason) {
  PostSlo("%%% not base64");
  ExpectOneRefusal("base64", "SAML message");  // the binding could not deliver it
  PostSlo(Base64Encode("<samlp:LogoutRequest"));
  ExpectOneRefusal("malformed", "LogoutRequest");
  PostSlo(Base64Encode("<!DOCTYPE r [<!ENTITY e \"x\">]>" + LogoutXml("_dtd")));
  ExpectOneRefusal("DOCTYPE", "LogoutRequest");
  PostSlo(Base64Encode(AuthnXml("_authn", Now())));
  ExpectOneRefusal("not a LogoutRequest", "LogoutRequest");
  PostSlo(Base64Encode(Sign(LogoutXml("_unk", "https://evil.example"), *sp_key_)));
  ExpectOneRefusal("unknown issuer", "LogoutRequest");
  PostSlo(Base64Encode(LogoutXml("_unsigned")));
  ExpectOneRefusal("unsigned", "LogoutRequest");
  PostSlo(Base64Encode(Sign(LogoutXml("_wrongkey"), *other_key_)));
  ExpectOneRefusal("signature", "LogoutRequest");
  PostSlo(Base64Encode(Sign(LogoutXml("_stale", kSp, Now() - 3600), *sp_key_)));
  ExpectOneRefusal("IssueInstant", "LogoutRequest");
  PostSlo(Base64Encode(Sign(LogoutXml("_dest", kSp, 0, "https://other.test/slo"), *sp_key_)));
  ExpectOneRefusal("Destination", "LogoutRequest");
  std::string once = Base64Encode(Sign(LogoutXml("_once"), *sp_key_));
  PostSlo(once);  // no live session: answered Success, not a refusal
  EXPECT_TRUE(TakeRefusals().empty());
  PostSlo(once);
  ExpectOneRefusal("already used", "LogoutRequest");
  // Two RelayStates (binding-level refusal).
  HttpRequest two;
  two.method = "POST";
  two.form = {{"SAMLRequest", once}, {"RelayState", "a"}, {"RelayState", "b"}};
  idp_->Slo(two);
  ExpectOneRefusal("RelayState", "SAML message");
}

TEST_F(RefusalLogTest, RefusedLogoutResponseAndRedirectQueriesAreLogged) {
  HttpRequest r;
  r.method = "POST";
  r.form = {{"SAMLResponse", Base64Encode("<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>")}};
  idp_->Slo(r);
  ExpectOneRefusal("ID", "LogoutResponse");
  HttpRequest get;
  get.method = "GET";
  get.raw_query = "SAMLRequest=" + PercentEncode(DeflateAndBase64(LogoutXml("_q"))) + "&Relay%53tate=" + kRelay;
  get.query = *ParseUrlEncoded(get.raw_query);
  idp_->Slo(get);
  ExpectOneRefusal("RelayState", "SAML message");
}

TEST_F(RefusalLogTest, RefusedAuthnRequestsAreLoggedWithTheirReason) {
  // Before the issuer is known: a page.
  std::string wide;
  for (int i = 0; i < 36000; ++i) wide += "a" + std::to_string(i) + "=\"\" ";
  idp_->Sso(Post(AuthnXml("_wide", Now(), wide)));
  ExpectOneRefusal("too large", "AuthnRequest");
  idp_->Sso(Post(AuthnXml("_wide2", Now(), wide.substr(0, wide.find("a5000=")))));
  ExpectOneRefusal("attributes", "AuthnRequest");
  idp_->Sso(Post(AuthnXml("_noiss", Now(), "", "")));
  ExpectOneRefusal("Issuer", "AuthnRequest");
  std::string xml = AuthnXml("_idx", Now());
  std::string attr = std::string("AssertionConsumerServiceURL=\"") + kAcs + "\"";
  xml.replace(xml.find(attr), attr.size(), "AssertionConsumerServiceIndex=\"7\"");
  idp_->Sso(Post(Sign(xml, *sp_key_)));
  ExpectOneRefusal("AssertionConsumerServiceIndex", "AuthnRequest");
  // After it: a signed Response to the ACS, and still one line.
  idp_->Sso(Post(AuthnXml("_unsigned", Now())));
  ExpectOneRefusal("unsigned", "AuthnRequest");
  idp_->Sso(Post(Sign(AuthnXml("_stale", Now() - 3600), *sp_key_)));
  ExpectOneRefusal("IssueInstant", "AuthnRequest");
}

}  // namespace
}  // namespace certme::saml
