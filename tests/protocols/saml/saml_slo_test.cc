// Single Logout (SAML Profiles §4.4): SP-initiated with another service in
// the session (it gets our signed LogoutRequest; all answer → Success; one
// never answers → PartialLogout after the timeout), IdP-initiated from our
// logout page, refusals of unsigned / wrong-certificate LogoutRequests, the
// SessionLogoutHook that ends the browser's OIDC session too, and the other
// direction: an OIDC logout handing the browser to our logout page.
#include <gtest/gtest.h>

#include <regex>

#include "common/encoding.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/records.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

constexpr char kSp2[] = "https://sp2.example/metadata";
constexpr char kSp2Acs[] = "https://sp2.example/acs";
constexpr char kSp2Slo[] = "https://sp2.example/slo";
constexpr char kIdnp[] = "2001234567890";

// Records what the IdP asks of the other protocol.
class FakeLogoutHook : public SessionLogoutHook {
 public:
  std::string LinkedSessionId(const HttpRequest& req) override {
    return req.Cookie("certme_session") ? "sid-of-" + *req.Cookie("certme_session") : "";
  }
  void EndOtherSessions(const HttpRequest& req, const std::vector<std::string>& linked) override {
    calls.push_back(linked);
    cookie_at_logout.push_back(req.Cookie("certme_session").value_or(""));
  }
  std::vector<std::vector<std::string>> calls;
  std::vector<std::string> cookie_at_logout;
};

class SloTest : public SamlIdpTest {
 protected:
  void SetUp() override {
    SamlIdpTest::SetUp();
    sp2_key_ = NewKey("sp2");
    sp2_cert_ = *MakeSelfSignedCertificate(BorrowEvpPkey(*sp2_key_), "sp2", Now() - 3600, 30, SystemRandom());
    SamlService s;
    s.entity_id = kSp2;
    s.names = {{"ro", "Serviciu 2"}, {"en", "Service 2"}};
    s.acs_urls = {kSp2Acs};
    s.slo_url = kSp2Slo;
    s.certificate_pem = CertificateDerToPem(sp2_cert_);
    s.attributes = {"idnp", "first_name"};
    ASSERT_TRUE(services_->Put(s).ok());
  }

  // Logs a browser in at kSp (through the login) and then at kSp2 (from the
  // session, no second login). Returns the SAML session cookie.
  std::string LoginBoth(const std::string& other_cookie = "") {
    HttpRequest first = Post(Sign(AuthnXml(NewRequestId(), Now()), *sp_key_));
    if (!other_cookie.empty()) first.cookies["certme_session"] = other_cookie;
    HttpResponse begin = idp_->Sso(first);
    std::map<std::string, std::string> cookies;
    if (!other_cookie.empty()) cookies["certme_session"] = other_cookie;
    HttpResponse done = FinishLogin(begin, {{"idnp", kIdnp}, {"first_name", "Ion"}}, cookies);
    std::string xml = ResponseXml(done);
    EXPECT_EQ(StatusOf(xml), kStatusSuccess);
    std::smatch m;
    static const std::regex re("SessionIndex=\"([^\"]+)\"");
    EXPECT_TRUE(std::regex_search(xml, m, re));
    session_index_ = m[1].str();
    std::string session = CookieOf(done, std::string(kSessionCookie));
    EXPECT_FALSE(session.empty());

    size_t logins = auth_.requests.size();
    std::string at2 = AuthnXml(NewRequestId(), Now(), "", kSp2);
    at2.replace(at2.find(kAcs), std::string(kAcs).size(), kSp2Acs);
    HttpRequest second = Post(Sign(at2, *sp2_key_));
    second.cookies[std::string(kSessionCookie)] = session;
    HttpResponse sso2 = idp_->Sso(second);
    EXPECT_EQ(StatusOf(ResponseXml(sso2)), kStatusSuccess);
    EXPECT_EQ(auth_.requests.size(), logins) << "kSp2 needed a second login";
    return session;
  }

  // True when the SAML session cookie still gives SSO without a login.
  bool SessionAlive(const std::string& session) {
    size_t logins = auth_.requests.size();
    HttpRequest r = Post(Sign(AuthnXml(NewRequestId(), Now()), *sp_key_));
    r.cookies[std::string(kSessionCookie)] = session;
    HttpResponse out = idp_->Sso(r);
    return auth_.requests.size() == logins && StatusOf(ResponseXml(out)) == kStatusSuccess;
  }

  std::string NewRequestId() { return "_id" + std::to_string(++counter_); }

  std::string SpLogoutRequest(const std::string& id, const std::string& issuer, const std::string& name_id,
                              const std::string& session_index) {
    return "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" + id +
           "\" Version=\"2.0\" IssueInstant=\"" + FormatSamlTime(Now()) +
           "\" Destination=\"https://idp.test/saml/slo\"><saml:Issuer>" + issuer +
           "</saml:Issuer><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">" +
           name_id + "</saml:NameID><samlp:SessionIndex>" + session_index +
           "</samlp:SessionIndex></samlp:LogoutRequest>";
  }

  std::string SpLogoutResponse(const std::string& issuer, const std::string& in_response_to,
                               std::string_view status) {
    return "<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
           "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" + NewRequestId() +
           "\" Version=\"2.0\" IssueInstant=\"" + FormatSamlTime(Now()) +
           "\" Destination=\"https://idp.test/saml/slo\" InResponseTo=\"" + in_response_to +
           "\"><saml:Issuer>" + issuer + "</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"" +
           std::string(status) + "\"/></samlp:Status></samlp:LogoutResponse>";
  }

  // The SP's signed LogoutRequest posted cross-site (no cookie, as a browser
  // sends a POST from another site without SameSite=Lax cookies).
  HttpResponse SpStartsLogout(const std::string& id, SigningKey* key) {
    std::string xml = SpLogoutRequest(id, kSp, kIdnp, session_index_);
    HttpRequest r;
    r.method = "POST";
    r.path = "/saml/slo";
    r.form = {{"SAMLRequest", Base64Encode(key ? Sign(xml, *key) : xml)}, {"RelayState", "slo-rs"}};
    return idp_->Slo(r);
  }

  struct Progress {
    std::vector<std::string> frames;  // each frame's query, l=…&i=…
    std::string logout_id;
  };
  static Progress ProgressOf(const HttpResponse& page) {
    Progress p;
    static const std::regex frame_re("<iframe[^>]* src=\"https://idp\\.test/saml/slo/frame\\?([^\"]+)\"");
    for (std::sregex_iterator it(page.body.begin(), page.body.end(), frame_re), end; it != end; ++it) {
      std::string q = (*it)[1].str();
      for (size_t pos; (pos = q.find("&amp;")) != std::string::npos;) q.replace(pos, 5, "&");
      p.frames.push_back(q);
    }
    static const std::regex l_re("slo/finish\\?l=([^\"&]+)");
    std::smatch m;
    if (std::regex_search(page.body, m, l_re)) p.logout_id = m[1].str();
    return p;
  }

  HttpRequest Get(const std::string& path, const std::string& raw_query) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.raw_query = raw_query;
    r.query = *ParseUrlEncoded(raw_query);
    return r;
  }

  // The auto-post page's message (SAMLRequest or SAMLResponse) and action.
  static std::pair<std::string, std::string> PostedMessage(const HttpResponse& r, const std::string& param) {
    std::smatch m;
    std::regex re("action=\"([^\"]+)\"[\\s\\S]*name=\"" + param + "\" value=\"([^\"]+)\"");
    if (!std::regex_search(r.body, m, re)) return {};
    return {m[1].str(), Base64Decode(m[2].str()).value_or("")};
  }

  int Pending(const std::string& logout_id) {
    HttpResponse r = idp_->SloStatus(Get("/saml/slo/status", "l=" + logout_id));
    std::smatch m;
    static const std::regex re("\"pending\":(\\d+)");
    if (!std::regex_search(r.body, m, re)) return -1;
    return std::stoi(m[1].str());
  }

  std::shared_ptr<SigningKey> sp2_key_;
  std::string sp2_cert_;
  std::string session_index_;
  int counter_ = 0;
};

TEST_F(SloTest, SpInitiatedLogoutAsksTheOtherServiceThenAnswersSuccess) {
  std::string session = LoginBoth();
  ASSERT_TRUE(SessionAlive(session));
  HttpResponse page = SpStartsLogout("_lo1", sp_key_.get());
  ASSERT_EQ(page.status, 200) << page.body;
  Progress p = ProgressOf(page);
  ASSERT_EQ(p.frames.size(), 1u) << "only kSp2 is asked; the initiator is not";
  ASSERT_FALSE(p.logout_id.empty());
  // The session ended at once: no SSO any more.
  EXPECT_FALSE(SessionAlive(session));

  // The frame posts our signed LogoutRequest to kSp2.
  HttpResponse frame = idp_->SloFrame(Get("/saml/slo/frame", p.frames[0]));
  auto [action, xml] = PostedMessage(frame, "SAMLRequest");
  EXPECT_EQ(action, kSp2Slo);
  auto doc = ParseUntrustedXml(xml);
  ASSERT_TRUE(doc.ok()) << xml;
  xmlNode* root = xmlDocGetRootElement(doc->get());
  EXPECT_TRUE(VerifyEnvelopedSignature(doc->get(), root, BorrowEvpPkey(*idp_key_)).ok());
  auto lr = ReadLogoutRequest(root);
  ASSERT_TRUE(lr.ok());
  EXPECT_EQ(lr->header.issuer, "https://idp.test/saml/metadata");
  EXPECT_EQ(lr->header.destination, kSp2Slo);
  EXPECT_EQ(lr->name_id, kIdnp);
  ASSERT_EQ(lr->session_indexes.size(), 1u);
  EXPECT_EQ(lr->session_indexes[0], session_index_);
  EXPECT_EQ(Pending(p.logout_id), 1);

  // kSp2 answers Success.
  HttpRequest answer;
  answer.method = "POST";
  answer.path = "/saml/slo";
  answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(kSp2, lr->header.id, kStatusSuccess), *sp2_key_))}};
  EXPECT_EQ(idp_->Slo(answer).status, 200);
  EXPECT_EQ(Pending(p.logout_id), 0);

  // The initiator gets a signed LogoutResponse Success to its SLO URL.
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  auto [to, resp] = PostedMessage(fin, "SAMLResponse");
  EXPECT_EQ(to, "https://sp.example/slo");
  EXPECT_NE(fin.body.find("name=\"RelayState\" value=\"slo-rs\""), std::string::npos);
  EXPECT_EQ(StatusOf(resp), kStatusSuccess);
  EXPECT_NE(resp.find("InResponseTo=\"_lo1\""), std::string::npos);
  // Finishing twice does not answer twice.
  EXPECT_TRUE(PostedMessage(idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id)), "SAMLResponse")
                  .second.empty());
}

// docs/privacy.md: no attribute value outlives the SAML session. Every
// namespace the IdP and the login step write is searched for the values.
std::vector<std::string> RecordsHolding(Store& store, const std::vector<std::string>& needles) {
  static const std::vector<std::string_view> kNamespaces = {
      kAuthnNs,     kSessionNs, kSessionIndexNs, kReplayNs,     kLogoutNs,
      kOutRequestNs, kLinkNs,   kEidIndexNs,     "login_req",   "login_result"};
  std::vector<std::string> hits;
  for (auto ns : kNamespaces) {
    auto list = store.List(ns);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (!list.ok()) continue;
    for (const auto& e : *list)
      for (const auto& n : needles)
        if (e.value.find(n) != std::string::npos || e.key.find(n) != std::string::npos) {
          hits.push_back(std::string(ns) + " " + e.key + " " + e.value.substr(0, 160));
          break;
        }
  }
  return hits;
}

TEST_F(SloTest, NoAttributeValueRemainsAfterLogout) {
  const std::vector<std::string> needles = {kIdnp, "\"Ion\""};
  LoginBoth();
  EXPECT_FALSE(RecordsHolding(*store_, needles).empty()) << "the search finds the live session's values";

  HttpResponse page = SpStartsLogout("_lo-privacy", sp_key_.get());
  ASSERT_EQ(page.status, 200) << page.body;
  Progress p = ProgressOf(page);
  ASSERT_EQ(p.frames.size(), 1u);
  HttpResponse frame = idp_->SloFrame(Get("/saml/slo/frame", p.frames[0]));
  auto lr = ReadLogoutRequest(xmlDocGetRootElement(ParseUntrustedXml(PostedMessage(frame, "SAMLRequest").second)->get()));
  ASSERT_TRUE(lr.ok());
  HttpRequest answer;
  answer.method = "POST";
  answer.path = "/saml/slo";
  answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(kSp2, lr->header.id, kStatusSuccess), *sp2_key_))}};
  ASSERT_EQ(idp_->Slo(answer).status, 200);
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  ASSERT_EQ(StatusOf(PostedMessage(fin, "SAMLResponse").second), kStatusSuccess);

  std::vector<std::string> left = RecordsHolding(*store_, needles);
  EXPECT_TRUE(left.empty()) << "after logout: " << (left.empty() ? "" : left[0]);
}

TEST_F(SloTest, NoAttributeValueRemainsAfterTheSessionExpires) {
  const std::vector<std::string> needles = {kIdnp, "\"Ion\""};
  LoginBoth();
  EXPECT_FALSE(RecordsHolding(*store_, needles).empty());
  clock_.Advance(std::chrono::seconds(SamlIdpOptions{}.session_ttl_seconds + 1));
  std::vector<std::string> left = RecordsHolding(*store_, needles);
  EXPECT_TRUE(left.empty()) << "after expiry: " << (left.empty() ? "" : left[0]);
}

TEST_F(SloTest, ServiceThatNeverAnswersGivesPartialLogoutAfterTheTimeout) {
  LoginBoth();
  HttpResponse page = SpStartsLogout("_lo2", sp_key_.get());
  Progress p = ProgressOf(page);
  ASSERT_EQ(p.frames.size(), 1u);
  (void)idp_->SloFrame(Get("/saml/slo/frame", p.frames[0]));  // kSp2 gets it, never answers
  EXPECT_EQ(Pending(p.logout_id), 1);
  clock_.Advance(std::chrono::seconds(kLogoutTimeout - 1));
  EXPECT_EQ(Pending(p.logout_id), 1) << "gave up before the timeout";
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(Pending(p.logout_id), 0) << "still waiting after the timeout";
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  auto [to, resp] = PostedMessage(fin, "SAMLResponse");
  EXPECT_EQ(to, "https://sp.example/slo");
  EXPECT_EQ(StatusOf(resp), kStatusPartialLogout);
}

TEST_F(SloTest, FailedAnswerAlsoGivesPartialLogout) {
  LoginBoth();
  Progress p = ProgressOf(SpStartsLogout("_lo3", sp_key_.get()));
  ASSERT_EQ(p.frames.size(), 1u);
  auto [action, xml] = PostedMessage(idp_->SloFrame(Get("/saml/slo/frame", p.frames[0])), "SAMLRequest");
  auto lr = ParseLogoutRequest(xml);
  ASSERT_TRUE(lr.ok());
  HttpRequest answer;
  answer.method = "POST";
  answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(kSp2, lr->header.id, kStatusResponder), *sp2_key_))}};
  (void)idp_->Slo(answer);
  EXPECT_EQ(Pending(p.logout_id), 0);
  auto [to, resp] = PostedMessage(idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id)), "SAMLResponse");
  EXPECT_EQ(StatusOf(resp), kStatusPartialLogout);
}

TEST_F(SloTest, AnswerSignedByAnotherServiceIsNotCounted) {
  LoginBoth();
  Progress p = ProgressOf(SpStartsLogout("_lo4", sp_key_.get()));
  auto [action, xml] = PostedMessage(idp_->SloFrame(Get("/saml/slo/frame", p.frames[0])), "SAMLRequest");
  auto lr = ParseLogoutRequest(xml);
  ASSERT_TRUE(lr.ok());
  // Claims to be kSp2 but is signed with kSp's key.
  HttpRequest answer;
  answer.method = "POST";
  answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(kSp2, lr->header.id, kStatusSuccess), *sp_key_))}};
  EXPECT_EQ(idp_->Slo(answer).status, 400);
  EXPECT_EQ(Pending(p.logout_id), 1);
}

TEST_F(SloTest, IdpInitiatedLogoutAsksEveryServiceAndEndsOnOurPage) {
  std::string session = LoginBoth();
  HttpRequest page_req = Get("/saml/logout", "lang=en");
  page_req.cookies[std::string(kSessionCookie)] = session;
  HttpResponse confirm = idp_->LogoutPage(page_req);
  std::smatch m;
  static const std::regex csrf_re("name=\"csrf\" value=\"([^\"]+)\"");
  ASSERT_TRUE(std::regex_search(confirm.body, m, csrf_re)) << confirm.body;
  std::string csrf = m[1].str();

  HttpRequest submit;
  submit.method = "POST";
  submit.path = "/saml/logout";
  submit.cookies[std::string(kSessionCookie)] = session;
  submit.form = {{"csrf", "forged"}, {"lang", "en"}};
  EXPECT_EQ(idp_->LogoutSubmit(submit).status, 400);
  EXPECT_TRUE(SessionAlive(session)) << "a forged form ended the session";

  submit.form = {{"csrf", csrf}, {"lang", "en"}};
  Progress p = ProgressOf(idp_->LogoutSubmit(submit));
  ASSERT_EQ(p.frames.size(), 2u) << "both services are asked";
  std::vector<std::string> targets;
  for (const auto& q : p.frames) {
    auto [action, xml] = PostedMessage(idp_->SloFrame(Get("/saml/slo/frame", q)), "SAMLRequest");
    targets.push_back(action);
    auto lr = ParseLogoutRequest(xml);
    ASSERT_TRUE(lr.ok());
    bool is2 = action == kSp2Slo;
    HttpRequest answer;
    answer.method = "POST";
    answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(is2 ? kSp2 : kSp, lr->header.id, kStatusSuccess),
                                                      is2 ? *sp2_key_ : *sp_key_))}};
    (void)idp_->Slo(answer);
  }
  std::sort(targets.begin(), targets.end());
  EXPECT_EQ(targets, (std::vector<std::string>{"https://sp.example/slo", kSp2Slo}));
  EXPECT_EQ(Pending(p.logout_id), 0);
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  EXPECT_EQ(fin.status, 200);
  EXPECT_TRUE(PostedMessage(fin, "SAMLResponse").second.empty()) << "no initiator to answer";
  EXPECT_FALSE(SessionAlive(session));
}

TEST_F(SloTest, UnsignedOrWrongCertificateLogoutRequestIsRefused) {
  std::string session = LoginBoth();
  for (SigningKey* key : {static_cast<SigningKey*>(nullptr), other_key_.get(), sp2_key_.get()}) {
    HttpResponse r = SpStartsLogout(NewRequestId(), key);
    auto [to, resp] = PostedMessage(r, "SAMLResponse");
    EXPECT_EQ(to, "https://sp.example/slo");
    std::string sub;
    EXPECT_EQ(StatusOf(resp, &sub), kStatusRequester);
    EXPECT_EQ(sub, kStatusRequestDenied);
    EXPECT_TRUE(ProgressOf(r).frames.empty());
    EXPECT_TRUE(SessionAlive(session)) << "a refused LogoutRequest ended the session";
  }
}

// SAML Profiles §4.4.4.1, §4.4.4.2: the front-channel bindings have no other
// way to authenticate a logout message, so LogoutRequests and
// LogoutResponses must be signed even for a service registered without
// require_signed_requests (as metadata without AuthnRequestsSigned — the
// Shibboleth SP's — registers it).
TEST_F(SloTest, UnsignedLogoutMessagesAreRefusedWhenUnsignedAuthnRequestsAreAllowed) {
  for (const char* id : {kSp, kSp2}) {
    auto s = services_->Get(id);
    ASSERT_TRUE(s.ok());
    s->require_signed_requests = false;
    ASSERT_TRUE(services_->Put(*s).ok());
  }
  std::string session = LoginBoth();
  HttpResponse r = SpStartsLogout(NewRequestId(), nullptr);
  std::string sub;
  EXPECT_EQ(StatusOf(PostedMessage(r, "SAMLResponse").second, &sub), kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(ProgressOf(r).frames.empty());
  EXPECT_TRUE(SessionAlive(session)) << "an unsigned LogoutRequest ended the session";

  Progress p = ProgressOf(SpStartsLogout(NewRequestId(), sp_key_.get()));
  ASSERT_EQ(p.frames.size(), 1u);
  auto [action, xml] = PostedMessage(idp_->SloFrame(Get("/saml/slo/frame", p.frames[0])), "SAMLRequest");
  auto lr = ParseLogoutRequest(xml);
  ASSERT_TRUE(lr.ok());
  HttpRequest answer;
  answer.method = "POST";
  answer.form = {{"SAMLResponse", Base64Encode(SpLogoutResponse(kSp2, lr->header.id, kStatusSuccess))}};
  EXPECT_EQ(idp_->Slo(answer).status, 400);
  EXPECT_EQ(Pending(p.logout_id), 1) << "an unsigned LogoutResponse was counted";
}

TEST_F(SloTest, ReplayedLogoutRequestIsRefused) {
  std::string session = LoginBoth();
  std::string xml = Sign(SpLogoutRequest("_rep", kSp, kIdnp, session_index_), *sp_key_);
  HttpRequest r;
  r.method = "POST";
  r.form = {{"SAMLRequest", Base64Encode(xml)}};
  EXPECT_EQ(ProgressOf(idp_->Slo(r)).frames.size(), 1u);
  std::string sub;
  EXPECT_EQ(StatusOf(PostedMessage(idp_->Slo(r), "SAMLResponse").second, &sub), kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
}

TEST_F(SloTest, LogoutEndsTheLinkedOtherProtocolSession) {
  FakeLogoutHook hook;
  MakeIdp(&hook);
  // Logged in with the OIDC cookie present: the SAML session records it.
  LoginBoth("oidc-cookie");
  // The SP's cross-site LogoutRequest carries no cookie; the link still
  // names the OIDC session.
  (void)SpStartsLogout("_lo5", sp_key_.get());
  ASSERT_EQ(hook.calls.size(), 1u);
  EXPECT_EQ(hook.calls[0], (std::vector<std::string>{"sid-of-oidc-cookie"}));
  EXPECT_EQ(hook.cookie_at_logout[0], "");
}

TEST_F(SloTest, LinkedSessionsAreBounded) {
  FakeLogoutHook hook;
  MakeIdp(&hook);
  std::string session = LoginBoth("c0");
  for (int i = 1; i <= 20; ++i) {
    HttpRequest r = Post(Sign(AuthnXml(NewRequestId(), Now()), *sp_key_));
    r.cookies[std::string(kSessionCookie)] = session;
    r.cookies["certme_session"] = "c" + std::to_string(i);
    ASSERT_EQ(StatusOf(ResponseXml(idp_->Sso(r))), kStatusSuccess);
  }
  (void)SpStartsLogout("_lo6", sp_key_.get());
  ASSERT_EQ(hook.calls.size(), 1u);
  ASSERT_EQ(hook.calls[0].size(), 8u);
  EXPECT_EQ(hook.calls[0].back(), "sid-of-c20");
}

// OIDC RP-initiated logout of a session linked at SSO: the request carries
// no SAML cookie, the OIDC sid finds the SAML session, every service gets
// our LogoutRequest and the browser ends at the OIDC return address.
TEST_F(SloTest, OidcLogoutOfTheLinkedSessionLogsOutEverySamlService) {
  FakeLogoutHook hook;
  MakeIdp(&hook);
  std::string session = LoginBoth("oidc-cookie");
  HttpRequest oidc_logout = Get("/logout", "");
  std::string url = idp_->LogoutFromOtherProtocol(oidc_logout, "sid-of-oidc-cookie", "https://rp.example/bye?state=s");
  ASSERT_EQ(url.rfind("https://idp.test/saml/slo/progress?l=", 0), 0u) << url;
  EXPECT_FALSE(SessionAlive(session)) << "the SAML session outlived the OIDC logout";
  // A second OIDC logout of the same sid finds nothing left to do.
  EXPECT_EQ(idp_->LogoutFromOtherProtocol(oidc_logout, "sid-of-oidc-cookie", ""), "");

  HttpResponse page = idp_->SloProgress(Get("/saml/slo/progress", url.substr(url.find('?') + 1)));
  Progress p = ProgressOf(page);
  ASSERT_EQ(p.frames.size(), 2u) << page.body;
  // The frames navigate on to the services: their origins are allowed frame sources.
  ASSERT_TRUE(page.csp.has_value());
  EXPECT_NE(page.csp->find("frame-src 'self' https://sp.example https://sp2.example"), std::string::npos) << *page.csp;
  std::vector<std::string> targets;
  for (const auto& q : p.frames) {
    auto [action, xml] = PostedMessage(idp_->SloFrame(Get("/saml/slo/frame", q)), "SAMLRequest");
    targets.push_back(action);
    auto lr = ParseLogoutRequest(xml);
    ASSERT_TRUE(lr.ok()) << xml;
    EXPECT_EQ(lr->name_id, kIdnp);
    EXPECT_EQ(lr->session_indexes, (std::vector<std::string>{session_index_}));
    bool is2 = action == kSp2Slo;
    HttpRequest answer;
    answer.method = "POST";
    answer.form = {{"SAMLResponse", Base64Encode(Sign(SpLogoutResponse(is2 ? kSp2 : kSp, lr->header.id, kStatusSuccess),
                                                      is2 ? *sp2_key_ : *sp_key_))}};
    (void)idp_->Slo(answer);
  }
  std::sort(targets.begin(), targets.end());
  EXPECT_EQ(targets, (std::vector<std::string>{"https://sp.example/slo", kSp2Slo}));
  EXPECT_EQ(Pending(p.logout_id), 0);
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  EXPECT_EQ(fin.status, 303);
  EXPECT_EQ(fin.headers.Get("Location").value_or(""), "https://rp.example/bye?state=s");
}

// An OIDC login made after the SAML SSO is not linked; the SAML cookie the
// OIDC logout request carries (top-level navigation) names the session.
TEST_F(SloTest, OidcLogoutFindsTheSamlSessionByItsCookie) {
  std::string session = LoginBoth();
  HttpRequest oidc_logout = Get("/logout", "");
  EXPECT_EQ(idp_->LogoutFromOtherProtocol(oidc_logout, "unlinked-sid", ""), "") << "no SAML session: nothing to do";
  EXPECT_TRUE(SessionAlive(session));
  oidc_logout.cookies[std::string(kSessionCookie)] = session;
  std::string url = idp_->LogoutFromOtherProtocol(oidc_logout, "unlinked-sid", "");
  ASSERT_FALSE(url.empty());
  EXPECT_FALSE(SessionAlive(session));
  Progress p = ProgressOf(idp_->SloProgress(Get("/saml/slo/progress", url.substr(url.find('?') + 1))));
  EXPECT_EQ(p.frames.size(), 2u);
  // Nobody answers: after the timeout our own logged-out page, no redirect.
  clock_.Advance(std::chrono::seconds(kLogoutTimeout + 1));
  EXPECT_EQ(Pending(p.logout_id), 0);
  HttpResponse fin = idp_->SloFinish(Get("/saml/slo/finish", "l=" + p.logout_id));
  EXPECT_EQ(fin.status, 200);
  EXPECT_FALSE(fin.headers.Get("Location").has_value());
}

// The security list on the logout side: each refused, the session kept.
TEST_F(SloTest, CraftedLogoutRequestsAreRefused) {
  std::string session = LoginBoth();
  auto post = [&](const std::string& xml) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/saml/slo";
    r.form = {{"SAMLRequest", Base64Encode(xml)}};
    return idp_->Slo(r);
  };
  auto denied = [&](const HttpResponse& r, const char* what) {
    auto [to, resp] = PostedMessage(r, "SAMLResponse");
    EXPECT_EQ(to, "https://sp.example/slo") << what;
    std::string sub;
    EXPECT_EQ(StatusOf(resp, &sub), kStatusRequester) << what;
    EXPECT_EQ(sub, kStatusRequestDenied) << what;
    EXPECT_TRUE(ProgressOf(r).frames.empty()) << what;
  };
  // Stale IssueInstant.
  std::string stale = SpLogoutRequest("_st", kSp, kIdnp, session_index_);
  stale.replace(stale.find(FormatSamlTime(Now())), 20, FormatSamlTime(Now() - 3600));
  denied(post(Sign(stale, *sp_key_)), "stale");
  // A second LogoutRequest (another session's index) nested in a signed one.
  std::string outer = Sign(SpLogoutRequest("_outer", kSp, kIdnp, "_not_this_one"), *sp_key_);
  outer.replace(outer.find("</samlp:LogoutRequest>"), 22,
                "<samlp:Extensions>" + SpLogoutRequest("_nested", kSp, kIdnp, session_index_) +
                    "</samlp:Extensions></samlp:LogoutRequest>");
  denied(post(outer), "nested");
  // The signed request wrapped in Extensions of a forged unsigned one.
  std::string genuine = Sign(SpLogoutRequest("_gen", kSp, kIdnp, session_index_), *sp_key_);
  genuine.erase(0, genuine.find("?>") + 2);
  std::string forged = SpLogoutRequest("_forged", kSp, kIdnp, session_index_);
  forged.replace(forged.find("</samlp:LogoutRequest>"), 22,
                 "<samlp:Extensions>" + genuine + "</samlp:Extensions></samlp:LogoutRequest>");
  denied(post(forged), "wrapped");
  // Unknown issuer: nobody to answer, a page.
  HttpResponse unknown = post(Sign(SpLogoutRequest("_unk", "https://evil.example", kIdnp, session_index_), *sp_key_));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(PostedMessage(unknown, "SAMLResponse").second.empty());
  // DOCTYPE / entities.
  HttpResponse dtd = post("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" +
                          SpLogoutRequest("_dtd", kSp, kIdnp, session_index_));
  EXPECT_EQ(dtd.status, 400);
  EXPECT_EQ(dtd.body.find("root:"), std::string::npos);
  EXPECT_TRUE(SessionAlive(session)) << "a refused LogoutRequest ended the session";
}

}  // namespace
}  // namespace certme::saml
