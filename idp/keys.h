// Loads the bridge's signing keys once at start into a KeySet
// (docs/ARCHITECTURE.md rule 14: no key parsing on a request path).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/jose.h"

namespace certme {

// One configured key (config: keys.signing[i]).
struct KeySpec {
  std::string kid;
  std::string alg;            // RS256 | PS256 | ES256 | EdDSA (informational: the key type decides)
  std::string pem_file;       // either this…
  std::string p12_file;       // …or this, with a password from:
  std::string password_env;   //   an environment variable, or
  std::string password_file;  //   a file (first line; trailing newline ignored)
  std::string state = "active";  // next | active | retired
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// A key's password from a file: its first line, without the line end (at
// most 4 KiB are read; the copy read is wiped). NotFound names the file.
StatusOr<Secret> ReadPasswordFile(const std::string& path);

// Loads every spec; reports all failing keys at once. REQUIRES: specs non-empty.
StatusOr<std::unique_ptr<KeySet>> LoadKeySet(const std::vector<KeySpec>& specs, const EnvLookup& env);

// Development mode: an RSA-2048 (RS256, PS256), a P-256 (ES256) and an
// Ed25519 (EdDSA) key, generated on first start into `dir` (mode 0700,
// files 0600) and reused afterwards so tokens survive restarts.
StatusOr<std::unique_ptr<KeySet>> LoadOrCreateDevKeySet(const std::string& dir);

}  // namespace certme
