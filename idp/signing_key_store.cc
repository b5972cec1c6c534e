#include "idp/signing_key_store.h"

#include <openssl/crypto.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/aead.h"
#include "protocols/provider_keys.h"

namespace certme {
namespace {

constexpr char kKekFileName[] = "signing-keys.kek";
// Two writers racing: each retry re-reads the record; more than a handful
// means something keeps rewriting it.
constexpr int kMaxWriteAttempts = 8;

std::string Aad(KeyUse use, std::string_view kid) {
  return std::string("certme signing key\n") + KeyUseName(use) + "\n" + std::string(kid);
}

std::optional<KeySet::State> ParseState(std::string_view s) {
  if (s == "next") return KeySet::State::kNext;
  if (s == "active") return KeySet::State::kActive;
  if (s == "retired") return KeySet::State::kRetired;
  return std::nullopt;
}

std::string KeyType(const PublicKey& key) {
  auto jwk = key.ToJwk();
  return jwk.value("kty", "");
}

// Whether two keys sign some algorithm in common (same key type).
bool SameAlgorithms(const ManagedKey& a, const ManagedKey& b) { return a.key_type == b.key_type; }

}  // namespace

const char* KeyUseName(KeyUse use) { return use == KeyUse::kSaml ? "saml" : "oidc"; }

std::optional<KeyUse> ParseKeyUse(std::string_view name) {
  if (name == "oidc") return KeyUse::kOidc;
  if (name == "saml") return KeyUse::kSaml;
  return std::nullopt;
}

const char* KeyStateName(KeySet::State state) {
  switch (state) {
    case KeySet::State::kNext: return "next";
    case KeySet::State::kActive: return "active";
    case KeySet::State::kRetired: return "retired";
  }
  return "?";
}

const ManagedKey* ManagedKeySet::Find(std::string_view kid) const {
  for (const auto& k : keys)
    if (k.kid == kid) return &k;
  return nullptr;
}

std::string ManagedKeySetToJson(const ManagedKeySet& set) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : set.keys) {
    keys.push_back({{"kid", k.kid},
                    {"use", KeyUseName(k.use)},
                    {"state", KeyStateName(k.state)},
                    {"key_type", k.key_type},
                    {"added_at", k.added_at},
                    {"promoted_at", k.promoted_at},
                    {"retired_at", k.retired_at},
                    {"unpublish_at", k.unpublish_at},
                    {"certificate", Base64Encode(k.certificate_der)},
                    {"sealed_key", Base64Encode(k.sealed_key)}});
  }
  return nlohmann::json{{"version", set.version}, {"keys", std::move(keys)}}.dump();
}

StatusOr<ManagedKeySet> ManagedKeySetFromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](std::string what) { return Internal("the Store's signing-key record is damaged", what); };
  if (!j.is_object() || !j.contains("version") || !j["version"].is_number_integer() || !j.contains("keys") ||
      !j["keys"].is_array())
    return bad("not a key-set document");
  ManagedKeySet set;
  set.version = j["version"].get<int64_t>();
  for (const auto& e : j["keys"]) {
    if (!e.is_object()) return bad("key entry is not an object");
    ManagedKey k;
    try {
      k.kid = e.at("kid").get<std::string>();
      auto use = ParseKeyUse(e.at("use").get<std::string>());
      auto state = ParseState(e.at("state").get<std::string>());
      if (!use || !state || k.kid.empty()) return bad("key entry with unknown use, state or no kid");
      k.use = *use;
      k.state = *state;
      k.key_type = e.at("key_type").get<std::string>();
      k.added_at = e.at("added_at").get<int64_t>();
      k.promoted_at = e.at("promoted_at").get<int64_t>();
      k.retired_at = e.at("retired_at").get<int64_t>();
      k.unpublish_at = e.at("unpublish_at").get<int64_t>();
      auto cert = Base64Decode(e.at("certificate").get<std::string>());
      auto sealed = Base64Decode(e.at("sealed_key").get<std::string>());
      if (!cert || !sealed) return bad("key entry \"" + k.kid + "\": bad base64");
      k.certificate_der = std::move(*cert);
      k.sealed_key = std::move(*sealed);
    } catch (const nlohmann::json::exception& ex) {
      return bad(ex.what());
    }
    set.keys.push_back(std::move(k));
  }
  return set;
}

SigningKeyStore::SigningKeyStore(Store& store, std::string kek, Clock& clock, Random& random)
    : store_(store), kek_(std::move(kek)), clock_(clock), random_(random) {}

StatusOr<std::optional<ManagedKeySet>> SigningKeyStore::Read() {
  auto raw = store_.Get(kSigningKeyNamespace, kSigningKeyRecord);
  if (raw.status().code() == StatusCode::kNotFound) return std::optional<ManagedKeySet>();
  if (!raw.ok()) return raw.status();
  CERTME_ASSIGN_OR_RETURN(ManagedKeySet set, ManagedKeySetFromJson(*raw));
  return std::optional<ManagedKeySet>(std::move(set));
}

StatusOr<std::shared_ptr<SigningKey>> SigningKeyStore::Open(const ManagedKey& k) const {
  auto pem = AeadOpen(kek_, k.sealed_key, Aad(k.use, k.kid));
  if (!pem.ok())
    return Unauthenticated("signing key \"" + k.kid + "\" does not open with keys.kek_file (a different key-encryption key?)",
                           pem.status().ToString());
  auto key = ParseSigningKeyPem(*pem, k.kid);
  OPENSSL_cleanse(pem->data(), pem->size());
  return key;
}

StatusOr<ManagedKey> SigningKeyStore::Seal(KeyUse use, const KeyMaterial& m, KeySet::State state) const {
  if (!m.key) return InvalidArgument("no key");
  ManagedKey k;
  k.kid = m.key->kid();
  k.use = use;
  k.state = state;
  k.key_type = KeyType(*m.key);
  k.added_at = clock_.NowUnixSeconds();
  if (state == KeySet::State::kActive) k.promoted_at = k.added_at;
  k.certificate_der = m.certificate_der;
  if (k.kid.empty()) return InvalidArgument("the key has no kid");
  if (!m.certificate_der.empty()) {
    auto pub = ParsePublicKeyFromCertificate(m.certificate_der);
    if (!pub.ok()) return InvalidArgument("the certificate is not an X.509 certificate", pub.status().detail());
    if ((*pub)->ToPem() != m.key->ToPem()) return InvalidArgument("the certificate is not the certificate of this key");
  }
  if (use == KeyUse::kSaml) {
    if (k.key_type != "RSA") return InvalidArgument("a SAML signing key must be an RSA key (found " + k.key_type + ")");
    if (m.certificate_der.empty())
      return InvalidArgument("a SAML signing key needs its certificate (a PKCS#12 bundle with one, or --certificate)");
  }
  CERTME_ASSIGN_OR_RETURN(std::string pem, SigningKeyToPem(*m.key));
  auto sealed = AeadSeal(kek_, pem, Aad(use, k.kid), random_);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!sealed.ok()) return sealed.status();
  k.sealed_key = std::move(*sealed);
  return k;
}

Status SigningKeyStore::Modify(const std::function<Status(ManagedKeySet&, int64_t, bool*)>& change) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    auto raw = store_.Get(kSigningKeyNamespace, kSigningKeyRecord);
    bool absent = raw.status().code() == StatusCode::kNotFound;
    if (!raw.ok() && !absent) return raw.status();
    ManagedKeySet set;
    if (!absent) {
      CERTME_ASSIGN_OR_RETURN(set, ManagedKeySetFromJson(*raw));
    }
    const int64_t now = clock_.NowUnixSeconds();
    bool changed = false;
    size_t before = set.keys.size();
    std::erase_if(set.keys, [&](const ManagedKey& k) {
      return k.state == KeySet::State::kRetired && k.unpublish_at <= now;
    });
    changed = set.keys.size() != before;
    CERTME_RETURN_IF_ERROR(change(set, now, &changed));
    if (!changed) return Status::Ok();
    set.version += 1;
    std::string out = ManagedKeySetToJson(set);
    Status st = absent ? store_.PutIfAbsent(kSigningKeyNamespace, kSigningKeyRecord, out, kNoExpiry)
                       : store_.CompareAndSwap(kSigningKeyNamespace, kSigningKeyRecord, *raw, out, kNoExpiry);
    if (st.ok()) return st;
    const bool raced = st.code() == StatusCode::kAlreadyExists || st.code() == StatusCode::kFailedPrecondition ||
                       st.code() == StatusCode::kNotFound;
    if (!raced) return st;
  }
  return Unavailable("the signing-key record kept changing; try again");
}

StatusOr<bool> SigningKeyStore::Seed(KeyUse use, const std::vector<KeyMaterial>& start_keys,
                                     const RolloverPolicy& policy) {
  std::vector<ManagedKey> sealed;
  for (const auto& m : start_keys) {
    CERTME_ASSIGN_OR_RETURN(ManagedKey k, Seal(use, m, m.state));
    if (k.state == KeySet::State::kRetired) {
      k.retired_at = k.added_at;
      k.unpublish_at = k.added_at + policy.retired_retention_seconds;
    }
    sealed.push_back(std::move(k));
  }
  bool seeded = false;
  CERTME_RETURN_IF_ERROR(Modify([&](ManagedKeySet& set, int64_t, bool* changed) {
    seeded = false;
    bool has_active = std::any_of(set.keys.begin(), set.keys.end(), [&](const ManagedKey& k) {
      return k.use == use && k.state == KeySet::State::kActive;
    });
    if (has_active) return Status::Ok();
    for (const auto& k : sealed) {
      if (set.Find(k.kid)) return AlreadyExists("signing key \"" + k.kid + "\" is already in the Store");
      set.keys.push_back(k);
    }
    seeded = *changed = !sealed.empty();
    return Status::Ok();
  }));
  return seeded;
}

StatusOr<ManagedKey> SigningKeyStore::Add(KeyUse use, const KeyMaterial& m) {
  CERTME_ASSIGN_OR_RETURN(ManagedKey k, Seal(use, m, KeySet::State::kNext));
  CERTME_RETURN_IF_ERROR(Modify([&](ManagedKeySet& set, int64_t now, bool* changed) {
    if (set.Find(k.kid)) return InvalidArgument("kid \"" + k.kid + "\" is already in use; choose another");
    k.added_at = now;
    set.keys.push_back(k);
    *changed = true;
    return Status::Ok();
  }));
  return k;
}

StatusOr<ManagedKey> SigningKeyStore::Promote(std::string_view kid, const RolloverPolicy& policy) {
  ManagedKey result;
  CERTME_RETURN_IF_ERROR(Modify([&](ManagedKeySet& set, int64_t now, bool* changed) {
    auto it = std::find_if(set.keys.begin(), set.keys.end(), [&](const ManagedKey& k) { return k.kid == kid; });
    if (it == set.keys.end()) return NotFound("no signing key \"" + std::string(kid) + "\" (see certme keys list)");
    if (it->state != KeySet::State::kNext)
      return FailedPrecondition("signing key \"" + it->kid + "\" is " + KeyStateName(it->state) +
                                "; only a next key can be promoted");
    int64_t ready_at = it->added_at + policy.pre_publication_seconds;
    if (now < ready_at)
      return FailedPrecondition("signing key \"" + it->kid + "\" is still in its pre-publication period: " +
                                std::to_string(ready_at - now) + " s left (keys.pre_publication_seconds)");
    for (auto& k : set.keys) {
      if (k.use == it->use && k.state == KeySet::State::kActive && SameAlgorithms(k, *it)) {
        k.state = KeySet::State::kRetired;
        k.retired_at = now;
        k.unpublish_at = now + policy.retired_retention_seconds;
      }
    }
    it->state = KeySet::State::kActive;
    it->promoted_at = now;
    result = *it;
    *changed = true;
    return Status::Ok();
  }));
  return result;
}

StatusOr<ManagedKey> SigningKeyStore::Retire(std::string_view kid, const RolloverPolicy& policy) {
  ManagedKey result;
  CERTME_RETURN_IF_ERROR(Modify([&](ManagedKeySet& set, int64_t now, bool* changed) {
    auto it = std::find_if(set.keys.begin(), set.keys.end(), [&](const ManagedKey& k) { return k.kid == kid; });
    if (it == set.keys.end()) return NotFound("no signing key \"" + std::string(kid) + "\" (see certme keys list)");
    if (it->state == KeySet::State::kRetired)
      return FailedPrecondition("signing key \"" + it->kid + "\" is already retired");
    if (it->state == KeySet::State::kNext) {
      // Withdrawn before it signed anything: nothing to keep published.
      it->state = KeySet::State::kRetired;
      it->retired_at = now;
      it->unpublish_at = now;
      result = *it;
      set.keys.erase(it);
      *changed = true;
      return Status::Ok();
    }
    bool successor = std::any_of(set.keys.begin(), set.keys.end(), [&](const ManagedKey& k) {
      return &k != &*it && k.use == it->use && k.state == KeySet::State::kActive && SameAlgorithms(k, *it);
    });
    if (!successor)
      return FailedPrecondition("retiring \"" + it->kid + "\" would leave " + KeyUseName(it->use) + " without an active " +
                                it->key_type + " key: add its successor and promote it (which retires this one)");
    it->state = KeySet::State::kRetired;
    it->retired_at = now;
    it->unpublish_at = now + policy.retired_retention_seconds;
    result = *it;
    *changed = true;
    return Status::Ok();
  }));
  return result;
}

StatusOr<std::string> ReadSigningKek(const std::string& path) { return ReadKekFile(path, "keys.kek_file"); }

StatusOr<std::string> LoadOrCreateDevSigningKek(const std::string& dev_key_dir, Random& random) {
  std::string path = (std::filesystem::path(dev_key_dir) / kKekFileName).string();
  if (std::filesystem::exists(path)) return ReadSigningKek(path);
  std::error_code ec;
  std::filesystem::create_directories(dev_key_dir, ec);
  if (ec) return Unavailable("cannot create development key directory " + dev_key_dir);
  // Replicas sharing the directory may start at once: the file is written
  // whole under a private name, then linked into place, which fails when
  // another got there first; everyone then uses the file's key.
  std::string kek = random.Bytes(kAeadKeyBytes);
  const std::string tmp = path + ".new" + std::to_string(::getpid());
  Status st = WritePrivateFile(tmp, HexEncode(kek) + "\n", /*overwrite=*/true);
  OPENSSL_cleanse(kek.data(), kek.size());
  if (!st.ok()) return st;
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) return Unavailable("cannot create " + path, std::strerror(err));
  return ReadSigningKek(path);
}

}  // namespace certme
