// Key loading, JWK import/export and the EVP-backed PublicKey/SigningKey.
//
// Every key is parsed once into an EVP_PKEY; its public JWK and PEM are
// computed at construction, so the objects are immutable afterwards and
// safe to share between threads. OpenSSL 3 allows concurrent use of one
// EVP_PKEY by several EVP_MD_CTX/EVP_PKEY_CTX as long as nobody modifies it;
// contexts are therefore created per call and never shared.
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

#include "common/encoding.h"
#include "crypto/certificate.h"
#include "crypto/evp.h"
#include "crypto/hash.h"
#include "crypto/jose.h"
#include "crypto/openssl_util.h"

namespace certme {
namespace {

using namespace crypto_internal;

enum class KeyKind { kRsa, kP256, kEd25519 };

// RFC 7518 §3.3: RSA keys of 2048 bits or more. The upper bound caps the
// verification cost a client can impose with a registered key.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kMaxKeyFileSize = 1 << 20;
constexpr size_t kMaxJwksKeys = 100;

// PEM password callback. Without a Secret it refuses, so an encrypted PEM
// fails instead of OpenSSL's default of prompting on the terminal.
int PasswordCallback(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pw = static_cast<const Secret*>(u);
  if (pw == nullptr) return -1;
  const std::string& v = pw->reveal();
  if (v.size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, v.data(), v.size());
  return static_cast<int>(v.size());
}

std::string BnToBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

StatusOr<KeyKind> KindOf(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(pkey);
      if (bits < kMinRsaBits || bits > kMaxRsaBits)
        return InvalidArgument("RSA key size not accepted (2048..8192 bits)",
                               "bits=" + std::to_string(bits));
      return KeyKind::kRsa;
    }
    case EVP_PKEY_EC: {
      char name[80] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                         &len) != 1) {
        return InvalidArgument("EC key without a named curve", TakeOpenSslErrors());
      }
      if (std::string_view(name, len) != "prime256v1")
        return InvalidArgument("EC curve not supported (only P-256)", std::string(name, len));
      return KeyKind::kP256;
    }
    case EVP_PKEY_ED25519:
      return KeyKind::kEd25519;
    case EVP_PKEY_RSA_PSS:
      return InvalidArgument("RSA-PSS-restricted keys are not supported; use a plain RSA key");
    default: {
      const char* type = EVP_PKEY_get0_type_name(pkey);
      return InvalidArgument("key type not supported (RSA, EC P-256 or Ed25519)",
                             type ? type : "unknown");
    }
  }
}

// The RFC 7638 required members of a public key, and nothing else.
StatusOr<nlohmann::json> PublicMembers(EVP_PKEY* pkey, KeyKind kind) {
  nlohmann::json j = nlohmann::json::object();
  switch (kind) {
    case KeyKind::kRsa: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
                EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1;
      BnPtr n_owner(n), e_owner(e);
      if (!ok) return Internal("cannot read RSA key", TakeOpenSslErrors());
      j["kty"] = "RSA";
      j["n"] = Base64UrlEncode(BnToBytes(n));
      j["e"] = Base64UrlEncode(BnToBytes(e));
      break;
    }
    case KeyKind::kP256: {
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      bool ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1;
      BnPtr x_owner(x), y_owner(y);
      if (!ok) return Internal("cannot read EC key", TakeOpenSslErrors());
      // RFC 7518 §6.2.1.2: coordinates are always the full 32 octets.
      std::string xb(32, '\0'), yb(32, '\0');
      if (BN_bn2binpad(x, reinterpret_cast<unsigned char*>(xb.data()), 32) != 32 ||
          BN_bn2binpad(y, reinterpret_cast<unsigned char*>(yb.data()), 32) != 32) {
        return Internal("EC coordinate too large", TakeOpenSslErrors());
      }
      j["kty"] = "EC";
      j["crv"] = "P-256";
      j["x"] = Base64UrlEncode(xb);
      j["y"] = Base64UrlEncode(yb);
      break;
    }
    case KeyKind::kEd25519: {
      unsigned char raw[32];
      size_t len = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != 32)
        return Internal("cannot read Ed25519 key", TakeOpenSslErrors());
      j["kty"] = "OKP";  // RFC 8037 §2
      j["crv"] = "Ed25519";
      j["x"] = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), len));
      break;
    }
  }
  return j;
}

// RFC 7638 §3: SHA-256 over the required members in lexicographic order with
// no whitespace. nlohmann::json objects are sorted maps and dump() emits no
// whitespace, and all member values are base64url/ASCII, so dump() is the
// canonical form.
std::string ThumbprintOfMembers(const nlohmann::json& members) {
  return Base64UrlEncode(Sha256(members.dump()));
}

nlohmann::json RequiredMembers(const nlohmann::json& jwk) {
  static const std::vector<std::string> kRsa = {"e", "kty", "n"};
  static const std::vector<std::string> kEc = {"crv", "kty", "x", "y"};
  static const std::vector<std::string> kOkp = {"crv", "kty", "x"};
  nlohmann::json out = nlohmann::json::object();
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return out;
  const std::string& t = kty->get_ref<const std::string&>();
  const auto& names = t == "RSA" ? kRsa : t == "EC" ? kEc : kOkp;
  for (const auto& n : names) {
    auto it = jwk.find(n);
    if (it != jwk.end()) out[n] = *it;
  }
  return out;
}

bool SetPss(EVP_PKEY_CTX* pctx) {
  // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash (32).
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Sha256Md()) > 0;
}

// RFC 7518 §3.4: ES256 signatures are R || S, each 32 octets big-endian;
// OpenSSL speaks DER (RFC 3279 Ecdsa-Sig-Value).
std::optional<std::string> JoseToDer(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(U8(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(U8(raw.substr(32)), 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

std::optional<std::string> DerToJose(std::string_view der) {
  const unsigned char* p = U8(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(64, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, 32) != 32 || BN_bn2binpad(s, o + 32, 32) != 32) return std::nullopt;
  return out;
}

// Everything both key classes share. Immutable after Make().
class KeyCore {
 public:
  // `thumbprint_kid`: an empty kid becomes the RFC 7638 thumbprint.
  static StatusOr<KeyCore> Make(PkeyPtr pkey, std::string kid, std::optional<JwsAlg> only_alg,
                                bool thumbprint_kid) {
    if (!pkey) return InvalidArgument("no key");
    CERTME_ASSIGN_OR_RETURN(KeyKind kind, KindOf(pkey.get()));
    CERTME_ASSIGN_OR_RETURN(nlohmann::json members, PublicMembers(pkey.get(), kind));
    KeyCore core;
    core.kind_ = kind;
    if (only_alg) {
      core.only_alg_ = only_alg;
    } else if (kind == KeyKind::kP256) {
      core.only_alg_ = JwsAlg::kES256;
    } else if (kind == KeyKind::kEd25519) {
      core.only_alg_ = JwsAlg::kEdDSA;
    }
    if (core.only_alg_ && !core.TypeSupports(*core.only_alg_))
      return InvalidArgument("JWK alg does not match its key type");
    core.kid_ = kid.empty() && thumbprint_kid ? ThumbprintOfMembers(members) : std::move(kid);
    core.jwk_ = members;
    if (!core.kid_.empty()) core.jwk_["kid"] = core.kid_;
    core.jwk_["use"] = "sig";
    if (core.only_alg_) core.jwk_["alg"] = JwsAlgName(*core.only_alg_);

    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1)
      return Internal("cannot encode public key", TakeOpenSslErrors());
    core.pem_ = BioContents(bio.get());
    core.pkey_ = std::move(pkey);
    return core;
  }

  EVP_PKEY* pkey() const { return pkey_.get(); }
  const std::string& kid() const { return kid_; }
  const nlohmann::json& jwk() const { return jwk_; }
  const std::string& pem() const { return pem_; }

  bool Supports(JwsAlg alg) const {
    if (only_alg_) return alg == *only_alg_;
    return TypeSupports(alg);
  }

  bool Verify(JwsAlg alg, std::string_view data, std::string_view sig) const {
    if (!Supports(alg)) return false;
    std::string der;
    if (alg == JwsAlg::kES256) {
      auto d = JoseToDer(sig);  // rejects anything but exactly 64 bytes
      if (!d) {
        TakeOpenSslErrors();
        return false;
      }
      der = std::move(*d);
      sig = der;
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) return false;
    // FINALISE: a one-shot context; spares OpenSSL from duplicating the key
    // context inside EVP_DigestVerifyFinal.
    EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = EVP_DigestVerifyInit(ctx.get(), &pctx, Digest(), nullptr, pkey_.get()) == 1 &&
              (alg != JwsAlg::kPS256 || SetPss(pctx)) &&
              EVP_DigestVerify(ctx.get(), U8(sig), sig.size(), U8(data), data.size()) == 1;
    if (!ok) TakeOpenSslErrors();
    return ok;
  }

  StatusOr<std::string> Sign(JwsAlg alg, std::string_view data) const {
    if (!Supports(alg))
      return InvalidArgument("key cannot sign with this algorithm",
                             std::string(JwsAlgName(alg)) + " with kid " + kid_);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) return Internal("out of memory");
    EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
    EVP_PKEY_CTX* pctx = nullptr;
    size_t len = static_cast<size_t>(EVP_PKEY_get_size(pkey_.get()));
    std::string sig(len, '\0');
    bool ok = EVP_DigestSignInit(ctx.get(), &pctx, Digest(), nullptr, pkey_.get()) == 1 &&
              (alg != JwsAlg::kPS256 || SetPss(pctx)) &&
              EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                             U8(data), data.size()) == 1;
    if (!ok) return Internal("signing failed", TakeOpenSslErrors());
    sig.resize(len);
    if (alg == JwsAlg::kES256) {
      auto raw = DerToJose(sig);
      if (!raw) return Internal("signing failed", "bad ECDSA DER from OpenSSL");
      return std::move(*raw);
    }
    return sig;
  }

 private:
  bool TypeSupports(JwsAlg alg) const {
    switch (kind_) {
      case KeyKind::kRsa:
        return alg == JwsAlg::kRS256 || alg == JwsAlg::kPS256;
      case KeyKind::kP256:
        return alg == JwsAlg::kES256;
      case KeyKind::kEd25519:
        return alg == JwsAlg::kEdDSA;
    }
    return false;
  }
  // Ed25519 signs the message itself (RFC 8032 PureEdDSA): no digest.
  const EVP_MD* Digest() const { return kind_ == KeyKind::kEd25519 ? nullptr : Sha256Md(); }

  PkeyPtr pkey_;
  KeyKind kind_ = KeyKind::kRsa;
  std::optional<JwsAlg> only_alg_;
  std::string kid_;
  nlohmann::json jwk_;
  std::string pem_;
};

class EvpPublicKey final : public PublicKey {
 public:
  explicit EvpPublicKey(KeyCore core) : core_(std::move(core)) {}
  const std::string& kid() const override { return core_.kid(); }
  bool Supports(JwsAlg alg) const override { return core_.Supports(alg); }
  bool Verify(JwsAlg alg, std::string_view data, std::string_view sig) const override {
    return core_.Verify(alg, data, sig);
  }
  nlohmann::json ToJwk() const override { return core_.jwk(); }
  std::string ToPem() const override { return core_.pem(); }
  const KeyCore& core() const { return core_; }

 private:
  KeyCore core_;
};

class EvpSigningKey final : public SigningKey {
 public:
  explicit EvpSigningKey(KeyCore core) : core_(std::move(core)) {}
  const std::string& kid() const override { return core_.kid(); }
  bool Supports(JwsAlg alg) const override { return core_.Supports(alg); }
  bool Verify(JwsAlg alg, std::string_view data, std::string_view sig) const override {
    return core_.Verify(alg, data, sig);
  }
  nlohmann::json ToJwk() const override { return core_.jwk(); }
  std::string ToPem() const override { return core_.pem(); }
  StatusOr<std::string> Sign(JwsAlg alg, std::string_view data) const override {
    return core_.Sign(alg, data);
  }
  const KeyCore& core() const { return core_; }

 private:
  KeyCore core_;
};

StatusOr<std::shared_ptr<PublicKey>> MakePublicKey(PkeyPtr pkey, std::string kid,
                                                   std::optional<JwsAlg> only_alg = {}) {
  CERTME_ASSIGN_OR_RETURN(KeyCore core,
                          KeyCore::Make(std::move(pkey), std::move(kid), only_alg, false));
  return std::shared_ptr<PublicKey>(std::make_shared<EvpPublicKey>(std::move(core)));
}

StatusOr<std::shared_ptr<SigningKey>> MakeSigningKey(PkeyPtr pkey, std::string kid) {
  CERTME_ASSIGN_OR_RETURN(KeyCore core, KeyCore::Make(std::move(pkey), std::move(kid), {}, true));
  auto key = std::make_shared<EvpSigningKey>(std::move(core));
  // Load-time self-test: catches a public-only key, or an RSA key whose
  // components disagree, at start-up instead of on the first login.
  JwsAlg alg = key->Supports(JwsAlg::kRS256)   ? JwsAlg::kRS256
               : key->Supports(JwsAlg::kES256) ? JwsAlg::kES256
                                               : JwsAlg::kEdDSA;
  static constexpr std::string_view kProbe = "certme key self-test";
  auto sig = key->Sign(alg, kProbe);
  if (!sig.ok()) return InvalidArgument("not a usable private key", sig.status().detail());
  if (!key->Verify(alg, kProbe, *sig))
    return InvalidArgument("private key fails its own signature check");
  return std::shared_ptr<SigningKey>(std::move(key));
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("key file not readable", path);
  std::string data;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxKeyFileSize) return InvalidArgument("key file too large", path);
  }
  return data;
}

StatusOr<std::shared_ptr<SigningKey>> ParsePrivatePem(std::string_view pem, std::string kid,
                                                      const Secret* password) {
  BioPtr bio = MemBio(pem);
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordCallback,
                                       const_cast<Secret*>(password)));
  if (!pkey) return InvalidArgument("not a PEM private key (or wrong password)", TakeOpenSslErrors());
  return MakeSigningKey(std::move(pkey), std::move(kid));
}

// Pre-OpenSSL-3 PKCS#12 ciphers (RC2-40, 3DES) live in the legacy provider.
// Loaded on first need only, keeping the default provider as fallback, and
// unloaded at exit (OpenSSL's own cleanup does not free it; leak checkers
// would report it).
OSSL_PROVIDER* g_legacy_provider = nullptr;
bool LoadLegacyProvider() {
  static const bool loaded = [] {
    g_legacy_provider = OSSL_PROVIDER_try_load(nullptr, "legacy", 1);
    if (!g_legacy_provider) return false;
    std::atexit([] { OSSL_PROVIDER_unload(g_legacy_provider); });
    return true;
  }();
  if (!loaded) TakeOpenSslErrors();
  return loaded;
}

// Base64url member of a JWK, strictly decoded (no padding, canonical).
StatusOr<std::string> B64Member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string())
    return InvalidArgument(std::string("JWK member \"") + name + "\" missing or not a string");
  const std::string& text = it->get_ref<const std::string&>();
  if (text.find('=') != std::string::npos)
    return InvalidArgument(std::string("JWK member \"") + name + "\" is not base64url");
  auto bytes = Base64UrlDecode(text);
  if (!bytes || bytes->empty())
    return InvalidArgument(std::string("JWK member \"") + name + "\" is not base64url");
  return std::move(*bytes);
}

StatusOr<PkeyPtr> PkeyFromData(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return InvalidArgument("invalid JWK key material", TakeOpenSslErrors());
  }
  PkeyPtr pkey(raw);
  // Point on the curve, not infinity; RSA n/e sanity.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return InvalidArgument("invalid JWK key material", TakeOpenSslErrors());
  return pkey;
}

StatusOr<PkeyPtr> RsaFromJwk(const nlohmann::json& jwk) {
  CERTME_ASSIGN_OR_RETURN(std::string n, B64Member(jwk, "n"));
  CERTME_ASSIGN_OR_RETURN(std::string e, B64Member(jwk, "e"));
  if (n.size() > kMaxRsaBits / 8 + 1) return InvalidArgument("RSA modulus too large");
  if (e.size() > 8) return InvalidArgument("RSA exponent too large");
  BnPtr bn_n(BN_bin2bn(U8(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(U8(e), static_cast<int>(e.size()), nullptr));
  if (!bn_n || !bn_e) return Internal("out of memory");
  if (!BN_is_odd(bn_n.get()) || !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()))
    return InvalidArgument("invalid RSA key material");
  if (BN_num_bits(bn_n.get()) < kMinRsaBits || BN_num_bits(bn_n.get()) > kMaxRsaBits)
    return InvalidArgument("RSA key size not accepted (2048..8192 bits)");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Internal("out of memory", TakeOpenSslErrors());
  }
  return PkeyFromData("RSA", bld.get());
}

StatusOr<PkeyPtr> EcFromJwk(const nlohmann::json& jwk) {
  CERTME_ASSIGN_OR_RETURN(std::string x, B64Member(jwk, "x"));
  CERTME_ASSIGN_OR_RETURN(std::string y, B64Member(jwk, "y"));
  // RFC 7518 §6.2.1.2/§6.2.1.3: exactly the coordinate size, no trimming.
  if (x.size() != 32 || y.size() != 32) return InvalidArgument("P-256 coordinates must be 32 bytes");
  std::string point = "\x04" + x + y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Internal("out of memory", TakeOpenSslErrors());
  }
  return PkeyFromData("EC", bld.get());
}

StatusOr<PkeyPtr> Ed25519FromJwk(const nlohmann::json& jwk) {
  CERTME_ASSIGN_OR_RETURN(std::string x, B64Member(jwk, "x"));
  if (x.size() != 32) return InvalidArgument("Ed25519 public key must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, U8(x), x.size()));
  if (!pkey) return InvalidArgument("invalid Ed25519 key", TakeOpenSslErrors());
  return pkey;
}

const std::string* StringMember(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

StatusOr<std::shared_ptr<PublicKey>> PublicKeyFromCertificate(const Certificate& cert, std::string kid) {
  // x5t#S256 (RFC 7517 §4.9): base64url SHA-256 of the DER certificate.
  if (kid.empty()) kid = Base64UrlEncode(cert.sha256);
  PkeyPtr pkey(X509_get_pubkey(cert.x509.get()));
  if (!pkey) return InvalidArgument("certificate key not readable", TakeOpenSslErrors());
  return MakePublicKey(std::move(pkey), std::move(kid));
}

}  // namespace

const char* JwsAlgName(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRS256:
      return "RS256";
    case JwsAlg::kPS256:
      return "PS256";
    case JwsAlg::kES256:
      return "ES256";
    case JwsAlg::kEdDSA:
      return "EdDSA";
  }
  return "";
}

std::optional<JwsAlg> ParseJwsAlg(std::string_view name) {
  // Case-sensitive (RFC 7515 §4.1.1).
  if (name == "RS256") return JwsAlg::kRS256;
  if (name == "PS256") return JwsAlg::kPS256;
  if (name == "ES256") return JwsAlg::kES256;
  if (name == "EdDSA") return JwsAlg::kEdDSA;
  return std::nullopt;
}

EVP_PKEY* BorrowEvpPkey(const PublicKey& key) {
  if (const auto* s = dynamic_cast<const EvpSigningKey*>(&key)) return s->core().pkey();
  if (const auto* p = dynamic_cast<const EvpPublicKey*>(&key)) return p->core().pkey();
  return nullptr;
}

StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyPem(const std::string& path, std::string kid) {
  CERTME_ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  return ParsePrivatePem(pem, std::move(kid), nullptr);
}

StatusOr<std::shared_ptr<SigningKey>> ParseSigningKeyPem(std::string_view pem, std::string kid) {
  return ParsePrivatePem(pem, std::move(kid), nullptr);
}

StatusOr<std::shared_ptr<SigningKey>> ParseSigningKeyPem(std::string_view pem, std::string kid,
                                                         const Secret& password) {
  return ParsePrivatePem(pem, std::move(kid), &password);
}

StatusOr<P12Contents> ParseP12(std::string_view der, const Secret& password, std::string kid) {
  BioPtr bio = MemBio(der);
  Pkcs12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
  if (!p12) return InvalidArgument("not a PKCS#12 file", TakeOpenSslErrors());
  const std::string& pw = password.reveal();
  // Check the MAC first so a wrong password is reported as such rather than
  // as a decryption failure. An empty password may have been encoded either
  // as absent or as "" (PKCS#12 ambiguity); try both.
  if (PKCS12_mac_present(p12.get())) {
    bool mac_ok = PKCS12_verify_mac(p12.get(), pw.c_str(), static_cast<int>(pw.size())) == 1 ||
                  (pw.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1);
    if (!mac_ok) return Unauthenticated("wrong PKCS#12 password", TakeOpenSslErrors());
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_ca = nullptr;
  int ok = PKCS12_parse(p12.get(), pw.c_str(), &raw_key, &raw_cert, &raw_ca);
  if (ok != 1) {
    std::string first_error = TakeOpenSslErrors();
    if (!LoadLegacyProvider() ||
        PKCS12_parse(p12.get(), pw.c_str(), &raw_key, &raw_cert, &raw_ca) != 1) {
      return InvalidArgument("PKCS#12 bundle cannot be decrypted",
                             first_error + " | " + TakeOpenSslErrors());
    }
  }
  PkeyPtr pkey(raw_key);
  X509Ptr cert(raw_cert);
  P12Contents out;
  if (raw_ca) {
    for (int i = 0; i < sk_X509_num(raw_ca); ++i) {
      auto d = CertificateDer(sk_X509_value(raw_ca, i));
      if (d.ok()) out.chain_der.push_back(std::move(*d));
    }
    sk_X509_pop_free(raw_ca, X509_free);
  }
  if (!pkey) return InvalidArgument("PKCS#12 bundle has no private key");
  if (cert) {
    CERTME_ASSIGN_OR_RETURN(out.certificate_der, CertificateDer(cert.get()));
    if (X509_check_private_key(cert.get(), pkey.get()) != 1) {
      return InvalidArgument("PKCS#12 certificate does not match its private key",
                             TakeOpenSslErrors());
    }
  }
  CERTME_ASSIGN_OR_RETURN(out.key, MakeSigningKey(std::move(pkey), std::move(kid)));
  return out;
}

StatusOr<std::shared_ptr<SigningKey>> LoadSigningKeyP12(const std::string& path,
                                                        const Secret& password, std::string kid) {
  CERTME_ASSIGN_OR_RETURN(std::string der, ReadFile(path));
  CERTME_ASSIGN_OR_RETURN(P12Contents contents, ParseP12(der, password, std::move(kid)));
  return contents.key;
}

StatusOr<std::shared_ptr<SigningKey>> GenerateSigningKey(std::string_view kty, std::string kid) {
  EVP_PKEY* raw = nullptr;
  if (kty == "RSA") {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (kty == "EC") {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (kty == "OKP") {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    return InvalidArgument("unknown key type (RSA, EC or OKP)", std::string(kty));
  }
  if (!raw) return Internal("key generation failed", TakeOpenSslErrors());
  return MakeSigningKey(PkeyPtr(raw), std::move(kid));
}

StatusOr<std::string> SigningKeyToPem(const SigningKey& key) {
  EVP_PKEY* pkey = BorrowEvpPkey(key);
  if (!pkey) return InvalidArgument("not an OpenSSL-backed key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  // OpenSSL 3 writes PKCS#8 ("PRIVATE KEY") here.
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Internal("cannot encode private key", TakeOpenSslErrors());
  return BioContents(bio.get());
}

StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return InvalidArgument("JWK is not a JSON object");
  const std::string* kty = StringMember(jwk, "kty");
  if (!kty) return InvalidArgument("JWK has no \"kty\"");
  if (auto it = jwk.find("use"); it != jwk.end()) {
    if (!it->is_string() || *it != "sig") return InvalidArgument("JWK \"use\" is not \"sig\"");
  }
  std::optional<JwsAlg> alg;
  if (auto it = jwk.find("alg"); it != jwk.end()) {
    if (!it->is_string()) return InvalidArgument("JWK \"alg\" is not a string");
    alg = ParseJwsAlg(it->get_ref<const std::string&>());
    if (!alg) return InvalidArgument("JWK \"alg\" not supported", it->get<std::string>());
  }
  std::string kid;
  if (auto it = jwk.find("kid"); it != jwk.end()) {
    if (!it->is_string()) return InvalidArgument("JWK \"kid\" is not a string");
    kid = it->get<std::string>();
  }
  PkeyPtr pkey;
  if (*kty == "RSA") {
    CERTME_ASSIGN_OR_RETURN(pkey, RsaFromJwk(jwk));
  } else if (*kty == "EC") {
    const std::string* crv = StringMember(jwk, "crv");
    if (!crv || *crv != "P-256")
      return InvalidArgument("JWK EC curve not supported (only P-256)", crv ? *crv : "");
    CERTME_ASSIGN_OR_RETURN(pkey, EcFromJwk(jwk));
  } else if (*kty == "OKP") {
    const std::string* crv = StringMember(jwk, "crv");
    if (!crv || *crv != "Ed25519")
      return InvalidArgument("JWK OKP curve not supported (only Ed25519)", crv ? *crv : "");
    CERTME_ASSIGN_OR_RETURN(pkey, Ed25519FromJwk(jwk));
  } else {
    return InvalidArgument("JWK \"kty\" not supported (RSA, EC, OKP)", *kty);
  }
  return MakePublicKey(std::move(pkey), std::move(kid), alg);
}

StatusOr<std::vector<std::shared_ptr<const PublicKey>>> ParsePublicKeyJwks(
    const nlohmann::json& jwks) {
  if (!jwks.is_object()) return InvalidArgument("JWKS is not a JSON object");
  auto keys = jwks.find("keys");
  if (keys == jwks.end() || !keys->is_array()) return InvalidArgument("JWKS has no \"keys\" array");
  if (keys->size() > kMaxJwksKeys) return InvalidArgument("JWKS has too many keys");
  std::vector<std::shared_ptr<const PublicKey>> out;
  for (const auto& jwk : *keys) {
    auto key = ParsePublicKeyJwk(jwk);
    if (key.ok()) out.push_back(std::move(*key));
  }
  if (out.empty()) return NotFound("JWKS has no usable signature key");
  return out;
}

StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyPem(std::string_view pem, std::string kid) {
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    CERTME_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(pem));
    return PublicKeyFromCertificate(cert, std::move(kid));
  }
  BioPtr bio = MemBio(pem);
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, PasswordCallback, nullptr));
  if (!pkey) return InvalidArgument("not a PEM public key", TakeOpenSslErrors());
  return MakePublicKey(std::move(pkey), std::move(kid));
}

StatusOr<std::shared_ptr<PublicKey>> ParsePublicKeyFromCertificate(std::string_view pem_or_der) {
  CERTME_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(pem_or_der));
  return PublicKeyFromCertificate(cert, "");
}

std::string JwkThumbprint(const PublicKey& key) {
  return ThumbprintOfMembers(RequiredMembers(key.ToJwk()));
}

}  // namespace certme
