// The HTML pages the SAML IdP shows itself. Each sets its own CSP and
// Cache-Control: no-store; nothing internal is ever shown. Internal to
// protocols/saml.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http_message.h"

namespace certme::saml {

// The page language (templates/page_lang.h): the request's `lang` (the
// switcher), else `lang` when supported, else cookie, Accept-Language, ro.
std::string PickLang(std::string_view lang);

enum class SamlPage {
  kBadRequest,      // the message could not be processed and no service can be told
  kUnknownService,  // Issuer unknown: the ACS cannot be trusted
  kBadAcs,          // ACS not registered for the service
  kLoginExpired,    // resume link unknown, used or expired
  kWrongBrowser,
  kServerError,
  kLoggedOut,
};
HttpResponse SamlErrorPage(int status, std::string_view lang, SamlPage page);

// SAML Bindings §3.5.4: an auto-submitting form (script allowed by a CSP
// nonce; a <noscript> button covers no-JS clients).
HttpResponse SamlPostPage(std::string_view action,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view nonce, bool framed = false);
// Small page for a framed step of Single Logout (may be framed by our own pages).
HttpResponse SamlFramedDonePage();

// IdP-initiated logout: asks the user to confirm (no cross-site logout).
HttpResponse SamlLogoutConfirmPage(std::string_view lang, std::string_view action,
                                   std::string_view csrf);

// Single Logout in progress: one hidden iframe per service (each loads
// `frame_urls[i]`, which posts that service's LogoutRequest), a script that
// polls `status_url` and then goes to `finish_url` when every service has
// answered or after `timeout_seconds`; a button when scripts are off.
HttpResponse SamlLogoutProgressPage(std::string_view lang, const std::vector<std::string>& frame_urls,
                                    std::string_view status_url, std::string_view finish_url,
                                    int64_t timeout_seconds, std::string_view nonce);

}  // namespace certme::saml
