#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/eventhandler.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "templates/templates.h"
#include "config/config_table.h"

namespace certme {
namespace {

using config_internal::ConfigSections;
using config_internal::ConfigTable;
using config_internal::EnvNameFor;
using config_internal::Errors;
using config_internal::FieldDef;
using config_internal::FieldType;

constexpr size_t kMaxSecretFileBytes = 64 * 1024;
constexpr size_t kMinPairwiseSaltChars = 16;
constexpr size_t kCommentWidth = 88;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// ---------------------------------------------------------------- secrets

// First line of a regular file (a trailing CR is dropped), at most
// kMaxSecretFileBytes. Devices and FIFOs are refused: reading them could block
// or never end.
StatusOr<std::string> ReadFirstLine(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return InvalidArgument("cannot read " + config_internal::QuoteForMessage(path) +
                           ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + config_internal::QuoteForMessage(path));
  std::string line;
  char c;
  while (line.size() < kMaxSecretFileBytes && in.get(c) && c != '\n') line += c;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty())
    return InvalidArgument(config_internal::QuoteForMessage(path) + " has an empty first line");
  return line;
}

// Resolves one env-or-file secret. `env_field` / `file_field` are the full
// paths of the two source fields, for messages.
void ResolveSecret(const std::string& env_name, const std::string& file, const std::string& env_field,
                   const std::string& file_field, const EnvLookup& env, Secret& out, Errors& errs) {
  out = Secret();
  if (!env_name.empty() && !file.empty()) {
    errs.push_back(env_field + ": set at most one of " + env_field + " and " + file_field);
    return;
  }
  if (!env_name.empty()) {
    std::optional<std::string> v = env(env_name);
    if (!v) errs.push_back(env_field + ": environment variable " + env_name + " is not set");
    else if (v->empty()) errs.push_back(env_field + ": environment variable " + env_name + " is empty");
    else out = Secret(std::move(*v));
    return;
  }
  if (!file.empty()) {
    auto line = ReadFirstLine(file);
    if (!line.ok()) errs.push_back(file_field + ": " + line.status().message());
    else out = Secret(std::move(line).value());
  }
}

void ResolveSecrets(Config& c, const EnvLookup& env, Errors& errs) {
  ResolveSecret(c.store.redis.password_env, c.store.redis.password_file, "store.redis.password_env",
                "store.redis.password_file", env, c.store.redis.password, errs);
  ResolveSecret(c.oidc.pairwise_salt_env, c.oidc.pairwise_salt_file, "oidc.pairwise_salt_env",
                "oidc.pairwise_salt_file", env, c.oidc.pairwise_salt, errs);
  ResolveSecret(c.saml.signing_p12_password_env, c.saml.signing_p12_password_file, "saml.signing_p12_password_env",
                "saml.signing_p12_password_file", env, c.saml.signing_p12_password, errs);
  for (size_t i = 0; i < c.keys.signing.size(); ++i) {
    SigningKeyConfig& k = c.keys.signing[i];
    const std::string p = "keys.signing[" + std::to_string(i) + "].";
    ResolveSecret(k.password_env, k.password_file, p + "password_env", p + "password_file", env,
                  k.password, errs);
  }
}

// ---------------------------------------------------------------- loading

// Environment overrides: CERTME_<PATH> for every field that allows one.
void ApplyEnv(Config& c, const EnvLookup& env, Errors& errs) {
  for (const auto& f : ConfigTable()) {
    if (!f.env || f.type == FieldType::kRecords) continue;
    const std::string name = EnvNameFor(f.path);
    std::optional<std::string> v = env(name);
    if (!v) continue;
    if (auto err = f.set_text(c, *v)) errs.push_back(f.path + ": " + *err + " (from " + name + ")");
  }
}

StatusOr<Config> Finish(Config c, const EnvLookup& env, Errors errs) {
  ApplyEnv(c, env, errs);
  ResolveSecrets(c, env, errs);
  if (!errs.empty()) return InvalidArgument(Join(errs, "\n"));
  return c;
}

// ---------------------------------------------------------------- validation

bool IsIpLiteral(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.'))
      return false;
  return s.front() != '-' && s.front() != '.';
}

bool IsIpOrCidr(const std::string& s) {
  size_t slash = s.find('/');
  std::string ip = s.substr(0, slash);
  unsigned char buf[16];
  int max_prefix;
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) max_prefix = 32;
  else if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) max_prefix = 128;
  else return false;
  if (slash == std::string::npos) return true;
  auto prefix = config_internal::ParseInt(std::string_view(s).substr(slash + 1));
  return prefix && *prefix >= 0 && *prefix <= max_prefix;
}

// RFC 9110 §5.6.2 token.
bool IsHeaderToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  unsigned char buf[4];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 && buf[0] == 127;
}

// OIDC Discovery 1.0 §3: the issuer is an https URL with no query or
// fragment; http is tolerated on loopback and in dev mode.
std::optional<std::string> CheckPublicUrl(const std::string& url, bool dev_mode) {
  bool https = url.rfind("https://", 0) == 0;
  bool http = url.rfind("http://", 0) == 0;
  if (!https && !http) return "must start with https:// or http://, got " + config_internal::QuoteForMessage(url);
  if (url.find_first_of("?#") != std::string::npos) return "must not have a query or fragment";
  const std::string rest = url.substr(https ? 8 : 7);
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos && url.back() == '/') return "must not end with '/'";
  if (authority.find('@') != std::string::npos) return "must not contain user information";
  std::string host = authority;
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return "has an unterminated IPv6 address";
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "has a malformed host";
      port = authority.substr(close + 2);
    }
    if (!IsIpLiteral(host.substr(1, host.size() - 2))) return "has a malformed IPv6 address";
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!IsHostName(host)) return "has a malformed host " + config_internal::QuoteForMessage(host);
  }
  if (authority.find(':') != std::string::npos && authority.back() != ']') {
    auto p = config_internal::ParseInt(port);
    if (!p || *p < 1 || *p > 65535) return "has a malformed port " + config_internal::QuoteForMessage(port);
  }
  if (http && !dev_mode && !IsLoopbackHost(host))
    return "must use https unless the host is loopback (OIDC Discovery 1.0 §3)";
  return std::nullopt;
}

void ValidateServer(const Config& c, std::vector<std::string>& p) {
  const ServerConfig& s = c.server;
  if (s.address.empty()) p.push_back("server.address: must not be empty");
  else if (!IsIpLiteral(s.address) && !IsHostName(s.address))
    p.push_back("server.address: not an IP address or host name: " +
                config_internal::QuoteForMessage(s.address));
  if (auto err = CheckPublicUrl(s.public_url, c.dev_mode)) p.push_back("server.public_url: " + *err);
  for (size_t i = 0; i < s.trusted_proxies.size(); ++i)
    if (!IsIpOrCidr(s.trusted_proxies[i]))
      p.push_back("server.trusted_proxies[" + std::to_string(i) + "]: not an IP address or CIDR: " +
                  config_internal::QuoteForMessage(s.trusted_proxies[i]));
  for (size_t i = 0; i < s.metrics_allow.size(); ++i)
    if (!IsIpOrCidr(s.metrics_allow[i]))
      p.push_back("server.metrics_allow[" + std::to_string(i) + "]: not an IP address or CIDR: " +
                  config_internal::QuoteForMessage(s.metrics_allow[i]));
  if (!s.metrics_address.empty()) {
    if (!IsIpLiteral(s.metrics_address) && !IsHostName(s.metrics_address))
      p.push_back("server.metrics_address: not an IP address or host name: " +
                  config_internal::QuoteForMessage(s.metrics_address));
    else if (s.metrics_address == s.address && s.metrics_port == s.port && s.port != 0)
      p.push_back("server.metrics_port: the metrics listener needs another port than server.port");
  }
  if (!IsHeaderToken(s.client_cert_header))
    p.push_back("server.client_cert_header: not a valid header name: " +
                config_internal::QuoteForMessage(s.client_cert_header));
  // Refused here, not at the first page view.
  if (!s.templates_dir.empty())
    if (auto set = TemplateSet::WithOverrides(s.templates_dir); !set.ok())
      p.push_back("server.templates_dir: " + set.status().message());
}

void ValidateKeys(const Config& c, std::vector<std::string>& p) {
  const KeysConfig& k = c.keys;
  if (k.retired_retention_seconds < c.oidc.id_token_ttl_seconds)
    p.push_back("keys.retired_retention_seconds: shorter than oidc.id_token_ttl_seconds (a retired key "
                "must stay published while ID tokens it signed are valid)");
  if (k.signing.empty()) {
    if (!c.dev_mode)
      p.push_back("keys.signing: no signing keys configured; generated development keys "
                  "(keys.dev_key_dir) are for dev mode only");
    else if (k.dev_key_dir.empty())
      p.push_back("keys.dev_key_dir: must not be empty when keys.signing is empty");
    return;
  }
  std::map<std::string, size_t> first_with_kid;
  bool any_active = false;
  for (size_t i = 0; i < k.signing.size(); ++i) {
    const SigningKeyConfig& key = k.signing[i];
    const std::string at = "keys.signing[" + std::to_string(i) + "]";
    if (key.kid.empty()) {
      p.push_back(at + ".kid: required");
    } else {
      // RFC 7515 §4.1.4 allows any string; printable ASCII keeps it safe in
      // headers, logs and file names.
      bool printable = true;
      for (unsigned char ch : key.kid) printable &= ch > 0x20 && ch < 0x7f;
      if (!printable || key.kid.size() > 128)
        p.push_back(at + ".kid: use 1-128 printable ASCII characters without spaces");
      auto [it, fresh] = first_with_kid.emplace(key.kid, i);
      if (!fresh)
        p.push_back(at + ".kid: " + config_internal::QuoteForMessage(key.kid) +
                    " is already used by keys.signing[" + std::to_string(it->second) + "]");
    }
    if (key.pem_file.empty() == key.p12_file.empty())
      p.push_back(at + ": set exactly one of pem_file and p12_file");
    if (!key.password_env.empty() && !key.password_file.empty())
      p.push_back(at + ": set at most one of password_env and password_file");
    any_active |= key.state == "active";
  }
  if (!any_active) p.push_back("keys.signing: no key has state \"active\"");
}

void ValidateOidc(const Config& c, std::vector<std::string>& p) {
  const OidcConfig& o = c.oidc;
  const bool from_env = !o.pairwise_salt_env.empty(), from_file = !o.pairwise_salt_file.empty();
  if (from_env && from_file)
    p.push_back("oidc.pairwise_salt_env: set at most one of oidc.pairwise_salt_env and "
                "oidc.pairwise_salt_file");
  else if (!from_env && !from_file && !c.dev_mode)
    p.push_back("oidc.pairwise_salt_env: a pairwise salt is required outside dev mode (set "
                "oidc.pairwise_salt_env or oidc.pairwise_salt_file)");
  // Checked only once resolved: a Config built in code may leave it empty.
  if (!o.pairwise_salt.empty() && o.pairwise_salt.reveal().size() < kMinPairwiseSaltChars)
    p.push_back(std::string(from_file ? "oidc.pairwise_salt_file" : "oidc.pairwise_salt_env") +
                ": the salt must be at least " + std::to_string(kMinPairwiseSaltChars) +
                " characters");
  if (o.registration_enabled && !c.admin.enabled)
    p.push_back("oidc.registration_enabled: dynamic registration needs the console (admin.enabled): "
                "it issues the initial access tokens and keeps the registrations");
}

// ---------------------------------------------------------------- rendering

// Word-wraps `text` into comment lines "<indent># <lead>...": `first` leads
// the first line, `hanging` the others.
std::string CommentLines(std::string_view text, const std::string& indent,
                         const std::string& first = "", const std::string& hanging = "") {
  std::string out;
  std::string line;
  std::istringstream words{std::string(text)};
  std::string w;
  const std::string* lead = &first;
  auto flush = [&] {
    out += indent + "# " + *lead + line + "\n";
    line.clear();
    lead = &hanging;
  };
  while (words >> w) {
    if (!line.empty() && indent.size() + 2 + lead->size() + line.size() + 1 + w.size() > kCommentWidth)
      flush();
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) flush();
  return out;
}

std::string TypeLine(const FieldDef<Config>& f) {
  const std::string env = f.env ? EnvNameFor(f.path) : "";
  switch (f.type) {
    case FieldType::kString: return "String. Env: " + env + ".";
    case FieldType::kInt:
      return "Integer " + std::to_string(f.min) + "-" + std::to_string(f.max) + ". Env: " + env + ".";
    case FieldType::kBool: return "true or false. Env: " + env + ".";
    case FieldType::kChoice: {
      std::string s = "One of";
      for (size_t i = 0; i < f.choices.size(); ++i)
        s += (i ? ", " : " ") + config_internal::YamlQuote(f.choices[i]);
      return s + ". Env: " + env + ".";
    }
    case FieldType::kStringList: return "List of strings. Env: " + env + " (comma-separated).";
    case FieldType::kRecords: return "Not settable from the environment.";
  }
  return "";
}

// Documentation of a list-of-records field: each item field, then an example
// entry built from the items' example values.
std::string RecordDocs(const FieldDef<Config>& f, const std::string& indent) {
  std::string out = indent + "# Each entry:\n";
  std::string example;
  for (const auto& [info, ex] : f.describe_items()) {
    std::string text = info.path + ": " + info.comment;
    if (info.type == "choice") {
      text += " One of";
      for (size_t i = 0; i < info.choices.size(); ++i)
        text += (i ? ", " : " ") + config_internal::YamlQuote(info.choices[i]);
      text += ".";
    }
    text += " Default: " + info.default_yaml + ".";
    out += CommentLines(text, indent, "  ", "    ");
    if (!ex.empty())
      example += indent + "#   " + (example.empty() ? "- " : "  ") + info.path + ": " + ex + "\n";
  }
  const std::string leaf = f.path.substr(f.path.rfind('.') + 1);
  return out + indent + "# Example:\n" + indent + "# " + leaf + ":\n" + example;
}

std::string RenderBody(const Config& c) {
  std::string out;
  std::vector<std::string> open;  // the chain of sections currently open
  const auto& sections = ConfigSections();
  for (const auto& f : ConfigTable()) {
    std::vector<std::string> parts;
    {
      std::string_view p = f.path;
      size_t dot;
      while ((dot = p.find('.')) != std::string_view::npos) {
        parts.emplace_back(p.substr(0, dot));
        p.remove_prefix(dot + 1);
      }
    }
    const std::string leaf = f.path.substr(f.path.rfind('.') + 1);
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) ++common;
    open.resize(common);
    for (size_t i = common; i < parts.size(); ++i) {
      std::string sec_path;
      for (size_t j = 0; j <= i; ++j) sec_path += (j ? "." : "") + parts[j];
      const std::string indent(2 * i, ' ');
      if (!out.empty()) out += "\n";
      for (const auto& s : sections)
        if (s.path == sec_path) out += CommentLines(s.comment, indent);
      out += indent + parts[i] + ":\n";
      open.push_back(parts[i]);
    }
    const std::string indent(2 * parts.size(), ' ');
    out += CommentLines(f.comment, indent);
    if (f.type == FieldType::kRecords) out += RecordDocs(f, indent);
    out += CommentLines(TypeLine(f), indent);
    if (f.type == FieldType::kRecords && f.record_count(c) > 0)
      out += indent + leaf + ":\n" + f.render_records_block(c, indent + "  ");
    else
      out += indent + leaf + ": " + f.render(c) + "\n";
  }
  return out;
}

// Counts the documents in a stream without building them. yaml-cpp 0.7's
// LoadAll() loops forever, allocating, on input such as a lone ",": the
// parser keeps reporting an empty document without consuming anything
// (fixed upstream after 0.7, jbeder/yaml-cpp#1319). The caller stops at two
// documents and treats a document that starts where the previous one started
// as a syntax error.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts_.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  // The last document made no progress.
  std::optional<YAML::Mark> Stuck() const {
    size_t n = starts_.size();
    if (n >= 2 && starts_[n - 1].pos == starts_[n - 2].pos) return starts_[n - 1];
    return std::nullopt;
  }

 private:
  std::vector<YAML::Mark> starts_;
};

constexpr char kReferenceHeader[] =
    "# certME bridge: configuration reference.\n"
    "#\n"
    "# Every setting with its meaning and its default. Loading this file unchanged gives\n"
    "# exactly the built-in defaults, so copy only what you change. Unknown keys are errors.\n"
    "#\n"
    "# Each setting can also come from the environment, which wins over the file:\n"
    "# CERTME_ + its path in upper case with dots as underscores (server.port is\n"
    "# CERTME_SERVER_PORT); lists are comma-separated. Secrets (key passwords, the pairwise\n"
    "# salt) are never written here: name the environment variable or file that holds them.\n"
    "#\n"
    "# Started without a configuration file the bridge runs in dev mode: these defaults,\n"
    "# development keys generated in keys.dev_key_dir, and login.dev_login may be enabled.\n"
    "#\n"
    "# This file is a reference, not a production configuration: loaded as a file it leaves\n"
    "# the bridge without signing keys and without a pairwise salt, which `certme config\n"
    "# check` refuses. Start from config/production.example.yaml instead.\n"
    "#\n"
    "# Generated by RenderReferenceYaml() from config/config_fields.cc; do not edit.\n"
    "# Regenerate: build/config/certme_config_reference > config/certme.yaml\n"
    "\n";

}  // namespace

EnvLookup SystemEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Status CheckYamlLimits(std::string_view text, size_t max_bytes, int max_depth) {
  if (text.size() > max_bytes)
    return InvalidArgument("document is " + std::to_string(text.size()) + " bytes; the limit is " +
                           std::to_string(max_bytes));
  // Estimates nesting as (block levels from the indentation stack and compact
  // "- " / "? " indicators) + (open flow brackets). Quoted scalars are
  // skipped only where a quote can begin a scalar, so brackets inside plain
  // text still count and the estimate errs high on ordinary documents. It is
  // not a tokenizer, so a crafted document can fool it; yaml-cpp's own depth
  // guard (DeepRecursion, a few hundred levels) is the backstop that keeps
  // the stack safe either way.
  std::vector<size_t> indents;
  int block = 0, flow = 0;
  char quote = 0;     // inside a quoted scalar: its quote character
  char last_sig = 0;  // last significant character outside quotes and comments
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    ++line_no;
    size_t k = 0;
    if (quote == 0 && flow == 0) {
      size_t indent = 0;
      while (indent < line.size() && line[indent] == ' ') ++indent;
      std::string_view rest = line.substr(indent);
      if (!rest.empty() && rest != "\r" && rest.front() != '#') {
        while (!indents.empty() && indents.back() >= indent) indents.pop_back();
        indents.push_back(indent);
        block = static_cast<int>(indents.size());
        k = indent;
        while (k < line.size() && (line[k] == '-' || line[k] == '?' || line[k] == ':') &&
               (k + 1 == line.size() || line[k + 1] == ' ')) {
          ++block;
          k += 1;
          while (k < line.size() && line[k] == ' ') ++k;
        }
        if (block > max_depth)
          return InvalidArgument("document nests deeper than " + std::to_string(max_depth) +
                                 " levels (line " + std::to_string(line_no) + ")");
      }
    }
    for (; k < line.size(); ++k) {
      const char c = line[k];
      if (quote == '"') {
        if (c == '\\') ++k;
        else if (c == '"') quote = 0;
        continue;
      }
      if (quote == '\'') {
        if (c == '\'') {
          if (k + 1 < line.size() && line[k + 1] == '\'') ++k;
          else quote = 0;
        }
        continue;
      }
      const bool after_space = k == 0 || line[k - 1] == ' ' || line[k - 1] == '\t';
      if (c == '#' && after_space) break;
      if ((c == '"' || c == '\'') &&
          (last_sig == 0 || std::string_view("[{,:-?").find(last_sig) != std::string_view::npos)) {
        quote = c;
        last_sig = c;
        continue;
      }
      if (c == '[' || c == '{') {
        if (++flow + block > max_depth)
          return InvalidArgument("document nests deeper than " + std::to_string(max_depth) +
                                 " levels (line " + std::to_string(line_no) + ")");
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      if (c != ' ' && c != '\t' && c != '\r') last_sig = c;
    }
    // A new line starts a new token in block context.
    if (flow == 0 && quote == 0) last_sig = 0;
    pos = eol + 1;
  }
  return Status::Ok();
}

StatusOr<Config> LoadConfigFromString(std::string_view yaml_text, const EnvLookup& env,
                                      std::string_view source_name) {
  const std::string source(source_name);
  if (Status st = CheckYamlLimits(yaml_text); !st.ok())
    return Status(st.code(), source + ": " + st.message());
  Config c;
  c.dev_mode = false;
  Errors errs;
  // yaml-cpp reports problems by exception; this is the boundary where they
  // become a Status (docs/ARCHITECTURE.md rule 4).
  try {
    const std::string text(yaml_text);
    int documents = 0;
    {
      std::istringstream stream(text);
      YAML::Parser parser(stream);
      DocumentCounter counter;
      while (documents < 2 && parser.HandleNextDocument(counter)) {
        ++documents;
        if (auto mark = counter.Stuck())
          return InvalidArgument(config_internal::Where(source, *mark) +
                                 ": YAML syntax error: unexpected text");
      }
    }
    if (documents > 1) {
      errs.push_back(source + ": expected one YAML document, found several");
    } else {
      const YAML::Node root = YAML::Load(text);  // the first (only) document
      if (root.IsDefined() && !root.IsNull()) {
        if (!root.IsMap())
          errs.push_back("(top level): expected a mapping, got " + config_internal::DescribeNode(root) +
                         " (" + config_internal::Where(source, root.Mark()) + ")");
        else
          config_internal::LoadMapping(ConfigTable(), ConfigSections(), c, root, "", "", source, errs);
      }
    }
  } catch (const YAML::ParserException& e) {
    return InvalidArgument(config_internal::Where(source, e.mark) + ": YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(source + ": YAML error: " + e.what());
  } catch (const std::exception& e) {
    return InvalidArgument(source + ": cannot load: " + e.what());
  }
  return Finish(std::move(c), env, std::move(errs));
}

StatusOr<Config> LoadConfig(const std::string& path_or_empty, const EnvLookup& env) {
  if (path_or_empty.empty()) return Finish(Config{}, env, {});
  const std::string& path = path_or_empty;
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(st)) return NotFound("configuration file " + path + " not found");
  if (!std::filesystem::is_regular_file(st))
    return InvalidArgument("configuration file " + path + " is not a regular file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Unavailable("cannot read configuration file " + path, ec.message());
  if (size > kMaxConfigBytes)
    return InvalidArgument("configuration file " + path + " is " + std::to_string(size) +
                           " bytes; the limit is " + std::to_string(kMaxConfigBytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read configuration file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return LoadConfigFromString(text.str(), env, path);
}

// host:port with a non-empty host and a port in 1..65535.
bool IsHostPort(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  for (size_t i = colon + 1; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  if (s.size() - colon - 1 > 5) return false;
  int port = std::stoi(s.substr(colon + 1));
  return port >= 1 && port <= 65535;
}

void ValidateRedis(const RedisConfig& r, std::vector<std::string>& p) {
  if (r.socket.empty() && r.sentinels.empty() && !IsHostPort(r.address))
    p.push_back("store.redis.address: not host:port: " + config_internal::QuoteForMessage(r.address));
  for (size_t i = 0; i < r.sentinels.size(); ++i)
    if (!IsHostPort(r.sentinels[i]))
      p.push_back("store.redis.sentinels[" + std::to_string(i) + "]: not host:port: " +
                  config_internal::QuoteForMessage(r.sentinels[i]));
  if (!r.sentinels.empty() && r.sentinel_master.empty())
    p.push_back("store.redis.sentinel_master: must not be empty with sentinels");
  if (r.prefix.empty())
    p.push_back("store.redis.prefix: must not be empty (it keeps the bridge's keys apart)");
}

std::vector<std::string> Validate(const Config& config) {
  std::vector<std::string> problems;
  config_internal::CheckFields(ConfigTable(), config, "", problems);
  ValidateServer(config, problems);
  if (config.store.backend == kStoreBackendSqlite && config.store.sqlite.path.empty())
    problems.push_back("store.sqlite.path: must not be empty with the sqlite backend");
  if (config.store.backend == kStoreBackendRedis) ValidateRedis(config.store.redis, problems);
  ValidateKeys(config, problems);
  if (!config.saml.signing_p12_file.empty() &&
      (!config.saml.signing_key_file.empty() || !config.saml.certificate_file.empty()))
    problems.push_back("saml.signing_p12_file: set it or saml.signing_key_file with saml.certificate_file, not both");
  ValidateOidc(config, problems);
  if (config.ledger.backend == kLedgerBackendEvm) {
    if (config.ledger.registry_address.empty())
      problems.push_back("ledger.registry_address: required with the evm backend (`certme ledger deploy` prints it)");
    const std::string& url = config.ledger.evm.rpc_url;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      problems.push_back("ledger.evm.rpc_url: must be an http:// or https:// URL");
  }
  if (config.ledger.provider_accounts == kProviderAccountsHub && config.ledger.provider_kek_file.empty())
    problems.push_back("ledger.provider_kek_file: required with ledger.provider_accounts: hub");
  if (config.login.dev_login && !config.dev_mode)
    problems.push_back("login.dev_login: the development login is allowed in dev mode only "
                       "(started without a configuration file)");
  if (config.login.dev_login && config.login.wallet_login)
    problems.push_back("login.wallet_login: choose one login method (login.dev_login is on too)");
  if (!config.admin.production_store_path.empty() && !config.admin.production_config_file.empty())
    problems.push_back("admin.production_config_file: choose it or admin.production_store_path, not both");
  if (config.admin.api_token_default_ttl_seconds > config.admin.api_token_max_ttl_seconds)
    problems.push_back("admin.api_token_default_ttl_seconds: longer than admin.api_token_max_ttl_seconds");
  if (!config.admin.production_store_path.empty() && config.admin.production_public_url.empty())
    problems.push_back("admin.production_public_url: required with admin.production_store_path");
  if (config.admin.session_max_seconds < config.admin.session_idle_seconds)
    problems.push_back("admin.session_max_seconds: must not be shorter than admin.session_idle_seconds");
  return problems;
}

std::string RenderReferenceYaml() { return kReferenceHeader + RenderBody(Config{}); }

std::string RenderConfigYaml(const Config& config) {
  return "# certME bridge configuration (effective values).\n\n" + RenderBody(config);
}

std::vector<ConfigFieldInfo> ConfigFields() {
  std::vector<ConfigFieldInfo> out;
  const auto top = config_internal::DescribeTable(ConfigTable(), "", true);
  for (size_t i = 0; i < top.size(); ++i) {
    out.push_back(top[i]);
    const auto& f = ConfigTable()[i];
    if (f.type != FieldType::kRecords) continue;
    for (auto& [info, example] : f.describe_items()) {
      info.path = f.path + "[]." + info.path;
      out.push_back(std::move(info));
    }
  }
  return out;
}

std::optional<std::string> ConfigValueYaml(const Config& config, std::string_view path) {
  for (const auto& f : ConfigTable())
    if (f.path == path) return f.render(config);
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, const Config& config) {
  os << RenderConfigYaml(config) << "\n# dev_mode: " << (config.dev_mode ? "true" : "false") << "\n";
  if (!config.oidc.pairwise_salt.empty()) os << "# oidc.pairwise_salt: " << config.oidc.pairwise_salt << "\n";
  if (!config.store.redis.password.empty())
    os << "# store.redis.password: " << config.store.redis.password << "\n";
  for (size_t i = 0; i < config.keys.signing.size(); ++i)
    if (!config.keys.signing[i].password.empty())
      os << "# keys.signing[" << i << "].password: " << config.keys.signing[i].password << "\n";
  return os;
}

}  // namespace certme
