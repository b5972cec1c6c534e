#include "idp/http/router.h"

#include <set>
#include <stdexcept>

#include "common/encoding.h"

namespace certme {
namespace {

// Splits "/a/b" into {"a","b"}; "/" into {""}. REQUIRES: path starts with '/'.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  for (;;) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::Handle(std::string method, std::string pattern, HttpHandler h) {
  Handle(std::move(method), std::move(pattern), std::move(h), RouteOptions{});
}

void Router::Handle(std::string method, std::string pattern, HttpHandler h, RouteOptions options) {
  if (!h) throw std::invalid_argument("Router: null handler for " + pattern);
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = std::make_shared<const HttpHandler>(std::move(h));
  r.options = options;
  Add(std::move(r));
}

void Router::HandleAsync(std::string method, std::string pattern, AsyncHttpHandler h) {
  HandleAsync(std::move(method), std::move(pattern), std::move(h), RouteOptions{});
}

void Router::HandleAsync(std::string method, std::string pattern, AsyncHttpHandler h,
                         RouteOptions options) {
  if (!h) throw std::invalid_argument("Router: null handler for " + pattern);
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.async_handler = std::make_shared<const AsyncHttpHandler>(std::move(h));
  r.options = options;
  Add(std::move(r));
}

void Router::Add(Route r) {
  if (r.method.empty() || r.pattern.empty() || r.pattern.front() != '/')
    throw std::invalid_argument("Router: pattern must start with '/': " + r.pattern);
  std::set<std::string, std::less<>> names;
  for (std::string_view seg : SplitPath(r.pattern)) {
    Segment s;
    if (!seg.empty() && seg.front() == ':') {
      s.param = true;
      s.text.assign(seg.substr(1));
      if (s.text.empty() || !names.insert(s.text).second)
        throw std::invalid_argument("Router: bad or repeated parameter in " + r.pattern);
    } else {
      s.text.assign(seg);
    }
    r.segments.push_back(std::move(s));
  }
  for (const Route& other : routes_) {
    if (other.method != r.method || other.segments.size() != r.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < r.segments.size() && same; ++i) {
      const Segment &a = other.segments[i], &b = r.segments[i];
      same = a.param == b.param && (a.param || a.text == b.text);
    }
    if (same) throw std::invalid_argument("Router: duplicate route " + r.method + " " + r.pattern);
  }
  routes_.push_back(std::move(r));
}

RouteMatch Router::Match(std::string_view method, std::string_view raw_path) const {
  RouteMatch m;
  if (raw_path.empty() || raw_path.front() != '/') return m;  // "*" and the like: 404
  std::vector<std::string> decoded;
  decoded.reserve(8);
  for (std::string_view seg : SplitPath(raw_path)) {
    auto d = PercentDecode(seg, /*plus_is_space=*/false);
    if (!d || d->find('\0') != std::string::npos) {
      m.status = 400;
      return m;
    }
    decoded.push_back(std::move(*d));
  }

  // The path's shape must fit the route and its literals must match.
  auto fits = [&decoded](const Route& r) {
    if (r.segments.size() != decoded.size()) return false;
    for (size_t i = 0; i < decoded.size(); ++i) {
      const Segment& s = r.segments[i];
      if (s.param ? decoded[i].empty() : s.text != decoded[i]) return false;
    }
    return true;
  };
  // Literals beat parameters, position by position (the first position
  // where the two differ decides). Same shape: REQUIRES fits() for both.
  auto more_literal = [](const Route& a, const Route& b) {
    for (size_t i = 0; i < a.segments.size(); ++i)
      if (a.segments[i].param != b.segments[i].param) return !a.segments[i].param;
    return false;
  };
  // The success path allocates nothing per route; the Allow list of a 405
  // is built only when no route takes the method.
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    // RFC 9110 §9.3.2: HEAD is GET without the content.
    bool method_ok = r.method == method || (method == "HEAD" && r.method == "GET");
    if (!method_ok || !fits(r)) continue;
    // An explicit HEAD route beats GET at the same specificity.
    if (!best || more_literal(r, *best) || (!more_literal(*best, r) && r.method == method && best->method != method))
      best = &r;
  }
  if (!best) {
    std::set<std::string> allowed;
    for (const Route& r : routes_) {
      if (!fits(r)) continue;
      allowed.insert(r.method);
      if (r.method == "GET") allowed.insert("HEAD");
    }
    if (!allowed.empty()) {
      m.status = 405;
      for (const std::string& a : allowed) m.allow += (m.allow.empty() ? "" : ", ") + a;
    }
    return m;
  }
  m.status = 0;
  m.route = best->pattern;
  m.handler = best->handler;
  m.async_handler = best->async_handler;
  m.options = best->options;
  for (size_t i = 0; i < decoded.size(); ++i)
    if (best->segments[i].param) m.path_params.emplace(best->segments[i].text, std::move(decoded[i]));
  return m;
}

}  // namespace certme
