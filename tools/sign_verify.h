// What `certme sign verify` checks (docs/signing.md "JAdES profile"),
// without the terminal: a flattened JAdES read from an untrusted file, the
// signed document's digest, and, given a ledger, the ledger's record of the
// signature and the eID's status now.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/jades.h"
#include "ledger-client/ledger.h"

namespace certme {

struct SignatureReport {
  bool valid = false;
  std::string problem;  // why not valid, for the user
  JadesHeader header;   // parsed when the file is a certME JAdES
  // With a ledger (and a valid signature): the record of this signature —
  // the digest JadesLedgerDigest(protected), by the header's signer, for
  // its sign request and signing time — and the eID's status now.
  bool ledger_checked = false;
  std::optional<LedgerEvent> record;
  EidStatus eid_now = EidStatus::kNone;
};

// `digest_of(hash_alg)`: the document's digest for the header's hashM
// ("S256" | "S384"), or an error (an unreadable file). An error of
// digest_of or of the ledger is returned as such (the command's exit 2);
// everything about the signature itself is in the report. Without a
// record on `ledger`, the signature is reported invalid.
StatusOr<SignatureReport> VerifySignatureFile(std::string_view signature_json,
                                              const std::function<StatusOr<std::string>(const std::string&)>& digest_of,
                                              Ledger* ledger);

}  // namespace certme
