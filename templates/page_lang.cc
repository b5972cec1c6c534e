#include "templates/page_lang.h"

#include <cstdlib>

#include "common/encoding.h"
#include "common/request_scope.h"

namespace certme {

std::string SupportedLang(std::string_view tag) {
  // Primary subtag only: "ru-MD" and "ru_RU" are Russian.
  size_t end = tag.find_first_of("-_");
  std::string_view primary = tag.substr(0, end);
  if (primary.size() != 2) return "";
  std::string lower = AsciiLower(primary);
  if (lower == "ro" || lower == "ru" || lower == "en") return lower;
  // Moldovan is Romanian (ISO 639: "mo" was merged into "ro").
  if (lower == "mo") return "ro";
  return "";
}

std::string FirstSupportedLang(std::string_view list) {
  for (const auto& tag : SplitTrimmed(list, ' ')) {
    std::string l = SupportedLang(tag);
    if (!l.empty()) return l;
  }
  return "";
}

namespace {

// A q-value (RFC 9110 §12.4.2: 0 to 1, three decimals at most); -1 when
// malformed (the range is then ignored).
double ParseQ(std::string_view v) {
  if (v.empty() || v.size() > 5) return -1;
  if (v[0] != '0' && v[0] != '1') return -1;
  if (v.size() > 1 && v[1] != '.') return -1;
  for (size_t i = 2; i < v.size(); ++i)
    if (v[i] < '0' || v[i] > '9') return -1;
  double q = std::strtod(std::string(v).c_str(), nullptr);
  return q > 1 ? -1 : q;
}

}  // namespace

std::string AcceptLanguageLang(std::string_view header) {
  if (header.size() > 4096) header = header.substr(0, 4096);
  std::string best;
  double best_q = 0;
  for (const auto& range : SplitTrimmed(header, ',')) {
    auto parts = SplitTrimmed(range, ';');
    if (parts.empty()) continue;
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view p = parts[i];
      if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') q = ParseQ(p.substr(2));
    }
    std::string l = SupportedLang(parts[0]);
    if (l.empty() || q <= best_q) continue;
    best = l;
    best_q = q;
  }
  return best;
}

std::string NegotiateLang(const HttpRequest* req, std::string_view requested) {
  if (req) {
    if (auto q = req->Query(kLangParam)) {
      std::string l = SupportedLang(*q);
      if (!l.empty() && l.size() == q->size()) return l;
    }
  }
  if (std::string l = FirstSupportedLang(requested); !l.empty()) return l;
  if (req) {
    if (auto c = req->Cookie(kLangCookie); c && (*c == "ro" || *c == "ru" || *c == "en")) return *c;
    if (auto a = req->headers.Get("accept-language")) {
      if (std::string l = AcceptLanguageLang(*a); !l.empty()) return l;
    }
  }
  return "ro";
}

std::string PageLang(std::string_view requested) { return NegotiateLang(RequestScope::Current(), requested); }

std::optional<SetCookie> LangCookieFor(const HttpRequest& req) {
  auto q = req.Query(kLangParam);
  if (!q || (*q != "ro" && *q != "ru" && *q != "en")) return std::nullopt;
  if (req.Cookie(kLangCookie) == q) return std::nullopt;
  SetCookie c;
  c.name = kLangCookie;
  c.value = *q;
  c.max_age_seconds = kLangCookieSeconds;
  return c;
}

}  // namespace certme
