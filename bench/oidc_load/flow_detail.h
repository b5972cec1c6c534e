// Helpers shared by the flow drivers (oidc_flow.cc, wallet_flow.cc). Not an
// interface of the load generator; defined in oidc_flow.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/http_client.h"
#include "bench/oidc_load/oidc_flow.h"
#include "common/status.h"

namespace certme::bench::flow_detail {

using Json = nlohmann::json;

bool IsRedirect(int status);
// A JSON object body; a non-object or invalid body is nullopt.
std::optional<Json> JsonObject(const std::string& body);
std::optional<std::string> JsonString(const Json& obj, const char* name);
// "token:http_400:invalid_grant" — the OAuth error code when the body has one.
std::string HttpErrorKind(std::string_view step, const ClientResponse& resp);
// "token:timeout", "token:connection", "token:bad_http", "token:io".
std::string IoErrorKind(std::string_view step, const Status& s);
// Marks `r` failed with a stable kind and a detail for the report.
OpResult& Fail(OpResult& r, std::string kind, std::string detail = {});
std::string_view PathOf(std::string_view target);
std::string_view QueryOf(std::string_view target_or_url);
std::string WithQuery(const LoopbackUrl& url, const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace certme::bench::flow_detail
