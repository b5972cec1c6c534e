// The JSON API's initial access tokens (initial_access_tokens.h): issued
// and revoked with scope write (registering on test is an operator's
// work), listed with scope read.
#include "idp/admin/console.h"

namespace certme::admin {

StatusOr<InitialTokenRequest> InitialTokenRequestFromJson(const nlohmann::json& body) {
  InitialTokenRequest r;
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object");
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) return InvalidArgument("name: say what the token is for");
  r.name = name->get<std::string>();
  if (auto u = body.find("uses"); u != body.end() && !u->is_null()) {
    if (!u->is_number_integer()) return InvalidArgument("uses must be a whole number");
    r.uses = u->get<int64_t>();
  }
  if (auto t = body.find("ttl"); t != body.end() && !t->is_null()) {
    if (t->is_number_integer()) {
      r.ttl_seconds = t->get<int64_t>();
    } else if (t->is_string()) {
      CERTME_ASSIGN_OR_RETURN(r.ttl_seconds, ParseTtl(t->get<std::string>()));
    } else {
      return InvalidArgument("ttl is a number of seconds or a text such as \"7d\"");
    }
  }
  if (auto p = body.find("policy"); p != body.end()) {
    auto policy = RegistrationPolicy::FromJson(*p);
    if (!policy.ok()) return InvalidArgument("policy: " + policy.status().message());
    r.policy = std::move(*policy);
  }
  return r;
}

HttpResponse AdminConsole::ApiCreateInitialToken(const HttpRequest& req) {
  return WithApiBody(req, kScopeWrite, [&](const ApiCaller& caller, const nlohmann::json& body) {
    auto request = InitialTokenRequestFromJson(body);
    if (!request.ok()) return ApiError(request.status());
    auto made = initial_tokens_.Issue(caller.Label(), *request);
    if (!made.ok()) return ApiError(made.status());
    nlohmann::json j = {{"initial_access_token", made->first.ToJson()}, {"token", made->second.reveal()}};
    HttpResponse r = HttpResponse::Json(201, j.dump());
    r.headers.Set("Cache-Control", "no-store");
    return r;
  });
}

HttpResponse AdminConsole::ApiListInitialTokens(const HttpRequest& req) {
  return WithApiUser(req, kScopeRead, [&](const ApiCaller&) {
    auto tokens = initial_tokens_.List();
    if (!tokens.ok()) return ApiError(tokens.status());
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *tokens) arr.push_back(t.ToJson());
    return HttpResponse::Json(200, nlohmann::json{{"initial_access_tokens", arr}}.dump());
  });
}

HttpResponse AdminConsole::ApiRevokeInitialToken(const HttpRequest& req) {
  return WithApiUser(req, kScopeWrite, [&](const ApiCaller& caller) {
    Status st = initial_tokens_.Revoke(caller.Label(), req.path_params.at("token_id"));
    return st.ok() ? HttpResponse::Text(204, "") : ApiError(st);
  });
}

}  // namespace certme::admin
