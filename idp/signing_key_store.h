// The signing keys of OpenID Connect and SAML kept in the Store, so that a
// key rollover (`certme keys`, the admin API) reaches every replica without a
// restart (docs/operations.md "Signing-key rollover").
//
// One record, namespace kSigningKeyNamespace, key kSigningKeyRecord: a JSON
// document with a version that grows with every change and the keys, each
// with its use (oidc or saml), state and times. The private keys are sealed
// with AES-256-GCM under the key-encryption key of keys.kek_file (the aad
// binds each sealed key to its use and kid); certificates and times are
// public. Writers change the record with compare-and-swap, so two operators
// acting at once never lose a change.
//
// A key's life: added as `next` (published: JWKS, SAML metadata, signs
// nothing) → promoted to `active` once the pre-publication period has passed
// (signs; the active key it replaces becomes `retired`) → `retired` (still in
// the JWKS until the tokens it signed have expired, then dropped from the
// record). Every use keeps at least one active key: a change that would leave
// none is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "store/store.h"

namespace certme {

inline constexpr std::string_view kSigningKeyNamespace = "signing_keys";
inline constexpr std::string_view kSigningKeyRecord = "set";

enum class KeyUse { kOidc, kSaml };
const char* KeyUseName(KeyUse use);          // "oidc" | "saml"
std::optional<KeyUse> ParseKeyUse(std::string_view name);
const char* KeyStateName(KeySet::State state);  // "next" | "active" | "retired"

// One key of the record (public fields; the private key stays sealed).
struct ManagedKey {
  std::string kid;
  KeyUse use = KeyUse::kOidc;
  KeySet::State state = KeySet::State::kNext;
  std::string key_type;         // "RSA", "EC" or "OKP" (from the JWK)
  int64_t added_at = 0;         // unix seconds
  int64_t promoted_at = 0;      // 0: never active
  int64_t retired_at = 0;       // 0: not retired
  int64_t unpublish_at = 0;     // retired keys: dropped from JWKS and record then
  std::string certificate_der;  // SAML: required; OIDC: optional
  std::string sealed_key;       // AEAD record of the PKCS#8 PEM
};

struct ManagedKeySet {
  int64_t version = 0;
  std::vector<ManagedKey> keys;  // in the order they were added

  const ManagedKey* Find(std::string_view kid) const;
};

// The periods of a rollover (config keys.*).
struct RolloverPolicy {
  // A next key may be promoted this long after it was added: relying
  // parties that cache the JWKS or the metadata have seen it by then.
  int64_t pre_publication_seconds = 86400;
  // A retired key stays published this long (at least the ID token lifetime).
  int64_t retired_retention_seconds = 3600;
};

// A key to put in the record, with its certificate (DER; SAML needs one).
struct KeyMaterial {
  std::shared_ptr<SigningKey> key;
  std::string certificate_der;
  KeySet::State state = KeySet::State::kActive;  // Seed only; Add makes next keys
};

class SigningKeyStore {
 public:
  // `kek`: the 32-byte key-encryption key. All references outlive this.
  SigningKeyStore(Store& store, std::string kek, Clock& clock, Random& random);

  // The record; nullopt when none has been written yet. Unavailable on a
  // store failure, Internal when the record does not parse.
  StatusOr<std::optional<ManagedKeySet>> Read();

  // First start (and a use enabled later): when the record has no active
  // key of `use`, `start_keys` are written with their states (a retired one
  // published for `retired_retention_seconds`). Returns whether the record
  // changed.
  StatusOr<bool> Seed(KeyUse use, const std::vector<KeyMaterial>& start_keys, const RolloverPolicy& policy);

  // Adds `m` as the next key of `use` under m.key->kid(). Refused
  // (InvalidArgument) when the kid is taken, when a SAML key has no
  // certificate, is not RSA, or its certificate is not of that key.
  StatusOr<ManagedKey> Add(KeyUse use, const KeyMaterial& m);
  // next → active. The active keys of the same use that sign an algorithm
  // the new one signs become retired (published for
  // `retired_retention_seconds`). FailedPrecondition while the
  // pre-publication period runs (with the seconds left) or when the key is
  // not next; NotFound for an unknown kid.
  StatusOr<ManagedKey> Promote(std::string_view kid, const RolloverPolicy& policy);
  // active → retired (FailedPrecondition when that would leave an
  // algorithm of its use without an active key, e.g. the only one), or a
  // next key withdrawn (it never signed: removed at once).
  StatusOr<ManagedKey> Retire(std::string_view kid, const RolloverPolicy& policy);

  // The private key of `k`, parsed (Unauthenticated when it does not open
  // under this KEK: a wrong or replaced keys.kek_file).
  StatusOr<std::shared_ptr<SigningKey>> Open(const ManagedKey& k) const;

 private:
  // Reads, applies `change` and writes back with compare-and-swap, retrying
  // when another writer got there first. Retired keys past their date are
  // dropped on the way.
  // `change` returns an error to write nothing, or sets *changed.
  Status Modify(const std::function<Status(ManagedKeySet&, int64_t now, bool* changed)>& change);
  StatusOr<ManagedKey> Seal(KeyUse use, const KeyMaterial& m, KeySet::State state) const;

  Store& store_;
  std::string kek_;
  Clock& clock_;
  Random& random_;
};

// Record (de)serialization, exposed for tests.
std::string ManagedKeySetToJson(const ManagedKeySet& set);
StatusOr<ManagedKeySet> ManagedKeySetFromJson(std::string_view text);

// Reads a key-encryption key file: 64 hex digits (`openssl rand -hex 32`).
// Errors name the file, never its content.
StatusOr<std::string> ReadSigningKek(const std::string& path);
// Development mode: the KEK kept in `dev_key_dir` (created when absent).
StatusOr<std::string> LoadOrCreateDevSigningKek(const std::string& dev_key_dir, Random& random);

}  // namespace certme
