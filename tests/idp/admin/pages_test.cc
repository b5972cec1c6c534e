// The console's pages through their routes: sign-in, cookies, CSRF, a
// multipart registration whose name is markup, and lock-out on the page.
#include <gtest/gtest.h>

#include "pages_fixture.h"

namespace certme::admin {
namespace {

using testing::AdminPagesTest;
using testing::Catalogue;
using testing::MakeCert;
using testing::MultipartForm;


TEST_F(AdminPagesTest, PagesNeedASession) {
  for (const char* p : {"/admin/services", "/admin/services/new", "/admin/audit", "/admin/audit/export",
                        "/admin/services/svc-1"}) {
    auto r = Call("GET", p);
    EXPECT_EQ(r.status, 303) << p;
    EXPECT_EQ(r.headers.Get("location").value_or(""), "/admin/login") << p;
  }
}

TEST_F(AdminPagesTest, SignInSetsAStrictHttpOnlyCookieLimitedToAdmin) {
  SignInOk();
  auto r = SignIn("a long enough password");
  const SetCookie* c = FindCookie(r, "certme_admin");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->http_only);
  EXPECT_TRUE(c->secure);
  EXPECT_EQ(c->same_site, SameSite::kStrict);
  EXPECT_EQ(c->path, "/admin");
  EXPECT_EQ(Call("GET", "/admin/services").status, 200);
}

TEST_F(AdminPagesTest, SignInWithoutTheFormTokenIsRefused) {
  HttpRequest req;
  req.form = {{"user", "ana"}, {"password", "a long enough password"}};
  auto r = Call("POST", "/admin/login", req);
  EXPECT_EQ(r.status, 403);
  EXPECT_FALSE(FindCookie(r, "certme_admin"));
  EXPECT_NE(r.body.find("expired"), std::string::npos);
}

// A locked account gets the answer a wrong password gets (the page states
// the lock-out policy, so the user knows to wait), never a distinct "locked"
// answer that would tell which names exist.
TEST_F(AdminPagesTest, LockOutIsExplainedOnThePage) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SignIn("wrong password!!").status, 401);
  auto r = SignIn("a long enough password");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("locked"), std::string::npos);
  EXPECT_FALSE(FindCookie(r, "certme_admin"));
}

TEST_F(AdminPagesTest, FormsWithoutTheSessionCsrfTokenChangeNothing) {
  SignInOk();
  HttpRequest req;
  req.form = {{"csrf", "forged"}};
  EXPECT_EQ(Call("POST", "/admin/logout", req).status, 403);
  EXPECT_EQ(Call("POST", "/admin/services/svc-1/environments/test/disable", req).status, 403);
  EXPECT_EQ(Call("POST", "/admin/services/svc-1/delete", req).status, 403);
  HttpRequest multipart;
  multipart.headers.Set("content-type", "multipart/form-data; boundary=b");
  multipart.body = "--b\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\noidc\r\n--b--\r\n";
  EXPECT_EQ(Call("POST", "/admin/services", multipart).status, 403);
  EXPECT_TRUE(services_.List()->empty());
  EXPECT_TRUE(accounts_.Session(cookie_).ok());  // not signed out
}

TEST_F(AdminPagesTest, MarkupInANameIsShownAsText) {
  SignInOk();
  static const auto cert = MakeCert("pages");
  MultipartForm form;
  auto field = [&](const std::string& name, const std::string& value, const std::string& filename = "") {
    form.Field(name, value, filename);
  };
  field("csrf", Csrf());
  field("protocol", "oidc");
  field("name_ro", "Serviciu");
  field("name_ru", "Служба");
  field("name_en", "<script>alert(1)</script>");
  field("description", "A \"quoted\" <b>service</b>.");
  field("technical_contact", "it@rp.example");
  field("contract_number", "C-1");
  field("contract_date", "2026-01-15");
  field("certificate", cert.der, "rp.cer");
  field("attributes", "first_name");
  field("attributes", "idnp");
  field("redirect_uris", "https://rp.example/cb\r\n");
  field("token_endpoint_auth_method", "client_secret_basic");
  field("id_token_signed_response_alg", "RS256");
  auto posted = Call("POST", "/admin/services", form.Request());
  ASSERT_EQ(posted.status, 303) << posted.body;
  auto r = Follow(posted);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<b>service"), std::string::npos);
  EXPECT_NE(r.body.find("shown once"), std::string::npos);
  auto list = services_.List();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].attributes, (std::vector<std::string>{"first_name", "idnp"}));
  auto page = Call("GET", "/admin/services/" + (*list)[0].id);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("shown once"), std::string::npos);
  auto listing = Call("GET", "/admin/services");
  EXPECT_EQ(listing.body.find("<script>alert"), std::string::npos);
  auto audit = Call("GET", "/admin/audit");
  EXPECT_EQ(audit.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(audit.body.find("service.create"), std::string::npos);
}

TEST_F(AdminPagesTest, FieldErrorsComeBackOnTheForm) {
  SignInOk();
  static const auto cert = MakeCert("pages2");
  std::string body = "--q\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + Csrf() +
                     "\r\n--q\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\nsaml\r\n"
                     "--q\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"k.pem\"\r\n\r\n" +
                     cert.private_pem + "\r\n--q--\r\n";
  HttpRequest req;
  req.headers.Set("content-type", "multipart/form-data; boundary=q");
  req.body = body;
  auto r = Call("POST", "/admin/services", req);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("never send the .pfx"), std::string::npos);
  EXPECT_NE(r.body.find("the Romanian name is required"), std::string::npos);
  EXPECT_NE(r.body.find("class=\"field-error\""), std::string::npos);
  // Garbage that is not multipart is refused with a page, not a crash.
  HttpRequest bad;
  bad.headers.Set("content-type", "multipart/form-data; boundary=q");
  bad.body = "--q\r\nno headers end";
  EXPECT_EQ(Call("POST", "/admin/services", bad).status, 400);
}

TEST_F(AdminPagesTest, EditPageSavesInPlaceAndRefusesAStaleVersion) {
  SignInOk();
  static const auto cert = MakeCert("pages3");
  ServiceInput in;
  in.protocol = "oidc";
  in.technical_contact = "it@rp.example";
  in.name_ro = "Serviciu";
  in.name_ru = "Служба";
  in.name_en = "Service";
  in.description = "Before.";
  in.certificate = cert.pem;
  in.attributes = {"idnp"};
  in.contract_number = "C-1";
  in.contract_date = "2026-01-15";
  in.redirect_uris = {"https://rp.example/cb"};
  FieldErrors e;
  auto created = services_.Create("ana", in, &e);
  ASSERT_TRUE(created.ok());
  const std::string id = created->record.id;
  const std::string hash = NewStoreClientRegistry(*store_)->Get(id)->client_secret_sha256;

  auto page = Call("GET", "/admin/services/" + id + "/edit/test");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("name=\"version\" value=\"1\""), std::string::npos);
  EXPECT_NE(page.body.find("What saving an edit does to live sessions"), std::string::npos);
  EXPECT_NE(page.body.find("https://rp.example/cb"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"authorization_response_iss\" value=\"yes\" checked"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"require_signed_request_object\" value=\"yes\">"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"dpop_bound_access_tokens\" value=\"yes\">"), std::string::npos);
  EXPECT_NE(page.body.find("name=\"tls_client_certificate_bound_access_tokens\" value=\"yes\">"), std::string::npos);
  EXPECT_EQ(page.body.find("name=\"metadata_xml\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/admin/services/" + id + "/edit/production").status, 404);
  EXPECT_NE(Call("GET", "/admin/services/" + id).body.find("/admin/services/" + id + "/edit/test"), std::string::npos);

  auto post = [&](const std::string& version, const std::string& description) {
    MultipartForm form;
    auto field = [&](const std::string& name, const std::string& value) { form.Field(name, value); };
    field("csrf", Csrf());
    field("version", version);
    field("name_ro", "Serviciu");
    field("name_ru", "Служба");
    field("name_en", "Service");
    field("description", description);
    field("technical_contact", "it@rp.example");
    field("contract_number", "C-1");
    field("contract_date", "2026-01-15");
    field("attributes", "idnp");
    field("attributes", "first_name");
    field("redirect_uris", "https://rp.example/cb\r\nhttps://rp.example/cb2\r\n");
    field("token_endpoint_auth_method", "client_secret_basic");
    field("id_token_signed_response_alg", "RS256");
    field("iss_shown", "yes");  // and authorization_response_iss unticked
    field("dpop_shown", "yes");
    field("dpop_bound_access_tokens", "yes");
    return Call("POST", "/admin/services/" + id + "/edit/test", form.Request());
  };
  auto posted = post("1", "After.");
  ASSERT_EQ(posted.status, 303) << posted.body;
  auto saved = Follow(posted);
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_NE(saved.body.find("live as edited"), std::string::npos);
  EXPECT_EQ(saved.body.find("shown once"), std::string::npos);  // no new secret
  auto live = NewStoreClientRegistry(*store_)->Get(id);
  EXPECT_EQ(live->client_secret_sha256, hash);
  EXPECT_EQ(live->redirect_uris.size(), 2u);
  EXPECT_FALSE(live->authorization_response_iss);
  EXPECT_TRUE(live->dpop_bound_access_tokens);
  EXPECT_FALSE(live->tls_client_certificate_bound_access_tokens);
  EXPECT_EQ(live->certificate_pem, cert.pem);

  auto stale = post("1", "Stale.");
  EXPECT_EQ(stale.status, 409);
  EXPECT_NE(stale.body.find("changed since you opened it"), std::string::npos);
  EXPECT_EQ(services_.Get(id)->description, "After.");
  auto invalid = post("2", "");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("the description is required"), std::string::npos);
  EXPECT_NE(invalid.body.find("Not saved."), std::string::npos);
}

TEST_F(AdminPagesTest, SubjectTypeSectorAndSha1AreOnTheForms) {
  SignInOk();
  static const auto cert = MakeCert("pages4");
  ServiceInput in;
  in.technical_contact = "it@rp.example";
  in.name_ro = "Serviciu";
  in.name_ru = "Служба";
  in.name_en = "Service";
  in.description = "Fields.";
  in.certificate = cert.pem;
  in.attributes = {"idnp"};
  in.contract_number = "C-1";
  in.contract_date = "2026-01-15";
  ServiceInput saml = in;
  saml.protocol = "saml";
  saml.entity_id = "https://sp.example/md";
  saml.acs_urls = {"https://sp.example/acs"};
  saml.allow_sha1 = true;
  FieldErrors e;
  auto sp = services_.Create("ana", saml, &e);
  ASSERT_TRUE(sp.ok()) << nlohmann::json(e).dump();
  auto sp_form = Call("GET", "/admin/services/" + sp->record.id + "/edit/test");
  ASSERT_EQ(sp_form.status, 200);
  EXPECT_NE(sp_form.body.find("name=\"allow_sha1\" value=\"yes\" checked"), std::string::npos);
  EXPECT_NE(sp_form.body.find("SHA-1 is weak"), std::string::npos);
  EXPECT_NE(sp_form.body.find("legacy SP"), std::string::npos);
  EXPECT_NE(Call("GET", "/admin/services/" + sp->record.id).body.find("Accepts SHA-1 signatures"), std::string::npos);

  in.protocol = "oidc";
  in.redirect_uris = {"https://rp.example/cb"};
  auto rp = services_.Create("ana", in, &e);
  ASSERT_TRUE(rp.ok()) << nlohmann::json(e).dump();
  const std::string id = rp->record.id;
  auto rp_form = Call("GET", "/admin/services/" + id + "/edit/test");
  EXPECT_NE(rp_form.body.find("name=\"subject_type\""), std::string::npos);
  EXPECT_NE(rp_form.body.find("name=\"sector_identifier\""), std::string::npos);
  auto post = [&](const std::string& version, const std::string& subject_type, const std::string& sector) {
    MultipartForm form;
    auto field = [&](const std::string& name, const std::string& value) { form.Field(name, value); };
    field("csrf", Csrf());
    field("version", version);
    field("name_ro", "Serviciu");
    field("name_ru", "Служба");
    field("name_en", "Service");
    field("description", "Fields.");
    field("technical_contact", "it@rp.example");
    field("contract_number", "C-1");
    field("contract_date", "2026-01-15");
    field("attributes", "idnp");
    field("redirect_uris", "https://rp.example/cb\r\nhttps://www.rp.example/cb\r\n");
    field("token_endpoint_auth_method", "client_secret_basic");
    field("id_token_signed_response_alg", "RS256");
    field("subject_type", subject_type);
    field("sector_identifier", sector);
    return Call("POST", "/admin/services/" + id + "/edit/test", form.Request());
  };
  auto no_sector = post("1", "pairwise", "");
  EXPECT_EQ(no_sector.status, 400);
  EXPECT_NE(no_sector.body.find("need a sector host"), std::string::npos);
  auto public_sector = post("1", "public", "rp.example");
  EXPECT_EQ(public_sector.status, 400);
  EXPECT_NE(public_sector.body.find("only for pairwise"), std::string::npos);
  auto saved = post("1", "pairwise", "rp.example");
  ASSERT_EQ(saved.status, 303) << saved.body;
  auto live = NewStoreClientRegistry(*store_)->Get(id);
  EXPECT_EQ(live->subject_type, "pairwise");
  EXPECT_EQ(live->sector_identifier, "rp.example");
  auto again = Call("GET", "/admin/services/" + id + "/edit/test");
  EXPECT_NE(again.body.find("value=\"rp.example\""), std::string::npos);
  EXPECT_NE(again.body.find("<option value=\"pairwise\" selected>"), std::string::npos);
}

// Roles on the pages: a viewer is offered no change and refused any.
TEST_F(AdminPagesTest, AViewerCannotChangeAnything) {
  ASSERT_TRUE(accounts_.CreateUser("cli", "vera", Secret("a long enough password"), Role::kViewer).ok());
  SignInOk("vera");
  auto list = Call("GET", "/admin/services");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("Register a SAML service"), std::string::npos);
  EXPECT_NE(list.body.find("(viewer)"), std::string::npos);
  EXPECT_EQ(Call("GET", "/admin/services/new").status, 403);
  EXPECT_EQ(Call("GET", "/admin/users").status, 403);
  HttpRequest multipart;
  multipart.headers.Set("content-type", "multipart/form-data; boundary=b");
  multipart.body = "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + Csrf() +
                   "\r\n--b\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\noidc\r\n--b--\r\n";
  auto r = Call("POST", "/admin/services", multipart);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("operator"), std::string::npos);
  EXPECT_TRUE(services_.List()->empty());
}

// Tokens are made by a signed-in user, for themself, within their role.
TEST_F(AdminPagesTest, TokensAreMadeOnTheTokensPage) {
  SignInOk();
  HttpRequest req;
  req.form = {{"csrf", Csrf()}, {"name", "ci"}, {"scopes", "read"}, {"ttl", "2d"}};
  auto created = Call("POST", "/admin/tokens", req);
  ASSERT_EQ(created.status, 303) << created.body;
  auto made = Follow(created);
  ASSERT_EQ(made.status, 200) << made.body;
  auto at = made.body.find("id=\"api-token\"");
  ASSERT_NE(at, std::string::npos);
  at = made.body.find('>', at) + 1;
  std::string token = made.body.substr(at, made.body.find('<', at) - at);
  auto caller = accounts_.Authenticate(token);
  ASSERT_TRUE(caller.ok()) << token;
  EXPECT_EQ(caller->scopes, std::vector<std::string>{"read"});
  EXPECT_EQ(accounts_.ListTokens()->at(0).expires, Rfc3339(clock_.NowUnixMillis() + 2 * 86400 * 1000));

  req.form = {{"csrf", Csrf()}, {"name", "long"}, {"scopes", "read"}, {"ttl", "999d"}};
  auto too_long = Call("POST", "/admin/tokens", req);
  EXPECT_EQ(too_long.status, 400);
  EXPECT_NE(too_long.body.find("at most"), std::string::npos);
  req.form = {{"name", "forged"}, {"scopes", "read"}};
  EXPECT_EQ(Call("POST", "/admin/tokens", req).status, 403);  // no CSRF token
  EXPECT_EQ(accounts_.ListTokens()->size(), 1u);

  req.form = {{"csrf", Csrf()}};
  const std::string id = accounts_.ListTokens()->at(0).id;
  EXPECT_EQ(Call("POST", "/admin/tokens/" + id + "/revoke", req).status, 303);
  EXPECT_FALSE(accounts_.Authenticate(token).ok());
}

TEST_F(AdminPagesTest, AdministratorsChangeRolesButNotTheirOwn) {
  ASSERT_TRUE(accounts_.CreateUser("cli", "ion", Secret("a long enough password"), Role::kApprover).ok());
  SignInOk();
  auto users = Call("GET", "/admin/users");
  EXPECT_EQ(users.status, 200);
  EXPECT_NE(users.body.find("ion"), std::string::npos);
  HttpRequest req;
  req.form = {{"csrf", Csrf()}, {"role", "viewer"}};
  EXPECT_EQ(Call("POST", "/admin/users/ion/role", req).status, 303);
  EXPECT_EQ(accounts_.GetUser("ion")->role, Role::kViewer);
  req.form = {{"csrf", Csrf()}};
  EXPECT_EQ(Call("POST", "/admin/users/ion/disable", req).status, 303);
  EXPECT_TRUE(accounts_.GetUser("ion")->disabled);
  EXPECT_EQ(Call("POST", "/admin/users/ana/disable", req).status, 403);
  req.form = {{"csrf", Csrf()}, {"role", "viewer"}};
  EXPECT_EQ(Call("POST", "/admin/users/ana/role", req).status, 403);
  EXPECT_EQ(accounts_.GetUser("ana")->role, Role::kAdministrator);
}

}  // namespace
}  // namespace certme::admin
