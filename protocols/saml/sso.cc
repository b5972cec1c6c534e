// Web Browser SSO (SAML Profiles §4.1): AuthnRequest checks, the login
// hand-off, and the signed Response. Each check is a small step citing its rule.
#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/evp.h"
#include "crypto/hash.h"
#include "protocols/eidas.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/pages.h"
#include "protocols/saml/records.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::saml {

struct SamlIdp::Target {
  std::string entity_id;
  std::string acs_url;
  std::string relay_state;
  std::string request_id;
  std::string lang = "ro";
  std::string acr;  // the AuthnContextClassRef reported; empty: the session's level
};

namespace {

SamlError Err(std::string_view status, std::string_view sub, std::string message,
              std::string detail = {}) {
  return {std::string(status), std::string(sub), std::move(message), std::move(detail)};
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}


// SAML Core §3.2.2.2: how a login that ended without an authentication
// (LoginResult::error) is answered to the service. The user, the eID's state
// on the ledger and the validator are all on our side, so the top-level code
// is Responder. A refusal or an eID that may not be used is RequestDenied; a
// validator that did not answer in time is Responder alone (nothing is wrong
// with the request or the user, a new attempt may succeed). The message says
// what the user was told, as the OIDC error_description does; nothing more.
SamlError LoginFailure(const std::string& error) {
  std::string detail = "login error: " + error;
  if (error == kLoginErrorEidSuspended)
    return Err(kStatusResponder, kStatusRequestDenied, "the user's eID is suspended", detail);
  if (error == kLoginErrorEidRevoked)
    return Err(kStatusResponder, kStatusRequestDenied, "the user's eID is revoked", detail);
  if (error == kLoginErrorValidatorTimeout)
    return Err(kStatusResponder, "", "the identity could not be confirmed in time; try again later", detail);
  if (error == kLoginErrorRefused)
    return Err(kStatusResponder, kStatusRequestDenied, "the user refused to log in", detail);
  if (error == kLoginErrorServiceNotAuthorized)
    return Err(kStatusResponder, kStatusRequestDenied, "this service is not authorized to log users in", detail);
  return Err(kStatusResponder, kStatusAuthnFailed, "the user did not log in", detail);
}

// SAML Core §3.3.2.2.1 RequestedAuthnContext against a login at level
// `have` (the eID's enrolled level, eidas.h): the AuthnContextClassRef to
// report, or nothing when the request cannot be met (never a silent
// downgrade). eIDAS levels are ordered, so an eID at high also meets a
// request for exactly substantial (reported as requested) and a maximum
// below its level (reported as that maximum).
std::optional<std::string> ReportedContext(const std::vector<std::string>& refs, const std::string& comparison,
                                           const std::string& have) {
  if (refs.empty()) return have;
  const int ours = eidas::LoaRank(have);
  for (const auto& ref : refs) {
    int rank = eidas::LoaRank(ref);
    if (rank == 0 || ours == 0) continue;  // a context we never provide
    if ((comparison == "exact" || comparison == "maximum") && ours >= rank) return ref;
    if ((comparison == "minimum" && ours >= rank) || (comparison == "better" && ours > rank)) return have;
  }
  return std::nullopt;
}

// Before the login: can an eID at some level meet the request at all?
bool AuthnContextPossible(const AuthnRequest& r) {
  for (auto level : eidas::kLoaAll)
    if (ReportedContext(r.authn_context_class_refs, r.authn_context_comparison, std::string(level))) return true;
  return false;
}

// The NameID format the service gets: the request may narrow the service's
// default to persistent or transient; anything else cannot be honoured.
std::optional<std::string> ChooseNameIdFormat(const SamlService& s, std::string_view requested) {
  if (requested.empty() || requested == kNameIdUnspecified) {
    if (s.name_id == kNameIdKindPersistent) return std::string(kNameIdPersistent);
    if (s.name_id == kNameIdKindTransient) return std::string(kNameIdTransient);
    return std::string(kNameIdUnspecified);
  }
  if (requested == kNameIdPersistent || requested == kNameIdTransient) return std::string(requested);
  return std::nullopt;
}

}  // namespace

// The registry could not be read: an outage, not an unknown service. 503
// with Retry-After and "temporary error" (never the 400 page that tells the
// user the service is not registered).
static HttpResponse StoreFailurePage(const Status& st, const std::string& lang) {
  LogError("saml service registry unavailable", {{"detail", st.ToString()}});
  HttpResponse r = SamlErrorPage(503, lang, SamlPage::kServerError);
  r.headers.Set("Retry-After", "5");  // RFC 9110 §10.2.3
  return r;
}

HttpResponse SamlIdp::Sso(const HttpRequest& req) {
  std::string lang = PickLang(req.Query(kParamLang).value_or(""));
  auto in = ReadIncoming(req);
  if (in.ok() && in->param != kParamSamlRequest) in = InvalidArgument("SAMLResponse sent to the SSO endpoint");
  if (!in.ok()) {
    LogRefused("AuthnRequest", in.status().ToString());
    return SamlErrorPage(400, lang, SamlPage::kBadRequest);
  }
  return HandleAuthnRequest(req, *in);
}

HttpResponse SamlIdp::HandleAuthnRequest(const HttpRequest& req, const Incoming& in) {
  std::string lang = PickLang(req.Query(kParamLang).value_or(""));
  // Before the issuer is known nothing can be sent anywhere: pages.
  auto page = [&](std::string_view reason, SamlPage kind, std::string_view issuer = {}) {
    LogRefused("AuthnRequest", reason, issuer);
    return SamlErrorPage(400, lang, kind);
  };
  // Size, attributes per element, nesting, DOCTYPE: refused before libxml2 parses.
  auto doc = ParseUntrustedXml(in.xml, XmlLimits{.max_bytes = opts_.max_message_bytes});
  if (!doc.ok()) return page(doc.status().ToString(), SamlPage::kBadRequest);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  auto ar = ReadAuthnRequest(root);
  if (!ar.ok()) return page(ar.status().ToString(), SamlPage::kBadRequest);

  // SAML Profiles §4.1.4.1: the Issuer must be a registered service.
  if (ar->header.issuer.empty()) return page("no Issuer", SamlPage::kUnknownService);
  auto service = services_.Get(ar->header.issuer);
  if (!service.ok() && service.status().code() != StatusCode::kNotFound)
    return StoreFailurePage(service.status(), lang);
  if (!service.ok()) return page("unknown issuer", SamlPage::kUnknownService, ar->header.issuer);
  // SAML Profiles §4.1.4.1 and Metadata §2.4.4: the ACS must be registered.
  Target t;
  t.entity_id = service->entity_id;
  t.relay_state = in.relay_state;
  t.request_id = ar->header.id;
  t.lang = lang;
  if (!ar->acs_url.empty()) {
    if (!Contains(service->acs_urls, ar->acs_url))
      return page("unregistered AssertionConsumerServiceURL " + ar->acs_url.substr(0, 256), SamlPage::kBadAcs,
                  t.entity_id);
    t.acs_url = ar->acs_url;
  } else if (ar->acs_index) {
    if (*ar->acs_index >= static_cast<int>(service->acs_urls.size()))
      return page("AssertionConsumerServiceIndex out of range", SamlPage::kBadAcs, t.entity_id);
    t.acs_url = service->acs_urls[*ar->acs_index];
  } else {
    t.acs_url = service->acs_urls.front();
  }
  // From here on the ACS is trusted: refusals are signed Responses to it
  // (RefuseToAcs), each logged once with its reason.

  // MPass: every request is signed with the registered certificate.
  if (Status st = VerifyMessage(in, doc->get(), *service); !st.ok())
    return RefuseToAcs(t, Err(kStatusRequester, kStatusRequestDenied, st.message(), st.ToString()));
  // SAML Core §3.2.2.2: VersionMismatch is a top-level code.
  if (ar->header.version != kVersion20)
    return RefuseToAcs(t, Err(kStatusVersionMismatch, "", "only SAML 2.0 is supported"));
  // SAML Bindings §3.4.5.2 / §3.5.5.2: Destination must be our endpoint
  // (and present when the message is signed).
  if (ar->header.destination.empty() ? (HasEnvelopedSignature(root) || in.query.signature.has_value())
                                     : ar->header.destination != Url(kPathSso))
    return RefuseToAcs(t, Err(kStatusRequester, kStatusRequestDenied, "Destination is not this endpoint"));
  // SAML Core §3.2.1 IssueInstant; MPass refuses stale requests.
  int64_t now = Now();
  if (ar->header.issue_instant > now + opts_.clock_skew_seconds ||
      ar->header.issue_instant < now - opts_.max_request_age_seconds - opts_.clock_skew_seconds)
    return RefuseToAcs(t, Err(kStatusRequester, kStatusRequestDenied, "IssueInstant is not current"));
  // SAML Profiles §4.1.4.5-style one-time use of request IDs.
  Status fresh = store_.PutIfAbsent(
      kReplayNs, Sha256Hex(t.entity_id + "\n" + ar->header.id), "1",
      std::chrono::seconds(opts_.max_request_age_seconds + 2 * opts_.clock_skew_seconds));
  if (fresh.code() == StatusCode::kAlreadyExists)
    return RefuseToAcs(t, Err(kStatusRequester, kStatusRequestDenied, "request ID was already used"));
  if (!fresh.ok()) {
    LogError("saml replay cache unavailable", {{"detail", fresh.ToString()}});
    return ErrorResponse(t, Err(kStatusResponder, "", "temporary failure"));
  }
  // SAML Profiles §4.1.4.1: only the HTTP-POST binding for the Response.
  if (!ar->protocol_binding.empty() && ar->protocol_binding != kBindingPost)
    return RefuseToAcs(t, Err(kStatusRequester, kStatusRequestUnsupported, "only HTTP-POST responses are supported"));
  // SAML Core §3.4.1.1 NameIDPolicy.
  auto format = ChooseNameIdFormat(*service, ar->name_id_format);
  if (!format) return RefuseToAcs(t, Err(kStatusRequester, kStatusInvalidNameIdPolicy, "NameID format not supported"));
  // SAML Core §3.3.2.2.1 RequestedAuthnContext: a level some eID can have
  // (checked again against the login's own level).
  if (!AuthnContextPossible(*ar))
    return RefuseToAcs(t, Err(kStatusResponder, kStatusNoAuthnContext, "requested authentication context not available"));

  // SSO: an existing session serves the request unless ForceAuthn, or the
  // service wants attributes the user has not shared in this session.
  auto session = LoadSession(req);
  // The session's eID must still be active on the ledger
  // (protocols/eid_status.h): a suspended or revoked one ends the session
  // here and the request goes to a new login (which then fails on the eID's
  // state); a status that cannot be read refuses for now, never reuses.
  if (session && !session->second.eid.empty() && eid_status_) {
    auto live = eid_status_->Status(session->second.eid);
    if (!live.ok()) {
      LogError("saml eID status unavailable; refused", {{"detail", live.status().ToString()}});
      return ErrorResponse(t, Err(kStatusResponder, "", "temporary failure; try again later"));
    }
    if (*live != EidLiveStatus::kActive) {
      LogInfo("saml eID not active; session ended", {{"issuer", t.entity_id}});
      (void)store_.Consume(kSessionNs, session->first);
      (void)store_.Delete(kSessionIndexNs, session->second.session_index);
      session.reset();
    }
  }
  std::optional<std::string> reuse_acr;
  if (session)
    reuse_acr = ReportedContext(ar->authn_context_class_refs, ar->authn_context_comparison, session->second.acr);
  bool usable = session && !ar->force_authn && reuse_acr;
  if (usable)
    for (const auto& a : service->attributes)
      if (!Contains(session->second.consented, a)) usable = false;
  if (usable) {
    t.acr = *reuse_acr;
    LinkOtherSession(req, session->second);
    return SuccessResponse(t, *service, session->first, session->second, {});
  }
  // SAML Core §3.4.1: IsPassive forbids any interaction.
  if (ar->is_passive) return RefuseToAcs(t, Err(kStatusResponder, kStatusNoPassive, "passive authentication not possible"));

  // Hand-off to the login (protocols/login.h).
  std::vector<SetCookie> cookies;
  std::string browser = req.Cookie(kBrowserCookie).value_or("");
  if (browser.size() < 32 || browser.size() > 128) {
    browser = random_.Token();
    cookies.push_back(Cookie(kBrowserCookie, browser, -1));
  }
  PendingAuthn pending;
  pending.entity_id = t.entity_id;
  pending.request_id = t.request_id;
  pending.acs_url = t.acs_url;
  pending.relay_state = t.relay_state;
  pending.lang = lang;
  pending.name_id_format = ar->name_id_format;
  pending.authn_context_class_refs = ar->authn_context_class_refs;
  pending.authn_context_comparison = ar->authn_context_comparison;
  pending.browser_hash = Sha256Hex(browser);
  pending.created_at = now;
  std::string txn = random_.Token();
  Status st = store_.Put(kAuthnNs, txn, ToJson(pending).dump(), std::chrono::seconds(opts_.login_ttl_seconds));
  if (!st.ok()) {
    LogError("saml pending request not stored", {{"detail", st.ToString()}});
    return ErrorResponse(t, Err(kStatusResponder, "", "temporary failure"));
  }
  LoginRequest login;
  login.txn = txn;
  login.protocol = "saml";
  login.service_id = t.entity_id;
  login.service_names = service->names;
  login.attributes = service->attributes;
  login.ui_locale = lang;
  // The lowest level that can meet the request (the login reports its eID's).
  login.acr = std::string(eidas::kLoaSubstantial);
  for (auto level : eidas::kLoaAll)
    if (ReportedContext(ar->authn_context_class_refs, ar->authn_context_comparison, std::string(level))) {
      login.acr = std::string(level);
      break;
    }
  login.force_authn = ar->force_authn;
  login.resume_url = Url(kPathResume) + "?txn=" + PercentEncode(txn);
  login.expires_at = now + opts_.login_ttl_seconds;
  HttpResponse r = authenticator_.Begin(login);
  for (auto& c : cookies) r.cookies.push_back(std::move(c));
  return r;
}

// The pages for a resume that cannot go on (protocols/login.h). SAML has no
// page of its own for an unfinished login: it is an expired one to the user.
constexpr ResumePages<SamlPage> kResumePages{SamlPage::kLoginExpired, SamlPage::kWrongBrowser,
                                             SamlPage::kLoginExpired, SamlPage::kServerError};

HttpResponse SamlIdp::Resume(const HttpRequest& req) {
  std::optional<PendingAuthn> pending;
  ResumeSpec spec{"saml", kAuthnNs, kBrowserCookie, [&](std::string_view record) -> std::optional<std::string> {
                    pending = ParsePendingAuthn(record);
                    if (!pending) return std::nullopt;
                    return pending->browser_hash;
                  }};
  auto resumed = ResumeLogin(store_, req, spec);
  const std::string lang = pending ? pending->lang : "";
  if (!resumed.ok()) {
    // The txn is a bearer token of the login: never logged.
    LogRefused("login resume", ResumeFailureReason(resumed.error()), pending ? pending->entity_id : "");
    return ResumeFailurePage(resumed.error(), kResumePages,
                             [&](int status, SamlPage p) { return SamlErrorPage(status, lang, p); });
  }
  const LoginResult& result = resumed->result;

  Target t{pending->entity_id, pending->acs_url, pending->relay_state, pending->request_id, lang};
  auto service = services_.Get(pending->entity_id);
  if (!service.ok() && service.status().code() != StatusCode::kNotFound)
    return StoreFailurePage(service.status(), lang);
  if (!service.ok()) {
    LogRefused("login resume", "service no longer registered", t.entity_id);
    return SamlErrorPage(400, lang, SamlPage::kUnknownService);
  }
  if (!result.error.empty()) return ErrorResponse(t, LoginFailure(result.error));
  if (result.subject.empty()) return ErrorResponse(t, Err(kStatusResponder, kStatusAuthnFailed, "authentication failed"));
  const std::string have = result.acr.empty() ? std::string(eidas::kLoaSubstantial) : result.acr;
  auto acr = ReportedContext(pending->authn_context_class_refs, pending->authn_context_comparison, have);
  if (!acr)
    return ErrorResponse(t, Err(kStatusResponder, kStatusNoAuthnContext,
                                "the user's eID does not reach the requested authentication context"));
  t.acr = *acr;

  std::vector<SetCookie> cookies;
  auto existing = LoadSession(req);
  std::string key;
  Session s;
  if (existing && existing->second.subject == result.subject) {
    key = existing->first;
    s = existing->second;
  } else {
    std::string cookie = random_.Token();
    key = Sha256Hex(cookie);
    s.session_index = NewId();
    s.expires_at = Now() + opts_.session_ttl_seconds;
    cookies.push_back(Cookie(kSessionCookie, cookie, -1));
  }
  s.subject = result.subject;
  s.eid = result.eid;
  s.auth_time = result.auth_time ? result.auth_time : Now();
  s.acr = have;
  for (const auto& [k, v] : result.attributes) s.attributes[k] = v;
  for (const auto& a : service->attributes)
    if (!Contains(s.consented, a)) s.consented.push_back(a);
  // The NameID policy of the original request is kept with the pending record.
  if (!pending->name_id_format.empty()) {
    auto f = ChooseNameIdFormat(*service, pending->name_id_format);
    if (f && *f == kNameIdPersistent) service->name_id = std::string(kNameIdKindPersistent);
    if (f && *f == kNameIdTransient) service->name_id = std::string(kNameIdKindTransient);
  }
  LinkOtherSession(req, s);
  return SuccessResponse(t, *service, key, s, std::move(cookies));
}

HttpResponse SamlIdp::ErrorResponse(const Target& t, const SamlError& e) {
  LogInfo("saml error response", {{"issuer", t.entity_id}, {"status", e.status},
                                  {"sub_status", e.sub_status}, {"message", e.message}});
  return PostErrorResponse(t, e);
}

HttpResponse SamlIdp::RefuseToAcs(const Target& t, const SamlError& e) {
  LogRefused("AuthnRequest", e.detail.empty() ? e.message : e.detail, t.entity_id);
  return PostErrorResponse(t, e);
}

HttpResponse SamlIdp::PostErrorResponse(const Target& t, const SamlError& e) {
  auto xml = BuildResponse(t, nullptr, nullptr, &e);
  auto signed_xml = xml.ok() ? SignXml(*xml, false) : StatusOr<std::string>(xml.status());
  if (!signed_xml.ok()) {
    LogError("saml error response not built", {{"detail", signed_xml.status().ToString()}});
    return SamlErrorPage(500, t.lang, SamlPage::kServerError);
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {std::string(kParamSamlResponse), Base64Encode(*signed_xml)}};
  if (!t.relay_state.empty()) fields.emplace_back(std::string(kParamRelayState), t.relay_state);
  return SamlPostPage(t.acs_url, fields, HexEncode(random_.Bytes(16)));
}

HttpResponse SamlIdp::SuccessResponse(const Target& t, const SamlService& service,
                                      const std::string& session_key, Session& session,
                                      std::vector<SetCookie> cookies) {
  // The NameID for this service (one per service per session).
  Session::Participant* part = nullptr;
  for (auto& p : session.participants)
    if (p.entity_id == service.entity_id) part = &p;
  std::string format, name_id;
  if (service.name_id == kNameIdKindPersistent) {
    // SAML Core §8.3.7: opaque, pairwise, stable.
    format = std::string(kNameIdPersistent);
    name_id = Base64UrlEncode(HmacSha256(opts_.pairwise_salt.reveal(), service.entity_id + "\n" + session.subject));
  } else if (service.name_id == kNameIdKindTransient) {
    format = std::string(kNameIdTransient);
    name_id = part && part->name_id_format == kNameIdTransient ? part->name_id : NewId();
  } else {
    format = std::string(kNameIdUnspecified);
    auto it = session.attributes.find("idnp");
    if (it == session.attributes.end() || it->second.empty())
      return ErrorResponse(t, Err(kStatusResponder, kStatusInvalidNameIdPolicy, "no IDNP for this person"));
    name_id = it->second;
  }
  if (part) {
    part->name_id = name_id;
    part->name_id_format = format;
  } else {
    session.participants.push_back({service.entity_id, name_id, format});
  }
  Status st = SaveSession(session_key, session);
  if (!st.ok()) {
    LogError("saml session not stored", {{"detail", st.ToString()}});
    return ErrorResponse(t, Err(kStatusResponder, "", "temporary failure"));
  }
  auto xml = BuildResponse(t, &service, &session, nullptr);
  auto signed_xml = xml.ok() ? SignXml(*xml, service.sign_assertion, service.encrypt_assertion ? &service : nullptr)
                              : StatusOr<std::string>(xml.status());
  if (!signed_xml.ok()) {
    LogError("saml response not built", {{"detail", signed_xml.status().ToString()}});
    return ErrorResponse(t, Err(kStatusResponder, "", "temporary failure"));
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {std::string(kParamSamlResponse), Base64Encode(*signed_xml)}};
  if (!t.relay_state.empty()) fields.emplace_back(std::string(kParamRelayState), t.relay_state);
  HttpResponse r = SamlPostPage(t.acs_url, fields, HexEncode(random_.Bytes(16)));
  for (auto& c : cookies) r.cookies.push_back(std::move(c));
  LogInfo("saml response issued", {{"issuer", service.entity_id}, {"session_index", session.session_index}});
  return r;
}

StatusOr<std::string> SamlIdp::BuildResponse(const Target& t, const SamlService* service,
                                             const Session* session, const SamlError* error) {
  int64_t now = Now();
  std::string x;
  x += "<samlp:Response xmlns:samlp=\"" + std::string(kNsProtocol) + "\" xmlns:saml=\"" +
       std::string(kNsAssertion) + "\" ID=\"" + NewId() + "\" Version=\"2.0\" IssueInstant=\"" +
       FormatSamlTime(now) + "\" Destination=\"" + XmlEscape(t.acs_url) + "\"";
  if (!t.request_id.empty()) x += " InResponseTo=\"" + XmlEscape(t.request_id) + "\"";
  if (!error) x += " Consent=\"" + std::string(kConsentPrior) + "\"";
  x += "><saml:Issuer>" + XmlEscape(entity_id_) + "</saml:Issuer><samlp:Status>";
  if (error) {
    x += "<samlp:StatusCode Value=\"" + XmlEscape(error->status) + "\">";
    if (!error->sub_status.empty()) x += "<samlp:StatusCode Value=\"" + XmlEscape(error->sub_status) + "\"/>";
    x += "</samlp:StatusCode>";
    if (!error->message.empty()) x += "<samlp:StatusMessage>" + XmlEscape(error->message) + "</samlp:StatusMessage>";
    x += "</samlp:Status></samlp:Response>";
    return x;
  }
  x += "<samlp:StatusCode Value=\"" + std::string(kStatusSuccess) + "\"/></samlp:Status>";
  const Session::Participant* part = nullptr;
  for (const auto& p : session->participants)
    if (p.entity_id == service->entity_id) part = &p;
  if (!part) return Internal("no participant for the service");
  const int64_t not_after = now + opts_.assertion_ttl_seconds;
  // The Assertion declares every namespace it uses (an encrypted one is
  // decrypted and parsed on its own by some SPs).
  x += "<saml:Assertion xmlns:saml=\"" + std::string(kNsAssertion) + "\" xmlns:xs=\"" + std::string(kNsXs) + "\" xmlns:xsi=\"" + std::string(kNsXsi) +
       "\" ID=\"" + NewId() + "\" Version=\"2.0\" IssueInstant=\"" + FormatSamlTime(now) + "\">";
  x += "<saml:Issuer>" + XmlEscape(entity_id_) + "</saml:Issuer>";
  // SAML Profiles §4.1.4.2: bearer confirmation bound to ACS and request.
  x += "<saml:Subject><saml:NameID Format=\"" + XmlEscape(part->name_id_format) + "\"";
  if (part->name_id_format != kNameIdUnspecified)
    x += " NameQualifier=\"" + XmlEscape(entity_id_) + "\" SPNameQualifier=\"" + XmlEscape(service->entity_id) + "\"";
  x += ">" + XmlEscape(part->name_id) + "</saml:NameID>";
  x += "<saml:SubjectConfirmation Method=\"" + std::string(kCmBearer) + "\"><saml:SubjectConfirmationData NotOnOrAfter=\"" +
       FormatSamlTime(not_after) + "\" Recipient=\"" + XmlEscape(t.acs_url) + "\"";
  if (!t.request_id.empty()) x += " InResponseTo=\"" + XmlEscape(t.request_id) + "\"";
  x += "/></saml:SubjectConfirmation></saml:Subject>";
  x += "<saml:Conditions NotBefore=\"" + FormatSamlTime(now - opts_.clock_skew_seconds) + "\" NotOnOrAfter=\"" +
       FormatSamlTime(not_after) + "\"><saml:AudienceRestriction><saml:Audience>" +
       XmlEscape(service->entity_id) + "</saml:Audience></saml:AudienceRestriction></saml:Conditions>";
  x += "<saml:AuthnStatement AuthnInstant=\"" + FormatSamlTime(session->auth_time) + "\" SessionIndex=\"" +
       XmlEscape(session->session_index) + "\" SessionNotOnOrAfter=\"" + FormatSamlTime(session->expires_at) +
       "\"><saml:AuthnContext><saml:AuthnContextClassRef>" + XmlEscape(t.acr.empty() ? session->acr : t.acr) +
       "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>";
  // MPass attribute names and formats, only what the service registered.
  std::string attrs;
  for (const auto& key : service->attributes) {
    const ClaimDefinition* def = catalogue_.ByKey(key);
    if (!def || def->saml_name.empty()) continue;
    auto it = session->attributes.find(key);
    if (it == session->attributes.end()) continue;
    auto value = ClaimsCatalogue::ToSamlValue(*def, it->second);
    if (!value) continue;
    attrs += "<saml:Attribute Name=\"" + XmlEscape(def->saml_name) + "\"><saml:AttributeValue xsi:type=\"xs:string\">" +
             XmlEscape(*value) + "</saml:AttributeValue></saml:Attribute>";
  }
  if (!attrs.empty()) x += "<saml:AttributeStatement>" + attrs + "</saml:AttributeStatement>";
  x += "</saml:Assertion></samlp:Response>";
  return x;
}

}  // namespace certme::saml
