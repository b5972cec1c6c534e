// Client-Initiated Backchannel Authentication (CIBA Core 1.0), poll and
// ping modes (ciba.h). The backchannel endpoint starts a wallet login
// addressed to the user's eID (protocols/login.h LoginRequest::wallet_eid):
// it waits in that eID's wallet inbox (docs/wallet-protocol.md §8b). The
// login's result settles the request when the wallet login reports its end
// (CibaLoginEnded, which also pings a ping client) or at the client's next
// token request, whichever comes first. Each check cites its section.
#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/ethereum.h"
#include "crypto/hash.h"
#include "protocols/eidas.h"
#include "protocols/oidc/ciba.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/request_checks.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// An auth_req_id is a Random::Token (43 characters); anything much longer
// is not ours and is not looked up.
constexpr size_t kMaxAuthReqIdBytes = 128;
// After its lifetime a request is still known for this long, so that a late
// poll hears expired_token (CIBA §11) rather than invalid_grant.
constexpr int64_t kExpiredGraceSeconds = 300;
constexpr std::string_view kErrorUnmetAcr = "unmet_acr";

OidcError InvalidGrant(std::string description) {
  return OidcError::Make(kErrInvalidGrant, std::move(description));
}
OidcError UnknownRequest() { return InvalidGrant("auth_req_id is invalid, expired or already used"); }

// The stored request: the device grant's record (records.h: the same
// states and login facts) with CIBA's delivery.
struct CibaRecord {
  DeviceRecord d;
  std::string mode;               // poll | ping
  std::string notification_token;  // ping: the client's bearer for the ping
  std::string auth_req_id;         // ping: sent in the ping (the client authenticates to redeem it)
};

nlohmann::json ToJson(const CibaRecord& r) {
  nlohmann::json j = {{"d", oidc_internal::ToJson(r.d)}, {"mode", r.mode}};
  if (!r.notification_token.empty()) j["nt"] = r.notification_token;
  if (!r.auth_req_id.empty()) j["id"] = r.auth_req_id;
  return j;
}

std::optional<CibaRecord> ParseCibaRecord(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("d") || !j.contains("mode") || !j["mode"].is_string()) return std::nullopt;
  auto d = ParseDeviceRecord(j["d"].dump());
  if (!d) return std::nullopt;
  CibaRecord r{*d, j["mode"].get<std::string>(), j.value("nt", ""), j.value("id", "")};
  return r;
}

int64_t StoreTtl(const CibaRecord& r, int64_t now) {
  return std::max<int64_t>(r.d.expires_at + kExpiredGraceSeconds - now, 1);
}

StatusOr<CibaRecord> UpdateCiba(Store& store, const std::string& key, int64_t now,
                                const std::function<bool(CibaRecord&)>& mutate) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    CERTME_ASSIGN_OR_RETURN(std::string raw, store.Get(kCibaNs, key));
    auto rec = ParseCibaRecord(raw);
    if (!rec) return Internal("CIBA request record unreadable");
    if (!mutate(*rec)) return *rec;
    Status st = store.CompareAndSwap(kCibaNs, key, raw, ToJson(*rec).dump(), std::chrono::seconds(StoreTtl(*rec, now)));
    if (st.ok()) return *rec;
    if (st.code() != StatusCode::kFailedPrecondition) return st;
  }
  return Unavailable("CIBA request busy");
}

// CIBA §7.1 / RFC 6750 §2.1: a bearer token is token68.
bool IsToken68(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  for (; i < s.size() && s[i] != '='; ++i) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_' || c == '~' || c == '+' || c == '/'))
      return false;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i)
    if (s[i] != '=') return false;
  return true;
}

// Characters, not bytes (the text is UTF-8: checked by the endpoint).
size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

}  // namespace

namespace oidc_internal {

OidcOr<CibaParams> ParseCibaParams(const Params& p, bool ping, int64_t default_expiry, int64_t max_expiry) {
  if (auto e = CheckNoRepeatedParams(p)) return *e;
  if (auto e = CheckUtf8Params(p)) return *e;
  if (auto e = CheckLengths(p)) return *e;
  // Signed authentication requests (CIBA §7.1.1) are not offered: discovery
  // names no backchannel_authentication_request_signing_alg_values_supported.
  if (ParamGet(p, kRequest)) return InvalidRequest("signed authentication requests are not supported");
  // §7.1: "backchannel_user_code_parameter_supported" is false.
  if (ParamGet(p, kUserCode)) return InvalidRequest("user_code is not supported");
  // §7.1: exactly one hint. login_hint_token is not offered.
  if (ParamGet(p, kLoginHintToken)) return InvalidRequest("login_hint_token is not supported; use login_hint or id_token_hint");
  CibaParams out;
  out.login_hint = ParamGet(p, kLoginHint).value_or("");
  out.id_token_hint = ParamGet(p, kIdTokenHint).value_or("");
  if (out.login_hint.empty() == out.id_token_hint.empty())
    return InvalidRequest("exactly one of login_hint and id_token_hint is required");
  // §7.1 binding_message: short, plain text the wallet shows.
  out.binding_message = ParamGet(p, kBindingMessage).value_or("");
  if (Utf8Length(out.binding_message) > kMaxBindingMessageChars)
    return OidcError::Make(kErrInvalidBindingMessage, "binding_message is longer than " +
                                                          std::to_string(kMaxBindingMessageChars) + " characters");
  for (unsigned char c : out.binding_message)
    if (c < 0x20 || c == 0x7f)
      return OidcError::Make(kErrInvalidBindingMessage, "binding_message must not contain control characters");
  // §7.1 requested_expiry: a positive integer (seconds).
  out.expires_in = default_expiry;
  if (auto v = ParamGet(p, kRequestedExpiry)) {
    if (v->empty() || v->size() > 9 || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return InvalidRequest("requested_expiry must be a positive integer");
    int64_t n = std::stoll(*v);
    if (n <= 0 || n > max_expiry)
      return InvalidRequest("requested_expiry must be from 1 to " + std::to_string(max_expiry));
    out.expires_in = n;
  }
  // §7.1 client_notification_token: required in ping mode, a bearer token.
  if (ping) {
    out.client_notification_token = ParamGet(p, kClientNotificationToken).value_or("");
    if (out.client_notification_token.empty())
      return InvalidRequest("client_notification_token is required in ping mode");
    if (out.client_notification_token.size() > kMaxNotificationTokenChars ||
        !IsToken68(out.client_notification_token))
      return InvalidRequest("client_notification_token must be a bearer token of at most 1024 characters");
  }
  return out;
}

}  // namespace oidc_internal

// ---- CIBA §7: the backchannel authentication endpoint ----

HttpResponse OidcProvider::BackchannelAuthentication(const HttpRequest& req) {
  if (!opts_.ciba_enabled) return HttpResponse::Text(404, "not found\n");
  // §7.1: the client authenticates as at the token endpoint.
  return ClientEndpoint(req, kPathBackchannel, &OidcProvider::BackchannelResponse);
}

HttpResponse OidcProvider::BackchannelResponse(const HttpRequest& req, const OidcClient& client) {
  const Params& p = req.form;
  if (auto id = ParamGet(p, kClientId); id && *id != client.client_id)
    return TokenError(InvalidRequest("client_id is not the authenticated client"));
  // §13 unauthorized_client: the client is not registered for CIBA.
  if (!client.AllowsGrant(kGrantCiba) || client.IsPublic())
    return TokenError(OidcError::Make(kErrUnauthorizedClient, "client may not use backchannel authentication"));
  const bool ping = client.backchannel_token_delivery_mode == kModePing;
  auto params = ParseCibaParams(p, ping, opts_.ciba_default_expiry_seconds, opts_.ciba_max_expiry_seconds);
  if (!params.ok()) return TokenError(params.error());
  // §7.1 scope: openid, narrowed to the client's (as /authorize).
  auto scopes = GrantedScopes(p, client, catalogue_);
  if (!scopes.ok()) return TokenError(scopes.error());
  auto acr_values = RequestedAcr(p, ClaimsRequest{});
  if (!acr_values.ok()) return TokenError(acr_values.error());
  if (auto alg = ParseJwsAlg(client.id_token_signed_response_alg); !alg || !keys_.ActiveFor(*alg)) {
    LogError("oidc no signing key for client", {{"client_id", client.client_id}});
    return TokenError(OidcError::Make(kErrServerError, "the server cannot sign for this client", {}, 500));
  }
  // §7.1 the hint names the user by the sub this client knows.
  std::string sub = params->login_hint;
  if (!params->id_token_hint.empty()) {
    auto payload = VerifyOwnIdToken(params->id_token_hint);
    if (!payload.ok() || !(*payload)[kClaimSub].is_string() ||
        !AudienceContains((*payload)[kClaimAud], {client.client_id}))
      return TokenError(InvalidRequest("id_token_hint is not an ID token issued to this client"));
    sub = (*payload)[kClaimSub].get<std::string>();
  }
  // The eID behind the sub, from this client's earlier grants. A sub the map
  // does not know gets a login addressed to a fresh random address nobody
  // holds: the same steps, the same answer, and it simply never completes
  // (the issue: the answer never tells whether the hint names a user).
  std::string eid;
  auto mapped = store_.Get(kCibaHintNs, Sha256Hex(client.client_id + "\n" + sub));
  if (mapped.ok()) eid = *mapped;
  else if (mapped.status().code() != StatusCode::kNotFound) return TokenError(ServerFailure(mapped.status()));
  else eid = ChecksumAddress(random_.Bytes(20));

  const int64_t now = Now();
  CibaRecord rec;
  rec.mode = ping ? std::string(kModePing) : std::string(kModePoll);
  rec.d.client_id = client.client_id;
  rec.d.scopes = scopes.value();
  rec.d.acr_values = acr_values.value();
  rec.d.attributes = RequestedAttributes(rec.d.scopes, ClaimsRequest{}, client, catalogue_);
  rec.d.expires_at = now + params->expires_in;
  rec.d.interval = opts_.ciba_poll_interval_seconds;
  rec.d.txn = random_.Token();
  const std::string auth_req_id = random_.Token();
  if (ping) {
    rec.notification_token = params->client_notification_token;
    rec.auth_req_id = auth_req_id;
  }
  const std::string key = Sha256Hex(auth_req_id);
  const auto ttl = std::chrono::seconds(StoreTtl(rec, now));
  Status st = store_.PutIfAbsent(kCibaNs, key, ToJson(rec).dump(), ttl);
  if (st.ok()) st = store_.Put(kCibaLoginNs, rec.d.txn, key, ttl);
  if (!st.ok()) return TokenError(ServerFailure(st));

  LoginRequest login;
  login.txn = rec.d.txn;
  login.protocol = "oidc";
  login.service_id = client.client_id;
  login.service_names = client.names;
  login.attributes = rec.d.attributes;
  login.acr = std::string(eidas::kLoaSubstantial);
  for (const auto& v : rec.d.acr_values)
    if (eidas::LoaRank(v) > 0) {
      login.acr = v;
      break;
    }
  login.force_authn = true;
  login.expires_at = rec.d.expires_at;
  login.wallet_eid = eid;
  login.binding_message = params->binding_message;
  // No browser: the page Begin returns is for nobody. A login that cannot
  // begin (the service may not log users in) records its outcome, which
  // the poll then reports.
  (void)authenticator_.Begin(login);

  // §7.3 the acknowledgement.
  nlohmann::json body = {{std::string(kAuthReqId), auth_req_id}, {"expires_in", params->expires_in}};
  if (!ping) body["interval"] = rec.d.interval;
  HttpResponse r = HttpResponse::Json(200, body.dump());
  NoStore(r);
  return r;
}

// ---- the hint map ----

void OidcProvider::RememberCibaHint(const OidcClient& client, const GrantRecord& grant) {
  if (!opts_.ciba_enabled || grant.eid.empty() || !client.AllowsGrant(kGrantCiba)) return;
  Status st = store_.Put(kCibaHintNs, Sha256Hex(client.client_id + "\n" + SubjectFor(client, grant.subject)), grant.eid,
                         std::chrono::seconds(opts_.ciba_hint_ttl_seconds));
  if (!st.ok()) LogWarn("oidc CIBA hint not saved", {{"client_id", client.client_id}, {"detail", st.ToString()}});
}

// ---- settling a login ----

Status OidcProvider::SettleCibaLogin(const std::string& key, const std::string& txn, bool* settled) {
  *settled = false;
  auto result = TakeLoginResult(store_, txn);
  if (!result.ok()) return result.status().code() == StatusCode::kNotFound ? Status::Ok() : result.status();
  const LoginResult& res = *result;
  const int64_t now = Now();
  auto updated = UpdateCiba(store_, key, now, [&](CibaRecord& r) {
    DeviceRecord& d = r.d;
    if (d.state != DeviceRecord::kPending || d.expires_at <= now || d.txn != txn) return false;
    if (!res.error.empty()) {
      d.state = DeviceRecord::kDenied;
      d.error = res.error;
    } else if (!AcrFor(res.acr, d.acr_values)) {
      d.state = DeviceRecord::kDenied;  // OIDC Core §3.1.2.1: never a silent downgrade
      d.error = std::string(kErrorUnmetAcr);
    } else {
      d.state = DeviceRecord::kApproved;
      d.subject = res.subject;
      d.eid = res.eid;
      d.acr = res.acr;
      d.amr = res.amr;
      d.auth_time = res.auth_time > 0 ? res.auth_time : now;
      for (const auto& [k, v] : res.attributes)
        if (Contains(d.attributes, k)) d.login_attributes[k] = v;  // only what was asked (docs/privacy.md)
    }
    *settled = true;
    return true;
  });
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::kNotFound) return Status::Ok();
    (void)SaveLoginResult(store_, res, std::max<int64_t>(opts_.login_ttl_seconds, 1));  // the next poll retries
    return updated.status();
  }
  // §10.2 ping: the result is ready (approved or an error); the client now
  // asks the token endpoint.
  if (*settled && updated->mode == kModePing) {
    auto client = clients_.Get(updated->d.client_id);
    if (client.ok() && ciba_notifier_ && !client->backchannel_client_notification_endpoint.empty())
      ciba_notifier_->Ping(client->client_id, client->backchannel_client_notification_endpoint,
                           updated->notification_token, updated->auth_req_id);
  }
  return Status::Ok();
}

void OidcProvider::CibaLoginEnded(const std::string& txn) {
  if (!opts_.ciba_enabled) return;
  auto key = store_.Get(kCibaLoginNs, txn);
  if (!key.ok()) return;  // not a CIBA login (or gone)
  bool settled = false;
  if (Status st = SettleCibaLogin(*key, txn, &settled); !st.ok())
    LogWarn("oidc CIBA login not settled; the next poll retries", {{"detail", st.ToString()}});
}

// ---- CIBA §10.1, §11: the CIBA grant at the token endpoint ----

OidcOr<nlohmann::json> OidcProvider::GrantCiba(const HttpRequest& req, const OidcClient& client,
                                               const TokenBinding& binding) {
  auto id = ParamGet(req.form, kAuthReqId);
  if (!id || id->empty()) return InvalidRequest("auth_req_id is required");
  if (id->size() > kMaxAuthReqIdBytes) return UnknownRequest();
  const std::string key = Sha256Hex(*id);
  const int64_t now = Now();
  auto load = [&]() -> OidcOr<CibaRecord> {
    auto raw = store_.Get(kCibaNs, key);
    if (!raw.ok()) {
      if (raw.status().code() != StatusCode::kNotFound) return ServerFailure(raw.status());
      return UnknownRequest();
    }
    auto rec = ParseCibaRecord(*raw);
    if (!rec) return ServerFailure(Internal("CIBA request record unreadable"));
    return *rec;
  };
  auto rec = load();
  if (!rec.ok()) return rec.error();
  // §11 invalid_grant: the auth_req_id was issued to another client.
  if (rec->d.client_id != client.client_id) return UnknownRequest();
  // §11 expired_token.
  if (now >= rec->d.expires_at) return OidcError::Make(kErrExpiredToken, "the authentication request has expired");
  if (rec->d.state == DeviceRecord::kPending) {
    bool settled = false;
    if (Status st = SettleCibaLogin(key, rec->d.txn, &settled); !st.ok()) return ServerFailure(st);
    if (settled) {
      rec = load();
      if (!rec.ok()) return rec.error();
    }
  }
  if (rec->d.state == DeviceRecord::kPending) {
    // §11 slow_down (poll mode): polled sooner than the interval, which
    // grows for this request from now on.
    const bool poll = rec->mode == kModePoll;
    bool too_soon = false;
    auto updated = UpdateCiba(store_, key, now, [&](CibaRecord& r) {
      if (!poll) return false;
      too_soon = r.d.PolledTooSoon(now);
      return true;
    });
    if (!updated.ok()) {
      if (updated.status().code() == StatusCode::kNotFound) return UnknownRequest();
      return ServerFailure(updated.status());
    }
    if (updated->d.state == DeviceRecord::kPending) {
      if (too_soon)
        return OidcError::Make(kErrSlowDown, "polling too fast: wait " + std::to_string(updated->d.interval) +
                                                 " seconds between requests");
      return OidcError::Make(kErrAuthorizationPending, "the user has not answered yet");
    }
    rec = std::move(updated).value();
  }
  // Settled: the request ends with this answer (single use; Consume has one
  // winner among concurrent polls).
  EidCheck live = EidCheck::kActive;
  if (rec->d.state == DeviceRecord::kApproved) {
    live = CheckEid(rec->d.eid, "CIBA grant");
    if (live == EidCheck::kUnavailable) return ServerFailure(Unavailable("eID status unavailable"));
  }
  auto taken = store_.Consume(kCibaNs, key);
  if (!taken.ok()) {
    if (taken.status().code() != StatusCode::kNotFound) return ServerFailure(taken.status());
    return UnknownRequest();
  }
  (void)store_.Delete(kCibaLoginNs, rec->d.txn);
  auto r = ParseCibaRecord(*taken);
  if (!r) return ServerFailure(Internal("CIBA request record unreadable"));
  const DeviceRecord& d = r->d;
  // §11 access_denied.
  if (d.state == DeviceRecord::kDenied) {
    if (d.error == kErrorUnmetAcr)
      return OidcError::Make(kErrAccessDenied, "the user's eID does not reach the requested level of assurance");
    return LoginFailure(d.error);
  }
  if (d.state != DeviceRecord::kApproved) return ServerFailure(Internal("CIBA request changed while redeemed"));
  if (live == EidCheck::kInactive) return InvalidGrant("the user's eID is not active");
  auto acr = AcrFor(d.acr, d.acr_values);
  if (!acr) return OidcError::Make(kErrAccessDenied, "the user's eID does not reach the requested level of assurance");

  return IssueForApprovedLogin(client, d, *acr, now, binding, "oidc CIBA request redeemed");
}

}  // namespace certme
