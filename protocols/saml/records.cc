#include "protocols/saml/records.h"

#include "common/encoding.h"

namespace certme::saml {

nlohmann::json ToJson(const SamlIdp::PendingAuthn& r) {
  return {{"entity_id", r.entity_id}, {"request_id", r.request_id}, {"acs_url", r.acs_url},
          {"relay_state", r.relay_state}, {"lang", r.lang}, {"name_id_format", r.name_id_format},
          {"browser_hash", r.browser_hash}, {"created_at", r.created_at},
          {"authn_context_class_refs", r.authn_context_class_refs},
          {"authn_context_comparison", r.authn_context_comparison}};
}

nlohmann::json ToJson(const SamlIdp::Session& r) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& p : r.participants)
    parts.push_back({{"entity_id", p.entity_id}, {"name_id", p.name_id}, {"format", p.name_id_format}});
  return {{"session_index", r.session_index}, {"subject", r.subject}, {"auth_time", r.auth_time},
          {"acr", r.acr}, {"attributes", r.attributes}, {"consented", r.consented},
          {"participants", parts}, {"linked_sessions", r.linked_sessions}, {"expires_at", r.expires_at},
          {"eid", r.eid}};
}

nlohmann::json ToJson(const SamlIdp::LogoutState& r) {
  nlohmann::json pend = nlohmann::json::array();
  for (const auto& p : r.pending)
    pend.push_back({{"entity_id", p.entity_id}, {"request_id", p.request_id}, {"name_id", p.name_id},
                    {"format", p.name_id_format}, {"answered", p.answered}, {"success", p.success},
                    {"session_index", p.session_index}});
  return {{"lang", r.lang}, {"initiator", r.initiator}, {"initiator_request_id", r.initiator_request_id},
          {"initiator_relay_state", r.initiator_relay_state}, {"session_index", r.session_index},
          {"pending", pend}, {"deadline", r.deadline}, {"finished", r.finished}, {"return_url", r.return_url}};
}

namespace {
std::optional<nlohmann::json> Parse(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}
}  // namespace

std::optional<SamlIdp::PendingAuthn> ParsePendingAuthn(std::string_view text) {
  auto j = Parse(text);
  if (!j) return std::nullopt;
  try {
    SamlIdp::PendingAuthn r;
    r.entity_id = j->at("entity_id");
    r.request_id = j->at("request_id");
    r.acs_url = j->at("acs_url");
    r.relay_state = j->at("relay_state");
    r.lang = j->at("lang");
    r.name_id_format = j->at("name_id_format");
    r.browser_hash = j->at("browser_hash");
    r.created_at = j->at("created_at");
    r.authn_context_class_refs = j->value("authn_context_class_refs", std::vector<std::string>());
    r.authn_context_comparison = j->value("authn_context_comparison", std::string("exact"));
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<SamlIdp::Session> ParseSession(std::string_view text) {
  auto j = Parse(text);
  if (!j) return std::nullopt;
  try {
    SamlIdp::Session r;
    r.session_index = j->at("session_index");
    r.subject = j->at("subject");
    r.auth_time = j->at("auth_time");
    r.acr = j->at("acr");
    r.attributes = j->at("attributes").get<std::map<std::string, std::string>>();
    r.consented = j->at("consented").get<std::vector<std::string>>();
    for (const auto& p : j->at("participants"))
      r.participants.push_back({p.at("entity_id"), p.at("name_id"), p.at("format")});
    // Absent in records written before sessions were linked.
    if (auto it = j->find("linked_sessions"); it != j->end())
      r.linked_sessions = it->get<std::vector<std::string>>();
    r.expires_at = j->at("expires_at");
    r.eid = j->value("eid", "");
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<SamlIdp::LogoutState> ParseLogoutState(std::string_view text) {
  auto j = Parse(text);
  if (!j) return std::nullopt;
  try {
    SamlIdp::LogoutState r;
    r.lang = j->at("lang");
    r.initiator = j->at("initiator");
    r.initiator_request_id = j->at("initiator_request_id");
    r.initiator_relay_state = j->at("initiator_relay_state");
    r.session_index = j->at("session_index");
    for (const auto& p : j->at("pending"))
      r.pending.push_back({p.at("entity_id"), p.at("request_id"), p.at("name_id"), p.at("format"),
                           p.at("answered"), p.at("success"), p.value("session_index", "")});
    r.deadline = j->at("deadline");
    r.finished = j->at("finished");
    r.return_url = j->value("return_url", "");
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace certme::saml
