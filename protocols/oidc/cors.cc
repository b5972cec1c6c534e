// CORS (Fetch Standard §3.2) for browser applications, i.e. public clients
// (OAuth 2.0 for Browser-Based Apps): discovery and JWKS are public
// documents for any origin; the token endpoint and UserInfo answer CORS
// only to an origin of one of the client's registered redirect URIs (the
// origin the application runs on), so no other site's script can read them.
// No credentials mode: these endpoints use no cookies.
#include <optional>

#include "common/log.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/url_util.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

namespace {

constexpr std::string_view kOrigin = "Origin";
constexpr std::string_view kAllowOrigin = "Access-Control-Allow-Origin";
constexpr std::string_view kAllowMethods = "Access-Control-Allow-Methods";
constexpr std::string_view kAllowHeaders = "Access-Control-Allow-Headers";
constexpr std::string_view kExposeHeaders = "Access-Control-Expose-Headers";
constexpr std::string_view kMaxAge = "Access-Control-Max-Age";
// Request headers a browser application sends: the bearer token or Basic
// credentials, the form type, a DPoP proof (RFC 9449 §4.1).
constexpr std::string_view kRequestHeaders = "Authorization, Content-Type, DPoP";
// Preflight results may be cached this long (browsers cap it lower).
constexpr std::string_view kPreflightMaxAge = "600";

// The serialised origin (RFC 6454 §6.1) of an http(s) URL: lowercase scheme
// and host, default port dropped. `bare`: an Origin header, which has no path.
std::optional<std::string> OriginOf(std::string_view url, bool bare) {
  auto u = ParseUrl(url);
  if (!u || (u->scheme != "https" && u->scheme != "http")) return std::nullopt;
  if (bare && (!u->path_query.empty() || u->has_fragment)) return std::nullopt;
  if ((u->scheme == "https" && u->port == "443") || (u->scheme == "http" && u->port == "80"))
    u->port.clear();
  return u->Origin();
}

bool HasOrigin(const OidcClient& client, const std::string& origin) {
  for (const auto& uri : client.redirect_uris)
    if (OriginOf(uri, false) == origin) return true;
  return false;
}

void VaryOrigin(HttpResponse& r) { r.headers.Set("Vary", std::string(kOrigin)); }

HttpResponse PreflightAnswer(std::string_view allow_origin, std::string_view methods) {
  HttpResponse r;
  r.status = 204;
  r.headers.Set("Allow", "OPTIONS, " + std::string(methods));
  if (!allow_origin.empty()) {
    r.headers.Set(kAllowOrigin, std::string(allow_origin));
    r.headers.Set(kAllowMethods, std::string(methods));
    r.headers.Set(kAllowHeaders, std::string(kRequestHeaders));
    r.headers.Set(kMaxAge, std::string(kPreflightMaxAge));
  }
  return r;
}

}  // namespace

bool OidcProvider::IsClientOrigin(std::string_view client_id, std::string_view origin) {
  auto want = OriginOf(origin, true);
  if (!want || client_id.empty() || !IsUtf8(client_id)) return false;
  auto client = clients_.Get(client_id);
  return client.ok() && HasOrigin(*client, *want);
}

bool OidcProvider::IsAnyClientOrigin(std::string_view origin) {
  auto want = OriginOf(origin, true);
  if (!want) return false;
  // A preflight carries no client_id; any client's origin may ask. The
  // actual request is then checked against its own client.
  auto all = clients_.List();
  if (!all.ok()) {
    LogError("oidc client registry failed", {{"detail", all.status().ToString()}});
    return false;
  }
  for (const auto& c : *all)
    if (HasOrigin(c, *want)) return true;
  return false;
}

void OidcProvider::AddClientCors(const HttpRequest& req, std::string_view client_id,
                                 HttpResponse& r) {
  VaryOrigin(r);  // the answer depends on Origin, whatever it is this time
  auto origin = req.headers.Get(kOrigin);
  if (!origin || !IsClientOrigin(client_id, *origin)) return;
  r.headers.Set(kAllowOrigin, *origin);
  r.headers.Set(kExposeHeaders, "WWW-Authenticate, DPoP-Nonce");  // RFC 6750 §3 challenges, RFC 9449 §8 nonces
}

HttpResponse OidcProvider::PublicPreflight(const HttpRequest&) {
  return PreflightAnswer("*", "GET");
}

HttpResponse OidcProvider::TokenPreflight(const HttpRequest& req) {
  auto origin = req.headers.Get(kOrigin).value_or("");
  HttpResponse r = PreflightAnswer(IsAnyClientOrigin(origin) ? origin : "", "POST");
  VaryOrigin(r);
  return r;
}

HttpResponse OidcProvider::UserInfoPreflight(const HttpRequest& req) {
  auto origin = req.headers.Get(kOrigin).value_or("");
  HttpResponse r = PreflightAnswer(IsAnyClientOrigin(origin) ? origin : "", "GET, POST");
  VaryOrigin(r);
  return r;
}

}  // namespace certme
