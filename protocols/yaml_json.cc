#include "protocols/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace certme {
namespace {

StatusOr<nlohmann::json> Convert(const YAML::Node& n, int depth_left) {
  if (depth_left < 0) return InvalidArgument("YAML nested too deeply");
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return InvalidArgument("YAML mapping keys must be plain strings");
        CERTME_ASSIGN_OR_RETURN(o[kv.first.Scalar()], Convert(kv.second, depth_left - 1));
      }
      return StatusOr<nlohmann::json>(std::move(o));
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : n) {
        CERTME_ASSIGN_OR_RETURN(nlohmann::json v, Convert(e, depth_left - 1));
        a.push_back(std::move(v));
      }
      return StatusOr<nlohmann::json>(std::move(a));
    }
    case YAML::NodeType::Scalar:
      if (n.Tag() == "?" && (n.Scalar() == "true" || n.Scalar() == "false"))
        return nlohmann::json(n.Scalar() == "true");
      return nlohmann::json(n.Scalar());
    default:
      return nlohmann::json(nullptr);
  }
}

}  // namespace

StatusOr<nlohmann::json> ParseYamlAsJson(std::string_view yaml, int max_depth) {
  // Debian's yaml-cpp 0.7 recurses per nesting level while parsing: refuse
  // deep documents before handing them over (brackets and indentation both
  // nest, so count the worst of the two cheaply).
  int open = 0, worst = 0;
  for (char c : yaml) {
    if (c == '[' || c == '{') worst = std::max(worst, ++open);
    if ((c == ']' || c == '}') && open > 0) --open;
  }
  if (worst > max_depth) return InvalidArgument("YAML nested too deeply");
  try {
    return Convert(YAML::Load(std::string(yaml)), max_depth);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(std::string("YAML error: ") + e.what());
  }
}

}  // namespace certme
