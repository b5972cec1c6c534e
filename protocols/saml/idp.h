// The SAML 2.0 Identity Provider, shaped after MPass (docs/ARCHITECTURE.md, the world it serves): pure
// protocol logic over plain HttpRequest / HttpResponse values (no HTTP
// framework here; idp/saml_mount.cc mounts Routes()).
//
// Web Browser SSO Profile (SAML Profiles §4.1) with AuthnRequests over
// HTTP-POST and HTTP-Redirect, Responses over HTTP-POST; Single Logout
// Profile (§4.4) over HTTP-POST and HTTP-Redirect in both directions; IdP
// metadata (SAML Metadata §2.4.3) signed with the IdP key.
//
// Thread-safety: every handler may run concurrently; shared state lives in
// the Store or behind internal locks. REQUIRES: InitXmlSecurity() before
// the first request; the references given to the constructor outlive the IdP.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "common/secret.h"
#include "common/status.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/eid_status.h"
#include "protocols/login.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/service.h"

namespace certme::saml {

struct SamlIdpOptions {
  // External base URL without trailing slash; endpoints are base_url + path.
  std::string base_url;
  // The IdP entity ID; empty: base_url + "/saml/metadata" (the metadata URL,
  // as most IdPs do, so an integrator needs one URL only).
  std::string entity_id;
  int64_t assertion_ttl_seconds = 300;     // SubjectConfirmationData/Conditions NotOnOrAfter
  int64_t session_ttl_seconds = 28800;     // SessionNotOnOrAfter, the SSO session (8 h)
  int64_t clock_skew_seconds = 60;         // tolerated IssueInstant drift into the future
  int64_t max_request_age_seconds = 300;   // IssueInstant older than this (+skew) is stale
  int64_t login_ttl_seconds = 300;         // time the user has to finish a login
  int64_t metadata_valid_seconds = 7 * 86400;  // metadata validUntil
  int64_t logout_timeout_seconds = 10;     // SLO: wait this long for the other services
  // HMAC key of persistent (pairwise) NameIDs; at least 32 bytes.
  Secret pairwise_salt;
  bool dev_mode = false;                   // plain-http cookies (no Secure)
  // Metadata: the IdP's names (mdui:DisplayName) and technical contact.
  std::map<std::string, std::string> display_names = {
      {"ro", "certME"}, {"ru", "certME"}, {"en", "certME"}};
  std::string technical_contact = "";
  // Accept rsa-sha1 from services that enable allow_sha1. Off: SHA-1 is
  // refused whatever a service says.
  bool sha1_enabled = false;
  // Largest decoded message (before libxml2 parses anything, with the
  // per-element limits of XmlLimits); 4 KiB..1 MiB. MPass requests are ~3 KB.
  size_t max_message_bytes = kMaxMessageBytes;
};

// Every problem at once (InvalidArgument).
Status ValidateSamlIdpOptions(const SamlIdpOptions& o);

// The IdP's signing key and certificate (the same RSA key may also sign
// OIDC tokens). The key is parsed once (rule 14).
struct SamlSigner {
  std::shared_ptr<const SigningKey> key;  // RSA
  std::string certificate_der;            // X.509 of that key
  // Certificates of keys that will sign after a rollover: published in the
  // metadata beside the current one, so services trust them in advance.
  std::vector<std::string> next_certificates_der;
};

// How the IdP reaches OIDC relying parties of the same browser at logout
// (a small hook the integrator wires to the OIDC provider). Optional.
//
// The SAML and OIDC sessions have separate cookies. At every SAML SSO the IdP
// asks for the id of the other session the browser's request carries and
// keeps it with the SAML session: the SP's LogoutRequest is a cross-site POST
// that browsers send without SameSite=Lax cookies, so the logout request
// alone cannot name the OIDC session. Thread-safe; must not block for long.
class SessionLogoutHook {
 public:
  virtual ~SessionLogoutHook() = default;
  // The other protocol's session carried by the browser's request (e.g. the
  // OIDC sid); empty when none.
  virtual std::string LinkedSessionId(const HttpRequest& browser_request) = 0;
  // Ends the sessions recorded at SSO (`linked_session_ids`) and the one the
  // logout request itself carries, with their own logout notifications (OIDC
  // back-channel logout).
  virtual void EndOtherSessions(const HttpRequest& browser_request,
                                const std::vector<std::string>& linked_session_ids) = 0;
};

// Outbound LogoutRequests over the SOAP binding (SAML Bindings §3.2), for
// sessions ended without a browser (a suspended eID). The integrator
// delivers them (libcurl, retries); tests use a fake. Must not block.
class SoapLogoutSender {
 public:
  virtual ~SoapLogoutSender() = default;
  // `envelope`: a SOAP 1.1 Envelope whose Body holds the signed LogoutRequest.
  virtual void PostSoapLogout(const std::string& entity_id, const std::string& url,
                              const std::string& envelope) = 0;
};

class SamlIdp {
 public:
  SamlIdp(SamlIdpOptions options, Store& store, ServiceRegistry& services,
          Authenticator& authenticator, const ClaimsCatalogue& catalogue, SamlSigner signer,
          Clock& clock, Random& random, SessionLogoutHook* logout_hook = nullptr);

  HttpResponse Metadata(const HttpRequest&);    // GET /saml/metadata
  HttpResponse Sso(const HttpRequest&);         // GET (Redirect) and POST /saml/sso
  HttpResponse Resume(const HttpRequest&);      // GET /saml/resume?txn=…
  HttpResponse Slo(const HttpRequest&);         // GET and POST /saml/slo (requests and responses)
  HttpResponse SloFrame(const HttpRequest&);    // GET /saml/slo/frame?l=…&i=… (one service's LogoutRequest)
  HttpResponse SloStatus(const HttpRequest&);   // GET /saml/slo/status?l=… (JSON)
  HttpResponse SloFinish(const HttpRequest&);   // GET /saml/slo/finish?l=… (answer the initiator)
  HttpResponse SloProgress(const HttpRequest&);  // GET /saml/slo/progress?l=… (logout started elsewhere)
  HttpResponse LogoutPage(const HttpRequest&);  // GET /saml/logout: IdP-initiated logout (confirm)
  HttpResponse LogoutSubmit(const HttpRequest&);  // POST /saml/logout

  struct Route {
    std::string method, path;
    HttpResponse (SamlIdp::*handler)(const HttpRequest&);
  };
  static std::vector<Route> Routes();

  const std::string& entity_id() const { return entity_id_; }

  // Logout started by the other protocol (OIDC RP-initiated logout): ends
  // the SAML sessions linked to `other_session_id` at SSO and the one the
  // request's cookie names, and returns the URL of the page that sends our
  // LogoutRequests to their services and then goes to `return_url` (empty:
  // our logged-out page). Empty when no SAML service has to be told.
  std::string LogoutFromOtherProtocol(const HttpRequest& req, const std::string& other_session_id,
                                      const std::string& return_url);
  // The live eID status SSO reuse checks (protocols/eid_status.h); without
  // one nothing is checked. And where SOAP LogoutRequests go. REQUIRES: set
  // before the first request; both outlive the IdP.
  void SetEidStatusSource(EidStatusSource* source) { eid_status_ = source; }
  void SetSoapLogoutSender(SoapLogoutSender* sender) { soap_sender_ = sender; }
  // Ends every SAML session of a suspended or revoked eID: each service of
  // the session that registered a SOAP Single Logout endpoint gets a signed
  // LogoutRequest over SOAP (Reason admin); the others find the session gone
  // and the eID refused at their next SSO. Returns the sessions ended; a
  // store error is returned so the caller may retry. Thread-safe.
  StatusOr<size_t> EndEidSessions(const std::string& eid);
  // The signed metadata document (rebuilt when validUntil approaches).
  StatusOr<std::string> MetadataXml();
  // A key rollover: signs with `signer` from now on and rebuilds the
  // metadata. Thread-safe; a message being signed finishes with the key it
  // started with. REQUIRES: signer.key is an RSA OpenSSL key.
  void SetSigner(SamlSigner signer);

  // Internal records (public so the implementation files can share them).
  struct PendingAuthn;
  struct Session;
  struct LogoutState;

 private:
  struct Target;  // a trusted place to deliver a Response: service + ACS + relay state

  // One message as its binding delivered it (SAML Bindings §3.4.4, §3.5.4).
  struct Incoming {
    bool redirect = false;
    std::string param;        // kParamSamlRequest or kParamSamlResponse
    std::string xml;          // decoded; at most opts_.max_message_bytes
    std::string relay_state;  // empty when absent
    RedirectQuery query;      // HTTP-Redirect only: the parameters as sent
  };
  // The one message of `req`: the POST form, or the raw Redirect query
  // (never the server's decoded query, whose names may have been encoded).
  // InvalidArgument says what is wrong (for the log).
  StatusOr<Incoming> ReadIncoming(const HttpRequest& req) const;
  // The one log line of a refused message (`request`: AuthnRequest,
  // LogoutRequest, LogoutResponse, or "SAML message" before it is known).
  // `reason` is the hidden detail; callers never pass message content,
  // RelayState or secrets.
  static void LogRefused(std::string_view request, std::string_view reason, std::string_view issuer = {});

  // ---- SSO (sso.cc) ----
  HttpResponse HandleAuthnRequest(const HttpRequest& req, const Incoming& in);
  // Logs the error, then posts it to the target.
  HttpResponse ErrorResponse(const Target& t, const SamlError& e);
  // A refused AuthnRequest whose ACS is trusted: one refusal line, then the
  // signed error Response.
  HttpResponse RefuseToAcs(const Target& t, const SamlError& e);
  HttpResponse PostErrorResponse(const Target& t, const SamlError& e);
  HttpResponse SuccessResponse(const Target& t, const SamlService& service,
                               const std::string& session_key, Session& session,
                               std::vector<SetCookie> cookies);
  StatusOr<std::string> BuildResponse(const Target& t, const SamlService* service,
                                      const Session* session, const SamlError* error);
  // ---- sessions (session.cc) ----
  std::optional<std::pair<std::string, Session>> LoadSession(const HttpRequest& req);
  Status SaveSession(const std::string& key, const Session& s);
  SetCookie Cookie(std::string_view name, const std::string& value, int64_t max_age) const;
  // Records the browser's other-protocol session with the SAML session.
  void LinkOtherSession(const HttpRequest& req, Session& s);
  // ---- SLO (slo.cc) ----
  HttpResponse HandleLogoutRequest(const HttpRequest& req, const Incoming& in);
  HttpResponse HandleLogoutResponse(const Incoming& in);
  HttpResponse StartLogout(const HttpRequest& req, const std::string& session_key,
                           const Session& session, LogoutState state);
  // Ends one SAML session (consumed, so concurrent logouts end it once) and
  // adds its services other than the initiator to `state.pending`.
  void EndSamlSession(const HttpRequest& req, const std::string& session_key, const Session& session,
                      LogoutState& state);
  // Stores the logout state; the id, or empty on a store failure.
  std::string SaveLogoutState(const LogoutState& state);
  HttpResponse ProgressPage(const std::string& logout_id, const LogoutState& state);
  HttpResponse SendToService(const SamlService& s, const std::string& url, bool is_request,
                             const std::string& xml, const std::string& relay_state);
  // ---- signatures ----
  EVP_PKEY* ServiceKey(const SamlService& s);  // parsed once per certificate
  EVP_PKEY* ServiceEncryptionKey(const SamlService& s);  // likewise
  EVP_PKEY* CachedCertificateKey(const std::string& cache_key, const std::string& pem);
  // Unauthenticated with a client-safe message and a detail for the log.
  Status VerifyMessage(const Incoming& in, xmlDoc* doc, const SamlService& s);
  // Signs the Response (and first its Assertion when `sign_assertion`);
  // with `encrypt_for`, the (signed) Assertion is replaced by an
  // EncryptedAssertion to that service before the Response is signed.
  StatusOr<std::string> SignXml(const std::string& xml, bool sign_assertion,
                                const SamlService* encrypt_for = nullptr);

  std::string Url(std::string_view path) const { return opts_.base_url + std::string(path); }
  int64_t Now() const { return clock_.NowUnixSeconds(); }
  std::string NewId() { return "_" + HexEncode(random_.Bytes(20)); }
  std::shared_ptr<const SamlSigner> Signer() const;

  SamlIdpOptions opts_;
  std::string entity_id_;
  Store& store_;
  ServiceRegistry& services_;
  Authenticator& authenticator_;
  const ClaimsCatalogue& catalogue_;
  mutable std::mutex signer_mu_;
  std::shared_ptr<const SamlSigner> signer_;  // GUARDED_BY(signer_mu_); replaced whole
  Clock& clock_;
  Random& random_;
  SessionLogoutHook* logout_hook_;
  EidStatusSource* eid_status_ = nullptr;
  SoapLogoutSender* soap_sender_ = nullptr;

  std::mutex mu_;
  // Parsed service certificates: entity ID (signing) or "enc\n" + entity ID
  // (encryption) → (certificate PEM, key).
  std::map<std::string, std::pair<std::string, std::shared_ptr<PublicKey>>> service_keys_;  // GUARDED_BY(mu_)
  // Keys replaced by a re-registration: a concurrent request may still be
  // verifying with the borrowed EVP_PKEY, so they are kept, not freed.
  std::vector<std::shared_ptr<PublicKey>> retired_keys_;  // GUARDED_BY(mu_)
  std::string metadata_cache_;       // GUARDED_BY(mu_)
  int64_t metadata_built_at_ = 0;    // GUARDED_BY(mu_)
};

}  // namespace certme::saml
