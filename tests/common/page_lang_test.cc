// The page language order (templates/page_lang.h) and what the renderer
// takes from the request it answers: the switcher, the request id, the
// remembered choice.
#include "templates/page_lang.h"

#include <gtest/gtest.h>

#include "common/request_scope.h"
#include "templates/templates.h"

namespace certme {
namespace {

HttpRequest Req(Params query = {}, std::string accept = "", std::string cookie = "") {
  HttpRequest r;
  r.method = "GET";
  r.path = "/some/page";
  r.query = std::move(query);
  if (!accept.empty()) r.headers.Set("Accept-Language", accept);
  if (!cookie.empty()) r.cookies[kLangCookie] = cookie;
  return r;
}

TEST(PageLang, SupportedTagsOnly) {
  EXPECT_EQ(SupportedLang("ru"), "ru");
  EXPECT_EQ(SupportedLang("RU-md"), "ru");
  EXPECT_EQ(SupportedLang("en_GB"), "en");
  EXPECT_EQ(SupportedLang("mo"), "ro");
  EXPECT_EQ(SupportedLang("de"), "");
  EXPECT_EQ(SupportedLang("rus"), "");
  EXPECT_EQ(SupportedLang(""), "");
  EXPECT_EQ(SupportedLang("<script>"), "");
  EXPECT_EQ(FirstSupportedLang("de fr-CA ru en"), "ru");
  EXPECT_EQ(FirstSupportedLang("de"), "");
}

TEST(PageLang, AcceptLanguageHonoursQValues) {
  EXPECT_EQ(AcceptLanguageLang("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), "ru");
  EXPECT_EQ(AcceptLanguageLang("de-DE,de;q=0.9,en;q=0.5,ru;q=0.6"), "ru");
  EXPECT_EQ(AcceptLanguageLang("en;q=0.5, ro;q=0.5"), "en") << "a tie goes to the earlier";
  EXPECT_EQ(AcceptLanguageLang("ru;q=0, en"), "en") << "q=0 means not acceptable";
  EXPECT_EQ(AcceptLanguageLang("ru;q=2, en;q=0.1"), "en") << "a malformed q drops its range";
  EXPECT_EQ(AcceptLanguageLang("*"), "");
  EXPECT_EQ(AcceptLanguageLang(std::string(10000, ',')), "");
}

TEST(PageLang, OrderIsParameterThenRequestedThenCookieThenAcceptLanguageThenRomanian) {
  HttpRequest all = Req({{"lang", "en"}}, "ru", "ro");
  EXPECT_EQ(NegotiateLang(&all, "ru"), "en");
  HttpRequest no_param = Req({}, "ru", "en");
  EXPECT_EQ(NegotiateLang(&no_param, "ro"), "ro") << "ui_locales wins over the cookie";
  EXPECT_EQ(NegotiateLang(&no_param, "de"), "en") << "an unsupported ui_locales is skipped";
  HttpRequest browser = Req({}, "ru,en;q=0.5");
  EXPECT_EQ(NegotiateLang(&browser), "ru") << "a Russian browser gets Russian";
  HttpRequest nothing = Req();
  EXPECT_EQ(NegotiateLang(&nothing), "ro");
  EXPECT_EQ(NegotiateLang(nullptr), "ro");
}

TEST(PageLang, InputsOutsideTheThreeLanguagesAreIgnored) {
  HttpRequest bad_param = Req({{"lang", "de"}}, "en");
  EXPECT_EQ(NegotiateLang(&bad_param), "en");
  HttpRequest long_param = Req({{"lang", "ru-RU\"><script>"}}, "en");
  EXPECT_EQ(NegotiateLang(&long_param), "en");
  HttpRequest bad_cookie = Req({}, "en", "xx\"; Path=/");
  EXPECT_EQ(NegotiateLang(&bad_cookie), "en");
  EXPECT_FALSE(LangCookieFor(bad_param).has_value());
  EXPECT_FALSE(LangCookieFor(long_param).has_value());
}

TEST(PageLang, SwitcherChoiceIsRemembered) {
  HttpRequest pick = Req({{"lang", "ru"}});
  auto cookie = LangCookieFor(pick);
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->name, kLangCookie);
  EXPECT_EQ(cookie->value, "ru");
  EXPECT_EQ(cookie->max_age_seconds, kLangCookieSeconds);
  // Pages rendered while answering the request set it.
  RequestScope scope(pick);
  HttpResponse page = HtmlPage(200, std::string("<p>x</p>"), "default-src 'none'");
  ASSERT_EQ(page.cookies.size(), 1u);
  EXPECT_EQ(page.cookies[0].value, "ru");
  // Already remembered: not set again.
  HttpRequest again = Req({{"lang", "ru"}}, "", "ru");
  EXPECT_FALSE(LangCookieFor(again).has_value());
}

TEST(PageLang, PagesShowTheRequestIdAndASwitcherThatKeepsTheQuery) {
  HttpRequest req = Req({{"txn", "a b&c"}, {"lang", "en"}});
  req.headers.Set("X-Request-Id", "req-12345");
  RequestScope scope(req);
  EXPECT_EQ(PageLang(), "en");
  auto html = Templates()->RenderPage("error", PageLang(),
                                      {{"title", "T"}, {"heading", "H"}, {"message", "M"}, {"home_url", "/"}});
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_NE(html->find("req-12345"), std::string::npos) << *html;
  EXPECT_NE(html->find("href=\"/some/page?txn=a%20b%26c&amp;lang=ru\""), std::string::npos) << *html;
  EXPECT_NE(html->find("<html lang=\"en\">"), std::string::npos);
}

TEST(PageLang, NoScopeNoRequestFacts) {
  EXPECT_EQ(RequestScope::Current(), nullptr);
  auto html = Templates()->RenderPage("error", "ro", {{"title", "T"}, {"heading", "H"}, {"message", "M"}});
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(html->find("class=\"langs\""), std::string::npos);
}

}  // namespace
}  // namespace certme
