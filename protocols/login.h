// The hand-off between a protocol front (OIDC, SAML) and the login step.
//
// A protocol validates its request, stores what it needs to resume under its
// own key, and calls Authenticator::Begin with a LoginRequest. The
// authenticator (the certME wallet login; a development double in tests and
// dev mode) owns the pages from there on. When the user is authenticated it
// stores a LoginResult with SaveLoginResult and sends the browser to
// `resume_url`; the protocol then calls TakeLoginResult (consume-once) and
// finishes its flow. Neither side sees the other's internals, and the
// result crosses through the Store, so replicas can share a login.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/http_message.h"
#include "common/status.h"

namespace certme {

class Store;

struct LoginRequest {
  std::string txn;               // unique, high-entropy id of this login
  std::string protocol;          // "oidc" | "saml"
  std::string service_id;        // client_id / SP entity ID
  std::map<std::string, std::string> service_names;  // lang ("ro","ru","en") → name
  std::vector<std::string> attributes;  // catalogue keys the service asks for
  std::string ui_locale = "ro";  // ro | ru | en
  std::string login_hint;        // optional
  std::string acr = "http://eidas.europa.eu/LoA/substantial";
  bool force_authn = false;      // prompt=login / ForceAuthn
  std::string resume_url;        // where to send the browser when done
  int64_t expires_at = 0;        // unix seconds
};

struct LoginResult {
  std::string txn;
  std::string subject;           // stable certME subject (eID address)
  std::map<std::string, std::string> attributes;  // catalogue key → value
  std::string acr;
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

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Starts the login; returns the page or redirect to show the browser.
  virtual HttpResponse Begin(const LoginRequest& request) = 0;
};

// Serialization of LoginRequest/LoginResult through the Store (namespaces
// "login_req" and "login_result"), with the login's remaining lifetime.
Status SaveLoginRequest(Store& store, const LoginRequest& request, int64_t now);
StatusOr<LoginRequest> LoadLoginRequest(Store& store, std::string_view txn);
Status SaveLoginResult(Store& store, const LoginResult& result, int64_t ttl_seconds);
// Consume-once: a second call for the same txn is NotFound.
StatusOr<LoginResult> TakeLoginResult(Store& store, std::string_view txn);

}  // namespace certme
