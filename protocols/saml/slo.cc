// Single Logout (SAML Profiles §4.4) in both directions and both bindings.
//
// The IdP ends its own session at once, then tells every other service of
// the session in parallel: the browser gets a page with one hidden frame per
// service (each posts or redirects that service's signed LogoutRequest);
// the services answer into /saml/slo, which records each answer. The page
// polls /saml/slo/status and, when all have answered or the timeout passed,
// goes to /saml/slo/finish, which answers the initiator with Success or
// PartialLogout. A service that never answers only costs the timeout.
#include <algorithm>
#include <cctype>
#include <set>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/idp.h"
#include "protocols/saml/pages.h"
#include "protocols/saml/records.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::saml {
namespace {

// scheme://host[:port] of an absolute http(s) URL (a CSP source expression);
// empty for anything else.
std::string OriginOf(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return {};
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") return {};
  size_t host_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin = url.substr(0, host_end);
  // Only characters a CSP source may hold (no spaces, quotes or ';').
  for (char c : origin.substr(scheme_end + 3))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return {};
  return origin;
}

std::string LogoutRequestXml(const std::string& id, const std::string& issuer, const std::string& destination,
                             int64_t now, int64_t not_after, const SamlIdp::LogoutState::Pending& p,
                             const std::string& session_index, std::string_view reason = kLogoutReasonUser) {
  std::string x = "<samlp:LogoutRequest xmlns:samlp=\"" + std::string(kNsProtocol) + "\" xmlns:saml=\"" +
                  std::string(kNsAssertion) + "\" ID=\"" + id + "\" Version=\"2.0\" IssueInstant=\"" +
                  FormatSamlTime(now) + "\" Destination=\"" + XmlEscape(destination) + "\" NotOnOrAfter=\"" +
                  FormatSamlTime(not_after) + "\" Reason=\"" + std::string(reason) + "\">";
  x += "<saml:Issuer>" + XmlEscape(issuer) + "</saml:Issuer>";
  x += "<saml:NameID Format=\"" + XmlEscape(p.name_id_format) + "\"";
  if (p.name_id_format != kNameIdUnspecified)
    x += " NameQualifier=\"" + XmlEscape(issuer) + "\" SPNameQualifier=\"" + XmlEscape(p.entity_id) + "\"";
  x += ">" + XmlEscape(p.name_id) + "</saml:NameID>";
  x += "<samlp:SessionIndex>" + XmlEscape(session_index) + "</samlp:SessionIndex></samlp:LogoutRequest>";
  return x;
}

std::string LogoutResponseXml(const std::string& id, const std::string& issuer, const std::string& destination,
                              int64_t now, const std::string& in_response_to, std::string_view status,
                              std::string_view sub_status) {
  std::string x = "<samlp:LogoutResponse xmlns:samlp=\"" + std::string(kNsProtocol) + "\" xmlns:saml=\"" +
                  std::string(kNsAssertion) + "\" ID=\"" + id + "\" Version=\"2.0\" IssueInstant=\"" +
                  FormatSamlTime(now) + "\" Destination=\"" + XmlEscape(destination) + "\"";
  if (!in_response_to.empty()) x += " InResponseTo=\"" + XmlEscape(in_response_to) + "\"";
  x += "><saml:Issuer>" + XmlEscape(issuer) + "</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"" +
       std::string(status) + "\"";
  if (sub_status.empty()) {
    x += "/>";
  } else {
    x += "><samlp:StatusCode Value=\"" + std::string(sub_status) + "\"/></samlp:StatusCode>";
  }
  x += "</samlp:Status></samlp:LogoutResponse>";
  return x;
}

}  // namespace

HttpResponse SamlIdp::Slo(const HttpRequest& req) {
  auto in = ReadIncoming(req);
  if (!in.ok()) {
    LogRefused("SAML message", in.status().ToString());
    return SamlErrorPage(400, "", SamlPage::kBadRequest);
  }
  if (in->param == kParamSamlRequest) return HandleLogoutRequest(req, *in);
  return HandleLogoutResponse(*in);
}

HttpResponse SamlIdp::HandleLogoutRequest(const HttpRequest& req, const Incoming& in) {
  // Until the issuer is known and has a response URL: pages.
  auto page = [&](std::string_view reason, SamlPage kind, std::string_view issuer = {}) {
    LogRefused("LogoutRequest", reason, issuer);
    return SamlErrorPage(400, "", kind);
  };
  auto doc = ParseUntrustedXml(in.xml, XmlLimits{.max_bytes = opts_.max_message_bytes});
  if (!doc.ok()) return page(doc.status().ToString(), SamlPage::kBadRequest);
  xmlNode* root = xmlDocGetRootElement(doc->get());
  auto lr = ReadLogoutRequest(root);
  if (!lr.ok()) return page(lr.status().ToString(), SamlPage::kBadRequest);
  if (lr->header.issuer.empty()) return page("no Issuer", SamlPage::kUnknownService);
  auto service = services_.Get(lr->header.issuer);
  if (!service.ok()) return page("unknown issuer", SamlPage::kUnknownService, lr->header.issuer);
  if (service->SloResponseUrl().empty())
    return page("the service has no SLO URL", SamlPage::kBadAcs, service->entity_id);
  auto answer = [&](std::string_view status, std::string_view sub) {
    std::string out = LogoutResponseXml(NewId(), entity_id_, service->SloResponseUrl(), Now(),
                                        lr->header.id, status, sub);
    return SendToService(*service, service->SloResponseUrl(), false, out, in.relay_state);
  };
  // From here on refusals are signed LogoutResponses, each logged once.
  auto refuse = [&](std::string_view reason, std::string_view status, std::string_view sub) {
    LogRefused("LogoutRequest", reason, service->entity_id);
    return answer(status, sub);
  };
  // MPass: LogoutRequests are signed and verified against the registered certificate.
  if (Status st = VerifyMessage(in, doc->get(), *service); !st.ok())
    return refuse(st.ToString(), kStatusRequester, kStatusRequestDenied);
  // SAML Core §3.2.2.2.
  if (lr->header.version != kVersion20) return refuse("Version is not 2.0", kStatusVersionMismatch, "");
  // SAML Bindings §3.4.5.2 / §3.5.5.2.
  if (lr->header.destination.empty() ? (HasEnvelopedSignature(root) || in.query.signature.has_value())
                                     : lr->header.destination != Url(kPathSlo))
    return refuse("Destination is not this endpoint", kStatusRequester, kStatusRequestDenied);
  // SAML Core §3.2.1 IssueInstant, §3.7.1 NotOnOrAfter.
  int64_t now = Now();
  if (lr->header.issue_instant > now + opts_.clock_skew_seconds ||
      lr->header.issue_instant < now - opts_.max_request_age_seconds - opts_.clock_skew_seconds)
    return refuse("IssueInstant is not current", kStatusRequester, kStatusRequestDenied);
  if (lr->not_on_or_after && lr->not_on_or_after + opts_.clock_skew_seconds <= now)
    return refuse("NotOnOrAfter has passed", kStatusRequester, kStatusRequestDenied);
  Status fresh = store_.PutIfAbsent(kReplayNs, Sha256Hex(service->entity_id + "\n" + lr->header.id), "1",
                                    std::chrono::seconds(opts_.max_request_age_seconds + 2 * opts_.clock_skew_seconds));
  if (fresh.code() == StatusCode::kAlreadyExists)
    return refuse("request ID was already used", kStatusRequester, kStatusRequestDenied);
  if (!fresh.ok()) return refuse("replay cache unavailable: " + fresh.ToString(), kStatusRequester, kStatusRequestDenied);

  // The session: by SessionIndex (the SP's POST is cross-site and may come
  // without our cookie), else by cookie; it must list this service with
  // this NameID.
  std::optional<std::pair<std::string, Session>> found;
  for (const auto& si : lr->session_indexes) {
    auto key = store_.Get(kSessionIndexNs, si);
    if (!key.ok()) continue;
    auto raw = store_.Get(kSessionNs, *key);
    if (!raw.ok()) continue;
    if (auto s = ParseSession(*raw)) found = std::make_pair(*key, std::move(*s));
    break;
  }
  if (!found && lr->session_indexes.empty()) found = LoadSession(req);
  bool matches = false;
  if (found)
    for (const auto& part : found->second.participants)
      if (part.entity_id == service->entity_id && part.name_id == lr->name_id) matches = true;
  if (!found || !matches) {
    // SAML Core §3.7.3.2: nothing to end for this principal: the service is
    // logged out as far as we are concerned.
    LogInfo("saml logout for no live session", {{"issuer", service->entity_id}});
    HttpResponse r = answer(kStatusSuccess, "");
    r.cookies.push_back(Cookie(kSessionCookie, "", 0));
    return r;
  }
  LogoutState state;
  state.lang = "ro";
  state.initiator = service->entity_id;
  state.initiator_request_id = lr->header.id;
  state.initiator_relay_state = in.relay_state;
  return StartLogout(req, found->first, found->second, std::move(state));
}

void SamlIdp::EndSamlSession(const HttpRequest& req, const std::string& session_key, const Session& session,
                             LogoutState& state) {
  // Consume: of two concurrent logouts of one session only one proceeds.
  auto raw = store_.Consume(kSessionNs, session_key);
  (void)store_.Delete(kSessionIndexNs, session.session_index);
  auto live = raw.ok() ? ParseSession(*raw) : std::nullopt;
  const Session& s = live ? *live : session;
  for (const auto& id : s.linked_sessions) (void)store_.Delete(kLinkNs, id);
  // The OIDC half of the browser's session (Back-Channel Logout through the
  // hook); only the logout that consumed the record ends the linked ones.
  if (logout_hook_) logout_hook_->EndOtherSessions(req, raw.ok() ? s.linked_sessions : std::vector<std::string>{});
  if (state.session_index.empty()) state.session_index = s.session_index;
  for (const auto& part : s.participants) {
    if (part.entity_id == state.initiator) continue;
    auto svc = services_.Get(part.entity_id);
    if (!svc.ok() || svc->slo_url.empty()) continue;
    state.pending.push_back(
        {part.entity_id, NewId(), part.name_id, part.name_id_format, false, false, s.session_index});
  }
  LogInfo("saml session ended", {{"session_index", s.session_index}, {"others", state.pending.size()},
                                 {"initiator", state.initiator}});
}

StatusOr<size_t> SamlIdp::EndEidSessions(const std::string& eid) {
  const int64_t now = Now();
  auto index = TakeEidIndex(store_, kEidIndexNs, eid, now);
  if (!index.ok()) return index.status();
  size_t ended = 0;
  for (const auto& [key, entry] : index->entries) {
    // Consume: a browser logout running at the same moment ends it once.
    auto raw = store_.Consume(kSessionNs, key);
    if (!raw.ok()) {
      if (raw.status().code() != StatusCode::kNotFound)
        LogError("saml session of a suspended eID not read", {{"detail", raw.status().ToString()}});
      continue;
    }
    auto s = ParseSession(*raw);
    if (!s) continue;
    (void)store_.Delete(kSessionIndexNs, s->session_index);
    for (const auto& id : s->linked_sessions) (void)store_.Delete(kLinkNs, id);
    ++ended;
    // SAML Bindings §3.2: services with a SOAP endpoint are told now; the
    // others find the session gone and the eID refused at their next SSO.
    for (const auto& part : s->participants) {
      auto svc = services_.Get(part.entity_id);
      if (!svc.ok() || svc->slo_soap_url.empty() || !soap_sender_) continue;
      LogoutState::Pending p{part.entity_id, NewId(), part.name_id, part.name_id_format, false, false, s->session_index};
      std::string xml = LogoutRequestXml(p.request_id, entity_id_, svc->slo_soap_url, now,
                                         now + opts_.logout_timeout_seconds + 300, p, s->session_index,
                                         kLogoutReasonAdmin);
      auto signed_xml = SignXml(xml, false);
      if (!signed_xml.ok()) {
        LogError("saml logout request not signed", {{"detail", signed_xml.status().ToString()}});
        continue;
      }
      // The signed element goes into the Body as it is (its signature
      // covers only itself), without its XML declaration.
      std::string body = *signed_xml;
      if (body.rfind("<?xml", 0) == 0) body.erase(0, body.find("?>") + 2);
      while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) body.erase(0, 1);
      soap_sender_->PostSoapLogout(svc->entity_id, svc->slo_soap_url,
                                   "<soap11:Envelope xmlns:soap11=\"" + std::string(kNsSoap11) + "\"><soap11:Body>" +
                                       body + "</soap11:Body></soap11:Envelope>");
    }
    LogInfo("saml session of a suspended eID ended", {{"session_index", s->session_index}});
  }
  return ended;
}

std::string SamlIdp::SaveLogoutState(const LogoutState& state) {
  std::string id = random_.Token();
  auto ttl = std::chrono::seconds(opts_.logout_timeout_seconds + 300);
  Status st = store_.Put(kLogoutNs, id, ToJson(state).dump(), ttl);
  for (const auto& p : state.pending)
    if (st.ok()) st = store_.Put(kOutRequestNs, p.request_id, id, ttl);
  if (!st.ok()) {
    LogError("saml logout state not stored", {{"detail", st.ToString()}});
    return {};
  }
  return id;
}

HttpResponse SamlIdp::ProgressPage(const std::string& logout_id, const LogoutState& state) {
  std::string q = "?l=" + PercentEncode(logout_id);
  if (state.pending.empty()) return HttpResponse::Redirect(Url(kPathSlo) + "/finish" + q, 303);
  std::vector<std::string> frames;
  for (size_t i = 0; i < state.pending.size(); ++i)
    frames.push_back(Url(kPathSlo) + "/frame" + q + "&i=" + std::to_string(i));
  int64_t left = std::max<int64_t>(1, state.deadline - Now());
  HttpResponse r = SamlLogoutProgressPage(state.lang, frames, Url(kPathSlo) + "/status" + q,
                                          Url(kPathSlo) + "/finish" + q, left, HexEncode(random_.Bytes(16)));
  // Each frame starts on our /saml/slo/frame and then navigates (form post
  // or redirect) to its service's SLO URL; browsers check every navigation
  // of a frame against this page's frame-src, so the services' origins are
  // listed next to 'self'.
  std::set<std::string> origins;
  for (const auto& p : state.pending)
    if (auto svc = services_.Get(p.entity_id); svc.ok())
      if (std::string o = OriginOf(svc->slo_url); !o.empty()) origins.insert(o);
  if (r.csp && !origins.empty()) {
    std::string list = "frame-src 'self'";
    for (const auto& o : origins) list += " " + o;
    if (auto pos = r.csp->find("frame-src 'self'"); pos != std::string::npos) r.csp->replace(pos, 16, list);
  }
  return r;
}

HttpResponse SamlIdp::StartLogout(const HttpRequest& req, const std::string& session_key,
                                  const Session& session, LogoutState state) {
  EndSamlSession(req, session_key, session, state);
  state.deadline = Now() + opts_.logout_timeout_seconds;
  std::string id = SaveLogoutState(state);
  if (id.empty()) return SamlErrorPage(500, state.lang, SamlPage::kServerError);
  HttpResponse r = ProgressPage(id, state);
  r.cookies.push_back(Cookie(kSessionCookie, "", 0));
  return r;
}

std::string SamlIdp::LogoutFromOtherProtocol(const HttpRequest& req, const std::string& other_session_id,
                                             const std::string& return_url) {
  // The sessions to end: the one linked to the other protocol's session at
  // SSO, and the one our cookie names (an SSO made before that login).
  std::vector<std::pair<std::string, Session>> sessions;
  if (!other_session_id.empty() && other_session_id.size() <= 128)
    if (auto key = store_.Consume(kLinkNs, other_session_id); key.ok())
      if (auto raw = store_.Get(kSessionNs, *key); raw.ok())
        if (auto s = ParseSession(*raw))
          if (std::find(s->linked_sessions.begin(), s->linked_sessions.end(), other_session_id) !=
              s->linked_sessions.end())
            sessions.emplace_back(*key, std::move(*s));
  if (auto own = LoadSession(req); own && (sessions.empty() || sessions.front().first != own->first))
    sessions.push_back(std::move(*own));
  if (sessions.empty()) return {};
  LogoutState state;
  state.lang = PickLang(req.Query(kParamLang).value_or(""));
  state.return_url = return_url;
  for (const auto& [key, s] : sessions) EndSamlSession(req, key, s, state);
  if (state.pending.empty()) return {};
  state.deadline = Now() + opts_.logout_timeout_seconds;
  std::string id = SaveLogoutState(state);
  if (id.empty()) return {};
  return Url(kPathSlo) + "/progress?l=" + PercentEncode(id);
}

HttpResponse SamlIdp::SloProgress(const HttpRequest& req) {
  auto id = req.Query("l");
  if (!id || id->empty() || id->size() > 128) return SamlErrorPage(400, "", SamlPage::kBadRequest);
  auto raw = store_.Get(kLogoutNs, *id);
  if (!raw.ok()) return SamlErrorPage(200, "", SamlPage::kLoggedOut);
  auto state = ParseLogoutState(*raw);
  if (!state) return SamlErrorPage(500, "", SamlPage::kServerError);
  HttpResponse r = ProgressPage(*id, *state);
  r.cookies.push_back(Cookie(kSessionCookie, "", 0));
  return r;
}

HttpResponse SamlIdp::SloFrame(const HttpRequest& req) {
  auto id = req.Query("l");
  auto idx = req.Query("i");
  if (!id || !idx || id->size() > 128) return SamlErrorPage(400, "", SamlPage::kBadRequest);
  auto raw = store_.Get(kLogoutNs, *id);
  if (!raw.ok()) return SamlErrorPage(400, "", SamlPage::kLoginExpired);
  auto state = ParseLogoutState(*raw);
  size_t i = 0;
  try {
    i = std::stoul(*idx);
  } catch (...) {
    return SamlErrorPage(400, "", SamlPage::kBadRequest);
  }
  if (!state || i >= state->pending.size()) return SamlErrorPage(400, "", SamlPage::kBadRequest);
  const auto& p = state->pending[i];
  auto svc = services_.Get(p.entity_id);
  if (!svc.ok()) return SamlFramedDonePage();
  std::string xml = LogoutRequestXml(p.request_id, entity_id_, svc->slo_url, Now(), state->deadline, p,
                                     p.session_index.empty() ? state->session_index : p.session_index);
  return SendToService(*svc, svc->slo_url, true, xml, "");
}

HttpResponse SamlIdp::HandleLogoutResponse(const Incoming& in) {
  auto page = [&](std::string_view reason, SamlPage kind, std::string_view issuer = {}) {
    LogRefused("LogoutResponse", reason, issuer);
    return SamlErrorPage(400, "", kind);
  };
  auto doc = ParseUntrustedXml(in.xml, XmlLimits{.max_bytes = opts_.max_message_bytes});
  if (!doc.ok()) return page(doc.status().ToString(), SamlPage::kBadRequest);
  auto resp = ReadLogoutResponse(xmlDocGetRootElement(doc->get()));
  if (!resp.ok()) return page(resp.status().ToString(), SamlPage::kBadRequest);
  auto service = services_.Get(resp->header.issuer);
  if (!service.ok()) return page("unknown issuer", SamlPage::kUnknownService, resp->header.issuer);
  if (Status st = VerifyMessage(in, doc->get(), *service); !st.ok())
    return page(st.ToString(), SamlPage::kBadRequest, service->entity_id);
  auto logout_id = store_.Consume(kOutRequestNs, resp->in_response_to);
  if (!logout_id.ok()) {
    // Late (after /saml/slo/finish) or unsolicited: nothing to record.
    LogRefused("LogoutResponse", "InResponseTo names no pending LogoutRequest", service->entity_id);
    return SamlFramedDonePage();
  }
  // Several services answer at once: compare-and-swap on the state.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto raw = store_.Get(kLogoutNs, *logout_id);
    if (!raw.ok()) break;
    auto state = ParseLogoutState(*raw);
    if (!state) break;
    for (auto& p : state->pending)
      if (p.request_id == resp->in_response_to && p.entity_id == service->entity_id) {
        p.answered = true;
        p.success = resp->status == kStatusSuccess;
      }
    Status st = store_.CompareAndSwap(kLogoutNs, *logout_id, *raw, ToJson(*state).dump(),
                                      std::chrono::seconds(opts_.logout_timeout_seconds + 300));
    if (st.code() != StatusCode::kFailedPrecondition) break;
  }
  return SamlFramedDonePage();
}

HttpResponse SamlIdp::SloStatus(const HttpRequest& req) {
  auto id = req.Query("l");
  if (!id || id->size() > 128) return HttpResponse::Json(400, "{\"pending\":0}");
  auto raw = store_.Get(kLogoutNs, *id);
  auto state = raw.ok() ? ParseLogoutState(*raw) : std::nullopt;
  size_t pending = 0;
  if (state && Now() < state->deadline)
    for (const auto& p : state->pending) pending += p.answered ? 0 : 1;
  HttpResponse r = HttpResponse::Json(200, "{\"pending\":" + std::to_string(pending) + "}");
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

HttpResponse SamlIdp::SloFinish(const HttpRequest& req) {
  auto id = req.Query("l");
  if (!id || id->size() > 128) return SamlErrorPage(400, "", SamlPage::kBadRequest);
  auto raw = store_.Consume(kLogoutNs, *id);
  if (!raw.ok()) return SamlErrorPage(200, "", SamlPage::kLoggedOut);
  auto state = ParseLogoutState(*raw);
  if (!state) return SamlErrorPage(500, "", SamlPage::kServerError);
  bool all = true;
  for (const auto& p : state->pending) {
    all = all && p.answered && p.success;
    (void)store_.Delete(kOutRequestNs, p.request_id);
  }
  LogInfo("saml logout finished", {{"initiator", state->initiator}, {"complete", all}});
  // Started by the other protocol: back to where it was going.
  if (state->initiator.empty() && !state->return_url.empty())
    return HttpResponse::Redirect(state->return_url, 303);
  if (state->initiator.empty()) return SamlErrorPage(200, state->lang, SamlPage::kLoggedOut);
  auto svc = services_.Get(state->initiator);
  if (!svc.ok() || svc->SloResponseUrl().empty()) return SamlErrorPage(200, state->lang, SamlPage::kLoggedOut);
  // SAML Core §3.7.3.2: PartialLogout when not every participant confirmed.
  std::string xml = LogoutResponseXml(NewId(), entity_id_, svc->SloResponseUrl(), Now(), state->initiator_request_id,
                                      all ? kStatusSuccess : kStatusPartialLogout, "");
  HttpResponse r = SendToService(*svc, svc->SloResponseUrl(), false, xml, state->initiator_relay_state);
  // The final answer goes top-level, not in a frame.
  if (r.csp) {
    auto pos = r.csp->find("frame-ancestors 'self'");
    if (pos != std::string::npos) r.csp->replace(pos, 22, "frame-ancestors 'none'");
  }
  return r;
}

HttpResponse SamlIdp::LogoutPage(const HttpRequest& req) {
  std::string lang = PickLang(req.Query(kParamLang).value_or(""));
  auto session = LoadSession(req);
  if (!session) return SamlErrorPage(200, lang, SamlPage::kLoggedOut);
  // The confirmation form carries a token derived from the session cookie,
  // so another site cannot log the user out.
  std::string csrf = Base64UrlEncode(HmacSha256(opts_.pairwise_salt.reveal(), "logout\n" + session->first));
  return SamlLogoutConfirmPage(lang, Url(kPathLogout), csrf);
}

HttpResponse SamlIdp::LogoutSubmit(const HttpRequest& req) {
  std::string lang = PickLang(req.Form(kParamLang).value_or(""));
  auto session = LoadSession(req);
  if (!session) return SamlErrorPage(200, lang, SamlPage::kLoggedOut);
  std::string expected = Base64UrlEncode(HmacSha256(opts_.pairwise_salt.reveal(), "logout\n" + session->first));
  if (!ConstantTimeEquals(req.Form("csrf").value_or(""), expected)) return SamlErrorPage(400, lang, SamlPage::kBadRequest);
  LogoutState state;
  state.lang = lang;
  return StartLogout(req, session->first, session->second, std::move(state));
}

}  // namespace certme::saml
