// The certME wallet protocol's vocabulary (docs/wallet-protocol.md, v1):
// every field name, path, error code and state as a named constant, so a
// misspelling is a compile error. Both sides (the bridge in idp/login and
// the wallets in tools/ and bench/) use these; nothing here re-types them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace certme::wallet {

// §3, §4: the only version this code speaks; a wallet refuses others.
inline constexpr int kProtocolVersion = 1;

// ---- §2 QR code and deep link
// The wallet API lives under <public URL> + kApiPath.
inline constexpr char kApiPath[] = "/wallet/v1";
inline constexpr char kRequestsPath[] = "/requests/";  // + code (§3 GET, §4 POST)
inline constexpr char kDeepLinkPath[] = "/l/";         // + code (https fallback)
inline constexpr char kLinkPrefix[] = "certme://login?";
inline constexpr char kLinkBaseParam[] = "u";
inline constexpr char kLinkCodeParam[] = "c";
// Codes are 43 characters (32 bytes base64url); anything past this bound
// is refused before any lookup.
inline constexpr size_t kMaxCodeLength = 128;

// ---- §3 the request document
inline constexpr char kFieldVersion[] = "version";
inline constexpr char kFieldCode[] = "code";
inline constexpr char kFieldNonce[] = "nonce";
inline constexpr char kFieldExpiry[] = "expiry";
inline constexpr char kFieldService[] = "service";
inline constexpr char kFieldServiceId[] = "id";
inline constexpr char kFieldServiceNames[] = "names";
inline constexpr char kFieldAttributes[] = "attributes";  // §3 names asked; §4 the ECIES payload
inline constexpr char kFieldPurpose[] = "purpose";
inline constexpr char kFieldBridgeKey[] = "bridgeKey";
inline constexpr char kFieldDomain[] = "domain";
inline constexpr char kFieldDomainName[] = "name";
inline constexpr char kFieldDomainVersion[] = "version";
inline constexpr char kFieldDomainChainId[] = "chainId";
inline constexpr char kFieldDomainVerifyingContract[] = "verifyingContract";
inline constexpr char kFieldConsent[] = "consent";
inline constexpr char kFieldConsentProvider[] = "provider";
inline constexpr char kFieldConsentExpiry[] = "expiry";
// What the request asks the wallet to do. v1 documents carry no "kind":
// its absence means kKindLogin, and the bridge omits it for logins so the
// v1 wire format is unchanged. Later kinds (signing requests, an inbox)
// are sent with it; a wallet refuses a kind it does not know.
inline constexpr char kFieldKind[] = "kind";
inline constexpr char kKindLogin[] = "login";
// The signing request (§10): the document carries `sign`, the answer
// `signatures`.
inline constexpr char kKindSign[] = "sign";

// Languages of `names` and `purpose` (§3), in display preference order.
inline constexpr const char* kLanguages[] = {"ro", "ru", "en"};

// ---- §4 the answer
inline constexpr char kFieldEid[] = "eid";
inline constexpr char kFieldLoginSignature[] = "loginSignature";
inline constexpr char kFieldConsentSignature[] = "consentSignature";
inline constexpr char kFieldRefused[] = "refused";
inline constexpr char kFieldRefusalSignature[] = "refusalSignature";
// A bound that keeps a hostile POST cheap; answers are a few KiB.
inline constexpr size_t kMaxAnswerBytes = 64 * 1024;
// Success body: {"status":"ok"}.
inline constexpr char kFieldStatus[] = "status";
inline constexpr char kStatusOk[] = "ok";

// ---- §5 the attribute plaintext: [{"key","value","salt"}, …]
inline constexpr char kFieldAttrKey[] = "key";
inline constexpr char kFieldAttrValue[] = "value";
inline constexpr char kFieldAttrSalt[] = "salt";

// ---- §7 errors: {"error": <code>, "error_description": <text>}
inline constexpr char kFieldError[] = "error";
inline constexpr char kFieldErrorDescription[] = "error_description";
inline constexpr char kErrUnknownCode[] = "unknown_code";              // 404, step 1
inline constexpr char kErrExpired[] = "expired";                       // 410, step 2
inline constexpr char kErrReplayed[] = "replayed";                     // 409, step 3
inline constexpr char kErrInvalidRequest[] = "invalid_request";        // 400, step 4
inline constexpr char kErrBadPayload[] = "bad_payload";                // 400, step 6
inline constexpr char kErrAttributesMismatch[] = "attributes_mismatch";  // 400, step 7
inline constexpr char kErrBadSignature[] = "bad_signature";            // 401, step 8
inline constexpr char kErrBadConsent[] = "bad_consent";                // 401, step 9
inline constexpr char kErrEidNotActive[] = "eid_not_active";           // 403, step 10
inline constexpr char kErrCommitmentMismatch[] = "commitment_mismatch";  // 403, step 11
inline constexpr char kErrValidatorTimeout[] = "validator_timeout";    // 504, step 12
inline constexpr char kErrServiceNotAuthorized[] = "service_not_authorized";  // 403, step 10
inline constexpr char kErrServerError[] = "server_error";              // 500, no detail
// 503 with Retry-After: the replica is stopping before the validator
// answered; nothing is recorded, the identical answer resent resumes.
inline constexpr char kErrUnavailable[] = "temporarily_unavailable";
inline constexpr char kErrUnsupportedMediaType[] = "unsupported_media_type";  // 415, before step 1
inline constexpr char kErrTooManyRequests[] = "too_many_requests";    // 429, before step 1

// ---- §8 browser side: long-poll states and login outcomes
inline constexpr char kFieldState[] = "state";
inline constexpr char kStatePending[] = "pending";
inline constexpr char kStateDone[] = "done";
// The outcome of a spent code: which page the browser shows. Never
// personal data. The four error outcomes equal the protocols' login
// errors (protocols/login.h), which the bridge asserts.
inline constexpr char kOutcomeOk[] = "ok";
inline constexpr char kOutcomeRefused[] = "refused";
inline constexpr char kOutcomeExpired[] = "expired";
inline constexpr char kOutcomeSuspended[] = "eid_suspended";
inline constexpr char kOutcomeRevoked[] = "eid_revoked";
inline constexpr char kOutcomeTimeout[] = "validator_timeout";
inline constexpr char kOutcomeFailed[] = "failed";
// The service's provider account is not authorized on the ledger.
inline constexpr char kOutcomeServiceNotAuthorized[] = "service_not_authorized";

// ---- §10 the sign kind
// The request document's `sign` object.
inline constexpr char kFieldSign[] = "sign";
inline constexpr char kFieldSignRequest[] = "request";          // 0x + 64 hex
inline constexpr char kFieldSignDescription[] = "description";  // {ro, ru, en}
inline constexpr char kFieldSignItems[] = "items";
inline constexpr char kFieldSignItemName[] = "name";
inline constexpr char kFieldSignItemHash[] = "hashM";           // "S256" | "S384"
inline constexpr char kFieldSignItemDigest[] = "digest";        // 0x + 64 | 96 hex
inline constexpr char kFieldSigner[] = "signer";
inline constexpr char kFieldSignerType[] = "type";
inline constexpr char kFieldSignerIdno[] = "idno";
inline constexpr char kSignerPerson[] = "person";
inline constexpr char kSignerOrganization[] = "organization";
// The answer's per-item signatures, in the document's item order.
inline constexpr char kFieldSignatures[] = "signatures";
inline constexpr char kFieldSigProtected[] = "protected";             // base64url JAdES header
inline constexpr char kFieldSigSignature[] = "signature";             // base64url, 64 bytes r||s
inline constexpr char kFieldSigLedgerSignature[] = "ledgerSignature";  // 0x + 130 hex
// Bounds: items per request, an item name's bytes (the JAdES header's
// bound), a description's bytes per language, an IDNO's characters.
inline constexpr size_t kMaxSignItems = 16;
inline constexpr size_t kMaxSignDescriptionBytes = 1024;
inline constexpr size_t kMaxIdnoLength = 32;
// A claimed signing time (sigT) may differ from the bridge's clock by at
// most this many seconds.
inline constexpr int64_t kSigningTimeSkewSeconds = 60;
// §10 errors.
inline constexpr char kErrSignMismatch[] = "sign_mismatch";        // 400: items or header fields differ
inline constexpr char kErrBadSigningTime[] = "bad_signing_time";   // 400: sigT outside the window

}  // namespace certme::wallet
