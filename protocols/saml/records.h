// What the SAML IdP keeps in the Store between requests. Internal.
//
//   saml_authn     txn               → PendingAuthn (TTL login_ttl)
//   saml_session   sha256(cookie)    → Session      (TTL session_ttl)
//   saml_sidx      SessionIndex      → sha256(cookie) (finds the session of a
//                                      LogoutRequest that arrives without our cookie)
//   saml_req_id    issuer|ID         → "1"          (replay cache for requests)
//   saml_logout    logout id         → LogoutState  (TTL a few minutes)
//   saml_out_req   our request ID    → logout id    (matches LogoutResponses)
//   saml_link      other session id  → sha256(cookie) (the SAML session an OIDC
//                                      sid was linked to, for OIDC-started logout)
//   saml_eid       lowercase eID     → EidIndex     (the eID's sessions, ended when the
//                                      ledger suspends it; protocols/eid_status.h)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocols/saml/idp.h"

namespace certme::saml {

inline constexpr std::string_view kAuthnNs = "saml_authn";
inline constexpr std::string_view kSessionNs = "saml_session";
inline constexpr std::string_view kSessionIndexNs = "saml_sidx";
inline constexpr std::string_view kReplayNs = "saml_req_id";
inline constexpr std::string_view kLogoutNs = "saml_logout";
inline constexpr std::string_view kOutRequestNs = "saml_out_req";
inline constexpr std::string_view kLinkNs = "saml_link";
inline constexpr std::string_view kEidIndexNs = "saml_eid";
inline constexpr std::string_view kBrowserCookie = "certme_saml_browser";

struct SamlIdp::PendingAuthn {
  std::string entity_id;
  std::string request_id;
  std::string acs_url;
  std::string relay_state;
  std::string lang = "ro";
  std::string name_id_format;  // requested; empty: service default
  // RequestedAuthnContext (SAML Core §3.3.2.2.1), checked against the
  // login's level when it returns.
  std::vector<std::string> authn_context_class_refs;
  std::string authn_context_comparison = "exact";
  std::string browser_hash;
  int64_t created_at = 0;
};

struct SamlIdp::Session {
  struct Participant {
    std::string entity_id;
    std::string name_id;
    std::string name_id_format;
  };
  std::string session_index;
  std::string subject;
  std::string eid;  // LoginResult::eid: checked on the ledger at every reuse; empty: none
  int64_t auth_time = 0;
  std::string acr;  // the eID's level of assurance
  std::map<std::string, std::string> attributes;
  std::vector<std::string> consented;  // catalogue keys the user agreed to share
  std::vector<Participant> participants;
  // Other protocols' sessions of this browser (SessionLogoutHook::LinkedSessionId,
  // e.g. OIDC sids), ended with this one.
  std::vector<std::string> linked_sessions;
  int64_t expires_at = 0;
};

struct SamlIdp::LogoutState {
  struct Pending {
    std::string entity_id;
    std::string request_id;  // our LogoutRequest's ID
    std::string name_id;
    std::string name_id_format;
    bool answered = false;
    bool success = false;
    std::string session_index;  // empty: LogoutState::session_index
  };
  std::string lang = "ro";
  std::string initiator;             // entity ID; empty for IdP-initiated logout
  std::string initiator_request_id;  // InResponseTo of our final LogoutResponse
  std::string initiator_relay_state;
  std::string session_index;
  std::vector<Pending> pending;
  int64_t deadline = 0;
  bool finished = false;
  // Logout started by the other protocol (OIDC end_session): where the
  // browser goes when it is done (already validated by that protocol).
  std::string return_url;
};

nlohmann::json ToJson(const SamlIdp::PendingAuthn& r);
nlohmann::json ToJson(const SamlIdp::Session& r);
nlohmann::json ToJson(const SamlIdp::LogoutState& r);
std::optional<SamlIdp::PendingAuthn> ParsePendingAuthn(std::string_view text);
std::optional<SamlIdp::Session> ParseSession(std::string_view text);
std::optional<SamlIdp::LogoutState> ParseLogoutState(std::string_view text);

}  // namespace certme::saml
