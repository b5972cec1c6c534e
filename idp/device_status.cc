#include "idp/device_status.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "crypto/hash.h"
#include "idp/login/qr_svg.h"
#include "protocols/login.h"
#include "protocols/oidc/vocabulary.h"
#include "protocols/wallet/vocabulary.h"
#include "templates/templates.h"

namespace certme {

using nlohmann::json;
using DeviceState = OidcProvider::DeviceLoginStatus::State;

namespace {

// The states the page shows (the login page's, idp/login/wallet_pages.h).
constexpr char kWaiting[] = "waiting";
constexpr char kOpened[] = "opened";
constexpr char kCodeExpired[] = "code_expired";
constexpr char kDone[] = "done";
constexpr char kExpired[] = "expired";
constexpr char kFailed[] = "failed";
constexpr char kUnknown[] = "unknown";
// A state the page sends back is one of the above or a wallet outcome.
constexpr size_t kMaxStateBytes = 32;

// Where the page's login stands, and the wallet login behind it.
struct View {
  std::string state = kUnknown;
  bool terminal = true;
  int64_t code_expires_in = 0;
  int64_t login_expires_in = 0;
  std::string txn;        // the wallet login the page shows; empty: none
  std::string txn_state;  // its own state (the long-poll waits on it)
};

// A denied device authorization's LoginResult error as the page's state;
// the level of assurance not met (and anything else) is "failed".
std::string DeniedState(const std::string& error) {
  for (const char* known : {kLoginErrorRefused, kLoginErrorEidSuspended, kLoginErrorEidRevoked,
                            kLoginErrorServiceNotAuthorized, kLoginErrorValidatorTimeout})
    if (error == known) return error;
  return kFailed;
}

class DeviceStatusEndpoint {
 public:
  DeviceStatusEndpoint(OidcProvider& oidc, WalletAuthenticator& wallet) : oidc_(oidc), wallet_(wallet) {}

  // `start`: begin the page's wallet login when there is none yet.
  StatusOr<View> Compute(std::string_view handle, bool start) {
    CERTME_ASSIGN_OR_RETURN(auto d, oidc_.DeviceStatus(handle));
    View v;
    switch (d.state) {
      case DeviceState::kUnknown:
        return v;
      case DeviceState::kApproved:
        v.state = kDone;
        return v;
      case DeviceState::kDenied:
        v.state = DeniedState(d.error);
        return v;
      case DeviceState::kExpired:
        v.state = kExpired;
        return v;
      case DeviceState::kEnded:
      case DeviceState::kPending:
        break;
    }
    if (d.txn.empty() && d.state == DeviceState::kPending && start) {
      auto txn = oidc_.StartDeviceStatusLogin(handle);
      if (!txn.ok()) {
        const StatusCode code = txn.status().code();
        if (code == StatusCode::kNotFound) return v;
        if (code != StatusCode::kFailedPrecondition) return txn.status();
        // Settled meanwhile, or the login cannot begin.
        auto again = oidc_.DeviceStatus(handle);
        if (again.ok() && again->state != DeviceState::kPending && again->state != DeviceState::kEnded)
          return Compute(handle, false);
        v.state = kFailed;
        return v;
      }
      d.txn = *txn;
    }
    if (d.txn.empty()) return v;
    WalletAuthenticator::LoginStatus s = wallet_.LoginStatusOf(d.txn);
    v.txn = d.txn;
    v.txn_state = s.state;
    // The authorization is over but its login is not: another login took
    // it (the page cannot say how it ended).
    if (d.state == DeviceState::kEnded && !s.terminal) return v;
    v.state = s.state;
    v.terminal = s.terminal;
    v.code_expires_in = s.code_expires_in;
    v.login_expires_in = d.state == DeviceState::kPending ? std::min(s.login_expires_in, d.expires_in)
                                                           : s.login_expires_in;
    return v;
  }

  HttpResponse Answer(const StatusOr<View>& view) {
    if (!view.ok()) {
      LogError("device status: store failed", {{"detail", view.status().ToString()}});
      HttpResponse r = HttpResponse::Json(503, json{{"error", "temporarily_unavailable"}}.dump());
      r.headers.Set("Retry-After", "5");
      return Headers(std::move(r));
    }
    const View& v = *view;
    json body = {{wallet::kFieldState, v.state},
                 {"code_expires_in", v.code_expires_in},
                 {"login_expires_in", v.login_expires_in}};
    if ((v.state == kWaiting || v.state == kOpened) && !v.txn.empty()) {
      if (auto links = wallet_.CurrentLinks(v.txn); links.ok()) {
        if (auto svg = QrSvg(links->qr, 4); svg.ok()) body["qr_svg"] = *svg;
        body["link"] = links->deeplink;
      }
    }
    return Headers(HttpResponse::Json(200, body.dump()));
  }

  void Get(HttpRequest req, std::function<void(HttpResponse)> respond) {
    auto handle = req.Query(oidc::kStatusHandle);
    if (!handle || handle->empty()) {
      respond(Headers(HttpResponse::Json(400, json{{"error", "invalid_request"}}.dump())));
      return;
    }
    StatusOr<View> now = Compute(*handle, /*start=*/true);
    auto known = req.Query("state");
    if (!now.ok() || now->terminal || !known || known->size() > kMaxStateBytes || *known != now->state ||
        now->txn.empty()) {
      respond(Answer(now));
      return;
    }
    // The page shows the current state: wait for the wallet login to move.
    std::string h = *handle;
    wallet_.AwaitStatus(now->txn, now->txn_state,
                        [this, h, respond = std::move(respond)](const WalletAuthenticator::LoginStatus&) {
                          respond(Answer(Compute(h, /*start=*/false)));
                        });
  }

  HttpResponse Renew(const HttpRequest& req) {
    auto handle = req.Query(oidc::kStatusHandle);
    if (!handle || handle->empty()) return Headers(HttpResponse::Json(400, json{{"error", "invalid_request"}}.dump()));
    StatusOr<View> now = Compute(*handle, /*start=*/true);
    if (now.ok() && now->state == kCodeExpired && !now->txn.empty()) {
      wallet_.RenewCode(now->txn);
      now = Compute(*handle, /*start=*/false);
    }
    return Answer(now);
  }

  static HttpResponse Preflight(const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(204, "");
    r.headers.Set("Access-Control-Allow-Methods", "GET, POST");
    r.headers.Set("Access-Control-Max-Age", "600");
    return Headers(std::move(r));
  }

 private:
  // A capability URL's answer: readable from any origin (it holds no
  // personal data and takes no cookies), never cached.
  static HttpResponse Headers(HttpResponse r) {
    r.headers.Set("Access-Control-Allow-Origin", "*");
    r.headers.Set("Cache-Control", "no-store");
    return r;
  }

  OidcProvider& oidc_;
  WalletAuthenticator& wallet_;
};

// The catalogue texts the element shows: the login page's own wording.
constexpr const char* kComponentTexts[] = {
    "login_title",          "login_scan",           "login_same_device",       "login_or",
    "login_countdown",      "login_countdown_total", "login_state_waiting",    "login_state_opened",
    "login_state_approved", "login_state_validating", "login_state_done",      "login_state_renewing",
    "login_state_lost",     "login_refused",        "login_expired",           "login_suspended",
    "login_revoked",        "login_service_not_authorized", "login_timeout",   "login_failed",
    "login_unknown",        "login_retry",          "login_component_code",    "login_component_starting",
    "login_component_start_failed",
};
constexpr std::string_view kTextsMarker = "/*@certme-texts@*/null";

}  // namespace

void MountDeviceStatus(Router& router, OidcProvider& oidc, WalletAuthenticator& wallet) {
  auto endpoint = std::make_shared<DeviceStatusEndpoint>(oidc, wallet);
  const std::string path(oidc::kPathDeviceStatus);
  router.HandleAsync(
      "GET", path,
      [endpoint](HttpRequest r, std::function<void(HttpResponse)> respond) {
        endpoint->Get(std::move(r), std::move(respond));
      },
      {.expose_server_errors = true});
  router.Handle("POST", path, [endpoint](const HttpRequest& r) { return endpoint->Renew(r); },
                {.expose_server_errors = true});
  router.Handle("OPTIONS", path, &DeviceStatusEndpoint::Preflight);
}

std::string LoginComponentScript() {
  auto tp = Templates();
  auto asset = tp->Asset("certme-login.js");
  if (!asset) return {};
  std::string script(*asset);
  json texts = json::object();
  for (const char* lang : {"ro", "ru", "en"})
    for (const char* key : kComponentTexts) texts[lang][key] = tp->Text(lang, key);
  // dump() escapes nothing a script cares about but "</": the catalogue is
  // ours, and the file is served as a script, never inlined in HTML.
  if (auto at = script.find(kTextsMarker); at != std::string::npos) script.replace(at, kTextsMarker.size(), texts.dump());
  return script;
}

void MountLoginComponent(Router& router) {
  router.Get(kLoginComponentPath, [](const HttpRequest& req) {
    std::string script = LoginComponentScript();
    if (script.empty()) return HttpResponse::Text(404, "not found\n");
    // A strong validator of exactly these bytes (the texts and the script
    // change with the templates and the version).
    const std::string etag = "\"" + Sha256Hex(script).substr(0, 32) + "\"";
    HttpResponse r = HttpResponse::Text(200, "", "text/javascript; charset=utf-8");
    if (req.headers.Get("If-None-Match") == etag) r.status = 304;
    else r.body = std::move(script);
    r.headers.Set("ETag", etag);
    // A day, then revalidated with the ETag (a 304 costs a few bytes).
    r.headers.Set("Cache-Control", "public, max-age=86400");
    r.headers.Set("Access-Control-Allow-Origin", "*");
    r.headers.Set("Cross-Origin-Resource-Policy", "cross-origin");
    return r;
  });
}

}  // namespace certme
