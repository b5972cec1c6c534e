// The phone wallet's part of the wallet login as the load generator plays it
// (docs/wallet-protocol.md §4-§6). The browser's part is FlowRunner's
// (oidc_flow.h); this is exposed for tests that check the answer against the
// bridge's own verification code.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/wallet_user.h"
#include "common/status.h"

namespace certme::bench {

// The JSON answer of `user` to request document `doc` (§3) for `code`:
// the requested attributes ECIES-encrypted to doc.bridgeKey, the Login
// signature over generic EIP-712 typed data and the Consent signature
// (protocols/wallet/wallet_side.h). InvalidArgument naming what is wrong
// with the document ("version", "code", "expired", "attribute_not_held",
// "malformed", …).
StatusOr<std::string> BuildWalletAnswer(const nlohmann::json& doc, const std::string& code,
                                        const BenchUser& user, int64_t now_unix);

}  // namespace certme::bench
