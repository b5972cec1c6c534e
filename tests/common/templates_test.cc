#include "templates/templates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

namespace certme {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A folder of override templates, removed at the end of the test.
class OverrideDir {
 public:
  OverrideDir() {
    std::string tmpl = (std::filesystem::path(::testing::TempDir()) / "certme-templates-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~OverrideDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  void Write(const std::string& rel, const std::string& text) const {
    std::filesystem::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(Templates, ValuesAreEscapedEverywhere) {
  auto set = TemplateSet::Builtin();
  auto html = set->RenderPage("message", "en",
                              {{"title", "<script>alert(1)</script>"},
                               {"heading", "\"quoted\" & 'single'"},
                               {"message", "<img src=x onerror=alert(1)>"}});
  ASSERT_TRUE(html.ok()) << html.status().ToString();
  EXPECT_THAT(*html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(*html, Not(HasSubstr("<img src=x")));
  EXPECT_THAT(*html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(*html, HasSubstr("&quot;quoted&quot; &amp; &#39;single&#39;"));
  EXPECT_THAT(*html, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
}

TEST(Templates, LayoutWrapsThePageInTheLanguageAsked) {
  auto set = TemplateSet::Builtin();
  for (const char* lang : {"ro", "ru", "en"}) {
    auto html = set->RenderPage("message", lang, {{"title", "T"}, {"message", "M"}});
    ASSERT_TRUE(html.ok()) << html.status().ToString();
    EXPECT_THAT(*html, HasSubstr(std::string("<html lang=\"") + lang + "\">"));
    EXPECT_THAT(*html, HasSubstr("<title>T</title>"));
    EXPECT_THAT(*html, HasSubstr("class=\"logo\""));
    EXPECT_THAT(*html, HasSubstr(set->Text(lang, "footer")));
  }
  // Anything else is Romanian, the default.
  auto html = set->RenderPage("message", "xx\"><script>", {{"title", "T"}});
  ASSERT_TRUE(html.ok());
  EXPECT_THAT(*html, HasSubstr("<html lang=\"ro\">"));
}

TEST(Templates, UnknownTemplateIsAClearError) {
  auto r = TemplateSet::Builtin()->Render("no/such/page", "en", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no/such/page"));
}

TEST(Templates, RenderErrorBecomesABare500Page) {
  HttpResponse r = HtmlPage(200, Internal("page could not be rendered", "secret detail"), "x");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, Not(HasSubstr("secret detail")));
  EXPECT_EQ(r.headers.Get("cache-control"), "no-store");
}

TEST(Templates, StylesheetIsAllowedByItsHash) {
  auto set = TemplateSet::Builtin();
  auto html = set->RenderPage("message", "en", {{"title", "T"}});
  ASSERT_TRUE(html.ok());
  size_t open = html->find("<style>");
  size_t close = html->find("</style>");
  ASSERT_NE(open, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  std::string css = html->substr(open + 7, close - open - 7);
  EXPECT_EQ(css, *set->Asset("certme.css"));
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  ASSERT_EQ(EVP_Digest(css.data(), css.size(), d, &n, EVP_sha256(), nullptr), 1);
  std::string want = "style-src 'sha256-" + Base64Encode(std::string(reinterpret_cast<char*>(d), n)) + "'";
  EXPECT_THAT(set->PageCsp(), HasSubstr(want));
  EXPECT_THAT(set->PageCsp(), HasSubstr("default-src 'none'"));
  EXPECT_THAT(set->PageCsp("script-src 'nonce-abc'"), HasSubstr("; script-src 'nonce-abc'"));
}

// Raw output is for HTML the server made itself; every other tag escapes.
TEST(Templates, BuiltinTemplatesUseRawTagsOnlyForServerMadeHtml) {
  static const std::regex kRaw(R"(\{\{\{\s*([^}\s]+)\s*\}\}\}|\{\{&\s*([^}\s]+)\s*\}\})");
  const std::set<std::string> allowed = {"content", "style", "qr_svg"};
  int templates = 0;
  for (const auto& [name, text] : TemplateSet::Builtin()->files()) {
    if (name.size() < 9 || name.substr(name.size() - 9) != ".mustache") continue;
    ++templates;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kRaw); it != std::sregex_iterator(); ++it) {
      std::string var = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
      EXPECT_TRUE(allowed.count(var)) << name << " outputs {{{" << var << "}}} unescaped";
    }
    // No delimiter changes: they would hide raw tags from this check.
    EXPECT_THAT(text, Not(HasSubstr("{{="))) << name;
  }
  EXPECT_GT(templates, 2);
}

TEST(Templates, EveryLanguageHasEveryText) {
  auto set = TemplateSet::Builtin();
  std::map<std::string, std::set<std::string>> keys;
  for (const char* lang : {"ro", "ru", "en"}) {
    auto cat = nlohmann::json::parse(set->files().at(std::string("i18n/") + lang + ".json"));
    for (const auto& [k, v] : cat.items()) {
      keys[lang].insert(k);
      EXPECT_FALSE(v.get<std::string>().empty()) << lang << " " << k;
    }
  }
  EXPECT_EQ(keys["ro"], keys["en"]);
  EXPECT_EQ(keys["ru"], keys["en"]);
}

TEST(Templates, OverrideReplacesATemplateAndATextAndKeepsTheRest) {
  OverrideDir dir;
  dir.Write("message.mustache", "<p class=\"mine\">{{message}}</p>");
  auto en = nlohmann::json::parse(TemplateSet::Builtin()->files().at("i18n/en.json"));
  en["footer"] = "Operated by Example";
  dir.Write("i18n/en.json", en.dump());
  auto set = TemplateSet::WithOverrides(dir.path());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto html = (*set)->RenderPage("message", "en", {{"message", "<b>"}});
  ASSERT_TRUE(html.ok());
  EXPECT_THAT(*html, HasSubstr("<p class=\"mine\">&lt;b&gt;</p>"));
  EXPECT_THAT(*html, HasSubstr("Operated by Example"));
  EXPECT_THAT(*html, HasSubstr("class=\"logo\""));  // the built-in layout
  // Builtin() is untouched.
  EXPECT_THAT(*TemplateSet::Builtin()->RenderPage("message", "en", {{"message", "m"}}),
              Not(HasSubstr("mine")));
}

TEST(Templates, OverrideWithMalformedTemplateIsRefused) {
  OverrideDir dir;
  dir.Write("message.mustache", "<p>{{#open}}never closed</p>");
  auto set = TemplateSet::WithOverrides(dir.path());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(), HasSubstr("message.mustache"));
}

TEST(Templates, OverrideWithUnknownPartialOrMissingTextOrNoFolderIsRefused) {
  {
    OverrideDir dir;
    dir.Write("message.mustache", "{{> layout/nope}}");
    auto set = TemplateSet::WithOverrides(dir.path());
    ASSERT_FALSE(set.ok());
    EXPECT_THAT(set.status().message(), HasSubstr("layout/nope"));
  }
  {
    OverrideDir dir;
    dir.Write("i18n/ru.json", R"({"footer":"x"})");
    auto set = TemplateSet::WithOverrides(dir.path());
    ASSERT_FALSE(set.ok());
    EXPECT_THAT(set.status().message(), HasSubstr("i18n/ru.json"));
  }
  {
    OverrideDir dir;
    dir.Write("i18n/ro.json", "[not json");
    EXPECT_FALSE(TemplateSet::WithOverrides(dir.path()).ok());
  }
  EXPECT_FALSE(TemplateSet::WithOverrides("/nonexistent/certme/templates").ok());
}

TEST(Templates, PartialCycleIsAnErrorNotACrash) {
  OverrideDir dir;
  dir.Write("a.mustache", "a{{> b}}");
  dir.Write("b.mustache", "b{{> a}}");
  auto set = TemplateSet::WithOverrides(dir.path());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto r = (*set)->Render("a", "en", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Templates, InstalledSetIsWhatPagesUse) {
  EXPECT_EQ(Templates(), TemplateSet::Builtin());
  OverrideDir dir;
  dir.Write("message.mustache", "mine");
  auto set = TemplateSet::WithOverrides(dir.path());
  ASSERT_TRUE(set.ok());
  InstallTemplates(*set);
  EXPECT_EQ(Templates(), *set);
  InstallTemplates(TemplateSet::Builtin());
}

}  // namespace
}  // namespace certme
