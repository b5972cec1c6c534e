// `certme wallet inbox`: the reference wallet's side of the wallet inbox
// (docs/wallet-protocol.md §8b): ask the bridge for a challenge, sign the
// InboxAccess with the eID key, read (or wait for) the logins a service
// started for this eID (OIDC CIBA), show each one's binding message, and
// answer each exactly like `certme wallet approve` (tools/wallet_approve.h).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "tools/wallet_approve.h"
#include "tools/wallet_file.h"

namespace certme {

// `bridge`: the bridge's public URL or its wallet API base (…/wallet/v1).
// `wait`: seconds the bridge may hold the question when nothing is pending
// (0 to 25). NotFound when nothing was pending; otherwise the first
// failure, after every listed request was answered or tried.
Status AnswerInbox(const std::string& bridge, const WalletContents& wallet, ApproveChoice choice, int64_t wait,
                   const std::string& lang = "ro", const std::string& ca_file = "");

}  // namespace certme
