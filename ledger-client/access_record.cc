#include "ledger-client/access_record.h"

#include <openssl/crypto.h>

#include <cstring>

#include "common/secret.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "ledger-client/abi.h"

namespace certme {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 20;  // version, time, protocol, kind, request id, count

void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string Aad(std::string_view provider_address) {
  return std::string(kAccessRecordInfo) + std::string(provider_address);
}

// RFC 5869 with SHA-256, salt absent (HashLen zeros), L = 64.
std::string Hkdf64(std::string_view ikm, std::string_view info) {
  std::string prk = HmacSha256(std::string(32, '\0'), ikm);
  std::string t1 = HmacSha256(prk, std::string(info) + '\x01');
  std::string t2 = HmacSha256(prk, t1 + std::string(info) + '\x02');
  std::string okm = t1 + t2;
  OPENSSL_cleanse(prk.data(), prk.size());
  OPENSSL_cleanse(t1.data(), t1.size());
  OPENSSL_cleanse(t2.data(), t2.size());
  return okm;
}

// The Random that hands AeadSeal the nonce already chosen (so the tag can
// be computed from it first); anything else it asks for is an error.
class FixedNonce : public Random {
 public:
  explicit FixedNonce(std::string nonce) : nonce_(std::move(nonce)) {}
  void Fill(uint8_t* out, size_t n) override {
    // AeadSeal asks for exactly one nonce; zeros otherwise make Seal's
    // self-check below fail rather than go unnoticed.
    if (n == nonce_.size() && !used_) {
      std::memcpy(out, nonce_.data(), n);
      used_ = true;
    } else {
      std::memset(out, 0, n);
      misused_ = true;
    }
  }
  bool misused() const { return misused_; }

 private:
  std::string nonce_;
  bool used_ = false;
  bool misused_ = false;
};

}  // namespace

StatusOr<std::string> EncodeAccessRecordContent(const AccessRecordContent& c) {
  uint8_t protocol = c.protocol == "oidc" ? 1 : c.protocol == "saml" ? 2 : c.protocol == "sign" ? 3 : 0;
  uint8_t kind = c.kind == "validated" ? 1 : c.kind == "reused" ? 2 : 0;
  if (!protocol) return InvalidArgument("access record protocol must be oidc, saml or sign");
  if (!kind) return InvalidArgument("access record kind must be validated or reused");
  if (c.attr_keys.size() > kMaxRecordKeys)
    return InvalidArgument("an access record holds at most " + std::to_string(kMaxRecordKeys) + " attribute keys");
  if (c.time < 0) return InvalidArgument("access record time before 1970");
  std::string out;
  out.reserve(kHeaderBytes + 32 * c.attr_keys.size());
  out.push_back(static_cast<char>(kVersion));
  PutU64(out, static_cast<uint64_t>(c.time));
  out.push_back(static_cast<char>(protocol));
  out.push_back(static_cast<char>(kind));
  PutU64(out, c.request_id);
  out.push_back(static_cast<char>(c.attr_keys.size()));
  for (const auto& k : c.attr_keys) out.append(abi::AsView(k));
  return out;
}

StatusOr<AccessRecordContent> DecodeAccessRecordContent(std::string_view p) {
  if (p.size() < kHeaderBytes) return InvalidArgument("access record too short");
  if (static_cast<uint8_t>(p[0]) != kVersion) return InvalidArgument("access record of an unknown version");
  AccessRecordContent c;
  const uint64_t time = GetU64(p.substr(1, 8));
  if (time > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("access record time out of range");
  c.time = static_cast<int64_t>(time);
  switch (static_cast<uint8_t>(p[9])) {
    case 1: c.protocol = "oidc"; break;
    case 2: c.protocol = "saml"; break;
    case 3: c.protocol = "sign"; break;
    default: return InvalidArgument("access record of an unknown protocol");
  }
  switch (static_cast<uint8_t>(p[10])) {
    case 1: c.kind = "validated"; break;
    case 2: c.kind = "reused"; break;
    default: return InvalidArgument("access record of an unknown kind");
  }
  c.request_id = GetU64(p.substr(11, 8));
  const size_t n = static_cast<uint8_t>(p[19]);
  if (n > kMaxRecordKeys) return InvalidArgument("access record with too many attribute keys");
  if (p.size() != kHeaderBytes + 32 * n) return InvalidArgument("access record length does not match its keys");
  for (size_t i = 0; i < n; ++i) c.attr_keys.push_back(abi::ToBytes32(p.substr(kHeaderBytes + 32 * i, 32)));
  return c;
}

StatusOr<AccessRecordKeys> AccessRecordKeys::Derive(const EthKey& own, std::string_view peer_public_key) {
  auto shared = own.SharedX(peer_public_key);
  if (!shared.ok()) return InvalidArgument("not a secp256k1 public key", shared.status().message());
  std::string okm = Hkdf64(*shared, kAccessRecordInfo);
  OPENSSL_cleanse(shared->data(), shared->size());
  AccessRecordKeys k;
  k.tag_key_ = okm.substr(0, 32);
  k.enc_key_ = okm.substr(32, 32);
  OPENSSL_cleanse(okm.data(), okm.size());
  return k;
}

AccessRecordKeys::~AccessRecordKeys() {
  OPENSSL_cleanse(tag_key_.data(), tag_key_.size());
  OPENSSL_cleanse(enc_key_.data(), enc_key_.size());
}

bool AccessRecordKeys::Matches(const Bytes32& tag, std::string_view sealed) const {
  if (sealed.size() < kAeadOverheadBytes) return false;
  return ConstantTimeEquals(HmacSha256(tag_key_, sealed.substr(0, kAeadNonceBytes)), abi::AsView(tag));
}

StatusOr<AccessRecordEntry> AccessRecordKeys::Seal(std::string_view provider_address, const AccessRecordContent& content,
                                                   Random& random) const {
  if (provider_address.size() != 20) return InvalidArgument("provider address must be 20 bytes");
  CERTME_ASSIGN_OR_RETURN(std::string plain, EncodeAccessRecordContent(content));
  std::string nonce(kAeadNonceBytes, '\0');
  random.Fill(reinterpret_cast<uint8_t*>(nonce.data()), nonce.size());
  FixedNonce fixed(nonce);
  CERTME_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(enc_key_, plain, Aad(provider_address), fixed));
  if (fixed.misused() || sealed.compare(0, kAeadNonceBytes, nonce) != 0)
    return Internal("access record sealing did not use the chosen nonce");
  AccessRecordEntry e;
  e.tag = abi::ToBytes32(HmacSha256(tag_key_, nonce));
  e.sealed = std::move(sealed);
  return e;
}

StatusOr<AccessRecordContent> AccessRecordKeys::Open(std::string_view provider_address, const Bytes32& tag,
                                                     std::string_view sealed) const {
  if (!Matches(tag, sealed)) return NotFound("not this user's record with this provider");
  auto plain = AeadOpen(enc_key_, sealed, Aad(provider_address));
  if (!plain.ok()) return Unauthenticated("access record does not authenticate");
  auto content = DecodeAccessRecordContent(*plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  return content;
}

}  // namespace certme
