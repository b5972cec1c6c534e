// OAuth 2.0 Device Authorization Grant (RFC 8628), for a service that shows
// the login's QR code on its own page: the service's backend asks
// /device_authorization for a device_code and a user_code, shows
// verification_uri_complete as a QR code, and polls the token endpoint.
// Opening that address (or typing the user_code at /device) starts the
// ordinary wallet login for the service through the Authenticator, exactly
// as /authorize does; the login step returns to /device/resume, which
// records the outcome on the device authorization. The poll records it too
// (the user need not come back to the browser after approving in the
// wallet). Each check cites its section.
#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/eidas.h"
#include "protocols/oidc/claims_request.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/pages.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/request_checks.h"
#include "protocols/oidc/url_util.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// RFC 8628 §6.1: a user code of 20 consonants (no vowels, so no words; no
// look-alike digits), 8 characters: 20^8 ≈ 2^34.6, with guessing
// rate-limited (§5.1). Shown as XXXX-XXXX; typed in any case, with or
// without the dash or spaces.
constexpr std::string_view kUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
constexpr size_t kUserCodeLength = 8;
constexpr size_t kMaxUserCodeInput = 32;
// The device code is a Random::Token (43 characters); anything much longer
// is not ours and is not looked up.
constexpr size_t kMaxDeviceCodeBytes = 128;
// After its lifetime a device code is still known for this long, so that a
// late poll hears expired_token (§3.5) rather than invalid_grant.
constexpr int64_t kExpiredGraceSeconds = 300;
constexpr std::string_view kOutcomeExpired = "expired";
// What the device record keeps as the error when the login's level of
// assurance meets none of the requested ones.
constexpr std::string_view kErrorUnmetAcr = "unmet_acr";

OidcError InvalidGrant(std::string description, std::string detail = {}) {
  return OidcError::Make(kErrInvalidGrant, std::move(description), std::move(detail));
}

std::string NewUserCode(Random& random) {
  std::string out;
  while (out.size() < kUserCodeLength) {
    // Rejection sampling: 240 = 12 × 20, so every letter is equally likely.
    for (unsigned char b : random.Bytes(16))
      if (b < 240 && out.size() < kUserCodeLength) out += kUserCodeAlphabet[b % kUserCodeAlphabet.size()];
  }
  return out;
}

std::string DisplayUserCode(std::string_view code) {
  return std::string(code.substr(0, 4)) + "-" + std::string(code.substr(4));
}

// What the user typed, as stored: upper case, without dashes and spaces.
std::optional<std::string> NormalizeUserCode(std::string_view typed) {
  if (typed.size() > kMaxUserCodeInput) return std::nullopt;
  std::string out;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    char up = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (kUserCodeAlphabet.find(up) == std::string_view::npos) return std::nullopt;
    out += up;
  }
  if (out.size() != kUserCodeLength) return std::nullopt;
  return out;
}

// Failures that another attempt may fix (the validator did not answer in
// time, a failure of ours, the QR code expired) leave the authorization
// pending: the user may try again on the login page or open the code again.
// A refusal, an eID that is not active or a service that may not log users
// in ends it.
bool EndsDeviceLogin(const std::string& error) {
  return error == kLoginErrorRefused || error == kLoginErrorEidSuspended || error == kLoginErrorEidRevoked ||
         error == kLoginErrorServiceNotAuthorized;
}

int64_t StoreTtl(const DeviceRecord& d, int64_t now) {
  return std::max<int64_t>(d.expires_at + kExpiredGraceSeconds - now, 1);
}

// Applies `mutate` to the device record with compare-and-swap retries; a
// `mutate` that returns false writes nothing. NotFound when the record is
// gone. The record as stored afterwards.
StatusOr<DeviceRecord> UpdateDevice(Store& store, const std::string& key, int64_t now,
                                    const std::function<bool(DeviceRecord&)>& mutate) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    CERTME_ASSIGN_OR_RETURN(std::string raw, store.Get(kDeviceNs, key));
    auto rec = ParseDeviceRecord(raw);
    if (!rec) return Internal("device authorization record unreadable");
    if (!mutate(*rec)) return *rec;
    Status st = store.CompareAndSwap(kDeviceNs, key, raw, ToJson(*rec).dump(),
                                     std::chrono::seconds(StoreTtl(*rec, now)));
    if (st.ok()) return *rec;
    if (st.code() != StatusCode::kFailedPrecondition) return st;
  }
  return Unavailable("device authorization busy");
}

}  // namespace

// ---- RFC 8628 §3.1, §3.2: the device authorization endpoint ----

HttpResponse OidcProvider::DeviceAuthorization(const HttpRequest& req) {
  if (!opts_.device_authorization_enabled) return HttpResponse::Text(404, "not found\n");
  // §3.1: client authentication as at the token endpoint (RFC 6749 §3.2.1).
  return ClientEndpoint(req, kPathDeviceAuthorization, &OidcProvider::DeviceAuthorizationResponse);
}

HttpResponse OidcProvider::DeviceAuthorizationResponse(const HttpRequest& req, const OidcClient& client) {
  const Params& p = req.form;
  if (auto id = ParamGet(p, kClientId); id && *id != client.client_id)
    return TokenError(InvalidRequest("client_id is not the authenticated client"));
  // RFC 6749 §5.2 (§3.2 answers errors as the token endpoint): the client
  // must be registered for the grant it would use.
  if (!client.AllowsGrant(kGrantDeviceCode))
    return TokenError(OidcError::Make(kErrUnauthorizedClient, "client may not use the device authorization grant"));
  if (auto e = CheckLengths(p)) return TokenError(*e);
  // §3.1 scope, OIDC Core §3.1.2.1: an ID token needs openid.
  auto scopes = GrantedScopes(p, client, catalogue_);
  if (!scopes.ok()) return TokenError(scopes.error());
  ClaimsRequest claims;
  if (auto text = ParamGet(p, kClaims)) {
    auto parsed = ParseClaimsRequest(*text);
    if (!parsed.ok()) return TokenError(InvalidRequest("claims parameter is malformed", parsed.status().message()));
    claims = std::move(parsed).value();
  }
  auto acr_values = RequestedAcr(p, claims);
  if (!acr_values.ok()) return TokenError(acr_values.error());
  // As /authorize: without a key for the client's algorithm no ID token can
  // be signed, so fail before the user is asked to log in.
  if (auto alg = ParseJwsAlg(client.id_token_signed_response_alg); !alg || !keys_.ActiveFor(*alg)) {
    LogError("oidc no signing key for client", {{"client_id", client.client_id},
                                                {"alg", client.id_token_signed_response_alg}});
    return TokenError(OidcError::Make(kErrServerError, "the server cannot sign for this client", {}, 500));
  }

  const int64_t now = Now();
  DeviceRecord rec;
  rec.client_id = client.client_id;
  rec.scopes = scopes.value();
  rec.claims = ClaimsRequestToJson(claims);
  rec.acr_values = acr_values.value();
  rec.attributes = RequestedAttributes(rec.scopes, claims, client, catalogue_);
  rec.ui_locale = ParamGet(p, kUiLocales).value_or("");
  rec.expires_at = now + opts_.device_code_ttl_seconds;
  rec.interval = opts_.device_poll_interval_seconds;
  // §3.2 device_code: only its hash is kept, like every token here.
  std::string device_code = random_.Token();
  std::string key = Sha256Hex(device_code);
  // The user code names one live authorization: a collision draws again.
  const auto ttl = std::chrono::seconds(opts_.device_code_ttl_seconds);
  for (int attempt = 0; attempt < 8 && rec.user_code.empty(); ++attempt) {
    std::string code = NewUserCode(random_);
    Status st = store_.PutIfAbsent(kUserCodeNs, code, key, ttl);
    if (st.ok()) rec.user_code = code;
    else if (st.code() != StatusCode::kAlreadyExists) return TokenError(ServerFailure(st));
  }
  if (rec.user_code.empty()) return TokenError(ServerFailure(Internal("no free user code")));
  Status st = store_.PutIfAbsent(kDeviceNs, key, ToJson(rec).dump(), std::chrono::seconds(StoreTtl(rec, now)));
  if (!st.ok()) {
    (void)store_.Delete(kUserCodeNs, rec.user_code);
    return TokenError(ServerFailure(st));
  }
  // The service's page follows the login with a handle of its own (not the
  // device_code, which stays on the service's backend).
  std::string status_handle;
  if (opts_.device_status_uri) {
    status_handle = random_.Token();
    st = store_.PutIfAbsent(kDeviceStatusNs, Sha256Hex(status_handle), ToJson(DeviceStatusRecord{key, ""}).dump(),
                            std::chrono::seconds(StoreTtl(rec, now)));
    if (!st.ok()) return TokenError(ServerFailure(st));
  }
  const std::string shown = DisplayUserCode(rec.user_code);
  nlohmann::json body = {
      {"device_code", device_code},
      {"user_code", shown},
      {"verification_uri", Url(kPathDevice)},
      {"verification_uri_complete", AppendQuery(Url(kPathDevice), {{std::string(kUserCode), shown}})},
      {"expires_in", opts_.device_code_ttl_seconds},
      {"interval", rec.interval}};
  if (!status_handle.empty())
    body[std::string(kCertmeStatusUri)] = AppendQuery(Url(kPathDeviceStatus), {{std::string(kStatusHandle), status_handle}});
  HttpResponse r = HttpResponse::Json(200, body.dump());
  NoStore(r);
  return r;
}

// ---- §3.3: the verification page and the login ----

HttpResponse OidcProvider::DeviceVerification(const HttpRequest& req) {
  if (!opts_.device_authorization_enabled) return HttpResponse::Text(404, "not found\n");
  const std::string action = Url(kPathDevice);
  std::string lang = PickLocale("");
  auto typed = req.Query(kUserCode);
  if (!typed || typed->empty()) return DevicePage(200, lang, DeviceMessage::kNone, action);
  // §5.1: user code guesses are rate-limited per client address (behind
  // the trusted proxy, the forwarded address).
  std::string addr = req.client_ip.empty() ? req.remote_addr : req.client_ip;
  if (auto wait = user_code_limiter_.Take(addr)) {
    LogWarn("oidc user code attempts over the limit", {{"client_ip", addr}});
    HttpResponse r = DevicePage(429, lang, DeviceMessage::kTooManyAttempts, action);
    r.headers.Set("Retry-After", std::to_string(*wait));
    return r;
  }
  auto unavailable = [&](const Status& st) {
    LogError("oidc device verification: store failed", {{"detail", st.ToString()}});
    HttpResponse r = DevicePage(503, lang, DeviceMessage::kServerError, action);
    r.headers.Set("Retry-After", "5");
    return r;
  };
  auto code = NormalizeUserCode(*typed);
  if (!code) return DevicePage(400, lang, DeviceMessage::kUnknownCode, action);
  auto key = store_.Get(kUserCodeNs, *code);
  if (!key.ok()) {
    if (key.status().code() != StatusCode::kNotFound) return unavailable(key.status());
    return DevicePage(400, lang, DeviceMessage::kUnknownCode, action);
  }
  auto raw = store_.Get(kDeviceNs, *key);
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) return unavailable(raw.status());
    return DevicePage(400, lang, DeviceMessage::kUnknownCode, action);
  }
  auto rec = ParseDeviceRecord(*raw);
  if (!rec) {
    LogError("oidc device authorization record unreadable", {});
    return DevicePage(500, lang, DeviceMessage::kServerError, action);
  }
  lang = PickLocale(rec->ui_locale);
  if (rec->expires_at <= Now()) return DevicePage(400, lang, DeviceMessage::kExpired, action);
  if (rec->state != DeviceRecord::kPending) return DevicePage(400, lang, DeviceMessage::kUsed, action);
  return BeginDeviceLogin(*key, lang);
}

// The wallet login for a device authorization: one per opening of the
// verification page, the device record naming the latest (the one the poll
// settles; an earlier one that completes settles at its own return).
HttpResponse OidcProvider::BeginDeviceLogin(const std::string& device_key, const std::string& lang) {
  const std::string action = Url(kPathDevice);
  auto login = PrepareDeviceLogin(device_key, random_.Token(), lang, /*status_login=*/false);
  if (!login.ok()) {
    const StatusCode code = login.status().code();
    if (code == StatusCode::kNotFound) return DevicePage(400, lang, DeviceMessage::kExpired, action);
    if (code == StatusCode::kFailedPrecondition) return ErrorPage(400, lang, PageMessage::kUnknownClient);
    LogError("oidc device login not started", {{"detail", login.status().ToString()}});
    HttpResponse r = DevicePage(503, lang, DeviceMessage::kServerError, action);
    r.headers.Set("Retry-After", "5");
    return r;
  }
  return authenticator_.Begin(*login);
}

StatusOr<LoginRequest> OidcProvider::PrepareDeviceLogin(const std::string& device_key, const std::string& txn,
                                                        const std::string& lang, bool status_login) {
  const int64_t now = Now();
  auto updated = UpdateDevice(store_, device_key, now, [&](DeviceRecord& d) {
    if (d.state != DeviceRecord::kPending || d.expires_at <= now) return false;
    d.txn = txn;
    if (status_login) d.status_txn = txn;
    return true;
  });
  if (!updated.ok()) return updated.status();
  if (updated->txn != txn) return NotFound("device authorization no longer pending");
  const DeviceRecord& d = *updated;
  auto client = clients_.Get(d.client_id);
  if (!client.ok()) {
    if (client.status().code() == StatusCode::kNotFound) return FailedPrecondition("client no longer registered");
    return client.status();
  }
  const int64_t expires_at = std::min(now + opts_.login_ttl_seconds, d.expires_at);
  CERTME_RETURN_IF_ERROR(store_.Put(kDeviceLoginNs, txn,
                                    ToJson(DeviceLoginRecord{device_key, DeviceRecord::kPending, d.client_id}).dump(),
                                    std::chrono::seconds(StoreTtl(d, now))));
  LoginRequest login;
  login.txn = txn;
  login.protocol = "oidc";
  login.service_id = client->client_id;
  login.service_names = client->names;
  login.attributes = d.attributes;
  login.ui_locale = lang;
  login.acr = std::string(eidas::kLoaSubstantial);
  for (const auto& v : d.acr_values)
    if (eidas::LoaRank(v) > 0) {
      login.acr = v;
      break;
    }
  // The login is for the device, not for this browser: no SSO session is
  // reused or made here, every device authorization is a wallet login.
  login.force_authn = true;
  login.resume_url = AppendQuery(Url(kPathDeviceResume), {{std::string(kTxn), txn}});
  login.expires_at = expires_at;
  return login;
}

// ---- the status of a device login for the service's own page ----
// The handle is a capability (256 random bits, stored hashed): whoever holds
// it may see where the login stands (no personal data) and its QR code.

namespace {

// A handle is a Random::Token; anything much longer is not looked up.
constexpr size_t kMaxStatusHandleBytes = 128;

}  // namespace

StatusOr<OidcProvider::DeviceLoginStatus> OidcProvider::DeviceStatus(std::string_view handle) {
  DeviceLoginStatus out;
  if (!opts_.device_authorization_enabled || !opts_.device_status_uri || handle.empty() ||
      handle.size() > kMaxStatusHandleBytes)
    return out;
  auto raw = store_.Get(kDeviceStatusNs, Sha256Hex(handle));
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound) return out;
    return raw.status();
  }
  auto link = ParseDeviceStatusRecord(*raw);
  if (!link) return Internal("device status record unreadable");
  out.txn = link->txn;
  auto device = store_.Get(kDeviceNs, link->device_key);
  if (!device.ok()) {
    if (device.status().code() != StatusCode::kNotFound) return device.status();
    out.state = DeviceLoginStatus::State::kEnded;
    return out;
  }
  auto rec = ParseDeviceRecord(*device);
  if (!rec) return Internal("device authorization record unreadable");
  const int64_t now = Now();
  out.expires_in = std::max<int64_t>(rec->expires_at - now, 0);
  if (rec->state == DeviceRecord::kApproved) {
    out.state = DeviceLoginStatus::State::kApproved;
  } else if (rec->state == DeviceRecord::kDenied) {
    out.state = DeviceLoginStatus::State::kDenied;
    out.error = rec->error;
  } else if (rec->expires_at <= now) {
    out.state = DeviceLoginStatus::State::kExpired;
  } else {
    out.state = DeviceLoginStatus::State::kPending;
  }
  return out;
}

StatusOr<std::string> OidcProvider::StartDeviceStatusLogin(std::string_view handle) {
  if (!opts_.device_authorization_enabled || !opts_.device_status_uri || handle.empty() ||
      handle.size() > kMaxStatusHandleBytes)
    return NotFound("no such device status handle");
  const std::string key = Sha256Hex(handle);
  CERTME_ASSIGN_OR_RETURN(std::string raw, store_.Get(kDeviceStatusNs, key));
  auto link = ParseDeviceStatusRecord(raw);
  if (!link) return Internal("device status record unreadable");
  if (!link->txn.empty()) return link->txn;
  CERTME_ASSIGN_OR_RETURN(std::string device_raw, store_.Get(kDeviceNs, link->device_key));
  auto rec = ParseDeviceRecord(device_raw);
  if (!rec) return Internal("device authorization record unreadable");
  const int64_t now = Now();
  if (rec->state != DeviceRecord::kPending || rec->expires_at <= now)
    return FailedPrecondition("device authorization no longer pending");
  // The status record is the lock: only the caller that names the login in
  // it begins one, so the page's QR and the record agree.
  const std::string txn = random_.Token();
  DeviceStatusRecord claimed{link->device_key, txn};
  Status st = store_.CompareAndSwap(kDeviceStatusNs, key, raw, ToJson(claimed).dump(),
                                    std::chrono::seconds(StoreTtl(*rec, now)));
  if (!st.ok()) {
    if (st.code() != StatusCode::kFailedPrecondition) return st;
    CERTME_ASSIGN_OR_RETURN(std::string again, store_.Get(kDeviceStatusNs, key));
    auto winner = ParseDeviceStatusRecord(again);
    if (!winner || winner->txn.empty()) return Unavailable("device status busy");
    return winner->txn;
  }
  auto login = PrepareDeviceLogin(link->device_key, txn, PickLocale(rec->ui_locale), /*status_login=*/true);
  if (!login.ok()) {
    if (login.status().code() == StatusCode::kNotFound)
      return FailedPrecondition("device authorization no longer pending");
    return login.status();
  }
  // The authenticator answers a login it began with a redirect to its page;
  // anything else is a page saying why it cannot (the service may not log
  // users in): the status then tells the login is unknown.
  HttpResponse begun = authenticator_.Begin(*login);
  if (begun.status < 300 || begun.status >= 400) {
    LogWarn("oidc device status login not begun", {{"status", std::to_string(begun.status)}});
    return FailedPrecondition("login not begun");
  }
  return txn;
}

Status OidcProvider::SettleDeviceLogin(const std::string& device_key, const std::string& txn) {
  auto result = TakeLoginResult(store_, txn);
  if (!result.ok()) return result.status().code() == StatusCode::kNotFound ? Status::Ok() : result.status();
  const LoginResult& res = *result;
  const int64_t now = Now();
  std::string outcome = DeviceRecord::kPending;
  auto updated = UpdateDevice(store_, device_key, now, [&](DeviceRecord& d) {
    if (d.state != DeviceRecord::kPending) {
      outcome = d.state;
      return false;
    }
    if (d.expires_at <= now) {
      outcome = kOutcomeExpired;
      return false;
    }
    if (!res.error.empty()) {
      if (!EndsDeviceLogin(res.error)) {
        LogInfo("oidc device login failed; the user may try again", {{"error", res.error}});
        outcome = DeviceRecord::kPending;
        return false;
      }
      d.state = DeviceRecord::kDenied;
      d.error = res.error;
    } else if (!AcrFor(res.acr, d.acr_values)) {
      // OIDC Core §3.1.2.1, §5.5.1.1: never a silent downgrade.
      d.state = DeviceRecord::kDenied;
      d.error = std::string(kErrorUnmetAcr);
    } else {
      d.state = DeviceRecord::kApproved;
      d.subject = res.subject;
      d.eid = res.eid;
      d.acr = res.acr;
      d.amr = res.amr;
      d.auth_time = res.auth_time > 0 ? res.auth_time : now;
      // Only what the request asked for is kept (docs/privacy.md).
      for (const auto& [k, v] : res.attributes)
        if (Contains(d.attributes, k)) d.login_attributes[k] = v;
    }
    outcome = d.state;
    return true;
  });
  if (!updated.ok()) {
    if (updated.status().code() != StatusCode::kNotFound) {
      // Put the result back so that a retry (the next poll) can settle it.
      (void)SaveLoginResult(store_, res, std::max<int64_t>(opts_.login_ttl_seconds, 1));
      return updated.status();
    }
    outcome = kOutcomeExpired;
  }
  // The page's record keeps the service it names; only the outcome changes.
  DeviceLoginRecord link{device_key, outcome, {}};
  if (auto raw = store_.Get(kDeviceLoginNs, txn); raw.ok())
    if (auto earlier = ParseDeviceLoginRecord(*raw)) link.client_id = earlier->client_id;
  return store_.Put(kDeviceLoginNs, txn, ToJson(link).dump(),
                    std::chrono::seconds(opts_.device_code_ttl_seconds + kExpiredGraceSeconds));
}

// Where the login step sends the browser back (protocols/login.h). No
// browser binding is needed here: nothing is issued to this browser, the
// page only tells the outcome, and the service learns it by polling.
HttpResponse OidcProvider::DeviceResume(const HttpRequest& req) {
  if (!opts_.device_authorization_enabled) return HttpResponse::Text(404, "not found\n");
  const std::string action = Url(kPathDevice);
  const std::string lang = PickLocale("");
  auto txn = req.Query(kTxn);
  if (ParamCount(req.query, kTxn) != 1 || txn->empty() || txn->size() > kMaxTxnLength)
    return DevicePage(400, lang, DeviceMessage::kExpired, action);
  auto unavailable = [&](const Status& st) {
    LogError("oidc device resume: store failed", {{"detail", st.ToString()}});
    HttpResponse r = DevicePage(503, lang, DeviceMessage::kServerError, action);
    r.headers.Set("Retry-After", "5");
    return r;
  };
  auto raw = store_.Get(kDeviceLoginNs, *txn);
  if (!raw.ok()) {
    if (raw.status().code() != StatusCode::kNotFound) return unavailable(raw.status());
    return DevicePage(400, lang, DeviceMessage::kExpired, action);
  }
  auto link = ParseDeviceLoginRecord(*raw);
  if (!link) return DevicePage(500, lang, DeviceMessage::kServerError, action);
  if (Status st = SettleDeviceLogin(link->device_key, *txn); !st.ok()) return unavailable(st);
  auto settled = store_.Get(kDeviceLoginNs, *txn);
  if (!settled.ok()) return unavailable(settled.status());
  link = ParseDeviceLoginRecord(*settled);
  if (!link) return DevicePage(500, lang, DeviceMessage::kServerError, action);
  // The service's name in the page's language (nothing when it is gone).
  std::string service;
  if (auto client = clients_.Get(link->client_id); client.ok()) service = client->DisplayName(lang);
  if (link->outcome == DeviceRecord::kApproved) return DevicePage(200, lang, DeviceMessage::kDone, action, service);
  if (link->outcome == DeviceRecord::kDenied) return DevicePage(200, lang, DeviceMessage::kDenied, action, service);
  if (link->outcome == kOutcomeExpired) return DevicePage(400, lang, DeviceMessage::kExpired, action);
  return DevicePage(400, lang, DeviceMessage::kUnfinished, action);
}

// ---- §3.4, §3.5: the device_code grant at the token endpoint ----

OidcOr<nlohmann::json> OidcProvider::GrantDeviceCode(const HttpRequest& req, const OidcClient& client,
                                                     const TokenBinding& binding) {
  auto code = ParamGet(req.form, kDeviceCode);
  if (!code || code->empty()) return InvalidRequest("device_code is required");
  if (code->size() > kMaxDeviceCodeBytes) return InvalidGrant("device_code is invalid, expired or already used");
  const std::string key = Sha256Hex(*code);
  const int64_t now = Now();
  auto load = [&]() -> OidcOr<DeviceRecord> {
    auto raw = store_.Get(kDeviceNs, key);
    if (!raw.ok()) {
      if (raw.status().code() != StatusCode::kNotFound) return ServerFailure(raw.status());
      return InvalidGrant("device_code is invalid, expired or already used");
    }
    auto rec = ParseDeviceRecord(*raw);
    if (!rec) return ServerFailure(Internal("device authorization record unreadable"));
    return *rec;
  };
  auto rec = load();
  if (!rec.ok()) return rec.error();
  // RFC 6749 §5.2: the code is bound to the client it was issued to.
  if (rec->client_id != client.client_id) return InvalidGrant("device_code was issued to another client");
  if (now >= rec->expires_at) return OidcError::Make(kErrExpiredToken, "the device code has expired");
  // A login that finished since the last poll is taken now: the user need
  // not return to the browser after approving in the wallet.
  if (rec->state == DeviceRecord::kPending && !rec->txn.empty()) {
    if (Status st = SettleDeviceLogin(key, rec->txn); !st.ok()) return ServerFailure(st);
    rec = load();
    if (!rec.ok()) return rec.error();
  }
  // The login the service's page shows, when the verification page began
  // another one since.
  if (rec->state == DeviceRecord::kPending && !rec->status_txn.empty() && rec->status_txn != rec->txn) {
    if (Status st = SettleDeviceLogin(key, rec->status_txn); !st.ok()) return ServerFailure(st);
    rec = load();
    if (!rec.ok()) return rec.error();
  }

  if (rec->state == DeviceRecord::kPending) {
    // §3.5 slow_down: polled sooner than the interval; the interval grows
    // by 5 seconds for this device code from now on.
    bool too_soon = false;
    auto updated = UpdateDevice(store_, key, now, [&](DeviceRecord& d) {
      too_soon = d.PolledTooSoon(now);
      return true;
    });
    if (!updated.ok()) {
      if (updated.status().code() == StatusCode::kNotFound)
        return InvalidGrant("device_code is invalid, expired or already used");
      return ServerFailure(updated.status());
    }
    if (updated->state == DeviceRecord::kPending) {
      if (too_soon)
        return OidcError::Make(kErrSlowDown, "polling too fast: wait " + std::to_string(updated->interval) +
                                                 " seconds between requests");
      return OidcError::Make(kErrAuthorizationPending, "the user has not finished logging in yet");
    }
    rec = std::move(updated).value();  // settled meanwhile: answer it now
  }

  // §3.5 access_denied. The authorization ends with the answer.
  if (rec->state == DeviceRecord::kDenied) {
    auto taken = store_.Consume(kDeviceNs, key);
    if (!taken.ok()) {
      if (taken.status().code() != StatusCode::kNotFound) return ServerFailure(taken.status());
      return InvalidGrant("device_code is invalid, expired or already used");
    }
    (void)store_.Delete(kUserCodeNs, rec->user_code);
    if (rec->error == kErrorUnmetAcr)
      return OidcError::Make(kErrAccessDenied, "the user's eID does not reach the requested level of assurance");
    return LoginFailure(rec->error);
  }

  // Approved. The eID's live status first (protocols/eid_status.h): a
  // temporary failure leaves the code redeemable for the retry.
  EidCheck live = CheckEid(rec->eid, "device grant");
  if (live == EidCheck::kUnavailable) return ServerFailure(Unavailable("eID status unavailable"));
  // Single use: Consume has exactly one winner among concurrent polls.
  auto taken = store_.Consume(kDeviceNs, key);
  if (!taken.ok()) {
    if (taken.status().code() != StatusCode::kNotFound) return ServerFailure(taken.status());
    return InvalidGrant("device_code is invalid, expired or already used");
  }
  auto d = ParseDeviceRecord(*taken);
  if (!d || d->state != DeviceRecord::kApproved)
    return ServerFailure(Internal("device authorization record changed while redeemed"));
  (void)store_.Delete(kUserCodeNs, d->user_code);
  if (live == EidCheck::kInactive) return InvalidGrant("the user's eID is not active");
  auto acr = AcrFor(d->acr, d->acr_values);
  if (!acr) return OidcError::Make(kErrAccessDenied, "the user's eID does not reach the requested level of assurance");

  return IssueForApprovedLogin(client, *d, *acr, now, binding, "oidc device authorization redeemed");
}

OidcOr<nlohmann::json> OidcProvider::IssueForApprovedLogin(const OidcClient& client, const DeviceRecord& d,
                                                           const std::string& acr, int64_t now,
                                                           const TokenBinding& binding, const char* log_message) {
  const bool refresh = client.AllowsGrant(kGrantRefreshToken);
  const int64_t family_ttl = refresh ? opts_.refresh_token_ttl_seconds : opts_.access_token_ttl_seconds;
  GrantRecord grant;
  grant.grant_id = random_.Token();
  grant.client_id = client.client_id;
  grant.subject = d.subject;
  grant.eid = d.eid;
  grant.scopes = d.scopes;
  grant.claims = d.claims;
  grant.attributes = d.login_attributes;
  grant.auth_time = d.auth_time;
  grant.acr = acr;
  grant.amr = d.amr;
  grant.expires_at = now + family_ttl;
  // No browser session holds the values here: they live as long as a
  // session made by this login would (docs/privacy.md).
  Status st = PutGrant(store_, grant, family_ttl, std::min(family_ttl, opts_.session_ttl_seconds));
  if (!st.ok()) return ServerFailure(st);
  // Indexed under its eID, so that a suspension revokes it.
  st = AddToEidIndex(store_, kEidIndexNs, grant.eid, kEidEntryGrant, grant.grant_id, grant.expires_at, now);
  if (!st.ok()) {
    RevokeGrant(grant.grant_id);
    return ServerFailure(st);
  }
  LogInfo(log_message, {{"client_id", client.client_id}});
  // Bound as the code grant's are (dpop.cc: TokenRequestBinding).
  return IssueBoundTokens(client, grant, grant.scopes, /*nonce=*/"", refresh, binding);
}

}  // namespace certme
