#include "idp/admin/service_msign.h"

#include <optional>
#include <set>
#include <string>
#include <type_traits>

#include "common/ip_network.h"
#include "idp/admin/input_checks.h"
#include "idp/admin/util.h"
#include "protocols/oidc/msign.h"
#include "protocols/oidc/vocabulary.h"

namespace certme::admin {
namespace {

void CheckMsignText(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (v.msign) CheckText(e, std::string(f.name), v.*f.input.text, f.max_chars, f.label);
}

void CheckMsignDate(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (!v.msign) return;
  const std::string& d = v.*f.input.text;
  if (d.empty()) (*e)[std::string(f.name)] = "the MSign contract date is required";
  else if (!IsDate(d)) (*e)[std::string(f.name)] = "a date as yyyy-mm-dd";
}

void CheckMsignSignerTypes(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (v.msign && !ParseSignerTypes(v.*f.input.text)) (*e)[std::string(f.name)] = "person, organization or both";
}

// Each entry as IpAllowlist parses it (common/ip_network.h), each block once.
void CheckMsignIps(const ServiceField& f, const ServiceInput& v, const FieldCheckContext&, FieldErrors* e) {
  if (!v.msign) return;
  const std::string field(f.name);
  const std::vector<std::string>& entries = v.*f.input.list;
  if (entries.empty()) {
    (*e)[field] = "at least one IP address or CIDR block is required";
    return;
  }
  if (entries.size() > kMaxMsignIpEntries) {
    (*e)[field] = "at most " + std::to_string(kMaxMsignIpEntries) + " IP addresses or CIDR blocks";
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : entries) {
    auto net = ParseIpNetwork(entry);
    if (!net.ok()) {
      (*e)[field] = net.status().message();
      return;
    }
    if (!seen.insert(net->ToString()).second) {
      (*e)[field] = "\"" + TruncateUtf8(entry, 64) + "\" is listed twice";
      return;
    }
  }
}

template <class T, class M>
Slot<T> At(M T::*m) {
  Slot<T> s;
  if constexpr (std::is_same_v<M, std::string>) s.text = m;
  else if constexpr (std::is_same_v<M, std::vector<std::string>>) s.list = m;
  else s.flag = m;
  return s;
}

}  // namespace

void AddMsignFields(std::vector<ServiceField>* t) {
  using I = ServiceInput;
  using P = PromoteInput;
  t->push_back({.name = "msign", .scope = FieldScope::kOidc, .form = FormEncoding::kCheckbox,
                .input = At(&I::msign), .json_object_flag = true});
  t->push_back({.name = "msign_contract_number", .scope = FieldScope::kOidc, .json_parent = "msign",
                .json_key = "contract_number", .input = At(&I::msign_contract_number), .check = CheckMsignText,
                .max_chars = kMaxMsignContractNumber, .label = "the MSign contract number"});
  t->push_back({.name = "msign_contract_date", .scope = FieldScope::kOidc, .json_parent = "msign",
                .json_key = "contract_date", .input = At(&I::msign_contract_date), .check = CheckMsignDate});
  t->push_back({.name = "msign_ip_allow", .scope = FieldScope::kOidc, .form = FormEncoding::kLines,
                .json_parent = "msign", .json_key = "ip_allow", .input = At(&I::msign_ip_allow),
                .promote = At(&P::msign_ip_allow), .check = CheckMsignIps});
  t->push_back({.name = "msign_signer_types", .scope = FieldScope::kOidc, .json_parent = "msign",
                .json_key = "signer_types", .input = At(&I::msign_signer_types), .when_empty = WhenEmpty::kDefault,
                .empty_default = "person", .check = CheckMsignSignerTypes});
}

void CheckMsignRules(const ServiceInput& v, std::string_view protocol, Operation op, FieldErrors* errors) {
  if (!v.msign || op == Operation::kPromote) return;
  if (errors->count("token_endpoint_auth_method")) return;  // an unknown method: its own error says it
  // The signing API authenticates the provider by key, never by a secret.
  if (protocol == kProtocolSaml)
    (*errors)["msign"] = "MSign is for OpenID Connect services: register the service with OpenID Connect";
  else if (protocol == kProtocolOidc && v.token_endpoint_auth_method != oidc::kAuthPrivateKeyJwt &&
           v.token_endpoint_auth_method != oidc::kAuthTlsClientAuth)
    (*errors)["msign"] = "MSign needs the client to authenticate with private_key_jwt or tls_client_auth";
}

void MsignInputOf(const OidcClient& client, ServiceInput* in) {
  const auto& m = client.msign;
  in->msign = m.has_value();
  if (!m) return;
  in->msign_contract_number = m->contract_number;
  in->msign_contract_date = m->contract_date;
  in->msign_ip_allow = m->ip_allow;
  in->msign_signer_types = std::string(SignerTypesName(m->signer_types));
}

void ApplyMsign(const ServiceInput& v, Operation op, OidcClient* client) {
  std::optional<MsignSettings>& m = client->msign;
  if (op == Operation::kPromote) {  // production's addresses; the rest as on test
    if (m) m->ip_allow = v.msign_ip_allow;
    return;
  }
  if (!v.msign) {
    m.reset();
    return;
  }
  m = MsignSettings{};
  m->contract_number = v.msign_contract_number;
  m->contract_date = v.msign_contract_date;
  m->ip_allow = v.msign_ip_allow;
  m->signer_types = ParseSignerTypes(v.msign_signer_types).value_or(MsignSettings::SignerTypes::kPerson);
}

}  // namespace certme::admin
