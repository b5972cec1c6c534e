// Fuzzes the configuration loader (LoadConfigFromString) on arbitrary text:
// no input may crash it, blow the stack or hang it, and whatever loads must
// render to YAML that loads back to the same values (the renderer and the
// loader agree on every field).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // No variables exist: a fuzz input must not reach the real environment.
  const certme::EnvLookup no_env = [](std::string_view) -> std::optional<std::string> {
    return std::nullopt;
  };
  auto config = certme::LoadConfigFromString(in, no_env, "fuzz.yaml");
  if (!config.ok()) {
    if (config.status().message().empty()) std::abort();  // every failure explains itself
    return 0;
  }
  (void)certme::Validate(*config);
  const std::string rendered = certme::RenderConfigYaml(*config);
  auto again = certme::LoadConfigFromString(rendered, no_env, "rendered.yaml");
  if (!again.ok()) std::abort();
  if (certme::RenderConfigYaml(*again) != rendered) std::abort();
  return 0;
}
