// Which of the three page languages (ro, ru, en) a user-facing page speaks.
// The order, for every page (login, errors, the 404, the landing page):
//   1. `lang` in the query (the page's language switcher, or a link that
//      names one),
//   2. the language the flow was started with (OIDC `ui_locales`, SAML
//      `lang`), when it named a supported one,
//   3. the switcher's earlier choice, remembered in the cookie `certme_lang`,
//   4. the browser's Accept-Language (RFC 9110 §12.5.4, q-values honoured),
//   5. Romanian.
// Every input is matched against the three languages only; anything else is
// ignored, never echoed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/http_message.h"

namespace certme {

inline constexpr char kLangParam[] = "lang";
inline constexpr char kLangCookie[] = "certme_lang";
// The remembered choice lives a year.
inline constexpr int64_t kLangCookieSeconds = 365 * 24 * 3600;

// "ro" | "ru" | "en" for a language tag naming one ("RU", "ru-MD", "en_GB"),
// "" otherwise.
std::string SupportedLang(std::string_view tag);
// The first supported language of a space-separated list (OIDC ui_locales);
// "" when none.
std::string FirstSupportedLang(std::string_view list);
// The supported language the Accept-Language value prefers (highest q above
// 0; on a tie the earlier one); "" when it names none.
std::string AcceptLanguageLang(std::string_view header);
// The page language for `req` (null: no request known) by the order above;
// `requested` is step 2 ("" or anything unsupported skips it).
std::string NegotiateLang(const HttpRequest* req, std::string_view requested = {});
// NegotiateLang on the request this thread is answering (RequestScope).
std::string PageLang(std::string_view requested = {});
// The cookie that remembers a switcher choice, when `req` names a supported
// `lang` in its query; nullopt otherwise.
std::optional<SetCookie> LangCookieFor(const HttpRequest& req);

}  // namespace certme
