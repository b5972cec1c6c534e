// Promotion by two people (admin.promotion_requires_second_person): one
// console user asks for a service's promotion to production with the
// production inputs (certificate, endpoints), and another, with the approver
// role, approves it; only then does ServiceAdmin::Promote run, with the
// approver recorded as `approved_by`. The requester can never approve their
// own request, whichever token or session they use.
//
// Store layout: admin_promotion  service id → {requester, requested_by,
// requested, input: the PromoteInput as the API's JSON body}. One pending
// request per service. Every request, approval, withdrawal and rejection is
// audited (promotion.request, promotion.approve, promotion.withdraw,
// promotion.reject), and the promotion itself as service.promote.
//
// Safe for concurrent use: two approvals of one request promote once (the
// second finds the service in production).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "idp/admin/accounts.h"
#include "idp/admin/audit_log.h"
#include "idp/admin/service_admin.h"

namespace certme {
class Store;
}

namespace certme::admin {

struct PromotionRequest {
  std::string service_id;
  std::string requester;     // user name
  std::string requested_by;  // as audited: "ana" or "ana (API token …)"
  std::string requested;     // RFC 3339
  PromoteInput input;
  nlohmann::json ToJson() const;  // without the certificate's text (its SHA-256 instead)
};

// The PromoteInput as the API's promote body (PromoteInputFromJson reads it back).
nlohmann::json PromoteInputToJson(const PromoteInput& in);

class PromotionRequests {
 public:
  PromotionRequests(Store& console_store, ServiceAdmin& services, AuditLog& audit, Clock& clock)
      : store_(console_store), services_(services), audit_(audit), clock_(clock) {}

  // Files a request. FailedPrecondition as Promote would for the service's
  // state (no production environment, not on test, already in production),
  // AlreadyExists when one is pending, InvalidArgument (errors) for a missing
  // certificate or the tested-on-test confirmation. The production inputs are
  // checked in full at approval.
  StatusOr<PromotionRequest> Request(const std::string& actor, const std::string& requester,
                                     std::string_view id, const PromoteInput& in, FieldErrors* errors);
  // NotFound when none is pending.
  StatusOr<PromotionRequest> Get(std::string_view id);
  // Promotes as requested. PermissionDenied when `approver` is the requester
  // or has no approver role; errors of Promote otherwise (the request then
  // stays pending). `note` is added to the request's approval note.
  StatusOr<ChangeResult> Approve(const std::string& actor, const std::string& approver, Role approver_role,
                                 std::string_view id, const std::string& note, FieldErrors* errors);
  // Withdrawn by its requester, or rejected by an approver.
  Status Cancel(const std::string& actor, const std::string& user, Role role, std::string_view id);

 private:
  StatusOr<std::pair<PromotionRequest, std::string>> Load(std::string_view id);

  Store& store_;
  ServiceAdmin& services_;
  AuditLog& audit_;
  Clock& clock_;
};

}  // namespace certme::admin
