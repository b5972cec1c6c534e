// ID tokens (OIDC Core §2, §3.1.3.6), subjects (§8) and released claims
// (§5.4, §5.5); logout tokens (Back-Channel Logout §2.4).
#include <algorithm>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"
#include "protocols/oidc/vocabulary.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

std::optional<JwsAlg> ClientAlg(const OidcClient& client) {
  auto alg = ParseJwsAlg(client.id_token_signed_response_alg);
  if (!alg || *alg == JwsAlg::kEdDSA) return std::nullopt;
  return alg;
}

}  // namespace

// OIDC Core §8.1: pairwise sub = base64url(HMAC-SHA256(salt, sector host ||
// subject)). The eID subject is a fixed-length (42 character) address, so
// the concatenation is unambiguous without a separator; it is lowercased so
// that checksum-case differences cannot split one user in two.
std::string OidcProvider::SubjectFor(const OidcClient& client, const std::string& subject) const {
  const std::string& type =
      client.subject_type.empty() ? opts_.default_subject_type : client.subject_type;
  if (type == kSubjectPublic) return subject;
  return Base64UrlEncode(
      HmacSha256(opts_.pairwise_salt.reveal(), client.SectorHost() + AsciiLower(subject)));
}

nlohmann::json OidcProvider::ReleasedClaims(const OidcClient& client, const GrantRecord& grant,
                                            const std::vector<std::string>& scopes,
                                            std::string_view target) const {
  nlohmann::json out = nlohmann::json::object();
  auto release = [&](const ClaimDefinition* d) {
    if (!d || !client.AllowsAttribute(d->key)) return;
    auto it = grant.attributes.find(d->key);
    if (it == grant.attributes.end()) return;
    if (auto v = ClaimsCatalogue::ToOidcValue(*d, it->second)) out[d->oidc_claim] = *v;
  };
  // OIDC Core §5.4: scope values release their claim sets.
  for (const auto& s : scopes)
    for (const ClaimDefinition* d : catalogue_.ForScope(s)) release(d);
  // OIDC Core §5.5: individually requested claims for this target.
  if (auto it = grant.claims.find(target); it != grant.claims.end() && it->is_object())
    for (const auto& [name, spec] : it->items()) release(catalogue_.ByOidcClaim(name));
  return out;
}

StatusOr<std::string> OidcProvider::MakeIdToken(const OidcClient& client, const GrantRecord& grant,
                                                const std::vector<std::string>& scopes,
                                                const std::string& access_token,
                                                const std::string& nonce) {
  auto alg = ClientAlg(client);
  if (!alg) return Internal("cannot sign ID token", "client alg " + client.id_token_signed_response_alg);
  auto key = keys_.ActiveFor(*alg);
  if (!key) return Internal("cannot sign ID token", "no active key for " + client.id_token_signed_response_alg);
  int64_t now = Now();
  nlohmann::json claims = ReleasedClaims(client, grant, scopes, kClaimsParamIdToken);
  claims[kClaimIss] = opts_.issuer;
  claims[kClaimSub] = SubjectFor(client, grant.subject);
  claims[kClaimAud] = client.client_id;
  claims[kClaimAzp] = client.client_id;
  claims[kClaimIat] = now;
  claims[kClaimExp] = now + opts_.id_token_ttl_seconds;
  claims[kClaimAuthTime] = grant.auth_time;
  if (!nonce.empty()) claims[kClaimNonce] = nonce;
  if (!grant.acr.empty()) claims[kClaimAcr] = grant.acr;
  if (!grant.amr.empty()) claims[kClaimAmr] = grant.amr;
  if (!grant.sid.empty()) claims[kClaimSid] = grant.sid;
  // OIDC Core §3.1.3.6: at_hash = base64url of the left half of the hash
  // that matches the alg (SHA-256 for RS256, PS256 and ES256).
  if (!access_token.empty()) claims[kClaimAtHash] = Base64UrlEncode(Sha256(access_token).substr(0, 16));
  return SignJwt(*key, *alg, claims, "JWT");
}

// Back-Channel Logout 1.0 §2.4: iss, aud, iat, exp, jti, sid (and sub), the
// backchannel-logout event, no nonce; typ logout+jwt (§2.4, RFC 8725 §3.11).
StatusOr<std::string> OidcProvider::MakeLogoutToken(const OidcClient& client,
                                                    const std::string& subject,
                                                    const std::string& sid) {
  auto alg = ClientAlg(client);
  if (!alg) return Internal("cannot sign logout token", "client alg");
  auto key = keys_.ActiveFor(*alg);
  if (!key) return Internal("cannot sign logout token", "no active key");
  int64_t now = Now();
  nlohmann::json claims = {
      {kClaimIss, opts_.issuer},
      {kClaimAud, client.client_id},
      {kClaimIat, now},
      {kClaimExp, now + opts_.logout_token_ttl_seconds},
      {kClaimJti, random_.Token(16)},
      {kClaimSub, SubjectFor(client, subject)},
      {kClaimSid, sid},
      {kClaimEvents, {{kBackchannelLogoutEvent, nlohmann::json::object()}}},
  };
  return SignJwt(*key, *alg, claims, kLogoutJwtType);
}

StatusOr<nlohmann::json> OidcProvider::VerifyOwnIdToken(std::string_view token) const {
  std::vector<JwsAlg> allowed = {JwsAlg::kRS256, JwsAlg::kPS256, JwsAlg::kES256};
  CERTME_ASSIGN_OR_RETURN(VerifiedJwt v, VerifyJwt(token, keys_.VerificationKeys(), allowed));
  if (!v.payload[kClaimIss].is_string() || v.payload[kClaimIss] != opts_.issuer)
    return Unauthenticated("token not issued here");
  // A logout token must never pass as an ID token hint.
  if (v.payload.contains(kClaimEvents)) return Unauthenticated("not an ID token");
  return v.payload;
}

}  // namespace certme
