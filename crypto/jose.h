// Signing keys and JWS (RFC 7515) / JWK (RFC 7517) for the bridge.
//
// Keys are parsed once at start (PEM or PKCS#12) into OpenSSL EVP_PKEY
// objects and kept; signing never re-parses a key (docs/ARCHITECTURE.md rule 14).
// Algorithms: RS256, PS256, ES256, EdDSA (Ed25519). An algorithm name that
// is not in this list is rejected with a Status, never dereferenced.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"

namespace certme {

enum class JwsAlg { kRS256, kPS256, kES256, kEdDSA };

const char* JwsAlgName(JwsAlg alg);
// nullopt for anything else, including "none" and "HS256".
std::optional<JwsAlg> ParseJwsAlg(std::string_view name);

// A public key usable to verify signatures. Immutable; safe to share.
class PublicKey {
 public:
  virtual ~PublicKey() = default;
  virtual const std::string& kid() const = 0;
  // Whether the key type can verify `alg` (RSA: RS256/PS256, P-256: ES256,
  // Ed25519: EdDSA).
  virtual bool Supports(JwsAlg alg) const = 0;
  // Verifies `sig` over `data` (ES256: the 64-byte JOSE r||s form).
  virtual bool Verify(JwsAlg alg, std::string_view data, std::string_view sig) const = 0;
  // Public JWK (kty, kid, use=sig, alg when fixed, n/e or crv/x/y).
  virtual nlohmann::json ToJwk() const = 0;
  // SubjectPublicKeyInfo PEM.
  virtual std::string ToPem() const = 0;
};

// A private signing key. Immutable after load; Sign is safe for concurrent use.
class SigningKey : public PublicKey {
 public:
  // Signs `data` with `alg` (ES256 output in JOSE r||s form).
  virtual StatusOr<std::string> Sign(JwsAlg alg, std::string_view data) const = 0;
};

// Accepted key material everywhere below: RSA of 2048..8192 bits, EC on
// P-256, Ed25519. Anything else is InvalidArgument naming what was found.
// For signing keys an empty `kid` is replaced by the key's RFC 7638
// thumbprint, so every key we sign with has a stable, non-empty kid. Public
// keys keep the kid they came with (possibly none), except certificates,
// which default to x5t#S256.

// Loads a private key from a PEM file (PKCS#8 or traditional). An encrypted
// PEM fails cleanly (never prompts on the terminal) unless the overload with
// a password is used.
StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyPem(const std::string& path, std::string kid);
StatusOr<std::shared_ptr<SigningKey>> ParseSigningKeyPem(std::string_view pem, std::string kid);
StatusOr<std::shared_ptr<SigningKey>> ParseSigningKeyPem(std::string_view pem, std::string kid,
                                                         const Secret& password);
// Loads the private key of a PKCS#12 bundle. A wrong password is
// Unauthenticated; bundles using pre-OpenSSL-3 ciphers (RC2/3DES, as older
// Windows exports do) load through OpenSSL's "legacy" provider when present.
StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyP12(const std::string& path,
                                                        const Secret& password, std::string kid);
// The whole bundle: key, its certificate and any CA chain (DER), for
// signers that must also publish the certificate (SAML metadata, x5c).
struct P12Contents {
  std::shared_ptr<SigningKey> key;
  std::string certificate_der;          // empty when the bundle has none
  std::vector<std::string> chain_der;   // extra certificates, in bundle order
};
StatusOr<P12Contents> ParseP12(std::string_view der, const Secret& password, std::string kid);
// Generates a fresh key (development mode, tests): "RSA" (2048), "EC" (P-256), "OKP" (Ed25519).
StatusOr<std::shared_ptr<SigningKey>> GenerateSigningKey(std::string_view kty, std::string kid);
// Serializes a private key as PKCS#8 PEM (to persist generated dev keys).
StatusOr<std::string> SigningKeyToPem(const SigningKey& key);

// Public keys from outside (client JWKS, registered X.509 certificates).
// ParsePublicKeyJwk (RFC 7517/7518/8037) accepts kty RSA (n, e), EC with crv
// P-256 (x, y of exactly 32 bytes, point on the curve) and OKP with crv
// Ed25519; private members ("d", "p", …) are ignored. A JWK with "use"
// other than "sig", or an "alg" we do not verify, is rejected; a JWK with an
// "alg" verifies only that algorithm.
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyJwk(const nlohmann::json& jwk);
// A JWKS document {"keys": [...]}: the signature keys we can use. Keys we
// cannot use (enc keys, other curves) are skipped, as RFC 7517 §5 allows;
// an empty result is NotFound.
StatusOr<std::vector<std::shared_ptr<const PublicKey>>> ParsePublicKeyJwks(
    const nlohmann::json& jwks);
// SubjectPublicKeyInfo PEM ("PUBLIC KEY"); a "CERTIFICATE" PEM is accepted
// too and yields the certificate's key (with the given kid).
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyPem(std::string_view pem, std::string kid);
// From an X.509 certificate (PEM or DER); kid defaults to the base64url
// SHA-256 thumbprint of the certificate (x5t#S256).
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyFromCertificate(std::string_view pem_or_der);
// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
std::string JwkThumbprint(const PublicKey& key);

// ---------- JWS compact serialization ----------

// Compact tokens longer than this are rejected before any decoding.
inline constexpr size_t kMaxJwsSize = 64 * 1024;

// Signs `payload` (a JSON object) as a compact JWS with header
// {alg, kid, typ?}. `typ` is omitted when empty (e.g. "logout+jwt").
StatusOr<std::string> SignJwt(const SigningKey& key, JwsAlg alg, const nlohmann::json& payload,
                              std::string_view typ = "JWT");

struct VerifiedJwt {
  nlohmann::json header;
  nlohmann::json payload;
};

// Parses and verifies a compact JWS against `candidates` (the key with the
// header's kid if present, else every candidate supporting the alg; a token
// kid that matches no candidate falls back to candidates without a kid,
// e.g. keys from a kid-less JWKS).
// Rejects: malformed input, alg not in `allowed`, "none", unknown kid,
// bad signature, non-object payload, a `crit` header (RFC 7515 §4.1.11: we
// implement no extensions). Does NOT check exp/aud/iss: callers do (they
// know which rules apply).
// Errors: InvalidArgument for malformed or disallowed tokens, Unauthenticated
// when no candidate key matches or the signature is wrong.
StatusOr<VerifiedJwt> VerifyJwt(std::string_view compact,
                                const std::vector<std::shared_ptr<const PublicKey>>& candidates,
                                const std::vector<JwsAlg>& allowed);

// Splits a compact JWS without verifying (e.g. to read `iss` to pick keys).
// Same structural checks as VerifyJwt (size, strict base64url, JSON object
// header with a string alg, JSON object payload); the alg is not judged.
StatusOr<VerifiedJwt> DecodeJwtUnverified(std::string_view compact);

// ---------- Key set with rotation ----------

// The bridge's signing keys. One key per algorithm is "active" (signs new
// tokens); "next" keys are published in the JWKS before they sign, and
// "retired" keys stay published until tokens they signed have expired.
// Safe for concurrent readers; Rotate* methods take a lock.
class KeySet {
 public:
  enum class State { kNext, kActive, kRetired };
  struct Entry {
    std::shared_ptr<SigningKey> key;
    State state;
    // For retired keys: unpublish after this time.
    TimePoint retire_after{};
  };

  explicit KeySet(Clock* clock = nullptr);

  void Add(std::shared_ptr<SigningKey> key, State state, TimePoint retire_after = {});
  // The active key that can sign `alg`, or nullptr.
  std::shared_ptr<const SigningKey> ActiveFor(JwsAlg alg) const;
  // A second active key for the same algorithm takes over signing from the
  // earlier one (last added wins); prefer Rotate, which also retires.
  // Promotes the oldest `next` key for `alg` to active and retires the
  // current active one until `now + keep_retired` (the longest token
  // lifetime). FailedPrecondition when no next key is published.
  Status Rotate(JwsAlg alg, Duration keep_retired);
  // JWKS document: next, active and unexpired retired keys.
  nlohmann::json Jwks() const;
  // Public keys for verification of our own tokens (id_token_hint…): active
  // and unexpired retired keys (a next key has signed nothing yet).
  std::vector<std::shared_ptr<const PublicKey>> VerificationKeys() const;
  // Algorithms that have an active key (for discovery metadata).
  std::vector<JwsAlg> SigningAlgs() const;
  // Replaces every entry at once (a key rollover read from the Store): a
  // reader sees the old set or the new one, never a mix. Signing calls in
  // flight keep the key they hold (shared_ptr).
  void Replace(std::vector<Entry> entries);
  // A copy of the entries, oldest first (listing, key expiry metrics).
  std::vector<Entry> Entries() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace certme
