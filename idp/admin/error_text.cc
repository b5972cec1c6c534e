#include "idp/admin/error_text.h"

#include <optional>
#include <utility>
#include <vector>

#include "idp/admin/accounts.h"
#include "idp/admin/page_util.h"

namespace certme::admin {
namespace {

using page::EnvLabel;
using page::Tr;

// Errors are short; a longer text is shown as it is (bounds the matching).
constexpr size_t kMaxErrorBytes = 2000;

struct Pattern {
  std::string_view english;  // `*`: a part kept
  std::string_view key;      // its text, the parts as {1}, {2}, …
};

// Most specific first: the first pattern that matches wins.
constexpr Pattern kPatterns[] = {
    {"an e-mail address is required", "admin_err_email"},
    {"the contract date is required", "admin_err_contract_date"},
    {"a date as yyyy-mm-dd", "admin_err_date_format"},
    {"tick at least one attribute", "admin_err_tick_attribute"},
    {"\"*\" is not in the attribute catalogue", "admin_err_not_in_catalogue"},
    {"\"*\" is ticked twice", "admin_err_ticked_twice"},
    {"the service's entity ID (Issuer) is required", "admin_err_entity_id_required"},
    {"at most 256 bytes of one-line text", "admin_err_entity_id_format"},
    {"required", "admin_err_required"},
    {"must be an absolute http(s) URL without fragment, at most * bytes", "admin_err_url_format"},
    {"at least one URL is required", "admin_err_url_required"},
    {"at most * URLs", "admin_err_urls_max"},
    {"\"*\" is not an absolute http(s) URL without fragment", "admin_err_url_bad"},
    {"\"*\" is listed twice", "admin_err_listed_twice"},
    {"a host name such as example.org (no scheme, port or path)", "admin_err_host_name"},
    {"a sector host is only for pairwise subjects: leave it empty for public", "admin_err_sector_public"},
    {"the redirect URIs span several hosts (*): pairwise subjects need a sector host (sector_identifier) or a single host", "admin_err_several_hosts"},
    {"the metadata file is larger than 512 KiB", "admin_err_metadata_large"},
    {"not usable SP metadata: *", "admin_err_metadata_bad"},
    {"* is required", "admin_err_field_required"},
    {"* must be one line of text", "admin_err_field_one_line"},
    {"* must be at most * characters", "admin_err_field_max"},
    {"the certificate file is empty", "admin_err_cert_empty"},
    {"the certificate file is larger than 64 KiB; a .cer is a few KiB", "admin_err_cert_large"},
    {"this file holds a private key: upload the public certificate only (.cer, PEM or DER) — never send the .pfx or the private key; keep it on your server", "admin_err_cert_private"},
    {"the file holds no CERTIFICATE block (PEM) — upload the .cer", "admin_err_cert_no_block"},
    {"the file holds several certificates; upload only the service's own", "admin_err_cert_several"},
    {"the CERTIFICATE block is not a valid X.509 certificate", "admin_err_cert_invalid_block"},
    {"the file has bytes after the certificate; upload the .cer alone", "admin_err_cert_trailing"},
    {"the file is not an X.509 certificate (expected a .cer in PEM or DER form)", "admin_err_cert_not_x509"},
    {"the certificate's public key cannot be read", "admin_err_cert_key_unreadable"},
    {"the certificate's key must be RSA or EC (SAML signatures use RSA-SHA256)", "admin_err_cert_key_type"},
    {"the certificate's RSA key is shorter than 2048 bits", "admin_err_cert_rsa_short"},
    {"upload the service's certificate (.cer, PEM or DER)", "admin_err_cert_upload"},
    {"upload the production certificate (.cer): it must differ from the test one", "admin_err_cert_upload_production"},
    {"this is the test certificate: production needs its own key pair and certificate", "admin_err_cert_is_test"},
    {"the metadata's certificate: *", "admin_err_metadata_certificate"},
    {"choose OpenID Connect or SAML", "admin_err_choose_protocol"},
    {"the protocol cannot change: register a new service", "admin_err_protocol_fixed"},
    {"metadata is imported at registration only: edit the fields", "admin_err_metadata_edit"},
    {"already registered on the test environment", "admin_err_already_test"},
    {"already registered in production", "admin_err_already_production"},
    {"already registered on the * environment", "admin_err_already_env"},
    {"confirm that the provider has tested on the test environment and production is approved", "admin_err_approve_promotion"},
    {"a new production certificate needs the same approval as promotion: confirm it", "admin_err_approve_certificate"},
    {"confirm that the provider has tested on the test environment", "admin_err_approve_request"},
    {"the note is too long", "admin_err_note_long"},
    {"the service was changed since you opened it (your version *, now *): reload it and make your edit again", "admin_err_changed"},
    {"the service is not registered on *", "admin_err_not_on_env"},
    {"this console has no production environment (admin.production_store_path)", "admin_err_no_production_env"},
    {"the service is not registered on test", "admin_err_not_on_test"},
    {"the service is already in production", "admin_err_in_production"},
    {"enable the test registration first", "admin_err_enable_test_first"},
    {"SAML services have no client secret", "admin_err_no_secret_saml"},
    {"another service now uses * on *", "admin_err_id_taken"},
    {"no promotion request is pending for this service", "admin_err_no_pending"},
    {"approving a promotion needs the approver role", "admin_err_approver_needed"},
    {"you requested this promotion: another approver must approve it", "admin_err_own_request"},
    {"only the requester or an approver may withdraw a promotion request", "admin_err_withdraw_rights"},
    {"the lifetime is a number of seconds, or a number followed by s, m, h or d", "admin_err_ttl_format"},
    {"the token name must be 1 to 100 characters", "admin_err_token_name"},
    {"a token lives at least 60 seconds", "admin_err_token_min"},
    {"a token lives at most * seconds (admin.api_token_max_ttl_seconds); * asked", "admin_err_token_max"},
    {"unknown scope \"*\": scopes are read, write and promote", "admin_err_scope_unknown"},
    {"the scope \"*\" is beyond the role * of \"*\"", "admin_err_scope_role"},
    {"this client authenticates with *, not with a client secret", "admin_err_auth_method"},
    {"no such token", "admin_err_no_token"},
    {"you may revoke only your own tokens; revoking another user's needs the administrator role", "admin_err_revoke_rights"},
    {"no user \"*\"", "admin_err_no_user"},
    {"the role is viewer, operator, approver or administrator", "admin_err_role_values"},
    {"the account record is too busy; try again", "admin_err_busy"},
    // MSign (service_definition.cc, common/ip_network.h).
    {"MSign is for OpenID Connect services: register the service with OpenID Connect", "admin_err_msign_saml"},
    {"MSign needs the client to authenticate with private_key_jwt or tls_client_auth", "admin_err_msign_auth"},
    {"the MSign contract date is required", "admin_err_msign_contract_date"},
    {"at least one IP address or CIDR block is required", "admin_err_ip_required"},
    {"at most * IP addresses or CIDR blocks", "admin_err_ip_max"},
    {"empty IP address entry", "admin_err_ip_empty"},
    {"\"*\": not an IPv4 or IPv6 address", "admin_err_ip_not_address"},
    {"\"*\": too long for an IP address or CIDR block", "admin_err_ip_long"},
    {"\"*\": an IPv6 zone (%…) has no meaning here", "admin_err_ip_zone"},
    {"\"*\": write the address without brackets or port", "admin_err_ip_brackets"},
    {"\"*\": the prefix length after / must be a decimal number", "admin_err_ip_prefix_format"},
    {"\"*\": prefix /* is longer than the address (at most /*)", "admin_err_ip_prefix_long"},
    {"\"*\": a /0 block allows every address; name the service's addresses", "admin_err_ip_all"},
    {"\"*\": an IPv4-mapped block needs a prefix of at least /96", "admin_err_ip_mapped"},
    {"\"*\": host bits are set after the prefix; the block is *", "admin_err_ip_host_bits"},
    {"* or *", "admin_err_one_of"},
};

// The labels the field checks put into "* is required" and its kin.
constexpr Pattern kLabels[] = {
    {"the Romanian name", "admin_lbl_name_ro"},
    {"the Russian name", "admin_lbl_name_ru"},
    {"the English name", "admin_lbl_name_en"},
    {"the description", "admin_lbl_description"},
    {"the contract number", "admin_lbl_contract_number"},
    {"the MSign contract number", "admin_lbl_msign_contract_number"},
    {"the note", "admin_lbl_note"},
};

// `text` against `pattern` (no two `*` in a row); the parts `*` stood for,
// each as short as lets the rest match. A part is tried only where the
// literal after it occurs, so the work stays small for any text.
bool Glob(std::string_view pattern, std::string_view text, std::vector<std::string>* parts) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] != '*') {
    size_t lit = pattern.find('*');
    std::string_view head = pattern.substr(0, lit);
    if (text.substr(0, head.size()) != head) return false;
    if (lit == std::string_view::npos) return text.size() == head.size();
    return Glob(pattern.substr(lit), text.substr(head.size()), parts);
  }
  std::string_view rest = pattern.substr(1);
  if (rest.empty()) {
    if (text.empty()) return false;
    parts->push_back(std::string(text));
    return true;
  }
  std::string_view next = rest.substr(0, rest.find('*'));
  for (size_t n = text.find(next, 1); n != std::string_view::npos; n = text.find(next, n + 1)) {
    const size_t mark = parts->size();
    parts->push_back(std::string(text.substr(0, n)));
    if (Glob(rest, text.substr(n), parts)) return true;
    parts->resize(mark);
  }
  return false;
}

std::optional<std::pair<std::string_view, std::vector<std::string>>> Find(const std::string& english) {
  if (english.size() > kMaxErrorBytes) return std::nullopt;
  for (const auto& p : kPatterns) {
    std::vector<std::string> parts;
    if (Glob(p.english, english, &parts)) return std::pair{p.key, std::move(parts)};
  }
  return std::nullopt;
}

std::string Part(std::string_view lang, const std::string& part) {
  for (const auto& l : kLabels)
    if (part == l.english) return Tr(lang, l.key);
  if (part == "test" || part == "production") return EnvLabel(lang, part);
  if (auto role = ParseRole(part); role.ok()) return page::RoleLabel(lang, *role);
  return part;
}

}  // namespace

std::string LocalizeError(std::string_view lang, const std::string& english) {
  auto found = Find(english);
  if (!found) return english;
  std::vector<std::string> parts;
  for (const auto& p : found->second) parts.push_back(Part(lang, p));
  std::string text = Tr(lang, found->first);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string mark = "{" + std::to_string(i + 1) + "}";
    if (size_t at = text.find(mark); at != std::string::npos) text.replace(at, mark.size(), parts[i]);
  }
  return text;
}

FieldErrors LocalizedErrors(std::string_view lang, const FieldErrors& errors) {
  FieldErrors out;
  for (const auto& [field, text] : errors) out[field] = LocalizeError(lang, text);
  return out;
}

bool KnownError(const std::string& english) { return Find(english).has_value(); }

}  // namespace certme::admin
