#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace certme {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A fake environment: only the variables in the map exist.
EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certme-config-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// A configuration that passes Validate() outside dev mode.
std::string ProductionYaml() {
  return "server:\n"
         "  public_url: \"https://login.example.md\"\n"
         "keys:\n"
         "  signing:\n"
         "    - kid: \"k1\"\n"
         "      pem_file: \"/etc/certme/k1.pem\"\n"
         "oidc:\n"
         "  pairwise_salt_env: \"SALT\"\n";
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, NoFileMeansDevModeWithBuiltInDefaults) {
  auto c = LoadConfig("", FakeEnv());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->dev_mode);
  EXPECT_EQ(c->server.address, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->server.threads, 0);  // automatic
  EXPECT_EQ(c->server.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->server.max_body_bytes, 1 << 20);
  EXPECT_THAT(c->server.trusted_proxies, IsEmpty());
  EXPECT_EQ(c->server.client_cert_header, "X-SSL-Client-Cert");
  EXPECT_EQ(c->server.shutdown_grace_seconds, 10);
  EXPECT_EQ(c->store.backend, "sqlite");
  EXPECT_EQ(c->store.sqlite.path, "var/certme.db");
  EXPECT_THAT(c->keys.signing, IsEmpty());
  EXPECT_EQ(c->keys.dev_key_dir, "var/dev-keys");
  EXPECT_EQ(c->oidc.code_ttl_seconds, 60);
  EXPECT_EQ(c->oidc.access_token_ttl_seconds, 600);
  EXPECT_EQ(c->oidc.id_token_ttl_seconds, 600);
  EXPECT_EQ(c->oidc.refresh_token_ttl_seconds, 30 * 24 * 3600);
  EXPECT_EQ(c->oidc.default_subject_type, "pairwise");
  EXPECT_EQ(c->oidc.claims_file, "");  // the built-in catalogue
  EXPECT_EQ(c->oidc.dev_clients_file, "");
  EXPECT_TRUE(c->oidc.pairwise_salt.empty());
  EXPECT_EQ(c->login.transaction_ttl_seconds, 300);
  EXPECT_FALSE(c->login.dev_login);
  EXPECT_EQ(c->logging.level, "info");
  EXPECT_TRUE(c->logging.access_log);
  EXPECT_THAT(Validate(*c), IsEmpty());
}

TEST(ConfigDefaults, EmptyDocumentGivesDefaultsOutsideDevMode) {
  auto c = LoadConfigFromString("# nothing but a comment\n", FakeEnv());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->dev_mode);
  EXPECT_EQ(RenderConfigYaml(*c), RenderConfigYaml(Config{}));
}

// ---------------------------------------------------------------- reference file

TEST(ConfigReference, CommittedReferenceMatchesTheCode) {
  const std::string path = std::string(CERTME_SOURCE_DIR) + "/config/certme.yaml";
  const std::string committed = ReadFile(path);
  const std::string generated = RenderReferenceYaml();
  if (committed == generated) return;
  // Point at the first differing line so the failure is readable.
  auto a = Lines(committed), b = Lines(generated);
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  FAIL() << "config/certme.yaml differs from RenderReferenceYaml() at line " << i + 1 << ":\n"
         << "  committed: " << (i < a.size() ? a[i] : "<end of file>") << "\n"
         << "  generated: " << (i < b.size() ? b[i] : "<end of file>") << "\n"
         << "Regenerate it: ninja -C build certme_config_reference && "
            "build/config/certme_config_reference > config/certme.yaml";
}

TEST(ConfigReference, LoadingTheReferenceGivesExactlyTheDefaults) {
  auto c = LoadConfig(std::string(CERTME_SOURCE_DIR) + "/config/certme.yaml", FakeEnv());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->dev_mode);
  for (const auto& f : ConfigFields()) {
    if (f.path.find("[]") != std::string::npos) continue;  // record item fields
    EXPECT_EQ(ConfigValueYaml(*c, f.path), ConfigValueYaml(Config{}, f.path)) << f.path;
  }
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->oidc.default_subject_type, "pairwise");
}

TEST(ConfigReference, DocumentsEveryFieldWithItsEnvironmentName) {
  const std::string ref = RenderReferenceYaml();
  for (const auto& f : ConfigFields()) {
    EXPECT_FALSE(f.comment.empty()) << f.path;
    const std::string leaf = f.path.substr(f.path.rfind('.') + 1);
    EXPECT_THAT(ref, HasSubstr(leaf + ":")) << f.path;
    if (!f.env_name.empty()) {
      EXPECT_THAT(ref, HasSubstr(f.env_name)) << f.path;
    }
  }
}

TEST(ConfigReference, ExampleSigningEntryInTheReferenceLoads) {
  // Uncommenting the documented example must give a working key entry.
  std::string example;
  bool in = false;
  for (const auto& l : Lines(RenderReferenceYaml())) {
    if (l == "  # Example:") {
      in = true;
      continue;
    }
    if (in && l.rfind("  #", 0) == 0 && l.find("Not settable") == std::string::npos) {
      example += "  " + l.substr(4) + "\n";
    } else if (in) {
      break;
    }
  }
  ASSERT_FALSE(example.empty());
  auto c = LoadConfigFromString("keys:\n" + example, FakeEnv());
  ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << example;
  ASSERT_EQ(c->keys.signing.size(), 1u);
  EXPECT_EQ(c->keys.signing[0].kid, "2025-01");
  EXPECT_EQ(c->keys.signing[0].alg, "ES256");
}

// ---------------------------------------------------------------- the field table

TEST(ConfigTable, PathsAndEnvironmentNamesAreUnique) {
  std::set<std::string> paths, envs;
  for (const auto& f : ConfigFields()) {
    EXPECT_TRUE(paths.insert(f.path).second) << "duplicate path " << f.path;
    if (!f.env_name.empty()) {
      EXPECT_TRUE(envs.insert(f.env_name).second) << "duplicate " << f.env_name;
    }
  }
  EXPECT_THAT(envs, Contains("CERTME_SERVER_PORT"));
  EXPECT_THAT(envs, Contains("CERTME_STORE_SQLITE_PATH"));
  EXPECT_THAT(envs, Contains("CERTME_OIDC_DEFAULT_SUBJECT_TYPE"));
}

// A value different from the field's default, as YAML text and as an
// environment string.
std::pair<std::string, std::string> OtherValue(const ConfigFieldInfo& f) {
  if (f.type == "integer") {
    std::string v = std::to_string(f.default_yaml == std::to_string(f.min) ? f.max : f.min);
    return {v, v};
  }
  if (f.type == "boolean") return f.default_yaml == "true" ? std::pair{"false", "false"} : std::pair{"true", "true"};
  if (f.type == "choice") {
    for (const auto& c : f.choices)
      if ("\"" + c + "\"" != f.default_yaml) return {"\"" + c + "\"", c};
  }
  if (f.type == "list") return {"[\"10.0.0.0/8\", \"::1\"]", "10.0.0.0/8, ::1"};
  return {"\"other-value\"", "other-value"};
}

// Each row sets its own member and no other: catches a row wired to the wrong
// accessor, which no per-field test would notice.
TEST(ConfigTable, EachFieldLoadsIntoItsOwnMemberFromYamlAndEnv) {
  const Config defaults;
  TempDir dir;
  // Secret sources must resolve: "other-value" names a set variable, and the
  // salt file gets a real file.
  const std::string salt_file = dir.Write("salt", "0123456789abcdef-file\n");
  const EnvLookup env = FakeEnv({{"other-value", "0123456789abcdef-env"}});
  for (const auto& f : ConfigFields()) {
    if (f.type == "records" || f.path.find("[]") != std::string::npos) continue;
    if (f.type == "choice" && f.choices.size() < 2) continue;  // no other legal value to set
    auto [yaml_value, env_value] = OtherValue(f);
    if (f.path == "oidc.pairwise_salt_file" || f.path == "store.redis.password_file") {
      yaml_value = "\"" + salt_file + "\"";
      env_value = salt_file;
    }
    // Nest "a.b.c: v" into YAML mappings.
    std::string yaml, indent;
    std::string_view rest = f.path;
    for (size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest.remove_prefix(dot + 1)) {
      yaml += indent + std::string(rest.substr(0, dot)) + ":\n";
      indent += "  ";
    }
    yaml += indent + std::string(rest) + ": " + yaml_value + "\n";

    auto from_yaml = LoadConfigFromString(yaml, env);
    ASSERT_TRUE(from_yaml.ok()) << f.path << ": " << from_yaml.status().ToString();
    auto from_env = LoadConfig("", [&](std::string_view name) -> std::optional<std::string> {
      if (name == f.env_name) return env_value;
      return env(name);
    });
    ASSERT_TRUE(from_env.ok()) << f.env_name << ": " << from_env.status().ToString();
    for (const auto& g : ConfigFields()) {
      if (g.type == "records" || g.path.find("[]") != std::string::npos) continue;
      if (g.path == f.path) {
        EXPECT_EQ(ConfigValueYaml(*from_yaml, g.path), yaml_value) << g.path;
        EXPECT_EQ(ConfigValueYaml(*from_env, g.path), yaml_value) << g.env_name;
      } else {
        EXPECT_EQ(ConfigValueYaml(*from_yaml, g.path), ConfigValueYaml(defaults, g.path))
            << "setting " << f.path << " changed " << g.path;
        EXPECT_EQ(ConfigValueYaml(*from_env, g.path), ConfigValueYaml(defaults, g.path))
            << "setting " << f.env_name << " changed " << g.path;
      }
    }
  }
}

TEST(ConfigTable, RenderedConfigLoadsBackToTheSameValues) {
  TempDir dir;
  std::string yaml = ProductionYaml() +
                     "logging:\n  level: debug\n  access_log: no\n"
                     "store:\n  backend: memory\n  sqlite:\n    path: \"a \\\"quoted\\\"\\tpath\"\n";
  yaml += "login:\n  transaction_ttl_seconds: 90\n";
  auto first = LoadConfigFromString(yaml, FakeEnv({{"SALT", "0123456789abcdef"}}));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->store.sqlite.path, "a \"quoted\"\tpath");
  const std::string rendered = RenderConfigYaml(*first);
  auto second = LoadConfigFromString(rendered, FakeEnv({{"SALT", "0123456789abcdef"}}));
  ASSERT_TRUE(second.ok()) << second.status().ToString() << "\n" << rendered;
  EXPECT_EQ(RenderConfigYaml(*second), rendered);
  EXPECT_NE(rendered, RenderConfigYaml(Config{}));
  ASSERT_EQ(second->keys.signing.size(), 1u);
  EXPECT_EQ(second->keys.signing[0].pem_file, "/etc/certme/k1.pem");
}

// ---------------------------------------------------------------- environment

TEST(ConfigEnv, OverridesWinOverTheFile) {
  auto c = LoadConfigFromString(
      "server:\n  port: 9000\nstore:\n  sqlite:\n    path: from-file.db\n",
      FakeEnv({{"CERTME_SERVER_PORT", "9443"},
               {"CERTME_STORE_SQLITE_PATH", "/srv/certme/state.db"},
               {"CERTME_OIDC_DEFAULT_SUBJECT_TYPE", "public"},
               {"CERTME_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1,,"},
               {"CERTME_LOGIN_DEV_LOGIN", "true"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.port, 9443);
  EXPECT_EQ(c->store.sqlite.path, "/srv/certme/state.db");
  EXPECT_EQ(c->oidc.default_subject_type, "public");
  EXPECT_EQ(c->server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "192.168.1.1"}));
  EXPECT_TRUE(c->login.dev_login);
}

TEST(ConfigEnv, BadValueNamesVariableAndPath) {
  auto c = LoadConfig("", FakeEnv({{"CERTME_SERVER_PORT", "abc"},
                                   {"CERTME_STORE_BACKEND", "postgres"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("server.port: expected an integer 0-65535, got \"abc\" (from CERTME_SERVER_PORT)"));
  EXPECT_THAT(c.status().message(),
              HasSubstr("store.backend: expected one of \"sqlite\", \"redis\", \"memory\", got \"postgres\" "
                        "(from CERTME_STORE_BACKEND)"));
}

// ---------------------------------------------------------------- load errors

TEST(ConfigLoad, UnknownKeyIsAnErrorWithItsPathAndAHint) {
  auto c = LoadConfigFromString("server:\n  prot: 80\n", FakeEnv(), "test.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("server.prot: unknown key (did you mean server.port?) (test.yaml:2:3)"));
}

TEST(ConfigLoad, UnknownKeysAnywhereAreReported) {
  auto c = LoadConfigFromString(
      "servr:\n  port: 80\n"
      "store:\n  sqlite:\n    pth: x\n"
      "keys:\n  signing:\n    - kid: a\n      pem_fle: k.pem\n",
      FakeEnv());
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_THAT(m, HasSubstr("servr: unknown key (did you mean server?)"));
  EXPECT_THAT(m, HasSubstr("store.sqlite.pth: unknown key (did you mean store.sqlite.path?)"));
  EXPECT_THAT(m, HasSubstr("keys.signing[0].pem_fle: unknown key (did you mean keys.signing[0].pem_file?)"));
  EXPECT_EQ(Lines(m).size(), 3u) << m;
}

TEST(ConfigLoad, TypeErrorsNameTheFieldPath) {
  auto c = LoadConfigFromString(
      "server:\n"
      "  port: abc\n"
      "  threads: -1\n"
      "  trusted_proxies: 10.0.0.1\n"
      "  address: [a]\n"
      "login:\n"
      "  dev_login: maybe\n"
      "logging:\n"
      "  level: loud\n"
      "oidc:\n"
      "  code_ttl_seconds: 99999999999999999999\n",
      FakeEnv(), "t.yaml");
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_THAT(m, HasSubstr("server.port: expected an integer 0-65535, got \"abc\" (t.yaml:2:9)"));
  EXPECT_THAT(m, HasSubstr("server.threads: expected an integer 0-256, got \"-1\""));
  EXPECT_THAT(m, HasSubstr("server.trusted_proxies: expected a list of strings, got \"10.0.0.1\""));
  EXPECT_THAT(m, HasSubstr("server.address: expected a string, got a list"));
  EXPECT_THAT(m, HasSubstr("login.dev_login: expected true or false, got \"maybe\""));
  EXPECT_THAT(m, HasSubstr("logging.level: expected one of \"trace\", \"debug\", \"info\", \"warn\", "
                           "\"error\", got \"loud\""));
  EXPECT_THAT(m, HasSubstr("oidc.code_ttl_seconds: expected an integer 1-600"));
  EXPECT_EQ(Lines(m).size(), 7u) << m;
}

TEST(ConfigLoad, RedisBackendSettingsLoadWithThePasswordFromAFile) {
  TempDir dir;
  std::string pw_file = dir.Write("redis-pw", "redis-password-value\n");
  auto c = LoadConfigFromString(
      "store:\n  backend: redis\n  redis:\n    sentinels: [\"10.0.0.5:26379\", \"10.0.0.6:26379\"]\n"
      "    sentinel_master: bridge\n    db: 2\n    prefix: \"prod:\"\n    timeout_ms: 500\n"
      "    password_file: \"" + pw_file + "\"\n",
      FakeEnv({{"CERTME_STORE_REDIS_MAX_CONNECTIONS", "12"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->store.backend, "redis");
  EXPECT_THAT(c->store.redis.sentinels, ::testing::ElementsAre("10.0.0.5:26379", "10.0.0.6:26379"));
  EXPECT_EQ(c->store.redis.sentinel_master, "bridge");
  EXPECT_EQ(c->store.redis.db, 2);
  EXPECT_EQ(c->store.redis.prefix, "prod:");
  EXPECT_EQ(c->store.redis.timeout_ms, 500);
  EXPECT_EQ(c->store.redis.max_connections, 12);
  EXPECT_EQ(c->store.redis.password.reveal(), "redis-password-value");
  std::ostringstream printed;
  printed << *c;
  EXPECT_THAT(printed.str(), Not(HasSubstr("redis-password-value")));
  EXPECT_THAT(printed.str(), HasSubstr("# store.redis.password: [redacted]"));
}

TEST(ConfigValidate, RedisAddressesMustBeHostPort) {
  Config c;
  c.store.backend = kStoreBackendRedis;
  c.store.redis.address = "localhost";
  EXPECT_THAT(Validate(c), ::testing::ElementsAre(HasSubstr("store.redis.address: not host:port")));
  c.store.redis.address = "localhost:6379";
  EXPECT_THAT(Validate(c), IsEmpty());
  c.store.redis.sentinels = {"10.0.0.5:26379", "10.0.0.6"};
  c.store.redis.sentinel_master = "";
  c.store.redis.prefix = "";
  EXPECT_THAT(Validate(c), ::testing::ElementsAre(
                               HasSubstr("store.redis.sentinels[1]: not host:port"),
                               HasSubstr("store.redis.sentinel_master: must not be empty"),
                               HasSubstr("store.redis.prefix: must not be empty")));
  c = Config();
  c.store.backend = kStoreBackendRedis;
  c.store.redis.address = "";
  c.store.redis.socket = "/run/redis/redis.sock";
  EXPECT_THAT(Validate(c), IsEmpty());
}

TEST(ConfigLoad, RedisPasswordEnvAndFileAreExclusive) {
  auto c = LoadConfigFromString(
      "store:\n  redis:\n    password_env: A\n    password_file: b\n", FakeEnv({{"A", "x"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("store.redis.password_env: set at most one"));
}

TEST(ConfigLoad, NullAndWrongShapesAreErrors) {
  auto c = LoadConfigFromString("server:\n  port:\nkeys:\n  signing: {}\nstore: 3\n", FakeEnv());
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_THAT(m, HasSubstr("server.port: expected an integer 0-65535, got null"));
  EXPECT_THAT(m, HasSubstr("keys.signing: expected a list of mappings, got a mapping"));
  EXPECT_THAT(m, HasSubstr("store: expected a mapping (section), got \"3\""));
}

TEST(ConfigLoad, TopLevelMustBeAMapping) {
  auto c = LoadConfigFromString("- a\n- b\n", FakeEnv());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("(top level): expected a mapping, got a list"));
}

TEST(ConfigLoad, DuplicateKeysAreErrors) {
  auto c = LoadConfigFromString("server:\n  port: 1\n  port: 2\n", FakeEnv());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("server.port: duplicate key"));
}

TEST(ConfigLoad, SeveralDocumentsAreRefused) {
  auto c = LoadConfigFromString("server:\n  port: 1\n---\nserver:\n  port: 2\n", FakeEnv(), "x.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("x.yaml: expected one YAML document, found several"));
}

// yaml-cpp 0.7's LoadAll() never returns on these (it allocates until the
// process dies); the loader must answer with an error instead.
TEST(ConfigLoad, InputsThatHangYamlCppLoadAllAreSyntaxErrors) {
  for (const char* text : {",", ",\n", "  ,  \n", "[:", "{:"}) {
    auto c = LoadConfigFromString(text, FakeEnv(), "h.yaml");
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_THAT(c.status().message(), HasSubstr("YAML syntax error")) << text;
  }
}

TEST(ConfigLoad, MissingFileIsNotFound) {
  TempDir dir;
  auto c = LoadConfig(dir.path() + "/absent.yaml", FakeEnv());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("absent.yaml not found"));
}

TEST(ConfigLoad, DirectoryIsNotAConfigFile) {
  TempDir dir;
  auto c = LoadConfig(dir.path(), FakeEnv());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("not a regular file"));
}

TEST(ConfigLoad, FileIsReadAndNamedInMessages) {
  TempDir dir;
  std::string path = dir.Write("c.yaml", "server:\n  port: 8181\n");
  auto ok = LoadConfig(path, FakeEnv());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->server.port, 8181);
  EXPECT_FALSE(ok->dev_mode);
  std::string bad = dir.Write("bad.yaml", "server:\n  port: x\n");
  auto err = LoadConfig(bad, FakeEnv());
  ASSERT_FALSE(err.ok());
  EXPECT_THAT(err.status().message(), HasSubstr(bad + ":2:9"));
}

TEST(ConfigLoad, YamlSyntaxErrorGivesLineAndColumn) {
  auto c = LoadConfigFromString("server:\n  port: [1, 2\n  threads: 3\n", FakeEnv(), "s.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("YAML syntax error"));
  EXPECT_THAT(c.status().message(), ::testing::ContainsRegex("s\\.yaml:[0-9]+:[0-9]+: YAML syntax error"));
  auto tabs = LoadConfigFromString("server:\n\tport: 1\n", FakeEnv(), "t.yaml");
  ASSERT_FALSE(tabs.ok());
  EXPECT_THAT(tabs.status().message(), HasSubstr("t.yaml:"));
}

// ---------------------------------------------------------------- size and depth limits

TEST(ConfigLimits, OversizedDocumentIsRefusedBeforeParsing) {
  std::string big = "server:\n  address: \"" + std::string(kMaxConfigBytes, 'a') + "\"\n";
  auto c = LoadConfigFromString(big, FakeEnv(), "big.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("big.yaml: document is"));
  EXPECT_THAT(c.status().message(), HasSubstr("the limit is 1048576"));
}

TEST(ConfigLimits, DeepFlowNestingIsRefused) {
  std::string deep = "server:\n  trusted_proxies: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto c = LoadConfigFromString(deep, FakeEnv());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("nests deeper than 32 levels"));
}

TEST(ConfigLimits, DeepBlockNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += std::string(i, ' ') + "k:\n";
  EXPECT_THAT(CheckYamlLimits(deep).message(), HasSubstr("nests deeper than 32 levels"));
  std::string dashes;
  for (int i = 0; i < 200; ++i) dashes += "- ";
  EXPECT_FALSE(CheckYamlLimits(dashes + "x\n").ok());
}

TEST(ConfigLimits, BracketsInsideQuotesAndCommentsDoNotCount) {
  std::string text = "a: \"" + std::string(100, '[') + "\"\nb: '" + std::string(100, '{') +
                     "'\n# " + std::string(100, '[') + "\nc: [\"]]]]\", 1]\n";
  EXPECT_TRUE(CheckYamlLimits(text).ok()) << CheckYamlLimits(text).ToString();
}

TEST(ConfigLimits, QuotesCannotHideNesting) {
  // A quote inside a plain scalar does not start a quoted scalar: the brackets
  // after it are real nesting and must be counted.
  std::string text = "a: [x\"y, " + std::string(100, '[') + "\n";
  EXPECT_FALSE(CheckYamlLimits(text).ok());
  // Closing brackets inside a quoted scalar do not undo real nesting.
  std::string text2 = "a: " + std::string(20, '[') + "\"" + std::string(20, ']') + "\", " +
                      std::string(20, '[') + "\n";
  EXPECT_FALSE(CheckYamlLimits(text2).ok());
}

// ---------------------------------------------------------------- Validate

TEST(ConfigValidate, AProductionConfigurationPasses) {
  auto c = LoadConfigFromString(ProductionYaml(), FakeEnv({{"SALT", "0123456789abcdef"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(Validate(*c), IsEmpty());
}

TEST(ConfigValidate, ReportsEveryProblemAtOnceEachWithItsPath) {
  Config c;
  c.dev_mode = false;
  c.server.port = 70000;
  c.server.public_url = "http://login.example.md/";
  c.server.trusted_proxies = {"10.0.0.0/8", "not-an-ip", "10.0.0.0/33"};
  c.server.client_cert_header = "X SSL";
  c.store.backend = "redis";
  c.store.redis.address = "no-port";
  c.oidc.code_ttl_seconds = 0;
  c.oidc.default_subject_type = "random";
  c.login.dev_login = true;
  c.keys.signing.resize(2);
  c.keys.signing[0].kid = "k";
  c.keys.signing[0].pem_file = "a.pem";
  c.keys.signing[0].p12_file = "a.p12";
  c.keys.signing[0].state = "old";
  c.keys.signing[1].kid = "k";
  c.keys.signing[1].state = "next";
  const auto problems = Validate(c);
  const std::vector<std::string> expected_prefixes = {
      "server.port: expected an integer 0-65535, got 70000",
      "server.public_url: must not end with '/'",
      "server.trusted_proxies[1]: not an IP address or CIDR",
      "server.trusted_proxies[2]: not an IP address or CIDR",
      "server.client_cert_header: not a valid header name",
      "store.redis.address: not host:port",
      "oidc.code_ttl_seconds: expected an integer 1-600, got 0",
      "oidc.default_subject_type: expected one of \"pairwise\", \"public\", got \"random\"",
      "keys.signing[0].state: expected one of \"next\", \"active\", \"retired\", got \"old\"",
      "keys.signing[0]: set exactly one of pem_file and p12_file",
      "keys.signing[1].kid: \"k\" is already used by keys.signing[0]",
      "keys.signing[1]: set exactly one of pem_file and p12_file",
      "keys.signing: no key has state \"active\"",
      "oidc.pairwise_salt_env: a pairwise salt is required outside dev mode",
      "login.dev_login: the development login is allowed in dev mode only",
  };
  for (const auto& want : expected_prefixes) {
    bool found = false;
    for (const auto& p : problems) found |= p.rfind(want, 0) == 0;
    EXPECT_TRUE(found) << "missing: " << want;
  }
  EXPECT_EQ(problems.size(), expected_prefixes.size()) << ::testing::PrintToString(problems);
}

TEST(ConfigValidate, DevLoginOnlyInDevMode) {
  auto dev = LoadConfig("", FakeEnv({{"CERTME_LOGIN_DEV_LOGIN", "true"}}));
  ASSERT_TRUE(dev.ok());
  EXPECT_TRUE(dev->login.dev_login);
  EXPECT_THAT(Validate(*dev), IsEmpty());

  auto prod = LoadConfigFromString(ProductionYaml() + "login:\n  dev_login: true\n",
                                   FakeEnv({{"SALT", "0123456789abcdef"}}));
  ASSERT_TRUE(prod.ok()) << prod.status().ToString();
  EXPECT_THAT(Validate(*prod),
              ::testing::ElementsAre(HasSubstr("login.dev_login: the development login is allowed "
                                               "in dev mode only")));
}

TEST(ConfigValidate, PublicUrlRules) {
  Config c;
  c.dev_mode = false;
  c.oidc.pairwise_salt_env = "S";
  c.keys.signing = {SigningKeyConfig{}};
  c.keys.signing[0].kid = "k";
  c.keys.signing[0].pem_file = "k.pem";
  auto problems_for = [&](const std::string& url) {
    c.server.public_url = url;
    return Validate(c);
  };
  EXPECT_THAT(problems_for("https://login.example.md"), IsEmpty());
  EXPECT_THAT(problems_for("https://login.example.md:8443/certme"), IsEmpty());
  EXPECT_THAT(problems_for("http://127.0.0.1:8080"), IsEmpty());
  EXPECT_THAT(problems_for("http://localhost"), IsEmpty());
  EXPECT_THAT(problems_for("http://[::1]:9000"), IsEmpty());
  EXPECT_THAT(problems_for("http://login.example.md"),
              ::testing::ElementsAre(HasSubstr("server.public_url: must use https")));
  EXPECT_THAT(problems_for("https://login.example.md/?a=b"),
              ::testing::ElementsAre(HasSubstr("must not have a query")));
  EXPECT_THAT(problems_for("ftp://x"), ::testing::ElementsAre(HasSubstr("must start with https://")));
  EXPECT_THAT(problems_for("https://user@x.md"), ::testing::ElementsAre(HasSubstr("user information")));
  EXPECT_THAT(problems_for("https://x.md:99999"), ::testing::ElementsAre(HasSubstr("malformed port")));
  c.dev_mode = true;
  EXPECT_THAT(problems_for("http://login.example.md"), IsEmpty());
}

TEST(ConfigValidate, KeysRequiredOutsideDevMode) {
  Config c;
  c.dev_mode = false;
  c.oidc.pairwise_salt_env = "S";
  EXPECT_THAT(Validate(c), ::testing::ElementsAre(HasSubstr("keys.signing: no signing keys configured")));
}

TEST(ConfigValidate, ShortSaltIsRefused) {
  auto c = LoadConfigFromString(ProductionYaml(), FakeEnv({{"SALT", "short"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_THAT(Validate(*c), ::testing::ElementsAre(HasSubstr("oidc.pairwise_salt_env: the salt must be "
                                                            "at least 16 characters")));
}

// A malformed template in server.templates_dir stops the start (Validate),
// not the first page view; a good one passes.
TEST(ConfigValidate, MalformedOverrideTemplateIsRefused) {
  TempDir dir;
  auto c = LoadConfigFromString(ProductionYaml(), FakeEnv({{"SALT", std::string(32, 's')}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  c->server.templates_dir = dir.path();
  EXPECT_THAT(Validate(*c), IsEmpty());
  dir.Write("message.mustache", "<p>{{#unclosed}}</p>");
  EXPECT_THAT(Validate(*c), ::testing::ElementsAre(AllOf(HasSubstr("server.templates_dir"),
                                                        HasSubstr("message.mustache"))));
  c->server.templates_dir = dir.path() + "/missing";
  EXPECT_THAT(Validate(*c), ::testing::ElementsAre(HasSubstr("server.templates_dir")));
}

// ---------------------------------------------------------------- secrets

TEST(ConfigSecrets, ResolvedFromEnvAndFileAndNeverPrinted) {
  TempDir dir;
  const std::string salt = "salt-value-0123456789";
  const std::string password = "p12-password-value";
  std::string pw_file = dir.Write("pw", password + "\r\nsecond line ignored\n");
  auto c = LoadConfigFromString(
      "keys:\n  signing:\n    - kid: a\n      p12_file: a.p12\n      password_file: \"" + pw_file +
          "\"\n    - kid: b\n      pem_file: b.pem\n      password_env: KEY_B\n"
          "oidc:\n  pairwise_salt_env: MY_SALT\n",
      FakeEnv({{"MY_SALT", salt}, {"KEY_B", "env-password-b"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->oidc.pairwise_salt.reveal(), salt);
  EXPECT_EQ(c->keys.signing[0].password.reveal(), password);
  EXPECT_EQ(c->keys.signing[1].password.reveal(), "env-password-b");

  std::ostringstream printed;
  printed << *c;
  EXPECT_THAT(printed.str(), AllOf(Not(HasSubstr(salt)), Not(HasSubstr(password)),
                                   Not(HasSubstr("env-password-b"))));
  EXPECT_THAT(printed.str(), HasSubstr("# oidc.pairwise_salt: [redacted]"));
  EXPECT_THAT(printed.str(), HasSubstr("# keys.signing[0].password: [redacted]"));
  EXPECT_THAT(printed.str(), HasSubstr("# keys.signing[1].password: [redacted]"));
  // The indirection itself is not secret and stays visible.
  EXPECT_THAT(printed.str(), HasSubstr("pairwise_salt_env: \"MY_SALT\""));
}

TEST(ConfigSecrets, UnresolvableSecretsAreLoadErrors) {
  TempDir dir;
  std::string empty = dir.Write("empty", "\n");
  auto c = LoadConfigFromString(
      "keys:\n  signing:\n    - kid: a\n      pem_file: a.pem\n      password_env: UNSET\n"
      "    - kid: b\n      pem_file: b.pem\n      password_file: \"" + dir.path() + "\"\n"
      "    - kid: c\n      pem_file: c.pem\n      password_file: \"" + empty + "\"\n"
      "oidc:\n  pairwise_salt_env: E\n  pairwise_salt_file: f\n",
      FakeEnv());
  ASSERT_FALSE(c.ok());
  const std::string& m = c.status().message();
  EXPECT_THAT(m, HasSubstr("keys.signing[0].password_env: environment variable UNSET is not set"));
  EXPECT_THAT(m, HasSubstr("keys.signing[1].password_file: cannot read"));
  EXPECT_THAT(m, HasSubstr("not a regular file"));
  EXPECT_THAT(m, HasSubstr("keys.signing[2].password_file:"));
  EXPECT_THAT(m, HasSubstr("has an empty first line"));
  EXPECT_THAT(m, HasSubstr("oidc.pairwise_salt_env: set at most one of oidc.pairwise_salt_env and "
                           "oidc.pairwise_salt_file"));
}

TEST(ConfigSecrets, SaltNamedInTheEnvironmentToo) {
  auto c = LoadConfig("", FakeEnv({{"CERTME_OIDC_PAIRWISE_SALT_ENV", "S"}, {"S", "0123456789abcdefXYZ"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->oidc.pairwise_salt.reveal(), "0123456789abcdefXYZ");
}

TEST(ConfigEnv, SystemEnvReadsTheProcessEnvironment) {
  ASSERT_EQ(setenv("CERTME_CONFIG_TEST_PROBE", "probe-value", 1), 0);
  EXPECT_EQ(SystemEnv()("CERTME_CONFIG_TEST_PROBE"), std::optional<std::string>("probe-value"));
  unsetenv("CERTME_CONFIG_TEST_PROBE");
  EXPECT_EQ(SystemEnv()("CERTME_CONFIG_TEST_PROBE"), std::nullopt);
}

}  // namespace
}  // namespace certme
