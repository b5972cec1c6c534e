// The sign request's parsers and record (sign_request.h). Each field has
// one small check; the messages name the field so a provider's developer
// sees at once what to fix.
#include "idp/signing/sign_request.h"

#include <algorithm>
#include <set>

#include "common/encoding.h"
#include "crypto/hash.h"

namespace certme::signing {
namespace {

using nlohmann::json;

constexpr int kMaxJsonDepth = 8;

// Nesting of a JSON text, counted outside strings; stops at `limit` + 1.
// The parser is then never handed anything deeper than a sign request
// needs, whatever the body.
int JsonDepth(std::string_view text, int limit) {
  int depth = 0, worst = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      worst = std::max(worst, ++depth);
      if (worst > limit) return worst;
    } else if (c == '}' || c == ']') --depth;
  }
  return worst;
}

ApiOr<json> ParseObject(std::string_view body) {
  if (body.empty()) return ApiError::Invalid("the body must be a JSON object");
  if (JsonDepth(body, kMaxJsonDepth) > kMaxJsonDepth) return ApiError::Invalid("the JSON is nested too deeply");
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return ApiError::Invalid("the body must be a JSON object");
  return doc;
}

// Refuses members other than `known`.
std::optional<ApiError> OnlyKnown(const json& obj, std::initializer_list<std::string_view> known,
                                  std::string_view where) {
  for (const auto& [k, v] : obj.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end())
      return ApiError::Invalid("unknown member \"" + std::string(k.substr(0, 40)) + "\" in " + std::string(where));
  }
  return std::nullopt;
}

bool IsUtf8(std::string_view s) {
  // nlohmann::json checks UTF-8 while parsing; this refuses control
  // characters, which no name or description needs.
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

// A required or optional string member: nullopt when absent, error when
// not a string or over `max` bytes.
ApiOr<std::optional<std::string>> StringMember(const json& obj, const char* name, size_t max, bool required) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    if (required) return ApiError::Invalid(std::string(name) + " is required");
    return std::optional<std::string>();
  }
  if (!it->is_string()) return ApiError::Invalid(std::string(name) + " must be a string");
  std::string v = it->get<std::string>();
  if (v.size() > max) return ApiError::Invalid(std::string(name) + " is longer than " + std::to_string(max) + " bytes");
  return std::optional<std::string>(std::move(v));
}

bool IsLanguage(std::string_view l) { return l == "ro" || l == "ru" || l == "en"; }

// An https URL (http only for loopback, as the OIDC registration allows),
// no fragment. Membership among the service's redirect URIs is checked by
// the API, which knows the service.
bool PlausibleReturnUrl(std::string_view u) {
  if (u.find('#') != std::string_view::npos) return false;
  for (unsigned char c : u)
    if (c <= 0x20 || c >= 0x7f) return false;
  return u.rfind("https://", 0) == 0 || u.rfind("http://127.0.0.1", 0) == 0 || u.rfind("http://localhost", 0) == 0 ||
         u.rfind("http://[::1]", 0) == 0;
}

ApiOr<SignItem> ParseItem(const json& it, size_t index) {
  std::string where = "items[" + std::to_string(index) + "]";
  if (!it.is_object()) return ApiError::Invalid(where + " must be an object");
  if (auto e = OnlyKnown(it, {"name", "hash_alg", "digest", "pdf"}, where)) return *e;
  SignItem item;
  auto name = StringMember(it, "name", kMaxItemNameBytes, true);
  if (!name.ok()) return ApiError::Invalid(where + "." + name.error().message);
  item.name = **name;
  if (item.name.empty() || !IsUtf8(item.name)) return ApiError::Invalid(where + ".name must be a non-empty text");
  bool has_digest = it.contains("digest"), has_pdf = it.contains("pdf");
  if (has_digest == has_pdf) return ApiError::Invalid(where + " needs exactly one of digest and pdf");
  if (has_pdf) {
    if (it.contains("hash_alg")) return ApiError::Invalid(where + ".hash_alg is not used with pdf (the bridge uses S256)");
    if (!it["pdf"].is_string()) return ApiError::Invalid(where + ".pdf must be a base64 string");
    const std::string& b64 = it["pdf"].get_ref<const std::string&>();
    // Refused before decoding: base64 of more than the limit.
    if (b64.size() > (kMaxPdfBytes + 2) / 3 * 4 + 4)
      return ApiError{413, "invalid_request", where + ".pdf is larger than " + std::to_string(kMaxPdfBytes) + " bytes", {}};
    auto pdf = Base64Decode(b64);
    if (!pdf) return ApiError::Invalid(where + ".pdf is not base64");
    if (pdf->size() > kMaxPdfBytes)
      return ApiError{413, "invalid_request", where + ".pdf is larger than " + std::to_string(kMaxPdfBytes) + " bytes", {}};
    if (auto why = CheckPdf(*pdf)) return ApiError::Invalid(where + ".pdf " + *why);
    item.hash_alg = kHashS256;
    item.digest = Sha256(*pdf);
    item.pdf = true;
    return item;
  }
  auto alg = StringMember(it, "hash_alg", 8, true);
  if (!alg.ok()) return ApiError::Invalid(where + "." + alg.error().message);
  if (**alg != kHashS256 && **alg != kHashS384) return ApiError::Invalid(where + ".hash_alg must be S256 or S384");
  item.hash_alg = **alg;
  if (!it["digest"].is_string()) return ApiError::Invalid(where + ".digest must be a base64url string");
  auto digest = DecodeDigest(item.hash_alg, it["digest"].get_ref<const std::string&>());
  if (!digest)
    return ApiError::Invalid(where + ".digest must be the base64url of " +
                             std::string(item.hash_alg == kHashS256 ? "32" : "48") + " bytes");
  item.digest = std::move(*digest);
  return item;
}

}  // namespace

bool IsThirteenDigits(std::string_view s) {
  return s.size() == 13 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::string> DecodeDigest(std::string_view hash_alg, std::string_view b64url) {
  size_t want = hash_alg == kHashS256 ? 32 : hash_alg == kHashS384 ? 48 : 0;
  if (want == 0 || b64url.size() > 128) return std::nullopt;
  if (b64url.find('=') != std::string_view::npos) return std::nullopt;
  auto raw = Base64UrlDecode(b64url);
  if (!raw || raw->size() != want) return std::nullopt;
  return raw;
}

std::optional<std::string> CheckPdf(std::string_view pdf) {
  if (pdf.size() > kMaxPdfBytes) return "is larger than " + std::to_string(kMaxPdfBytes) + " bytes";
  // ISO 32000-1 §7.5.2: the file begins with %PDF-1.n (or %PDF-2.0);
  // §7.5.5: it ends with %%EOF, possibly followed by a line end.
  if (pdf.size() < 16 || pdf.substr(0, 5) != "%PDF-") return std::string("is not a PDF (no %PDF- header)");
  std::string_view tail = pdf.substr(pdf.size() - std::min<size_t>(pdf.size(), 1024));
  if (tail.find("%%EOF") == std::string_view::npos) return std::string("is not a complete PDF (no %%EOF trailer)");
  return std::nullopt;
}

ApiOr<NewSignRequest> ParseNewSignRequest(std::string_view body) {
  if (body.size() > kMaxRequestBodyBytes)
    return ApiError{413, "invalid_request", "the request is larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes", {}};
  CERTME_ASSIGN_OR_RETURN(json doc, ParseObject(body));
  if (auto e = OnlyKnown(doc, {"items", "description", "signer", "return_url", "relay_state", "language", "lifetime"},
                         "the request"))
    return *e;
  NewSignRequest r;

  // items: 1..kMaxItems, distinct names.
  auto items = doc.find("items");
  if (items == doc.end() || !items->is_array() || items->empty())
    return ApiError::Invalid("items must be a non-empty array");
  if (items->size() > kMaxItems) return ApiError::Invalid("at most " + std::to_string(kMaxItems) + " items");
  std::set<std::string> names;
  for (size_t i = 0; i < items->size(); ++i) {
    CERTME_ASSIGN_OR_RETURN(SignItem item, ParseItem((*items)[i], i));
    if (!names.insert(item.name).second) return ApiError::Invalid("items[" + std::to_string(i) + "].name repeats another item's");
    r.items.push_back(std::move(item));
  }

  // description: {"ro"|"ru"|"en": text}, at least one.
  auto desc = doc.find("description");
  if (desc == doc.end() || !desc->is_object() || desc->empty())
    return ApiError::Invalid("description must be an object with a text in ro, ru or en");
  for (const auto& [lang, text] : desc->items()) {
    if (!IsLanguage(lang)) return ApiError::Invalid("description languages are ro, ru and en");
    if (!text.is_string() || text.get_ref<const std::string&>().empty())
      return ApiError::Invalid("description." + lang + " must be a non-empty string");
    const std::string& t = text.get_ref<const std::string&>();
    if (t.size() > kMaxDescriptionBytes)
      return ApiError::Invalid("description." + lang + " is longer than " + std::to_string(kMaxDescriptionBytes) + " bytes");
    for (unsigned char c : t)
      if ((c < 0x20 && c != '\n') || c == 0x7f) return ApiError::Invalid("description." + lang + " has control characters");
    r.description[lang] = t;
  }

  // signer: {"type": person|organization, "idnp": 13 digits, "idno": 13 digits for an organization}.
  auto signer = doc.find("signer");
  if (signer == doc.end() || !signer->is_object()) return ApiError::Invalid("signer must be an object");
  if (auto e = OnlyKnown(*signer, {"type", "idnp", "idno"}, "signer")) return *e;
  CERTME_ASSIGN_OR_RETURN(auto type, StringMember(*signer, "type", 16, false));
  if (type) r.signer_type = *type;
  if (r.signer_type != kSignerPerson && r.signer_type != kSignerOrganization)
    return ApiError::Invalid("signer.type must be person or organization");
  CERTME_ASSIGN_OR_RETURN(auto idnp, StringMember(*signer, "idnp", 16, true));
  if (!IsThirteenDigits(*idnp)) return ApiError::Invalid("signer.idnp must be 13 digits");
  r.signer_idnp = *idnp;
  CERTME_ASSIGN_OR_RETURN(auto idno, StringMember(*signer, "idno", 16, false));
  if (r.signer_type == kSignerOrganization) {
    if (!idno || !IsThirteenDigits(*idno)) return ApiError::Invalid("signer.idno must be 13 digits for an organization");
    r.signer_idno = *idno;
  } else if (idno) {
    return ApiError::Invalid("signer.idno is only for signer.type organization");
  }

  CERTME_ASSIGN_OR_RETURN(auto url, StringMember(doc, "return_url", kMaxReturnUrlBytes, true));
  if (!PlausibleReturnUrl(*url)) return ApiError::Invalid("return_url must be an https URL without fragment");
  r.return_url = *url;
  CERTME_ASSIGN_OR_RETURN(auto relay, StringMember(doc, "relay_state", kMaxRelayStateBytes, false));
  if (relay) {
    for (unsigned char c : *relay)
      if (c < 0x20 || c >= 0x7f) return ApiError::Invalid("relay_state must be printable ASCII");
    r.relay_state = *relay;
  }
  CERTME_ASSIGN_OR_RETURN(auto lang, StringMember(doc, "language", 8, false));
  if (lang) {
    if (!IsLanguage(*lang)) return ApiError::Invalid("language must be ro, ru or en");
    r.language = *lang;
  }
  if (auto lt = doc.find("lifetime"); lt != doc.end()) {
    if (!lt->is_number_integer()) return ApiError::Invalid("lifetime must be an integer number of seconds");
    int64_t s = lt->get<int64_t>();
    if (s < kMinLifetimeSeconds || s > kMaxLifetimeSeconds)
      return ApiError::Invalid("lifetime must be between " + std::to_string(kMinLifetimeSeconds) + " and " +
                               std::to_string(kMaxLifetimeSeconds) + " seconds");
    r.lifetime_seconds = s;
  }
  return r;
}

ApiOr<VerifyRequest> ParseVerifyRequest(std::string_view body) {
  if (body.size() > kMaxRequestBodyBytes)
    return ApiError{413, "invalid_request", "the request is larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes", {}};
  CERTME_ASSIGN_OR_RETURN(json doc, ParseObject(body));
  if (auto e = OnlyKnown(doc, {"signature", "hash_alg", "digest", "pdf"}, "the request")) return *e;
  VerifyRequest v;
  auto sig = doc.find("signature");
  if (sig == doc.end() || !sig->is_object())
    return ApiError::Invalid("signature must be a JAdES signature in flattened JSON serialization");
  if (auto e = OnlyKnown(*sig, {"protected", "payload", "signature", "header"}, "signature")) return *e;
  auto prot = sig->find("protected");
  auto value = sig->find("signature");
  if (prot == sig->end() || !prot->is_string() || value == sig->end() || !value->is_string())
    return ApiError::Invalid("signature.protected and signature.signature are required strings");
  if (auto p = sig->find("payload"); p != sig->end() && !(p->is_string() && p->get_ref<const std::string&>().empty()))
    return ApiError::Invalid("signature.payload must be empty (a detached signature)");
  const std::string& prot_b64 = prot->get_ref<const std::string&>();
  if (prot_b64.empty() || prot_b64.size() > 8192 || !Base64UrlDecode(prot_b64))
    return ApiError::Invalid("signature.protected must be base64url of at most 8192 characters");
  v.protected_b64 = prot_b64;
  auto raw_sig = Base64UrlDecode(value->get_ref<const std::string&>());
  if (!raw_sig || raw_sig->size() != 64) return ApiError::Invalid("signature.signature must be base64url of 64 bytes");
  v.signature = std::move(*raw_sig);

  bool has_digest = doc.contains("digest"), has_pdf = doc.contains("pdf");
  if (has_digest == has_pdf) return ApiError::Invalid("give exactly one of digest and pdf");
  if (has_pdf) {
    if (doc.contains("hash_alg")) return ApiError::Invalid("hash_alg is not used with pdf (the bridge uses S256)");
    if (!doc["pdf"].is_string()) return ApiError::Invalid("pdf must be a base64 string");
    auto pdf = Base64Decode(doc["pdf"].get_ref<const std::string&>());
    if (!pdf) return ApiError::Invalid("pdf is not base64");
    if (auto why = CheckPdf(*pdf)) return ApiError::Invalid("pdf " + *why);
    v.hash_alg = kHashS256;
    v.digest = Sha256(*pdf);
    return v;
  }
  CERTME_ASSIGN_OR_RETURN(auto alg, StringMember(doc, "hash_alg", 8, false));
  v.hash_alg = alg ? *alg : kHashS256;
  if (v.hash_alg != kHashS256 && v.hash_alg != kHashS384) return ApiError::Invalid("hash_alg must be S256 or S384");
  if (!doc["digest"].is_string()) return ApiError::Invalid("digest must be a base64url string");
  auto digest = DecodeDigest(v.hash_alg, doc["digest"].get_ref<const std::string&>());
  if (!digest) return ApiError::Invalid("digest must be the base64url of a " + v.hash_alg + " digest");
  v.digest = std::move(*digest);
  return v;
}

std::string_view SignStateName(SignState s) {
  switch (s) {
    case SignState::kPending: return "pending";
    case SignState::kSuccess: return "success";
    case SignState::kFailure: return "failure";
    case SignState::kExpired: return "expired";
  }
  return "failure";
}

SignState EffectiveState(const SignRecord& r, int64_t now) {
  if (r.state == SignState::kPending && now >= r.expires_at) return SignState::kExpired;
  return r.state;
}

std::string SerializeSignRecord(const SignRecord& r) {
  json items = json::array();
  for (const auto& i : r.request.items)
    items.push_back({{"name", i.name}, {"hash_alg", i.hash_alg}, {"digest", Base64UrlEncode(i.digest)}, {"pdf", i.pdf}});
  const NewSignRequest& q = r.request;
  json doc = {{"v", 1},
              {"id", r.id},
              {"client_id", r.client_id},
              {"sign_request", HexEncode(r.sign_request)},
              {"items", items},
              {"description", q.description},
              {"signer_idnp", q.signer_idnp},
              {"signer_type", q.signer_type},
              {"signer_idno", q.signer_idno},
              {"return_url", q.return_url},
              {"relay_state", q.relay_state},
              {"language", q.language},
              {"lifetime", q.lifetime_seconds},
              {"created_at", r.created_at},
              {"expires_at", r.expires_at},
              {"state", SignStateName(r.state)},
              {"reason", r.reason},
              {"txn", r.txn},
              {"signer", r.signer},
              {"signed_at", r.signed_at},
              {"signatures", r.signatures}};
  return doc.dump();
}

namespace {

// One member of a stored record, read without exceptions: false when it is
// missing or of another type.
bool Member(const json& o, const char* name, std::string* out) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return false;
  *out = it->get_ref<const std::string&>();
  return true;
}
bool Member(const json& o, const char* name, int64_t* out) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}
bool Member(const json& o, const char* name, bool* out) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}
const json* Child(const json& o, const char* name, json::value_t type) {
  auto it = o.find(name);
  return it != o.end() && it->type() == type ? &*it : nullptr;
}

}  // namespace

std::optional<SignRecord> ParseSignRecord(std::string_view text) {
  json d = json::parse(text, nullptr, false);
  int64_t version = 0;
  if (d.is_discarded() || !d.is_object() || !Member(d, "v", &version) || version != 1) return std::nullopt;
  SignRecord r;
  std::string sign_request, state;
  const json* items = Child(d, "items", json::value_t::array);
  const json* description = Child(d, "description", json::value_t::object);
  const json* signatures = Child(d, "signatures", json::value_t::array);
  if (!Member(d, "id", &r.id) || !Member(d, "client_id", &r.client_id) ||
      !Member(d, "sign_request", &sign_request) || !items || !description || !signatures ||
      !Member(d, "signer_idnp", &r.request.signer_idnp) || !Member(d, "signer_type", &r.request.signer_type) ||
      !Member(d, "signer_idno", &r.request.signer_idno) || !Member(d, "return_url", &r.request.return_url) ||
      !Member(d, "relay_state", &r.request.relay_state) || !Member(d, "language", &r.request.language) ||
      !Member(d, "lifetime", &r.request.lifetime_seconds) || !Member(d, "created_at", &r.created_at) ||
      !Member(d, "expires_at", &r.expires_at) || !Member(d, "state", &state) || !Member(d, "reason", &r.reason) ||
      !Member(d, "txn", &r.txn) || !Member(d, "signed_at", &r.signed_at))
    return std::nullopt;
  auto sr = HexDecode(sign_request);
  if (!sr || sr->size() != 32) return std::nullopt;
  r.sign_request = *sr;
  for (const auto& i : *items) {
    if (!i.is_object()) return std::nullopt;
    SignItem item;
    std::string digest;
    if (!Member(i, "name", &item.name) || !Member(i, "hash_alg", &item.hash_alg) || !Member(i, "pdf", &item.pdf) ||
        !Member(i, "digest", &digest))
      return std::nullopt;
    auto dg = Base64UrlDecode(digest);
    if (!dg) return std::nullopt;
    item.digest = *dg;
    r.request.items.push_back(std::move(item));
  }
  for (const auto& [lang, text] : description->items()) {
    if (!text.is_string()) return std::nullopt;
    r.request.description[lang] = text.get<std::string>();
  }
  if (state == "pending") r.state = SignState::kPending;
  else if (state == "success") r.state = SignState::kSuccess;
  else if (state == "failure") r.state = SignState::kFailure;
  else if (state == "expired") r.state = SignState::kExpired;
  else return std::nullopt;
  // The signer as validated; null until the request succeeded.
  auto signer = d.find("signer");
  if (signer == d.end() || !(signer->is_object() || signer->is_null())) return std::nullopt;
  r.signer = *signer;
  for (const auto& sig : *signatures) r.signatures.push_back(sig);
  return r;
}

json StatusJson(const SignRecord& r, int64_t now) {
  SignState s = EffectiveState(r, now);
  json out = {{"id", r.id}, {"status", SignStateName(s)}, {"expires_at", r.expires_at}};
  if (s == SignState::kFailure) out["reason"] = r.reason;
  if (s == SignState::kExpired) out["reason"] = kReasonExpired;
  if (s == SignState::kSuccess) {
    out["signer"] = r.signer;
    out["signed_at"] = r.signed_at;
  }
  return out;
}

}  // namespace certme::signing
