// The console's pages through their routes, as a browser reaches them:
// the fixture of pages_test.cc and pages_prg_test.cc (one console on a
// memory Store, user "ana" an administrator, English asked for unless a
// test names another language).
#pragma once

#include <gtest/gtest.h>

#include "admin_test_util.h"
#include "common/encoding.h"
#include "idp/admin/console.h"
#include "idp/admin/util.h"
#include "protocols/oidc/client.h"
#include "idp/http/router.h"
#include "store/memory/memory_store.h"
#include "store/store.h"

namespace certme::admin::testing {

// A multipart/form-data request, built field by field as a browser sends
// the console's forms.
class MultipartForm {
 public:
  explicit MultipartForm(std::string boundary = "b") : boundary_(std::move(boundary)) {}
  MultipartForm& Field(const std::string& name, const std::string& value, const std::string& filename = "") {
    body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + name + "\"" +
             (filename.empty() ? "" : "; filename=\"" + filename + "\"") + "\r\n\r\n" + value + "\r\n";
    return *this;
  }
  HttpRequest Request() const {
    HttpRequest req;
    req.headers.Set("content-type", "multipart/form-data; boundary=" + boundary_);
    req.body = body_ + "--" + boundary_ + "--\r\n";
    return req;
  }

 private:
  std::string boundary_;
  std::string body_;
};

class AdminPagesTest : public ::testing::Test {
 protected:
  AdminPagesTest()
      : store_(NewMemoryStore({&clock_})),
        audit_(*store_, clock_),
        accounts_(AccountOptions{.lockout_failures = 3,
                                 .hash = {.memory_kib = 1024, .iterations = 1, .parallelism = 1}},
                  *store_, audit_, clock_, random_),
        services_(*store_, {"test", "https://t", store_.get()}, std::nullopt, Catalogue(), audit_, clock_, random_),
        console_(Options(), accounts_, services_, audit_) {
    EXPECT_TRUE(accounts_.CreateUser("cli", "ana", Secret("a long enough password")).ok());
    console_.Mount(router_);
  }

  // One client registered from the configuration file, as MountAdmin lists it.
  static ConsoleOptions Options() {
    OidcClient demo;
    demo.client_id = "demo";
    demo.names = {{"ro", "Demonstrație"}, {"ru", "Демонстрация"}, {"en", "Demo site"}};
    demo.redirect_uris = {"https://demo.example/cb"};
    demo.post_logout_redirect_uris = {"https://demo.example/bye"};
    demo.backchannel_logout_uri = "https://demo.example/bc-logout";
    ConsoleOptions o;
    nlohmann::json def = ClientToJson(demo);
    def.erase("client_secret_sha256");
    o.file_services.push_back({"oidc", "demo", demo.names, "examples/demo-clients.yaml", def});
    return o;
  }

  HttpResponse Call(const std::string& method, const std::string& path, HttpRequest req = {}) {
    auto m = router_.Match(method, path);
    EXPECT_EQ(m.status, 0) << method << " " << path;
    if (m.status != 0) return HttpResponse::Text(m.status, "");
    req.method = method;
    req.path = path;
    req.path_params = m.path_params;
    if (!cookie_.empty()) req.cookies["certme_admin"] = cookie_;
    // The pages' texts below are English ones: the browser asks for English
    // (the default is Romanian; pages_i18n_test.cc covers the languages).
    if (!req.headers.Get("accept-language")) req.headers.Set("accept-language", "en");
    return (*m.handler)(req);
  }

  // GET of the address a 303 names (path and query).
  HttpResponse Follow(const HttpResponse& r) {
    EXPECT_EQ(r.status, 303);
    std::string to = r.headers.Get("location").value_or("");
    HttpRequest req;
    size_t q = to.find('?');
    if (q != std::string::npos) {
      for (const auto& kv : SplitTrimmed(to.substr(q + 1), '&')) {
        size_t eq = kv.find('=');
        req.query.emplace(kv.substr(0, eq),
                               eq == std::string::npos ? "" : PercentDecode(kv.substr(eq + 1), false).value_or(""));
      }
      to = to.substr(0, q);
    }
    return Call("GET", PercentDecode(to, false).value_or(""), req);
  }

  static const SetCookie* FindCookie(const HttpResponse& r, const std::string& name) {
    for (const auto& c : r.cookies)
      if (c.name == name) return &c;
    return nullptr;
  }

  HttpResponse SignIn(const std::string& password, const std::string& user = "ana") {
    auto page = Call("GET", "/admin/login");
    const SetCookie* login = FindCookie(page, "certme_admin_login");
    EXPECT_TRUE(login);
    HttpRequest req;
    req.cookies["certme_admin_login"] = login->value;
    req.form = {{"csrf", login->value}, {"user", user}, {"password", password}};
    return Call("POST", "/admin/login", req);
  }

  void SignInOk(const std::string& user = "ana") {
    auto r = SignIn("a long enough password", user);
    ASSERT_EQ(r.status, 303);
    const SetCookie* c = FindCookie(r, "certme_admin");
    ASSERT_TRUE(c);
    cookie_ = c->value;
  }

  std::string Csrf() {
    auto s = accounts_.Session(cookie_);
    return s.ok() ? s->csrf : "";
  }

  FakeClock clock_;
  FakeRandom random_;
  std::unique_ptr<Store> store_;
  AuditLog audit_;
  AdminAccounts accounts_;
  ServiceAdmin services_;
  AdminConsole console_;
  Router router_;
  std::string cookie_;
};

}  // namespace certme::admin::testing
