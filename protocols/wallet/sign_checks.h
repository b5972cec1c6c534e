// The bridge's checks of a sign answer (docs/wallet-protocol.md §10), after
// the login checks of §7 (checks.h) have passed on the same answer: the eID
// is the one whose Login signature verified. Transport-free: the bridge
// passes the document it served for the code, the eID and its clock; the
// ledger record (RecordSignatures) and the eID's status are the bridge's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/ethereum.h"
#include "crypto/jades.h"
#include "ledger-client/eip712.h"
#include "protocols/wallet/answer.h"
#include "protocols/wallet/errors.h"
#include "protocols/wallet/request_document.h"

namespace certme::wallet {

// What the bridge knows besides the document (never taken from the answer).
struct SignCheckContext {
  std::string eid;              // 20 bytes: the answer's eid, its Login signature verified (§7 step 8)
  int64_t request_created = 0;  // the sign request's lifetime (unix seconds): sigT must lie in
  int64_t request_expiry = 0;   //   [request_created - skew, request_expiry]
  int64_t now = 0;              // the bridge's clock: |sigT - now| <= kSigningTimeSkewSeconds
};

// One item that passed: what the bridge returns to the provider and records
// on the ledger.
struct CheckedSignature {
  std::string protected_b64;
  std::string signature;  // 64 bytes r||s
  JadesHeader header;
  Bytes32 ledger_digest{};  // JadesLedgerDigest(protected_b64)
  EthSignature ledger_signature{};
};

struct CheckedSignatures {
  uint64_t signed_at = 0;  // every header's sigT (one per answer), the SignedDigest's signedAt
  std::vector<CheckedSignature> items;  // in the document's order
};

// The SignedDigest the wallet signs for the item whose header is
// `protected_b64` (§10): user = eid, provider = the document's
// consent.provider, digest = JadesLedgerDigest(protected_b64), request =
// sign.request, signedAt = sigT.
SignedDigest SignedDigestFor(const RequestDocument& doc, std::string_view eid, std::string_view protected_b64,
                             uint64_t signed_at);

// §10 checks, in order, the first failure answers:
//  - the document is a sign document and the answer carries one signature
//    per item (sign_mismatch, 400);
//  - each header parses (ParseJadesProtectedHeader) and names, in order,
//    the item's name, hashM and digest, the document's sign.request, its
//    ledger domain's chain id and registry (sign_mismatch, 400);
//  - each header's key is the eID's: kid and jwk name `eid` (bad_signature, 401);
//  - every header claims the same sigT, within the request's lifetime and
//    within kSigningTimeSkewSeconds of `now` (bad_signing_time, 400);
//  - each ES256K signature verifies with the header's key (bad_signature, 401);
//  - each ledgerSignature recovers to `eid` over SignedDigestFor(...) under
//    the document's domain (bad_signature, 401).
WalletOr<CheckedSignatures> CheckSignItems(const RequestDocument& doc, const Answer& answer,
                                           const SignCheckContext& ctx);

}  // namespace certme::wallet
