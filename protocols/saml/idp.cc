// Construction, routes, metadata, signatures and sessions of the SAML IdP.
#include "protocols/saml/idp.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/certificate.h"
#include "crypto/evp.h"
#include "crypto/hash.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/pages.h"
#include "protocols/saml/records.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xenc.h"
#include "protocols/saml/xml.h"

namespace certme::saml {

Status ValidateSamlIdpOptions(const SamlIdpOptions& o) {
  std::vector<std::string> p;
  if (o.base_url.empty() || o.base_url.back() == '/') p.push_back("base_url must be set, without a trailing slash");
  if (o.assertion_ttl_seconds < 30 || o.assertion_ttl_seconds > 3600) p.push_back("assertion lifetime must be 30..3600 s");
  if (o.session_ttl_seconds < 60) p.push_back("session lifetime must be at least 60 s");
  if (o.clock_skew_seconds < 0 || o.clock_skew_seconds > 600) p.push_back("clock skew must be 0..600 s");
  if (o.max_request_age_seconds < 10) p.push_back("max request age must be at least 10 s");
  if (o.logout_timeout_seconds < 1 || o.logout_timeout_seconds > 120) p.push_back("logout timeout must be 1..120 s");
  if (o.pairwise_salt.reveal().size() < 32) p.push_back("pairwise salt must be at least 32 bytes");
  if (o.max_message_bytes < 4096 || o.max_message_bytes > 1024 * 1024)
    p.push_back("max message size must be 4 KiB..1 MiB");
  if (p.empty()) return Status::Ok();
  std::string all;
  for (const auto& s : p) all += (all.empty() ? "" : "; ") + s;
  return InvalidArgument("SAML options: " + all);
}

SamlIdp::SamlIdp(SamlIdpOptions options, Store& store, ServiceRegistry& services,
                 Authenticator& authenticator, const ClaimsCatalogue& catalogue, SamlSigner signer,
                 Clock& clock, Random& random, SessionLogoutHook* logout_hook)
    : opts_(std::move(options)),
      store_(store),
      services_(services),
      authenticator_(authenticator),
      catalogue_(catalogue),
      signer_(std::make_shared<const SamlSigner>(std::move(signer))),
      clock_(clock),
      random_(random),
      logout_hook_(logout_hook) {
  entity_id_ = opts_.entity_id.empty() ? Url(kPathMetadata) : opts_.entity_id;
}

std::vector<SamlIdp::Route> SamlIdp::Routes() {
  return {{"GET", std::string(kPathMetadata), &SamlIdp::Metadata},
          {"GET", std::string(kPathSso), &SamlIdp::Sso},
          {"POST", std::string(kPathSso), &SamlIdp::Sso},
          {"GET", std::string(kPathResume), &SamlIdp::Resume},
          {"GET", std::string(kPathSlo), &SamlIdp::Slo},
          {"POST", std::string(kPathSlo), &SamlIdp::Slo},
          {"GET", std::string(kPathSlo) + "/frame", &SamlIdp::SloFrame},
          {"GET", std::string(kPathSlo) + "/status", &SamlIdp::SloStatus},
          {"GET", std::string(kPathSlo) + "/finish", &SamlIdp::SloFinish},
          {"GET", std::string(kPathSlo) + "/progress", &SamlIdp::SloProgress},
          {"GET", std::string(kPathLogout), &SamlIdp::LogoutPage},
          {"POST", std::string(kPathLogout), &SamlIdp::LogoutSubmit}};
}

// ---------------------------------------------------------------- metadata

StatusOr<std::string> SamlIdp::MetadataXml() {
  int64_t now = Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Rebuilt daily, long before validUntil, so a cached copy never expires.
    if (!metadata_cache_.empty() && now - metadata_built_at_ < 86400) return metadata_cache_;
  }
  const auto signer = Signer();
  auto key_descriptor = [&](const char* use, const std::string& der) {
    return std::string("<md:KeyDescriptor use=\"") + use +
           "\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + Base64Encode(der) +
           "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>";
  };
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<md:EntityDescriptor xmlns:md=\"" + std::string(kNsMetadata) + "\" xmlns:ds=\"" +
       std::string(kNsDsig) + "\" xmlns:mdui=\"" + std::string(kNsMdui) + "\" entityID=\"" +
       XmlEscape(entity_id_) + "\" ID=\"" + NewId() + "\" validUntil=\"" +
       FormatSamlTime(now + opts_.metadata_valid_seconds) + "\">";
  x += "<md:IDPSSODescriptor WantAuthnRequestsSigned=\"true\" protocolSupportEnumeration=\"" +
       std::string(kNsProtocol) + "\">";
  x += "<md:Extensions><mdui:UIInfo>";
  for (const auto& [lang, name] : opts_.display_names)
    x += "<mdui:DisplayName xml:lang=\"" + XmlEscape(lang) + "\">" + XmlEscape(name) + "</mdui:DisplayName>";
  x += "</mdui:UIInfo></md:Extensions>";
  // Signing only: the IdP decrypts nothing (LogoutRequests with an
  // EncryptedID are refused, messages.cc), and an SP that sees an
  // encryption key encrypts to it — Shibboleth SP 3's default
  // encryption="conditional" then sends its NameIDs encrypted and its
  // logout fails. During a rollover the next key's certificate is listed
  // too (SAML Metadata §2.4.1.1: several signing KeyDescriptors, any may
  // verify).
  x += key_descriptor("signing", signer->certificate_der);
  for (const auto& der : signer->next_certificates_der) x += key_descriptor("signing", der);
  for (auto b : {kBindingPost, kBindingRedirect})
    x += "<md:SingleLogoutService Binding=\"" + std::string(b) + "\" Location=\"" + XmlEscape(Url(kPathSlo)) + "\"/>";
  for (auto f : {kNameIdUnspecified, kNameIdPersistent, kNameIdTransient})
    x += "<md:NameIDFormat>" + std::string(f) + "</md:NameIDFormat>";
  for (auto b : {kBindingPost, kBindingRedirect})
    x += "<md:SingleSignOnService Binding=\"" + std::string(b) + "\" Location=\"" + XmlEscape(Url(kPathSso)) + "\"/>";
  x += "</md:IDPSSODescriptor>";
  if (!opts_.technical_contact.empty())
    x += "<md:ContactPerson contactType=\"technical\"><md:EmailAddress>mailto:" +
         XmlEscape(opts_.technical_contact) + "</md:EmailAddress></md:ContactPerson>";
  x += "</md:EntityDescriptor>";
  CERTME_ASSIGN_OR_RETURN(auto doc, ParseOwnXml(x));
  EVP_PKEY* key = BorrowEvpPkey(*signer->key);
  CERTME_RETURN_IF_ERROR(SignEnveloped(doc.get(), xmlDocGetRootElement(doc.get()), key, signer->certificate_der));
  std::string out = SerializeDoc(doc.get());
  std::lock_guard<std::mutex> lock(mu_);
  // A rollover while this one was built: leave the cache to the new signer.
  if (signer == Signer()) {
    metadata_cache_ = out;
    metadata_built_at_ = now;
  }
  return out;
}

std::shared_ptr<const SamlSigner> SamlIdp::Signer() const {
  std::lock_guard<std::mutex> lock(signer_mu_);
  return signer_;
}

void SamlIdp::SetSigner(SamlSigner signer) {
  auto next = std::make_shared<const SamlSigner>(std::move(signer));
  {
    std::lock_guard<std::mutex> lock(signer_mu_);
    signer_ = std::move(next);
  }
  std::lock_guard<std::mutex> lock(mu_);
  metadata_cache_.clear();
}

HttpResponse SamlIdp::Metadata(const HttpRequest&) {
  auto xml = MetadataXml();
  if (!xml.ok()) {
    LogError("saml metadata not built", {{"detail", xml.status().ToString()}});
    return HttpResponse::Text(500, "metadata unavailable");
  }
  HttpResponse r = HttpResponse::Text(200, *xml, "application/samlmetadata+xml");
  r.headers.Set("Cache-Control", "public, max-age=3600");
  return r;
}

// ---------------------------------------------------------------- signatures

EVP_PKEY* SamlIdp::ServiceKey(const SamlService& s) { return CachedCertificateKey(s.entity_id, s.certificate_pem); }

EVP_PKEY* SamlIdp::ServiceEncryptionKey(const SamlService& s) {
  return CachedCertificateKey("enc\n" + s.entity_id, s.EncryptionCertificatePem());
}

EVP_PKEY* SamlIdp::CachedCertificateKey(const std::string& cache_key, const std::string& pem) {
  if (pem.empty()) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = service_keys_.find(cache_key);
  if (it != service_keys_.end() && it->second.first == pem) return BorrowEvpPkey(*it->second.second);
  auto key = ParsePublicKeyFromCertificate(pem);
  if (!key.ok()) return nullptr;
  std::shared_ptr<PublicKey> k = std::move(key).value();
  // A concurrent request may still hold the old key's EVP_PKEY: retire, never free.
  if (it != service_keys_.end()) retired_keys_.push_back(it->second.second);
  service_keys_[cache_key] = {pem, k};
  return BorrowEvpPkey(*k);
}

void SamlIdp::LogRefused(std::string_view request, std::string_view reason, std::string_view issuer) {
  nlohmann::json f = {{"request", request}, {"reason", reason}};
  if (!issuer.empty()) f["issuer"] = issuer.substr(0, 256);
  LogInfo("saml request refused", f);
}

StatusOr<SamlIdp::Incoming> SamlIdp::ReadIncoming(const HttpRequest& req) const {
  constexpr size_t kMaxRelayStateBytes = 80;  // SAML Bindings §3.4.3, §3.5.3
  Incoming in;
  in.redirect = req.method == "GET" || req.method == "HEAD";
  std::string encoded;
  if (in.redirect) {
    // SAML Bindings §3.4.4.1: names and values exactly as in the URL.
    CERTME_ASSIGN_OR_RETURN(in.query, ParseRedirectQuery(req.raw_query));
    in.param = in.query.message_param;
    in.relay_state = in.query.relay_state.value_or("");
    encoded = in.query.message;
  } else {
    // SAML Bindings §3.5.4: exactly one message, at most one RelayState.
    const Params& p = req.form;
    size_t nreq = ParamCount(p, kParamSamlRequest), nresp = ParamCount(p, kParamSamlResponse);
    if (nreq + nresp != 1) return InvalidArgument("exactly one of SAMLRequest, SAMLResponse is required");
    if (ParamCount(p, kParamRelayState) > 1) return InvalidArgument("RelayState is given twice");
    in.param = std::string(nreq ? kParamSamlRequest : kParamSamlResponse);
    in.relay_state = ParamGet(p, kParamRelayState).value_or("");
    encoded = *ParamGet(p, in.param);
  }
  if (in.relay_state.size() > kMaxRelayStateBytes) return InvalidArgument("RelayState is longer than 80 bytes");
  CERTME_ASSIGN_OR_RETURN(in.xml, in.redirect ? DecodeRedirectMessage(encoded, opts_.max_message_bytes)
                                              : DecodePostMessage(encoded, opts_.max_message_bytes));
  return in;
}

Status SamlIdp::VerifyMessage(const Incoming& in, xmlDoc* doc, const SamlService& s) {
  DsigPolicy policy;
  policy.allow_sha1 = opts_.sha1_enabled && s.allow_sha1;
  EVP_PKEY* key = ServiceKey(s);
  xmlNode* root = xmlDocGetRootElement(doc);
  // SAML Profiles §4.4.4.1, §4.4.4.2: over the front-channel bindings a
  // LogoutRequest or LogoutResponse has no other authentication than its
  // signature, so only AuthnRequests follow require_signed_requests (which
  // SP metadata without AuthnRequestsSigned, such as the Shibboleth SP's,
  // turns off).
  bool must_sign = s.require_signed_requests || !IsElement(root, kNsProtocol, "AuthnRequest");
  if (in.redirect) {
    // SAML Bindings §3.4.4.1: the signature travels in the query string,
    // over the octets ParseRedirectQuery kept as sent.
    if (!in.query.signature) {
      if (must_sign) return Unauthenticated("the message must be signed", "unsigned redirect");
      return Status::Ok();
    }
    if (!key) return Unauthenticated("no certificate registered for the service");
    auto raw_sig = Base64Decode(*in.query.signature);
    if (!raw_sig || in.query.signed_octets.empty())
      return Unauthenticated("malformed redirect signature", "Signature is not base64");
    return VerifyRedirect(key, in.query.sig_alg.value_or(""), in.query.signed_octets, *raw_sig, policy);
  }
  if (!HasEnvelopedSignature(root)) {
    if (must_sign) return Unauthenticated("the message must be signed", "unsigned POST");
    return Status::Ok();
  }
  if (!key) return Unauthenticated("no certificate registered for the service");
  return VerifyEnvelopedSignature(doc, root, key, policy);
}

StatusOr<std::string> SamlIdp::SignXml(const std::string& xml, bool sign_assertion,
                                       const SamlService* encrypt_for) {
  CERTME_ASSIGN_OR_RETURN(auto doc, ParseOwnXml(xml));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  const auto signer = Signer();
  EVP_PKEY* key = BorrowEvpPkey(*signer->key);
  if (!key) return Internal("signing key is not an OpenSSL key");
  xmlNode* assertion = ChildElement(root, kNsAssertion, "Assertion");
  if (sign_assertion && assertion) {
    // Inner signature first: the outer one then covers it.
    CERTME_RETURN_IF_ERROR(SignEnveloped(doc.get(), assertion, key, signer->certificate_der));
  }
  if (encrypt_for && assertion) {
    // SAML Core §2.3.4 / §6: sign, then encrypt, then sign the Response
    // over the EncryptedAssertion. The Assertion declares its namespaces
    // itself, so it decrypts into a well-formed document on its own.
    EVP_PKEY* to = ServiceEncryptionKey(*encrypt_for);
    if (!to) return FailedPrecondition("the service's encryption certificate is unusable");
    CERTME_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(encrypt_for->EncryptionCertificatePem()));
    CERTME_ASSIGN_OR_RETURN(std::string enc,
                            EncryptAssertion(SerializeNode(doc.get(), assertion), to, cert.der, random_));
    CERTME_ASSIGN_OR_RETURN(auto enc_doc, ParseOwnXml(enc));
    xmlNode* copy = xmlDocCopyNode(xmlDocGetRootElement(enc_doc.get()), doc.get(), 1);
    if (!copy) return Internal("EncryptedAssertion not copied");
    xmlReplaceNode(assertion, copy);
    xmlFreeNode(assertion);
  }
  CERTME_RETURN_IF_ERROR(SignEnveloped(doc.get(), root, key, signer->certificate_der));
  return SerializeDoc(doc.get());
}

// ---------------------------------------------------------------- sessions

std::optional<std::pair<std::string, SamlIdp::Session>> SamlIdp::LoadSession(const HttpRequest& req) {
  auto cookie = req.Cookie(kSessionCookie);
  if (!cookie || cookie->empty() || cookie->size() > 128) return std::nullopt;
  std::string key = Sha256Hex(*cookie);
  auto raw = store_.Get(kSessionNs, key);
  if (!raw.ok()) return std::nullopt;
  auto s = ParseSession(*raw);
  if (!s || s->expires_at <= Now()) return std::nullopt;
  return std::make_pair(std::move(key), std::move(*s));
}

Status SamlIdp::SaveSession(const std::string& key, const Session& s) {
  int64_t ttl = s.expires_at - Now();
  if (ttl <= 0) return FailedPrecondition("session expired");
  CERTME_RETURN_IF_ERROR(store_.Put(kSessionNs, key, ToJson(s).dump(), std::chrono::seconds(ttl)));
  // Linked sessions point back here, so a logout the other protocol starts
  // finds this session even when the browser's request lacks our cookie.
  for (const auto& id : s.linked_sessions)
    CERTME_RETURN_IF_ERROR(store_.Put(kLinkNs, id, key, std::chrono::seconds(ttl)));
  CERTME_RETURN_IF_ERROR(store_.Put(kSessionIndexNs, s.session_index, key, std::chrono::seconds(ttl)));
  // Indexed under its eID, so that a suspension ends it (EndEidSessions).
  return AddToEidIndex(store_, kEidIndexNs, s.eid, "session", key, s.expires_at, Now());
}

SetCookie SamlIdp::Cookie(std::string_view name, const std::string& value, int64_t max_age) const {
  SetCookie c;
  c.name = std::string(name);
  c.value = value;
  c.max_age_seconds = max_age;
  c.http_only = true;
  c.secure = !opts_.dev_mode;
  // Lax: the SP's POST back to us (SLO) is cross-site; top-level POSTs do
  // not carry Lax cookies, so SLO finds the session by SessionIndex too.
  c.same_site = SameSite::kLax;
  return c;
}

void SamlIdp::LinkOtherSession(const HttpRequest& req, Session& s) {
  if (!logout_hook_) return;
  std::string id = logout_hook_->LinkedSessionId(req);
  if (id.empty() || std::find(s.linked_sessions.begin(), s.linked_sessions.end(), id) != s.linked_sessions.end())
    return;
  s.linked_sessions.push_back(std::move(id));
  // Bounded: a browser that keeps logging in to the other protocol (each a
  // new session) must not grow the record without limit; the oldest ones
  // are the likeliest to have ended already.
  constexpr size_t kMaxLinked = 8;
  if (s.linked_sessions.size() > kMaxLinked)
    s.linked_sessions.erase(s.linked_sessions.begin(), s.linked_sessions.end() - kMaxLinked);
}

HttpResponse SamlIdp::SendToService(const SamlService& s, const std::string& url, bool is_request,
                                    const std::string& xml, const std::string& relay_state) {
  std::string param(is_request ? kParamSamlRequest : kParamSamlResponse);
  if (s.slo_binding == "redirect") {
    // SAML Bindings §3.4.4.1: DEFLATE, then sign the query string.
    std::string q = param + "=" + PercentEncode(DeflateAndBase64(xml));
    if (!relay_state.empty()) q += "&RelayState=" + PercentEncode(relay_state);
    q += "&SigAlg=" + PercentEncode(kAlgRsaSha256);
    auto sig = SignRedirect(BorrowEvpPkey(*Signer()->key), q);
    if (!sig.ok()) return SamlErrorPage(500, "", SamlPage::kServerError);
    q += "&Signature=" + PercentEncode(Base64Encode(*sig));
    return HttpResponse::Redirect(url + (url.find('?') == std::string::npos ? "?" : "&") + q, 303);
  }
  auto signed_xml = SignXml(xml, false);
  if (!signed_xml.ok()) {
    LogError("saml message not signed", {{"detail", signed_xml.status().ToString()}});
    return SamlErrorPage(500, "", SamlPage::kServerError);
  }
  std::vector<std::pair<std::string, std::string>> fields = {{param, Base64Encode(*signed_xml)}};
  if (!relay_state.empty()) fields.emplace_back(std::string(kParamRelayState), relay_state);
  return SamlPostPage(url, fields, HexEncode(random_.Bytes(16)), true);
}

}  // namespace certme::saml
