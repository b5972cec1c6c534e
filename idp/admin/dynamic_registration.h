// The dynamic client registration endpoint (RFC 7591) and its management
// protocol (RFC 7592), on the bridge that runs the console:
//
//   POST   /register               Bearer initial access token → 201, a new client on test
//   GET    /register/{client_id}   Bearer registration access token → 200, its metadata
//   PUT    /register/{client_id}   … → 200, the metadata replaced (validated again)
//   DELETE /register/{client_id}   … → 204, the client removed
//
// A registration goes through the console's own path (ServiceAdmin::
// CreateDynamic): a service record with origin "dynamic" on the test
// environment, the live registry of the test bridge, the provider account
// in hub mode — which the scheme administrator still has to authorize on
// the ledger, and production still needs the console's promotion. The
// metadata rules are protocols/oidc/registration.h plus ValidateClient; the
// initial access tokens are initial_access_tokens.h.
//
// Cost of a request without a valid token: a rate-limit bucket, one
// SHA-256 and one Store read; the body is not parsed before the token is
// found good. Errors are RFC 7591 §3.2.2 JSON with a description; nothing
// is stored on an error, and an initial access token's use is spent only
// by a registration that is stored.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/random.h"
#include "common/rate_limiter.h"
#include "idp/admin/initial_access_tokens.h"
#include "idp/admin/service_admin.h"
#include "protocols/claims/claims_catalogue.h"

namespace certme {
class Router;
}

namespace certme::admin {

struct DynamicRegistrationOptions {
  std::string issuer;     // this bridge's public URL (registration_client_uri = issuer + /register/{id})
  bool dev_mode = false;  // http redirect URIs on a loopback host
  int requests_per_minute_per_address = 30;
  int registrations_per_minute_per_token = 10;
};

class DynamicRegistration {
 public:
  DynamicRegistration(DynamicRegistrationOptions options, InitialAccessTokens& tokens, ServiceAdmin& services,
                      const ClaimsCatalogue& catalogue, Clock& clock, Random& random);

  HttpResponse Register(const HttpRequest& req);  // POST /register
  HttpResponse Read(const HttpRequest& req);      // GET /register/:client_id
  HttpResponse Update(const HttpRequest& req);    // PUT /register/:client_id
  HttpResponse Remove(const HttpRequest& req);    // DELETE /register/:client_id

  // REQUIRES: called before the server starts.
  void Mount(Router& router);

 private:
  // The dynamically registered service the path names, if the request's
  // bearer token is its registration access token; otherwise the 401.
  Result<ServiceRecord, HttpResponse> Authorized(const HttpRequest& req);
  // The request's JSON body (size, type, nesting), or the 400.
  Result<nlohmann::json, HttpResponse> Body(const HttpRequest& req);
  // The answer of RFC 7591 §3.2.1 / RFC 7592 §3 for `r`.
  nlohmann::json Answer(const ServiceRecord& r) const;

  DynamicRegistrationOptions o_;
  InitialAccessTokens& tokens_;
  ServiceAdmin& services_;
  const ClaimsCatalogue& catalogue_;
  Clock& clock_;
  Random& random_;
  RateLimiter by_address_;
  RateLimiter by_token_;
};

}  // namespace certme::admin
