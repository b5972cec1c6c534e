#include "protocols/login.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/log.h"
#include "common/secret.h"
#include "crypto/hash.h"
#include "store/store.h"

namespace certme {
namespace {
constexpr std::string_view kReqNs = "login_req";
constexpr std::string_view kResultNs = "login_result";
}  // namespace

Status SaveLoginRequest(Store& store, const LoginRequest& r, int64_t now) {
  if (r.txn.empty()) return InvalidArgument("login transaction id missing");
  if (r.expires_at <= now) return InvalidArgument("login request already expired");
  nlohmann::json j = {{"txn", r.txn},
                      {"protocol", r.protocol},
                      {"service_id", r.service_id},
                      {"service_names", r.service_names},
                      {"attributes", r.attributes},
                      {"ui_locale", r.ui_locale},
                      {"login_hint", r.login_hint},
                      {"acr", r.acr},
                      {"force_authn", r.force_authn},
                      {"resume_url", r.resume_url},
                      {"expires_at", r.expires_at}};
  if (!r.wallet_eid.empty()) j["wallet_eid"] = r.wallet_eid;
  if (!r.binding_message.empty()) j["binding_message"] = r.binding_message;
  return store.Put(kReqNs, r.txn, j.dump(), std::chrono::seconds(r.expires_at - now));
}

StatusOr<LoginRequest> LoadLoginRequest(Store& store, std::string_view txn) {
  CERTME_ASSIGN_OR_RETURN(std::string raw, store.Get(kReqNs, txn));
  auto j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Internal("login request unreadable", "bad json in store");
  LoginRequest r;
  try {
    r.txn = j.at("txn").get<std::string>();
    r.protocol = j.at("protocol").get<std::string>();
    r.service_id = j.at("service_id").get<std::string>();
    r.service_names = j.at("service_names").get<std::map<std::string, std::string>>();
    r.attributes = j.at("attributes").get<std::vector<std::string>>();
    r.ui_locale = j.at("ui_locale").get<std::string>();
    r.login_hint = j.at("login_hint").get<std::string>();
    r.acr = j.at("acr").get<std::string>();
    r.force_authn = j.at("force_authn").get<bool>();
    r.resume_url = j.at("resume_url").get<std::string>();
    r.expires_at = j.at("expires_at").get<int64_t>();
    r.wallet_eid = j.value("wallet_eid", std::string());
    r.binding_message = j.value("binding_message", std::string());
  } catch (const nlohmann::json::exception& e) {
    return Internal("login request unreadable", e.what());
  }
  return r;
}

Status SaveLoginResult(Store& store, const LoginResult& r, int64_t ttl_seconds) {
  if (r.txn.empty() || (r.subject.empty() && r.error.empty()))
    return InvalidArgument("login result incomplete");
  nlohmann::json j = {{"txn", r.txn},         {"subject", r.subject},
                      {"attributes", r.attributes}, {"acr", r.acr},
                      {"amr", r.amr},         {"auth_time", r.auth_time},
                      {"session_id", r.session_id}, {"error", r.error}};
  if (!r.eid.empty()) j["eid"] = r.eid;
  return store.Put(kResultNs, r.txn, j.dump(), std::chrono::seconds(ttl_seconds));
}

namespace {

StatusOr<LoginResult> ParseLoginResult(std::string_view raw) {
  auto j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_object()) return Internal("login result unreadable", "bad json in store");
  LoginResult r;
  try {
    r.txn = j.at("txn").get<std::string>();
    r.subject = j.at("subject").get<std::string>();
    r.attributes = j.at("attributes").get<std::map<std::string, std::string>>();
    r.acr = j.at("acr").get<std::string>();
    r.amr = j.at("amr").get<std::vector<std::string>>();
    r.auth_time = j.at("auth_time").get<int64_t>();
    r.session_id = j.at("session_id").get<std::string>();
    r.error = j.value("error", std::string());
    r.eid = j.value("eid", std::string());
  } catch (const nlohmann::json::exception& e) {
    return Internal("login result unreadable", e.what());
  }
  return r;
}

// NotFound is the caller's to word; any other store error is an outage.
ResumeFailure StoreFailure(const ResumeSpec& spec, std::string_view what, const Status& st,
                           ResumeFailure not_found) {
  if (st.code() == StatusCode::kNotFound) return not_found;
  LogError("login resume: store failed", {{"protocol", spec.protocol}, {"record", what}, {"detail", st.ToString()}});
  return ResumeFailure::kUnavailable;
}

}  // namespace

StatusOr<LoginResult> TakeLoginResult(Store& store, std::string_view txn) {
  CERTME_ASSIGN_OR_RETURN(std::string raw, store.Consume(kResultNs, txn));
  return ParseLoginResult(raw);
}

std::string_view ResumeFailureReason(ResumeFailure failure) {
  switch (failure) {
    case ResumeFailure::kLoginExpired:
      return "txn missing, malformed or without a pending login";
    case ResumeFailure::kWrongBrowser:
      return "another browser";
    case ResumeFailure::kLoginUnfinished:
      return "no login result";
    case ResumeFailure::kServerError:
      return "a stored login record is unreadable";
    case ResumeFailure::kUnavailable:
      return "store unavailable";
  }
  return "unknown";
}

int ResumeFailureStatus(ResumeFailure failure) {
  switch (failure) {
    case ResumeFailure::kLoginExpired:
    case ResumeFailure::kWrongBrowser:
    case ResumeFailure::kLoginUnfinished:
      return 400;
    case ResumeFailure::kServerError:
      return 500;
    case ResumeFailure::kUnavailable:
      return 503;
  }
  return 500;
}

void MarkResumeFailure(HttpResponse& page, ResumeFailure failure) {
  page.status = ResumeFailureStatus(failure);
  // The same hint the HTTP server gives for a backend outage.
  if (failure == ResumeFailure::kUnavailable) page.headers.Set("Retry-After", "5");
}

Result<ResumedLogin, ResumeFailure> ResumeLogin(Store& store, const HttpRequest& req, const ResumeSpec& spec) {
  if (ParamCount(req.query, kResumeTxnParam) != 1) return ResumeFailure::kLoginExpired;
  std::string txn = *req.Query(kResumeTxnParam);
  if (txn.empty() || txn.size() > kMaxTxnLength) return ResumeFailure::kLoginExpired;

  auto pending = store.Get(spec.pending_ns, txn);
  if (!pending.ok()) return StoreFailure(spec, "pending", pending.status(), ResumeFailure::kLoginExpired);
  std::optional<std::string> browser_hash = spec.read_pending(*pending);
  if (!browser_hash) {
    LogError("login resume: pending record unreadable", {{"protocol", spec.protocol}});
    return ResumeFailure::kServerError;
  }
  // The browser that started the login must be the one finishing it;
  // otherwise a victim could be logged in as someone else (login CSRF).
  auto browser = req.Cookie(spec.browser_cookie);
  if (!browser || (spec.browser_value_ok && !spec.browser_value_ok(*browser)) ||
      !ConstantTimeEquals(Sha256Hex(*browser), *browser_hash))
    return ResumeFailure::kWrongBrowser;

  auto raw = store.Consume(kResultNs, txn);
  if (!raw.ok()) return StoreFailure(spec, "result", raw.status(), ResumeFailure::kLoginUnfinished);
  auto result = ParseLoginResult(*raw);
  if (!result.ok()) {
    LogError("login resume: login result unreadable", {{"protocol", spec.protocol}, {"detail", result.status().ToString()}});
    return ResumeFailure::kServerError;
  }
  // Single use: of two concurrent resumes only one continues.
  auto consumed = store.Consume(spec.pending_ns, txn);
  if (!consumed.ok()) return StoreFailure(spec, "pending", consumed.status(), ResumeFailure::kLoginExpired);
  return ResumedLogin{std::move(txn), std::move(result).value()};
}

}  // namespace certme
