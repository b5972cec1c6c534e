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

StatusOr<std::string> AdminConsole::ApiUser(const HttpRequest& req) {
  auto h = req.headers.Get("authorization");
  if (!h || h->size() < 7 || !EqualsIgnoreCase(h->substr(0, 7), "Bearer "))
    return Unauthenticated("send Authorization: Bearer <token> (`certme admin create-token`)");
  std::string_view token = std::string_view(*h).substr(7);
  CERTME_ASSIGN_OR_RETURN(std::string user, accounts_.Authenticate(token));
  // The audit log tells API changes from the pages' and names the token
  // (its id, as `GET /tokens` lists it).
  return user + " (API token " + Sha256Hex(token).substr(0, 12) + ")";
}

HttpResponse AdminConsole::WithApiUser(const HttpRequest& req,
                                       const std::function<HttpResponse(const std::string& user)>& f) {
  auto user = ApiUser(req);
  if (!user.ok()) return ApiError(user.status());
  return f(*user);
}

HttpResponse AdminConsole::WithApiBody(
    const HttpRequest& req, const std::function<HttpResponse(const std::string& user, const nlohmann::json& body)>& f) {
  return WithApiUser(req, [&](const std::string& user) {
    auto body = ParseBody(req);
    if (!body.ok()) return ApiError(body.status());
    return f(user, *body);
  });
}

HttpResponse AdminConsole::ApiListServices(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string&) {
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
  return WithApiBody(req, [&](const std::string& user, const nlohmann::json& body) {
    FieldErrors errors;
    ServiceInput in = ServiceInputFromJson(body, &errors);
    if (!errors.empty()) return ApiError(InvalidArgument("the registration has errors"), errors);
    auto r = services_.Create(user, in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    HttpResponse resp = JsonOk(201, ChangeJson(*r));
    resp.headers.Set("Location", "/admin/api/v1/services/" + r->record.id);
    return resp;
  });
}

HttpResponse AdminConsole::ApiGetService(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string&) {
    auto r = services_.Get(req.path_params.at("id"));
    if (!r.ok()) return ApiError(r.status());
    nlohmann::json j = RecordToJson(*r, false);
    // Each environment's ledger account (hub mode): address, authorized.
    j["provider_accounts"] = services_.ProviderAccounts(*r);
    HttpResponse resp = JsonOk(200, {{"service", std::move(j)}});
    resp.headers.Set("ETag", VersionTag(r->version));
    return resp;
  });
}

HttpResponse AdminConsole::ApiEditService(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string& user) {
    const std::string& env = req.path_params.at("env");
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
    auto r = services_.Edit(user, req.path_params.at("id"), env, in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    HttpResponse resp = JsonOk(200, ChangeJson(*r));
    resp.headers.Set("ETag", VersionTag(r->record.version));
    return resp;
  });
}

HttpResponse AdminConsole::ApiDeleteService(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string& user) {
    return NoContentOr(services_.Delete(user, req.path_params.at("id")));
  });
}

HttpResponse AdminConsole::ApiPromote(const HttpRequest& req) {
  return WithApiBody(req, [&](const std::string& user, const nlohmann::json& body) {
    FieldErrors errors;
    PromoteInput in = PromoteInputFromJson(body, &errors);
    if (!errors.empty()) return ApiError(InvalidArgument("the promotion has errors"), errors);
    auto r = services_.Promote(user, req.path_params.at("id"), in, &errors);
    if (!r.ok()) return ApiError(r.status(), errors);
    return JsonOk(200, ChangeJson(*r));
  });
}

HttpResponse AdminConsole::ApiEnvironmentAction(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string& user) {
    const std::string& id = req.path_params.at("id");
    const std::string& env = req.path_params.at("env");
    const std::string& action = req.path_params.at("action");
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
  return WithApiUser(req, [&](const std::string&) {
    auto entries = audit_.List();
    if (!entries.ok()) return ApiError(entries.status());
    std::string format = req.Query("format").value_or("jsonl");
    if (format != "csv" && format != "jsonl") return ApiError(InvalidArgument("format is jsonl or csv"));
    return AuditDownload(*entries, format == "csv");
  });
}

HttpResponse AdminConsole::ApiCatalogue(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string&) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : services_.catalogue().all())
      arr.push_back({{"key", d.key}, {"oidc_claim", d.oidc_claim}, {"scope", d.scope}, {"saml_name", d.saml_name},
                     {"format", d.format}});
    return JsonOk(200, {{"attributes", arr}});
  });
}

HttpResponse AdminConsole::ApiCreateToken(const HttpRequest& req) {
  return WithApiBody(req, [&](const std::string& user, const nlohmann::json& body) {
    auto name = body.find("name");
    if (name == body.end() || !name->is_string())
      return ApiError(InvalidArgument("the token needs a name"), {{"name", "required"}});
    std::string owner = user.substr(0, user.find(' '));
    auto t = accounts_.CreateToken(user, owner, name->get<std::string>());
    if (!t.ok()) return ApiError(t.status(), {{"name", t.status().message()}});
    return JsonOk(201, {{"token", t->reveal()}});
  });
}

HttpResponse AdminConsole::ApiListTokens(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string&) {
    auto tokens = accounts_.ListTokens();
    if (!tokens.ok()) return ApiError(tokens.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tokens)
      arr.push_back({{"id", t.id}, {"user", t.user}, {"name", t.name}, {"created", t.created}});
    return JsonOk(200, {{"tokens", arr}});
  });
}

HttpResponse AdminConsole::ApiRevokeToken(const HttpRequest& req) {
  return WithApiUser(req, [&](const std::string& user) {
    return NoContentOr(accounts_.RevokeToken(user, req.path_params.at("token_id")));
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
  router.Handle("PUT", api + "/services/:id/environments/:env", bind(&AdminConsole::ApiEditService));
  router.Handle("POST", api + "/services/:id/environments/:env/:action", bind(&AdminConsole::ApiEnvironmentAction));
  router.Handle("GET", api + "/audit", bind(&AdminConsole::ApiAudit));
  router.Handle("GET", api + "/attributes", bind(&AdminConsole::ApiCatalogue));
  router.Handle("POST", api + "/tokens", bind(&AdminConsole::ApiCreateToken));
  router.Handle("GET", api + "/tokens", bind(&AdminConsole::ApiListTokens));
  router.Handle("DELETE", api + "/tokens/:token_id", bind(&AdminConsole::ApiRevokeToken));
  MountPages(router);
}

}  // namespace certme::admin
