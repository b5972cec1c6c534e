// The sign request of the provider signing API (docs/signing.md,
// docs/sign-api.yaml): what a provider asks a user to sign, parsed from its
// JSON, and the record the bridge keeps of it while the user signs and
// afterwards while the provider fetches the signatures.
//
// Transport-free: the parsers take the request body a provider sent (after
// its authentication and the IP check, so that a stranger cannot make the
// bridge decode a PDF) and return either the request or an ApiError with a
// client-safe message. Every input is bounded (items, names, texts, PDF
// size) and checked field by field; unknown fields are refused so that a
// misspelt option is never silently ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace certme::signing {

// Bounds of one sign request (documented in docs/signing.md).
inline constexpr size_t kMaxItems = 16;
inline constexpr size_t kMaxItemNameBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 1000;
inline constexpr size_t kMaxRelayStateBytes = 512;
inline constexpr size_t kMaxReturnUrlBytes = 2000;
// A PDF item's size after base64 decoding; the request body limit
// (kMaxRequestBodyBytes) leaves room for its base64 form.
inline constexpr size_t kMaxPdfBytes = 512 * 1024;
inline constexpr size_t kMaxRequestBodyBytes = 768 * 1024;
inline constexpr int64_t kMinLifetimeSeconds = 60;
inline constexpr int64_t kMaxLifetimeSeconds = 3600;
inline constexpr int64_t kDefaultLifetimeSeconds = 600;

// The hash algorithms of an item (JAdES sigD hashM names).
inline constexpr char kHashS256[] = "S256";
inline constexpr char kHashS384[] = "S384";

inline constexpr char kSignerPerson[] = "person";
inline constexpr char kSignerOrganization[] = "organization";

// An error answer of the API: HTTP status, a wire code
// (invalid_request, invalid_client, forbidden, not_found, …), a message
// for the provider's developers (no internals) and a detail for the log.
struct ApiError {
  int http_status = 400;
  std::string code;
  std::string message;
  std::string detail;
  static ApiError Invalid(std::string message) { return {400, "invalid_request", std::move(message), {}}; }
};
template <typename T>
using ApiOr = Result<T, ApiError>;

struct SignItem {
  std::string name;
  std::string hash_alg;  // kHashS256 | kHashS384
  std::string digest;    // raw bytes: 32 (S256) or 48 (S384)
  bool pdf = false;      // the provider sent a PDF; the bridge computed its SHA-256
};

// A provider's request as parsed (POST /sign/v1/requests).
struct NewSignRequest {
  std::vector<SignItem> items;
  std::map<std::string, std::string> description;  // "ro" | "ru" | "en" → text; at least one
  std::string signer_idnp;                         // 13 digits
  std::string signer_type = kSignerPerson;         // kSignerPerson | kSignerOrganization
  std::string signer_idno;                         // 13 digits; organization only
  std::string return_url;
  std::string relay_state;
  std::string language = "ro";
  int64_t lifetime_seconds = kDefaultLifetimeSeconds;
};

// Parses and checks the JSON body. PDF items are decoded, checked
// (%PDF- header, %%EOF trailer, size) and hashed here: call it only after
// the provider is authenticated and its address allowed.
ApiOr<NewSignRequest> ParseNewSignRequest(std::string_view body);

// A verify request (POST /sign/v1/verify): one detached JAdES signature in
// flattened JSON serialization and the document it is checked against, as
// a digest (with its algorithm) or as a PDF.
struct VerifyRequest {
  std::string protected_b64;  // as sent (the signature covers these octets)
  std::string signature;      // raw 64 bytes r||s
  std::string hash_alg;       // of `digest`
  std::string digest;         // raw; from "digest" or the PDF's SHA-256
};
ApiOr<VerifyRequest> ParseVerifyRequest(std::string_view body);

// Decodes a base64url digest for `hash_alg`; nullopt when the length is
// wrong or the text not base64url.
std::optional<std::string> DecodeDigest(std::string_view hash_alg, std::string_view b64url);
// Checks a decoded PDF (size, header, trailer): nullopt when acceptable,
// otherwise the reason.
std::optional<std::string> CheckPdf(std::string_view pdf);
// 13 ASCII digits (IDNP, IDNO).
bool IsThirteenDigits(std::string_view s);

// ---- the record the bridge keeps (Store namespace sign_request) ----
enum class SignState { kPending, kSuccess, kFailure, kExpired };
std::string_view SignStateName(SignState s);  // "pending" | "success" | "failure" | "expired"

// Failure reasons (the status answer's `reason`).
inline constexpr char kReasonRefused[] = "refused";
inline constexpr char kReasonWrongSigner[] = "wrong_signer";
inline constexpr char kReasonWrongOrganization[] = "wrong_organization";
inline constexpr char kReasonEidNotActive[] = "eid_not_active";
inline constexpr char kReasonBadSignature[] = "bad_signature";
inline constexpr char kReasonLedger[] = "ledger_refused";
inline constexpr char kReasonExpired[] = "expired";

struct SignRecord {
  std::string id;             // the API's id (random, URL-safe)
  std::string client_id;      // the provider (OIDC client) that created it
  std::string sign_request;   // 32 random bytes: the JAdES `certme.request` and ledger request
  NewSignRequest request;
  int64_t created_at = 0;     // unix seconds
  int64_t expires_at = 0;     // created_at + lifetime
  SignState state = SignState::kPending;
  std::string reason;         // kFailure: one of kReason*
  std::string txn;            // the signing page's wallet transaction (empty until opened)
  // kSuccess: the signer as validated, when, and the signatures (one
  // flattened JAdES JSON per item, request order).
  nlohmann::json signer = nlohmann::json::object();
  int64_t signed_at = 0;
  std::vector<nlohmann::json> signatures;
};

// The state a reader sees at `now`: a pending request past its expiry is
// expired (the record is not rewritten for it).
SignState EffectiveState(const SignRecord& r, int64_t now);

std::string SerializeSignRecord(const SignRecord& r);
// NotFound-free: a record this server wrote; nullopt when unreadable.
std::optional<SignRecord> ParseSignRecord(std::string_view text);

// The status answer (GET /sign/v1/requests/{id}).
nlohmann::json StatusJson(const SignRecord& r, int64_t now);

}  // namespace certme::signing
