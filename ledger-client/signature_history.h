// The user's view of the signature records (docs/ledger.md, "Signature
// records"): which provider recorded which signature of the user's eID, and
// when. Read from the public SignatureRecorded events, like the access
// history (UserAccessHistory in ledger.h); works on every backend.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/ledger.h"

namespace certme {

// One line of a user's signature history.
struct SignatureRecord {
  std::string provider;     // 20 bytes: who recorded it
  Bytes32 digest{};         // what the eID signed (the JAdES protected header's SHA-256)
  Bytes32 sign_request{};   // the sign request it answered
  int64_t signed_at = 0;    // the signing time the user signed (unix seconds)
  int64_t recorded_at = 0;  // ledger time of the record
  uint64_t block = 0;
};

// The user's SignatureRecorded events, oldest first.
StatusOr<std::vector<SignatureRecord>> UserSignatureHistory(Ledger& ledger, std::string_view user);

}  // namespace certme
