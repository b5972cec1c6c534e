// Page templates: Mustache (libkainjow-mustache-dev) over the files of
// templates/, which the build compiles into the binary (it runs from any
// directory), optionally overridden file by file from an operator's folder
// (server.templates_dir).
//
// A TemplateSet holds three kinds of files, named by their path relative to
// templates/:
//   *.mustache      templates; "oidc/error.mustache" renders as "oidc/error".
//                   {{> name}} includes another template (a partial).
//   i18n/<lang>.json message catalogue of one language (ro, ru, en): one flat
//                   object of strings. Every render gets the catalogue of its
//                   language as `t` ({{t.login_title}}) and the language as
//                   `lang`.
//   static/*        files served as they are (the stylesheet): Asset().
//
// Escaping: {{x}} is HTML-escaped (& < > " '), always. Raw output ({{{x}}},
// {{&x}}) is reserved for HTML the server itself produced: the page body the
// layout wraps (`content`), the stylesheet (`style`) and the QR code SVG
// (`qr_svg`); a unit test keeps
// every built-in template to that rule. Never pass a user- or
// provider-supplied value through a raw tag.
//
// Errors: loading refuses (InvalidArgument naming the file) a template that
// does not parse, a partial that names no template, a catalogue that is not
// a flat object of strings or lacks a key the built-in one has. Rendering
// returns NotFound for an unknown template and Internal for a render failure;
// it never throws or crashes.
//
// Thread-safety: a TemplateSet is immutable once made; Render may run on any
// number of threads. Templates()/InstallTemplates are safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/http_message.h"
#include "common/status.h"

namespace kainjow::mustache {
template <typename string_type>
class basic_data;
}  // namespace kainjow::mustache

namespace certme {

class TemplateSet {
 public:
  // The files compiled into the binary. Never fails (the build checks them).
  static std::shared_ptr<const TemplateSet> Builtin();
  // Builtin() with every file under `dir` (recursively, same relative names)
  // replacing or adding to it. Refuses an unreadable folder, a file over
  // 1 MiB, and everything the class comment lists.
  static StatusOr<std::shared_ptr<const TemplateSet>> WithOverrides(const std::string& dir);

  // Renders template `name` with `data` (a JSON object; `lang` and `t` are
  // added). `lang` is ro | ru | en; anything else renders as ro.
  StatusOr<std::string> Render(std::string_view name, std::string_view lang,
                               const nlohmann::json& data) const;
  // Renders `name`, then the template "layout" around it: the layout gets
  // the same data plus `content` (the rendered body) and `style` (the
  // stylesheet static/certme.css, inlined; PageCsp() allows it by hash).
  StatusOr<std::string> RenderPage(std::string_view name, std::string_view lang,
                                   const nlohmann::json& data) const;

  // The catalogue text `key` in `lang` (ro when lang is unknown); the key
  // itself when the catalogue has no such text.
  std::string Text(std::string_view lang, std::string_view key) const;
  // The Content-Security-Policy of a page rendered by RenderPage: nothing
  // loads, nothing frames it, its stylesheet (inlined by the layout) is
  // allowed by hash; `extra` ("script-src 'nonce-…'; …") is appended.
  std::string PageCsp(std::string_view extra = {}) const;
  // The file static/<name>; nullopt when absent.
  std::optional<std::string_view> Asset(std::string_view name) const;
  bool Has(std::string_view name) const;

  // Every file by relative name (templates with their .mustache suffix).
  const std::map<std::string, std::string, std::less<>>& files() const { return files_; }

 private:
  TemplateSet() = default;
  static StatusOr<std::shared_ptr<const TemplateSet>> Make(
      std::map<std::string, std::string, std::less<>> files);
  const nlohmann::json& Catalogue(std::string_view lang) const;

  std::map<std::string, std::string, std::less<>> files_;
  std::map<std::string, nlohmann::json, std::less<>> catalogues_;  // lang → object
  // The catalogues as Mustache data, converted once.
  std::map<std::string, std::shared_ptr<const kainjow::mustache::basic_data<std::string>>, std::less<>>
      catalogue_data_;
  std::string style_;      // static/certme.css
  std::string style_src_;  // "style-src 'sha256-…'" of style_
};

// A decoded path encoded again segment by segment ('/' kept).
std::string PercentEncodePath(std::string_view path);

// ro | ru | en; "ro" for anything else (the bridge's default language).
std::string TemplateLang(std::string_view lang);

// The set every page renders with: Builtin() until InstallTemplates() is
// called (at start-up, with the operator's overrides).
std::shared_ptr<const TemplateSet> Templates();
void InstallTemplates(std::shared_ptr<const TemplateSet> set);

// An HTML answer from a rendered page: no-store, the given CSP. A render
// error becomes a bare 500 page (the detail goes to the log only).
HttpResponse HtmlPage(int status, StatusOr<std::string> html, std::string csp);

}  // namespace certme
