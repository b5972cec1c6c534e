// SSO sessions: the `certme_session` cookie names a SessionRecord in the
// Store (under the cookie's SHA-256, so the store never holds a usable
// cookie). The session's `sid` is a separate random value: it is shared with
// RPs (ID token, logout) and must not be usable as a cookie.
#include "common/encoding.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/url_util.h"
#include "protocols/oidc/vocabulary.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {
// sid → session key, written only for sessions another protocol linked
// (SessionSid); the session record stays the source of truth.
constexpr std::string_view kSidIndexNs = "oidc_sid";
}  // namespace

std::optional<std::pair<std::string, SessionRecord>> OidcProvider::LoadSession(
    const HttpRequest& req) {
  auto cookie = req.Cookie(kSessionCookie);
  if (!cookie || cookie->empty() || cookie->size() > 128) return std::nullopt;
  std::string key = Sha256Hex(*cookie);
  auto raw = store_.Get(kSessionNs, key);
  if (!raw.ok()) return std::nullopt;
  auto rec = ParseSessionRecord(*raw);
  if (!rec || rec->expires_at <= Now()) return std::nullopt;
  return std::make_pair(std::move(key), std::move(*rec));
}

bool OidcProvider::UpdateSession(const std::string& session_key,
                                 const std::function<void(SessionRecord&)>& mutate) {
  // Compare-and-swap loop: token requests of several RPs may add themselves
  // to one session at the same moment.
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto raw = store_.Get(kSessionNs, session_key);
    if (!raw.ok()) return false;
    auto rec = ParseSessionRecord(*raw);
    if (!rec) return false;
    mutate(*rec);
    int64_t ttl = rec->expires_at - Now();
    if (ttl <= 0) return false;
    Status st = store_.CompareAndSwap(kSessionNs, session_key, *raw, ToJson(*rec).dump(),
                                      std::chrono::seconds(ttl));
    if (st.ok()) return true;
    if (st.code() != StatusCode::kFailedPrecondition) return false;
  }
  LogWarn("oidc session update kept conflicting", {{"attempts", 16}});
  return false;
}

SetCookie OidcProvider::SessionCookie(const std::string& value, int64_t max_age) const {
  SetCookie c;
  c.name = std::string(kSessionCookie);
  c.value = value;
  c.max_age_seconds = max_age;
  c.http_only = true;
  c.secure = !opts_.dev_mode;
  c.same_site = SameSite::kLax;
  return c;
}

// certme_browser = token "." base64url(HMAC-SHA256(browser_key_, token)).
// Stateless (no store write per authorization) and valid on every instance
// sharing the configuration.
std::string OidcProvider::NewBrowserValue() {
  std::string token = random_.Token();
  return token + "." + Base64UrlEncode(HmacSha256(browser_key_.reveal(), token));
}

bool OidcProvider::IsIssuedBrowserValue(std::string_view value) const {
  if (value.empty() || value.size() > 128) return false;
  size_t dot = value.rfind('.');
  if (dot == std::string_view::npos || dot < 32) return false;
  std::string_view token = value.substr(0, dot);
  return ConstantTimeEquals(value.substr(dot + 1),
                            Base64UrlEncode(HmacSha256(browser_key_.reveal(), token)));
}

void OidcProvider::RevokeGrant(const std::string& grant_id) {
  // Access and refresh tokens look their grant up on every use, so deleting
  // the grant revokes the whole family at once.
  Status st = DeleteGrant(store_, grant_id);
  if (!st.ok()) LogError("oidc grant revocation failed", {{"detail", st.ToString()}});
}

std::vector<std::string> OidcProvider::EndSessionRecord(const std::string& session_key,
                                                        const SessionRecord& session) {
  // Consume, so that of two concurrent logouts only one notifies the RPs.
  auto raw = store_.Consume(kSessionNs, session_key);
  if (!raw.ok()) return {};
  auto live = ParseSessionRecord(*raw);
  const SessionRecord& s = live ? *live : session;
  for (const auto& g : s.grants) RevokeGrant(g);

  std::vector<std::string> frames;
  for (const auto& client_id : s.clients) {
    auto client = clients_.Get(client_id);
    if (!client.ok()) continue;
    // Back-Channel Logout 1.0 §2.5: one logout token per RP, delivered
    // asynchronously by the notifier.
    if (!client->backchannel_logout_uri.empty()) {
      auto token = MakeLogoutToken(*client, s.subject, s.sid);
      if (token.ok())
        notifier_.PostLogoutToken(client->client_id, client->backchannel_logout_uri, *token);
      else
        LogError("oidc logout token not signed",
                 {{"client_id", client_id}, {"detail", token.status().ToString()}});
    }
    // Front-Channel Logout 1.0 §2: iss and sid as query parameters.
    if (!client->frontchannel_logout_uri.empty()) {
      std::vector<std::pair<std::string, std::string>> q;
      if (client->frontchannel_logout_session_required) {
        q.emplace_back(std::string(kIss), opts_.issuer);
        q.emplace_back(std::string(kSid), s.sid);
      }
      frames.push_back(AppendQuery(client->frontchannel_logout_uri, q));
    }
  }
  LogInfo("oidc session ended", {{"sid", s.sid}, {"clients", s.clients.size()}});
  return frames;
}

std::string OidcProvider::SessionSid(const HttpRequest& req) {
  auto session = LoadSession(req);
  if (!session || session->second.sid.empty()) return {};
  int64_t ttl = session->second.expires_at - Now();
  Status st = store_.Put(kSidIndexNs, session->second.sid, session->first, std::chrono::seconds(ttl));
  if (!st.ok()) {
    LogError("oidc sid index not stored", {{"detail", st.ToString()}});
    return {};
  }
  return session->second.sid;
}

EidCheck OidcProvider::CheckEid(const std::string& eid, std::string_view where) {
  if (eid.empty() || !eid_status_) return EidCheck::kActive;
  auto status = eid_status_->Status(eid);
  if (!status.ok()) {
    // Fail closed: a status we cannot read is never "active".
    LogError("oidc eID status unavailable; refused", {{"at", where}, {"detail", status.status().ToString()}});
    return EidCheck::kUnavailable;
  }
  if (*status == EidLiveStatus::kActive) return EidCheck::kActive;
  LogInfo("oidc eID not active; refused", {{"at", where}});
  return EidCheck::kInactive;
}

StatusOr<size_t> OidcProvider::EndEidSessions(const std::string& eid) {
  auto index = TakeEidIndex(store_, kEidIndexNs, eid, Now());
  if (!index.ok()) return index.status();
  size_t ended = 0;
  for (const auto& [id, entry] : index->entries) {
    if (entry.kind == kEidEntrySession) {
      auto raw = store_.Get(kSessionNs, id);
      if (!raw.ok()) {
        if (raw.status().code() != StatusCode::kNotFound)
          LogError("oidc session of a suspended eID not read", {{"detail", raw.status().ToString()}});
        continue;
      }
      auto rec = ParseSessionRecord(*raw);
      if (!rec) {
        (void)store_.Delete(kSessionNs, id);  // unreadable: nothing to notify
        continue;
      }
      EndSessionRecord(id, *rec);  // back-channel logout tokens, grants of the session
      ++ended;
    } else if (entry.kind == kEidEntryGrant) {
      RevokeGrant(id);
      ++ended;
    }
  }
  return ended;
}

bool OidcProvider::EndSessionBySid(const std::string& sid) {
  if (sid.empty() || sid.size() > 128) return false;
  auto key = store_.Consume(kSidIndexNs, sid);
  if (!key.ok()) return false;
  auto raw = store_.Get(kSessionNs, *key);
  if (!raw.ok()) return false;
  auto rec = ParseSessionRecord(*raw);
  // The key may name a newer session by now only if the cookie was reused,
  // which Authorize never does; still, end nothing that is not this sid.
  if (!rec || rec->sid != sid) return false;
  EndSessionRecord(*key, *rec);
  return true;
}

}  // namespace certme
