#include "config/config_table.h"

#include <algorithm>
#include <cstdio>

namespace certme::config_internal {
namespace {

// Escapes for YAML double-quoted scalars (YAML 1.2 §5.7). Bytes >= 0x80 pass
// through: UTF-8 text stays readable.
std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[5];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string YamlQuote(std::string_view s) { return "\"" + Escape(s) + "\""; }

std::string QuoteForMessage(std::string_view s) {
  constexpr size_t kMax = 60;  // fuzzed or pasted input can be huge
  if (s.size() <= kMax) return "\"" + Escape(s) + "\"";
  return "\"" + Escape(s.substr(0, kMax)) + "\"...";
}

std::string ExpectedInt(int64_t min, int64_t max) {
  return "expected an integer " + std::to_string(min) + "-" + std::to_string(max);
}

std::string ExpectedChoice(const std::vector<std::string>& choices) {
  std::string out = "expected one of ";
  for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + YamlQuote(choices[i]);
  return out;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  if (text.empty() || text.front() == '+') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 10);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view text) {
  // YAML 1.2 core schema says true/false; yes/no/on/off are what YAML 1.1
  // habits and shell environments produce, and 1/0 what scripts export.
  const std::string t = AsciiLower(text);
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return std::nullopt;
}

std::string EnvNameFor(std::string_view path) {
  std::string out = "CERTME_";
  for (char c : path) {
    if (c == '.') out += '_';
    else if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 'A');
    else out += c;
  }
  return out;
}

std::string DescribeNode(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return QuoteForMessage(node.Scalar());
}

std::string Where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return source;
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string TypeName(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "integer";
    case FieldType::kBool: return "boolean";
    case FieldType::kChoice: return "choice";
    case FieldType::kStringList: return "list";
    case FieldType::kRecords: return "records";
  }
  return "?";
}

std::optional<std::string> CheckChoice(const std::string& v, const std::vector<std::string>& choices,
                                       const std::vector<std::pair<std::string, std::string>>& reserved) {
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return std::nullopt;
  for (const auto& [value, why] : reserved)
    if (value == v) return why;
  return ExpectedChoice(choices) + ", got " + QuoteForMessage(v);
}

std::optional<std::string> NearestPath(const std::string& path, const std::vector<std::string>& known) {
  std::optional<std::string> best;
  size_t best_d = 3;
  for (const auto& k : known) {
    // Cheap bound first: lengths differing by more than 2 cannot be within 2 edits
    // (and keeps a megabyte-long key from costing a megabyte of work per path).
    if ((k.size() > path.size() ? k.size() - path.size() : path.size() - k.size()) > 2) continue;
    size_t d = EditDistance(path, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best;
}

}  // namespace certme::config_internal
