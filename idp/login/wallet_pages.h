// What the wallet login's two source files (wallet_authenticator.cc: the
// wallet API and the login's state; wallet_pages.cc: the browser pages)
// share. Internal to idp/login/.
#pragma once

#include <string>

#include "templates/templates.h"

namespace certme::wallet_login {

// The login page's path under the public URL.
inline constexpr char kPagePath[] = "/login/wallet";

// A supported page language (ro, ru, en) for `l`, ro otherwise.
inline std::string Lang(const std::string& l) { return TemplateLang(l); }

}  // namespace certme::wallet_login

namespace certme::wallet_login {

// The states of a login as the status endpoint and the page name them
// (docs/wallet-protocol.md §8). Not yet answered:
inline constexpr char kStateWaiting[] = "waiting";        // the QR code is shown
inline constexpr char kStateOpened[] = "opened";          // the wallet fetched the request document
inline constexpr char kStateApproved[] = "approved";      // an answer passed the signature checks
inline constexpr char kStateValidating[] = "validating";  // the validator is asked on the ledger
inline constexpr char kStateCodeExpired[] = "code_expired";  // the QR code expired, the login is open: renew
// Terminal: "done" (signed in), every outcome but "ok" (refused, expired,
// eid_suspended, eid_revoked, validator_timeout, failed,
// service_not_authorized) and:
inline constexpr char kStateDone[] = "done";
inline constexpr char kStateUnknown[] = "unknown";  // no such login, or not any more

}  // namespace certme::wallet_login
