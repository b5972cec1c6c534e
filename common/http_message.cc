#include "common/http_message.h"

#include "common/encoding.h"

namespace certme {

void HttpHeaders::Set(std::string_view name, std::string value) {
  Remove(name);
  entries_.emplace_back(AsciiLower(name), std::move(value));
}

void HttpHeaders::Add(std::string_view name, std::string value) {
  entries_.emplace_back(AsciiLower(name), std::move(value));
}

std::optional<std::string> HttpHeaders::Get(std::string_view name) const {
  for (const auto& [k, v] : entries_)
    if (EqualsIgnoreCase(k, name)) return v;
  return std::nullopt;
}

std::vector<std::string> HttpHeaders::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_)
    if (EqualsIgnoreCase(k, name)) out.push_back(v);
  return out;
}

void HttpHeaders::Remove(std::string_view name) {
  std::erase_if(entries_, [&](const auto& e) { return EqualsIgnoreCase(e.first, name); });
}

std::string SetCookie::Serialize() const {
  std::string s = name + "=" + value + "; Path=" + path;
  if (max_age_seconds >= 0) s += "; Max-Age=" + std::to_string(max_age_seconds);
  if (http_only) s += "; HttpOnly";
  if (secure) s += "; Secure";
  switch (same_site) {
    case SameSite::kStrict: s += "; SameSite=Strict"; break;
    case SameSite::kLax: s += "; SameSite=Lax"; break;
    case SameSite::kNone: s += "; SameSite=None"; break;
  }
  return s;
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string type) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", std::move(type));
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

HttpResponse HttpResponse::Html(int status, std::string body) {
  return Text(status, std::move(body), "text/html; charset=utf-8");
}

HttpResponse HttpResponse::Redirect(std::string location, int status) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Location", std::move(location));
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MediaTypeOf(const HttpHeaders& headers) {
  std::string t = AsciiLower(headers.Get("content-type").value_or(""));
  size_t semi = t.find(';');
  if (semi != std::string::npos) t.resize(semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.pop_back();
  return t;
}

}  // namespace certme
