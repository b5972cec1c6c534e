// Sender-constrained tokens: DPoP proofs (RFC 9449) and the binding of new
// access tokens to a DPoP key or to the client certificate the TLS proxy
// forwarded (RFC 8705 §3).
//
// A proof is checked in order of cost, so that a request that fails costs
// no signature verification and no Store write: the header's shape, the
// JOSE header (typ, an asymmetric alg, a public `jwk`), the claims (htm,
// htu, iat, jti, ath), the server nonce (an HMAC, no Store), then the
// signature with the `jwk`, and only last the jti replay cache in the Store
// (shared by every replica), so a forged proof can never spend a jti.
//
// Nonces (RFC 9449 §8, §9) are stateless: base64url(issue time, 8 bytes
// big-endian || HMAC-SHA256(key, issue time) truncated to 16 bytes), the key
// derived from oidc.pairwise_salt. Any replica sharing the salt accepts them
// for kDpopNonceLifetimeSeconds; then the client is told to use a fresh one.
#include <array>

#include "common/log.h"
#include "crypto/hash.h"
#include "protocols/oidc/fapi.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/url_util.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

// A proof is a few hundred bytes (an RSA 4096 jwk makes it about 1.5 KiB).
constexpr size_t kMaxDpopProofBytes = 8 * 1024;
// RFC 9449 §11.1: a proof is accepted for a short time after its iat (plus
// the clock skew); its jti is remembered as long.
constexpr int64_t kDpopProofLifetimeSeconds = 60;
// How long a server nonce is accepted after it was issued.
constexpr int64_t kDpopNonceLifetimeSeconds = 300;
constexpr size_t kNonceMacBytes = 16;

OidcError BadProof(std::string detail) {
  // One client-facing description per failure class; the detail is logged.
  return OidcError::Make(kErrInvalidDpopProof, "the DPoP proof is invalid", std::move(detail));
}

// RFC 9449 §4.2: the htu without query and fragment, compared on scheme,
// host, port (the default one dropped) and path.
std::optional<std::string> NormalizedHtu(std::string_view url) {
  auto p = ParseUrl(url);
  if (!p || (p->scheme != "https" && p->scheme != "http")) return std::nullopt;
  std::string port = p->port;
  if ((p->scheme == "https" && port == "443") || (p->scheme == "http" && port == "80")) port.clear();
  std::string path = p->path_query.substr(0, p->path_query.find('?'));
  if (path.empty()) path = "/";
  return p->scheme + "://" + p->host + (port.empty() ? "" : ":" + port) + path;
}

// RFC 7517 §4 / RFC 7518 §6: members that only a private JWK has.
bool HasPrivateMembers(const nlohmann::json& jwk) {
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
    if (jwk.contains(m)) return true;
  return false;
}

std::string BigEndian8(int64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

}  // namespace

namespace oidc_internal {

std::vector<JwsAlg> DpopAlgs() { return {JwsAlg::kES256, JwsAlg::kPS256, JwsAlg::kEdDSA, JwsAlg::kRS256}; }

CheckResult CheckDpopJktParam(const Params& p) {
  auto jkt = ParamGet(p, kDpopJkt);
  if (!jkt) return std::nullopt;
  auto raw = Base64UrlDecode(*jkt);
  if (jkt->size() != 43 || !raw || raw->size() != 32)
    return InvalidRequest("dpop_jkt must be a base64url SHA-256 JWK thumbprint");
  return std::nullopt;
}

}  // namespace oidc_internal

std::string OidcProvider::NewDpopNonce() {
  std::string ts = BigEndian8(Now());
  return Base64UrlEncode(ts + HmacSha256(dpop_nonce_key_.reveal(), ts).substr(0, kNonceMacBytes));
}

bool OidcProvider::IsLiveDpopNonce(std::string_view nonce) const {
  if (nonce.size() > 64) return false;
  auto raw = Base64UrlDecode(nonce);
  if (!raw || raw->size() != 8 + kNonceMacBytes) return false;
  std::string ts = raw->substr(0, 8);
  if (!ConstantTimeEquals(raw->substr(8), HmacSha256(dpop_nonce_key_.reveal(), ts).substr(0, kNonceMacBytes)))
    return false;
  int64_t issued = 0;
  for (char c : ts) issued = (issued << 8) | static_cast<unsigned char>(c);
  int64_t now = Now();
  return issued <= now + opts_.clock_skew_seconds && now - issued <= kDpopNonceLifetimeSeconds;
}

// RFC 9449 §4.3.
OidcOr<std::optional<DpopProof>> OidcProvider::CheckDpopProof(const HttpRequest& req,
                                                              std::string_view endpoint_path,
                                                              const std::string* access_token,
                                                              const std::vector<JwsAlg>& algs) {
  std::vector<std::string> headers = req.headers.GetAll(kHeaderDpop);
  if (headers.empty()) return std::optional<DpopProof>();
  // Check 1: exactly one DPoP header field, one JWT.
  if (headers.size() > 1) return BadProof("more than one DPoP header");
  const std::string& proof = headers.front();
  if (proof.empty() || proof.size() > kMaxDpopProofBytes) return BadProof("DPoP header empty or too large");
  auto jwt = DecodeJwtUnverified(proof);
  if (!jwt.ok()) return BadProof("DPoP proof malformed: " + jwt.status().ToString());
  const nlohmann::json& h = jwt->header;
  const nlohmann::json& p = jwt->payload;
  // Checks 4-6: typ, an asymmetric algorithm we verify, a public key.
  if (!h.contains("typ") || h["typ"] != kDpopJwtType) return BadProof("typ is not dpop+jwt");
  auto alg = ParseJwsAlg(h.value("alg", ""));
  const std::vector<JwsAlg> allowed = algs.empty() ? DpopAlgs() : algs;
  if (!alg || std::find(allowed.begin(), allowed.end(), *alg) == allowed.end())
    return BadProof("alg not allowed");
  auto jwk_it = h.find("jwk");
  if (jwk_it == h.end() || !jwk_it->is_object()) return BadProof("no jwk in the header");
  if (HasPrivateMembers(*jwk_it)) return BadProof("jwk has private key members");
  // Checks 7-11: the claims, still unverified (they cost nothing to read).
  auto htm = p.find("htm");
  if (htm == p.end() || !htm->is_string() || htm->get<std::string>() != req.method)
    return BadProof("htm does not match the request method");
  auto htu = p.find("htu");
  if (htu == p.end() || !htu->is_string()) return BadProof("htu missing");
  auto htu_norm = NormalizedHtu(htu->get<std::string>());
  if (!htu_norm || *htu_norm != NormalizedHtu(Url(endpoint_path)))
    return BadProof("htu does not match the endpoint");
  auto jti = p.find("jti");
  if (jti == p.end() || !jti->is_string() || jti->get<std::string>().empty() ||
      jti->get<std::string>().size() > 256)
    return BadProof("jti missing or of bad length");
  int64_t now = Now(), skew = opts_.clock_skew_seconds;
  auto iat = NumericDate(p, "iat");
  if (!iat) return BadProof("iat missing");
  if (*iat > now + skew) return BadProof("iat is in the future");
  if (*iat < now - kDpopProofLifetimeSeconds - skew) return BadProof("iat is too old");
  if (access_token) {
    // RFC 9449 §4.3 check 12: ath is the hash of the presented token.
    auto ath = p.find("ath");
    if (ath == p.end() || !ath->is_string() ||
        !ConstantTimeEquals(ath->get<std::string>(), Base64UrlEncode(Sha256(*access_token))))
      return BadProof("ath does not match the access token");
  }
  // RFC 9449 §8 / §9: the server always asks for its nonce.
  auto nonce = p.find("nonce");
  if (nonce == p.end() || !nonce->is_string() || !IsLiveDpopNonce(nonce->get<std::string>()))
    return OidcError::Make(kErrUseDpopNonce, "a DPoP nonce from this server is required",
                           nonce == p.end() ? "no nonce" : "nonce stale or not ours");
  // Only now the signature, with the key the proof carries.
  auto key = ParsePublicKeyJwk(*jwk_it);
  if (!key.ok()) return BadProof("jwk unusable: " + key.status().ToString());
  if (!(*key)->Supports(*alg)) return BadProof("jwk does not fit alg");
  std::shared_ptr<const PublicKey> verify_key = std::move(key).value();
  auto verified = VerifyJwt(proof, {verify_key}, {*alg});
  if (!verified.ok()) return BadProof("signature: " + verified.status().ToString());
  DpopProof out{JwkThumbprint(*verify_key)};
  // Check 13 (RFC 9449 §11.1): a jti is used once per key, on every replica.
  Status st = store_.PutIfAbsent(kDpopJtiNs, Sha256Hex(out.jkt + '\n' + jti->get<std::string>()), "1",
                                 std::chrono::seconds(kDpopProofLifetimeSeconds + 2 * skew));
  if (st.code() == StatusCode::kAlreadyExists) return BadProof("jti replayed");
  if (!st.ok()) return ServerFailure(st);
  return std::optional<DpopProof>(std::move(out));
}

// RFC 9449 §5 and RFC 8705 §3: what the tokens of this token request are
// bound to. Checked before any grant is looked at, so a refused proof
// spends no code, no refresh token and no device code.
OidcOr<TokenBinding> OidcProvider::TokenRequestBinding(const HttpRequest& req,
                                                       const OidcClient& client) {
  TokenBinding binding;
  // FAPI 2.0 §5.4: a FAPI 2.0 client's proofs use PS256, ES256 or EdDSA.
  auto proof = CheckDpopProof(req, kPathToken, nullptr, client.IsFapi2() ? Fapi2Algs() : DpopAlgs());
  if (!proof.ok()) return proof.error();
  if (*proof) binding.jkt = (*proof)->jkt;
  // RFC 9449 §5.2: the client registered that it always uses DPoP.
  else if (client.dpop_bound_access_tokens)
    return InvalidRequest("this client must send a DPoP proof");
  if (client.tls_client_certificate_bound_access_tokens) {
    auto x5t = ClientCertificateThumbprint(req.client_cert_pem);
    if (!x5t) return InvalidRequest("this client's tokens need its TLS client certificate");
    binding.x5t_s256 = *x5t;
  }
  // FAPI 2.0 §5.3.2.1 items 4-5: nothing unbound for a FAPI 2.0 client.
  if (auto e = CheckFapi2Binding(client, binding)) return *e;
  return binding;
}

}  // namespace certme
