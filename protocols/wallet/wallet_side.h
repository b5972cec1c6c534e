// The wallet's side of docs/wallet-protocol.md: what a wallet checks in a
// request document it received (§3, §7 last paragraph), and its answer
// (§4-§6): the asked attributes ECIES-encrypted to the bridge, the Login
// signature over the generic EIP-712 typed data, and the Consent
// signature. `certme wallet approve` (tools/) and the load generator's
// wallet (bench/oidc_load) both answer with this code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/request_document.h"

namespace certme::wallet {

// The document may be answered: it is for the code the wallet scanned, and
// its expiry has not passed by the wallet's clock (`now`, unix seconds).
// InvalidArgument "code" or "expired" (the message, as ParseRequestDocument's).
Status CheckDocumentForWallet(const RequestDocument& doc, std::string_view scanned_code, int64_t now);

// The approval of `doc` by the holder of `key`, disclosing from `held` the
// attributes asked, in the request's order, as enrolled. `random` makes the
// ECIES ephemeral key and nonce (a CSPRNG outside tests). InvalidArgument
// "attribute_not_held" (detail: the name) when `held` lacks one, or
// "bridge_key" when the document's key does not encrypt.
StatusOr<std::string> BuildApproval(const RequestDocument& doc, const EthKey& key,
                                    const std::vector<DisclosedAttribute>& held, Random& random);

// The approval of a sign document (§10): BuildApproval's answer plus, per
// item in order, the JAdES protected header (SignHeaderFor), its ES256K
// signature and the SignedDigest signature under the document's domain.
// `now` (unix seconds, the wallet's clock) is every header's sigT.
// InvalidArgument "kind" when `doc` is not a sign document; otherwise as
// BuildApproval.
StatusOr<std::string> BuildSignApproval(const RequestDocument& doc, const EthKey& key,
                                        const std::vector<DisclosedAttribute>& held, int64_t now,
                                        Random& random);
// The JAdES header the holder of `key` signs for item `index` of a sign
// document. REQUIRES doc.sign and index < doc.sign->items.size().
JadesHeader SignHeaderFor(const RequestDocument& doc, size_t index, const EthKey& key, int64_t now);

// The refusal of §4 by the holder of `key`: {"version":1,"code":…,
// "refused":true,"eid":…,"refusalSignature":…}, Refusal signed over the
// generic EIP-712 typed data.
StatusOr<std::string> BuildRefusal(const RequestDocument& doc, const EthKey& key);

}  // namespace certme::wallet
