// The console's pages as a browser meets them: every change answers 303
// and a reload of the page it lands on repeats nothing (POST/Redirect/GET);
// a secret is shown once after the redirect; the page language's order;
// the service list's search and the file-registered services; names in
// the audit log.
#include "pages_fixture.h"

namespace certme::admin {
namespace {

using testing::AdminPagesTest;
using testing::MakeCert;
using testing::MultipartForm;

class AdminPrgTest : public AdminPagesTest {
 protected:
  // A multipart registration of an OIDC service named `en`.
  HttpResponse Register(const std::string& en, const std::string& ru = "Служба") {
    static const auto cert = MakeCert("prg");
    MultipartForm form;
    auto field = [&](const std::string& name, const std::string& value, const std::string& filename = "") {
      form.Field(name, value, filename);
    };
    field("csrf", Csrf());
    field("protocol", "oidc");
    field("name_ro", "Serviciu " + en);
    field("name_ru", ru);
    field("name_en", en);
    field("description", "One sentence.");
    field("technical_contact", "it@rp.example");
    field("contract_number", "C-" + en);
    field("contract_date", "2026-01-15");
    field("certificate", cert.pem, "rp.cer");
    field("attributes", "idnp");
    field("redirect_uris", "https://rp.example/cb\r\n");
    field("post_logout_redirect_uris", "https://rp.example/bye\r\n");
    field("backchannel_logout_uri", "https://rp.example/bc");
    field("token_endpoint_auth_method", "client_secret_basic");
    field("id_token_signed_response_alg", "RS256");
    return Call("POST", "/admin/services", form.Request());
  }

  HttpResponse Get(const std::string& path, std::initializer_list<std::pair<std::string, std::string>> query = {},
                   const std::string& lang = "en") {
    HttpRequest req;
    for (const auto& [k, v] : query) req.query.emplace(k, v);
    req.headers.Set("accept-language", lang);
    return Call("GET", path, req);
  }

  static std::string Between(const std::string& body, const std::string& start, char end) {
    size_t at = body.find(start);
    if (at == std::string::npos) return "";
    at = body.find('>', at) + 1;
    return body.substr(at, body.find(end, at) - at);
  }
};

TEST_F(AdminPrgTest, RegisteringRedirectsAndTheSecretIsShownOnceThere) {
  SignInOk();
  auto posted = Register("Parking");
  ASSERT_EQ(posted.status, 303) << posted.body;
  const std::string to = posted.headers.Get("location").value_or("");
  EXPECT_NE(to.find("done=registered"), std::string::npos) << to;
  EXPECT_NE(to.find("flash="), std::string::npos) << to;
  EXPECT_TRUE(posted.body.empty() || posted.body.find("shown once") == std::string::npos);

  auto page = Follow(posted);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Registered on the test environment."), std::string::npos);
  const std::string secret = Between(page.body, "id=\"client-secret\"", '<');
  ASSERT_EQ(secret.size(), 43u) << page.body;
  EXPECT_EQ(to.find(secret), std::string::npos);  // never in the address
  for (const auto& c : posted.cookies) EXPECT_EQ(c.value.find(secret), std::string::npos);

  // The reload (F5 on the landing page): the same address again.
  auto reload = Follow(posted);
  EXPECT_EQ(reload.status, 200);
  EXPECT_EQ(reload.body.find(secret), std::string::npos);
  EXPECT_NE(reload.body.find("already shown"), std::string::npos);
  EXPECT_EQ(services_.List()->size(), 1u);  // nothing registered twice
  // The secret shown is the one the client authenticates with.
  const std::string id = services_.List()->at(0).id;
  EXPECT_EQ(NewStoreClientRegistry(*store_)->Get(id)->client_secret_sha256, HashClientSecret(secret));
}

TEST_F(AdminPrgTest, AnotherUserFollowingTheAddressSeesNoSecret) {
  ASSERT_TRUE(accounts_.CreateUser("cli", "ion", Secret("a long enough password")).ok());
  SignInOk();
  auto posted = Register("Parking");
  ASSERT_EQ(posted.status, 303);
  SignInOk("ion");
  auto page = Follow(posted);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("id=\"client-secret\""), std::string::npos);
  SignInOk("ana");
  EXPECT_NE(Follow(posted).body.find("id=\"client-secret\""), std::string::npos);  // still there for ana
}

TEST_F(AdminPrgTest, EveryChangeAnswersSeeOther) {
  SignInOk();
  ASSERT_EQ(Register("Parking").status, 303);
  const std::string id = services_.List()->at(0).id;
  HttpRequest form;
  form.form = {{"csrf", Csrf()}};
  for (const char* action : {"disable", "enable", "rotate-secret"}) {
    auto r = Call("POST", "/admin/services/" + id + "/environments/test/" + action, form);
    EXPECT_EQ(r.status, 303) << action;
    EXPECT_EQ(r.headers.Get("location").value_or("").rfind("/admin/services/" + id + "?done=", 0), 0u) << action;
  }
  auto rotated = Call("POST", "/admin/services/" + id + "/environments/test/rotate-secret", form);
  auto shown = Follow(rotated);
  EXPECT_NE(shown.body.find("New client secret for Test"), std::string::npos);
  EXPECT_NE(shown.body.find("id=\"client-secret\""), std::string::npos);

  form.form = {{"csrf", Csrf()}, {"name", "ci"}, {"scopes", "read"}};
  auto token = Call("POST", "/admin/tokens", form);
  EXPECT_EQ(token.status, 303);
  EXPECT_EQ(accounts_.ListTokens()->size(), 1u);
  auto once = Follow(token);
  EXPECT_NE(once.body.find("id=\"api-token\""), std::string::npos);
  EXPECT_EQ(Follow(token).body.find("id=\"api-token\""), std::string::npos);
  EXPECT_EQ(accounts_.ListTokens()->size(), 1u);

  form.form = {{"csrf", Csrf()}, {"confirm", id}};
  auto deleted = Call("POST", "/admin/services/" + id + "/delete", form);
  EXPECT_EQ(deleted.status, 303);
  EXPECT_NE(Follow(deleted).body.find("Deleted."), std::string::npos);
  EXPECT_TRUE(services_.List()->empty());
}

TEST_F(AdminPrgTest, LanguageFollowsTheQueryThenTheCookieThenTheBrowserThenRomanian) {
  SignInOk();
  auto ro = Get("/admin/services", {}, "");
  EXPECT_NE(ro.body.find("<html lang=\"ro\">"), std::string::npos);
  EXPECT_NE(ro.body.find("Înregistrează un serviciu SAML"), std::string::npos);
  auto ru = Get("/admin/services", {}, "de, ru;q=0.8, en;q=0.5");
  EXPECT_NE(ru.body.find("<html lang=\"ru\">"), std::string::npos);
  EXPECT_NE(ru.body.find("Зарегистрировать сервис SAML"), std::string::npos);

  HttpRequest cookie;
  cookie.cookies["certme_lang"] = "en";
  cookie.headers.Set("accept-language", "ru");
  EXPECT_NE(Call("GET", "/admin/services", cookie).body.find("<html lang=\"en\">"), std::string::npos);

  cookie.query.emplace("lang", "ro");
  auto switched = Call("GET", "/admin/services", cookie);
  EXPECT_NE(switched.body.find("<html lang=\"ro\">"), std::string::npos);
  const SetCookie* remembered = FindCookie(switched, "certme_lang");
  ASSERT_TRUE(remembered);
  EXPECT_EQ(remembered->value, "ro");

  // The switcher links to the same page with the search kept, the one-time
  // note left out.
  auto page = Get("/admin/services", {{"q", "park"}, {"flash", "x"}});
  EXPECT_NE(page.body.find("href=\"/admin/services?q=park&amp;lang=ru\""), std::string::npos) << page.body;
  // The sign-in page and error messages speak it too.
  cookie_.clear();
  EXPECT_NE(Get("/admin/login", {}, "ru").body.find("Имя пользователя"), std::string::npos);
  HttpRequest bad;
  bad.headers.Set("accept-language", "ro");
  bad.form = {{"user", "ana"}, {"password", "x"}};
  EXPECT_NE(Call("POST", "/admin/login", bad).body.find("Formularul de autentificare a expirat"), std::string::npos);
}

TEST_F(AdminPrgTest, FieldErrorsSpeakThePageLanguage) {
  SignInOk();
  HttpRequest req;
  req.headers.Set("content-type", "multipart/form-data; boundary=q");
  req.headers.Set("accept-language", "ro");
  req.body = "--q\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + Csrf() +
             "\r\n--q\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\noidc\r\n--q--\r\n";
  auto r = Call("POST", "/admin/services", req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Câmp obligatoriu: denumirea în română"), std::string::npos);
  EXPECT_NE(r.body.find("este necesar cel puțin un URL"), std::string::npos);
  EXPECT_EQ(r.body.find("is required"), std::string::npos);
}

TEST_F(AdminPrgTest, SearchFiltersOnTheServerAndFileServicesAreListedReadOnly) {
  SignInOk();
  auto empty = Get("/admin/services");
  EXPECT_EQ(empty.body.find("No service is registered"), std::string::npos);  // the file's client is live
  EXPECT_NE(empty.body.find("Demo site"), std::string::npos);
  EXPECT_NE(empty.body.find("configuration file, read-only"), std::string::npos);
  ASSERT_EQ(Register("Parking", "Парковка").status, 303);
  ASSERT_EQ(Register("Hospital", "Больница").status, 303);

  auto parking = Get("/admin/services", {{"q", "PARK"}});
  EXPECT_NE(parking.body.find(">Parking<"), std::string::npos);
  EXPECT_EQ(parking.body.find(">Hospital<"), std::string::npos);
  EXPECT_EQ(parking.body.find("Demo site"), std::string::npos);
  EXPECT_NE(parking.body.find("1 of 3 services match."), std::string::npos);
  EXPECT_NE(Get("/admin/services", {{"q", "больница"}}).body.find(">Hospital<"), std::string::npos);
  auto by_id = Get("/admin/services", {{"q", "demo"}});
  EXPECT_NE(by_id.body.find("Demo site"), std::string::npos);
  EXPECT_EQ(by_id.body.find(">Parking<"), std::string::npos);
  auto production = Get("/admin/services", {{"env", "production"}});
  EXPECT_NE(production.body.find("No service matches the search."), std::string::npos);
  EXPECT_NE(production.body.find("<option value=\"production\" selected>"), std::string::npos);
  auto markup = Get("/admin/services", {{"q", "<b>x"}});
  EXPECT_NE(markup.body.find("value=\"&lt;b&gt;x\""), std::string::npos);

  auto file = Get("/admin/file-services", {{"protocol", "oidc"}, {"id", "demo"}});
  ASSERT_EQ(file.status, 200);
  for (const char* uri : {"https://demo.example/cb", "https://demo.example/bye", "https://demo.example/bc-logout"})
    EXPECT_NE(file.body.find(uri), std::string::npos) << uri;
  EXPECT_NE(file.body.find("examples/demo-clients.yaml"), std::string::npos);
  EXPECT_EQ(file.body.find("/delete\""), std::string::npos);
  EXPECT_EQ(file.body.find("/edit/"), std::string::npos);
  EXPECT_EQ(Get("/admin/file-services", {{"protocol", "oidc"}, {"id", "nope"}}).status, 404);
}

TEST_F(AdminPrgTest, AServicePageShowsEveryUriAndOption) {
  SignInOk();
  ASSERT_EQ(Register("Parking").status, 303);
  auto page = Get("/admin/services/" + services_.List()->at(0).id);
  for (const char* text : {"https://rp.example/cb", "https://rp.example/bye", "https://rp.example/bc",
                           "Post-logout redirect URIs", "Back-channel logout URI", "Grant types", "authorization_code",
                           "client_secret_basic", "RS256", "Scopes", "iss in authorization responses",
                           "data-copy=\"Copy\""})
    EXPECT_NE(page.body.find(text), std::string::npos) << text;
  // The copy buttons' script runs by the page's nonce, and nothing else may.
  const std::string csp = page.csp.value_or("");
  auto at = csp.find("script-src 'nonce-");
  ASSERT_NE(at, std::string::npos) << csp;
  const std::string nonce = csp.substr(at + 18, csp.find('\'', at + 18) - at - 18);
  EXPECT_NE(page.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
}

TEST_F(AdminPrgTest, TheAuditLogNamesServicesEvenAfterDeletion) {
  SignInOk();
  ASSERT_EQ(Register("Parking").status, 303);
  const std::string id = services_.List()->at(0).id;
  auto audit = Get("/admin/audit");
  EXPECT_NE(audit.body.find("<span class=\"target-name\">Parking</span>"), std::string::npos);
  EXPECT_NE(audit.body.find("href=\"/admin/services/" + id + "\""), std::string::npos);
  HttpRequest form;
  form.form = {{"csrf", Csrf()}, {"confirm", id}};
  ASSERT_EQ(Call("POST", "/admin/services/" + id + "/delete", form).status, 303);
  auto after = Get("/admin/audit", {}, "ru");
  EXPECT_NE(after.body.find("service.delete"), std::string::npos);
  // The delete entry and the create entry both carry the name; the Russian
  // page shows the Russian one.
  size_t first = after.body.find("<span class=\"target-name\">Служба</span>");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(after.body.find("<span class=\"target-name\">Служба</span>", first + 1), std::string::npos);
  EXPECT_EQ(after.body.find("href=\"/admin/services/" + id + "\""), std::string::npos);
}

}  // namespace
}  // namespace certme::admin
