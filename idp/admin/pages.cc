// The console's pages (templates/admin/*.mustache in the shared layout):
// the route table and the wrapper every signed-in page runs behind.
// Every page but the sign-in needs a session; every form carries the
// session's CSRF token; cookies are HttpOnly, Secure (but in development
// mode over plain HTTP) and SameSite=Strict, limited to /admin.
#include "idp/admin/console.h"
#include "idp/admin/page_util.h"
#include "idp/http/router.h"

namespace certme::admin {

using namespace page;

Role AdminConsole::RoleFor(std::string_view env) {
  return env == kEnvProduction ? Role::kApprover : Role::kOperator;
}

HttpHandler AdminConsole::SignedIn(PageInput input, PageHandler h, Role min) {
  return [this, input, h, min](const HttpRequest& req) -> HttpResponse {
    PageAuth a = Authenticate(accounts_, req);
    if (!a.session) return a.redirect;
    if (a.session->role < min) return NeedsRole(req, *a.session, min);
    FormFields form;
    if (input == PageInput::kSmallForm && !CsrfOk(*a.session, req.Form("csrf").value_or(""))) return Forbidden(req);
    if (input == PageInput::kUploadForm) {
      auto read = ReadForm(req, o_.max_form_bytes);
      if (!read.ok()) return Message(req, 400, "admin_err_form_title", Tr(ConsoleLang(req), "admin_err_form"));
      if (!CsrfOk(*a.session, read->Get("csrf"))) return Forbidden(req);
      form = std::move(*read);
    }
    return (this->*h)(PageRequest{req, *a.session, form, ConsoleLang(req)});
  };
}

void AdminConsole::MountPages(Router& router) {
  auto open = [this](HttpResponse (AdminConsole::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& req) { return (this->*fn)(req); };
  };
  using In = PageInput;
  const Role op = Role::kOperator;
  router.Get("/admin", open(&AdminConsole::PageHome));
  router.Get("/admin/login", open(&AdminConsole::PageLoginForm));
  router.Post("/admin/login", open(&AdminConsole::PageLogin));
  router.Post("/admin/logout", SignedIn(In::kSmallForm, &AdminConsole::PageLogout));

  router.Get("/admin/services", SignedIn(In::kView, &AdminConsole::PageServices));
  router.Get("/admin/services/new", SignedIn(In::kView, &AdminConsole::PageNewService, op));
  router.Get("/admin/file-services", SignedIn(In::kView, &AdminConsole::PageFileService));
  router.Post("/admin/services", SignedIn(In::kUploadForm, &AdminConsole::PageCreateService, op));
  router.Get("/admin/services/:id", SignedIn(In::kView, &AdminConsole::PageService));
  router.Get("/admin/services/:id/edit/:env", SignedIn(In::kView, &AdminConsole::PageEditForm));
  router.Post("/admin/services/:id/edit/:env", SignedIn(In::kUploadForm, &AdminConsole::PageEdit));
  // Promotion: an approver; with two people, an operator asks and another
  // approver approves (the handlers check which).
  router.Get("/admin/services/:id/promote", SignedIn(In::kView, &AdminConsole::PagePromoteForm, op));
  router.Post("/admin/services/:id/promote", SignedIn(In::kUploadForm, &AdminConsole::PagePromote, op));
  router.Post("/admin/services/:id/promotion-request/approve",
              SignedIn(In::kSmallForm, &AdminConsole::PageApprovePromotion, Role::kApprover));
  router.Post("/admin/services/:id/promotion-request/withdraw",
              SignedIn(In::kSmallForm, &AdminConsole::PageCancelPromotion, op));
  router.Post("/admin/services/:id/environments/:env/:action",
              SignedIn(In::kSmallForm, &AdminConsole::PageEnvironmentAction));
  router.Post("/admin/services/:id/delete", SignedIn(In::kSmallForm, &AdminConsole::PageDelete, op));

  router.Get("/admin/tokens", SignedIn(In::kView, &AdminConsole::PageTokens));
  router.Post("/admin/tokens", SignedIn(In::kSmallForm, &AdminConsole::PageCreateToken));
  router.Post("/admin/tokens/:token_id/revoke", SignedIn(In::kSmallForm, &AdminConsole::PageRevokeToken));
  router.Get("/admin/initial-tokens", SignedIn(In::kView, &AdminConsole::PageInitialTokens));
  router.Post("/admin/initial-tokens", SignedIn(In::kSmallForm, &AdminConsole::PageCreateInitialToken, op));
  router.Post("/admin/initial-tokens/:token_id/revoke",
              SignedIn(In::kSmallForm, &AdminConsole::PageRevokeInitialToken, op));
  router.Get("/admin/users", SignedIn(In::kView, &AdminConsole::PageUsers, Role::kAdministrator));
  router.Post("/admin/users/:user/:action", SignedIn(In::kSmallForm, &AdminConsole::PageUserAction,
                                                     Role::kAdministrator));

  router.Get("/admin/audit", SignedIn(In::kView, &AdminConsole::PageAudit));
  router.Get("/admin/audit/export", SignedIn(In::kView, &AdminConsole::PageAuditExport));
}

HttpResponse AdminConsole::AfterPost(const PageRequest& req, const std::string& where, const std::string& done,
                                     const std::string& extra, const nlohmann::json& note) {
  std::string to = where + (where.find('?') == std::string::npos ? "?" : "&") + "done=" + done + extra;
  if (note.is_object()) {
    // Without the note the action is still done; the page then says the
    // secret could not be shown (the Store was unavailable).
    auto id = flash_.Put(req.session.user, note);
    to += id.ok() ? "&flash=" + *id : "&flash=lost";
  }
  return SeeOther(to);
}

nlohmann::json AdminConsole::TakeNote(const PageRequest& req) {
  auto id = req.http.Query("flash");
  if (!id) return nullptr;
  auto note = flash_.Take(*id, req.session.user);
  return note ? *note : nlohmann::json(nullptr);
}

}  // namespace certme::admin
