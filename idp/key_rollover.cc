#include "idp/key_rollover.h"

#include <openssl/crypto.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/files.h"
#include "common/log.h"
#include "common/random.h"
#include "crypto/certificate.h"
#include "idp/idp_server.h"
#include "idp/keys.h"
#include "idp/saml_mount.h"

namespace certme {
namespace {

bool HasActive(const ManagedKeySet& set, KeyUse use) {
  for (const auto& k : set.keys)
    if (k.use == use && k.state == KeySet::State::kActive) return true;
  return false;
}

// The SAML key enters the record under a kid of its own (in dev mode it is
// the OIDC RS256 key, whose kid is taken).
StatusOr<KeyMaterial> SamlStartKey(const saml::SamlSigner& signer) {
  CERTME_ASSIGN_OR_RETURN(std::string pem, SigningKeyToPem(*signer.key));
  auto key = ParseSigningKeyPem(pem, "saml-" + JwkThumbprint(*signer.key).substr(0, 12));
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key.ok()) return key.status();
  return KeyMaterial{std::move(*key), signer.certificate_der, KeySet::State::kActive};
}

}  // namespace

StatusOr<KeyMaterial> ParseKeyMaterial(std::string_view data, bool pkcs12, const Secret& password, std::string kid,
                                       std::string_view certificate) {
  KeyMaterial m;
  if (pkcs12) {
    if (!certificate.empty()) return InvalidArgument("a PKCS#12 bundle carries its own certificate");
    CERTME_ASSIGN_OR_RETURN(P12Contents p12, ParseP12(data, password, std::move(kid)));
    m.key = std::move(p12.key);
    m.certificate_der = std::move(p12.certificate_der);
    return m;
  }
  if (password.empty()) {
    CERTME_ASSIGN_OR_RETURN(m.key, ParseSigningKeyPem(data, std::move(kid)));
  } else {
    CERTME_ASSIGN_OR_RETURN(m.key, ParseSigningKeyPem(data, std::move(kid), password));
  }
  if (!certificate.empty()) {
    auto parsed = ParseCertificate(certificate);
    if (!parsed.ok()) return InvalidArgument("certificate: " + parsed.status().message());
    m.certificate_der = std::move(parsed->der);
  }
  return m;
}

RolloverPolicy RolloverPolicyFromConfig(const Config& c) {
  return RolloverPolicy{c.keys.pre_publication_seconds, c.keys.retired_retention_seconds};
}

StatusOr<std::string> SigningKekFromConfig(const Config& c, bool create) {
  if (!c.keys.kek_file.empty()) return ReadSigningKek(c.keys.kek_file);
  if (!c.dev_mode) return std::string();
  if (!create) {
    auto kek = ReadSigningKek(c.keys.dev_key_dir + "/signing-keys.kek");
    if (!kek.ok()) return FailedPrecondition("no signing keys in the store yet: start the bridge once (certme idp)");
    return kek;
  }
  return LoadOrCreateDevSigningKek(c.keys.dev_key_dir, SystemRandom());
}

namespace {

StatusOr<ManagedSigningKeys> OpenManaged(const Config& c, Store& store, KeySet& keys, bool may_reset) {
  ManagedSigningKeys out;
  CERTME_ASSIGN_OR_RETURN(std::string kek, SigningKekFromConfig(c, /*create=*/true));
  if (kek.empty()) return out;
  out.store = std::make_unique<SigningKeyStore>(store, std::move(kek), SystemClock(), SystemRandom());
  const RolloverPolicy policy = RolloverPolicyFromConfig(c);
  CERTME_ASSIGN_OR_RETURN(auto record, out.store->Read());
  if (!record || !HasActive(*record, KeyUse::kOidc)) {
    std::vector<KeyMaterial> start;
    for (const auto& e : keys.Entries()) start.push_back(KeyMaterial{e.key, "", e.state});
    CERTME_ASSIGN_OR_RETURN(bool seeded, out.store->Seed(KeyUse::kOidc, start, policy));
    if (seeded) LogInfo("signing keys copied into the store", {{"use", "oidc"}, {"keys", start.size()}});
  } else if (!c.keys.signing.empty()) {
    LogInfo("signing keys: the store's key set is in use; keys.signing applied at the first start only");
  }
  if (c.saml.enabled && (!record || !HasActive(*record, KeyUse::kSaml))) {
    CERTME_ASSIGN_OR_RETURN(saml::SamlSigner signer, LoadSamlSigner(c, keys));
    CERTME_ASSIGN_OR_RETURN(KeyMaterial m, SamlStartKey(signer));
    CERTME_ASSIGN_OR_RETURN(bool seeded, out.store->Seed(KeyUse::kSaml, {m}, policy));
    if (seeded) LogInfo("signing keys copied into the store", {{"use", "saml"}, {"kid", m.key->kid()}});
  }
  out.watcher = std::make_unique<SigningKeyWatcher>(*out.store, keys, std::chrono::seconds(c.keys.refresh_seconds));
  Status st = out.watcher->Refresh();
  if (st.code() == StatusCode::kUnauthenticated && c.keys.kek_file.empty() && may_reset) {
    // Development only: keys.dev_key_dir was replaced while the store was
    // kept. Its keys cannot be opened any more; start again from this
    // directory's keys (production refuses to start instead).
    LogWarn("development signing keys in the store do not open with keys.dev_key_dir; replacing them");
    CERTME_RETURN_IF_ERROR(store.Delete(kSigningKeyNamespace, kSigningKeyRecord));
    return OpenManaged(c, store, keys, /*may_reset=*/false);
  }
  if (!st.ok()) return Status(st.code(), "signing keys in the store: " + st.message(), st.detail());
  return out;
}

}  // namespace

StatusOr<ManagedSigningKeys> OpenManagedSigningKeys(const Config& c, Store& store, KeySet& keys) {
  return OpenManaged(c, store, keys, /*may_reset=*/true);
}

// ---------------------------------------------------------------- certme keys
namespace {

constexpr char kKeysHelp[] =
    "Usage: certme keys list                          [--config FILE]\n"
    "       certme keys add --use oidc|saml KEYFILE   [--kid KID] [--config FILE]\n"
    "       certme keys promote KID                   [--config FILE]\n"
    "       certme keys retire KID                    [--config FILE]\n\n"
    "Rolls the signing keys of OpenID Connect (JWKS, ID tokens) and SAML (metadata,\n"
    "responses) over without a restart: every replica applies a change within\n"
    "keys.refresh_seconds. KEYFILE is one of\n"
    "  --pem FILE [--certificate CERT.pem]   a PEM private key (and its certificate:\n"
    "                                        required for SAML)\n"
    "  --pkcs12 FILE                         a PKCS#12 bundle (key and certificate)\n"
    "with the password of an encrypted file from --password-env VAR or\n"
    "--password-file FILE (first line). Without --kid the key's RFC 7638 thumbprint\n"
    "is its kid.\n\n"
    "  add      publishes the key as next (JWKS, SAML metadata); it signs nothing yet\n"
    "  promote  makes a next key sign, once keys.pre_publication_seconds have passed\n"
    "           since it was added; the key it replaces is retired\n"
    "  retire   withdraws a next key, or retires an active one that another active\n"
    "           key of the same use and type replaces; a retired key stays in the\n"
    "           JWKS for keys.retired_retention_seconds\n"
    "The store's key set needs keys.kek_file (dev mode: kept in keys.dev_key_dir).\n";

struct KeysArgs {
  std::string config, use, pem, certificate, pkcs12, password_env, password_file, kid;
  std::vector<std::string> positional;
};

int Fail(const std::string& cmd, const std::string& what, int code = 1) {
  std::fprintf(stderr, "certme keys %s: %s\n", cmd.c_str(), what.c_str());
  return code;
}

std::string StatusText(const Status& st) { return st.message(); }

std::string Time(int64_t unix_seconds) {
  if (unix_seconds == 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

StatusOr<Secret> Password(const KeysArgs& a) {
  if (!a.password_env.empty() && !a.password_file.empty())
    return InvalidArgument("give at most one of --password-env and --password-file");
  if (!a.password_env.empty()) {
    const char* v = std::getenv(a.password_env.c_str());
    if (!v) return NotFound("environment variable " + a.password_env + " is not set");
    return Secret(v);
  }
  if (!a.password_file.empty()) {
    return ReadPasswordFile(a.password_file);
  }
  return Secret("");
}

// The key (and certificate) named on the command line; errors name the file.
StatusOr<KeyMaterial> ReadKeyMaterial(const KeysArgs& a) {
  if (a.pem.empty() == a.pkcs12.empty()) return InvalidArgument("give exactly one of --pem FILE and --pkcs12 FILE");
  if (!a.pkcs12.empty() && !a.certificate.empty())
    return InvalidArgument("--certificate goes with --pem (a PKCS#12 bundle carries its own)");
  CERTME_ASSIGN_OR_RETURN(Secret password, Password(a));
  const std::string& path = a.pem.empty() ? a.pkcs12 : a.pem;
  auto data = ReadSmallFile(path, 1 << 20);
  if (!data.ok()) return NotFound(path + ": the key file is missing or unreadable");
  std::string cert;
  if (!a.certificate.empty()) {
    auto c = ReadSmallFile(a.certificate, 1 << 20);
    if (!c.ok()) return NotFound(a.certificate + ": the certificate file is missing or unreadable");
    cert = std::move(*c);
  }
  auto m = ParseKeyMaterial(*data, !a.pkcs12.empty(), password, a.kid, cert);
  OPENSSL_cleanse(data->data(), data->size());
  if (!m.ok()) {
    const bool cert_error = m.status().message().rfind("certificate:", 0) == 0;
    return Status(m.status().code(), (cert_error ? a.certificate : path) + ": " + m.status().message(),
                  m.status().detail());
  }
  return m;
}

void PrintKey(const ManagedKey& k) {
  std::printf("%-28s %-5s %-4s %-8s added %s  promoted %s  retired %s  unpublished %s\n", k.kid.c_str(),
              KeyUseName(k.use), k.key_type.c_str(), KeyStateName(k.state), Time(k.added_at).c_str(),
              Time(k.promoted_at).c_str(), Time(k.retired_at).c_str(),
              k.state == KeySet::State::kRetired ? Time(k.unpublish_at).c_str() : "-");
}

}  // namespace

int RunKeysCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kKeysHelp, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  KeysArgs a;
  if (const char* env = std::getenv("CERTME_CONFIG")) a.config = env;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& s = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) return false;
      *out = args[++i];
      return true;
    };
    bool ok = true;
    if (s == "--config") ok = value(&a.config);
    else if (s == "--use") ok = value(&a.use);
    else if (s == "--pem") ok = value(&a.pem);
    else if (s == "--certificate") ok = value(&a.certificate);
    else if (s == "--pkcs12") ok = value(&a.pkcs12);
    else if (s == "--password-env") ok = value(&a.password_env);
    else if (s == "--password-file") ok = value(&a.password_file);
    else if (s == "--kid") ok = value(&a.kid);
    else if (s.rfind("--", 0) == 0) return Fail(cmd, "unknown option " + s + " (see --help)", 2);
    else a.positional.push_back(s);
    if (!ok) return Fail(cmd, s + " needs a value", 2);
  }
  const bool takes_kid = cmd == "promote" || cmd == "retire";
  if (cmd != "list" && cmd != "add" && !takes_kid) return Fail(cmd, "unknown command (see --help)", 2);
  if (takes_kid != (a.positional.size() == 1) || (!takes_kid && !a.positional.empty()))
    return Fail(cmd, takes_kid ? "name exactly one KID" : "unexpected argument " + a.positional[0], 2);

  auto cfg = LoadConfig(a.config, SystemEnv());
  if (!cfg.ok()) return Fail(cmd, "configuration error: " + cfg.status().message(), 2);
  if (auto problems = Validate(*cfg); !problems.empty()) return Fail(cmd, "configuration is not usable: " + problems[0], 2);
  if (cfg->store.backend == kStoreBackendMemory)
    return Fail(cmd, "store.backend is memory, private to the bridge's process: use sqlite or redis to roll keys over", 2);
  auto kek = SigningKekFromConfig(*cfg, /*create=*/false);
  if (!kek.ok()) return Fail(cmd, StatusText(kek.status()));
  if (kek->empty())
    return Fail(cmd, "keys.kek_file is not set: the signing keys are not kept in the store (see docs/operations.md)", 2);

  // Read the key file before opening the store: a bad file changes nothing.
  KeyMaterial material;
  std::optional<KeyUse> use;
  if (cmd == "add") {
    use = ParseKeyUse(a.use);
    if (!use) return Fail(cmd, "--use must be oidc or saml", 2);
    auto m = ReadKeyMaterial(a);
    if (!m.ok()) return Fail(cmd, StatusText(m.status()));
    material = std::move(*m);
  }
  auto store = OpenConfiguredStore(*cfg);
  if (!store.ok()) return Fail(cmd, "cannot open the store: " + store.status().message());
  SigningKeyStore keys(**store, std::move(*kek), SystemClock(), SystemRandom());
  auto record = keys.Read();
  if (!record.ok()) return Fail(cmd, StatusText(record.status()));
  if (!*record) return Fail(cmd, "no signing keys in the store yet: start the bridge once (certme idp)");
  const RolloverPolicy policy = RolloverPolicyFromConfig(*cfg);

  if (cmd == "list") {
    std::printf("key set version %lld\n", static_cast<long long>((*record)->version));
    for (const auto& k : (*record)->keys) PrintKey(k);
    return 0;
  }
  StatusOr<ManagedKey> done = cmd == "add"       ? keys.Add(*use, material)
                              : cmd == "promote" ? keys.Promote(a.positional[0], policy)
                                                 : keys.Retire(a.positional[0], policy);
  if (!done.ok()) return Fail(cmd, StatusText(done.status()));
  PrintKey(*done);
  if (cmd == "add")
    std::printf("published as next; promote it from %s (keys.pre_publication_seconds)\n",
                Time(done->added_at + policy.pre_publication_seconds).c_str());
  return 0;
}

}  // namespace certme
