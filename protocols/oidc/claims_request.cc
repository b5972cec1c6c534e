#include "protocols/oidc/claims_request.h"

#include "protocols/oidc/vocabulary.h"

namespace certme {
namespace {

Status ParseMembers(const nlohmann::json& obj, std::string_view where,
                    std::map<std::string, ClaimRequest>* out) {
  if (!obj.is_object()) return InvalidArgument(std::string(where) + " must be a JSON object");
  for (const auto& [name, spec] : obj.items()) {
    if (name.empty() || name.size() > 256) return InvalidArgument("claim name of bad length");
    ClaimRequest r;
    if (spec.is_null()) {
      (*out)[name] = std::move(r);
      continue;
    }
    if (!spec.is_object())
      return InvalidArgument("claim request for " + name + " must be null or an object");
    if (auto it = spec.find(oidc::kClaimsParamEssential); it != spec.end()) {
      if (!it->is_boolean()) return InvalidArgument("essential must be a boolean");
      r.essential = it->get<bool>();
    }
    if (auto it = spec.find(oidc::kClaimsParamValue); it != spec.end()) r.value = *it;
    if (auto it = spec.find(oidc::kClaimsParamValues); it != spec.end()) {
      if (!it->is_array()) return InvalidArgument("values must be an array");
      r.values = *it;
    }
    (*out)[name] = std::move(r);
  }
  return Status::Ok();
}

nlohmann::json MembersToJson(const std::map<std::string, ClaimRequest>& m) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, r] : m) {
    if (!r.essential && r.value.is_null() && r.values.is_null()) {
      out[name] = nullptr;
      continue;
    }
    nlohmann::json spec = nlohmann::json::object();
    if (r.essential) spec[oidc::kClaimsParamEssential] = true;
    if (!r.value.is_null()) spec[oidc::kClaimsParamValue] = r.value;
    if (!r.values.is_null()) spec[oidc::kClaimsParamValues] = r.values;
    out[name] = std::move(spec);
  }
  return out;
}

}  // namespace

StatusOr<ClaimsRequest> ParseClaimsRequest(std::string_view text) {
  if (text.size() > kMaxClaimsParameterBytes) return InvalidArgument("claims parameter too large");
  // Non-throwing parse: malformed input yields a discarded value.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("claims parameter is not valid JSON");
  if (!j.is_object()) return InvalidArgument("claims parameter must be a JSON object");
  ClaimsRequest out;
  if (auto it = j.find(oidc::kClaimsParamUserinfo); it != j.end())
    CERTME_RETURN_IF_ERROR(ParseMembers(*it, "userinfo", &out.userinfo));
  if (auto it = j.find(oidc::kClaimsParamIdToken); it != j.end())
    CERTME_RETURN_IF_ERROR(ParseMembers(*it, "id_token", &out.id_token));
  return out;
}

nlohmann::json ClaimsRequestToJson(const ClaimsRequest& request) {
  nlohmann::json out = nlohmann::json::object();
  if (!request.userinfo.empty()) out[oidc::kClaimsParamUserinfo] = MembersToJson(request.userinfo);
  if (!request.id_token.empty()) out[oidc::kClaimsParamIdToken] = MembersToJson(request.id_token);
  return out;
}

}  // namespace certme
