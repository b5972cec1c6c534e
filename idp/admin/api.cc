// The console's JSON API (docs/admin-api.yaml).
#include <optional>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "crypto/hash.h"
#include "idp/admin/console.h"
#include "idp/admin/util.h"
#include "idp/http/router.h"

namespace certme::admin {
namespace {

HttpResponse JsonOk(int status, const nlohmann::json& j) {
  return HttpResponse::Json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

StatusOr<nlohmann::json> ParseBody(const HttpRequest& req) {
  auto type = req.headers.Get("content-type").value_or("");
  if (AsciiLower(type.substr(0, type.find(';'))) != "application/json")
    return InvalidArgument("send the body as application/json");
  if (!JsonNestingWithin(req.body, 16)) return InvalidArgument("the JSON body is nested too deeply");
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("the body is not valid JSON");
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object");
  return j;
}

std::string VersionTag(int64_t version) { return "\"v" + std::to_string(version) + "\""; }

std::optional<int64_t> ParseVersionTag(std::string_view tag) {
  if (tag.size() < 4 || tag.size() > 24 || tag.substr(0, 2) != "\"v" || tag.back() != '"') return std::nullopt;
  int64_t v = 0;
  for (char c : tag.substr(2, tag.size() - 3)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool KnownEnv(std::string_view env) { return env == kEnvTest || env == kEnvProduction; }

// A change's answer: the record, and a client secret issued by it (shown once).
nlohmann::json ChangeJson(const ChangeResult& r) {
  nlohmann::json j = {{"service", RecordToJson(r.record, false)}};
  if (r.client_secret) j["client_secret"] = r.client_secret->reveal();
  return j;
}

HttpResponse NoContentOr(const Status& st) { return st.ok() ? HttpResponse::Text(204, "") : ApiError(st); }

nlohmann::json Summary(const ServiceRecord& r) {
  nlohmann::json j = RecordToJson(r, false);
  // The certificate and the full definitions are in GET /services/{id}.
  return j;
}

}  // namespace

bool JsonNestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

HttpResponse ApiError(const Status& st, const FieldErrors& fields) {
  int code = 500;
  const char* err = "server_error";
  std::string msg = st.message();
  switch (st.code()) {
    case StatusCode::kInvalidArgument: code = 400; err = "invalid_request"; break;
    case StatusCode::kUnauthenticated: code = 401; err = "unauthorized"; break;
    case StatusCode::kPermissionDenied: code = 403; err = "forbidden"; break;
    case StatusCode::kNotFound: code = 404; err = "not_found"; break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: code = 409; err = "conflict"; break;
    case StatusCode::kResourceExhausted: code = 413; err = "too_large"; break;
    case StatusCode::kUnavailable: code = 503; err = "unavailable"; msg = "the store is unavailable; try again"; break;
    default: msg = "internal error"; break;
  }
  nlohmann::json j = {{"error", err}, {"message", msg}};
  if (!fields.empty()) j["fields"] = fields;
  HttpResponse r = JsonOk(code, j);
  if (code == 401) r.headers.Set("WWW-Authenticate", "Bearer realm=\"certme-admin\"");
  if (!st.detail().empty()) r.headers.Set("X-Certme-Log-Detail", st.detail());
  return r;
}

HttpResponse InsufficientScope(std::string_view scope) {
  const std::string sc(scope);
  HttpResponse r = JsonOk(403, {{"error", "insufficient_scope"},
                                {"message", "this request needs a token with the \"" + sc + "\" scope"},
                                {"scope", sc}});
  r.headers.Set("WWW-Authenticate",
                "Bearer realm=\"certme-admin\", error=\"insufficient_scope\", scope=\"" + sc + "\"");
  return r;
}

StatusOr<ApiCaller> AdminConsole::ApiUser(const HttpRequest& req) {
  auto h = req.headers.Get("authorization");
  if (!h || h->size() < 7 || !EqualsIgnoreCase(h->substr(0, 7), "Bearer "))
    return Unauthenticated("send Authorization: Bearer <token> (`certme admin create-token`)");
  return accounts_.Authenticate(std::string_view(*h).substr(7));
}

HttpResponse AdminConsole::WithApiUser(const HttpRequest& req, std::string_view scope, const ApiFn& f) {
  auto caller = ApiUser(req);
  if (!caller.ok()) return ApiError(caller.status());
  if (!scope.empty() && !caller->Has(scope)) return InsufficientScope(scope);
  return f(*caller);
}

HttpResponse AdminConsole::WithApiBody(
    const HttpRequest& req, std::string_view scope,
    const std::function<HttpResponse(const ApiCaller& caller, const nlohmann::json& body)>& f) {
  return WithApiUser(req, scope, [&](const ApiCaller& caller) {
    auto body = ParseBody(req);
    if (!body.ok()) return ApiError(body.status());
    return f(caller, *body);
  });
}

std::string_view AdminConsole::ScopeFor(std::string_view env) {
  return env == kEnvProduction ? kScopePromote : kScopeWrite;
}

HttpResponse AdminConsole::ApiListServices(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    auto list = services_.List();
    if (!list.ok()) return ApiError(list.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : *list) {
      nlohmann::json j = Summary(r);
      j["provider_accounts"] = services_.ProviderAccounts(r);
      arr.push_back(std::move(j));
    }
    return JsonOk(200, {{"services", arr}});
  });
}

HttpResponse AdminConsole::ApiCreateService(const HttpRequest& req) {
  return WithApiBody(req, kScopeWrite, [&](const ApiCaller& caller, const nlohmann::json& body) {
    FieldErrors errors;
    ServiceInput in = ServiceInputFromJson(body, &errors);
    if (!errors.empty()) return ApiError(InvalidArgument("the registration has errors"), errors);
    auto r = services_.Create(caller.Label(), in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    HttpResponse resp = JsonOk(201, ChangeJson(*r));
    resp.headers.Set("Location", "/admin/api/v1/services/" + r->record.id);
    return resp;
  });
}

HttpResponse AdminConsole::ApiGetService(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return ApiError(r.status());
    nlohmann::json j = RecordToJson(*r, false);
    // Each environment's ledger account (hub mode): address, authorized.
    j["provider_accounts"] = services_.ProviderAccounts(*r);
    if (auto pending = promotions_.Get(r->id); pending.ok()) j["promotion_request"] = pending->ToJson();
    HttpResponse resp = JsonOk(200, {{"service", std::move(j)}});
    resp.headers.Set("ETag", VersionTag(r->version));
    return resp;
  });
}

HttpResponse AdminConsole::ApiEditService(const HttpRequest& req) {
  const std::string& env = req.path_params.at("env");
  return WithApiUser(req, ScopeFor(env), [&](const ApiCaller& caller) {
    if (!KnownEnv(env)) return ApiError(NotFound("environment is test or production"));
    auto body = ParseBody(req);
    if (!body.ok()) return ApiError(body.status());
    FieldErrors errors;
    EditInput in = EditInputFromJson(*body, &errors);
    // The version edited: If-Match (the ETag of GET) or "version" in the body.
    if (auto m = req.headers.Get("if-match")) {
      auto v = ParseVersionTag(*m);
      if (!v) errors["version"] = "If-Match must be the service's ETag, as GET returned it";
      else if (body->contains("version") && *v != in.version) errors["version"] = "If-Match and version differ";
      else in.version = *v;
    } else if (!body->contains("version")) {
      errors["version"] = "send the version you edited (If-Match: the ETag of GET, or \"version\")";
    }
    if (!errors.empty()) return ApiError(InvalidArgument("the edit has errors"), errors);
    auto r = services_.Edit(caller.Label(), req.path_params.at("id"), env, in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    HttpResponse resp = JsonOk(200, ChangeJson(*r));
    resp.headers.Set("ETag", VersionTag(r->record.version));
    return resp;
  });
}

HttpResponse AdminConsole::ApiDeleteService(const HttpRequest& req) {
  return WithApiUser(req, kScopeWrite, [&](const ApiCaller& caller) {
    // Deleting removes the production registration too: that is the
    // approver's (promote scope).
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return ApiError(r.status());
    if (r->production && !caller.Has(kScopePromote)) return InsufficientScope(kScopePromote);
    return NoContentOr(services_.Delete(caller.Label(), r->id));
  });
}

HttpResponse AdminConsole::ApiPromote(const HttpRequest& req) {
  // With two people, this files the request (an operator may); otherwise
  // it promotes (an approver).
  const bool two = o_.promotion_requires_second_person;
  return WithApiBody(req, two ? kScopeWrite : kScopePromote, [&](const ApiCaller& caller, const nlohmann::json& body) {
    FieldErrors errors;
    PromoteInput in = PromoteInputFromJson(body, &errors);
    if (!errors.empty()) return ApiError(InvalidArgument("the promotion has errors"), errors);
    if (two) {
      auto filed = promotions_.Request(caller.Label(), caller.user, req.path_params.at("id"), in, &errors);
      if (!filed.ok()) return ApiError(filed.status(), errors);
      return JsonOk(202, {{"promotion_request", filed->ToJson()},
                          {"message", "requested: another approver must approve it"}});
    }
    auto r = services_.Promote(caller.Label(), req.path_params.at("id"), in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    return JsonOk(200, ChangeJson(*r));
  });
}

HttpResponse AdminConsole::ApiGetPromotionRequest(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    auto r = promotions_.Get(req.path_params.at("id"));
    if (!r.ok()) return ApiError(r.status());
    return JsonOk(200, {{"promotion_request", r->ToJson()}});
  });
}

HttpResponse AdminConsole::ApiApprovePromotion(const HttpRequest& req) {
  return WithApiUser(req, kScopePromote, [&](const ApiCaller& caller) {
    std::string note;
    if (!req.body.empty()) {
      auto body = ParseBody(req);
      if (!body.ok()) return ApiError(body.status());
      auto n = body->find("approval_note");
      if (n != body->end() && !n->is_string())
        return ApiError(InvalidArgument("the approval has errors"), {{"approval_note", "must be a string"}});
      if (n != body->end()) note = n->get<std::string>();
    }
    FieldErrors errors;
    auto r = promotions_.Approve(caller.Label(), caller.user, caller.role, req.path_params.at("id"), note, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    return JsonOk(200, ChangeJson(*r));
  });
}

HttpResponse AdminConsole::ApiCancelPromotion(const HttpRequest& req) {
  return WithApiUser(req, kScopeWrite, [&](const ApiCaller& caller) {
    return NoContentOr(promotions_.Cancel(caller.Label(), caller.user, caller.role, req.path_params.at("id")));
  });
}

HttpResponse AdminConsole::ApiEnvironmentAction(const HttpRequest& req) {
  const std::string& env = req.path_params.at("env");
  return WithApiUser(req, ScopeFor(env), [&](const ApiCaller& caller) {
    const std::string& id = req.path_params.at("id");
    const std::string& action = req.path_params.at("action");
    const std::string user = caller.Label();
    if (!KnownEnv(env)) return ApiError(NotFound("environment is test or production"));
    if (action == "rotate-secret") {
      auto s = services_.RotateSecret(user, id, env);
      if (!s.ok()) return ApiError(s.status());
      return JsonOk(200, {{"client_secret", s->reveal()}});
    }
    if (action != "disable" && action != "enable")
      return ApiError(NotFound("action is disable, enable or rotate-secret"));
    Status st = services_.SetEnabled(user, id, env, action == "enable");
    if (!st.ok()) return ApiError(st);
    auto r = services_.Get(id);
    if (!r.ok()) return ApiError(r.status());
    return JsonOk(200, {{"service", RecordToJson(*r, false)}});
  });
}

HttpResponse AdminConsole::ApiAudit(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    auto entries = audit_.List();
    if (!entries.ok()) return ApiError(entries.status());
    std::string format = req.Query("format").value_or("jsonl");
    if (format != "csv" && format != "jsonl") return ApiError(InvalidArgument("format is jsonl or csv"));
    return AuditDownload(*entries, format == "csv");
  });
}

HttpResponse AdminConsole::ApiCatalogue(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : services_.catalogue().all())
      arr.push_back({{"key", d.key}, {"oidc_claim", d.oidc_claim}, {"scope", d.scope}, {"saml_name", d.saml_name},
                     {"format", d.format}});
    return JsonOk(200, {{"attributes", arr}});
  });
}

HttpResponse AdminConsole::ApiCreateToken(const HttpRequest& req) {
  // A token never makes tokens: what a stolen token can do ends when it
  // expires or is revoked. New tokens come from a signed-in console user
  // (/admin/tokens) or `certme admin create-token` on the server.
  return WithApiUser(req, "", [&](const ApiCaller&) {
    return ApiError(PermissionDenied("an API token cannot create tokens: sign in to the console (/admin/tokens) "
                                     "or run `certme admin create-token` on the server"));
  });
}

static nlohmann::json TokenJson(const ApiToken& t) {
  return {{"id", t.id}, {"user", t.user}, {"name", t.name}, {"scopes", t.scopes}, {"created", t.created},
          {"expires", t.expires.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.expires)},
          {"created_by", t.created_by}};
}

HttpResponse AdminConsole::ApiListTokens(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller& caller) {
    // One's own tokens; an administrator sees everyone's.
    auto tokens = accounts_.ListTokens(caller.role == Role::kAdministrator ? std::nullopt
                                                                           : std::optional<std::string>(caller.user));
    if (!tokens.ok()) return ApiError(tokens.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tokens) arr.push_back(TokenJson(t));
    return JsonOk(200, {{"tokens", arr}});
  });
}

HttpResponse AdminConsole::ApiRevokeToken(const HttpRequest& req) {
  // Any valid token may revoke (giving up power needs no scope); whose
  // tokens is the owner's role's question (RevokeToken).
  return WithApiUser(req, "", [&](const ApiCaller& caller) {
    return NoContentOr(
        accounts_.RevokeToken(caller.Label(), caller.user, caller.role, req.path_params.at("token_id")));
  });
}

void AdminConsole::MountApiExtension(Router& router, const std::string& method, const std::string& path,
                                     std::string_view scope, bool with_body, ApiExtension f) {
  router.Handle(method, "/admin/api/v1" + path,
                [this, sc = std::string(scope), with_body, f = std::move(f)](const HttpRequest& req) {
                  if (with_body)
                    return WithApiBody(req, sc, [&](const ApiCaller& c, const nlohmann::json& b) { return f(c, req, b); });
                  return WithApiUser(req, sc, [&](const ApiCaller& c) { return f(c, req, nlohmann::json::object()); });
                });
}

void AdminConsole::Mount(Router& router) {
  auto bind = [this](HttpResponse (AdminConsole::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& req) { return (this->*fn)(req); };
  };
  const std::string api = "/admin/api/v1";
  router.Handle("GET", api + "/services", bind(&AdminConsole::ApiListServices));
  router.Handle("POST", api + "/services", bind(&AdminConsole::ApiCreateService));
  router.Handle("GET", api + "/services/:id", bind(&AdminConsole::ApiGetService));
  router.Handle("DELETE", api + "/services/:id", bind(&AdminConsole::ApiDeleteService));
  router.Handle("POST", api + "/services/:id/promote", bind(&AdminConsole::ApiPromote));
  router.Handle("GET", api + "/services/:id/promotion-request", bind(&AdminConsole::ApiGetPromotionRequest));
  router.Handle("POST", api + "/services/:id/promotion-request/approve", bind(&AdminConsole::ApiApprovePromotion));
  router.Handle("DELETE", api + "/services/:id/promotion-request", bind(&AdminConsole::ApiCancelPromotion));
  router.Handle("PUT", api + "/services/:id/environments/:env", bind(&AdminConsole::ApiEditService));
  router.Handle("POST", api + "/services/:id/environments/:env/:action", bind(&AdminConsole::ApiEnvironmentAction));
  router.Handle("GET", api + "/audit", bind(&AdminConsole::ApiAudit));
  router.Handle("GET", api + "/attributes", bind(&AdminConsole::ApiCatalogue));
  router.Handle("POST", api + "/tokens", bind(&AdminConsole::ApiCreateToken));
  router.Handle("GET", api + "/tokens", bind(&AdminConsole::ApiListTokens));
  router.Handle("DELETE", api + "/tokens/:token_id", bind(&AdminConsole::ApiRevokeToken));
  router.Handle("POST", api + "/initial-access-tokens", bind(&AdminConsole::ApiCreateInitialToken));
  router.Handle("GET", api + "/initial-access-tokens", bind(&AdminConsole::ApiListInitialTokens));
  router.Handle("DELETE", api + "/initial-access-tokens/:token_id", bind(&AdminConsole::ApiRevokeInitialToken));
  MountPages(router);
}

}  // namespace certme::admin
