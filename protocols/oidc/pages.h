// The few HTML pages the provider itself shows (errors that must not be
// redirected, form_post, logout). Each sets its own Content-Security-Policy
// and Cache-Control: no-store. Internal to protocols/oidc.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_message.h"

namespace certme::oidc_internal {

// The page language (templates/page_lang.h): the request's `lang`, else the
// first of ro | ru | en in a space-separated ui_locales list, else the
// cookie, Accept-Language, ro.
std::string PickLocale(std::string_view ui_locales);

enum class PageMessage {
  kBadRequest,      // generic: the request could not be processed
  kUnknownClient,   // client_id missing or unknown
  kBadRedirectUri,  // redirect_uri missing or not registered
  kLoginExpired,    // resume link unknown, used or expired
  kLoginUnfinished, // resume before the login finished
  kWrongBrowser,    // resume from another browser than the one that started
  kServerError,
};

// An error page for the user (never shows internals).
HttpResponse ErrorPage(int status, std::string_view lang, PageMessage message);

// OAuth 2.0 Form Post Response Mode §2: an auto-submitting form. The inline
// script is allowed by a CSP nonce; a <noscript> button covers no-JS.
HttpResponse FormPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& params,
                          std::string_view csp_nonce);

// RP-Initiated Logout §2: asks the user to confirm when the request cannot
// be trusted (missing or invalid id_token_hint).
HttpResponse LogoutConfirmPage(std::string_view lang, std::string_view confirm_url,
                               std::string_view logout_txn, std::string_view client_name);

// The "you are logged out" page. Front-Channel Logout §3: one hidden iframe
// per RP logout URI (the CSP's frame-src lists their origins); then, when
// `redirect` is non-empty, the browser continues there.
HttpResponse LoggedOutPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                           std::string_view redirect, std::string_view csp_nonce);

// The device authorization grant's page at the verification URI (RFC 8628
// §3.3): the form for the user_code and the answers around the login.
enum class DeviceMessage {
  kNone,          // just the form
  kUnknownCode,   // the code is malformed, unknown or expired (the form again)
  kTooManyAttempts,  // over the look-up rate (the form again)
  kUsed,          // the code's login already ended
  kDone,          // signed in: the service's page continues by itself
  kDenied,        // the user refused, or the login cannot succeed
  kExpired,       // the device authorization expired
  kUnfinished,    // back from the login without a result
  kServerError,
};
// `service`: the service's name (empty: not shown); `action`: the form's
// target (the verification URI).
HttpResponse DevicePage(int status, std::string_view lang, DeviceMessage message, std::string_view action,
                        std::string_view service = {});

}  // namespace certme::oidc_internal
