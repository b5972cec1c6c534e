#include "protocols/yaml_json.h"

#include <gtest/gtest.h>

namespace certme {
namespace {

TEST(ParseYamlAsJson, MapsSequencesScalarsAndBooleans) {
  auto j = ParseYamlAsJson("a: [1, two]\nb: true\nc: \"true\"\nd: {e: false}\n");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["a"], nlohmann::json::array({"1", "two"}));  // scalars stay strings
  EXPECT_EQ((*j)["b"], true);                                  // plain boolean
  EXPECT_EQ((*j)["c"], "true");                                // quoted: a string
  EXPECT_EQ((*j)["d"]["e"], false);
}

TEST(ParseYamlAsJson, RefusesSyntaxErrorsDeepNestingAndComplexKeys) {
  EXPECT_EQ(ParseYamlAsJson("a: [1, 2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseYamlAsJson(std::string(100, '[') + std::string(100, ']')).status().code(),
            StatusCode::kInvalidArgument);
  std::string indented;
  for (int i = 0; i < 40; ++i) indented += std::string(2 * i, ' ') + "k:\n";
  EXPECT_EQ(ParseYamlAsJson(indented).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseYamlAsJson("? [a, b]\n: v\n").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseYamlAsJson(indented, 64).ok());
}

}  // namespace
}  // namespace certme
