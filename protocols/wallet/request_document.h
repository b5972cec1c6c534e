// The request document of docs/wallet-protocol.md §3: what the bridge
// serves at GET <api>/requests/<code> and the wallet reads before it asks
// the user. One struct, one builder (the bridge's), one parser (wallets').
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "crypto/jades.h"
#include "ledger-client/eip712.h"

namespace certme::wallet {

// What the wallet is asked to do (vocabulary.h kFieldKind). Logins exist
// since v1; later kinds add an enumerator, a wire name and the fields
// they carry.
enum class RequestKind {
  kLogin,
  kSign,  // §10: `sign` (SignDetails)
};

// §10: who signs. An organization signer acts for the legal entity `idno`.
enum class SignerType { kPerson, kOrganization };

// §10: the `sign` object of a sign request document.
struct SignDetails {
  Bytes32 request{};  // the sign request's reference (random), in every JAdES header and SignedDigest
  std::map<std::string, std::string> description;  // language → what is signed, for the user
  std::vector<JadesSignedItem> items;              // 1..kMaxSignItems, in order; names unique
  SignerType signer_type = SignerType::kPerson;
  std::string idno;  // organization signers only
};

struct RequestDocument {
  RequestKind kind = RequestKind::kLogin;
  std::string code;
  Bytes32 nonce{};     // signed in Login; the Consent nonce on the ledger
  int64_t expiry = 0;  // unix seconds; the answer must arrive before it
  std::string service_id;                           // service.id, signed in Login
  std::map<std::string, std::string> service_names;  // language → name
  std::vector<std::string> attributes;              // names asked, in order
  std::map<std::string, std::string> purpose;       // language → sentence
  std::string bridge_key;                           // 65 bytes SEC1 uncompressed
  Eip712Domain domain;                              // the ledger's (§6)
  std::string consent_provider;                     // 20 bytes
  uint64_t consent_expiry = 0;                      // unix seconds
  std::optional<SignDetails> sign;                  // kind == kSign only (§10)
};

// The purpose a sign request states (§10 `purpose`).
const std::map<std::string, std::string>& SignPurpose();

// §10: the `sign` object as the bridge writes it, and read from an
// untrusted document (errors as RequestDocumentFromJson's, "malformed").
// Implemented in sign_document.cc.
nlohmann::json SignDetailsJson(const SignDetails& sign);
StatusOr<SignDetails> SignDetailsFromJson(const nlohmann::json& sign);

// The purpose every login request states (§3 `purpose`, §9).
const std::map<std::string, std::string>& LoginPurpose();

// The document as the bridge sends it. A login document has no "kind"
// member (v1 wire format); a sign document has "kind":"sign" and `sign`.
nlohmann::json RequestDocumentJson(const RequestDocument& doc);
std::string BuildRequestDocument(const RequestDocument& doc);

// Reads an untrusted document (what a wallet received). Every failure is
// InvalidArgument whose message is one word a program can branch on and
// whose detail names the field:
//   "version"  — not this protocol's version (§3: a wallet refuses it)
//   "kind"     — a request kind this code does not know
//   "malformed" — anything else (missing or ill-typed field, bad hex,
//                 address checksum, attribute name, duplicate, …)
StatusOr<RequestDocument> RequestDocumentFromJson(const nlohmann::json& doc);
StatusOr<RequestDocument> ParseRequestDocument(std::string_view text);

}  // namespace certme::wallet
