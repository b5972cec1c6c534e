// The eID's live status at SSO reuse (a suspended or revoked eID's session
// is ended and the request goes to a fresh login; a status that cannot be
// read refuses), and EndEidSessions: a signed LogoutRequest over SOAP
// reaches the service's SOAP endpoint (a real HTTP receiver).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "idp/outbound/outbox.h"
#include "store/memory/memory_store.h"
#include "tests/idp/tiny_http_server.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml::testing {
namespace {

constexpr char kEid[] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

class FakeEidStatus : public EidStatusSource {
 public:
  StatusOr<EidLiveStatus> Status(std::string_view) override {
    if (down) return Unavailable("ledger unavailable", "test outage");
    return status;
  }
  EidLiveStatus status = EidLiveStatus::kActive;
  bool down = false;
};

// The server's SOAP sender, on the real outbox.
class OutboxSoap : public SoapLogoutSender {
 public:
  explicit OutboxSoap(Outbox& o) : outbox(o) {}
  void PostSoapLogout(const std::string&, const std::string& url, const std::string& envelope) override {
    EXPECT_TRUE(outbox.Post({.url = url, .body = envelope, .content_type = "text/xml; charset=utf-8"}).ok());
  }
  Outbox& outbox;
};

class SamlEidStatusTest : public SamlIdpTest {
 protected:
  void SetUp() override {
    SamlIdpTest::SetUp();
    idp_->SetEidStatusSource(&status_);
    login_eid_ = kEid;
  }
  // Logs in and returns the session cookie.
  std::string LogIn(const std::string& id) {
    HttpResponse done = FinishLogin(idp_->Sso(Post(Sign(AuthnXml(id, Now()), *sp_key_))), attrs_);
    EXPECT_EQ(StatusOf(ResponseXml(done)), kStatusSuccess);
    return CookieOf(done, std::string(kSessionCookie));
  }
  HttpResponse SsoWith(const std::string& id, const std::string& cookie) {
    HttpRequest r = Post(Sign(AuthnXml(id, Now()), *sp_key_));
    r.cookies[std::string(kSessionCookie)] = cookie;
    return idp_->Sso(r);
  }
  const std::map<std::string, std::string> attrs_ = {{"idnp", "2001234567890"}};
  FakeEidStatus status_;
};

TEST_F(SamlEidStatusTest, SsoReuseOfASuspendedEidGoesToAFreshLogin) {
  std::string cookie = LogIn("_s1");
  ASSERT_FALSE(cookie.empty());
  size_t logins = auth_.requests.size();
  // Active: the session answers without a login.
  EXPECT_EQ(StatusOf(ResponseXml(SsoWith("_s2", cookie))), kStatusSuccess);
  EXPECT_EQ(auth_.requests.size(), logins);

  status_.status = EidLiveStatus::kSuspended;
  HttpResponse r = SsoWith("_s3", cookie);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(auth_.requests.size(), logins + 1);
  EXPECT_TRUE(ResponseXml(r).empty());
  // The session ended: reactivation does not bring it back.
  status_.status = EidLiveStatus::kActive;
  SsoWith("_s4", cookie);
  EXPECT_EQ(auth_.requests.size(), logins + 2);
}

TEST_F(SamlEidStatusTest, StatusThatCannotBeReadRefusesReuse) {
  std::string cookie = LogIn("_f1");
  status_.down = true;
  std::string xml = ResponseXml(SsoWith("_f2", cookie));
  ASSERT_FALSE(xml.empty());
  EXPECT_EQ(StatusOf(xml), kStatusResponder);
  // Nothing was ended: once the ledger answers, the session serves again.
  status_.down = false;
  EXPECT_EQ(StatusOf(ResponseXml(SsoWith("_f3", cookie))), kStatusSuccess);
}

TEST_F(SamlEidStatusTest, LoginWithoutEidIsNeverChecked) {
  login_eid_.clear();
  std::string cookie = LogIn("_d1");
  status_.down = true;
  EXPECT_EQ(StatusOf(ResponseXml(SsoWith("_d2", cookie))), kStatusSuccess);
}

TEST_F(SamlEidStatusTest, SuspensionSendsASignedSoapLogoutRequest) {
  ::certme::testing::TinyHttpServer receiver([](int) { return 200; });
  auto svc = services_->Get(kSp);
  ASSERT_TRUE(svc.ok());
  svc->slo_soap_url = receiver.Url("/soap");
  ASSERT_TRUE(services_->Put(*svc).ok());
  auto queue_store = NewMemoryStore();
  Outbox outbox(*queue_store, SystemClock(), SystemRandom(), OutboxOptions{.poll = std::chrono::milliseconds(50)});
  OutboxSoap soap(outbox);
  idp_->SetSoapLogoutSender(&soap);

  std::string cookie = LogIn("_p1");
  status_.status = EidLiveStatus::kSuspended;
  auto ended = idp_->EndEidSessions("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  EXPECT_EQ(*ended, 1u);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto got = receiver.Received();
  while (got.empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got = receiver.Received();
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].head.find("POST /soap HTTP/1.1"), std::string::npos);
  EXPECT_NE(got[0].head.find("Content-Type: text/xml"), std::string::npos);
  const std::string& body = got[0].body;
  EXPECT_EQ(body.rfind("<soap11:Envelope", 0), 0u) << body;
  EXPECT_NE(body.find("samlp:LogoutRequest"), std::string::npos);
  EXPECT_NE(body.find("urn:oasis:names:tc:SAML:2.0:logout:admin"), std::string::npos);
  EXPECT_NE(body.find("2001234567890"), std::string::npos);  // the service's NameID (IDNP)
  // The LogoutRequest is signed with the IdP key: verify it out of the envelope.
  size_t start = body.find("<samlp:LogoutRequest");
  size_t end = body.find("</samlp:LogoutRequest>");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string request = body.substr(start, end + 22 - start);
  auto doc = ParseUntrustedXml(request, XmlLimits{});
  ASSERT_TRUE(doc.ok());
  auto idp_pub = ParsePublicKeyFromCertificate(CertificateDerToPem(idp_cert_));
  ASSERT_TRUE(idp_pub.ok());
  EXPECT_TRUE(VerifyEnvelopedSignature(doc->get(), xmlDocGetRootElement(doc->get()), BorrowEvpPkey(**idp_pub)).ok());

  // Ended: the session no longer answers, and nothing is left to end.
  status_.status = EidLiveStatus::kActive;
  size_t logins = auth_.requests.size();
  SsoWith("_p2", cookie);
  EXPECT_EQ(auth_.requests.size(), logins + 1);
  auto again = idp_->EndEidSessions(kEid);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

TEST_F(SamlEidStatusTest, ReuseReportsTheRequestedLevelAHighEidMeets) {
  login_acr_ = std::string(eidas::kLoaHigh);
  std::string cookie = LogIn("_h1");
  HttpRequest r = Post(Sign(AuthnXml("_h2", Now(), "", kSp,
                                     "<samlp:RequestedAuthnContext Comparison=\"exact\"><saml:AuthnContextClassRef>" +
                                         std::string(eidas::kLoaSubstantial) +
                                         "</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>"),
                            *sp_key_));
  r.cookies[std::string(kSessionCookie)] = cookie;
  std::string xml = ResponseXml(idp_->Sso(r));
  EXPECT_EQ(StatusOf(xml), kStatusSuccess);
  EXPECT_NE(xml.find(std::string("<saml:AuthnContextClassRef>") + std::string(eidas::kLoaSubstantial)),
            std::string::npos);
}

}  // namespace
}  // namespace certme::saml::testing
