// Ethereum primitives over Crypto++ (Keccak-256) and libsecp256k1.
//
// One secp256k1 context serves the whole process: libsecp256k1 functions
// take it as `const` and are safe to call concurrently with it; only
// randomization mutates it, and that happens once, before it is published.
#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include <cryptopp/keccak.h>

#include <cstdlib>
#include <cstring>

#include "common/encoding.h"
#include "common/random.h"
#include "crypto/ethereum.h"

namespace certme {
namespace {

const secp256k1_context* Ctx() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Blinding against side channels in signing (libsecp256k1 recommends
    // randomizing before use). Failure leaves it unblinded but correct.
    std::string seed = SystemRandom().Bytes(32);
    int randomized = secp256k1_context_randomize(c, reinterpret_cast<const unsigned char*>(seed.data()));
    (void)randomized;
    OPENSSL_cleanse(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string SerializePubkey(const secp256k1_pubkey& pub, bool compressed) {
  unsigned char out[65];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(Ctx(), out, &len, &pub,
                                compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
  return std::string(reinterpret_cast<char*>(out), len);
}

StatusOr<secp256k1_pubkey> ParsePubkey(std::string_view sec1) {
  secp256k1_pubkey pub;
  if ((sec1.size() != 33 && sec1.size() != 65) ||
      !secp256k1_ec_pubkey_parse(Ctx(), &pub, U8(sec1), sec1.size())) {
    return InvalidArgument("invalid secp256k1 public key");
  }
  return pub;
}

std::string AddressOfUncompressed(std::string_view pub65) {
  Bytes32 h = Keccak256(pub65.substr(1));  // drop the 0x04 prefix
  return std::string(reinterpret_cast<const char*>(h.data()) + 12, 20);
}

// ECDH "hash" functions that return the point itself instead of hashing it.
int CopyX(unsigned char* out, const unsigned char* x32, const unsigned char* /*y32*/, void*) {
  std::memcpy(out, x32, 32);
  return 1;
}
int CopyUncompressed(unsigned char* out, const unsigned char* x32, const unsigned char* y32, void*) {
  out[0] = 0x04;
  std::memcpy(out + 1, x32, 32);
  std::memcpy(out + 33, y32, 32);
  return 1;
}

}  // namespace

Bytes32 Keccak256(std::string_view data) {
  Bytes32 out;
  CryptoPP::Keccak_256 h;
  h.CalculateDigest(out.data(), U8(data), data.size());
  return out;
}

Bytes32 EthMessageHash(std::string_view message) {
  std::string buf = "\x19" "Ethereum Signed Message:\n" + std::to_string(message.size());
  buf.append(message);
  return Keccak256(buf);
}

std::string ChecksumAddress(std::string_view address20) {
  // EIP-55: uppercase the hex letter at position i when nibble i of
  // keccak256(lowercase hex) is >= 8.
  std::string hex = HexEncode(address20);
  Bytes32 h = Keccak256(hex);
  for (size_t i = 0; i < hex.size() && i / 2 < h.size(); ++i) {
    uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 32);
  }
  return "0x" + hex;
}

StatusOr<std::string> ParseAddress(std::string_view text) {
  if (text.size() != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return InvalidArgument("address must be 0x followed by 40 hex digits");
  std::string_view digits = text.substr(2);
  auto raw = HexDecode(digits);
  if (!raw) return InvalidArgument("address must be 0x followed by 40 hex digits");
  bool lower = false, upper = false;
  for (char c : digits) {
    lower |= (c >= 'a' && c <= 'f');
    upper |= (c >= 'A' && c <= 'F');
  }
  if (lower && upper && ChecksumAddress(*raw).substr(2) != digits)
    return InvalidArgument("address checksum (EIP-55) does not match");
  return std::move(*raw);
}

StatusOr<std::string> AddressFromPublicKey(std::string_view sec1_public_key) {
  CERTME_ASSIGN_OR_RETURN(secp256k1_pubkey pub, ParsePubkey(sec1_public_key));
  return AddressOfUncompressed(SerializePubkey(pub, false));
}

std::string EthSignature::ToHex() const {
  return "0x" + HexEncode(std::string_view(reinterpret_cast<const char*>(rsv.data()), rsv.size()));
}

std::optional<EthSignature> EthSignature::FromHex(std::string_view hex) {
  auto raw = HexDecode(hex);
  if (!raw || raw->size() != 65) return std::nullopt;
  EthSignature sig;
  std::memcpy(sig.rsv.data(), raw->data(), 65);
  uint8_t& v = sig.rsv[64];
  if (v == 0 || v == 1) v += 27;
  if (v != 27 && v != 28) return std::nullopt;
  return sig;
}

EthKey::~EthKey() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

StatusOr<EthKey> EthKey::FromPrivateKey(std::string_view secret32) {
  if (secret32.size() != 32 || !secp256k1_ec_seckey_verify(Ctx(), U8(secret32)))
    return InvalidArgument("invalid secp256k1 private key");
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(Ctx(), &pub, U8(secret32)))
    return InvalidArgument("invalid secp256k1 private key");
  EthKey key;
  key.secret_.assign(secret32);
  key.public_key_ = SerializePubkey(pub, false);
  key.address_ = AddressOfUncompressed(key.public_key_);
  return key;
}

StatusOr<EthKey> EthKey::FromHex(std::string_view hex) {
  auto raw = HexDecode(hex);
  if (!raw || raw->size() != 32) return InvalidArgument("private key must be 64 hex digits");
  auto key = FromPrivateKey(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return key;
}

EthKey EthKey::Generate() {
  for (;;) {
    std::string secret = SystemRandom().Bytes(32);
    // A random 32-byte string is out of range with probability ~2^-128.
    auto key = FromPrivateKey(secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    if (key.ok()) return std::move(key).value();
  }
}

std::string EthKey::PrivateKeyHex() const { return "0x" + HexEncode(secret_); }

EthSignature EthKey::SignDigest(const Bytes32& digest) const {
  secp256k1_ecdsa_recoverable_signature rsig;
  // RFC 6979 deterministic nonce (the library default). libsecp256k1 always
  // emits low-s signatures, adjusting the recovery id accordingly.
  if (!secp256k1_ecdsa_sign_recoverable(Ctx(), &rsig, digest.data(), U8(secret_), nullptr,
                                        nullptr)) {
    // Only possible for an invalid secret, which FromPrivateKey excludes.
    std::abort();
  }
  EthSignature out;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(Ctx(), out.rsv.data(), &recid, &rsig);
  out.rsv[64] = static_cast<uint8_t>(27 + recid);
  return out;
}

namespace {
StatusOr<std::string> ExchangePoint(const std::string& secret, std::string_view peer,
                                    secp256k1_ecdh_hash_function fn, size_t out_len) {
  CERTME_ASSIGN_OR_RETURN(secp256k1_pubkey pub, ParsePubkey(peer));
  unsigned char out[65];
  if (!secp256k1_ecdh(Ctx(), out, &pub, U8(secret), fn, nullptr))
    return InvalidArgument("ECDH failed");
  return std::string(reinterpret_cast<char*>(out), out_len);
}
}  // namespace

StatusOr<std::string> EthKey::SharedX(std::string_view peer_public_key) const {
  return ExchangePoint(secret_, peer_public_key, CopyX, 32);
}

StatusOr<std::string> EthKey::SharedPoint(std::string_view peer_public_key, bool compressed) const {
  CERTME_ASSIGN_OR_RETURN(std::string point,
                          ExchangePoint(secret_, peer_public_key, CopyUncompressed, 65));
  if (!compressed) return point;
  // SEC1 §2.3.3 compression: prefix 02/03 by the parity of Y.
  std::string out(1, static_cast<char>((static_cast<uint8_t>(point[64]) & 1) ? 0x03 : 0x02));
  out.append(point, 1, 32);
  return out;
}

StatusOr<std::string> RecoverPublicKey(const Bytes32& digest, const EthSignature& sig) {
  uint8_t v = sig.rsv[64];
  if (v != 27 && v != 28) return InvalidArgument("signature v must be 27 or 28");
  secp256k1_ecdsa_recoverable_signature rsig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(Ctx(), &rsig, sig.rsv.data(), v - 27))
    return InvalidArgument("malformed signature");
  // EIP-2: reject s > n/2. normalize() reports whether s was high; the
  // recovery itself would happily accept either form (malleability).
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(Ctx(), &plain, &rsig);
  if (secp256k1_ecdsa_signature_normalize(Ctx(), nullptr, &plain))
    return InvalidArgument("signature s is not in the lower half of the order");
  secp256k1_pubkey pub;
  if (!secp256k1_ecdsa_recover(Ctx(), &pub, &rsig, digest.data()))
    return Unauthenticated("signature does not recover to a public key");
  return SerializePubkey(pub, false);
}

Status VerifySecp256k1(std::string_view public_key, const Bytes32& digest, std::string_view rs64) {
  CERTME_ASSIGN_OR_RETURN(secp256k1_pubkey pub, ParsePubkey(public_key));
  secp256k1_ecdsa_signature sig;
  // parse_compact refuses r or s >= n (r = 0 / s = 0 then fail verify).
  if (rs64.size() != 64 || !secp256k1_ecdsa_signature_parse_compact(Ctx(), &sig, U8(rs64)))
    return InvalidArgument("malformed ECDSA signature");
  secp256k1_ecdsa_signature_normalize(Ctx(), &sig, &sig);
  if (!secp256k1_ecdsa_verify(Ctx(), &sig, digest.data(), &pub))
    return Unauthenticated("ECDSA signature does not verify");
  return Status();
}

StatusOr<std::string> RecoverAddress(const Bytes32& digest, const EthSignature& sig) {
  CERTME_ASSIGN_OR_RETURN(std::string pub, RecoverPublicKey(digest, sig));
  return AddressOfUncompressed(pub);
}

}  // namespace certme
