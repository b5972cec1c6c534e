// The verify endpoint's work (POST /sign/v1/verify, docs/signing.md
// "Verifying a signature"): a detached JAdES signature checked against the
// document's digest, then against the ledger.
//
// The verdict is {"valid": bool, …}. Not valid, with `reason`:
//   malformed        the protected header is not a certME JAdES header
//   bad_signature    the ES256K signature does not verify with the header's key
//   digest_mismatch  the header names another document (hash or digest)
//   other_ledger     the header names another ledger than this bridge's
//   not_recorded     the ledger holds no record of this signature by its signer
// Valid: the signer (eid, and the identity as validated when the sign request
// is still kept and belongs to the asking client), signing_time (sigT),
// ledger {block, time} of the record, eid_status_at_signing "active" (the
// ledger records a signature only for an active eID) and eid_status_now.
#pragma once

#include <nlohmann/json.hpp>

#include "idp/signing/sign_request.h"
#include "idp/signing/sign_store.h"
#include "ledger-client/ledger.h"
#include "protocols/oidc/client.h"

namespace certme::signing {

ApiOr<nlohmann::json> VerifySignature(Ledger& ledger, SignStore& signs, const OidcClient& client,
                                      const VerifyRequest& request);

}  // namespace certme::signing
