// The rest of the security list, each a crafted AuthnRequest against
// the IdP (saml_idp_test.cc has the first half; saml_slo_test.cc the
// LogoutRequest ones): wrapping through Advice and a nested second request,
// unsigned Redirect, SHA-1 with the IdP switch off, wrong Destination,
// unsupported binding, ACS index out of range; and the request options the
// IdP must honour: IsPassive with a session, NameIDPolicy, RequestedAuthnContext.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"
#include "tests/protocols/saml/saml_fixture.h"

namespace certme::saml {
namespace {

using namespace certme::saml::testing;

class SecurityTest : public SamlIdpTest {
 protected:
  static std::string Strip(std::string s) {  // drop the XML declaration
    if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
    while (!s.empty() && s[0] == '\n') s.erase(0, 1);
    return s;
  }

  // Status and sub-status of the Response the request got (must be one).
  std::pair<std::string, std::string> Outcome(const HttpResponse& r) {
    std::string xml = ResponseXml(r);
    EXPECT_FALSE(xml.empty()) << "no Response, HTTP " << r.status << " " << r.body.substr(0, 200);
    std::string sub;
    std::string top = StatusOf(xml, &sub);
    return {top, sub};
  }

  // Completes a login through the fake login; returns the session cookie
  // and the Response.
  std::pair<std::string, std::string> Login(const std::string& request_xml) {
    HttpResponse begin = idp_->Sso(Post(Sign(request_xml, *sp_key_)));
    HttpResponse done = FinishLogin(begin, {{"idnp", "2001234567890"}, {"first_name", "Ion"}});
    return {CookieOf(done, std::string(kSessionCookie)), ResponseXml(done)};
  }

  // A GET to /saml/sso with `raw` as its query, parsed the way the server does.
  static HttpRequest Redirect(const std::string& raw) {
    HttpRequest r;
    r.method = "GET";
    r.path = "/saml/sso";
    r.raw_query = raw;
    r.query = *ParseUrlEncoded(raw);
    return r;
  }

  // An AuthnRequest of `attributes` extra attributes (a0="" a1="" …) on its root.
  std::string ManyAttributes(const std::string& id, int attributes) {
    std::string extra;
    for (int i = 0; i < attributes; ++i) extra += "a" + std::to_string(i) + "=\"\" ";
    return AuthnXml(id, Now(), extra);
  }
};

TEST_F(SecurityTest, SignedRequestWrappedInAdviceIsRefused) {
  std::string genuine = Strip(Sign(AuthnXml("_adv", Now()), *sp_key_));
  std::string forged = AuthnXml("_adv_evil", Now(), "", kSp,
                                "<samlp:Extensions><saml:Advice>" + genuine + "</saml:Advice></samlp:Extensions>");
  forged.replace(forged.find(kAcs), strlen(kAcs), "https://sp.example/acs2");
  auto [top, sub] = Outcome(idp_->Sso(Post(forged)));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SecurityTest, SecondAuthnRequestNestedInASignedOneIsNotConsumed) {
  // The outer request is genuine and signed; a second AuthnRequest (other
  // ID, other ACS) rides inside its Extensions, where a lookup by element
  // name would find it. The signature covers the outer one only, so the
  // Extensions change breaks it and nothing is consumed.
  std::string inner = AuthnXml("_inner2", Now());
  inner.replace(inner.find(kAcs), strlen(kAcs), "https://sp.example/acs2");
  std::string outer = Sign(AuthnXml("_outer2", Now()), *sp_key_);
  outer.replace(outer.find("</samlp:AuthnRequest>"), 21,
                "<samlp:Extensions>" + inner + "</samlp:Extensions></samlp:AuthnRequest>");
  auto [top, sub] = Outcome(idp_->Sso(Post(outer)));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SecurityTest, UnsignedRedirectRequestIsDenied) {
  std::string raw = "SAMLRequest=" + PercentEncode(DeflateAndBase64(AuthnXml("_ur", Now()))) + "&RelayState=rs";
  HttpRequest r;
  r.method = "GET";
  r.path = "/saml/sso";
  r.raw_query = raw;
  r.query = *ParseUrlEncoded(raw);
  auto [top, sub] = Outcome(idp_->Sso(r));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SecurityTest, Sha1IsDeniedWhenTheIdpSwitchIsOffEvenIfTheServiceAllowsIt) {
  auto s = services_->Get(kSp);
  ASSERT_TRUE(s.ok());
  s->allow_sha1 = true;
  ASSERT_TRUE(services_->Put(*s).ok());
  std::string q = "SAMLRequest=" + PercentEncode(DeflateAndBase64(AuthnXml("_sha", Now()))) + "&SigAlg=" +
                  PercentEncode(kAlgRsaSha1);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_PKEY* pk = BorrowEvpPkey(*sp_key_);
  ASSERT_EQ(EVP_DigestSignInit(md, nullptr, EVP_sha1(), nullptr, pk), 1);
  ASSERT_EQ(EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(q.data()), q.size()), 1);
  std::string sig(len, '\0');
  ASSERT_EQ(EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(q.data()), q.size()), 1);
  EVP_MD_CTX_free(md);
  std::string raw = q + "&Signature=" + PercentEncode(Base64Encode(sig));
  HttpRequest r;
  r.method = "GET";
  r.path = "/saml/sso";
  r.raw_query = raw;
  r.query = *ParseUrlEncoded(raw);
  auto [top, sub] = Outcome(idp_->Sso(r));  // the fixture's IdP has sha1_enabled off
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
  EXPECT_TRUE(auth_.requests.empty());
}

TEST_F(SecurityTest, WrongDestinationIsDenied) {
  std::string xml = AuthnXml("_dst", Now());
  xml.replace(xml.find("https://idp.test/saml/sso"), 25, "https://other.test/saml/sso");
  auto [top, sub] = Outcome(idp_->Sso(Post(Sign(xml, *sp_key_))));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestDenied);
}

TEST_F(SecurityTest, ArtifactBindingIsUnsupported) {
  auto [top, sub] = Outcome(idp_->Sso(Post(Sign(
      AuthnXml("_art", Now(), "ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact\""), *sp_key_))));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusRequestUnsupported);
}

TEST_F(SecurityTest, AcsIndexOutOfRangeGetsAPage) {
  std::string xml = AuthnXml("_idx", Now());
  std::string attr = std::string("AssertionConsumerServiceURL=\"") + kAcs + "\"";
  xml.replace(xml.find(attr), attr.size(), "AssertionConsumerServiceIndex=\"7\"");
  HttpResponse r = idp_->Sso(Post(Sign(xml, *sp_key_)));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(ResponseXml(r).empty());
  // Index 1 is the second registered ACS: the Response goes there.
  xml = AuthnXml("_idx1", Now());
  xml.replace(xml.find(attr), attr.size(), "AssertionConsumerServiceIndex=\"1\"");
  HttpResponse ok = idp_->Sso(Post(Sign(xml, *sp_key_)));
  EXPECT_EQ(ok.status, 302);
}

TEST_F(SecurityTest, IsPassiveIsServedFromASessionWithoutInteraction) {
  auto [session, first] = Login(AuthnXml("_l1", Now()));
  ASSERT_FALSE(session.empty());
  HttpRequest passive = Post(Sign(AuthnXml("_pa", Now(), "IsPassive=\"true\""), *sp_key_));
  passive.cookies[std::string(kSessionCookie)] = session;
  size_t logins = auth_.requests.size();
  auto [top, sub] = Outcome(idp_->Sso(passive));
  EXPECT_EQ(top, kStatusSuccess);
  EXPECT_EQ(auth_.requests.size(), logins);
  // IsPassive together with ForceAuthn cannot be honoured: NoPassive.
  HttpRequest both = Post(Sign(AuthnXml("_pf", Now(), "IsPassive=\"true\" ForceAuthn=\"true\""), *sp_key_));
  both.cookies[std::string(kSessionCookie)] = session;
  auto [top2, sub2] = Outcome(idp_->Sso(both));
  EXPECT_EQ(top2, kStatusResponder);
  EXPECT_EQ(sub2, kStatusNoPassive);
  EXPECT_EQ(auth_.requests.size(), logins);
}

TEST_F(SecurityTest, NameIdPolicyIsHonoured) {
  auto [session, xml] = Login(AuthnXml("_np1", Now(), "", kSp,
                                       "<samlp:NameIDPolicy Format=\"" + std::string(kNameIdPersistent) +
                                           "\" AllowCreate=\"true\"/>"));
  EXPECT_NE(xml.find("Format=\"" + std::string(kNameIdPersistent) + "\""), std::string::npos) << xml;
  EXPECT_EQ(xml.find(">2001234567890</saml:NameID>"), std::string::npos) << "persistent must not be the IDNP";
  // A format we cannot produce: InvalidNameIDPolicy to the ACS.
  auto [top, sub] = Outcome(idp_->Sso(Post(Sign(
      AuthnXml("_np2", Now(), "", kSp,
               "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\"/>"),
      *sp_key_))));
  EXPECT_EQ(top, kStatusRequester);
  EXPECT_EQ(sub, kStatusInvalidNameIdPolicy);
}

TEST_F(SecurityTest, RequestedAuthnContextIsHonoured) {
  auto ctx = [](const char* comparison, std::string_view ref) {
    return std::string("<samlp:RequestedAuthnContext Comparison=\"") + comparison +
           "\"><saml:AuthnContextClassRef>" + std::string(ref) + "</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>";
  };
  // A context no eID level can give is refused before any login.
  for (auto [i, body] : {std::pair{1, ctx("better", eidas::kLoaHigh)},
                         std::pair{2, ctx("exact", "urn:oasis:names:tc:SAML:2.0:ac:classes:Password")}}) {
    auto [top, sub] = Outcome(idp_->Sso(Post(Sign(AuthnXml("_ac" + std::to_string(i), Now(), "", kSp, body), *sp_key_))));
    EXPECT_EQ(top, kStatusResponder) << i;
    EXPECT_EQ(sub, kStatusNoAuthnContext) << i;
  }
  EXPECT_TRUE(auth_.requests.empty());
  // Exactly high: the login starts, asking for high; an eID enrolled at
  // substantial cannot meet it (never a silent downgrade).
  const std::map<std::string, std::string> attrs = {{"idnp", "2001234567890"}};
  auto begin = idp_->Sso(Post(Sign(AuthnXml("_ac3", Now(), "", kSp, ctx("exact", eidas::kLoaHigh)), *sp_key_)));
  ASSERT_EQ(auth_.requests.size(), 1u);
  EXPECT_EQ(auth_.requests.back().acr, eidas::kLoaHigh);
  auto [top, sub] = Outcome(FinishLogin(begin, attrs));
  EXPECT_EQ(top, kStatusResponder);
  EXPECT_EQ(sub, kStatusNoAuthnContext);
  // An eID enrolled at high meets it, and the assertion says so.
  login_acr_ = std::string(eidas::kLoaHigh);
  begin = idp_->Sso(Post(Sign(AuthnXml("_ac4", Now(), "", kSp, ctx("exact", eidas::kLoaHigh)), *sp_key_)));
  std::string xml = ResponseXml(FinishLogin(begin, attrs));
  EXPECT_EQ(StatusOf(xml), kStatusSuccess);
  EXPECT_NE(xml.find(std::string("<saml:AuthnContextClassRef>") + std::string(eidas::kLoaHigh)), std::string::npos);
}

// SAML Bindings §3.4.4.1: the signature covers SAMLRequest, RelayState and
// SigAlg exactly as they appear in the URL. A RelayState whose name is
// percent-encoded is not among those octets; it must not reach the service.
TEST_F(SecurityTest, RedirectRelayStateWithPercentEncodedNameIsRefused) {
  std::string q = "SAMLRequest=" + PercentEncode(DeflateAndBase64(AuthnXml("_rsn", Now()))) + "&SigAlg=" +
                  PercentEncode(kAlgRsaSha256);
  auto sig = SignRedirect(BorrowEvpPkey(*sp_key_), q);
  ASSERT_TRUE(sig.ok());
  std::string signature = "&Signature=" + PercentEncode(Base64Encode(*sig));
  std::string evil = "&Relay%53tate=" + PercentEncode("https://evil.example/steal");
  for (const std::string& attack : {q + signature + evil, q + evil + signature}) {
    HttpResponse r = idp_->Sso(Redirect(attack));
    EXPECT_EQ(r.status, 400) << attack;
    EXPECT_TRUE(ResponseXml(r).empty());
    EXPECT_EQ(r.body.find("evil.example"), std::string::npos);
  }
  EXPECT_TRUE(auth_.requests.empty()) << "a login started for a query with a forged RelayState";
  // The same signed query without the extra parameter is served.
  EXPECT_EQ(idp_->Sso(Redirect(q + signature)).status, 302);
}

TEST_F(SecurityTest, RedirectQueryWithRepeatedOrDisguisedParametersIsRefused) {
  const std::string m = "SAMLRequest=" + PercentEncode(DeflateAndBase64(AuthnXml("_rq", Now())));
  for (const std::string& bad :
       {m + "&" + m, m + "&SAML%52equest=x", "SAML%52equest=" + m.substr(12), m + "&RelayState=a&RelayState=b",
        m + "&RelayState=a&Relay%53tate=b", m + "&SigAlg=a&Sig%41lg=b", m + "&Signatur%65=x",
        m + "&SAMLResponse=x", m + "&SAML%52esponse=x", m + "&Signature=x&Signature=y"}) {
    EXPECT_FALSE(ParseRedirectQuery(bad).ok()) << bad;
    HttpResponse r = idp_->Sso(Redirect(bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(ResponseXml(r).empty()) << bad;
  }
  EXPECT_TRUE(auth_.requests.empty());
  // The signed octets are the parameters as sent, in the order the binding
  // fixes; the values used are the same parameters' values, decoded.
  auto ok = ParseRedirectQuery("lang=ro&SigAlg=s%3Aa&RelayState=r%20s&SAMLRequest=a%2Bb&Signature=c%2Fd");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->message_param, kParamSamlRequest);
  EXPECT_EQ(ok->message, "a+b");
  EXPECT_EQ(ok->relay_state.value_or("?"), "r s");
  EXPECT_EQ(ok->sig_alg.value_or("?"), "s:a");
  EXPECT_EQ(ok->signature.value_or("?"), "c/d");
  EXPECT_EQ(ok->signed_octets, "SAMLRequest=a%2Bb&RelayState=r%20s&SigAlg=s%3Aa");
}

// An unauthenticated message is bounded before libxml2 sees it: libxml2's
// duplicate-attribute check is quadratic in the attributes of one element.
TEST_F(SecurityTest, OversizedOrOverwideOrDeepMessagesAreRefusedBeforeParsing) {
  // The reported message: 36,000 attributes on the root, ~250 KB.
  std::string wide = ManyAttributes("_wide", 36000);
  ASSERT_GT(wide.size(), 200u * 1024);
  auto st = ParseUntrustedXml(wide).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("too large"), std::string::npos) << st.ToString();
  // Under the size cap, the attribute count refuses it.
  std::string narrow = ManyAttributes("_narrow", 5000);
  ASSERT_LT(narrow.size(), kMaxMessageBytes);
  st = ParseUntrustedXml(narrow).status();
  EXPECT_NE(st.message().find("attributes"), std::string::npos) << st.ToString();
  EXPECT_TRUE(ParseUntrustedXml(ManyAttributes("_fine", 20)).ok());
  // Nesting.
  std::string deep = AuthnXml("_deep", Now(), "", kSp,
                              "<samlp:Extensions>" + std::string(40 * 3, ' ') + "</samlp:Extensions>");
  std::string open, close;
  for (int i = 0; i < 40; ++i) open += "<x>", close = "</x>" + close;
  deep.replace(deep.find(std::string(40 * 3, ' ')), 40 * 3, open + close);
  st = ParseUntrustedXml(deep).status();
  EXPECT_NE(st.message().find("nested"), std::string::npos) << st.ToString();
  // Encodings the scan cannot read as the parser would.
  EXPECT_FALSE(ParseUntrustedXml("<?xml version=\"1.0\" encoding=\"UTF-7\"?>" + AuthnXml("_u7", Now())).ok());
  EXPECT_FALSE(ParseUntrustedXml(std::string("<\0a\0/\0>\0", 8)).ok());
  // Through the IdP: a page, no Response, no login, for both bindings.
  HttpResponse post = idp_->Sso(Post(wide));
  EXPECT_EQ(post.status, 400);
  EXPECT_TRUE(ResponseXml(post).empty());
  HttpResponse get = idp_->Sso(Redirect("SAMLRequest=" + PercentEncode(DeflateAndBase64(narrow))));
  EXPECT_EQ(get.status, 400);
  EXPECT_TRUE(ResponseXml(get).empty());
  EXPECT_TRUE(auth_.requests.empty());
}

// HTTP-Redirect: the inflated size is bounded by the same cap (DEFLATE
// bombs compress a thousandfold).
TEST_F(SecurityTest, RedirectInflationIsBoundedByTheMessageCap) {
  std::string bomb = DeflateAndBase64(std::string(kMaxMessageBytes + 1, ' '));
  ASSERT_LT(bomb.size(), 4096u);
  auto st = DecodeRedirectMessage(bomb).status();
  EXPECT_NE(st.message().find("too large"), std::string::npos) << st.ToString();
  EXPECT_TRUE(DecodeRedirectMessage(DeflateAndBase64(std::string(kMaxMessageBytes, ' '))).ok());
}

}  // namespace
}  // namespace certme::saml
