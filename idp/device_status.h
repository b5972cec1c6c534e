// The device login on the service's own page (RFC 8628 with the QR code
// drawn by the service, docs/oidc.md "The <certme-login> element"): the
// login's status for that page and the script that draws it.
//
//   GET     /device/status?h=HANDLE[&state=S]  where the login stands (JSON, see below);
//                                       with `state` (the one the page shows) a long-poll
//                                       that answers when the state differs, is terminal,
//                                       or after the wallet login's poll_timeout
//   POST    /device/status?h=HANDLE     renews the QR code once it expired unanswered; the
//                                       same JSON
//   OPTIONS /device/status              CORS preflight
//   GET     /certme-login.js            the <certme-login> custom element (templates/static/),
//                                       with the login pages' texts in ro, ru and en
//
// HANDLE is the capability in the certme_status_uri member of the device
// authorization response: 256 random bits, stored hashed, bound to one
// device authorization; the device_code stays on the service's backend.
// The first request begins the wallet login whose QR code the page shows
// (OidcProvider::StartDeviceStatusLogin). Answers:
//   {"state": S, "code_expires_in": N, "login_expires_in": N}
//   plus "qr_svg" (the wallet's login link as an SVG QR code, the same the
//   login page shows) and "link" (the same-device link) while S is waiting
//   or opened.
// S: waiting, opened, approved, validating, code_expired, or terminal: done,
// refused, expired, eid_suspended, eid_revoked, validator_timeout,
// service_not_authorized, failed, unknown. An unknown, expired or malformed
// handle answers {"state":"unknown"} like an unknown login; the answers hold
// no personal data, so any origin may read them (Access-Control-Allow-Origin:
// *, no credentials). A store failure is 503 {"error":"temporarily_unavailable"}
// with Retry-After.
//
// Thread-safety: the handlers may run concurrently; a long-poll's answer is
// sent from the wallet login's waiter thread.
#pragma once

#include "idp/http/router.h"
#include "idp/login/wallet_authenticator.h"
#include "protocols/oidc/provider.h"

namespace certme {

inline constexpr char kLoginComponentPath[] = "/certme-login.js";

// Mounts /device/status. `oidc` must have device_status_uri set; both
// must outlive the router.
void MountDeviceStatus(Router& router, OidcProvider& oidc, WalletAuthenticator& wallet);

// Mounts GET /certme-login.js: the script from the installed templates
// (Templates()), its texts filled in; ETag and Cache-Control for a long
// cache, CORS and CORP open (any provider page may load it).
void MountLoginComponent(Router& router);

// The script as served (for tests): the asset with its text catalogue.
std::string LoginComponentScript();

}  // namespace certme
