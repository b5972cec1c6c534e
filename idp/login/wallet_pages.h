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
