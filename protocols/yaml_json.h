// Registration files (OIDC clients, SAML services) are YAML that the
// protocol code reads as JSON, so one set of field readers serves files,
// the Store's records and the admin API alike.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace certme {

// Parses a YAML document into JSON: mappings → objects, sequences → arrays,
// scalars → strings, except plain (untagged) `true`/`false`, which become
// booleans ("true" in quotes stays a string). Nesting deeper than
// `max_depth`, YAML syntax errors and non-string mapping keys are
// InvalidArgument; nothing is thrown.
StatusOr<nlohmann::json> ParseYamlAsJson(std::string_view yaml, int max_depth = 32);

}  // namespace certme
