#include "crypto/jades.h"

#include <charconv>
#include <cstdio>
#include <set>
#include <vector>

#include "common/encoding.h"
#include "crypto/hash.h"

namespace certme {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr char kEip155[] = "eip155:";
// Flattened JAdES files are a few hundred bytes; this bounds a hostile one.
constexpr size_t kMaxFlattenedBytes = 64 * 1024;

Status Bad(std::string field, std::string detail = {}) {
  return InvalidArgument("jades: " + field, std::move(detail));
}

Bytes32 ToBytes32(std::string_view raw32) {
  Bytes32 out{};
  for (size_t i = 0; i < out.size() && i < raw32.size(); ++i) out[i] = static_cast<uint8_t>(raw32[i]);
  return out;
}

std::string_view View(const Bytes32& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// RFC 7515 §2 base64url: no padding, and only the canonical spelling of the
// bytes (a second spelling of the same header would be a second document).
std::optional<std::string> StrictB64(std::string_view text) {
  if (text.find('=') != std::string_view::npos) return std::nullopt;
  auto raw = Base64UrlDecode(text);
  if (!raw || Base64UrlEncode(*raw) != text) return std::nullopt;
  return raw;
}

// JSON with every object's member names unique (RFC 7515 §4 allows a parser
// to keep the last duplicate; refusing is stricter and leaves no room for
// two readers to see two headers).
std::optional<json> ParseUnique(std::string_view text) {
  std::vector<std::set<std::string>> open;
  bool duplicate = false;
  json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: open.emplace_back(); break;
      case json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) duplicate = true;
        break;
      default: break;
    }
    return true;
  };
  json out = json::parse(text, cb, /*allow_exceptions=*/false);
  if (out.is_discarded() || duplicate) return std::nullopt;
  return out;
}

bool HasExactly(const json& o, std::initializer_list<const char*> names) {
  if (!o.is_object() || o.size() != names.size()) return false;
  for (const char* n : names)
    if (!o.contains(n)) return false;
  return true;
}

const std::string* Str(const json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n;
    if (c < 0x80) n = 0;
    else if ((c >> 5) == 0x6) n = 1;
    else if ((c >> 4) == 0xe) n = 2;
    else if ((c >> 3) == 0x1e) n = 3;
    else return false;
    if (n > s.size() - i - 1) return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// "eip155:<chain id>:<address>": the chain id in canonical decimal (no
// leading zero, at most 2^64-1),
// the address EIP-55 checksummed exactly as ChecksumAddress writes it.
bool ParseCaip10(std::string_view text, uint64_t* chain_id, std::string* address20) {
  if (text.rfind(kEip155, 0) != 0) return false;
  text.remove_prefix(sizeof kEip155 - 1);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return false;
  std::string_view digits = text.substr(0, colon);
  if (digits[0] == '0' && digits.size() > 1) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return false;
  std::string_view addr = text.substr(colon + 1);
  auto raw = ParseAddress(addr);
  if (!raw.ok() || ChecksumAddress(*raw) != addr) return false;
  *chain_id = v;
  *address20 = std::move(raw).value();
  return true;
}

std::string Caip10(uint64_t chain_id, std::string_view address20) {
  return kEip155 + std::to_string(chain_id) + ":" + ChecksumAddress(address20);
}

size_t DigestSize(std::string_view hash_alg) {
  if (hash_alg == kJadesHashS256) return 32;
  if (hash_alg == kJadesHashS384) return 48;
  return 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil), and its inverse.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr int64_t kMaxJadesTime = 253402300799;  // 9999-12-31T23:59:59Z

}  // namespace

bool IsValidJadesItemName(std::string_view name) {
  if (name.empty() || name.size() > kMaxJadesItemName || !IsUtf8(name)) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

json Secp256k1Jwk(std::string_view public_key65) {
  return {{"kty", "EC"},
          {"crv", "secp256k1"},
          {"x", Base64UrlEncode(public_key65.substr(1, 32))},
          {"y", Base64UrlEncode(public_key65.substr(33, 32))}};
}

StatusOr<std::string> Secp256k1FromJwk(const json& jwk) {
  if (!HasExactly(jwk, {"kty", "crv", "x", "y"})) return Bad("jwk", "members must be kty, crv, x, y");
  const std::string *kty = Str(jwk, "kty"), *crv = Str(jwk, "crv"), *x = Str(jwk, "x"), *y = Str(jwk, "y");
  if (!kty || *kty != "EC" || !crv || *crv != "secp256k1") return Bad("jwk", "not an EC secp256k1 key");
  if (!x || !y) return Bad("jwk", "x and y must be strings");
  auto xr = StrictB64(*x), yr = StrictB64(*y);
  if (!xr || !yr || xr->size() != 32 || yr->size() != 32) return Bad("jwk", "x and y must be 32 bytes base64url");
  std::string pub = "\x04" + *xr + *yr;
  if (!AddressFromPublicKey(pub).ok()) return Bad("jwk", "not a point on secp256k1");
  return pub;
}

std::string FormatJadesTime(int64_t unix_seconds) {
  if (unix_seconds < 0) unix_seconds = 0;
  if (unix_seconds > kMaxJadesTime) unix_seconds = kMaxJadesTime;
  int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

StatusOr<int64_t> ParseJadesTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SSZ, exactly (no fractions, no offsets: JAdES §5.2.1
  // with the profile's whole seconds in UTC).
  static constexpr char kShape[] = "dddd-dd-ddTdd:dd:ddZ";
  if (t.size() != sizeof kShape - 1) return Bad("sigT", "not YYYY-MM-DDTHH:MM:SSZ");
  for (size_t i = 0; i < t.size(); ++i) {
    bool digit = t[i] >= '0' && t[i] <= '9';
    if (kShape[i] == 'd' ? !digit : t[i] != kShape[i]) return Bad("sigT", "not YYYY-MM-DDTHH:MM:SSZ");
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), s = num(17, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0) || h > 23 ||
      mi > 59 || s > 59)
    return Bad("sigT", "not a valid UTC time from 1970 on");
  return DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s;
}

StatusOr<std::string> JadesHash(std::string_view hash_alg, std::string_view data) {
  if (hash_alg == kJadesHashS256) return Sha256(data);
  if (hash_alg == kJadesHashS384) return Sha384(data);
  return InvalidArgument("unknown hash algorithm (S256 or S384)");
}

std::string BuildJadesProtectedHeader(const JadesHeader& h) {
  auto address = AddressFromPublicKey(h.public_key);
  ordered_json header = {
      {"alg", kJadesAlg},
      {"jwk",
       {{"kty", "EC"},
        {"crv", "secp256k1"},
        {"x", Base64UrlEncode(std::string_view(h.public_key).substr(1, 32))},
        {"y", Base64UrlEncode(std::string_view(h.public_key).substr(33, 32))}}},
      {"kid", Caip10(h.chain_id, address.ok() ? *address : std::string(20, '\0'))},
      {"sigT", FormatJadesTime(h.signing_time)},
      {"sigD",
       {{"mId", kJadesSigDMechanism},
        {"pars", {h.item.name}},
        {"hashM", h.item.hash_alg},
        {"hashV", {Base64UrlEncode(h.item.digest)}}}},
      {"crit", {"sigT", "sigD"}},
      {"certme", {{"ledger", Caip10(h.chain_id, h.registry)}, {"request", "0x" + HexEncode(View(h.sign_request))}}},
  };
  // A name that is not UTF-8 would make dump() throw; the builders' inputs
  // are checked (IsValidJadesItemName) before they get here.
  return Base64UrlEncode(header.dump(-1, ' ', false, json::error_handler_t::replace));
}

StatusOr<JadesHeader> ParseJadesProtectedHeader(std::string_view protected_b64) {
  if (protected_b64.empty() || protected_b64.size() > kMaxJadesHeaderBytes) return Bad("protected", "size");
  auto text = StrictB64(protected_b64);
  if (!text) return Bad("protected", "not base64url");
  // JSON text never holds a NUL byte; a parser that stops at one would
  // read a shorter header than the bytes signed.
  if (text->find('\0') != std::string::npos) return Bad("protected", "NUL byte");
  auto parsed = ParseUnique(*text);
  if (!parsed || !parsed->is_object()) return Bad("protected", "not a JSON object with unique member names");
  const json& h = *parsed;
  if (!HasExactly(h, {"alg", "jwk", "kid", "sigT", "sigD", "crit", "certme"}))
    return Bad("protected", "members must be alg, jwk, kid, sigT, sigD, crit, certme");

  // RFC 7515 §4.1.11: every name in crit must be understood; ours are
  // exactly sigT and sigD, and both must be critical (JAdES §5.2.1, §5.2.8).
  const json& crit = h["crit"];
  if (!crit.is_array() || crit.size() != 2 || !crit[0].is_string() || !crit[1].is_string() ||
      std::set<std::string>{crit[0].get<std::string>(), crit[1].get<std::string>()} !=
          std::set<std::string>{"sigT", "sigD"})
    return Bad("crit", "must be exactly [\"sigT\",\"sigD\"]");
  const std::string* alg = Str(h, "alg");
  if (!alg || *alg != kJadesAlg) return Bad("alg", "must be ES256K");

  JadesHeader out;
  CERTME_ASSIGN_OR_RETURN(out.public_key, Secp256k1FromJwk(h["jwk"]));
  out.signer = AddressFromPublicKey(out.public_key).value();
  const std::string* kid = Str(h, "kid");
  std::string kid_address;
  if (!kid || !ParseCaip10(*kid, &out.chain_id, &kid_address))
    return Bad("kid", "must be eip155:<chain id>:<checksummed address>");
  if (kid_address != out.signer) return Bad("kid", "does not name the jwk's address");

  const std::string* sig_t = Str(h, "sigT");
  if (!sig_t) return Bad("sigT", "must be a string");
  CERTME_ASSIGN_OR_RETURN(out.signing_time, ParseJadesTime(*sig_t));

  const json& sig_d = h["sigD"];
  if (!HasExactly(sig_d, {"mId", "pars", "hashM", "hashV"})) return Bad("sigD", "members must be mId, pars, hashM, hashV");
  const std::string* mid = Str(sig_d, "mId");
  if (!mid || *mid != kJadesSigDMechanism) return Bad("sigD.mId", "must be ObjectIdByURIHash");
  const json& pars = sig_d["pars"];
  if (!pars.is_array() || pars.size() != 1 || !pars[0].is_string() ||
      !IsValidJadesItemName(pars[0].get_ref<const std::string&>()))
    return Bad("sigD.pars", "must hold one item name");
  out.item.name = pars[0].get<std::string>();
  const std::string* hash_m = Str(sig_d, "hashM");
  size_t size = hash_m ? DigestSize(*hash_m) : 0;
  if (size == 0) return Bad("sigD.hashM", "must be S256 or S384");
  out.item.hash_alg = *hash_m;
  const json& hash_v = sig_d["hashV"];
  std::optional<std::string> digest;
  if (hash_v.is_array() && hash_v.size() == 1 && hash_v[0].is_string())
    digest = StrictB64(hash_v[0].get_ref<const std::string&>());
  if (!digest || digest->size() != size) return Bad("sigD.hashV", "must hold one digest of hashM's size");
  out.item.digest = std::move(*digest);

  const json& certme = h["certme"];
  if (!HasExactly(certme, {"ledger", "request"})) return Bad("certme", "members must be ledger, request");
  const std::string* ledger = Str(certme, "ledger");
  uint64_t ledger_chain = 0;
  if (!ledger || !ParseCaip10(*ledger, &ledger_chain, &out.registry))
    return Bad("certme.ledger", "must be eip155:<chain id>:<checksummed registry>");
  if (ledger_chain != out.chain_id) return Bad("certme.ledger", "chain id differs from kid's");
  const std::string* request = Str(certme, "request");
  bool lower_hex = request && request->size() == 66 && request->rfind("0x", 0) == 0;
  for (size_t i = 2; lower_hex && i < request->size(); ++i) {
    char c = (*request)[i];
    lower_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!lower_hex) return Bad("certme.request", "must be 0x and 64 lowercase hex digits");
  auto request_raw = HexDecode(*request);
  out.sign_request = ToBytes32(*request_raw);
  return out;
}

std::string JadesSigningInput(std::string_view protected_b64) { return std::string(protected_b64) + "."; }

std::string SignJades(const EthKey& key, std::string_view protected_b64) {
  EthSignature sig = key.SignDigest(ToBytes32(Sha256(JadesSigningInput(protected_b64))));
  return std::string(reinterpret_cast<const char*>(sig.rsv.data()), 64);
}

Status VerifyJades(std::string_view protected_b64, std::string_view signature64) {
  CERTME_ASSIGN_OR_RETURN(JadesHeader h, ParseJadesProtectedHeader(protected_b64));
  if (signature64.size() != 64) return Bad("signature", "must be 64 bytes");
  Status verified = VerifySecp256k1(h.public_key, ToBytes32(Sha256(JadesSigningInput(protected_b64))), signature64);
  if (!verified.ok()) return Unauthenticated("jades: signature does not verify");
  return Status();
}

Bytes32 JadesLedgerDigest(std::string_view protected_b64) { return ToBytes32(Sha256(protected_b64)); }

std::string JadesFlattenedJson(std::string_view protected_b64, std::string_view signature64,
                               const json& unprotected) {
  ordered_json out = {{"protected", std::string(protected_b64)},
                      {"payload", ""},
                      {"signature", Base64UrlEncode(signature64)}};
  if (!unprotected.is_null() && !(unprotected.is_object() && unprotected.empty())) out["header"] = unprotected;
  return out.dump();
}

StatusOr<JadesFlattened> ParseJadesFlattenedJson(std::string_view text) {
  if (text.size() > kMaxFlattenedBytes) return Bad("json", "too large");
  auto parsed = ParseUnique(text);
  if (!parsed || !parsed->is_object()) return Bad("json", "not a JSON object with unique member names");
  const json& o = *parsed;
  bool has_header = o.contains("header");
  if (o.size() != (has_header ? 4u : 3u) || !o.contains("protected") || !o.contains("payload") ||
      !o.contains("signature"))
    return Bad("json", "members must be protected, payload, signature and optionally header");
  const std::string* payload = Str(o, "payload");
  if (!payload || !payload->empty()) return Bad("payload", "must be \"\" (detached)");
  const std::string* prot = Str(o, "protected");
  const std::string* sig = Str(o, "signature");
  if (!prot || !sig) return Bad("json", "protected and signature must be strings");
  JadesFlattened out;
  CERTME_ASSIGN_OR_RETURN(out.header, ParseJadesProtectedHeader(*prot));
  out.protected_b64 = *prot;
  auto raw = StrictB64(*sig);
  if (!raw || raw->size() != 64) return Bad("signature", "must be 64 bytes base64url");
  out.signature = std::move(*raw);
  if (has_header) {
    if (!o["header"].is_object()) return Bad("header", "must be an object");
    out.unprotected = o["header"];
  }
  return out;
}

}  // namespace certme
