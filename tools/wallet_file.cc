#include "tools/wallet_file.h"

#include <argon2.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"

namespace certme {
namespace {

using nlohmann::json;

constexpr char kWalletFormat[] = "certme-wallet-1";
constexpr char kEnrollmentFormat[] = "certme-enrollment-1";
constexpr char kPresentationFormat[] = "certme-presentation-1";
constexpr size_t kMaxAttributes = 64;

std::string Hex(std::string_view b) { return "0x" + HexEncode(b); }

// nlohmann throws on type mismatches; these accessors turn every shape
// problem into a Status naming the field.
StatusOr<const json*> Member(const json& obj, const char* name) {
  if (!obj.is_object() || !obj.contains(name)) return InvalidArgument(std::string("missing \"") + name + "\"");
  return &obj[name];
}

StatusOr<std::string> StringMember(const json& obj, const char* name) {
  CERTME_ASSIGN_OR_RETURN(const json* v, Member(obj, name));
  if (!v->is_string()) return InvalidArgument(std::string("\"") + name + "\" must be a string");
  return v->get<std::string>();
}

StatusOr<uint64_t> UintMember(const json& obj, const char* name, uint64_t max) {
  CERTME_ASSIGN_OR_RETURN(const json* v, Member(obj, name));
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max)
    return InvalidArgument(std::string("\"") + name + "\" must be an integer 0-" + std::to_string(max));
  return v->get<uint64_t>();
}

StatusOr<std::string> AddressMember(const json& obj, const char* name) {
  CERTME_ASSIGN_OR_RETURN(std::string s, StringMember(obj, name));
  auto a = ParseAddress(s);
  if (!a.ok()) return InvalidArgument(std::string("\"") + name + "\" is not an address");
  return *a;
}

StatusOr<std::string> HexMember(const json& obj, const char* name, size_t exact_len) {
  CERTME_ASSIGN_OR_RETURN(std::string s, StringMember(obj, name));
  auto b = HexDecode(s);
  if (!b || (exact_len && b->size() != exact_len))
    return InvalidArgument(std::string("\"") + name + "\" must be " + std::to_string(exact_len) + " bytes of hex");
  return *b;
}

StatusOr<std::string> B64Member(const json& obj, const char* name, size_t max_len) {
  CERTME_ASSIGN_OR_RETURN(std::string s, StringMember(obj, name));
  auto b = Base64UrlDecode(s);
  if (!b || b->size() > max_len) return InvalidArgument(std::string("\"") + name + "\" is not valid base64url");
  return *b;
}

json AttributesJson(const std::vector<DisclosedAttribute>& attrs) {
  json a = json::array();
  for (const auto& x : attrs) a.push_back({{"name", x.name}, {"value", x.value}, {"salt", Hex(abi::AsView(x.salt))}});
  return a;
}

StatusOr<std::vector<DisclosedAttribute>> ParseAttributes(const json& obj) {
  CERTME_ASSIGN_OR_RETURN(const json* arr, Member(obj, "attributes"));
  if (!arr->is_array() || arr->size() > kMaxAttributes)
    return InvalidArgument("\"attributes\" must be a list of at most " + std::to_string(kMaxAttributes));
  std::vector<DisclosedAttribute> out;
  for (const auto& item : *arr) {
    DisclosedAttribute a;
    CERTME_ASSIGN_OR_RETURN(a.name, StringMember(item, "name"));
    if (!IsValidAttributeName(a.name)) return InvalidArgument("attribute name is not valid");
    CERTME_ASSIGN_OR_RETURN(a.value, StringMember(item, "value"));
    if (a.value.size() > kMaxAttributeValueBytes) return InvalidArgument("attribute \"" + a.name + "\" is too long");
    CERTME_ASSIGN_OR_RETURN(std::string salt, HexMember(item, "salt", 32));
    a.salt = abi::ToBytes32(salt);
    for (const auto& earlier : out)
      if (earlier.name == a.name) return InvalidArgument("attribute \"" + a.name + "\" appears twice");
    out.push_back(std::move(a));
  }
  return out;
}

StatusOr<json> ParseJson(std::string_view text, const char* what) {
  if (text.size() > (1 << 20)) return InvalidArgument(std::string(what) + " is too large");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(std::string(what) + " is not a JSON object");
  return j;
}

Status CheckFormat(const json& j, const char* want, const char* what) {
  auto f = StringMember(j, "format");
  if (!f.ok() || *f != want) return InvalidArgument(std::string(what) + ": not a " + want + " file");
  return Status::Ok();
}

StatusOr<std::string> DeriveKey(const Secret& passphrase, std::string_view salt, const WalletKdfParams& p) {
  std::string key(32, '\0');
  int rc = argon2id_hash_raw(p.t_cost, p.m_cost_kib, p.parallelism, passphrase.reveal().data(),
                             passphrase.reveal().size(), salt.data(), salt.size(), key.data(), key.size());
  if (rc != ARGON2_OK) return InvalidArgument(std::string("key derivation failed: ") + argon2_error_message(rc));
  return key;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// AES-256-GCM (NIST SP 800-38D), 96-bit IV, 128-bit tag.
StatusOr<std::string> Gcm(bool encrypt, const std::string& key, const std::string& iv, std::string_view aad,
                          std::string_view in, std::string* tag) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Internal("cipher context");
  auto u8 = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, u8(key), u8(iv), encrypt ? 1 : 0) != 1)
    return Internal("cipher init");
  int len = 0;
  if (!aad.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &len, u8(aad), static_cast<int>(aad.size())) != 1)
    return Internal("cipher aad");
  std::string out(in.size() + 16, '\0');
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u8(in),
                       static_cast<int>(in.size())) != 1)
    return Internal("cipher update");
  int total = len;
  if (!encrypt) {
    if (tag->size() != 16 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, const_cast<char*>(tag->data())) != 1)
      return Unauthenticated("wrong passphrase or damaged wallet file");
  }
  if (EVP_CipherFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + total, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return Unauthenticated("wrong passphrase or damaged wallet file");
  }
  total += len;
  out.resize(total);
  if (encrypt) {
    tag->assign(16, '\0');
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag->data()) != 1) return Internal("cipher tag");
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- wallet

StatusOr<WalletEnvelope> ParseWalletEnvelope(std::string_view text) {
  CERTME_ASSIGN_OR_RETURN(json j, ParseJson(text, "wallet file"));
  CERTME_RETURN_IF_ERROR(CheckFormat(j, kWalletFormat, "wallet file"));
  WalletEnvelope e;
  CERTME_ASSIGN_OR_RETURN(e.address, AddressMember(j, "address"));
  CERTME_ASSIGN_OR_RETURN(const json* kdf, Member(j, "kdf"));
  CERTME_ASSIGN_OR_RETURN(std::string name, StringMember(*kdf, "name"));
  if (name != "argon2id") return InvalidArgument("wallet file: unsupported kdf " + name);
  CERTME_ASSIGN_OR_RETURN(uint64_t t, UintMember(*kdf, "t_cost", kMaxWalletTCost));
  CERTME_ASSIGN_OR_RETURN(uint64_t m, UintMember(*kdf, "m_cost_kib", kMaxWalletMCostKib));
  CERTME_ASSIGN_OR_RETURN(uint64_t p, UintMember(*kdf, "parallelism", 16));
  if (t < 1 || m < 8 * p || p < 1) return InvalidArgument("wallet file: kdf parameters out of range");
  e.kdf = {static_cast<uint32_t>(t), static_cast<uint32_t>(m), static_cast<uint32_t>(p)};
  CERTME_ASSIGN_OR_RETURN(e.salt, B64Member(*kdf, "salt", 64));
  if (e.salt.size() < 16) return InvalidArgument("wallet file: salt too short");
  CERTME_ASSIGN_OR_RETURN(const json* c, Member(j, "cipher"));
  CERTME_ASSIGN_OR_RETURN(std::string cname, StringMember(*c, "name"));
  if (cname != "aes-256-gcm") return InvalidArgument("wallet file: unsupported cipher " + cname);
  CERTME_ASSIGN_OR_RETURN(e.iv, B64Member(*c, "iv", 12));
  if (e.iv.size() != 12) return InvalidArgument("wallet file: iv must be 12 bytes");
  CERTME_ASSIGN_OR_RETURN(e.ciphertext, B64Member(*c, "ciphertext", 1 << 20));
  CERTME_ASSIGN_OR_RETURN(e.tag, B64Member(*c, "tag", 16));
  if (e.tag.size() != 16) return InvalidArgument("wallet file: tag must be 16 bytes");
  return e;
}

StatusOr<std::string> SealWallet(const WalletContents& w, const Secret& passphrase, const WalletKdfParams& kdf) {
  json inner = {{"private_key", w.key.PrivateKeyHex()},
                {"attributes", AttributesJson(w.attributes)},
                {"validator", w.validator.empty() ? "" : ChecksumAddress(w.validator)},
                {"loa", w.loa}};
  if (w.ledger) {
    const WalletLedger& l = *w.ledger;
    inner["ledger"] = {{"backend", l.backend},           {"embedded_path", l.embedded_path},
                       {"sequencer_key_file", l.sequencer_key_file}, {"checkpoint_file", l.checkpoint_file},
                       {"rpc_url", l.rpc_url},           {"from_block", l.from_block},
                       {"chain_id", l.chain_id},         {"registry", ChecksumAddress(l.registry)}};
  }
  std::string plain = inner.dump();
  const std::string salt = SystemRandom().Bytes(16);
  const std::string iv = SystemRandom().Bytes(12);
  auto key = DeriveKey(passphrase, salt, kdf);
  if (!key.ok()) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return key.status();
  }
  const std::string address = w.key.AddressHex();
  std::string tag;
  auto ct = Gcm(true, *key, iv, address, plain, &tag);
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(key->data(), key->size());
  if (!ct.ok()) return ct.status();
  json j = {{"format", kWalletFormat},
            {"address", address},
            {"kdf",
             {{"name", "argon2id"},
              {"t_cost", kdf.t_cost},
              {"m_cost_kib", kdf.m_cost_kib},
              {"parallelism", kdf.parallelism},
              {"salt", Base64UrlEncode(salt)}}},
            {"cipher",
             {{"name", "aes-256-gcm"},
              {"iv", Base64UrlEncode(iv)},
              {"ciphertext", Base64UrlEncode(*ct)},
              {"tag", Base64UrlEncode(tag)}}}};
  return j.dump(2) + "\n";
}

StatusOr<WalletContents> OpenWallet(std::string_view text, const Secret& passphrase) {
  CERTME_ASSIGN_OR_RETURN(WalletEnvelope e, ParseWalletEnvelope(text));
  CERTME_ASSIGN_OR_RETURN(std::string key, DeriveKey(passphrase, e.salt, e.kdf));
  // The address as written is authenticated: a file whose address was
  // swapped does not open.
  auto plain = Gcm(false, key, e.iv, ChecksumAddress(e.address), e.ciphertext, &e.tag);
  OPENSSL_cleanse(key.data(), key.size());
  if (!plain.ok()) return plain.status();
  auto cleanse = [&] { OPENSSL_cleanse(plain->data(), plain->size()); };
  auto inner = ParseJson(*plain, "wallet contents");
  cleanse();
  if (!inner.ok()) return inner.status();
  WalletContents w;
  CERTME_ASSIGN_OR_RETURN(std::string hex, StringMember(*inner, "private_key"));
  auto k = EthKey::FromHex(hex);
  if (!k.ok()) return InvalidArgument("wallet file: bad private key");
  if (k->address() != e.address) return InvalidArgument("wallet file: key does not match the address");
  w.key = *k;
  CERTME_ASSIGN_OR_RETURN(w.attributes, ParseAttributes(*inner));
  CERTME_ASSIGN_OR_RETURN(std::string v, StringMember(*inner, "validator"));
  if (!v.empty()) {
    auto va = ParseAddress(v);
    if (!va.ok()) return InvalidArgument("wallet file: bad validator address");
    w.validator = *va;
  }
  CERTME_ASSIGN_OR_RETURN(uint64_t loa, UintMember(*inner, "loa", kLoaHigh));
  w.loa = static_cast<uint8_t>(loa);
  if (inner->contains("ledger")) {
    const json& j = (*inner)["ledger"];
    WalletLedger l;
    CERTME_ASSIGN_OR_RETURN(l.backend, StringMember(j, "backend"));
    if (l.backend != "embedded" && l.backend != "evm") return InvalidArgument("wallet file: unknown ledger backend");
    CERTME_ASSIGN_OR_RETURN(l.embedded_path, StringMember(j, "embedded_path"));
    CERTME_ASSIGN_OR_RETURN(l.sequencer_key_file, StringMember(j, "sequencer_key_file"));
    CERTME_ASSIGN_OR_RETURN(l.checkpoint_file, StringMember(j, "checkpoint_file"));
    CERTME_ASSIGN_OR_RETURN(l.rpc_url, StringMember(j, "rpc_url"));
    CERTME_ASSIGN_OR_RETURN(uint64_t from_block, UintMember(j, "from_block", INT64_MAX));
    l.from_block = static_cast<int64_t>(from_block);
    CERTME_ASSIGN_OR_RETURN(l.chain_id, UintMember(j, "chain_id", INT64_MAX));
    CERTME_ASSIGN_OR_RETURN(l.registry, AddressMember(j, "registry"));
    w.ledger = std::move(l);
  }
  return w;
}

// ---------------------------------------------------------------- enrollment

std::string EncodeEnrollment(const Enrollment& e) {
  json j = {{"format", kEnrollmentFormat},
            {"user", ChecksumAddress(e.user)},
            {"validator", ChecksumAddress(e.validator)},
            {"registry", ChecksumAddress(e.registry)},
            {"chain_id", e.chain_id},
            {"loa", LoaName(e.loa)},
            {"attributes", AttributesJson(e.attributes)}};
  if (e.deadline) j["deadline"] = e.deadline;
  return j.dump(2) + "\n";
}

Enrolment EnrolmentTerms(const Enrollment& e) {
  Enrolment t{e.user, e.validator, {}, {}, e.loa, e.deadline};
  for (const auto& a : e.attributes) {
    t.attr_keys.push_back(AttributeKey(a.name));
    t.commitments.push_back(AttributeCommitment(e.user, t.attr_keys.back(), a.value, a.salt));
  }
  return t;
}

Eip712Domain EnrollmentDomain(const Enrollment& e) {
  Eip712Domain d;
  d.chain_id = e.chain_id;
  d.verifying_contract = e.registry;
  return d;
}

StatusOr<Enrollment> ParseEnrollment(std::string_view text) {
  CERTME_ASSIGN_OR_RETURN(json j, ParseJson(text, "enrollment file"));
  CERTME_RETURN_IF_ERROR(CheckFormat(j, kEnrollmentFormat, "enrollment file"));
  Enrollment e;
  CERTME_ASSIGN_OR_RETURN(e.user, AddressMember(j, "user"));
  CERTME_ASSIGN_OR_RETURN(e.validator, AddressMember(j, "validator"));
  CERTME_ASSIGN_OR_RETURN(e.registry, AddressMember(j, "registry"));
  CERTME_ASSIGN_OR_RETURN(e.chain_id, UintMember(j, "chain_id", INT64_MAX));
  CERTME_ASSIGN_OR_RETURN(std::string loa, StringMember(j, "loa"));
  e.loa = ParseLoa(loa);
  if (!e.loa) return InvalidArgument("enrollment file: loa must be low, substantial or high");
  CERTME_ASSIGN_OR_RETURN(e.attributes, ParseAttributes(j));
  if (e.attributes.empty()) return InvalidArgument("enrollment file: no attributes");
  if (j.contains("deadline")) {
    CERTME_ASSIGN_OR_RETURN(e.deadline, UintMember(j, "deadline", INT64_MAX));
  }
  return e;
}

// ---------------------------------------------------------------- presentation

std::string EncodePresentation(const Presentation& p) {
  json names = json::array();
  for (const auto& a : p.attributes) names.push_back(a.name);
  json j = {{"format", kPresentationFormat},
            {"chain_id", p.domain.chain_id},
            {"registry", ChecksumAddress(p.domain.verifying_contract)},
            {"consent",
             {{"user", ChecksumAddress(p.consent.user)},
              {"provider", ChecksumAddress(p.consent.provider)},
              {"attributes", names},
              {"nonce", Hex(abi::AsView(p.consent.nonce))},
              {"expiry", p.consent.expiry},
              {"signature", Hex(p.signature)}}},
            {"attributes", AttributesJson(p.attributes)}};
  return j.dump(2) + "\n";
}

StatusOr<Presentation> ParsePresentation(std::string_view text) {
  CERTME_ASSIGN_OR_RETURN(json j, ParseJson(text, "presentation"));
  CERTME_RETURN_IF_ERROR(CheckFormat(j, kPresentationFormat, "presentation"));
  Presentation p;
  CERTME_ASSIGN_OR_RETURN(p.domain.chain_id, UintMember(j, "chain_id", INT64_MAX));
  CERTME_ASSIGN_OR_RETURN(p.domain.verifying_contract, AddressMember(j, "registry"));
  CERTME_ASSIGN_OR_RETURN(const json* c, Member(j, "consent"));
  CERTME_ASSIGN_OR_RETURN(p.consent.user, AddressMember(*c, "user"));
  CERTME_ASSIGN_OR_RETURN(p.consent.provider, AddressMember(*c, "provider"));
  CERTME_ASSIGN_OR_RETURN(std::string nonce, HexMember(*c, "nonce", 32));
  p.consent.nonce = abi::ToBytes32(nonce);
  CERTME_ASSIGN_OR_RETURN(p.consent.expiry, UintMember(*c, "expiry", INT64_MAX));
  CERTME_ASSIGN_OR_RETURN(p.signature, HexMember(*c, "signature", 65));
  CERTME_ASSIGN_OR_RETURN(const json* names, Member(*c, "attributes"));
  if (!names->is_array() || names->empty() || names->size() > kMaxAttributes)
    return InvalidArgument("presentation: consent attributes must be a non-empty list");
  for (const auto& n : *names) {
    if (!n.is_string() || !IsValidAttributeName(n.get<std::string>()))
      return InvalidArgument("presentation: bad attribute name in the consent");
    p.consent.attr_keys.push_back(AttributeKey(n.get<std::string>()));
  }
  CERTME_ASSIGN_OR_RETURN(p.attributes, ParseAttributes(j));
  if (p.attributes.size() != p.consent.attr_keys.size())
    return InvalidArgument("presentation: disclosed attributes differ from the consented ones");
  for (size_t i = 0; i < p.attributes.size(); ++i)
    if (AttributeKey(p.attributes[i].name) != p.consent.attr_keys[i])
      return InvalidArgument("presentation: disclosed attributes differ from the consented ones");
  return p;
}

}  // namespace certme
