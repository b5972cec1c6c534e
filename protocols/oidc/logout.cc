// RP-Initiated Logout 1.0 (end_session_endpoint), with Back-Channel and
// Front-Channel Logout 1.0 notifications sent from EndSessionRecord.
#include "common/log.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/pages.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/url_util.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

bool AudienceHas(const nlohmann::json& aud, const std::string& client_id) {
  if (aud.is_string()) return aud == client_id;
  if (aud.is_array())
    for (const auto& a : aud)
      if (a.is_string() && a == client_id) return true;
  return false;
}

// The single audience of a hint (our ID tokens carry exactly one).
std::string HintClient(const nlohmann::json& payload) {
  auto it = payload.find(kClaimAud);
  if (it == payload.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) return (*it)[0].get<std::string>();
  return {};
}

std::string WithState(const std::string& uri, const std::string& state) {
  if (uri.empty() || state.empty()) return uri;
  return AppendQuery(uri, {{std::string(kState), state}});
}

}  // namespace

HttpResponse OidcProvider::EndSession(const HttpRequest& req) {
  if (req.method != "GET" && req.method != "POST") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.Set("Allow", "GET, POST");
    return r;
  }
  // RP-Initiated Logout §2: GET query or POST form.
  const Params& p = req.method == "POST" ? req.form : req.query;
  std::string lang = PickLocale(ParamGet(p, kUiLocales).value_or(""));
  if (CheckNoRepeatedParams(p)) return ErrorPage(400, lang, PageMessage::kBadRequest);
  // RFC 6749 Appendix B (the values end up in a stored JSON record).
  if (auto e = CheckUtf8Params(p)) {
    LogInfo("oidc logout refused", {{"detail", e->description}});
    return ErrorPage(400, lang, PageMessage::kBadRequest);
  }
  std::string state = ParamGet(p, kState).value_or("");
  if (state.size() > 2048) return ErrorPage(400, lang, PageMessage::kBadRequest);
  std::string client_id = ParamGet(p, kClientId).value_or("");

  // §2: id_token_hint must be an ID token we issued (expired is fine); and
  // when both are given, client_id must be an audience of the hint.
  // §4: when that validation fails the OP MUST NOT redirect to an RP, not
  // even to an address client_id alone would allow; the user is asked (or
  // told they are logged out) on our own pages.
  std::optional<nlohmann::json> hint;
  bool hint_failed = false;
  if (auto text = ParamGet(p, kIdTokenHint)) {
    auto payload = VerifyOwnIdToken(*text);
    if (payload.ok()) hint = std::move(payload).value();
    else LogInfo("oidc logout hint rejected", {{"detail", payload.status().ToString()}});
    hint_failed = !payload.ok();
  }
  if (hint && !client_id.empty() && !AudienceHas((*hint)[kClaimAud], client_id)) {
    LogInfo("oidc logout hint not for client_id", {{"client_id", client_id}});
    hint.reset();
    hint_failed = true;
  }
  if (client_id.empty() && hint) client_id = HintClient(*hint);

  std::optional<OidcClient> client;
  if (!client_id.empty())
    if (auto c = clients_.Get(client_id); c.ok()) client = std::move(c).value();

  // §3: redirect only to an exactly registered post_logout_redirect_uri of
  // the identified client; otherwise stay on our page.
  std::string redirect;
  if (auto uri = ParamGet(p, kPostLogoutRedirectUri); uri && !hint_failed) {
    if (client && Contains(client->post_logout_redirect_uris, *uri)) redirect = *uri;
    else LogInfo("oidc logout redirect not registered", {{"client_id", client_id}});
  }

  auto session = LoadSession(req);
  if (!session) {
    // Nothing to end here; still honour a valid return address.
    if (!redirect.empty()) return HttpResponse::Redirect(WithState(redirect, state));
    return LoggedOutPage(lang, {}, "", random_.Token(16));
  }
  // The hint is trusted for this session when it names its sid (or, for
  // tokens without sid, its subject as this client sees it).
  bool trusted = false;
  if (hint && client) {
    auto sid = hint->find(kClaimSid);
    if (sid != hint->end()) trusted = sid->is_string() && *sid == session->second.sid;
    else trusted = (*hint)[kClaimSub] == SubjectFor(*client, session->second.subject);
  }
  if (trusted) {
    std::vector<std::string> frames = EndSessionRecord(session->first, session->second);
    std::string target = WithState(redirect, state);
    // Mixed sessions: the SAML services of this browser are logged out too.
    if (other_logout_)
      if (auto next = other_logout_->ContinueLogout(req, session->second.sid, target); !next.empty()) target = next;
    HttpResponse r = frames.empty() && !target.empty()
                         ? HttpResponse::Redirect(target)
                         : LoggedOutPage(lang, frames, target, random_.Token(16));
    r.cookies.push_back(SessionCookie("", 0));
    return r;
  }
  // §2 / §6: an unauthenticated request must not end the session silently
  // (a third party could log the user out); ask first.
  LogoutRecord rec;
  rec.client_id = client ? client->client_id : "";
  rec.post_logout_redirect_uri = redirect;
  rec.state = state;
  rec.ui_locale = lang;
  rec.session_key = session->first;
  std::string txn = random_.Token();
  Status st = store_.Put(kLogoutNs, txn, ToJson(rec).dump(), std::chrono::seconds(opts_.login_ttl_seconds));
  if (!st.ok()) {
    LogError("oidc logout not stored", {{"detail", st.ToString()}});
    return ErrorPage(500, lang, PageMessage::kServerError);
  }
  return LogoutConfirmPage(lang, Url(kPathEndSessionConfirm), txn, client ? client->DisplayName(lang) : "");
}

HttpResponse OidcProvider::EndSessionConfirm(const HttpRequest& req) {
  if (req.method != "POST") {
    HttpResponse r = HttpResponse::Text(405, "method not allowed\n");
    r.headers.Set("Allow", "POST");
    return r;
  }
  if (ParamCount(req.form, kTxn) != 1) return ErrorPage(400, "ro", PageMessage::kBadRequest);
  std::string txn = *req.Form(kTxn);
  if (txn.empty() || txn.size() > 128) return ErrorPage(400, "ro", PageMessage::kBadRequest);
  auto raw = store_.Consume(kLogoutNs, txn);
  if (!raw.ok()) return ErrorPage(400, "ro", PageMessage::kLoginExpired);
  auto rec = ParseLogoutRecord(*raw);
  if (!rec) return ErrorPage(500, "ro", PageMessage::kServerError);
  // The confirmation ends only the session it was shown for. A browser that
  // holds another one now (or never held it: a txn of someone else's
  // session posted cross-site) ends nothing and goes nowhere.
  std::vector<std::string> frames;
  std::string sid;
  if (auto session = LoadSession(req)) {
    if (!ConstantTimeEquals(session->first, rec->session_key)) {
      LogInfo("oidc logout confirmation for another session", {{"client_id", rec->client_id}});
      return ErrorPage(400, rec->ui_locale, PageMessage::kBadRequest);
    }
    frames = EndSessionRecord(session->first, session->second);
    sid = session->second.sid;
  }
  std::string target = WithState(rec->post_logout_redirect_uri, rec->state);
  if (other_logout_ && !sid.empty())
    if (auto next = other_logout_->ContinueLogout(req, sid, target); !next.empty()) target = next;
  HttpResponse r = frames.empty() && !target.empty()
                       ? HttpResponse::Redirect(target)
                       : LoggedOutPage(rec->ui_locale, frames, target, random_.Token(16));
  r.cookies.push_back(SessionCookie("", 0));
  return r;
}

}  // namespace certme
