// The wallet's answer (docs/wallet-protocol.md §4) and the attribute
// plaintext inside its ECIES payload (§5): the bridge parses both, the
// wallet builds both, from the same field names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/errors.h"
#include "protocols/wallet/request_document.h"

namespace certme::wallet {

// §10: one signed item of a sign answer, in the document's item order.
struct ItemSignature {
  std::string protected_b64;  // the JAdES protected header, as sent (base64url)
  std::string signature;      // 64 bytes r||s (ES256K), base64url-decoded
  EthSignature ledger_signature{};  // the EIP-712 SignedDigest signature
};

struct Answer {
  std::string code;
  // §4: a refusal carries eid and refusal_signature only.
  bool refused = false;
  std::string eid;  // 20 bytes
  std::optional<EthSignature> refusal_signature;  // refusals only
  EthSignature login_signature{};
  // Required by §7 step 9; its absence is reported there, not here.
  std::optional<EthSignature> consent_signature;
  std::string payload;  // the ECIES payload (§5), base64url-decoded
  std::vector<ItemSignature> signatures;  // sign answers only (§10)
};

// §7 step 4: an untrusted body POSTed for `code` — at most kMaxAnswerBytes,
// a JSON object, version 1, the same code, and (unless a refusal) eid,
// loginSignature, optional consentSignature and base64url attributes, each
// well-formed. Errors are invalid_request (400).
// A bytes32 written as the protocol writes it: "0x" and 64 hex digits;
// nullopt for anything else (not a string, other length, not hex).
std::optional<Bytes32> ParseHex32(const nlohmann::json& v);

WalletOr<Answer> ParseAnswer(std::string_view body, std::string_view code);
// The same for a document of `kind`: a sign answer (unless a refusal) must
// carry `signatures`, 1..kMaxSignItems entries each with a protected header
// of at most kMaxJadesHeaderBytes, a 64-byte base64url signature and a
// well-formed ledgerSignature (their contents are judged by
// CheckSignItems, sign_checks.h); a login answer must not carry it.
WalletOr<Answer> ParseAnswer(std::string_view body, std::string_view code, RequestKind kind);

// The JSON body a wallet POSTs for `answer` (a refusal when refused).
std::string BuildAnswer(const Answer& answer);

// The disclosed attributes of §5 with what §6/§11 need of them: the
// attribute keys keccak256(name) and the commitments under `eid`, all in
// request order.
struct Disclosure {
  std::vector<DisclosedAttribute> attributes;
  std::vector<Bytes32> keys;
  std::vector<Bytes32> commitments;
};

// §5 plaintext: [{"key","value","salt"}, …], exactly the `requested` names
// in order, values of at most kMaxAttributeValueBytes, 32-byte 0x salts.
// Errors are attributes_mismatch (400) (§7 step 7).
WalletOr<Disclosure> ParseDisclosure(std::string_view plaintext, const std::vector<std::string>& requested,
                                     std::string_view eid);

// The §5 plaintext of `attributes`, in the order given.
std::string BuildDisclosurePlaintext(const std::vector<DisclosedAttribute>& attributes);

}  // namespace certme::wallet
