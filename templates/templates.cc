#include "templates/templates.h"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include <kainjow/mustache.hpp>

#include "common/log.h"
#include "common/request_scope.h"
#include "crypto/hash.h"
#include "templates/page_lang.h"

namespace certme {

// Generated at build time from templates/ (templates/embed_templates.cmake).
namespace templates_internal {
struct EmbeddedFile {
  const char* name;
  const char* text;
  size_t size;
};
extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;
}  // namespace templates_internal

namespace {

namespace mu = kainjow::mustache;

constexpr char kSuffix[] = ".mustache";
constexpr size_t kMaxFileBytes = 1 << 20;
// Partial inclusions in one render; a cycle (a → b → a) stops here instead of
// exhausting the stack.
constexpr int kMaxPartialInclusions = 256;
constexpr const char* kLangs[] = {"ro", "ru", "en"};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

mu::data ToData(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mu::data d(mu::data::type::object);
      for (const auto& [k, v] : j.items()) d.set(k, ToData(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mu::data d(mu::data::type::list);
      for (const auto& v : j) d.push_back(ToData(v));
      return d;
    }
    case nlohmann::json::value_t::string:
      return mu::data(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
      return mu::data(j.get<bool>());
    case nlohmann::json::value_t::null:
      return mu::data(false);
    default:  // numbers
      return mu::data(j.dump());
  }
}

// Resolves {{> name}} from the set's templates, bounded in number, and
// {{t.key}} from the language's catalogue (converted once per set, not per
// render).
class SetContext : public mu::context<std::string> {
 public:
  SetContext(const mu::data* data, const std::map<std::string, std::string, std::less<>>& files,
             const mu::data* catalogue)
      : mu::context<std::string>(data), files_(files), catalogue_(catalogue) {}

  const mu::data* get(const std::string& name) const override {
    if (name == "t") return catalogue_;
    if (name.size() > 2 && name[0] == 't' && name[1] == '.') return catalogue_->get(name.substr(2));
    return mu::context<std::string>::get(name);
  }

  const mu::data* get_partial(const std::string& name) const override {
    if (++inclusions_ > kMaxPartialInclusions) {
      exhausted_ = true;
      return nullptr;
    }
    auto it = files_.find(name + kSuffix);
    if (it == files_.end()) {
      missing_ = name;
      return nullptr;
    }
    partials_.push_back(std::make_unique<mu::data>(it->second));
    return partials_.back().get();
  }
  bool exhausted() const { return exhausted_; }
  const std::string& missing() const { return missing_; }

 private:
  const std::map<std::string, std::string, std::less<>>& files_;
  const mu::data* catalogue_;
  mutable int inclusions_ = 0;
  mutable bool exhausted_ = false;
  mutable std::string missing_;
  mutable std::vector<std::unique_ptr<mu::data>> partials_;
};

// {{> name}} references (default delimiters), for the load-time check.
std::vector<std::string> PartialNames(const std::string& text) {
  static const std::regex kPartial(R"(\{\{>\s*([^}\s]+)\s*\}\})");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kPartial); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

std::mutex g_mu;
std::shared_ptr<const TemplateSet> g_installed;

}  // namespace

std::string TemplateLang(std::string_view lang) {
  for (const char* l : kLangs)
    if (lang == l) return l;
  return "ro";
}

StatusOr<std::shared_ptr<const TemplateSet>> TemplateSet::Make(
    std::map<std::string, std::string, std::less<>> files) {
  std::shared_ptr<TemplateSet> set(new TemplateSet());
  set->files_ = std::move(files);
  for (const auto& [name, text] : set->files_) {
    if (!EndsWith(name, kSuffix)) continue;
    mu::mustache parsed(text);
    if (!parsed.is_valid())
      return InvalidArgument("template " + name + " does not parse: " + parsed.error_message());
    for (const auto& p : PartialNames(text))
      if (!set->files_.count(p + kSuffix))
        return InvalidArgument("template " + name + " includes {{> " + p + "}}, which is no template");
  }
  for (const char* lang : kLangs) {
    std::string name = std::string("i18n/") + lang + ".json";
    auto it = set->files_.find(name);
    if (it == set->files_.end()) return InvalidArgument("message catalogue " + name + " is missing");
    nlohmann::json cat = nlohmann::json::parse(it->second, nullptr, false);
    if (cat.is_discarded() || !cat.is_object())
      return InvalidArgument("message catalogue " + name + " is not a JSON object");
    for (const auto& [k, v] : cat.items())
      if (!v.is_string()) return InvalidArgument("message catalogue " + name + ": " + k + " is not a string");
    set->catalogue_data_[lang] = std::make_shared<const mu::data>(ToData(cat));
    set->catalogues_[lang] = std::move(cat);
  }
  auto css = set->files_.find("static/certme.css");
  if (css == set->files_.end()) return InvalidArgument("stylesheet static/certme.css is missing");
  set->style_ = css->second;
  // CSP3 §8.4: the hash of the <style> element's text, base64.
  set->style_src_ = "style-src 'sha256-" + Base64Encode(Sha256(set->style_)) + "'";
  return std::shared_ptr<const TemplateSet>(std::move(set));
}

std::shared_ptr<const TemplateSet> TemplateSet::Builtin() {
  static const std::shared_ptr<const TemplateSet> kBuiltin = [] {
    std::map<std::string, std::string, std::less<>> files;
    for (size_t i = 0; i < templates_internal::kEmbeddedFileCount; ++i) {
      const auto& f = templates_internal::kEmbeddedFiles[i];
      files[f.name] = std::string(f.text, f.size);
    }
    auto set = Make(std::move(files));
    // The build's own files; tests/common/templates_test checks them.
    if (!set.ok()) {
      LogError("built-in templates are broken", {{"detail", set.status().ToString()}});
      std::abort();
    }
    return *set;
  }();
  return kBuiltin;
}

StatusOr<std::shared_ptr<const TemplateSet>> TemplateSet::WithOverrides(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return InvalidArgument("templates folder " + dir + " is not a readable folder");
  auto files = Builtin()->files_;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return InvalidArgument("templates folder " + dir + " cannot be read: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return InvalidArgument("templates folder " + dir + " cannot be read: " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (ec || rel.empty()) continue;
    if (it->file_size(ec) > kMaxFileBytes || ec)
      return InvalidArgument("template file " + rel + " is larger than 1 MiB");
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in && !in.eof()) return InvalidArgument("template file " + rel + " cannot be read");
    files[rel] = ss.str();
  }
  auto set = Make(std::move(files));
  if (!set.ok()) return InvalidArgument("templates folder " + dir + ": " + set.status().message());
  // Every language must still have every text the pages use.
  for (const char* lang : kLangs) {
    const auto& builtin = Builtin()->Catalogue(lang);
    const auto& mine = (*set)->Catalogue(lang);
    for (const auto& [k, v] : builtin.items())
      if (!mine.contains(k))
        return InvalidArgument("templates folder " + dir + ": i18n/" + lang + ".json lacks the text " + k);
  }
  return set;
}

const nlohmann::json& TemplateSet::Catalogue(std::string_view lang) const {
  return catalogues_.find(TemplateLang(lang))->second;
}

std::string TemplateSet::Text(std::string_view lang, std::string_view key) const {
  const auto& cat = Catalogue(lang);
  auto it = cat.find(std::string(key));
  return it == cat.end() ? std::string(key) : it->get<std::string>();
}

std::string TemplateSet::PageCsp(std::string_view extra) const {
  std::string csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'; " + style_src_;
  if (!extra.empty()) csp += "; " + std::string(extra);
  return csp;
}

std::optional<std::string_view> TemplateSet::Asset(std::string_view name) const {
  auto it = files_.find("static/" + std::string(name));
  if (it == files_.end()) return std::nullopt;
  return std::string_view(it->second);
}

bool TemplateSet::Has(std::string_view name) const { return files_.count(std::string(name) + kSuffix) > 0; }

StatusOr<std::string> TemplateSet::Render(std::string_view name, std::string_view lang,
                                          const nlohmann::json& data) const {
  auto it = files_.find(std::string(name) + kSuffix);
  if (it == files_.end()) return NotFound("no template named " + std::string(name));
  if (!data.is_object()) return InvalidArgument("template data must be an object");
  mu::data d = ToData(data);
  d.set("lang", TemplateLang(lang));
  mu::mustache tmpl(it->second);
  tmpl.set_custom_escape([](const std::string& s) { return HtmlEscape(s); });
  SetContext ctx(&d, files_, catalogue_data_.at(TemplateLang(lang)).get());
  std::string out = tmpl.render(ctx);
  if (!tmpl.is_valid())
    return Internal("page could not be rendered", "template " + std::string(name) + ": " + tmpl.error_message());
  if (ctx.exhausted())
    return Internal("page could not be rendered", "template " + std::string(name) + ": partials nest too deep");
  if (!ctx.missing().empty())
    return Internal("page could not be rendered",
                    "template " + std::string(name) + ": no partial named " + ctx.missing());
  return out;
}

namespace {

// The language switcher for a GET page: the same address with `lang` set.
// Relative links (path and query as decoded, encoded again), so they work
// behind any proxy.
nlohmann::json SwitcherFor(const HttpRequest& req, std::string_view lang) {
  std::string base = PercentEncodePath(req.path) + "?";
  for (const auto& [k, v] : req.query)
    if (k != kLangParam) base += PercentEncode(k) + "=" + PercentEncode(v) + "&";
  nlohmann::json links = nlohmann::json::array();
  for (const auto& [code, label] : {std::pair{"ro", "RO"}, std::pair{"ru", "RU"}, std::pair{"en", "EN"}})
    links.push_back({{"code", code}, {"label", label}, {"href", base + kLangParam + "=" + code},
                     {"current", TemplateLang(lang) == code}});
  return {{"links", links}};
}

}  // namespace

std::string PercentEncodePath(std::string_view path) {
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out += PercentEncode(seg);
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

StatusOr<std::string> TemplateSet::RenderPage(std::string_view name, std::string_view lang,
                                              const nlohmann::json& data) const {
  nlohmann::json page = data.is_object() ? data : nlohmann::json::object();
  // What every page shows from the request it answers: the id a user can
  // quote (error pages print it) and, on user-facing GET pages, the
  // language switcher. The console (admin/) draws its own navigation.
  if (const HttpRequest* req = RequestScope::Current()) {
    if (auto rid = req->headers.Get("x-request-id"); rid && !page.contains("request_id")) page["request_id"] = *rid;
    if (!page.contains("switcher") && req->method == "GET" && !name.starts_with("admin/"))
      page["switcher"] = SwitcherFor(*req, lang);
  }
  CERTME_ASSIGN_OR_RETURN(std::string body, Render(name, lang, page));
  nlohmann::json outer = std::move(page);
  outer["content"] = std::move(body);
  outer["style"] = style_;
  return Render("layout", lang, outer);
}

std::shared_ptr<const TemplateSet> Templates() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_installed) g_installed = TemplateSet::Builtin();
  return g_installed;
}

void InstallTemplates(std::shared_ptr<const TemplateSet> set) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_installed = std::move(set);
}

HttpResponse HtmlPage(int status, StatusOr<std::string> html, std::string csp) {
  HttpResponse r;
  if (html.ok()) {
    r = HttpResponse::Html(status, std::move(*html));
  } else {
    LogError("page not rendered", {{"detail", html.status().ToString()}});
    r = HttpResponse::Html(500,
                           "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Error</title></head>"
                           "<body><p>An internal error occurred. Please try again later.</p></body></html>\n");
    csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  }
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Pragma", "no-cache");
  r.csp = std::move(csp);
  // A page reached through the language switcher remembers the choice.
  if (const HttpRequest* req = RequestScope::Current())
    if (auto cookie = LangCookieFor(*req)) r.cookies.push_back(std::move(*cookie));
  return r;
}

}  // namespace certme
