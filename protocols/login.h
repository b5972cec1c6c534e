// The hand-off between a protocol front (OIDC, SAML) and the login step.
//
// A protocol validates its request, stores what it needs to resume under its
// own key, and calls Authenticator::Begin with a LoginRequest. The
// authenticator (the certME wallet login; a development double in tests and
// dev mode) owns the pages from there on. When the user is authenticated it
// stores a LoginResult with SaveLoginResult and sends the browser to
// `resume_url`; the protocol then calls ResumeLogin (which takes the result,
// consume-once) and finishes its flow. Neither side sees the other's internals, and the
// result crosses through the Store, so replicas can share a login.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_message.h"
#include "common/status.h"
#include "protocols/eidas.h"

namespace certme {

class Store;

struct LoginRequest {
  std::string txn;               // unique, high-entropy id of this login
  std::string protocol;          // "oidc" | "saml"
  std::string service_id;        // client_id / SP entity ID: also names the
                                 // service's provider account (ProviderKeys)
  std::map<std::string, std::string> service_names;  // lang ("ro","ru","en") → name
  std::vector<std::string> attributes;  // catalogue keys the service asks for
  std::string ui_locale = "ro";  // ro | ru | en
  std::string login_hint;        // optional
  std::string acr = std::string(eidas::kLoaSubstantial);
  bool force_authn = false;      // prompt=login / ForceAuthn
  std::string resume_url;        // where to send the browser when done
  int64_t expires_at = 0;        // unix seconds
  // A login the service starts for a known user (OIDC CIBA, docs/oidc.md):
  // the eID (EIP-55 address) it is addressed to. The wallet login then
  // shows no QR code: it offers the request only in that eID's wallet inbox
  // (docs/wallet-protocol.md) and accepts an answer only from that eID.
  // Empty: an ordinary login, answered by whoever scans the code.
  std::string wallet_eid;
  // Shown by the wallet beside the request (CIBA binding_message); empty: none.
  std::string binding_message;
};

struct LoginResult {
  std::string txn;
  std::string subject;           // stable certME subject (eID address)
  // The eID on the ledger this login used (EIP-55 address): its live status
  // governs the session and every grant made from it
  // (protocols/eid_status.h). Empty for a login without an eID (the
  // development login), which nothing checks against the ledger.
  std::string eid;
  std::map<std::string, std::string> attributes;  // catalogue key → value
  std::string acr;               // eidas.h: the eID's enrolled level
  std::vector<std::string> amr;  // e.g. {"hwk","user"}
  int64_t auth_time = 0;         // unix seconds
  std::string session_id;        // bridge SSO session (sid)
  // Empty when the user was authenticated. Otherwise the login ended without
  // an authentication (one of the kLoginError* values below, or another
  // short code meaning "failed") and `subject` may be empty; the protocol
  // answers its client with an error (OIDC access_denied or, for
  // kLoginErrorValidatorTimeout, temporarily_unavailable; SAML Responder
  // with RequestDenied, or alone for the timeout: docs/saml.md).
  std::string error;
};

inline constexpr const char* kLoginErrorRefused = "refused";          // the user declined
inline constexpr const char* kLoginErrorEidSuspended = "eid_suspended";  // eID not active on the ledger
inline constexpr const char* kLoginErrorEidRevoked = "eid_revoked";
// The validator did not answer the validation request in time.
inline constexpr const char* kLoginErrorValidatorTimeout = "validator_timeout";
// The service's provider account (its ledger address) is not authorized by
// the scheme administrator: nobody can log in to it.
inline constexpr const char* kLoginErrorServiceNotAuthorized = "service_not_authorized";

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Starts the login; returns the page or redirect to show the browser.
  virtual HttpResponse Begin(const LoginRequest& request) = 0;
  // The server is about to stop (called before the HTTP server's graceful
  // shutdown): answer every request parked here now, without ending any
  // login, and park no new one, so the shutdown does not wait for them.
  virtual void Drain() {}
};

// Serialization of LoginRequest/LoginResult through the Store (namespaces
// "login_req" and "login_result"), with the login's remaining lifetime.
Status SaveLoginRequest(Store& store, const LoginRequest& request, int64_t now);
StatusOr<LoginRequest> LoadLoginRequest(Store& store, std::string_view txn);
Status SaveLoginResult(Store& store, const LoginResult& result, int64_t ttl_seconds);
// Consume-once: a second call for the same txn is NotFound.
StatusOr<LoginResult> TakeLoginResult(Store& store, std::string_view txn);

// ---- Taking back a finished login at a protocol's resume URL ----

// The query parameter of `resume_url` that names the login.
inline constexpr std::string_view kResumeTxnParam = "txn";
inline constexpr size_t kMaxTxnLength = 128;

// Why a resume cannot go on. The protocol renders its own page for each,
// with ResumeFailureStatus() as the HTTP status.
enum class ResumeFailure {
  kLoginExpired,     // txn missing, repeated or malformed, or no such pending login (any more): 400
  kWrongBrowser,     // another browser than the one that started the login: 400
  kLoginUnfinished,  // the login step has stored no result for it (yet, or any more): 400
  kServerError,      // a stored record is unreadable: 500
  kUnavailable,      // the store failed; the user may retry: 503 with Retry-After
};

// 400, 500 or 503 (see ResumeFailure).
int ResumeFailureStatus(ResumeFailure failure);
// A short reason for the log ("no pending login for txn", …); never names
// the txn.
std::string_view ResumeFailureReason(ResumeFailure failure);
// Sets `page`'s status to ResumeFailureStatus(failure), and Retry-After
// (RFC 9110 §10.2.3) for kUnavailable.
void MarkResumeFailure(HttpResponse& page, ResumeFailure failure);

// A protocol's own page for each failure (its page enum); kServerError and
// kUnavailable share the generic server-error page.
template <typename Page>
struct ResumePages {
  Page login_expired;
  Page wrong_browser;
  Page login_unfinished;
  Page server_error;

  Page For(ResumeFailure failure) const {
    switch (failure) {
      case ResumeFailure::kLoginExpired:
        return login_expired;
      case ResumeFailure::kWrongBrowser:
        return wrong_browser;
      case ResumeFailure::kLoginUnfinished:
        return login_unfinished;
      case ResumeFailure::kServerError:
      case ResumeFailure::kUnavailable:
        break;
    }
    return server_error;
  }
};

// The answer to a failed ResumeLogin: `render(status, page)` draws the
// protocol's page; MarkResumeFailure adds what the failure needs.
template <typename Page, typename Render>
HttpResponse ResumeFailurePage(ResumeFailure failure, const ResumePages<Page>& pages, Render&& render) {
  HttpResponse r = render(ResumeFailureStatus(failure), pages.For(failure));
  MarkResumeFailure(r, failure);
  return r;
}

struct ResumeSpec {
  std::string_view protocol;        // "oidc" | "saml", for logs
  std::string_view pending_ns;      // Store namespace of the protocol's pending record, keyed by txn
  std::string_view browser_cookie;  // the cookie whose Sha256Hex the pending record keeps
  // Parses the pending record (the caller keeps what it needs from it) and
  // returns the browser hash stored with it; nullopt when unreadable.
  std::function<std::optional<std::string>(std::string_view record)> read_pending;
  // When set, the browser cookie's value must also pass this (e.g. carry the
  // bridge's own tag); a value that does not is the wrong browser.
  std::function<bool(std::string_view value)> browser_value_ok;
};

struct ResumedLogin {
  std::string txn;
  LoginResult result;
};

// The common opening of OIDC's and SAML's resume: reads the txn from the
// query, loads the pending record, checks that the browser which started the
// login is the one finishing it (login CSRF), takes the LoginResult
// (consume-once) and consumes the pending record (of two concurrent resumes
// only one goes on). A store error other than NotFound is kUnavailable
// (logged), never kLoginExpired. On success the caller finishes its flow
// with the result; the result may carry a login error (LoginResult::error).
Result<ResumedLogin, ResumeFailure> ResumeLogin(Store& store, const HttpRequest& req, const ResumeSpec& spec);

}  // namespace certme
