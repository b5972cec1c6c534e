// The administration console's HTTP face: server-rendered pages under
// /admin (session cookie, CSRF token on every form) and the JSON API under
// /admin/api/v1 (bearer tokens). Both call the same AdminAccounts,
// ServiceAdmin and AuditLog; neither holds state of its own.
//
// Pages: docs/admin.md. API: docs/admin-api.yaml (OpenAPI 3).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/http_message.h"
#include "idp/admin/accounts.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/service_admin.h"

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
};

class AdminConsole {
 public:
  AdminConsole(const ConsoleOptions& options, AdminAccounts& accounts, ServiceAdmin& services, AuditLog& audit)
      : o_(options), accounts_(accounts), services_(services), audit_(audit) {}

  // Registers every /admin route. REQUIRES: called before the server starts.
  void Mount(Router& router);

  // The JSON API's handlers (public for tests; Mount routes to them).
  HttpResponse ApiListServices(const HttpRequest& req);
  HttpResponse ApiCreateService(const HttpRequest& req);
  HttpResponse ApiGetService(const HttpRequest& req);
  HttpResponse ApiDeleteService(const HttpRequest& req);
  HttpResponse ApiPromote(const HttpRequest& req);
  HttpResponse ApiEditService(const HttpRequest& req);
  HttpResponse ApiEnvironmentAction(const HttpRequest& req);
  HttpResponse ApiAudit(const HttpRequest& req);
  HttpResponse ApiCatalogue(const HttpRequest& req);
  HttpResponse ApiCreateToken(const HttpRequest& req);
  HttpResponse ApiListTokens(const HttpRequest& req);
  HttpResponse ApiRevokeToken(const HttpRequest& req);

 private:
  // Pages (pages.cc).
  void MountPages(Router& router);
  // `edit` set: the edit form of that record's environment.
  struct EditContext {
    const ServiceRecord* record = nullptr;
    std::string env;
    int64_t version = 0;
    bool approved = false;
    std::string approval_note;
  };
  HttpResponse ServiceFormPage(const AdminSession& s, const ServiceInput& in, const FieldErrors& errors, int status,
                               const EditContext* edit = nullptr);
  HttpResponse ServicePage(const AdminSession& s, const ServiceRecord& r, std::optional<std::string> secret,
                           const std::string& secret_env, const std::string& done, int status,
                           const std::string& error = "");
  HttpResponse PromotePage(const AdminSession& s, const ServiceRecord& r, const PromoteInput& in,
                           const FieldErrors& errors, int status);

  // The API caller's user name, or the 401 to send.
  StatusOr<std::string> ApiUser(const HttpRequest& req);

  ConsoleOptions o_;
  AdminAccounts& accounts_;
  ServiceAdmin& services_;
  AuditLog& audit_;
};

// JSON error body {"error": code, "message": text, "fields": {…}} with the
// HTTP status of `st` (400, 401, 403, 404, 409, 503; other codes 500 with a
// generic message).
HttpResponse ApiError(const Status& st, const FieldErrors& fields = {});

// Refuses JSON nested deeper than `max_depth` before parsing it.
bool JsonNestingWithin(std::string_view text, int max_depth);

}  // namespace certme::admin
