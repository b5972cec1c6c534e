#include "idp/keys.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/files.h"

namespace certme {

StatusOr<Secret> ReadPasswordFile(const std::string& path) {
  auto text = ReadSmallFile(path, 4096);
  if (!text.ok()) return NotFound("cannot read password file " + path);
  std::string line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  OPENSSL_cleanse(text->data(), text->size());
  Secret secret(line);
  OPENSSL_cleanse(line.data(), line.size());
  return secret;
}

namespace {

StatusOr<Secret> PasswordFor(const KeySpec& s, const EnvLookup& env) {
  if (!s.password_env.empty()) {
    auto v = env(s.password_env);
    if (!v) return NotFound("environment variable " + s.password_env + " is not set");
    return Secret(*v);
  }
  if (!s.password_file.empty()) {
    return ReadPasswordFile(s.password_file);
  }
  return Secret("");
}

StatusOr<KeySet::State> ParseState(const std::string& s) {
  if (s == "next") return KeySet::State::kNext;
  if (s == "active" || s.empty()) return KeySet::State::kActive;
  if (s == "retired") return KeySet::State::kRetired;
  return InvalidArgument("state must be next, active or retired, got \"" + s + "\"");
}

StatusOr<std::shared_ptr<SigningKey>> LoadOne(const KeySpec& s, const EnvLookup& env) {
  if (s.pem_file.empty() == s.p12_file.empty())
    return InvalidArgument("set exactly one of pem_file and p12_file");
  if (!s.pem_file.empty()) return LoadSigningKeyPem(s.pem_file, s.kid);
  CERTME_ASSIGN_OR_RETURN(Secret password, PasswordFor(s, env));
  return LoadSigningKeyP12(s.p12_file, password, s.kid);
}

}  // namespace

StatusOr<std::unique_ptr<KeySet>> LoadKeySet(const std::vector<KeySpec>& specs, const EnvLookup& env) {
  auto set = std::make_unique<KeySet>();
  std::string errors;
  for (size_t i = 0; i < specs.size(); ++i) {
    const KeySpec& s = specs[i];
    std::string where = "keys.signing[" + std::to_string(i) + "] (kid \"" + s.kid + "\"): ";
    if (s.kid.empty()) {
      errors += where + "kid is required\n";
      continue;
    }
    auto state = ParseState(s.state);
    if (!state.ok()) {
      errors += where + state.status().message() + "\n";
      continue;
    }
    if (!s.alg.empty() && !ParseJwsAlg(s.alg)) {
      errors += where + "alg must be RS256, PS256, ES256 or EdDSA\n";
      continue;
    }
    auto key = LoadOne(s, env);
    if (!key.ok()) {
      errors += where + key.status().message() + "\n";
      continue;
    }
    if (!s.alg.empty() && !(*key)->Supports(*ParseJwsAlg(s.alg))) {
      errors += where + "the key cannot sign " + s.alg + "\n";
      continue;
    }
    // A configured retired key stays published for as long as it stays in
    // the configuration: the operator removes it once tokens it signed have
    // expired. KeySet needs a date, so give it one far beyond any restart.
    TimePoint retire_after{};
    if (*state == KeySet::State::kRetired)
      retire_after = SystemClock().Now() + std::chrono::hours(24 * 365);
    set->Add(std::move(*key), *state, retire_after);
  }
  if (!errors.empty()) return InvalidArgument(errors);
  if (set->SigningAlgs().empty()) return InvalidArgument("no active signing key configured");
  return set;
}

StatusOr<std::unique_ptr<KeySet>> LoadOrCreateDevKeySet(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create development key directory " + dir);
  chmod(dir.c_str(), 0700);
  auto set = std::make_unique<KeySet>();
  struct Dev {
    const char* kty;
    const char* file;
    const char* kid;
  };
  for (const Dev& d : {Dev{"RSA", "dev-rsa.pem", "dev-rsa-1"}, Dev{"EC", "dev-ec.pem", "dev-ec-1"},
                       Dev{"OKP", "dev-ed25519.pem", "dev-ed25519-1"}}) {
    std::filesystem::path p = std::filesystem::path(dir) / d.file;
    std::shared_ptr<SigningKey> key;
    if (std::filesystem::exists(p)) {
      CERTME_ASSIGN_OR_RETURN(key, LoadSigningKeyPem(p.string(), d.kid));
    } else {
      CERTME_ASSIGN_OR_RETURN(key, GenerateSigningKey(d.kty, d.kid));
      CERTME_ASSIGN_OR_RETURN(std::string pem, SigningKeyToPem(*key));
      CERTME_RETURN_IF_ERROR(WritePrivateFile(p.string(), pem, /*overwrite=*/true));
    }
    set->Add(std::move(key), KeySet::State::kActive);
  }
  return set;
}

}  // namespace certme
