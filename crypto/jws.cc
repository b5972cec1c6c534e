// JWS compact serialization (RFC 7515 §7.1) over the PublicKey/SigningKey
// interfaces. Input is untrusted: every step reports a Status, nothing
// throws (nlohmann::json is used in its non-throwing modes), and the alg
// comes from a closed list before any key is touched.
#include <algorithm>

#include "common/encoding.h"
#include "crypto/jose.h"

namespace certme {
namespace {

struct CompactParts {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
  std::string_view signing_input;  // header_b64 "." payload_b64
};

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// RFC 7515 §2: base64url without padding; the decoder also rejects
// non-canonical trailing bits, so each token has exactly one spelling.
std::optional<std::string> StrictDecode(std::string_view text) {
  if (!std::all_of(text.begin(), text.end(), IsBase64UrlChar)) return std::nullopt;
  return Base64UrlDecode(text);
}

StatusOr<CompactParts> Split(std::string_view compact) {
  if (compact.size() > kMaxJwsSize) return InvalidArgument("token too large");
  size_t d1 = compact.find('.');
  if (d1 == std::string_view::npos) return InvalidArgument("malformed token");
  size_t d2 = compact.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return InvalidArgument("malformed token");
  // Exactly three parts: a fourth '.' would be a JWE (RFC 7516) or garbage.
  if (compact.find('.', d2 + 1) != std::string_view::npos)
    return InvalidArgument("malformed token", "more than three parts");
  CompactParts p;
  p.header_b64 = compact.substr(0, d1);
  p.payload_b64 = compact.substr(d1 + 1, d2 - d1 - 1);
  p.signature_b64 = compact.substr(d2 + 1);
  p.signing_input = compact.substr(0, d2);
  if (p.header_b64.empty() || p.payload_b64.empty())
    return InvalidArgument("malformed token", "empty part");
  // Alphabet check up front, so a malformed payload is reported as such
  // even though VerifyJwt decodes it only after the signature check.
  for (std::string_view part : {p.header_b64, p.payload_b64, p.signature_b64}) {
    if (!std::all_of(part.begin(), part.end(), IsBase64UrlChar))
      return InvalidArgument("malformed token", "not base64url");
  }
  return p;
}

StatusOr<nlohmann::json> DecodeJsonObject(std::string_view b64, const char* what) {
  auto bytes = StrictDecode(b64);
  if (!bytes) return InvalidArgument(std::string("malformed token ") + what, "base64url");
  // allow_exceptions=false: a parse error yields a discarded value.
  nlohmann::json j = nlohmann::json::parse(*bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(std::string("malformed token ") + what, "not a JSON object");
  return j;
}

StatusOr<nlohmann::json> DecodeHeader(const CompactParts& parts) {
  CERTME_ASSIGN_OR_RETURN(nlohmann::json header, DecodeJsonObject(parts.header_b64, "header"));
  // RFC 7515 §4.1.1: alg is REQUIRED.
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string())
    return InvalidArgument("malformed token header", "no string alg");
  return header;
}

// The payload as JSON text. SignJwt promises "a JSON object"; dump() throws
// on invalid UTF-8, which is the caller's bug, reported as a Status.
StatusOr<std::string> Serialize(const nlohmann::json& j) {
  try {
    return j.dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("claims are not serializable", e.what());
  }
}

}  // namespace

StatusOr<std::string> SignJwt(const SigningKey& key, JwsAlg alg, const nlohmann::json& payload,
                              std::string_view typ) {
  if (!payload.is_object()) return InvalidArgument("JWT payload must be a JSON object");
  if (!key.Supports(alg))
    return InvalidArgument("key cannot sign with this algorithm",
                           std::string(JwsAlgName(alg)) + " with kid " + key.kid());
  nlohmann::json header = {{"alg", JwsAlgName(alg)}};
  if (!key.kid().empty()) header["kid"] = key.kid();
  if (!typ.empty()) header["typ"] = std::string(typ);
  CERTME_ASSIGN_OR_RETURN(std::string header_json, Serialize(header));
  CERTME_ASSIGN_OR_RETURN(std::string payload_json, Serialize(payload));
  std::string out = Base64UrlEncode(header_json);
  out += '.';
  out += Base64UrlEncode(payload_json);
  CERTME_ASSIGN_OR_RETURN(std::string sig, key.Sign(alg, out));
  out += '.';
  out += Base64UrlEncode(sig);
  return out;
}

StatusOr<VerifiedJwt> DecodeJwtUnverified(std::string_view compact) {
  CERTME_ASSIGN_OR_RETURN(CompactParts parts, Split(compact));
  VerifiedJwt out;
  CERTME_ASSIGN_OR_RETURN(out.header, DecodeHeader(parts));
  CERTME_ASSIGN_OR_RETURN(out.payload, DecodeJsonObject(parts.payload_b64, "payload"));
  if (!StrictDecode(parts.signature_b64)) return InvalidArgument("malformed token signature");
  return out;
}

StatusOr<VerifiedJwt> VerifyJwt(std::string_view compact,
                                const std::vector<std::shared_ptr<const PublicKey>>& candidates,
                                const std::vector<JwsAlg>& allowed) {
  CERTME_ASSIGN_OR_RETURN(CompactParts parts, Split(compact));
  CERTME_ASSIGN_OR_RETURN(nlohmann::json header, DecodeHeader(parts));

  // RFC 7515 §4.1.11: a recipient that does not understand every listed
  // extension MUST reject; we implement none.
  if (header.contains("crit")) return InvalidArgument("unsupported critical header", "crit");

  const std::string& alg_name = header["alg"].get_ref<const std::string&>();
  // "none" (RFC 7518 §3.6) and HS* are not in ParseJwsAlg's list, so they
  // can never select a key.
  std::optional<JwsAlg> alg = ParseJwsAlg(alg_name);
  if (!alg) return InvalidArgument("unsupported token alg", alg_name);
  if (std::find(allowed.begin(), allowed.end(), *alg) == allowed.end())
    return InvalidArgument("token alg not allowed", alg_name);

  const std::string* kid = nullptr;
  if (auto it = header.find("kid"); it != header.end()) {
    if (!it->is_string()) return InvalidArgument("malformed token header", "kid not a string");
    kid = &it->get_ref<const std::string&>();
  }

  auto signature = StrictDecode(parts.signature_b64);
  if (!signature || signature->empty()) return InvalidArgument("malformed token signature");

  std::vector<const PublicKey*> keys;
  auto select = [&](auto pred) {
    for (const auto& k : candidates)
      if (k && k->Supports(*alg) && pred(*k)) keys.push_back(k.get());
  };
  if (kid) {
    select([&](const PublicKey& k) { return k.kid() == *kid; });
    if (keys.empty()) select([](const PublicKey& k) { return k.kid().empty(); });
  } else {
    select([](const PublicKey&) { return true; });
  }
  if (keys.empty()) return Unauthenticated("no key to verify the token", kid ? "kid " + *kid : "no kid");

  bool verified = std::any_of(keys.begin(), keys.end(), [&](const PublicKey* k) {
    return k->Verify(*alg, parts.signing_input, *signature);
  });
  if (!verified) return Unauthenticated("token signature invalid");

  // Parsed only once the signature holds: forged payloads are never parsed.
  VerifiedJwt out;
  CERTME_ASSIGN_OR_RETURN(out.payload, DecodeJsonObject(parts.payload_b64, "payload"));
  out.header = std::move(header);
  return out;
}

}  // namespace certme
