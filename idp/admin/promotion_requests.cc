#include "idp/admin/promotion_requests.h"

#include "idp/admin/certificate.h"
#include "idp/admin/util.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr std::string_view kPromotionNs = "admin_promotion";

StatusOr<PromotionRequest> FromJson(std::string_view id, const std::string& raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("input"))
    return Internal("stored promotion request is malformed");
  PromotionRequest r;
  r.service_id = std::string(id);
  r.requester = j.value("requester", "");
  r.requested_by = j.value("requested_by", "");
  r.requested = j.value("requested", "");
  FieldErrors e;
  r.input = PromoteInputFromJson(j["input"], &e);
  if (!e.empty() || r.requester.empty()) return Internal("stored promotion request is malformed");
  return r;
}

}  // namespace

nlohmann::json PromoteInputToJson(const PromoteInput& in) {
  nlohmann::json j = {{"certificate", in.certificate}, {"approved", in.approved}, {"approval_note", in.approval_note}};
  for (const auto& f : ServiceFields()) {
    if (!f.promote.set()) continue;
    nlohmann::json& at = f.json_parent.empty() ? j : j[std::string(f.json_parent)];
    const std::string key(f.JsonKey());
    if (f.promote.text) at[key] = in.*f.promote.text;
    else if (f.promote.list) at[key] = in.*f.promote.list;
    else if (f.promote.flag) at[key] = in.*f.promote.flag;
  }
  return j;
}

nlohmann::json PromotionRequest::ToJson() const {
  nlohmann::json in = PromoteInputToJson(input);
  in.erase("certificate");
  auto cert = ParseUploadedCertificate(input.certificate);
  if (cert.ok()) in["certificate_sha256"] = cert->sha256_hex;
  return {{"service", service_id}, {"requester", requester}, {"requested_by", requested_by},
          {"requested", requested}, {"input", in}};
}

StatusOr<std::pair<PromotionRequest, std::string>> PromotionRequests::Load(std::string_view id) {
  auto raw = store_.Get(kPromotionNs, id);
  if (!raw.ok())
    return raw.status().code() == StatusCode::kNotFound ? NotFound("no promotion request is pending for this service")
                                                        : raw.status();
  CERTME_ASSIGN_OR_RETURN(PromotionRequest r, FromJson(id, *raw));
  return std::make_pair(std::move(r), std::move(*raw));
}

StatusOr<PromotionRequest> PromotionRequests::Get(std::string_view id) {
  CERTME_ASSIGN_OR_RETURN(auto loaded, Load(id));
  return std::move(loaded.first);
}

StatusOr<PromotionRequest> PromotionRequests::Request(const std::string& actor, const std::string& requester,
                                                      std::string_view id, const PromoteInput& in,
                                                      FieldErrors* errors) {
  FieldErrors& e = *errors;
  if (!services_.has_production())
    return FailedPrecondition("this console has no production environment (admin.production_store_path)");
  CERTME_ASSIGN_OR_RETURN(ServiceRecord r, services_.Get(id));
  if (!r.test) return FailedPrecondition("the service is not registered on test");
  if (r.production) return FailedPrecondition("the service is already in production");
  // What can be checked now is checked now, so that the approver sees a
  // request that can succeed; the rest is Promote's at approval.
  PromoteInput kept = in;
  if (in.certificate.empty()) {
    e["certificate"] = "upload the production certificate (.cer): it must differ from the test one";
  } else if (auto c = ParseUploadedCertificate(in.certificate); !c.ok()) {
    e["certificate"] = c.status().message();
  } else if (c->sha256_hex == r.test->certificate_sha256) {
    e["certificate"] = "this is the test certificate: production needs its own key pair and certificate";
  } else {
    kept.certificate = c->pem;
  }
  if (!in.approved) e["approved"] = "confirm that the provider has tested on the test environment";
  if (in.approval_note.size() > kMaxApprovalNoteChars) e["approval_note"] = "the note is too long";
  if (!e.empty()) return InvalidArgument("the promotion request has errors");

  PromotionRequest req{r.id, requester, actor, Rfc3339(clock_.NowUnixMillis()), kept};
  nlohmann::json stored = {{"requester", requester}, {"requested_by", actor}, {"requested", req.requested},
                           {"input", PromoteInputToJson(kept)}};
  Status st = store_.PutIfAbsent(kPromotionNs, r.id, stored.dump(), kNoExpiry);
  if (st.code() == StatusCode::kAlreadyExists) {
    auto pending = Get(r.id);
    return AlreadyExists("a promotion request is already pending" +
                         (pending.ok() ? " (by " + pending->requested_by + ")" : std::string()) +
                         "; withdraw or reject it first");
  }
  CERTME_RETURN_IF_ERROR(st);
  CERTME_RETURN_IF_ERROR(
      audit_.Append(actor, "promotion.request", r.id, std::string(kEnvProduction), nullptr, req.ToJson()).status());
  return req;
}

StatusOr<ChangeResult> PromotionRequests::Approve(const std::string& actor, const std::string& approver,
                                                  Role approver_role, std::string_view id, const std::string& note,
                                                  FieldErrors* errors) {
  CERTME_ASSIGN_OR_RETURN(auto loaded, Load(id));
  const PromotionRequest& req = loaded.first;
  if (approver_role < Role::kApprover) return PermissionDenied("approving a promotion needs the approver role");
  if (approver == req.requester)
    return PermissionDenied("you requested this promotion: another approver must approve it");
  PromoteInput in = req.input;
  in.approved = true;
  if (!note.empty()) in.approval_note = note;
  CERTME_ASSIGN_OR_RETURN(ChangeResult done, services_.Promote(actor, id, in, errors));
  // Promoted: the request is spent. A failure to remove it leaves a request
  // for a service in production, which Approve refuses (already promoted).
  (void)store_.Delete(kPromotionNs, id);
  (void)audit_.Append(actor, "promotion.approve", std::string(id), std::string(kEnvProduction), req.ToJson(),
                      {{"approved_by", actor}, {"requested_by", req.requested_by}, {"note", in.approval_note}});
  return done;
}

Status PromotionRequests::Cancel(const std::string& actor, const std::string& user, Role role, std::string_view id) {
  CERTME_ASSIGN_OR_RETURN(auto loaded, Load(id));
  const bool own = loaded.first.requester == user;
  if (!own && role < Role::kApprover)
    return PermissionDenied("only the requester or an approver may withdraw a promotion request");
  CERTME_RETURN_IF_ERROR(store_.Delete(kPromotionNs, id));
  return audit_
      .Append(actor, own ? "promotion.withdraw" : "promotion.reject", std::string(id), std::string(kEnvProduction),
              loaded.first.ToJson(), nullptr)
      .status();
}

}  // namespace certme::admin
