#include "bench/oidc_load/oidc_flow.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "bench/oidc_load/flow_detail.h"
#include "common/encoding.h"
#include "crypto/hash.h"

namespace certme::bench {
namespace {
constexpr int kMaxRedirectHops = 8;

// The failure kind of an ID token CheckIdToken refused.
std::string IdTokenFailureKind(const Status& s) {
  if (s.code() == StatusCode::kFailedPrecondition) return "id_token:" + std::string(s.message());
  return s.code() == StatusCode::kUnauthenticated ? "id_token:signature" : "id_token:malformed_or_alg";
}
}  // namespace

namespace flow_detail {

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Parses a JSON object body; a non-object or invalid body is nullopt.
std::optional<Json> JsonObject(const std::string& body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::string> JsonString(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// "token:http_400:invalid_grant" — the OAuth error code when the body has one.
std::string HttpErrorKind(std::string_view step, const ClientResponse& resp) {
  std::string kind = std::string(step) + ":http_" + std::to_string(resp.status);
  if (auto j = JsonObject(resp.body))
    if (auto e = JsonString(*j, "error")) kind += ":" + e->substr(0, 40);
  return kind;
}

std::string IoErrorKind(std::string_view step, const Status& s) {
  const char* what = "io";
  switch (s.code()) {
    case StatusCode::kDeadlineExceeded: what = "timeout"; break;
    case StatusCode::kUnavailable: what = "connection"; break;
    case StatusCode::kInternal: what = "bad_http"; break;
    default: break;
  }
  return std::string(step) + ":" + what;
}

OpResult& Fail(OpResult& r, std::string kind, std::string detail) {
  r.ok = false;
  r.error_kind = std::move(kind);
  r.detail = std::move(detail);
  return r;
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view QueryOf(std::string_view target_or_url) {
  size_t q = target_or_url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target_or_url.substr(q + 1);
  return query.substr(0, query.find('#'));
}

std::string WithQuery(const LoopbackUrl& url,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = url.target;
  out += url.target.find('?') == std::string::npos ? '?' : '&';
  out += EncodeUrlEncoded(params);
  return out;
}

}  // namespace flow_detail

using namespace flow_detail;  // NOLINT: this file's own helpers

const char* StepName(Step step) {
  switch (step) {
    case Step::kAuthorize: return "authorize";
    case Step::kLoginPage: return "login_page";
    case Step::kLogin: return "login";
    case Step::kWalletRequest: return "wallet_get";
    case Step::kWalletAnswer: return "wallet_post";
    case Step::kStatus: return "status";
    case Step::kContinue: return "continue";
    case Step::kResume: return "resume";
    case Step::kToken: return "token";
    case Step::kUserinfo: return "userinfo";
    case Step::kDiscovery: return "discovery";
    case Step::kJwks: return "jwks";
  }
  return "?";
}

std::string PkceChallenge(std::string_view verifier) { return Base64UrlEncode(Sha256(verifier)); }

std::string AtHash(std::string_view access_token) {
  std::string h = Sha256(access_token);
  return Base64UrlEncode(std::string_view(h).substr(0, h.size() / 2));
}

StatusOr<ProviderInfo> Discover(HttpConnection& conn) {
  // OIDC Discovery §4: the configuration lives under the issuer's path.
  std::string base(PathOf(conn.origin().target));
  while (!base.empty() && base.back() == '/') base.pop_back();
  ClientRequest req;
  req.target = base + "/.well-known/openid-configuration";
  req.headers = {{"Accept", "application/json"}};
  CERTME_ASSIGN_OR_RETURN(ClientResponse resp, conn.RoundTrip(req));
  if (resp.status != 200)
    return FailedPrecondition("discovery answered HTTP " + std::to_string(resp.status));
  auto doc = JsonObject(resp.body);
  if (!doc) return FailedPrecondition("discovery document is not a JSON object");
  ProviderInfo info;
  info.discovery_target = req.target;
  auto issuer = JsonString(*doc, "issuer");
  if (!issuer) return FailedPrecondition("discovery has no issuer");
  info.issuer = *issuer;
  struct Field {
    const char* name;
    LoopbackUrl* out;
  } fields[] = {{"authorization_endpoint", &info.authorization_endpoint},
                {"token_endpoint", &info.token_endpoint},
                {"userinfo_endpoint", &info.userinfo_endpoint},
                {"jwks_uri", &info.jwks_uri}};
  for (const auto& f : fields) {
    auto url = JsonString(*doc, f.name);
    if (!url) return FailedPrecondition(std::string("discovery has no ") + f.name);
    auto resolved = ResolveSameOrigin(conn.origin(), *url);
    if (!resolved.ok())
      return FailedPrecondition(std::string(f.name) + " is not on the target server: " + *url,
                                resolved.status().message());
    *f.out = *resolved;
  }
  ClientRequest jreq;
  jreq.target = info.jwks_uri.target;
  jreq.headers = {{"Accept", "application/json"}};
  CERTME_ASSIGN_OR_RETURN(ClientResponse jresp, conn.RoundTrip(jreq));
  if (jresp.status != 200)
    return FailedPrecondition("jwks_uri answered HTTP " + std::to_string(jresp.status));
  auto jwks = JsonObject(jresp.body);
  if (!jwks) return FailedPrecondition("JWKS is not a JSON object");
  CERTME_ASSIGN_OR_RETURN(info.keys, ParsePublicKeyJwks(*jwks));
  return info;
}

StatusOr<VerifiedJwt> CheckIdToken(std::string_view id_token, const ProviderInfo& provider,
                                   const ClientSettings& client, std::string_view nonce,
                                   std::string_view access_token, int64_t now_unix,
                                   bool refreshed) {
  // §3.1.3.7 items 6–8: the signature, with the alg registered for the client.
  CERTME_ASSIGN_OR_RETURN(VerifiedJwt jwt,
                          VerifyJwt(id_token, provider.keys, {client.id_token_alg}));
  const Json& p = jwt.payload;
  auto claim = [](const char* name) { return FailedPrecondition(name); };
  // Item 2: iss matches the issuer exactly.
  if (JsonString(p, "iss") != provider.issuer) return claim("iss");
  // Items 3–5: aud contains the client; with several audiences, azp is us.
  auto aud = p.find("aud");
  if (aud == p.end()) return claim("aud");
  if (aud->is_string()) {
    if (aud->get<std::string>() != client.client_id) return claim("aud");
  } else if (aud->is_array()) {
    bool found = false;
    for (const auto& a : *aud)
      if (a.is_string() && a.get<std::string>() == client.client_id) found = true;
    if (!found) return claim("aud");
    if (aud->size() > 1 && JsonString(p, "azp") != client.client_id) return claim("azp");
  } else {
    return claim("aud");
  }
  if (auto azp = JsonString(p, "azp"); azp && *azp != client.client_id) return claim("azp");
  // Item 9: not expired. Item 10: iat not in the future (same machine, so
  // a minute of leeway is generous).
  auto exp = p.find("exp");
  if (exp == p.end() || !exp->is_number() || exp->get<double>() <= double(now_unix))
    return claim("exp");
  auto iat = p.find("iat");
  if (iat == p.end() || !iat->is_number() || iat->get<double>() > double(now_unix + 60))
    return claim("iat");
  // Item 11: the nonce we sent (§12.2: a refreshed token may leave it out).
  auto got_nonce = JsonString(p, "nonce");
  if (!(refreshed && !p.contains("nonce")) && got_nonce != std::string(nonce)) return claim("nonce");
  auto sub = JsonString(p, "sub");
  if (!sub || sub->empty()) return claim("sub");
  // §3.1.3.8: at_hash is optional in the code flow; when present it must match.
  if (auto at_hash = JsonString(p, "at_hash"); at_hash && *at_hash != AtHash(access_token))
    return claim("at_hash");
  return jwt;
}

int CountSignedTokens(const Json& token_response) {
  int n = 0;
  for (const char* name : {"id_token", "access_token", "refresh_token"}) {
    auto token = JsonString(token_response, name);
    if (!token || std::count(token->begin(), token->end(), '.') != 2) continue;
    auto jws = DecodeJwtUnverified(*token);
    if (!jws.ok()) continue;
    auto alg = JsonString(jws->header, "alg");
    if (alg && *alg != "none") ++n;
  }
  return n;
}

FlowRunner::FlowRunner(const ProviderInfo& provider, const ClientSettings& client,
                       HttpConnection& conn, Random& random, const Clock& clock)
    : provider_(provider), client_(client), conn_(conn), random_(random), clock_(clock) {
  // RFC 6749 §2.3.1: id and secret are form-encoded before base64.
  basic_auth_ = "Basic " + Base64Encode(PercentEncode(client.client_id) + ":" +
                                        PercentEncode(client.client_secret));
}

ClientRequest FlowRunner::Get(const LoopbackUrl& url) const {
  ClientRequest req;
  req.method = "GET";
  req.target = url.target;
  return req;
}

ClientRequest FlowRunner::PostForm(
    const LoopbackUrl& url, const std::vector<std::pair<std::string, std::string>>& form) const {
  ClientRequest req;
  req.method = "POST";
  req.target = url.target;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = EncodeUrlEncoded(form);
  return req;
}

StatusOr<ClientResponse> FlowRunner::Exchange(Step step, const ClientRequest& request,
                                              OpResult* result, HttpConnection* conn) {
  auto start = std::chrono::steady_clock::now();
  StatusOr<ClientResponse> resp = (conn ? *conn : conn_).RoundTrip(request);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  result->step_us[size_t(step)] += uint32_t(std::min<int64_t>(us, UINT32_MAX));
  return resp;
}

OpResult FlowRunner::RunCodeFlow() {
  OpResult r;
  if (!client_.sso) jar_.Clear();  // a fresh user agent per flow
  const std::string state = random_.Token(16);
  const std::string nonce = random_.Token(16);
  const std::string verifier = random_.Token(32);  // 43 chars: RFC 7636 §4.1

  // Browser leg: authorize and follow redirects until the redirect_uri.
  ClientRequest req = Get(provider_.authorization_endpoint);
  req.target = WithQuery(provider_.authorization_endpoint,
                         {{"response_type", "code"},
                          {"client_id", client_.client_id},
                          {"redirect_uri", client_.redirect_uri},
                          {"scope", client_.scope},
                          {"state", state},
                          {"nonce", nonce},
                          {"code_challenge", PkceChallenge(verifier)},
                          {"code_challenge_method", "S256"}});
  Step step = Step::kAuthorize;
  std::string location;
  for (int hop = 0;; ++hop) {
    if (hop > kMaxRedirectHops) return Fail(r, "redirect_loop");
    if (std::string cookie = jar_.Header(); !cookie.empty()) req.headers.emplace_back("Cookie", cookie);
    auto resp = Exchange(step, req, &r);
    if (!resp.ok()) return Fail(r, IoErrorKind(StepName(step), resp.status()), resp.status().ToString());
    jar_.Update(*resp);
    if (!IsRedirect(resp->status)) return Fail(r, HttpErrorKind(StepName(step), *resp), resp->body.substr(0, 200));
    auto loc = resp->Header("location");
    if (!loc) return Fail(r, std::string(StepName(step)) + ":no_location");
    location = *loc;
    const std::string& cb = client_.redirect_uri;
    if (location.compare(0, cb.size(), cb) == 0 &&
        (location.size() == cb.size() || location[cb.size()] == '?' || location[cb.size()] == '#'))
      break;
    auto next = ResolveSameOrigin(conn_.origin(), location);
    if (!next.ok()) return Fail(r, std::string(StepName(step)) + ":bad_redirect", location);
    if (PathOf(next->target) == kDevLoginPath) {
      auto query = ParseUrlEncoded(QueryOf(next->target));
      std::optional<std::string> txn = query ? ParamGet(*query, "txn") : std::nullopt;
      if (!txn) return Fail(r, "login:no_txn", location);
      if (client_.fetch_login_page) {
        ClientRequest page = Get(*next);
        if (std::string cookie = jar_.Header(); !cookie.empty()) page.headers.emplace_back("Cookie", cookie);
        auto presp = Exchange(Step::kLoginPage, page, &r);
        if (!presp.ok()) return Fail(r, IoErrorKind("login_page", presp.status()), presp.status().ToString());
        jar_.Update(*presp);
        if (presp->status != 200) return Fail(r, HttpErrorKind("login_page", *presp));
      }
      LoopbackUrl form_url = *next;
      form_url.target = std::string(kDevLoginPath);
      req = PostForm(form_url, {{"txn", *txn}, {"identity", client_.identity}});
      step = Step::kLogin;
    } else if (PathOf(next->target) == kWalletLoginPath && client_.wallet_users) {
      LoopbackUrl cont;
      if (!RunWalletLeg(*next, &r, &cont)) return r;
      req = Get(cont);
      step = Step::kContinue;
    } else {
      req = Get(*next);
      step = Step::kResume;
    }
  }

  // The client's callback (RFC 6749 §4.1.2, RFC 9207 iss).
  auto cbq = ParseUrlEncoded(QueryOf(location));
  if (!cbq) return Fail(r, "callback:bad_query", location);
  if (auto err = ParamGet(*cbq, "error")) return Fail(r, "callback:error=" + err->substr(0, 40), location);
  if (ParamGet(*cbq, "state") != state) return Fail(r, "callback:state", location);
  if (auto iss = ParamGet(*cbq, "iss"); iss && *iss != provider_.issuer)
    return Fail(r, "callback:iss", location);
  auto code = ParamGet(*cbq, "code");
  if (!code || code->empty()) return Fail(r, "callback:no_code", location);

  // Back channel: token (no cookies, client_secret_basic).
  auto tok = TokenRequest({{"grant_type", "authorization_code"},
                           {"code", *code},
                           {"redirect_uri", client_.redirect_uri},
                           {"code_verifier", verifier}},
                          &r);
  if (!tok) return r;
  auto access_token = JsonString(*tok, "access_token");
  auto id_token = JsonString(*tok, "id_token");
  if (!id_token) return Fail(r, "token:no_id_token");
  auto verified = CheckIdToken(*id_token, provider_, client_, nonce, *access_token,
                               clock_.NowUnixSeconds());
  if (!verified.ok()) return Fail(r, IdTokenFailureKind(verified.status()), verified.status().ToString());

  // UserInfo (OIDC Core §5.3): the same subject as the ID token (§5.3.2).
  ClientRequest ureq = Get(provider_.userinfo_endpoint);
  ureq.headers.emplace_back("Authorization", "Bearer " + *access_token);
  ureq.headers.emplace_back("Accept", "application/json");
  auto uresp = Exchange(Step::kUserinfo, ureq, &r);
  if (!uresp.ok()) return Fail(r, IoErrorKind("userinfo", uresp.status()), uresp.status().ToString());
  if (uresp->status != 200) return Fail(r, HttpErrorKind("userinfo", *uresp), uresp->body.substr(0, 200));
  auto info = JsonObject(uresp->body);
  if (!info) return Fail(r, "userinfo:bad_json");
  if (JsonString(*info, "sub") != JsonString(verified->payload, "sub"))
    return Fail(r, "userinfo:sub_mismatch");
  refresh_token_ = JsonString(*tok, "refresh_token").value_or("");
  subject_ = JsonString(verified->payload, "sub").value_or("");
  nonce_ = nonce;
  r.ok = true;
  return r;
}

std::optional<Json> FlowRunner::TokenRequest(const std::vector<std::pair<std::string, std::string>>& form,
                                             OpResult* result) {
  ClientRequest req = PostForm(provider_.token_endpoint, form);
  req.headers.emplace_back("Authorization", basic_auth_);
  req.headers.emplace_back("Accept", "application/json");
  auto failed = [result](std::string kind, std::string detail = {}) {
    Fail(*result, std::move(kind), std::move(detail));
    return std::optional<Json>();
  };
  auto resp = Exchange(Step::kToken, req, result);
  if (!resp.ok()) return failed(IoErrorKind("token", resp.status()), resp.status().ToString());
  if (resp->status != 200) return failed(HttpErrorKind("token", *resp), resp->body.substr(0, 200));
  auto tok = JsonObject(resp->body);
  if (!tok) return failed("token:bad_json");
  auto access_token = JsonString(*tok, "access_token");
  auto token_type = JsonString(*tok, "token_type");
  if (!access_token || access_token->empty()) return failed("token:no_access_token");
  if (!token_type || !EqualsIgnoreCase(*token_type, "Bearer")) return failed("token:token_type");
  result->signatures = CountSignedTokens(*tok);
  return tok;
}

OpResult FlowRunner::RunClientCredentials() {
  OpResult r;
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"}};
  if (!client_.scope.empty()) form.emplace_back("scope", client_.scope);
  if (!TokenRequest(form, &r)) return r;
  r.ok = true;
  return r;
}

OpResult FlowRunner::RunRefresh() {
  if (refresh_token_.empty()) {
    OpResult prep = RunCodeFlow();
    prep.preparation = true;
    if (prep.ok && refresh_token_.empty()) return Fail(prep, "refresh:code_flow_gave_no_refresh_token");
    return prep;
  }
  OpResult r;
  // Whatever happens, this token is spent unless a new one comes back (a
  // rotating server has already retired it); the next call starts over.
  const std::string token = std::exchange(refresh_token_, std::string());
  auto tok = TokenRequest({{"grant_type", "refresh_token"}, {"refresh_token", token}}, &r);
  if (!tok) return r;
  // OIDC Core §12.2: an ID token, when returned, is for the same user.
  if (auto id_token = JsonString(*tok, "id_token")) {
    auto verified = CheckIdToken(*id_token, provider_, client_, nonce_, *JsonString(*tok, "access_token"),
                                 clock_.NowUnixSeconds(), /*refreshed=*/true);
    if (!verified.ok()) return Fail(r, IdTokenFailureKind(verified.status()), verified.status().ToString());
    if (JsonString(verified->payload, "sub") != subject_) return Fail(r, "id_token:sub_changed");
  }
  // RFC 6749 §6: a new refresh token replaces the old one; none means the
  // old one stays valid.
  auto rotated = JsonString(*tok, "refresh_token");
  refresh_token_ = rotated && !rotated->empty() ? *rotated : token;
  r.ok = true;
  return r;
}

StatusOr<Json> FlowRunner::GetJson(Step step, const std::string& target, OpResult* r) {
  ClientRequest req;
  req.target = target;
  req.headers = {{"Accept", "application/json"}};
  auto resp = Exchange(step, req, r);
  if (!resp.ok()) {
    Fail(*r, IoErrorKind(StepName(step), resp.status()), resp.status().ToString());
    return resp.status();
  }
  auto doc = resp->status == 200 ? JsonObject(resp->body) : std::nullopt;
  if (!doc) {
    Fail(*r, resp->status == 200 ? std::string(StepName(step)) + ":bad_json" : HttpErrorKind(StepName(step), *resp),
         resp->body.substr(0, 200));
    return FailedPrecondition(r->error_kind);
  }
  return *doc;
}

OpResult FlowRunner::RunDiscovery() {
  OpResult r;
  auto doc = GetJson(Step::kDiscovery, provider_.discovery_target, &r);
  if (!doc.ok()) return r;
  // OIDC Discovery §4.3: the issuer must be the one the client knows.
  if (JsonString(*doc, "issuer") != provider_.issuer) return Fail(r, "discovery:issuer");
  r.ok = true;
  return r;
}

OpResult FlowRunner::RunJwks() {
  OpResult r;
  auto doc = GetJson(Step::kJwks, provider_.jwks_uri.target, &r);
  if (!doc.ok()) return r;
  auto keys = doc->find("keys");
  if (keys == doc->end() || !keys->is_array() || keys->empty()) return Fail(r, "jwks:no_keys");
  r.ok = true;
  return r;
}

}  // namespace certme::bench
