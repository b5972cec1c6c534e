// What the provider keeps in the Store between requests, and its JSON form.
// Internal to protocols/oidc.
//
// Namespaces and keys (tokens and codes are stored under their SHA-256, so a
// copy of the store holds nothing a caller could present):
//   oidc_authz      txn                → AuthzRecord      (TTL login_ttl)
//   oidc_code       sha256(code)       → CodeRecord       (TTL code_ttl; no attribute values)
//   oidc_code_used  sha256(code)       → grant id         (remembers redeemed codes, RFC 6749 §4.1.2)
//   oidc_grant      grant id           → GrantRecord      (the token family; deleting it revokes
//                                                         every access and refresh token of it;
//                                                         stored without attribute values)
//   oidc_grant_attrs grant id          → attribute values of the grant (TTL: at most what is left
//                                                         of the SSO session, docs/privacy.md)
//   oidc_at         sha256(token)      → AccessTokenRecord
//   oidc_rt         sha256(token)      → RefreshTokenRecord
//   oidc_session    sha256(cookie)     → SessionRecord
//   oidc_jti        sha256(client|jti) → "1"              (private_key_jwt replay cache)
//   oidc_dpop_jti   sha256(jkt|jti)    → "1"              (DPoP proof replay cache, RFC 9449 §11.1;
//                                                         TTL the proof's acceptance window)
//   oidc_par        request_uri handle → PushedRequestRecord (TTL 60 s, consumed at /authorize;
//                                                         RFC 9126)
//   oidc_device     sha256(device_code) → DeviceRecord  (RFC 8628; TTL the code's lifetime and a
//                                                         grace for expired_token; consumed when
//                                                         the tokens are issued)
//   oidc_user_code  user code (8 letters, no dash) → sha256(device_code) (TTL the code's lifetime)
//   oidc_device_login login txn        → DeviceLoginRecord (TTL login_ttl: which device
//                                                         authorization a wallet login is for)
//   oidc_device_status sha256(status handle) → DeviceStatusRecord (the certme_status_uri's
//                                                         capability; TTL the device record's)
//   oidc_logout     logout txn         → LogoutRecord     (pending confirmation)
//   oidc_eid        lowercase eID address → EidIndex      (its sessions and grants, for ending
//                                                         them when the ledger suspends the eID;
//                                                         protocols/eid_status.h)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "store/store.h"

namespace certme::oidc_internal {

inline constexpr std::string_view kAuthzNs = "oidc_authz";
inline constexpr std::string_view kCodeNs = "oidc_code";
inline constexpr std::string_view kCodeUsedNs = "oidc_code_used";
inline constexpr std::string_view kGrantNs = "oidc_grant";
inline constexpr std::string_view kGrantAttrsNs = "oidc_grant_attrs";
inline constexpr std::string_view kAccessTokenNs = "oidc_at";
inline constexpr std::string_view kRefreshTokenNs = "oidc_rt";
inline constexpr std::string_view kSessionNs = "oidc_session";
inline constexpr std::string_view kJtiNs = "oidc_jti";
inline constexpr std::string_view kDpopJtiNs = "oidc_dpop_jti";
inline constexpr std::string_view kLogoutNs = "oidc_logout";
inline constexpr std::string_view kParNs = "oidc_par";
inline constexpr std::string_view kEidIndexNs = "oidc_eid";
inline constexpr std::string_view kDeviceNs = "oidc_device";
inline constexpr std::string_view kUserCodeNs = "oidc_user_code";
inline constexpr std::string_view kDeviceLoginNs = "oidc_device_login";
inline constexpr std::string_view kDeviceStatusNs = "oidc_device_status";
// Kinds of EidIndex entries.
inline constexpr std::string_view kEidEntrySession = "session";
inline constexpr std::string_view kEidEntryGrant = "grant";

// A validated authorization request waiting for the login to finish.
struct AuthzRecord {
  std::string client_id;
  std::string redirect_uri;
  std::string response_mode;  // query | form_post
  std::string state;
  std::string nonce;
  std::vector<std::string> scopes;       // granted (narrowed) scopes
  nlohmann::json claims = nlohmann::json::object();  // parsed `claims` parameter
  std::string code_challenge;            // S256 only; empty when absent
  // Levels of assurance the client accepts, in its order of preference
  // (acr_values, or the acr claim's value / values: OIDC Core §3.1.2.1,
  // §5.5.1.1); empty: any. A login whose level meets none of them ends
  // with unmet_authentication_requirements.
  std::vector<std::string> acr_values;
  std::vector<std::string> attributes;   // catalogue keys to release
  std::string ui_locale = "ro";
  std::string browser_hash;              // sha256 of the browser-binding cookie
  int64_t created_at = 0;
  // RFC 9449 §10: the thumbprint of the DPoP key the code is bound to
  // (dpop_jkt, or the key of the pushed request's proof); empty: none.
  std::string dpop_jkt;
};

struct SessionRecord {
  std::string sid;
  std::string subject;  // certME subject (eID address)
  std::string eid;      // LoginResult::eid: checked on the ledger at every use; empty: none
  int64_t auth_time = 0;
  std::string acr;      // the eID's level of assurance
  std::vector<std::string> amr;
  std::map<std::string, std::string> attributes;  // catalogue key → value
  std::vector<std::string> consented;             // keys the user was asked for
  std::vector<std::string> clients;               // clients that got tokens
  std::vector<std::string> grants;                // grant ids issued in it
  int64_t expires_at = 0;
};

// The facts an issued code or grant carries about the authentication.
struct GrantRecord {
  std::string grant_id;
  std::string client_id;
  std::string subject;      // empty for client_credentials
  std::string eid;          // the session's eID (checked at every use); empty: none
  std::string session_key;  // empty for client_credentials
  std::string sid;
  std::vector<std::string> scopes;
  nlohmann::json claims = nlohmann::json::object();
  std::map<std::string, std::string> attributes;  // already narrowed to what may be released
  int64_t auth_time = 0;
  std::string acr;          // the level reported to the client (ID token acr)
  std::vector<std::string> amr;
  int64_t expires_at = 0;
};

struct CodeRecord {
  // The grant the code turns into, without attribute values: an unredeemed
  // code must hold nothing personal once its session ends (docs/privacy.md).
  // The values are taken from the live session at redemption.
  GrantRecord grant;
  std::vector<std::string> attribute_keys;  // what the grant will release
  std::string redirect_uri;
  std::string code_challenge;
  std::string nonce;
  // RFC 9449 §10: the token request's DPoP proof must be by this key.
  std::string dpop_jkt;
};

struct AccessTokenRecord {
  std::string grant_id;
  std::string client_id;
  std::vector<std::string> scopes;
  int64_t expires_at = 0;
  int64_t issued_at = 0;  // 0 in records written before introspection existed
  // Sender constraint (empty: a plain bearer token). RFC 9449 §6: the
  // base64url JWK SHA-256 thumbprint of the DPoP key; RFC 8705 §3.1: the
  // base64url SHA-256 of the client certificate.
  std::string jkt;
  std::string x5t_s256;
};

struct RefreshTokenRecord {
  std::string grant_id;
  std::string client_id;
  bool rotated = false;  // true once exchanged: presenting it again is reuse
  // RFC 9449 §5: a public client's refresh token is bound to its DPoP key
  // (thumbprint); empty: not bound.
  std::string jkt;
  // A FAPI 2.0 client's refresh token bound to its client certificate
  // (RFC 8705 §3.1 x5t#S256), as its access tokens are; empty: not bound.
  std::string x5t_s256;
};

// The authorization request parameters a client pushed (RFC 9126 §2),
// already checked as /authorize would check them; client authentication
// parameters are not kept.
struct PushedRequestRecord {
  std::string client_id;
  std::vector<std::pair<std::string, std::string>> params;
};

// A device authorization request (RFC 8628 §3.1) and where it stands.
struct DeviceRecord {
  // pending: waiting for the user; approved: the login succeeded (the
  // facts below are set); denied: the user refused or the login cannot
  // succeed (`error` is the LoginResult error).
  static constexpr const char* kPending = "pending";
  static constexpr const char* kApproved = "approved";
  static constexpr const char* kDenied = "denied";

  std::string client_id;
  std::vector<std::string> scopes;                   // granted (narrowed), openid included
  nlohmann::json claims = nlohmann::json::object();  // parsed `claims` parameter
  std::vector<std::string> acr_values;               // as AuthzRecord::acr_values
  std::vector<std::string> attributes;               // catalogue keys to release
  std::string ui_locale;  // the request's ui_locales (empty: the browser's language)
  std::string user_code;  // normalised: 8 letters
  int64_t expires_at = 0;
  int64_t interval = 5;   // seconds between polls; grows by 5 at each slow_down
  int64_t last_poll = 0;  // unix seconds of the last token request; 0: none yet
  std::string state = kPending;
  std::string txn;        // the latest login started for it; empty: none yet
  // The login the certme_status_uri started (the QR on the service's own
  // page); settled at the poll like `txn` when another login replaced it.
  std::string status_txn;
  // Once approved: the login's facts (LoginResult).
  std::string subject;
  std::string eid;
  std::map<std::string, std::string> login_attributes;
  std::string acr;
  std::vector<std::string> amr;
  int64_t auth_time = 0;
  std::string error;      // once denied

  // A token request polling at `now` (RFC 8628 §3.5, CIBA §11 slow_down):
  // true when it came sooner than the interval, which then grows by 5
  // seconds for this request from now on ("MUST be increased by 5
  // seconds"); the poll's time is kept either way.
  bool PolledTooSoon(int64_t now) {
    const bool too_soon = last_poll > 0 && now - last_poll < interval;
    if (too_soon) interval += 5;
    last_poll = now;
    return too_soon;
  }
};

// Which device authorization a login is for, and how it ended as the
// browser's return page tells it (pending | approved | denied | expired).
struct DeviceLoginRecord {
  std::string device_key;
  std::string outcome = DeviceRecord::kPending;
  std::string client_id;  // the service the page names
};

// What a certme_status_uri handle names: the device authorization and the
// wallet login its status shows (empty until the first status request).
struct DeviceStatusRecord {
  std::string device_key;
  std::string txn;
};

struct LogoutRecord {
  std::string client_id;
  std::string post_logout_redirect_uri;  // already checked against the client
  std::string state;
  std::string ui_locale = "ro";
  std::string session_key;
};

nlohmann::json ToJson(const AuthzRecord& r);
nlohmann::json ToJson(const SessionRecord& r);
nlohmann::json ToJson(const GrantRecord& r);
nlohmann::json ToJson(const CodeRecord& r);
nlohmann::json ToJson(const AccessTokenRecord& r);
nlohmann::json ToJson(const RefreshTokenRecord& r);
nlohmann::json ToJson(const LogoutRecord& r);
nlohmann::json ToJson(const PushedRequestRecord& r);
nlohmann::json ToJson(const DeviceRecord& r);
nlohmann::json ToJson(const DeviceLoginRecord& r);
nlohmann::json ToJson(const DeviceStatusRecord& r);

// nullopt when the stored text is not a record of that kind (corruption).
std::optional<AuthzRecord> ParseAuthzRecord(std::string_view text);
std::optional<SessionRecord> ParseSessionRecord(std::string_view text);
std::optional<GrantRecord> ParseGrantRecord(std::string_view text);
std::optional<CodeRecord> ParseCodeRecord(std::string_view text);
std::optional<AccessTokenRecord> ParseAccessTokenRecord(std::string_view text);
std::optional<RefreshTokenRecord> ParseRefreshTokenRecord(std::string_view text);
std::optional<LogoutRecord> ParseLogoutRecord(std::string_view text);
std::optional<PushedRequestRecord> ParsePushedRequestRecord(std::string_view text);
std::optional<DeviceRecord> ParseDeviceRecord(std::string_view text);
std::optional<DeviceLoginRecord> ParseDeviceLoginRecord(std::string_view text);
std::optional<DeviceStatusRecord> ParseDeviceStatusRecord(std::string_view text);

// A grant lives in two records so that no attribute value outlives the
// user's session even when the token family does (refresh tokens): the
// grant without its values (kGrantNs, `ttl_seconds`) and the values
// (kGrantAttrsNs, `attributes_ttl_seconds`, which callers bound by the
// session's remaining life). Once the values are gone the grant still works
// and releases only `sub`.
Status PutGrant(Store& store, const GrantRecord& grant, int64_t ttl_seconds, int64_t attributes_ttl_seconds);
// NotFound when revoked or expired; Internal when unreadable.
StatusOr<GrantRecord> GetGrant(Store& store, std::string_view grant_id);
// Deletes both records.
Status DeleteGrant(Store& store, std::string_view grant_id);

}  // namespace certme::oidc_internal
