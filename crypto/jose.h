// Signing keys and JWS (RFC 7515) / JWK (RFC 7517) for the bridge.
//
// Keys are parsed once at start (PEM or PKCS#12) into OpenSSL EVP_PKEY
// objects and kept; signing never re-parses a key (HOUSE_STYLE rule 14).
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

// Loads a private key from a PEM file (PKCS#8 or traditional).
StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyPem(const std::string& path, std::string kid);
StatusOr<std::shared_ptr<SigningKey>> ParseSigningKeyPem(std::string_view pem, std::string kid);
// Loads the private key of a PKCS#12 bundle.
StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyP12(const std::string& path,
                                                        const Secret& password, std::string kid);
// Generates a fresh key (development mode, tests): "RSA" (2048), "EC" (P-256), "OKP" (Ed25519).
StatusOr<std::shared_ptr<SigningKey>> GenerateSigningKey(std::string_view kty, std::string kid);
// Serializes a private key as PKCS#8 PEM (to persist generated dev keys).
StatusOr<std::string> SigningKeyToPem(const SigningKey& key);

// Public keys from outside (client JWKS, registered X.509 certificates).
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyJwk(const nlohmann::json& jwk);
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyPem(std::string_view pem, std::string kid);
// From an X.509 certificate (PEM or DER); kid defaults to the base64url
// SHA-256 thumbprint of the certificate (x5t#S256).
StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyFromCertificate(std::string_view pem_or_der);
// RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
std::string JwkThumbprint(const PublicKey& key);

// ---------- JWS compact serialization ----------

// Signs `payload` (a JSON object) as a compact JWS with header
// {alg, kid, typ?}. `typ` is omitted when empty (e.g. "logout+jwt").
StatusOr<std::string> SignJwt(const SigningKey& key, JwsAlg alg, const nlohmann::json& payload,
                              std::string_view typ = "JWT");

struct VerifiedJwt {
  nlohmann::json header;
  nlohmann::json payload;
};

// Parses and verifies a compact JWS against `candidates` (the key with the
// header's kid if present, else every candidate supporting the alg).
// Rejects: malformed input, alg not in `allowed`, "none", unknown kid,
// bad signature, non-object payload. Does NOT check exp/aud/iss: callers do
// (they know which rules apply).
StatusOr<VerifiedJwt> VerifyJwt(std::string_view compact,
                                const std::vector<std::shared_ptr<const PublicKey>>& candidates,
                                const std::vector<JwsAlg>& allowed);

// Splits a compact JWS without verifying (e.g. to read `iss` to pick keys).
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
  // Promotes the oldest `next` key for `alg` to active and retires the
  // current active one until `now + keep_retired` (the longest token
  // lifetime). FailedPrecondition when no next key is published.
  Status Rotate(JwsAlg alg, Duration keep_retired);
  // JWKS document: next, active and unexpired retired keys.
  nlohmann::json Jwks() const;
  // Public keys for verification of our own tokens (id_token_hint…).
  std::vector<std::shared_ptr<const PublicKey>> VerificationKeys() const;
  // Algorithms that have an active key (for discovery metadata).
  std::vector<JwsAlg> SigningAlgs() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace certme
