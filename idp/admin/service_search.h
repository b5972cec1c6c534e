// The service list's search and the services it lists besides the
// console's own: those registered from the configuration's files.
//
// File services (oidc.dev_clients_file, saml.dev_services_file) are live on
// this bridge (the test environment) but not the console's: it lists and
// shows them read-only, marked as such, and changes them never.
//
// Search (GET /admin/services?q=…&env=…&protocol=…, so it works without
// script): `q` matches, case-insensitively, part of a name in any language,
// the console's id, the client_id / entity ID in either environment or the
// contract number; `env` keeps the services registered in that environment;
// `protocol` those of that protocol; `msign=yes` those registered for MSign
// (signing) in some environment. Unknown `env` / `protocol` / `msign` values
// are ignored (no filter), never echoed.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/http_message.h"
#include "common/status.h"
#include "idp/admin/service_admin.h"

namespace certme::admin {

struct FileService {
  std::string protocol;  // kProtocolOidc | kProtocolSaml
  std::string id;        // client_id | entity ID
  std::map<std::string, std::string> names;
  std::string source;          // the file it came from
  nlohmann::json definition;   // ClientToJson / ServiceToJson (secret hash removed)
  std::string DisplayName(std::string_view lang) const;
};

// The services of both files ("" : none); InvalidArgument as their loaders.
StatusOr<std::vector<FileService>> LoadFileServices(const std::string& oidc_clients_file,
                                                    const std::string& saml_services_file);

struct ServiceQuery {
  std::string text;      // folded (FoldForSearch), trimmed, at most 200 bytes
  std::string env;       // "" | kEnvTest | kEnvProduction
  std::string protocol;  // "" | kProtocolOidc | kProtocolSaml
  bool msign = false;    // only services with MSign settings
  bool active() const { return !text.empty() || !env.empty() || !protocol.empty() || msign; }
  static ServiceQuery FromRequest(const HttpRequest& req);
};

// Lower case for the scripts the names are written in: ASCII, Latin-1,
// Latin Extended-A, Romanian Ș/Ț (the cedilla forms Ş/Ţ folded to them), Cyrillic. Invalid
// UTF-8 bytes are kept as they are.
std::string FoldForSearch(std::string_view utf8);

bool Matches(const ServiceQuery& q, const ServiceRecord& r);
bool Matches(const ServiceQuery& q, const FileService& f);
// Whether the definition (ClientToJson) carries MSign settings.
bool HasMsign(const nlohmann::json& definition);
bool HasMsign(const ServiceRecord& r);  // in either environment

}  // namespace certme::admin
