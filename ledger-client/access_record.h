// Access records: what a provider writes on the ledger at every release of
// attributes (recordAccess, docs/ledger.md "Access records"), built so that
// only the user and that provider can tell whose record it is
// (docs/privacy.md).
//
// Both sides derive the same keys without talking to each other:
//   S             = secp256k1 ECDH(provider key, user key): the X coordinate
//   k_tag ‖ k_enc = HKDF-SHA256(IKM = S, salt = none, info =
//                   "certme access record v1", L = 64)           (RFC 5869)
// The bridge holds the service's provider key and the user's public key
// (recovered from the consent the wallet signed at login); the wallet
// holds the user's key and the provider's public key (from the bridge's
// directory, /.well-known/certme-providers.json).
//
// One record:
//   sealed = n (12 bytes, fresh random) ‖ AES-256-GCM(k_enc, n,
//            aad = "certme access record v1" ‖ provider address (20),
//            plaintext) ‖ GCM tag (16)
//   tag    = HMAC-SHA256(k_tag, n)
// so tags of one pair never repeat and look random to anyone without k_tag.
// The tag is a function of the authenticated nonce: a record whose tag was
// swapped does not match, one whose bytes were altered does not open.
//
// Plaintext (version 1, big-endian, 20 + 32·n bytes):
//   0x01 ‖ time (8, unix seconds) ‖ protocol (1: 1 oidc, 2 saml, 3 sign) ‖
//   kind (1: 1 validated, 2 reused) ‖ request id (8; 0 for a reuse) ‖
//   n (1) ‖ n attribute keys (32 each; keccak256 of the catalogue names)
// At most kMaxRecordKeys keys keep a sealed record within the ledger's
// kMaxSealedBytes. Attribute values never enter a record.
//
// Stateless functions; AccessRecordKeys is immutable once derived. All are
// safe for concurrent use. OpenAccessRecord reads untrusted bytes (fuzzed:
// tests/fuzz/access_record_fuzz.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/ledger.h"

namespace certme {

inline constexpr char kAccessRecordInfo[] = "certme access record v1";
inline constexpr size_t kMaxRecordKeys = 30;

struct AccessRecordContent {
  int64_t time = 0;           // unix seconds of the release
  std::string protocol;       // "oidc" | "saml" | "sign" (a signing login)
  std::string kind;           // "validated" (a validator answered) | "reused" (re-login from the cache)
  uint64_t request_id = 0;    // the validation request; 0 for a reuse
  std::vector<Bytes32> attr_keys;
};

// The pair's two keys. Wiped on destruction.
class AccessRecordKeys {
 public:
  // `own`: the provider's key (bridge) or the user's (wallet);
  // `peer_public_key`: the other side's 33- or 65-byte SEC1 public key.
  // InvalidArgument for a key that is not on the curve.
  static StatusOr<AccessRecordKeys> Derive(const EthKey& own, std::string_view peer_public_key);

  AccessRecordKeys(const AccessRecordKeys&) = default;
  AccessRecordKeys(AccessRecordKeys&&) = default;
  AccessRecordKeys& operator=(const AccessRecordKeys&) = default;
  AccessRecordKeys& operator=(AccessRecordKeys&&) = default;
  ~AccessRecordKeys();

  // HMAC(k_tag, first 12 bytes of `sealed`) == tag, in constant time.
  bool Matches(const Bytes32& tag, std::string_view sealed) const;

  // Seals `content` for the ledger as the record of `provider_address`
  // (20 bytes). InvalidArgument for an unknown protocol or kind, or more
  // than kMaxRecordKeys keys.
  StatusOr<AccessRecordEntry> Seal(std::string_view provider_address, const AccessRecordContent& content,
                                   Random& random) const;

  // Opens a record read from the ledger (untrusted): NotFound when the tag
  // is not this pair's (someone else's record: the normal case when
  // scanning), Unauthenticated when the tag matches but the bytes do not
  // authenticate (altered, or recorded under another provider address),
  // InvalidArgument when they authenticate but are not a version 1 record.
  StatusOr<AccessRecordContent> Open(std::string_view provider_address, const Bytes32& tag,
                                     std::string_view sealed) const;

 private:
  AccessRecordKeys() = default;
  std::string tag_key_;  // 32 bytes
  std::string enc_key_;  // 32 bytes
};

// The version 1 plaintext of `content` (exposed for tests and the fuzz
// target), and its parser (untrusted input: every length is checked).
StatusOr<std::string> EncodeAccessRecordContent(const AccessRecordContent& content);
StatusOr<AccessRecordContent> DecodeAccessRecordContent(std::string_view plaintext);

}  // namespace certme
