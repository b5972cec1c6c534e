// JAdES baseline signatures (ETSI TS 119 182-1) as the certME wallet makes
// them: a detached JWS whose protected header names the signed document by
// its hash (sigD, "ObjectIdByURIHash", §5.2.8), claims the signing time
// (sigT, §5.2.1) and carries the signer's secp256k1 key (jwk) and eID
// address (kid); the algorithm is ES256K (RFC 8812: ECDSA on secp256k1 over
// SHA-256, signature r||s, 64 bytes). The profile, field by field, is in
// docs/signing.md ("JAdES profile").
//
// The payload is detached and empty: the JWS signing input is
// `protected_b64 + "."`. The wallet builds the header; the bridge and any
// verifier check it field by field and never re-serialise it, so no
// canonical JSON form is needed.
//
// Stateless; every function is safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme {

// ---- the vocabulary of the header
inline constexpr char kJadesAlg[] = "ES256K";
inline constexpr char kJadesSigDMechanism[] = "http://uri.etsi.org/19182/ObjectIdByURIHash";
inline constexpr char kJadesHashS256[] = "S256";
inline constexpr char kJadesHashS384[] = "S384";

// Bounds on untrusted input: a header above kMaxJadesHeaderBytes (base64url
// text) is refused before decoding; an item name is 1..kMaxJadesItemName
// bytes of UTF-8 without control characters.
inline constexpr size_t kMaxJadesHeaderBytes = 4096;
inline constexpr size_t kMaxJadesItemName = 256;

struct JadesSignedItem {
  std::string name;      // sigD.pars[0]
  std::string hash_alg;  // "S256" | "S384" (sigD.hashM)
  std::string digest;    // raw bytes, 32 or 48 (sigD.hashV[0])
};

struct JadesHeader {
  std::string public_key;  // 65 bytes SEC1 uncompressed secp256k1 (jwk)
  std::string signer;      // 20-byte eID address (kid; derived from public_key)
  uint64_t chain_id = 0;   // kid's and certme.ledger's
  std::string registry;    // 20 bytes (certme.ledger)
  Bytes32 sign_request{};  // certme.request
  int64_t signing_time = 0;  // unix seconds (sigT, whole seconds, UTC "Z")
  JadesSignedItem item;
};

// The header as JSON text, base64url without padding. Builds from trusted
// values: REQUIRES a 65-byte public key, a 20-byte registry, a 32- or
// 48-byte digest matching hash_alg. `signer` is ignored (the kid is derived
// from the public key).
std::string BuildJadesProtectedHeader(const JadesHeader& h);

// Reads an untrusted header (base64url text): at most kMaxJadesHeaderBytes,
// strict base64url (no padding), a JSON object with exactly the members
// alg, jwk, kid, sigT, sigD, crit, certme (no duplicates); alg "ES256K";
// jwk {kty "EC", crv "secp256k1", x, y} a point on the curve; kid
// "eip155:<chainId>:<checksummed address of jwk>"; sigT a UTC time of the
// form YYYY-MM-DDTHH:MM:SSZ; sigD {mId ObjectIdByURIHash, pars [name],
// hashM S256|S384, hashV [digest of that length]}; crit exactly sigT and
// sigD; certme {ledger "eip155:<same chainId>:<checksummed registry>",
// request "0x" + 64 lowercase hex}. Anything else is InvalidArgument whose
// message names the field.
StatusOr<JadesHeader> ParseJadesProtectedHeader(std::string_view protected_b64);

// protected_b64 + "." (the detached, empty payload).
std::string JadesSigningInput(std::string_view protected_b64);

// ES256K over the signing input: 64 bytes r||s (low s, RFC 6979).
std::string SignJades(const EthKey& key, std::string_view protected_b64);

// Parses the header (as ParseJadesProtectedHeader) and verifies `signature64`
// (64 bytes r||s; a high s is accepted, as RFC 8812 verifiers do) with the
// header's jwk. InvalidArgument for a malformed header or signature size,
// Unauthenticated for a wrong signature.
Status VerifyJades(std::string_view protected_b64, std::string_view signature64);

// What the ledger records for one signature: SHA-256 of the ASCII
// protected_b64 (it names the document hash, the time and the signer key).
Bytes32 JadesLedgerDigest(std::string_view protected_b64);

// The flattened JSON serialization (RFC 7515 §7.2.2) with the detached,
// empty payload: {"protected","payload":"","signature","header"}.
// `header` is omitted when `unprotected` is null or an empty object.
std::string JadesFlattenedJson(std::string_view protected_b64, std::string_view signature64,
                               const nlohmann::json& unprotected);

// ---- additions beside the shared interface

// An item name as sigD.pars holds it: 1..kMaxJadesItemName bytes of
// well-formed UTF-8 without control characters.
bool IsValidJadesItemName(std::string_view name);

// The public JWK of a secp256k1 key: {"kty":"EC","crv":"secp256k1","x","y"}
// (RFC 8812 §3.1; x and y base64url of 32 bytes). REQUIRES 65-byte SEC1.
nlohmann::json Secp256k1Jwk(std::string_view public_key65);
// The 65-byte SEC1 key of such a JWK, with exactly those four members.
StatusOr<std::string> Secp256k1FromJwk(const nlohmann::json& jwk);

// sigT: "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds; years 1970..9999).
std::string FormatJadesTime(int64_t unix_seconds);
StatusOr<int64_t> ParseJadesTime(std::string_view text);

// A flattened JAdES read from an untrusted file: `protected` and
// `signature` strings, `payload` "" (detached), optional `header` object,
// nothing else; the header is parsed (ParseJadesProtectedHeader), the
// signature decoded (64 bytes), not yet verified.
struct JadesFlattened {
  std::string protected_b64;
  std::string signature;  // 64 bytes
  JadesHeader header;
  nlohmann::json unprotected;  // the `header` member, or null
};
StatusOr<JadesFlattened> ParseJadesFlattenedJson(std::string_view text);

// The hash sigD names for `data`: SHA-256 for "S256", SHA-384 for "S384".
StatusOr<std::string> JadesHash(std::string_view hash_alg, std::string_view data);

}  // namespace certme
