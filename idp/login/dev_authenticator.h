// Development login double: an Authenticator that lets a developer (or an
// end-to-end test) pick one of a few built-in test identities instead of
// scanning a QR code with the certME wallet. Pure: HttpRequest in,
// HttpResponse out. Mounted only when `login.dev_login: true`, which the
// configuration allows in dev mode only.
//
// Contract (shared with the conformance runner):
//   Begin(request)         saves the LoginRequest, 302 → {public_url}/login/dev?txn=<txn>
//   GET  /login/dev?txn=   HTML page, title "Conectare cu certME — development login", a form
//                          POST /login/dev with hidden `txn`, radio group `identity`, submit
//   POST /login/dev        fields txn, identity[, action=refuse] → SaveLoginResult and
//                          302 → the request's resume_url (refusal: error "refused")
// Unknown or expired txn → 400 HTML page without internals; a store that
// fails → 503 with Retry-After ("try again"), never the 400.
//
// Thread-safe: state lives in the Store.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "idp/login/login_metrics.h"
#include "common/clock.h"
#include "common/http_message.h"
#include "store/store.h"
#include "protocols/login.h"

namespace certme {

struct DevIdentity {
  std::string id;       // form value: "ion", "maria"
  std::string label;    // shown on the page
  std::string subject;  // eID address (EIP-55)
  std::map<std::string, std::string> attributes;  // catalogue key → value
};

// The built-in test identities (`ion`, `maria`); fixed, never real people.
const std::vector<DevIdentity>& DevIdentities();

class DevAuthenticator : public Authenticator {
 public:
  // `public_url`: the server's external base URL without trailing slash.
  DevAuthenticator(Store& store, std::string public_url, Clock& clock);

  HttpResponse Begin(const LoginRequest& request) override;
  HttpResponse LoginPage(const HttpRequest& req);    // GET /login/dev
  HttpResponse LoginSubmit(const HttpRequest& req);  // POST /login/dev

  struct Route {
    std::string method, path;
    HttpResponse (DevAuthenticator::*handler)(const HttpRequest&);
  };
  static std::vector<Route> Routes();

  // Finished logins are counted in `metrics` (idp/login/login_metrics.h);
  // null: not counted. Set before the first request.
  void SetMetrics(LoginMetrics* metrics) { metrics_ = metrics; }

  // Registers Routes() on any router with Handle(method, path, handler)
  // (idp/http's Router). A template so this library does not depend on the
  // HTTP layer.
  template <typename RouterT>
  void Mount(RouterT& router) {
    for (const auto& r : Routes()) {
      auto fn = r.handler;
      router.Handle(r.method, r.path, [this, fn](const HttpRequest& req) { return (this->*fn)(req); });
    }
  }

 private:
  // A plain page with the catalogue text `message_key` in `lang`.
  HttpResponse ErrorPage(int status, const std::string& message_key, const std::string& lang = "ro") const;
  // A store failure: 503 with Retry-After and `message_key` (a "try again"
  // text); the cause is logged under `what`.
  HttpResponse StoreFailurePage(const Status& st, const char* what,
                                const std::string& message_key = "dev_not_completed",
                                const std::string& ui_locale = "") const;

  Store& store_;
  std::string public_url_;
  Clock& clock_;
  LoginMetrics* metrics_ = nullptr;
};

}  // namespace certme
