// The administration console's HTTP face: server-rendered pages under
// /admin (session cookie, CSRF token on every form) and the JSON API under
// /admin/api/v1 (bearer tokens). Both call the same AdminAccounts,
// ServiceAdmin and AuditLog; neither holds state of its own.
//
// Pages: docs/admin.md. API: docs/admin-api.yaml (OpenAPI 3).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/http_message.h"
#include "idp/admin/accounts.h"
#include "common/clock.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/flash.h"
#include "idp/admin/initial_access_tokens.h"
#include "idp/admin/promotion_requests.h"
#include "idp/admin/service_admin.h"
#include "idp/admin/service_definition.h"
#include "idp/admin/service_search.h"

namespace certme {
class Router;
}

namespace certme::admin {

struct ConsoleOptions {
  // Development mode over plain HTTP: cookies lose Secure (the adapter
  // decides) — nothing else changes.
  bool dev_mode = false;
  // Largest upload accepted by the forms (certificate + metadata + fields).
  size_t max_form_bytes = 1 << 20;
  // Promotion is a request and another approver's approval
  // (promotion_requests.h); otherwise an approver promotes at once.
  bool promotion_requires_second_person = false;
  // Services registered from the configuration's files, listed read-only
  // (service_search.h).
  std::vector<FileService> file_services;
};

class AdminConsole {
 public:
  // Promotion requests are kept in the test environment's Store (the
  // console's own).
  AdminConsole(const ConsoleOptions& options, AdminAccounts& accounts, ServiceAdmin& services, AuditLog& audit)
      : o_(options),
        accounts_(accounts),
        services_(services),
        audit_(audit),
        promotions_(*services.test().store, services, audit, SystemClock()),
        flash_(*services.test().store, SystemRandom()),
        initial_tokens_(*services.test().store, audit, SystemClock(), SystemRandom()) {}

  // Registers every /admin route. REQUIRES: called before the server starts.
  void Mount(Router& router);
  // A route another part of the bridge adds to the API (the signing keys,
  // idp/keys_api.cc) at /admin/api/v1 + `path`, behind the same bearer-token
  // check: `f` runs for a caller whose token holds `scope`, with the body
  // parsed as a JSON object when `with_body` (else an empty object).
  using ApiExtension =
      std::function<HttpResponse(const ApiCaller& caller, const HttpRequest& req, const nlohmann::json& body)>;
  void MountApiExtension(Router& router, const std::string& method, const std::string& path, std::string_view scope,
                         bool with_body, ApiExtension f);

  // The JSON API's handlers (public for tests; Mount routes to them).
  HttpResponse ApiListServices(const HttpRequest& req);
  HttpResponse ApiCreateService(const HttpRequest& req);
  HttpResponse ApiGetService(const HttpRequest& req);
  HttpResponse ApiDeleteService(const HttpRequest& req);
  HttpResponse ApiPromote(const HttpRequest& req);
  HttpResponse ApiGetPromotionRequest(const HttpRequest& req);
  HttpResponse ApiApprovePromotion(const HttpRequest& req);
  HttpResponse ApiCancelPromotion(const HttpRequest& req);
  HttpResponse ApiEditService(const HttpRequest& req);
  HttpResponse ApiEnvironmentAction(const HttpRequest& req);
  HttpResponse ApiAudit(const HttpRequest& req);
  HttpResponse ApiCatalogue(const HttpRequest& req);
  HttpResponse ApiCreateToken(const HttpRequest& req);
  HttpResponse ApiListTokens(const HttpRequest& req);
  HttpResponse ApiRevokeToken(const HttpRequest& req);
  // Initial access tokens for dynamic registration (api_initial_tokens.cc):
  // scope write to issue and revoke, read to list.
  HttpResponse ApiCreateInitialToken(const HttpRequest& req);
  HttpResponse ApiListInitialTokens(const HttpRequest& req);
  HttpResponse ApiRevokeInitialToken(const HttpRequest& req);

 private:
  // Pages. The route table is pages.cc; the handlers are grouped by area
  // (pages_signin.cc, pages_services.cc, pages_audit.cc) and the service
  // pages' rendering is pages_service_views.cc.
  //
  // Every POST that changes something answers 303 to a GET page
  // (POST/Redirect/GET): a reload never repeats the action. The page says
  // what was done by a `done` code in the query (done=saved&env=test), and
  // shows a secret made by the action through a one-time FlashNotes id
  // (flash=…). A refused form is shown again with its errors (4xx), which a
  // reload re-submits without effect.
  void MountPages(Router& router);

  // What a signed-in page's handler gets: the request, its session, for a
  // form the form's fields (CSRF token already checked), and the page's
  // language (page_util.h ConsoleLang).
  struct PageRequest {
    const HttpRequest& http;
    const AdminSession& session;
    const FormFields& form;
    std::string lang;
  };
  using PageHandler = HttpResponse (AdminConsole::*)(const PageRequest&);
  // How a page receives its input.
  enum class PageInput {
    kView,        // GET: a session is enough
    kSmallForm,   // POST, url-encoded: the CSRF token of req.Form
    kUploadForm,  // POST, either encoding up to max_form_bytes: its fields and CSRF token
  };
  // The one wrapper of every signed-in page: no session → the sign-in page;
  // a role below `min` → 403; unreadable form → 400; wrong CSRF token →
  // 403; else `h`.
  HttpHandler SignedIn(PageInput input, PageHandler h, Role min = Role::kViewer);
  // The role a change to `env` needs: operator on test, approver on production.
  static Role RoleFor(std::string_view env);

  // Sign-in (pages_signin.cc); these run without a session.
  HttpResponse PageHome(const HttpRequest& req);
  HttpResponse PageLoginForm(const HttpRequest& req);
  HttpResponse PageLogin(const HttpRequest& req);
  HttpResponse PageLogout(const PageRequest& req);
  // Services (pages_services.cc).
  HttpResponse PageServices(const PageRequest& req);
  HttpResponse PageFileService(const PageRequest& req);
  HttpResponse PageNewService(const PageRequest& req);
  HttpResponse PageCreateService(const PageRequest& req);
  HttpResponse PageService(const PageRequest& req);
  HttpResponse PageEditForm(const PageRequest& req);
  HttpResponse PageEdit(const PageRequest& req);
  HttpResponse PagePromoteForm(const PageRequest& req);
  HttpResponse PagePromote(const PageRequest& req);
  HttpResponse PageEnvironmentAction(const PageRequest& req);
  HttpResponse PageDelete(const PageRequest& req);
  HttpResponse PageApprovePromotion(const PageRequest& req);
  HttpResponse PageCancelPromotion(const PageRequest& req);
  // API tokens and users (pages_tokens.cc).
  HttpResponse PageTokens(const PageRequest& req);
  HttpResponse PageCreateToken(const PageRequest& req);
  HttpResponse PageRevokeToken(const PageRequest& req);
  HttpResponse PageUsers(const PageRequest& req);
  HttpResponse PageUserAction(const PageRequest& req);
  HttpResponse TokensPage(const PageRequest& req, int status, const std::string& done, const std::string& error,
                          const std::string& new_token = "");
  // Initial access tokens for dynamic registration (pages_initial_tokens.cc):
  // everyone sees them, operators issue and revoke.
  HttpResponse PageInitialTokens(const PageRequest& req);
  HttpResponse PageCreateInitialToken(const PageRequest& req);
  HttpResponse PageRevokeInitialToken(const PageRequest& req);
  HttpResponse InitialTokensPage(const PageRequest& req, int status, const std::string& done, const std::string& error,
                                 const std::string& new_token = "");
  // Audit (pages_audit.cc).
  HttpResponse PageAudit(const PageRequest& req);
  HttpResponse PageAuditExport(const PageRequest& req);

  // `edit` set: the edit form of that record's environment.
  struct EditContext {
    const ServiceRecord* record = nullptr;
    std::string env;
    int64_t version = 0;
    bool approved = false;
    std::string approval_note;
  };
  HttpResponse ServiceFormPage(const PageRequest& req, const ServiceInput& in, const FieldErrors& errors, int status,
                               const EditContext* edit = nullptr);
  // A service's page; `note` a one-time {"secret", "env"} to show.
  HttpResponse ServicePage(const PageRequest& req, const ServiceRecord& r, int status, const std::string& done = "",
                           const std::string& error = "", const nlohmann::json& note = nullptr);
  HttpResponse PromotePage(const PageRequest& req, const ServiceRecord& r, const PromoteInput& in,
                           const FieldErrors& errors, int status);
  HttpResponse FileServicePage(const PageRequest& req, const FileService& f);
  // The 303 after a successful POST: `where` with done=`done` (and `extra`
  // query parameters), plus a one-time note when `note` is set (a secret).
  HttpResponse AfterPost(const PageRequest& req, const std::string& where, const std::string& done,
                         const std::string& extra = "", const nlohmann::json& note = nullptr);
  // The one-time note the address names (flash=…), for this session's user.
  nlohmann::json TakeNote(const PageRequest& req);

  // The API caller, or the 401 to send.
  StatusOr<ApiCaller> ApiUser(const HttpRequest& req);
  // The API's shapes: `f(caller)` for an authenticated caller whose token
  // holds `scope` ("": any valid token), and `f(caller, body)` when the
  // body must also be a JSON object; else the error (401, 403
  // insufficient_scope naming the scope, 400).
  using ApiFn = std::function<HttpResponse(const ApiCaller& caller)>;
  HttpResponse WithApiUser(const HttpRequest& req, std::string_view scope, const ApiFn& f);
  HttpResponse WithApiBody(const HttpRequest& req, std::string_view scope,
                           const std::function<HttpResponse(const ApiCaller& caller, const nlohmann::json& body)>& f);
  // The scope a change to `env` needs: write on test, promote on production.
  static std::string_view ScopeFor(std::string_view env);

  ConsoleOptions o_;
  AdminAccounts& accounts_;
  ServiceAdmin& services_;
  AuditLog& audit_;
  PromotionRequests promotions_;
  FlashNotes flash_;
  InitialAccessTokens initial_tokens_;
};

// The body of POST /admin/api/v1/initial-access-tokens (and the console's
// form, the CLI): {"name", "uses", "ttl" ("7d", "3600", …), "policy": {…}}.
StatusOr<InitialTokenRequest> InitialTokenRequestFromJson(const nlohmann::json& body);

// JSON error body {"error": code, "message": text, "fields": {…}} with the
// HTTP status of `st` (400, 401, 403, 404, 409, 503; other codes 500 with a
// generic message).
HttpResponse ApiError(const Status& st, const FieldErrors& fields = {});
// 403 {"error": "insufficient_scope", "scope": …} with the WWW-Authenticate
// challenge of RFC 6750 §3.1.
HttpResponse InsufficientScope(std::string_view scope);

// The audit log as a download: CSV, or JSON lines.
HttpResponse AuditDownload(const std::vector<AuditEntry>& entries, bool csv);

// Refuses JSON nested deeper than `max_depth` before parsing it.
bool JsonNestingWithin(std::string_view text, int max_depth);

}  // namespace certme::admin
