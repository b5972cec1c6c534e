// Internal to idp/config: the machinery behind the field table. A FieldDef
// knows one field's path, documentation, type and how to read, check and
// render it; the loader, Validate(), the environment overrides and the
// reference renderer all walk the same table (config_fields.cc), so no field
// is ever listed twice.
//
// Fields are reached through accessors written as generic lambdas
// (`[](auto& c) -> auto& { return c.server.port; }`), which serve const and
// mutable access alike.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "config/config.h"

namespace certme::config_internal {

enum class FieldType { kString, kInt, kBool, kChoice, kStringList, kRecords };

// Problems found while loading, each "path: message (where)".
using Errors = std::vector<std::string>;

template <class Rec>
struct FieldDef {
  std::string path;  // dotted, relative to Rec
  FieldType type = FieldType::kString;
  std::string comment;
  bool env = true;  // overridable by CERTME_<PATH> (top-level table only)
  int64_t min = 0, max = 0;                 // kInt
  std::vector<std::string> choices;         // kChoice
  std::vector<std::pair<std::string, std::string>> reserved;  // kChoice: value → why refused
  std::string example;  // record fields: value shown in the reference's example entry

  // Current value as YAML flow text.
  std::function<std::string(const Rec&)> render;
  // Scalars and lists: parses `text` (a YAML scalar or an environment value)
  // into the field; returns the error message on failure (field unchanged).
  std::function<std::optional<std::string>(Rec&, std::string_view)> set_text;
  // kStringList from a YAML sequence.
  std::function<void(Rec&, std::vector<std::string>)> set_list;
  // Range / choice check of the current value (nullopt = fine). Loader and
  // Validate() report the same text.
  std::function<std::optional<std::string>(const Rec&)> check;

  // kRecords only.
  std::function<void(Rec&, const YAML::Node&, const std::string& display_path,
                     const std::string& source, Errors&)>
      load_records;
  std::function<void(const Rec&, const std::string& display_path, std::vector<std::string>&)>
      check_records;
  // Block-style YAML lines of the items, each prefixed with `indent`.
  std::function<std::string(const Rec&, const std::string& indent)> render_records_block;
  // Item fields (paths relative to the item), each with its example value.
  std::function<std::vector<std::pair<ConfigFieldInfo, std::string>>()> describe_items;
  std::function<size_t(const Rec&)> record_count;
};

// A mapping that groups fields ("server", "store.sqlite").
struct Section {
  std::string path;
  std::string comment;
};

// ---- helpers shared by the factories (config_table.cc) ----

// YAML double-quoted scalar (YAML 1.2 §7.3.1), escaping what must be escaped.
std::string YamlQuote(std::string_view s);
// `"abc"` for messages: escaped, truncated for long input.
std::string QuoteForMessage(std::string_view s);
// "expected an integer 0-65535" style phrases.
std::string ExpectedInt(int64_t min, int64_t max);
std::string ExpectedChoice(const std::vector<std::string>& choices);
std::optional<int64_t> ParseInt(std::string_view text);
std::optional<bool> ParseBool(std::string_view text);
// "CERTME_SERVER_PORT" for "server.port".
std::string EnvNameFor(std::string_view path);
// "null", "a mapping", "a list" or the quoted scalar.
std::string DescribeNode(const YAML::Node& node);
// "source:line:column" when the mark is known, else `source`.
std::string Where(const std::string& source, const YAML::Mark& mark);
std::string TypeName(FieldType t);
std::optional<std::string> CheckChoice(const std::string& v, const std::vector<std::string>& choices,
                                       const std::vector<std::pair<std::string, std::string>>& reserved);
// Nearest known path within edit distance 2, for "did you mean" hints.
std::optional<std::string> NearestPath(const std::string& path, const std::vector<std::string>& known);

// ---- factories ----

template <class Rec, class Acc>
FieldDef<Rec> StringField(std::string path, std::string comment, Acc acc) {
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kString;
  f.comment = std::move(comment);
  f.render = [acc](const Rec& r) { return YamlQuote(acc(r)); };
  f.set_text = [acc](Rec& r, std::string_view t) -> std::optional<std::string> {
    acc(r) = std::string(t);
    return std::nullopt;
  };
  f.check = [](const Rec&) -> std::optional<std::string> { return std::nullopt; };
  return f;
}

template <class Rec, class Acc>
FieldDef<Rec> IntField(std::string path, std::string comment, int64_t min, int64_t max, Acc acc) {
  using T = std::remove_reference_t<decltype(acc(std::declval<Rec&>()))>;
  static_assert(std::is_integral_v<T>);
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kInt;
  f.comment = std::move(comment);
  f.min = min;
  f.max = max;
  f.render = [acc](const Rec& r) { return std::to_string(acc(r)); };
  // Range checked before assignment so an out-of-range value never truncates.
  f.set_text = [acc, min, max](Rec& r, std::string_view t) -> std::optional<std::string> {
    auto v = ParseInt(t);
    if (!v || *v < min || *v > max) return ExpectedInt(min, max) + ", got " + QuoteForMessage(t);
    acc(r) = static_cast<T>(*v);
    return std::nullopt;
  };
  f.check = [acc, min, max](const Rec& r) -> std::optional<std::string> {
    int64_t v = acc(r);
    if (v < min || v > max) return ExpectedInt(min, max) + ", got " + std::to_string(v);
    return std::nullopt;
  };
  return f;
}

template <class Rec, class Acc>
FieldDef<Rec> BoolField(std::string path, std::string comment, Acc acc) {
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kBool;
  f.comment = std::move(comment);
  f.render = [acc](const Rec& r) { return std::string(acc(r) ? "true" : "false"); };
  f.set_text = [acc](Rec& r, std::string_view t) -> std::optional<std::string> {
    auto v = ParseBool(t);
    if (!v) return "expected true or false, got " + QuoteForMessage(t);
    acc(r) = *v;
    return std::nullopt;
  };
  f.check = [](const Rec&) -> std::optional<std::string> { return std::nullopt; };
  return f;
}

template <class Rec, class Acc>
FieldDef<Rec> ChoiceField(std::string path, std::string comment, std::vector<std::string> choices,
                          std::vector<std::pair<std::string, std::string>> reserved, Acc acc) {
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kChoice;
  f.comment = std::move(comment);
  f.choices = choices;
  f.reserved = reserved;
  f.render = [acc](const Rec& r) { return YamlQuote(acc(r)); };
  f.set_text = [acc, choices, reserved](Rec& r, std::string_view t) -> std::optional<std::string> {
    std::string v(t);
    if (auto err = CheckChoice(v, choices, reserved)) return err;
    acc(r) = std::move(v);
    return std::nullopt;
  };
  f.check = [acc, choices, reserved](const Rec& r) { return CheckChoice(acc(r), choices, reserved); };
  return f;
}

template <class Rec, class Acc>
FieldDef<Rec> ListField(std::string path, std::string comment, Acc acc) {
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kStringList;
  f.comment = std::move(comment);
  f.render = [acc](const Rec& r) {
    std::string out = "[";
    const std::vector<std::string>& v = acc(r);
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + YamlQuote(v[i]);
    return out + "]";
  };
  // Environment form: comma-separated, blanks trimmed, empty parts dropped.
  f.set_text = [acc](Rec& r, std::string_view t) -> std::optional<std::string> {
    acc(r) = SplitTrimmed(t, ',');
    return std::nullopt;
  };
  f.set_list = [acc](Rec& r, std::vector<std::string> v) { acc(r) = std::move(v); };
  f.check = [](const Rec&) -> std::optional<std::string> { return std::nullopt; };
  return f;
}

// Loads one field from a YAML node, appending problems to `errs`.
template <class Rec>
void LoadField(const FieldDef<Rec>& f, Rec& rec, const YAML::Node& node, const std::string& display,
               const std::string& source, Errors& errs) {
  const std::string where = " (" + Where(source, node.Mark()) + ")";
  switch (f.type) {
    case FieldType::kRecords:
      if (!node.IsSequence()) {
        errs.push_back(display + ": expected a list of mappings, got " + DescribeNode(node) + where);
        return;
      }
      f.load_records(rec, node, display, source, errs);
      return;
    case FieldType::kStringList: {
      if (!node.IsSequence()) {
        errs.push_back(display + ": expected a list of strings, got " + DescribeNode(node) + where);
        return;
      }
      std::vector<std::string> items;
      bool ok = true;
      for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node item = node[i];
        if (!item.IsScalar()) {
          errs.push_back(display + "[" + std::to_string(i) + "]: expected a string, got " +
                         DescribeNode(item) + " (" + Where(source, item.Mark()) + ")");
          ok = false;
          continue;
        }
        items.push_back(item.Scalar());
      }
      if (ok) f.set_list(rec, std::move(items));
      return;
    }
    default: {
      if (!node.IsScalar()) {
        std::string expected = f.type == FieldType::kInt      ? ExpectedInt(f.min, f.max)
                               : f.type == FieldType::kBool   ? std::string("expected true or false")
                               : f.type == FieldType::kChoice ? ExpectedChoice(f.choices)
                                                              : std::string("expected a string");
        errs.push_back(display + ": " + expected + ", got " + DescribeNode(node) + where);
        return;
      }
      if (auto err = f.set_text(rec, node.Scalar())) errs.push_back(display + ": " + *err + where);
      return;
    }
  }
}

// Loads a YAML mapping into `rec`: known fields are set, sections recursed
// into, anything else is an error naming its path (typos are never ignored).
// `rel_prefix` is the lookup path within the table, `display_prefix` what
// messages show (they differ inside list items: "keys.signing[0].").
template <class Rec>
void LoadMapping(const std::vector<FieldDef<Rec>>& table, const std::vector<Section>& sections,
                 Rec& rec, const YAML::Node& map, const std::string& rel_prefix,
                 const std::string& display_prefix, const std::string& source, Errors& errs) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      errs.push_back((display_prefix.empty() ? std::string("(top level)") : display_prefix) +
                     ": keys must be plain strings, got " + DescribeNode(key) + " (" +
                     Where(source, key.Mark()) + ")");
      continue;
    }
    const std::string rel = rel_prefix + key.Scalar();
    const std::string display = display_prefix + key.Scalar();
    const std::string where = " (" + Where(source, key.Mark()) + ")";
    // YAML 1.2 §3.2.1.1 requires unique keys; yaml-cpp keeps both silently.
    if (!seen.insert(key.Scalar()).second) {
      errs.push_back(display + ": duplicate key" + where);
      continue;
    }
    const FieldDef<Rec>* field = nullptr;
    for (const auto& f : table)
      if (f.path == rel) field = &f;
    if (field) {
      LoadField(*field, rec, value, display, source, errs);
      continue;
    }
    bool is_section = false;
    for (const auto& s : sections)
      if (s.path == rel) is_section = true;
    if (is_section) {
      if (value.IsNull()) continue;  // an empty section keeps its defaults
      if (!value.IsMap()) {
        errs.push_back(display + ": expected a mapping (section), got " + DescribeNode(value) + where);
        continue;
      }
      LoadMapping(table, sections, rec, value, rel + ".", display + ".", source, errs);
      continue;
    }
    std::vector<std::string> known;
    for (const auto& f : table) known.push_back(f.path);
    for (const auto& s : sections) known.push_back(s.path);
    std::string msg = display + ": unknown key";
    if (auto near = NearestPath(rel, known))
      msg += " (did you mean " + display_prefix.substr(0, display_prefix.size() - rel_prefix.size()) +
             *near + "?)";
    errs.push_back(msg + where);
  }
}

// Runs every field's check over `rec`.
template <class Rec>
void CheckFields(const std::vector<FieldDef<Rec>>& table, const Rec& rec,
                 const std::string& display_prefix, std::vector<std::string>& problems) {
  for (const auto& f : table) {
    if (f.type == FieldType::kRecords) {
      f.check_records(rec, display_prefix + f.path, problems);
      continue;
    }
    if (auto err = f.check(rec)) problems.push_back(display_prefix + f.path + ": " + *err);
  }
}

template <class Rec>
std::vector<ConfigFieldInfo> DescribeTable(const std::vector<FieldDef<Rec>>& table,
                                           const std::string& prefix, bool env_allowed) {
  std::vector<ConfigFieldInfo> out;
  const Rec defaults{};
  for (const auto& f : table) {
    ConfigFieldInfo info;
    info.path = prefix + f.path;
    info.type = TypeName(f.type);
    info.comment = f.comment;
    info.default_yaml = f.render(defaults);
    if (env_allowed && f.env && f.type != FieldType::kRecords) info.env_name = EnvNameFor(f.path);
    info.choices = f.choices;
    info.min = f.min;
    info.max = f.max;
    out.push_back(std::move(info));
  }
  return out;
}

// A list of records (keys.signing) whose items are described by `items()`.
template <class Rec, class Item, class Acc>
FieldDef<Rec> RecordsField(std::string path, std::string comment,
                           const std::vector<FieldDef<Item>>& (*items)(), Acc acc) {
  FieldDef<Rec> f;
  f.path = std::move(path);
  f.type = FieldType::kRecords;
  f.comment = std::move(comment);
  f.env = false;  // a list of mappings has no sensible single-variable form
  f.render = [acc, items](const Rec& r) {
    std::string out = "[";
    const std::vector<Item>& v = acc(r);
    for (size_t i = 0; i < v.size(); ++i) {
      out += i ? ", {" : "{";
      bool first = true;
      for (const auto& sub : items()) {
        out += (first ? "" : ", ") + sub.path + ": " + sub.render(v[i]);
        first = false;
      }
      out += "}";
    }
    return out + "]";
  };
  f.load_records = [acc, items](Rec& r, const YAML::Node& seq, const std::string& display,
                                const std::string& source, Errors& errs) {
    std::vector<Item> loaded;
    for (size_t i = 0; i < seq.size(); ++i) {
      const YAML::Node item = seq[i];
      const std::string item_path = display + "[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        errs.push_back(item_path + ": expected a mapping, got " + DescribeNode(item) + " (" +
                       Where(source, item.Mark()) + ")");
        continue;
      }
      Item it{};
      LoadMapping(items(), {}, it, item, "", item_path + ".", source, errs);
      loaded.push_back(std::move(it));
    }
    acc(r) = std::move(loaded);
  };
  f.check_records = [acc, items](const Rec& r, const std::string& display,
                                 std::vector<std::string>& problems) {
    const std::vector<Item>& v = acc(r);
    for (size_t i = 0; i < v.size(); ++i)
      CheckFields(items(), v[i], display + "[" + std::to_string(i) + "].", problems);
  };
  f.render_records_block = [acc, items](const Rec& r, const std::string& indent) {
    std::string out;
    for (const Item& it : acc(r)) {
      bool first = true;
      for (const auto& sub : items()) {
        out += indent + (first ? "- " : "  ") + sub.path + ": " + sub.render(it) + "\n";
        first = false;
      }
    }
    return out;
  };
  f.describe_items = [items]() {
    std::vector<std::pair<ConfigFieldInfo, std::string>> out;
    auto d = DescribeTable(items(), "", false);
    for (size_t i = 0; i < d.size(); ++i) out.emplace_back(std::move(d[i]), items()[i].example);
    return out;
  };
  f.record_count = [acc](const Rec& r) { return acc(r).size(); };
  return f;
}

// The tables (config_fields.cc).
const std::vector<FieldDef<Config>>& ConfigTable();
const std::vector<Section>& ConfigSections();
const std::vector<FieldDef<SigningKeyConfig>>& SigningKeyTable();

}  // namespace certme::config_internal
